"""Olist's marketing funnel (../shared/data/olist-marketing-funnel, see its SOURCE.md) as a whynow data
source: every marketing-qualified lead (MQL) a business of its own, whose one activity is its first contact
and whose one opportunity is the seller contract it signed, if it did.

    python examples/trials/olist/prepare.py FUNNEL_FOLDER OUT_FOLDER

* accounts and contacts: one per MQL (`mql_id`), country Brazil, with its landing page as a declared column.
* activities: one `mql` activity per MQL at its first contact date, `channel` = `origin` (empty: unknown).
* opportunities: one per closed deal, created and closed (won) when the contract was signed (`won_date`),
  the only moment the data know. Created at first contact instead, every deal would already exist at the
  run that first sees its lead, and there would be nothing left to predict.

What the closed-deals file says about the seller (segment, lead type, behaviour profile, revenue, its SDR
and SR) is known only for leads that signed: used as features it would give the outcome away, so it is left
out. The data are CC BY-NC-SA 4.0: they stay in ../shared/data and the folder this writes, never in the
repository.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # examples/trials: tables.py

from tables import main, write_tables


def prepare(funnel: Path, out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(
        f"""CREATE VIEW mql AS SELECT * FROM read_csv('{funnel / "olist_marketing_qualified_leads_dataset.csv"}',
        header = true, all_varchar = true)"""
    )
    con.execute(
        f"""CREATE VIEW deals AS SELECT * FROM read_csv('{funnel / "olist_closed_deals_dataset.csv"}',
        header = true, all_varchar = true)"""
    )
    queries = {
        "accounts": "SELECT mql_id AS account_id, 'MQL ' || left(mql_id, 8) AS name, 'Brazil' AS country, "
        "landing_page_id AS landing_page FROM mql",
        "contacts": "SELECT mql_id AS contact_id, mql_id AS account_id FROM mql",
        "activities": "SELECT mql_id AS activity_id, mql_id AS contact_id, first_contact_date AS occurred_at, "
        "'mql' AS type, coalesce(nullif(origin, ''), 'unknown') AS channel, landing_page_id AS url FROM mql",
        "opportunities": "SELECT mql_id AS opportunity_id, mql_id AS account_id, won_date AS created_at, "
        "won_date AS closed_at, 'Won' AS stage, TRUE AS is_closed, TRUE AS is_won FROM deals",
    }
    written = write_tables(con, queries, out)
    con.close()
    return written


if __name__ == "__main__":
    main(prepare, __doc__)
