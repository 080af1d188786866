"""Capacity (SPEC §4.9): surface no more badged accounts to a rep than the rep can work.

Badged accounts are grouped by their route target (the winning badge's `route_to` column), ordered by
archetype, then incumbents (surfaced in the previous run), then `rank_by` descending, then account_id;
the first `capacity` are surfaced with queue_rank 1…n, the rest held. Accounts without a route target
share the `unassigned` queue and are held with 'no owner' beyond its size.

Sales feedback (SPEC §13) comes first: an account whose route target's latest verdict before the horizon is
`not_now` or `wrong_fit`, given within `feedback.not_now_days` / `wrong_fit_days` of the as-of date, is held
with that verdict's reason and takes no place, unless its badge now is of a strictly higher archetype than
the badge it had when the verdict was given.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.model.compile import compile_value
from whynow.pipeline.badges import archetype_rank, by_badge
from whynow.pipeline.context import UTC_TIMESTAMP, Context
from whynow.pipeline.tables import Tables, attach, empty_table

QUEUE_STATE_SCHEMA = {"account_id": "string", "was_surfaced": "boolean"}
FEEDBACK_SCHEMA = {
    "given_at": UTC_TIMESTAMP,
    "account_id": "string",
    "rep_id": "string",
    "verdict": "string",
    "note": "string",
    "badge": "string",
    "source": "string",
    "given_by": "string",
}
HELD_BY_FEEDBACK = {"not_now": "not now (sales feedback)", "wrong_fit": "wrong fit (sales feedback)"}


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
    badged = _with_feedback_hold(ctx, tables, badged)
    order = [
        badged.archetype_rank,
        badged.incumbent,
        badged.rank_value.desc(nulls_first=False),
        badged.account_id,
    ]
    held_back = badged.feedback_hold.notnull()  # ranked apart: they take no place
    ranked = badged.mutate(position=ibis.row_number().over(group_by=[badged.route_target, held_back], order_by=order))
    reps = tables["reps"].select(rep_key="rep_id", rep_capacity="capacity", rep_role="role")
    ranked = ranked.left_join(reps, ranked.route_target == reps.rep_key)
    ranked = ranked.mutate(capacity=_capacity(ctx, ranked))
    surfaced = ranked.feedback_hold.isnull() & (ranked.position < ranked.capacity)
    queue = ranked.select(
        "account_id",
        route_to=ranked.route_target,
        queue=ibis.ifelse(surfaced, "surfaced", "held"),
        queue_rank=ibis.ifelse(surfaced, ranked.position + 1, ibis.null("int64")),
        held_reason=ibis.cases(
            (surfaced, ibis.null("string")),
            (ranked.feedback_hold.notnull(), ranked.feedback_hold),
            (ranked.route_target.isnull(), ibis.literal("no owner")),
            else_=ibis.literal("over capacity"),
        ),
    )
    return {**tables, "account_queue": queue, "rep_capacity": _rep_capacity(ctx, tables["reps"], queue)}


def _with_feedback_hold(ctx: Context, tables: Tables, badged: ir.Table) -> ir.Table:
    """`badged` with `feedback_hold`: the held reason its sales feedback gives it now (SPEC §13), else NULL."""
    model = ctx.model
    definitions = [d for d in model.spec.badges.definitions if d.for_ == "account"]
    feedback = tables.get("feedback")
    if feedback is None:
        feedback = empty_table(tables["accounts"], FEEDBACK_SCHEMA)
    given = feedback.filter(ctx.before_horizon(feedback.given_at))
    latest = given.mutate(
        latest=ibis.row_number().over(
            group_by=[given.account_id, given.rep_id], order_by=[given.given_at.desc(), given.verdict.desc()]
        )
    )
    latest = latest.filter(latest.latest == 0).select(
        fb_account="account_id", fb_rep="rep_id", fb_verdict="verdict", fb_given_at="given_at", fb_badge="badge"
    )
    joined = badged.select("account_id", "route_target", "archetype_rank").left_join(
        latest, [badged.account_id == latest.fb_account, badged.route_target == latest.fb_rep]
    )
    days = model.spec.feedback
    recent = ibis.cases(
        (joined.fb_verdict == "not_now", joined.fb_given_at >= ctx.window_start(days.not_now_days)),
        (joined.fb_verdict == "wrong_fit", joined.fb_given_at >= ctx.window_start(days.wrong_fit_days)),
        else_=ibis.literal(False),
    )
    known = joined.fb_badge.isin([d.id for d in definitions]) if definitions else ibis.literal(False)
    higher = known.fill_null(False) & (joined.archetype_rank < archetype_rank(ctx, definitions, joined.fb_badge))
    reason = ibis.cases(*((joined.fb_verdict == v, ibis.literal(r)) for v, r in HELD_BY_FEEDBACK.items()))
    holds = joined.select(
        "account_id", feedback_hold=ibis.ifelse(recent.fill_null(False) & ~higher, reason, ibis.null("string"))
    )
    return attach(badged, holds, "account_id")


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
