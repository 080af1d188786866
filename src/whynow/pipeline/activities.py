"""The one pass over the activities (SPEC §3, §4.3, §4.7): every aggregate the model takes from them, in
one grouped query, placed on accounts after it is grouped.

Where a row belongs depends only on its `contact_id`, `account_id` and `domain` (SPEC §3): so the rows
are grouped by those three first — the contact, or for a row without one the account id and domain it
spells — and only the groups, thousands where the rows are millions, are resolved to their contact and
account. Each group carries, for the rows before the horizon:

* per engagement rule i (rows inside the lookback): `raw_i`, the sum of its decayed points, and `rows_i`,
  the rows it matched; `lookback_rows`, `recent_activities`, `hand_raised` and `last_activity_at`;
* per signal on activities whose measure adds up across groups (`signal_<name>`): count, exists, sum,
  max, min, and for days_since the newest row's time. count_distinct and latest do not add up, and are
  read row by row (`signals.signal_rows`).

`activity_groups` then has one row per group that reaches someone — a known contact, or an account for a
row without contact — with `known`, `contact_id` and `account_id` (resolved), and the columns above.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.data.resolve import RESOLVED, resolve_table
from whynow.model.check import CompiledSignal
from whynow.model.compile import compile_predicate
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables

# Measures whose per-group results give the per-entity result: each with how the groups' values combine.
ADDS_UP = frozenset({"count", "exists", "sum", "max", "min", "days_since"})
KEY = ("contact_id", "account_id", "domain")  # what places a row (SPEC §3)


def takes_groups(signal: CompiledSignal) -> bool:
    """Whether a signal is taken from `activity_groups` rather than read row by row."""
    return signal.table == "activities" and signal.measure.kind in ADDS_UP


def signal_column(signal: CompiledSignal) -> str:
    return f"signal_{signal.name}"


def group_activities(ctx: Context, tables: Tables) -> Tables:
    """`activity_groups`: the activities before the horizon, grouped by what places them, with every
    aggregate of the engagement rules and of the grouped signals."""
    rows = tables["activity_rows"]
    spec = ctx.model.spec.engagement
    signals = [s for s in ctx.model.signals.values() if takes_groups(s)]
    windows = [spec.lookback_days] + [s.within_days for s in signals]
    widest = None if None in windows else max(d for d in windows if d is not None)
    if widest is not None:  # nothing older than the widest window is read
        rows = rows.filter(rows.occurred_at >= ctx.window_start(widest))
    half_life = spec.half_life_days
    decay = ibis.literal(0.5) ** (ctx.age_days(rows.occurred_at) / half_life) if half_life else ibis.literal(1.0)
    rows = rows.mutate(decay=decay)  # a column even when it is the constant 1
    # Every row left is inside the lookback when it is the widest window: no aggregate tests it then.
    whole = widest == spec.lookback_days
    in_lookback = rows.occurred_at >= ctx.window_start(spec.lookback_days)
    recent = rows.occurred_at >= ctx.window_start(ctx.model.spec.buying_committee.engaged_within_days)
    aggregates: dict[str, ir.Value] = {}
    engaging: ir.BooleanValue = ibis.literal(False)
    hand_raiser: ir.BooleanValue = ibis.literal(False)
    for i, rule in enumerate(spec.rules):
        condition = ctx.model.conditions[("engagement", "rules", i, "when")]
        matched = compile_predicate(condition, rows)  # NULL reads as false already
        if not whole:
            matched = in_lookback & matched
        elif isinstance(matched, ir.Scalar):  # a constant condition (`TRUE`): a column of it, to count
            matched = rows.occurred_at.notnull() & matched
        aggregates[f"raw_{i}"] = (rows.decay * float(rule.points)).sum(where=matched)
        aggregates[f"rows_{i}"] = matched.sum()
        if rule.points > 0:
            engaging = engaging | matched
        if rule.hand_raiser:
            hand_raiser = hand_raiser | matched
    aggregates["lookback_rows"] = rows.count() if whole else in_lookback.sum()
    aggregates["recent_activities"] = (engaging & recent).sum()
    aggregates["hand_raised"] = (hand_raiser & in_lookback).any()  # a column, with no hand-raising rule too
    aggregates["last_activity_at"] = rows.occurred_at.max() if whole else rows.occurred_at.max(where=in_lookback)
    for signal in signals:
        aggregates[signal_column(signal)] = _partial(ctx, signal, rows)
    keys = {name: ibis.ifelse(rows.contact_id.isnull(), rows[name], ibis.null("string")) for name in KEY[1:]}
    groups = rows.group_by(contact_id=rows.contact_id, **keys).aggregate(**aggregates)
    placed = resolve_table("activities", groups, tables["accounts"], tables["contacts"])
    contacts = tables["contacts"].select(known_contact="contact_id")
    placed = placed.left_join(contacts, placed.contact_id == contacts.known_contact)
    placed = placed.mutate(known=placed.known_contact.notnull())
    # A contact_id that names no contact is unmatched (SPEC §3): it reaches no one.
    reached = placed.filter(placed.known | (placed.contact_id.isnull() & placed[RESOLVED].notnull()))
    columns = [c for c in groups.columns if c not in KEY]
    result = reached.select("known", "contact_id", *columns, account_id=reached[RESOLVED])
    return {**tables, "activity_groups": result.select("known", "contact_id", "account_id", *columns)}


def _partial(ctx: Context, signal: CompiledSignal, rows: ir.Table) -> ir.Value:
    """A grouped signal's value per group: its rows are those of its window and `where`."""
    inside = rows.occurred_at.notnull()  # every row (occurred_at is required), as a column
    if signal.within_days is not None:
        inside = rows.occurred_at >= ctx.window_start(signal.within_days)
    if signal.where is not None:
        inside = inside & compile_predicate(signal.where, rows).fill_null(False)
    kind, column = signal.measure.kind, signal.measure.column
    if kind in ("count", "exists"):
        return inside.sum()  # exists: a count above 0 once the groups are added up
    if kind == "days_since":
        return rows.occurred_at.max(where=inside)
    assert column is not None
    value = rows[column]
    return {"sum": value.sum, "max": value.max, "min": value.min}[kind](where=inside)


def combine(signal: CompiledSignal, value: ir.Value) -> ir.Value:
    """The groups' partial values of one entity combined into the entity's (before its final form)."""
    kind = signal.measure.kind
    if kind in ("count", "exists", "sum"):
        return value.sum()
    if kind == "min":
        return value.min()
    return value.max()  # max, and days_since's newest time
