"""The output tables of SPEC §5, column by column, from the pipeline's tables (no computing here); the
columns and their order are `outputs/contract.py`'s.

    account_status  contact_status  call_list  score_breakdown  badge_state  badge_candidates
    opportunities  reps  changes (the entries the pipeline logs)  and `output_queries`, all of them

Badge, queue and narrative columns exist with their types and stay NULL until badges resolve, so readers
and files keep one shape; `why` is NULL here and rendered by the output stages (`finish.py`).
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from whynow.data.contract import IBIS_TYPES
from whynow.model.schema import BadgeDefinition
from whynow.outputs.contract import OUTPUTS
from whynow.pipeline import Context, Tables
from whynow.pipeline.tables import attach, person_name

_ACCOUNT, _CONTACT, _CALL = OUTPUTS["account_status"], OUTPUTS["contact_status"], OUTPUTS["call_list"]
ACCOUNT_HEAD = _ACCOUNT.names("account_id", "badge")
ACCOUNT_BADGE_COLUMNS = {c: IBIS_TYPES[kind] for c, kind in _ACCOUNT.types("badge", "has_open_opportunity").items()}
ACCOUNT_TAIL = _ACCOUNT.names("has_open_opportunity")
CONTACT_HEAD = _CONTACT.names("contact_id", "badge")
CONTACT_BADGE_COLUMNS = {c: IBIS_TYPES[kind] for c, kind in _CONTACT.types("badge", "hand_raised").items()}
CONTACT_TAIL = _CONTACT.names("hand_raised")
CALL_HEAD = _CALL.names("account_id", "why")
CALL_TAIL = _CALL.names("recent_activities")
CHANGE_COLUMNS = tuple(OUTPUTS["changes"].names("entity_type"))


def account_status(ctx: Context, tables: Tables) -> ir.Table:
    """One row per account: scores, qualification, stage, badge and queue, measures, signals, declared
    columns. `why` is left NULL here: narratives are rendered from the badged rows (narrative.py)."""
    t = attach(tables["account_measures"], _badge_columns(ctx, tables["account_badges"], "account"), "account_id")
    t = attach(t, tables["account_queue"], "account_id")
    model = ctx.model
    roles = [f"engaged_{role}" for role in model.spec.buying_committee.roles]
    signals = [s.name for s in model.signals.values() if s.level == "account"]
    declared = list(model.declared_columns.get("accounts", {}))
    return t.select(
        as_of=ctx.as_of_value(),
        **{c: t[c] for c in ACCOUNT_HEAD},
        **{c: t[c].cast(kind) if c != "why" else ibis.null(kind) for c, kind in ACCOUNT_BADGE_COLUMNS.items()},
        **{c: t[c] for c in (*ACCOUNT_TAIL, *roles, *signals, *declared)},
    )


def contact_status(ctx: Context, tables: Tables) -> ir.Table:
    """One row per contact, orphans included."""
    t = attach(tables["contact_measures"], _badge_columns(ctx, tables["contact_badges"], "contact"), "contact_id")
    t = t.mutate(name=person_name(t.first_name, t.last_name))
    signals = [s.name for s in ctx.model.signals.values() if s.level == "contact"]
    declared = list(ctx.model.declared_columns.get("contacts", {}))
    return t.select(
        as_of=ctx.as_of_value(),
        **{c: t[c] for c in CONTACT_HEAD},
        **{c: t[c].cast(kind) if c != "why" else ibis.null(kind) for c, kind in CONTACT_BADGE_COLUMNS.items()},
        **{c: t[c] for c in (*CONTACT_TAIL, *signals, *declared)},
    )


def call_list(ctx: Context, tables: Tables) -> ir.Table:
    """Who to call per badged account (SPEC §4.11), its columns in SPEC §5's order; `why` is left NULL
    here, like account_status's: the contact's narrative is rendered with the others."""
    t = tables["call_list"]
    return t.select(
        as_of=ctx.as_of_value(),
        **{c: t[c] for c in CALL_HEAD},
        why=ibis.null("string"),
        **{c: t[c] for c in CALL_TAIL},
    )


def _badge_columns(ctx: Context, badges: ir.Table, level: str) -> ir.Table:
    """The winner's id, dates, and what its definition says: archetype, label, motion, play."""
    key = f"{level}_id"
    definitions = ctx.model.spec.badges.definitions
    current = badges.filter(badges.badge.notnull())

    def by_badge(value: Callable[[BadgeDefinition], str]) -> ir.StringValue:
        branches = [(current.badge == d.id, ibis.literal(value(d))) for d in definitions]
        return ibis.cases(*branches, else_=ibis.null("string")) if branches else ibis.null("string")

    return current.select(
        key,
        "badge",
        "badge_since",
        "badge_expires_on",
        archetype=by_badge(lambda d: d.archetype),
        badge_label=by_badge(lambda d: d.label),
        motion=by_badge(lambda d: ctx.model.motions[d.archetype]),
        play=by_badge(lambda d: d.play),
    )


def opportunities(ctx: Context, tables: Tables) -> ir.Table:
    """The opportunities as read, with `open` and `won` at the as-of date (SPEC §5)."""
    t = tables["opportunities"]
    return t.select(as_of=ctx.as_of_value(), **{c: t[c] for c in t.columns if c != "resolved_account_id"})


def reps(ctx: Context, tables: Tables) -> ir.Table:
    """The reps as read, with the capacity that applies to each and how much of it is used (SPEC §5)."""
    t = tables["rep_capacity"]
    return t.select(as_of=ctx.as_of_value(), **{c: t[c] for c in t.columns})


def badge_changes(ctx: Context, tables: Tables) -> ir.Table:
    """badge_assigned, badge_replaced (outranked | expired) and badge_expired entries (SPEC §4.10)."""
    return _both_levels(
        tables,
        lambda badges: badges.change.notnull(),
        lambda t, level: {"entity_type": ibis.literal(level), "entity_id": t[f"{level}_id"], "change": t.change,
                          "old": t.old_badge, "new": t.badge, "reason": t.change_reason},
    )  # fmt: skip


def badge_candidates(ctx: Context, tables: Tables) -> ir.Table:
    """Every definition whose condition held today, per entity: the field the winner was chosen from."""
    parts = [
        tables[f"{level}_candidates"].select(
            as_of=ctx.as_of_value(), entity_type=ibis.literal(level), entity_id="entity_id", badge="badge"
        )
        for level in ("account", "contact")
    ]
    return ibis.union(*parts)


def badge_state(ctx: Context, tables: Tables) -> ir.Table:
    """What the next run resolves against: every active badge with its episode and last_held."""
    return _both_levels(
        tables,
        lambda badges: badges.badge.notnull(),
        lambda t, level: {"as_of": ctx.as_of_value(), "entity_type": ibis.literal(level),
                          "entity_id": t[f"{level}_id"], "badge": t.badge, "badge_since": t.badge_since,
                          "last_held": t.last_held, "candidate": t.candidate},
    )  # fmt: skip


def _both_levels(
    tables: Tables,
    where: Callable[[ir.Table], ir.BooleanValue],
    columns: Callable[[ir.Table, str], dict[str, ir.Value]],
) -> ir.Table:
    """The account badges' rows and the contact badges' rows that `where` keeps, as `columns`, in one table."""
    parts = []
    for level in ("account", "contact"):
        badges = tables[f"{level}_badges"]
        kept = badges.filter(where(badges))
        parts.append(kept.select(**columns(kept, level)))
    return ibis.union(*parts)


def score_breakdown(ctx: Context, tables: Tables) -> ir.Table:
    """Fit rows that held and engagement rows that matched (SPEC §5): the parts every score adds up from."""
    rows = ibis.union(tables["fit_breakdown"], tables["engagement_breakdown"])
    return rows.select(as_of=ctx.as_of_value(), **{c: rows[c] for c in rows.columns})


def output_queries(ctx: Context, tables: Tables) -> dict[str, ir.Table]:
    """Every query a run fetches after the pipeline, in order: the outputs, the badge state (in entity
    order: the evidence's order), the change log's entries, the narratives' values and the last run's
    narratives (`previous_whys`, when there was a last run)."""
    from whynow.outputs.changes import log_changes

    logged = ibis.union(badge_changes(ctx, tables), log_changes(tables)).select(*CHANGE_COLUMNS)
    queries = {
        "account_status": account_status(ctx, tables).order_by("account_id"),
        "contact_status": contact_status(ctx, tables).order_by("contact_id"),
        "call_list": call_list(ctx, tables).order_by("account_id", "rank"),
        "score_breakdown": score_breakdown(ctx, tables).order_by("entity_type", "entity_id", "part", "rule"),
        "badge_state": badge_state(ctx, tables).order_by("entity_type", "entity_id"),
        "badge_candidates": badge_candidates(ctx, tables),
        "opportunities": opportunities(ctx, tables).order_by("opportunity_id"),
        "reps": reps(ctx, tables).order_by("rep_id"),
        "changes": logged.order_by("entity_type", "entity_id", "change"),
        "account_narratives": tables["account_narratives"],
        "contact_narratives": tables["contact_narratives"],
    }
    if "previous_badges" in tables:
        queries["previous_whys"] = tables["previous_badges"].select("entity_type", "entity_id", "why")
    return queries
