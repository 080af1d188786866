"""Evidence (SPEC §4.8, §5): for each active badge, each signal its `when` names — first a row with the
signal's value as narratives print it, then up to 5 of the most recent source rows that fed it.

A badge in grace keeps the evidence of the last run in which it held (`previous_evidence`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from whynow.data.backends import among, upload_ids
from whynow.data.contract import IBIS_TYPES, TABLES
from whynow.data.resolve import activities_of
from whynow.model.check import CompiledSignal
from whynow.outputs.contract import arrow_schema
from whynow.pipeline import Context, Tables
from whynow.pipeline.signals import signal_conditions, signal_rows
from whynow.presentation import format_value

SOURCE_ROWS = 5
SCHEMA_TIME = IBIS_TYPES["timestamp"]  # occurred_at's, in the output contract


def gather_evidence(ctx: Context, tables: Tables, state: pa.Table, previous: pa.Table | None) -> pa.Table:
    """The evidence rows of every active badge of this run."""
    rows: list[dict[str, Any]] = []
    held = [r for r in state.to_pylist() if r["candidate"]]
    in_grace = {(r["entity_type"], r["entity_id"], r["badge"]) for r in state.to_pylist() if not r["candidate"]}
    for level, measures in (("account", "account_measures"), ("contact", "contact_measures")):
        mine = [r for r in held if r["entity_type"] == level]
        if mine:
            rows += _evidence(ctx, tables, level, measures, mine)
    if previous is not None:
        kept = [r for r in previous.to_pylist() if (r["entity_type"], r["entity_id"], r["badge"]) in in_grace]
        # the store returns rows in no set order: each signal's value row, then its sources newest first
        kept.sort(key=lambda r: (r["entity_type"], r["entity_id"], r["signal"], r["value"] is None))
        rows += [{**r, "as_of": ctx.as_of} for r in _newest_first(kept)]
    return pa.Table.from_pylist(rows, schema=arrow_schema(ctx.model, "evidence"))


def _newest_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per entity and signal: the value row, then the source rows newest first (a NULL time, a
    technology still in use, counts as newest; ties: the highest id)."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["entity_type"], row["entity_id"], row["signal"]), []).append(row)
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    result: list[dict[str, Any]] = []
    for group in groups.values():
        sources = [r for r in group if r["value"] is None]
        sources.sort(
            key=lambda r: (r["occurred_at"] is None, r["occurred_at"] or oldest, r["source_id"] or ""), reverse=True
        )
        result += [r for r in group if r["value"] is not None] + sources
    return result


def _evidence(
    ctx: Context, tables: Tables, level: str, measures: str, held: list[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    key = f"{level}_id"
    named = {d.id: _signals_of(ctx, i) for i, d in enumerate(ctx.model.spec.badges.definitions) if d.for_ == level}
    wanted = sorted({s for r in held for s in named.get(r["badge"], [])})
    if not wanted:
        return []
    table = tables[measures]
    ids = upload_ids(table._find_backend(), f"evidence_{level}_ids", [r["entity_id"] for r in held])
    mine = among(table, key, ids)
    values = {r[key]: r for r in mine.select(key, *wanted).to_pyarrow().to_pylist()}
    sources = _sources(ctx, tables, wanted, ids)
    out: list[dict[str, Any]] = []
    for r in held:
        for name in named.get(r["badge"], []):
            base = {"as_of": ctx.as_of, "entity_type": level, "entity_id": r["entity_id"], "badge": r["badge"]}
            value = format_value(values.get(r["entity_id"], {}).get(name))
            out.append({**base, "signal": name, "value": value})
            out += [{**base, "signal": name, **source} for source in sources.get((name, r["entity_id"]), [])]
    return out


def _signals_of(ctx: Context, index: int) -> list[str]:
    condition = ctx.model.conditions[("badges", "definitions", index, "when")]
    return [name for name in sorted(condition.names) if name in ctx.model.signals]


def _sources(
    ctx: Context, tables: Tables, names: list[str], ids: ir.Table
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Up to 5 newest rows that fed each signal, per signal and held entity (ties: the highest id), in
    one query over every signal."""
    signals = [ctx.model.signals[name] for name in names]
    held = {
        level: {**tables, "activities": _held_activities(ctx, tables, [s for s in signals if s.level == level], ids)}
        for level in {s.level for s in signals}
    }
    top = ibis.union(*[_newest_rows(ctx, held[s.level], s, ids) for s in signals])
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in top.order_by("signal", "signal_entity", "evidence_rank").to_pyarrow().to_pylist():
        found.setdefault((row["signal"], str(row["signal_entity"])), []).append(
            {"value": None, "source_table": row["source_table"], "source_id": row["evidence_id"],
             "occurred_at": row["evidence_time"]}
        )  # fmt: skip
    return found


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
