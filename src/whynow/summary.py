"""The run summary (SPEC §3): per table, rows read, after the horizon, outside every window, unmatched,
orphaned, rejected and used.

Two steps, so that the runs of a backtest share the work. `tally_queries` read each table once, in one
grouped query (compiled into the run's plan, executed once per validated source), and count its rows by
what does not depend on the as-of date: the UTC day the row exists from (and, for technographics, the
day it was last seen), whether it names no account, whether it belongs to an orphaned contact.
`summarize` then answers for one as-of date from those small tallies: the horizon and the windows are
midnights (SPEC §2), so a row's day decides on which side of them it falls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from whynow.data.contract import TABLES
from whynow.data.resolve import RESOLVED, account_domains, normalize_domain, resolve_accounts
from whynow.data.validate import Validated
from whynow.outputs.contract import KINDS
from whynow.pipeline import Context
from whynow.pipeline.context import utc_day_number

Tallies = dict[str, pa.Table]  # per table: day, last_day, no_account, of_orphan, rows


def summarize(ctx: Context, validated: Validated, tallies: Tallies) -> dict[str, dict[str, int]]:
    """{table: {kind: rows}} for every table the source holds; `used` is what is left of `read`."""
    summary: dict[str, dict[str, int]] = {}
    for name, counted in validated.counts.items():
        kinds = _kinds(ctx, name, tallies[name])
        kinds["read"], kinds["rejected"] = counted["read"], counted.get("rejected", 0)
        kinds["used"] = kinds["read"] - sum(v for k, v in kinds.items() if k != "read")
        summary[name] = {kind: kinds.get(kind, 0) for kind in KINDS}
    return summary


def tally_queries(inputs: Mapping[str, ir.Table], dialect: str) -> dict[str, ir.Table]:
    """Per table of the contract, the query that counts its rows by day, last day, no account and orphaned
    contact (`TALLY` columns); it reads no date, so a compiled plan holds it once."""
    tables = {name: inputs[name] for name in TABLES}
    tables.update(resolve_accounts(tables))
    accounts = tables["accounts"].select(known_account="account_id")
    contacts = tables["contacts"]
    queries: dict[str, ir.Table] = {}
    for name, spec in TABLES.items():
        table = tables[name]
        if name == "activities":  # the big one: placed by its keys' joins to small tables (`_placing`)
            table = _placing(inputs[name], tables["accounts"], contacts)
        keys: dict[str, ir.Value] = {
            "day": ibis.null("date"),
            "last_day": ibis.null("date"),
            "no_account": ibis.literal(False),
            "of_orphan": ibis.literal(False),
        }
        if name == "contacts":  # an orphan itself
            keys["of_orphan"] = ~table.account_id.isin(accounts.known_account).fill_null(False)
        elif spec.exists_from is not None:
            start = table[spec.exists_from]
            keys["day"] = start if name == "technographics" else utc_day_number(start, dialect)
            if name == "technographics":
                keys["last_day"] = table.last_seen
            if name == "activities":
                keys["no_account"] = ~table.placed
                keys["of_orphan"] = table.of_orphan
            else:
                account = table.account_id if name == "opportunities" else table[RESOLVED]
                keys["no_account"] = account.isnull() | ~account.isin(accounts.known_account).fill_null(False)
        queries[name] = table.select(**keys).group_by(*keys).aggregate(rows=ibis._.count())
    return queries


TALLY = pa.schema(
    [("day", pa.date32()), ("last_day", pa.date32()), ("no_account", pa.bool_()), ("of_orphan", pa.bool_()),
     ("rows", pa.int64())]
)  # fmt: skip


def as_tally(counted: pa.Table) -> pa.Table:
    """A tally query's rows in `TALLY`'s types: a day number (days since 1970-01-01) as its date."""
    if pa.types.is_integer(counted.schema.field("day").type):
        day = pc.cast(pc.cast(counted["day"], pa.int32()), pa.date32())
        counted = counted.set_column(counted.schema.get_field_index("day"), "day", day)
    return counted.cast(TALLY)


def _placing(activities: ir.Table, accounts: ir.Table, contacts: ir.Table) -> ir.Table:
    """The activities' `occurred_at` with `placed`, whether the row belongs to an existing account (SPEC
    §3), and `of_orphan`, whether its contact is one whose account does not exist. A row with a contact is
    placed when its contact's account exists; a row without one when its account_id names an account or
    its domain one of theirs: the same answer as `resolve.resolve_table`, from one join per key to a small
    table (a NULL key joins nothing)."""
    known = accounts.select(known_account="account_id")
    people = contacts.select(
        contact_key="contact_id",
        contact_placed=contacts.account_id.isin(known.known_account).fill_null(False),
    )
    domains = account_domains(accounts).select(known_domain="domain_key")
    anonymous = activities.contact_id.isnull()
    rows = activities.select(
        "occurred_at",
        "contact_id",
        account_key=ibis.ifelse(anonymous, activities.account_id, ibis.null("string")),
        domain_key=normalize_domain(ibis.ifelse(anonymous, activities.domain, ibis.null("string"))),
    )
    rows = rows.left_join(people, rows.contact_id == people.contact_key)
    rows = rows.left_join(known, rows.account_key == known.known_account)
    rows = rows.left_join(domains, rows.domain_key == domains.known_domain)
    by_account = rows.known_account.notnull() | rows.known_domain.notnull()
    return rows.select(
        "occurred_at",
        placed=ibis.ifelse(rows.contact_id.notnull(), rows.contact_placed.fill_null(False), by_account),
        of_orphan=rows.contact_key.notnull() & ~rows.contact_placed,
    )


def _kinds(ctx: Context, name: str, counts: pa.Table) -> dict[str, int]:
    """The ways rows of `name` go unused at this as-of date; they exclude one another.

    A row is after the horizon when it exists from a day after the as-of date; outside every window when
    its day (technographics: the day it was last seen) is before the first day of the widest window that
    reads the table, or when nothing reads it."""
    if name == "contacts":
        return {"orphaned": _rows(counts, counts["of_orphan"])}
    if TABLES[name].exists_from is None:
        return {}
    after = pc.fill_null(pc.greater(counts["day"], pa.scalar(ctx.as_of, pa.date32())), False)
    kept = pc.invert(after)
    if name == "opportunities":
        return {"after_horizon": _rows(counts, after), "orphaned": _rows(counts, pc.and_(kept, counts["no_account"]))}
    orphaned = pc.and_(kept, counts["of_orphan"])
    unmatched = pc.and_(pc.and_(kept, counts["no_account"]), pc.invert(orphaned))
    matched = pc.and_(pc.and_(kept, pc.invert(unmatched)), pc.invert(orphaned))
    windows = _windows(ctx, name)
    if windows is None:  # a signal reads every row before the horizon
        outside = pc.and_(matched, pa.scalar(False))
    elif not windows:  # nothing reads the table
        outside = matched
    else:
        day = counts["last_day"] if name == "technographics" else counts["day"]
        first_day = ctx.as_of + dt.timedelta(days=1 - max(windows))
        outside = pc.and_(matched, pc.fill_null(pc.less(day, pa.scalar(first_day, pa.date32())), False))
    return {
        "after_horizon": _rows(counts, after),
        "unmatched": _rows(counts, unmatched),
        "orphaned": _rows(counts, orphaned),
        "outside_windows": _rows(counts, outside),
    }


def _windows(ctx: Context, name: str) -> list[int] | None:
    """The windows in days that read `name`: the lookback (activities) and each signal's `within_days`;
    None when a signal reads every row before the horizon."""
    windows: list[int] = [ctx.model.spec.engagement.lookback_days] if name == "activities" else []
    for signal in ctx.model.signals.values():
        if signal.table == name:
            if signal.within_days is None:
                return None
            windows.append(signal.within_days)
    return windows


def _rows(counts: pa.Table, where: pa.ChunkedArray | pa.Array) -> int:
    return int(pc.sum(pc.filter(counts["rows"], where)).as_py() or 0)
