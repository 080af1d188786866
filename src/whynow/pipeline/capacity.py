"""Capacity (SPEC §4.9): surface no more badged accounts to a rep than the rep can work.

Badged accounts are grouped by their route target (the winning badge's `route_to` column), ordered by
archetype, then incumbents (surfaced in the previous run), then `rank_by` descending, then account_id;
the first `capacity` are surfaced with queue_rank 1…n, the rest held. Accounts without a route target
share the `unassigned` queue and are held with 'no owner' beyond its size.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.model.compile import compile_value
from whynow.pipeline.badges import archetype_rank, by_badge
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables, attach, empty_table

QUEUE_STATE_SCHEMA = {"account_id": "string", "was_surfaced": "boolean"}


def assign_queues(ctx: Context, tables: Tables) -> Tables:
    """`account_queue`: account_id, route_to, queue ('surfaced' | 'held'), queue_rank, held_reason."""
    model = ctx.model
    definitions = [d for d in model.spec.badges.definitions if d.for_ == "account"]
    badges = tables["account_badges"].filter(lambda b: b.badge.notnull())
    accounts = attach(tables["account_measures"], badges.select("account_id", "badge"), "account_id")
    badged = accounts.filter(accounts.badge.notnull())
    previous = tables.get("previous_queue")
    if previous is None:
        previous = empty_table(tables["accounts"], QUEUE_STATE_SCHEMA)
    badged = attach(badged, previous.filter(previous.was_surfaced).select("account_id", "was_surfaced"), "account_id")
    target = by_badge(definitions, badged.badge, lambda d: badged[d.route_to].cast("string"), ibis.null("string"))
    rank_by = model.conditions[("capacity", "rank_by")]
    badged = badged.mutate(
        route_target=target,
        archetype_rank=archetype_rank(ctx, definitions, badged.badge),
        incumbent=ibis.ifelse(badged.was_surfaced.fill_null(False), 0, 1),
        rank_value=compile_value(rank_by, badged).cast("float64"),
    )
    order = [
        badged.archetype_rank,
        badged.incumbent,
        badged.rank_value.desc(nulls_first=False),
        badged.account_id,
    ]
    ranked = badged.mutate(position=ibis.row_number().over(group_by=badged.route_target, order_by=order))
    reps = tables["reps"].select(rep_key="rep_id", rep_capacity="capacity", rep_role="role")
    ranked = ranked.left_join(reps, ranked.route_target == reps.rep_key)
    ranked = ranked.mutate(capacity=_capacity(ctx, ranked))
    surfaced = ranked.position < ranked.capacity
    queue = ranked.select(
        "account_id",
        route_to=ranked.route_target,
        queue=ibis.ifelse(surfaced, "surfaced", "held"),
        queue_rank=ibis.ifelse(surfaced, ranked.position + 1, ibis.null("int64")),
        held_reason=ibis.cases(
            (surfaced, ibis.null("string")),
            (ranked.route_target.isnull(), ibis.literal("no owner")),
            else_=ibis.literal("over capacity"),
        ),
    )
    return {**tables, "account_queue": queue, "rep_capacity": _rep_capacity(ctx, tables["reps"], queue)}


def _rep_capacity(ctx: Context, reps: ir.Table, queue: ir.Table) -> ir.Table:
    """Every rep with the capacity that applies to them and how much of it the queue uses."""
    spec = ctx.model.spec.capacity
    by_role = [(reps.role == role, ibis.literal(size)) for role, size in spec.per_role.items()]
    default = ibis.literal(spec.default_per_rep)
    role_capacity = ibis.cases(*by_role, else_=default) if by_role else default
    surfaced = queue.filter(queue.queue == "surfaced")
    used = surfaced.group_by(rep_id=surfaced.route_to).aggregate(used_capacity=surfaced.count())
    with_used = attach(reps.mutate(capacity=ibis.coalesce(reps.capacity, role_capacity).cast("int64")), used, "rep_id")
    return with_used.mutate(used_capacity=with_used.used_capacity.fill_null(0))


def _capacity(ctx: Context, ranked: ir.Table) -> ir.IntegerValue:
    """The rep's capacity, else per_role of the rep's role, else default_per_rep; `unassigned` for none."""
    spec = ctx.model.spec.capacity
    by_role = [(ranked.rep_role == role, ibis.literal(size)) for role, size in spec.per_role.items()]
    default = ibis.literal(spec.default_per_rep)
    role_capacity = ibis.cases(*by_role, else_=default) if by_role else default
    capacity = ibis.ifelse(
        ranked.route_target.isnull(), ibis.literal(spec.unassigned), ibis.coalesce(ranked.rep_capacity, role_capacity)
    )
    return capacity.cast("int64")
