"""Evidence (SPEC §4.8, §5): for each active badge, each signal its `when` names — first a row with the
signal's value as narratives print it, then up to 5 of the most recent source rows that fed it.

A badge in grace keeps the evidence of the last run in which it held (`previous_evidence`).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from whynow.data.backends import among, upload_ids
from whynow.data.contract import IBIS_TYPES, TABLES
from whynow.data.resolve import activities_of
from whynow.model.check import CompiledSignal
from whynow.outputs.contract import arrow_schema
from whynow.pipeline import Context, Tables
from whynow.pipeline.signals import signal_conditions, signal_rows
from whynow.presentation import format_array

SOURCE_ROWS = 5
SCHEMA_TIME = IBIS_TYPES["timestamp"]  # occurred_at's, in the output contract


def gather_evidence(ctx: Context, tables: Tables, state: pa.Table, previous: pa.Table | None) -> pa.Table:
    """The evidence rows of every active badge of this run: the held badges' accounts, then their contacts,
    each in the badge state's order; then the badges in grace, with what they showed when they last held."""
    schema = arrow_schema(ctx.model, "evidence")
    holding = pc.fill_null(state["candidate"], False)
    held = state.filter(holding)
    parts = []
    for level, measures in (("account", "account_measures"), ("contact", "contact_measures")):
        mine = held.filter(pc.equal(held["entity_type"], level))
        shown = _evidence(ctx, tables, level, measures, mine) if mine.num_rows else None
        if shown is not None:
            parts.append(shown)
    if previous is not None:
        parts.append(_kept(state.filter(pc.invert(holding)), previous))
    found = [part.append_column("as_of", _repeat(ctx.as_of, part.num_rows, pa.date32())) for part in parts]
    return (
        pa.concat_tables([part.select(schema.names).cast(schema) for part in found]) if found else schema.empty_table()
    )


def _kept(in_grace: pa.Table, previous: pa.Table) -> pa.Table:
    """The last run's evidence of the badges in grace. The store returns rows in no set order: per entity
    and signal, the value row, then the source rows newest first (a NULL time, a technology still in use,
    counts as newest; ties: the highest id)."""
    keys = ["entity_type", "entity_id", "badge"]
    kept = previous.drop_columns(["as_of"]).join(in_grace.select(keys), keys=keys, join_type="inner")
    order = kept.append_column("is_value", pc.is_valid(kept["value"]))
    order = order.append_column("timeless", pc.is_null(order["occurred_at"]))
    columns = ["entity_type", "entity_id", "signal", "is_value", "timeless", "occurred_at", "source_id"]
    ways = ["ascending"] * 3 + ["descending"] * 4
    by = [(column, way, "at_end") for column, way in zip(columns, ways, strict=True)]
    return kept.take(pc.sort_indices(order, sort_keys=by))


def _evidence(ctx: Context, tables: Tables, level: str, measures: str, held: pa.Table) -> pa.Table | None:
    """Per held badge of `level` (in `held`'s order) and each signal its `when` names (in name order): the
    signal's value row, then its source rows newest first."""
    key = f"{level}_id"
    named = {d.id: _signals_of(ctx, i) for i, d in enumerate(ctx.model.spec.badges.definitions) if d.for_ == level}
    badges = [b for b in pc.unique(held["badge"]).to_pylist() if named.get(b)]
    wanted = sorted({name for badge in badges for name in named[badge]})
    if not wanted:  # their badges name no signal
        return None
    shows = pa.Table.from_pylist(
        [{"badge": b, "signal": name, "signal_order": i} for b in badges for i, name in enumerate(named[b])]
    )
    held = held.select(["entity_id", "badge"]).append_column("held_order", pa.array(range(held.num_rows), pa.int64()))
    pairs = held.join(shows, keys="badge", join_type="inner")
    ids = upload_ids(tables[measures]._find_backend(), f"evidence_{level}_ids", held["entity_id"].combine_chunks())
    found = among(tables[measures], key, ids).select(key, *wanted).to_pyarrow()
    values = pa.concat_tables(
        pa.table(
            {
                "entity_id": found[key],
                "signal": _repeat(name, found.num_rows, pa.string()),
                "value": format_array(found[name]),
            }
        )
        for name in wanted
    )
    value_rows = pairs.join(values, keys=["entity_id", "signal"], join_type="left outer")
    value_rows = value_rows.set_column(
        value_rows.schema.get_field_index("value"), "value", pc.fill_null(value_rows["value"], "unknown")
    )
    sources = _sources(ctx, tables, wanted, ids).rename_columns(
        {"signal_entity": "entity_id", "evidence_id": "source_id", "evidence_time": "occurred_at"}
    )
    source_rows = pairs.join(sources, keys=["entity_id", "signal"], join_type="inner")
    rows = pa.concat_tables(
        [value_rows.append_column("evidence_rank", _repeat(-1, value_rows.num_rows, pa.int64())), source_rows],
        promote_options="default",
    )
    by = [("held_order", "ascending"), ("signal_order", "ascending"), ("evidence_rank", "ascending")]
    rows = rows.take(pc.sort_indices(rows, sort_keys=by))
    return rows.append_column("entity_type", _repeat(level, rows.num_rows, pa.string()))


def _repeat(value: object, rows: int, kind: pa.DataType) -> pa.Array:
    return pa.repeat(pa.scalar(value, kind), rows)


def _signals_of(ctx: Context, index: int) -> list[str]:
    condition = ctx.model.conditions[("badges", "definitions", index, "when")]
    return [name for name in sorted(condition.names) if name in ctx.model.signals]


def _sources(ctx: Context, tables: Tables, names: list[str], ids: ir.Table) -> pa.Table:
    """Up to 5 newest rows that fed each signal, per signal and held entity (ties: the highest id), in
    one query over every signal: signal, signal_entity, evidence_rank (0 the newest), evidence_time,
    evidence_id and source_table."""
    signals = [ctx.model.signals[name] for name in names]
    held = {
        level: {**tables, "activities": _held_activities(ctx, tables, [s for s in signals if s.level == level], ids)}
        for level in {s.level for s in signals}
    }
    top = ibis.union(*[_newest_rows(ctx, held[s.level], s, ids) for s in signals])
    return top.to_pyarrow()


def _held_activities(ctx: Context, tables: Tables, signals: list[CompiledSignal], ids: ir.Table) -> ir.Table:
    """The activities any of `signals` reads, of the held entities `ids`, placed on their accounts: only
    those rows are placed, not every activity, and the activity signals read them from one scan."""
    rows = tables["activity_rows"]
    reading = [s for s in signals if s.table == "activities"]
    if not reading:
        return rows
    windows = [s.within_days for s in reading]
    if None not in windows:  # the widest window, on its own, is read straight from the scan
        rows = rows.filter(rows.occurred_at >= ctx.window_start(max(d for d in windows if d is not None)))
    mine = [signal_conditions(ctx, s, rows) for s in reading]
    if all(mine):  # a signal without window nor `where` reads every row
        rows = rows.filter(ibis.or_(*[ibis.and_(*conditions) for conditions in mine]))
    if signals[0].level == "account":  # `signals` are of one level
        rows = activities_of(rows, ids, tables["accounts"], tables["contacts"])
    return rows


def _newest_rows(ctx: Context, tables: Tables, signal: CompiledSignal, ids: ir.Table) -> ir.Table:
    rows = among(signal_rows(ctx, signal, tables), "signal_entity", ids)
    spec = TABLES[signal.table]
    time = rows[spec.time_column or ""]
    instant = time.cast(SCHEMA_TIME)  # a date (technographics) is its midnight UTC
    source_id: ir.StringValue = rows.technology if signal.table == "technographics" else rows[spec.id_column or ""]
    order = [instant.isnull().desc(), instant.desc(nulls_first=False), source_id.desc(nulls_first=False)]
    ranked = rows.select(
        signal=ibis.literal(signal.name),
        source_table=ibis.literal(signal.table),
        signal_entity=rows.signal_entity.cast("string"),
        evidence_rank=ibis.row_number().over(group_by=rows.signal_entity, order_by=order),
        evidence_time=instant,
        evidence_id=source_id.cast("string"),
    )
    return ranked.filter(ranked.evidence_rank < SOURCE_ROWS)
