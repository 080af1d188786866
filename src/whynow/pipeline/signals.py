"""Signals (SPEC §4.7): one named, time-windowed measure per account or contact, from an event table.

Each signal is one grouped query over its table's rows before the horizon, inside its window and its
`where`; the results are joined onto every account (or contact), with 0/false for count/exists of no
rows and NULL for the other measures.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.data.contract import TABLES
from whynow.data.resolve import RESOLVED
from whynow.model.check import CompiledSignal
from whynow.model.compile import compile_predicate
from whynow.pipeline.activities import combine, signal_column, takes_groups
from whynow.pipeline.context import Context, rounded
from whynow.pipeline.tables import Tables, attach

_KEY = {"account": RESOLVED, "contact": "contact_id"}


def compute_signals(ctx: Context, tables: Tables) -> Tables:
    """`account_signals` (account_id + one column per account signal) and `contact_signals`."""
    out = dict(tables)
    for level, entity, id_column in (("account", "accounts", "account_id"), ("contact", "contacts", "contact_id")):
        result = tables[entity].select(id_column)
        for signal in ctx.model.signals.values():
            if signal.level != level:
                continue
            result = attach(result, _measure(ctx, signal, tables), id_column)
            if signal.measure.kind in ("count", "count_distinct"):
                result = result.mutate(**{signal.name: result[signal.name].fill_null(0)})
            elif signal.measure.kind == "exists":
                result = result.mutate(**{signal.name: result[signal.name].fill_null(False)})
        out[f"{level}_signals"] = result
    return out


def signal_rows(ctx: Context, signal: CompiledSignal, tables: Tables) -> ir.Table:
    """The signal's rows: its table at the horizon, inside its window, matching its `where`."""
    table = inside_signal(ctx, signal, tables[signal.table])
    key = _KEY[signal.level]
    return table.filter(table[key].notnull()).mutate(signal_entity=table[key])


def inside_signal(ctx: Context, signal: CompiledSignal, table: ir.Table) -> ir.Table:
    """The rows of `table` (the signal's table, or part of it) inside the signal's window that match its
    `where`."""
    conditions = signal_conditions(ctx, signal, table)
    return table.filter(*conditions) if conditions else table


def signal_conditions(ctx: Context, signal: CompiledSignal, table: ir.Table) -> list[ir.BooleanValue]:
    """What a row of `table` meets to be inside the signal's window and match its `where` (none: every
    row is)."""
    time = TABLES[signal.table].time_column
    assert time is not None
    conditions: list[ir.BooleanValue] = []
    if signal.within_days is not None:
        if signal.table == "technographics":
            # SPEC §4.7: last_seen NULL is still in use; a last_seen after the as-of date is inside.
            since = ctx.window_start_date(signal.within_days)
            conditions.append(table.last_seen.isnull() | (table.last_seen >= since))
        else:
            conditions.append(table[time] >= ctx.window_start(signal.within_days))
    if signal.where is not None:
        conditions.append(compile_predicate(signal.where, table))
    return conditions


def _measure(ctx: Context, signal: CompiledSignal, tables: Tables) -> ir.Table:
    id_column = "account_id" if signal.level == "account" else "contact_id"
    if takes_groups(signal):
        return _from_groups(ctx, signal, tables["activity_groups"], id_column)
    rows = signal_rows(ctx, signal, tables)
    kind, column = signal.measure.kind, signal.measure.column
    time_name = TABLES[signal.table].time_column
    assert time_name is not None
    grouped = rows.group_by(**{id_column: rows.signal_entity})
    if kind == "count":
        return grouped.aggregate(**{signal.name: rows.count()})
    if kind == "exists":
        return grouped.aggregate(**{signal.name: rows.count() > 0})
    if kind == "days_since":
        time = rows[time_name]
        day = time.date() if time.type().is_timestamp() else time
        latest = ibis.greatest(ctx.days_since(day.max()), ibis.literal(0))
        if signal.table == "technographics":
            latest = ibis.ifelse(time.isnull().any(), ibis.literal(0), latest)
        return grouped.aggregate(**{signal.name: latest.cast("int64")})
    assert column is not None
    value = rows[column]
    if kind == "latest":
        return _latest(rows, signal, id_column, time_name, column)
    aggregate = {
        "count_distinct": lambda: value.nunique(),
        "sum": lambda: value.sum(),
        "max": lambda: value.max(),
        "min": lambda: value.min(),
    }[kind]()  # only the one asked for: text has max and min but no sum
    if aggregate.type().is_floating():
        aggregate = rounded(aggregate)
    return grouped.aggregate(**{signal.name: aggregate})


def _from_groups(ctx: Context, signal: CompiledSignal, groups: ir.Table, id_column: str) -> ir.Table:
    """A signal the one pass over the activities took per group (`activities.py`), combined per entity."""
    groups = groups.filter(groups[id_column].notnull())
    combined = groups.group_by(id_column).aggregate(partial=combine(signal, groups[signal_column(signal)]))
    kind, value = signal.measure.kind, combined.partial
    if kind == "exists":
        return combined.select(id_column, **{signal.name: value > 0})
    if kind == "count":
        return combined.select(id_column, **{signal.name: value})
    # An entity none of whose groups holds a row of the signal has no value (and no days_since).
    combined = combined.filter(value.notnull())
    if kind == "days_since":
        value = ibis.greatest(ctx.days_since(combined.partial.date()), ibis.literal(0)).cast("int64")
    elif value.type().is_floating():
        value = rounded(combined.partial)
    else:
        value = combined.partial
    return combined.select(id_column, **{signal.name: value})


def _latest(rows: ir.Table, signal: CompiledSignal, id_column: str, time_name: str, column: str) -> ir.Table:
    """The value on the most recent row, NULL included (DuckDB's arg_max would skip NULLs): newest first,
    a NULL last_seen counting as newest (technographics), then the highest id as text, then the greatest
    value."""
    time = rows[time_name]
    order = (
        [time.isnull().desc(), time.desc(nulls_first=False)]
        if signal.table == "technographics"
        else [time.desc(nulls_first=False)]
    )
    table_id = TABLES[signal.table].id_column
    if table_id is not None:
        order.append(rows[table_id].desc(nulls_first=False))
    order.append(rows[column].desc(nulls_first=False))
    ranked = rows.mutate(signal_rank=ibis.row_number().over(group_by=rows.signal_entity, order_by=order))
    first = ranked.filter(ranked.signal_rank == 0)
    value = first[column]
    if value.type().is_floating():
        value = rounded(value)
    return first.select(**{id_column: first.signal_entity, signal.name: value})
