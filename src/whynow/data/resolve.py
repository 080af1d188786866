"""Which account a row belongs to (SPEC §3 "Resolution rules"), set-based.

An activity belongs to its contact's account when `contact_id` is set; otherwise, like intent, change
events and technographics, to the first of `account_id` and `domain` that names an existing account
(domains case-folded, a leading `www.` stripped; a domain shared by accounts goes to the lowest id).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from whynow.data.contract import ACCOUNT_RESOLVED_TABLES

RESOLVED = "resolved_account_id"


def normalize_domain(domain: ir.StringValue) -> ir.StringValue:
    """Lower-case, trimmed, without a leading `www.`."""
    folded = domain.strip().lower()
    return ibis.ifelse(folded.startswith("www."), folded.substr(4), folded)


def account_domains(accounts: ir.Table) -> ir.Table:
    """`domain_key` → `domain_account`: each account domain, normalised, and the account it places rows on
    (a domain shared by accounts goes to the lowest id, in text order: ids compare as text)."""
    named = accounts.filter(accounts.domain.notnull())
    return named.group_by(domain_key=normalize_domain(named.domain)).aggregate(domain_account=named.account_id.min())


def resolve_accounts(tables: Mapping[str, ir.Table]) -> dict[str, ir.Table]:
    """Each account-resolved table with `resolved_account_id` (NULL when no account matches); a table that
    has it already (`run.shared_inputs`) is taken as it is."""
    out: dict[str, ir.Table] = {}
    for name in ACCOUNT_RESOLVED_TABLES:
        t = tables[name]
        out[name] = t if RESOLVED in t.columns else resolve_table(name, t, tables["accounts"], tables["contacts"])
    return out


def resolve_table(name: str, t: ir.Table, accounts: ir.Table, contacts: ir.Table) -> ir.Table:
    """`t` (rows of table `name`, or rows grouped by the columns that place them: `contact_id`, `account_id`
    and `domain`) with `resolved_account_id`."""
    ids = accounts.select(known_id=accounts.account_id)
    by_domain = account_domains(accounts)
    domain, account = normalize_domain(t.domain), t.account_id
    if name == "activities":  # only rows without a contact are placed by their account_id or domain
        domain = ibis.ifelse(t.contact_id.isnull(), domain, ibis.null("string"))
        account = ibis.ifelse(t.contact_id.isnull(), account, ibis.null("string"))
    joined = t.mutate(domain_key=domain, account_key=account)
    joined = joined.left_join(ids, joined.account_key == ids.known_id)
    joined = joined.left_join(by_domain, "domain_key")
    by_row = ibis.coalesce(joined.known_id, joined.domain_account)
    if name == "activities":
        places = contacts.select(contact_key="contact_id", contact_account="account_id")
        joined = joined.left_join(places, joined.contact_id == places.contact_key)
        # SPEC §3: with a contact_id, the contact's account (its own account_id is ignored).
        resolved = ibis.ifelse(joined.contact_id.notnull(), joined.contact_account, by_row)
    else:
        resolved = by_row
    return joined.select(*t.columns, **{RESOLVED: resolved})


def activities_of(rows: ir.Table, ids: ir.Table, accounts: ir.Table, contacts: ir.Table) -> ir.Table:
    """The activities (unresolved `rows`) that belong to the accounts `ids` (one column, `listed_id`), with
    `resolved_account_id`: looked up in small sets first — the contacts of those accounts, their ids, the
    domains that resolve to them — so that only those rows are joined to be placed (`resolve_table`).
    Rows placed already (`run.shared_inputs`) are only filtered."""
    if RESOLVED in rows.columns:
        return rows.filter(rows[RESOLVED].isin(ids.listed_id).fill_null(False))
    known = accounts.select(known_id="account_id")
    theirs = contacts.filter(contacts.account_id.isin(ids.listed_id).fill_null(False)).select(their="contact_id")
    domains = account_domains(accounts)
    their_domains = domains.filter(domains.domain_account.isin(ids.listed_id)).select("domain_key")
    anonymous_domain = ibis.ifelse(rows.contact_id.isnull(), rows.domain, ibis.null("string"))
    by_account = rows.account_id.isin(ids.listed_id).fill_null(False)
    by_domain = ~rows.account_id.isin(known.known_id).fill_null(False) & normalize_domain(anonymous_domain).isin(
        their_domains.domain_key
    ).fill_null(False)
    mine = ibis.ifelse(
        rows.contact_id.notnull(), rows.contact_id.isin(theirs.their).fill_null(False), by_account | by_domain
    )
    return resolve_table("activities", rows.filter(mine), accounts, contacts)


def count_orphans_and_unmatched(tables: Mapping[str, ir.Table]) -> dict[str, dict[str, int]]:
    """Per table: rows `orphaned` (a contact without its account, that contact's activities, an
    opportunity of an unknown account) and `unmatched` (no account found)."""
    accounts = tables["accounts"].select(known="account_id")
    contacts = tables["contacts"]
    orphan_contacts = contacts.anti_join(accounts, contacts.account_id == accounts.known)
    opportunities = tables["opportunities"]
    counts: dict[str, dict[str, int]] = {
        "contacts": {"orphaned": _count(orphan_contacts)},
        "opportunities": {
            "orphaned": _count(opportunities.anti_join(accounts, opportunities.account_id == accounts.known))
        },
    }
    resolved = resolve_accounts(tables)
    for name, table in resolved.items():
        no_account = table.filter(table[RESOLVED].isnull())
        if name == "activities":
            orphan_ids = orphan_contacts.select(orphan_id="contact_id")
            orphaned = _count(table.semi_join(orphan_ids, table.contact_id == orphan_ids.orphan_id))
            # Rows whose resolved id names no account: unmatched, unless their contact is an orphan.
            names_account = table[RESOLVED].isin(accounts.known).fill_null(False)
            no_account_at_all = _count(table.filter(~names_account))
            counts[name] = {"orphaned": orphaned, "unmatched": no_account_at_all - orphaned}
        else:
            counts[name] = {"unmatched": _count(no_account)}
    return counts


def _count(table: ir.Table) -> int:
    return int(table.count().to_pyarrow().as_py())
