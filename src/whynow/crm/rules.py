"""The CRM rules a mapping cannot say (SPEC §11), as joins: placing people at accounts, the person an
activity names, closing deals by their stage, and the union of several objects into one contract table."""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from whynow.crm.formats import email_domain
from whynow.crm.importer import Importer, count_rows
from whynow.crm.mapping import ObjectSpec, glob_regex
from whynow.crm.read import Frame
from whynow.data.backends import keep
from whynow.data.contract import TABLES


def only_written_people(imp: Importer, activities: ir.Table, frame: Frame, contacts: ir.Table | None) -> ir.Table:
    """Activities whose person is not among the written contacts lose that person, so that their account
    decides (SPEC §3: a set contact_id wins, and one naming no contact is unmatched); counted in the report."""
    if contacts is None:
        marked = keep(activities.mutate(_stranger=activities.contact_id.notnull()))
    else:
        written_ids = contacts.select(_person=contacts.contact_id)
        joined = activities.left_join(written_ids, activities.contact_id == written_ids._person)
        stranger = joined.contact_id.notnull() & joined._person.isnull()
        marked = keep(joined.mutate(_stranger=stranger).drop("_person"))
    count = count_rows(marked.filter(marked._stranger))
    if count:
        imp.report.notes.append(
            f"{frame.file}: {count} {frame.object} rows name a person who is not in the export (or was not "
            "placed); they are kept at the account they name, without the person"
        )
    return marked.mutate(contact_id=ibis.ifelse(marked._stranger, ibis.null(dt.string), marked.contact_id)).drop(
        "_stranger"
    )


def person_of(placed: ir.Table) -> ir.Table:
    """Each contact or lead id → itself where it was placed at an account, NULL where it was not."""
    placed_as = ibis.ifelse(placed.account_id.notnull(), placed.contact_id, ibis.null(dt.string))
    return placed.select(person_id=placed.contact_id, contact_id=placed_as)


def place(
    people: ir.Table,
    accounts: ir.Table,
    by_company: bool,
    ids_of: Callable[[ir.StringValue], ir.StringValue] | None = None,
) -> ir.Table:
    """`account_id` filled where it is empty: the account whose domain is the email's domain, else (leads)
    the account named like the company, else the one whose Id the company holds. Where several accounts
    match, the lowest account_id (SPEC §3)."""
    domains = (
        accounts.filter(accounts.domain.notnull())
        .group_by(_key=accounts.domain)
        .aggregate(_by_domain=accounts.account_id.min())
    )
    own = people.account_id if "account_id" in people.columns else ibis.null(dt.string)
    t = people.mutate(account_id=own, _key=email_domain(people.email))
    t = t.left_join(domains, "_key").drop("_key_right")
    choices = [t.account_id, t._by_domain]
    if by_company:
        names = accounts.group_by(_key=accounts.name.strip().lower()).aggregate(_by_name=accounts.account_id.min())
        t = t.mutate(_key=t.company.strip().lower()).left_join(names, "_key").drop("_key_right")
        ids = accounts.select(_key=accounts.account_id, _by_id=accounts.account_id)
        t = t.mutate(_key=t.company if ids_of is None else ids_of(t.company)).left_join(ids, "_key").drop("_key_right")
        choices = [t.account_id, t._by_domain, t._by_name, t._by_id]
    placed = t.mutate(account_id=ibis.coalesce(*choices))
    return placed.drop(*[c for c in ("_key", "_by_domain", "_by_name", "_by_id") if c in placed.columns])


def close_deals(imp: Importer, frame: Frame, deals: ir.Table) -> ir.Table:
    """`is_closed` / `is_won` from the mapping's `stages` where the export has no field for them, and
    `closed_at` only on closed deals (SPEC §11: closed_at = CloseDate when IsClosed)."""
    mapping = imp.object_mapping(frame.object)
    stages = mapping.stages
    for column, which in (("is_won", "won"), ("is_closed", "closed")):
        if stages is None or any(frame.field(f) for f in mapping.fields_of(column)):
            continue
        won, lost = stages.won or [], stages.lost or []
        patterns = won if which == "won" else [*won, *lost]
        hit: ir.BooleanValue = ibis.literal(False)
        for pattern in patterns:
            hit = hit | deals.stage.re_search(glob_regex(pattern)).fill_null(False)
        deals = deals.mutate(**{column: ibis.coalesce(deals[column], hit)})  # a stage table's answer first
    deals = keep(
        deals.mutate(closed_at=ibis.ifelse(deals.is_closed, deals.closed_at, ibis.null(deals.closed_at.type())))
    )
    done = deals.filter(deals.is_closed)
    closed = (
        done.group_by("stage", "is_won")
        .aggregate(rows=done.count(), undated=done.closed_at.isnull().sum())
        .order_by(ibis.desc("rows"), "stage")
        .to_pyarrow()
        .to_pylist()
    )
    if closed:
        shown = ", ".join(f"{r['stage']} ({'won' if r['is_won'] else 'lost'}, {r['rows']})" for r in closed[:8])
        more = f" and {len(closed) - 8} more" if len(closed) > 8 else ""
        imp.report.notes.append(f"{frame.file}: closed stages: {shown}{more}; every other stage is open")
    undated = sum(int(r["undated"]) for r in closed)
    if undated:
        imp.report.notes.append(
            f"{frame.file}: {undated} closed deals have no close date: written closed without closed_at, so a "
            "run sees them neither open nor won"
        )
    return deals


def written(table: ir.Table, spec: ObjectSpec) -> ir.Table:
    """The columns that are written: the contract's and the mapping's extras, not the helper columns."""
    helpers = set(spec.extra)
    return table.select(*[c for c in table.columns if c not in helpers and c != "_row"])


def union(name: str, parts: list[ir.Table]) -> ir.Table:
    """The rows of several objects as one table: the contract's columns, then every extra column of any
    part, NULL (of the contract's type) where a part lacks it."""
    contract = [c.name for c in TABLES[name].columns]
    extras = sorted({c for p in parts for c in p.columns if c not in contract})
    schema = TABLES[name].schema
    same = [
        p.select(**{c: p[c] if c in p.columns else ibis.null(schema.get(c, dt.string)) for c in contract + extras})
        for p in parts
    ]
    return ibis.union(*same)
