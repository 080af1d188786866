"""The run summary (SPEC §3): per table, rows read, after the horizon, outside every window, unmatched,
orphaned, rejected and used — one grouped query per table, from the validated inputs.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.data.contract import TABLES
from whynow.data.resolve import RESOLVED, resolve_accounts
from whynow.data.validate import Validated
from whynow.pipeline import Context

KINDS = ("read", "after_horizon", "outside_windows", "unmatched", "orphaned", "rejected", "used")


def summarize(ctx: Context, validated: Validated) -> dict[str, dict[str, int]]:
    """{table: {kind: rows}} for every table the source holds; `used` is what is left of `read`."""
    tables = dict(validated.tables)
    tables.update(resolve_accounts(tables))
    accounts = tables["accounts"].select(known_account="account_id")
    contacts = tables["contacts"]
    contacts = contacts.left_join(accounts, contacts.account_id == accounts.known_account).select(
        known_contact=contacts.contact_id, orphan_contact=accounts.known_account.isnull()
    )
    summary: dict[str, dict[str, int]] = {}
    for name, counted in validated.counts.items():
        flags = _flags(ctx, name, tables[name], accounts, contacts)
        row = tables[name].mutate(**flags) if flags else tables[name]
        totals = row.aggregate(**{k: ibis.ifelse(row[k], 1, 0).sum() for k in flags}) if flags else None
        found = totals.to_pyarrow().to_pylist()[0] if totals is not None else {}
        kinds = {kind: int(found.get(kind) or 0) for kind in KINDS if kind not in ("read", "rejected", "used")}
        kinds["read"], kinds["rejected"] = counted["read"], counted.get("rejected", 0)
        kinds["used"] = kinds["read"] - sum(v for k, v in kinds.items() if k != "read")
        summary[name] = {kind: kinds[kind] for kind in KINDS}
    return summary


def _flags(
    ctx: Context, name: str, table: ir.Table, accounts: ir.Table, contacts: ir.Table
) -> dict[str, ir.BooleanValue]:
    """Boolean columns marking each way a row of `name` can go unused; they exclude one another."""
    if name == "contacts":
        return {"orphaned": ~table.account_id.isin(accounts.known_account).fill_null(False)}
    start = TABLES[name].exists_from
    if start is None:
        return {}
    if name == "technographics":
        after = table.first_seen.notnull() & (table.first_seen > ctx.as_of_value())
    else:
        after = ~ctx.before_horizon(table[start])
    if name == "opportunities":
        known = table.account_id.isin(accounts.known_account).fill_null(False)
        return {"after_horizon": after, "orphaned": ~after & ~known}
    no_account = table[RESOLVED].isnull() | ~table[RESOLVED].isin(accounts.known_account).fill_null(False)
    orphaned = ibis.literal(False)
    if name == "activities":
        of_orphan = table.contact_id.isin(contacts.filter(contacts.orphan_contact).known_contact).fill_null(False)
        orphaned = ~after & of_orphan
    unmatched = ~after & no_account & ~orphaned
    outside = ~after & ~unmatched & ~orphaned & _before_every_window(ctx, name, table)
    return {"after_horizon": after, "unmatched": unmatched, "orphaned": orphaned, "outside_windows": outside}


def _before_every_window(ctx: Context, name: str, table: ir.Table) -> ir.BooleanValue:
    """Older than the lookback (activities) and than every signal window on this table."""
    windows: list[int] = [ctx.model.spec.engagement.lookback_days] if name == "activities" else []
    for signal in ctx.model.signals.values():
        if signal.table == name:
            if signal.within_days is None:
                return ibis.literal(False)  # a signal over all rows before the horizon uses every row
            windows.append(signal.within_days)
    if not windows:
        return ibis.literal(True)
    if name == "technographics":
        return table.last_seen.notnull() & (table.last_seen < ctx.window_start_date(max(windows)))
    time = TABLES[name].time_column
    assert time is not None
    return table[time] < ctx.window_start(max(windows))
