"""Why-now badges (SPEC §4.8): today's candidates resolved against the previous state, set-based.

    candidates   every definition whose `when` holds today, per account (and per contact, `for: contact`)
    state        the badge active after the previous run, with `last_held`; eligible while
                 as_of < last_held + expires_after_days (last_held is today when it is a candidate)
    winner       the best archetype (order of `precedence`), then the earliest definition in the file
    episode      badge_since stays while the same badge stays active

The previous state comes in as `previous_badges` (entity_type, entity_id, badge, badge_since, last_held);
without it the run is the first of a history. Out come `account_badges` and `contact_badges`: one row
per entity that has or had a badge, with the winner, its dates and the change against the state; and
`account_candidates` / `contact_candidates`, every definition that held today (what `explain` shows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from whynow.model.compile import compile_predicate
from whynow.model.schema import BadgeDefinition
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables, empty_table

Level = Literal["account", "contact"]
STATE_SCHEMA = {
    "entity_type": "string",
    "entity_id": "string",
    "badge": "string",
    "badge_since": "date",
    "last_held": "date",
}
_NONE = 10**6  # sorts after every real rank


def resolve_badges(ctx: Context, tables: Tables) -> Tables:
    """`account_badges` and `contact_badges` (see the module docstring)."""
    previous = tables.get("previous_badges")
    if previous is None:
        previous = empty_table(tables["accounts"], STATE_SCHEMA)
    out = dict(tables)
    for level, source, key in (
        ("account", "account_measures", "account_id"),
        ("contact", "contact_measures", "contact_id"),
    ):
        definitions = [d for d in ctx.model.spec.badges.definitions if d.for_ == level]
        state = previous.filter(previous.entity_type == level)
        out[f"{level}_badges"] = _resolve(ctx, definitions, tables[source], key, state)
        out[f"{level}_candidates"] = _candidates(ctx, definitions, tables[source], key)
    return out


def _resolve(
    ctx: Context, definitions: list[BadgeDefinition], entities: ir.Table, key: str, state: ir.Table
) -> ir.Table:
    candidates = _candidates(ctx, definitions, entities, key)
    state = state.select(entity_id="entity_id", old_badge="badge", old_since="badge_since", old_last_held="last_held")
    today = ctx.as_of_value()
    # The current badge, if any: still a candidate today (held again) or in grace (SPEC §4.8 step 2).
    held_again = state.join(candidates, [state.entity_id == candidates.entity_id, state.old_badge == candidates.badge])
    held_ids = held_again.select(held_entity=state.entity_id)
    expires = by_badge(definitions, state.old_badge, lambda d: ibis.literal(d.expires_after_days), ibis.null("int64"))
    in_grace = state.filter(
        ~state.entity_id.isin(held_ids.held_entity).fill_null(False)
        & (today < _plus_days(state.old_last_held, expires)).fill_null(False)  # removed definitions: never
    ).select(entity_id="entity_id", badge="old_badge", candidate=ibis.literal(False))
    pool = ibis.union(candidates.select("entity_id", "badge", candidate=ibis.literal(True)), in_grace)
    ranked = pool.mutate(
        rank=ibis.row_number().over(
            group_by=pool.entity_id,
            order_by=[archetype_rank(ctx, definitions, pool.badge), definition_rank(definitions, pool.badge)],
        )
    )
    winners = ranked.filter(ranked["rank"] == 0).select("entity_id", "badge", "candidate")
    everyone = winners.outer_join(state, winners.entity_id == state.entity_id)
    entity_id = ibis.coalesce(everyone.entity_id, everyone.entity_id_right)
    badge = everyone.badge
    continues = badge.notnull() & (badge == everyone.old_badge).fill_null(False)
    last_held = ibis.ifelse(everyone.candidate.fill_null(False), today, everyone.old_last_held)
    days = by_badge(definitions, badge, lambda d: ibis.literal(d.expires_after_days), ibis.null("int64"))
    old_eligible = _old_eligible(definitions, everyone, held_ids, today)
    change = ibis.cases(
        (everyone.old_badge.isnull() & badge.notnull(), ibis.literal("badge_assigned")),
        (everyone.old_badge.notnull() & badge.isnull(), ibis.literal("badge_expired")),
        (everyone.old_badge.notnull() & badge.notnull() & ~continues, ibis.literal("badge_replaced")),
        else_=ibis.null("string"),
    )
    reason = ibis.ifelse(
        change == "badge_replaced", ibis.ifelse(old_eligible, "outranked", "expired"), ibis.null("string")
    )
    return everyone.select(
        **{key: entity_id},
        badge=badge,
        candidate=everyone.candidate.fill_null(False),
        badge_since=ibis.ifelse(continues, everyone.old_since, ibis.ifelse(badge.notnull(), today, ibis.null("date"))),
        last_held=ibis.ifelse(badge.notnull(), last_held, ibis.null("date")),
        badge_expires_on=ibis.ifelse(badge.notnull(), _plus_days(last_held, days), ibis.null("date")),
        old_badge=everyone.old_badge,
        change=change,
        change_reason=reason,
    )


def _old_eligible(
    definitions: list[BadgeDefinition], everyone: ir.Table, held_ids: ir.Table, today: ir.DateValue
) -> ir.BooleanValue:
    """Was the previous badge still eligible today (held again, or inside its grace period)?"""
    expires = by_badge(
        definitions, everyone.old_badge, lambda d: ibis.literal(d.expires_after_days), ibis.null("int64")
    )
    again = everyone.entity_id_right.isin(held_ids.held_entity).fill_null(False)
    return again | (today < _plus_days(everyone.old_last_held, expires)).fill_null(False)


def _candidates(ctx: Context, definitions: list[BadgeDefinition], entities: ir.Table, key: str) -> ir.Table:
    """One row per entity and definition whose `when` holds today."""
    all_definitions = ctx.model.spec.badges.definitions
    parts = []
    for definition in definitions:
        index = all_definitions.index(definition)
        condition = ctx.model.conditions[("badges", "definitions", index, "when")]
        held = entities.filter(compile_predicate(condition, entities))
        parts.append(held.select(entity_id=held[key].cast("string"), badge=ibis.literal(definition.id)))
    if not parts:
        return empty_table(entities, {"entity_id": "string", "badge": "string"})
    return ibis.union(*parts)


def by_badge(
    definitions: list[BadgeDefinition],
    badge: ir.StringValue,
    value: Callable[[BadgeDefinition], ir.Value],
    default: ir.Value,
) -> Any:
    """A per-definition value for a column of badge ids, as one CASE (definitions are few)."""
    branches = [(badge == d.id, value(d)) for d in definitions]
    return ibis.cases(*branches, else_=default) if branches else default


def archetype_rank(ctx: Context, definitions: list[BadgeDefinition], badge: ir.StringValue) -> ir.IntegerValue:
    order = ctx.model.spec.badges.precedence
    return by_badge(definitions, badge, lambda d: ibis.literal(order.index(d.archetype)), ibis.literal(_NONE))


def definition_rank(definitions: list[BadgeDefinition], badge: ir.StringValue) -> ir.IntegerValue:
    ranks = {d.id: i for i, d in enumerate(definitions)}
    return by_badge(definitions, badge, lambda d: ibis.literal(ranks[d.id]), ibis.literal(_NONE))


def _plus_days(day: ir.DateValue, days: ir.IntegerValue) -> ir.DateValue:
    """A date plus whole days, as a date on every backend: DuckDB's date + interval is a timestamp, and
    Ibis, which types it a date, leaves a cast to date out of the SQL; the cast through timestamp stays."""
    return (day + days.as_interval("D")).cast("timestamp").cast("date")
