"""Maven Analytics' CRM Sales Opportunities (../shared/data/crm-sales-opportunities, see its SOURCE.md) as a
whynow data source, in two parts.

    python examples/trials/crm_sales/prepare.py CRM_FOLDER OUT_FOLDER

* The CRM as the data contract has it: accounts (id and name = `account`; industry = `sector`, employees,
  annual_revenue = `revenue` × 1e6, country = `office_location`), reps (`sales_agent`, team = regional
  office; managers as reps of role manager) and opportunities (created at `engage_date`, closed at
  `close_date`, amount = `close_value`, or the product's list price while open; closed and won from
  `deal_stage`). Open deals without an account are left out (1,425; they name no account to place them).
* Every closed deal as a "contact" of its account, carrying what was known when it was worked (the
  account's firmographics, the product and its series and price, the agent, manager and office) and
  whether it was won: `whynow learn --level contact --label won` then learns win/loss.

Why deals and not accounts over dates: every one of the 85 accounts has an open deal at every weekly date
of 2017, so the account-level outcome (an opportunity for an account with none open) never occurs. The
product name "GTXPro" of the pipeline is mapped to "GTX Pro" of the products file; the "technolgy" typo is
kept (it is one value either way).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # examples/trials: tables.py

from tables import main, write_tables


def prepare(crm: Path, out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for name in ("accounts", "products", "sales_teams", "sales_pipeline"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_csv('{crm / f'{name}.csv'}', header = true)")
    con.execute(
        "CREATE VIEW deals AS SELECT d.*, p.series, p.sales_price, t.manager, t.regional_office "
        "FROM sales_pipeline d "
        "LEFT JOIN products p ON p.product = replace(d.product, 'GTXPro', 'GTX Pro') "
        "LEFT JOIN sales_teams t ON t.sales_agent = d.sales_agent"
    )
    queries = {
        "accounts": "SELECT account AS account_id, account AS name, sector AS industry, employees, "
        "revenue * 1e6 AS annual_revenue, office_location AS country FROM accounts",
        "reps": "SELECT sales_agent AS rep_id, sales_agent AS name, 'seller' AS role, regional_office AS team "
        "FROM sales_teams UNION ALL SELECT DISTINCT manager, manager, 'manager', regional_office FROM sales_teams",
        "opportunities": "SELECT opportunity_id, account AS account_id, engage_date AS created_at, "
        "close_date AS closed_at, deal_stage AS stage, coalesce(close_value, sales_price) AS amount, "
        "deal_stage IN ('Won', 'Lost') AS is_closed, deal_stage = 'Won' AS is_won, sales_agent AS owner_id "
        "FROM deals WHERE account IS NOT NULL AND engage_date IS NOT NULL",
        "contacts": "SELECT d.opportunity_id AS contact_id, d.account AS account_id, a.sector, a.employees, "
        "a.revenue AS revenue_millions, a.office_location AS office, a.year_established, "
        "a.subsidiary_of IS NOT NULL AS subsidiary, replace(d.product, 'GTXPro', 'GTX Pro') AS product, "
        "d.series, d.sales_price AS list_price, d.sales_agent AS agent, d.manager, d.regional_office, "
        "d.deal_stage = 'Won' AS won "
        "FROM deals d JOIN accounts a ON a.account = d.account WHERE d.deal_stage IN ('Won', 'Lost')",
    }
    written = write_tables(con, queries, out)
    con.close()
    return written


if __name__ == "__main__":
    main(prepare, __doc__)
