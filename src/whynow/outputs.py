"""The output tables of SPEC §5, column by column, from the pipeline's tables (no computing here).

    account_status  contact_status  score_breakdown

Badge, queue and narrative columns exist with their types and stay NULL until badges resolve
(issue #4), so readers and files keep one shape.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.pipeline import Context, Tables
from whynow.pipeline.tables import person_name

# SPEC §5: the badge columns, in order, with their types.
ACCOUNT_BADGE_COLUMNS: dict[str, str] = {
    "badge": "string",
    "archetype": "string",
    "badge_label": "string",
    "motion": "string",
    "play": "string",
    "why": "string",
    "badge_since": "date",
    "badge_expires_on": "date",
    "route_to": "string",
    "queue": "string",
    "queue_rank": "int64",
    "held_reason": "string",
}
CONTACT_BADGE_COLUMNS: dict[str, str] = {
    "badge": "string",
    "archetype": "string",
    "why": "string",
    "badge_since": "date",
    "badge_expires_on": "date",
}
ACCOUNT_HEAD = [
    "account_id",
    "name",
    "owner_id",
    "tier",
    "fit",
    "fit_grade",
    "engagement",
    "engaged_contacts",
    "activities",
    "anonymous_activities",
    "committee_roles_engaged",
    "target",
    "mqa",
    "sqa",
    "stage",
]
ACCOUNT_TAIL = [
    "has_open_opportunity",
    "open_pipeline",
    "days_since_last_activity",
    "days_to_renewal",
    "mql_contacts",
    "top_contact_id",
]
CONTACT_HEAD = [
    "contact_id",
    "account_id",
    "name",
    "fit",
    "fit_grade",
    "engagement",
    "lead_status",
    "committee_role",
    "engaged",
]
CONTACT_TAIL = ["hand_raised", "recent_activities", "days_since_last_activity"]


def account_status(ctx: Context, tables: Tables) -> ir.Table:
    """One row per account: scores, qualification, stage, badge columns, measures, signals, declared columns."""
    t = tables["account_measures"]
    model = ctx.model
    roles = [f"engaged_{role}" for role in model.spec.buying_committee.roles]
    signals = [s.name for s in model.signals.values() if s.level == "account"]
    declared = list(model.declared_columns.get("accounts", {}))
    return t.select(
        as_of=ctx.as_of_value(),
        **{c: t[c] for c in ACCOUNT_HEAD},
        **{c: ibis.null(kind) for c, kind in ACCOUNT_BADGE_COLUMNS.items()},
        **{c: t[c] for c in (*ACCOUNT_TAIL, *roles, *signals, *declared)},
    )


def contact_status(ctx: Context, tables: Tables) -> ir.Table:
    """One row per contact, orphans included."""
    t = tables["contact_measures"]
    t = t.mutate(name=person_name(t.first_name, t.last_name))
    signals = [s.name for s in ctx.model.signals.values() if s.level == "contact"]
    declared = list(ctx.model.declared_columns.get("contacts", {}))
    return t.select(
        as_of=ctx.as_of_value(),
        **{c: t[c] for c in CONTACT_HEAD},
        **{c: ibis.null(kind) for c, kind in CONTACT_BADGE_COLUMNS.items()},
        **{c: t[c] for c in (*CONTACT_TAIL, *signals, *declared)},
    )


def score_breakdown(ctx: Context, tables: Tables) -> ir.Table:
    """Fit rows that held and engagement rows that matched (SPEC §5): the parts every score adds up from."""
    rows = ibis.union(tables["fit_breakdown"], tables["engagement_breakdown"])
    return rows.select(as_of=ctx.as_of_value(), **{c: rows[c] for c in rows.columns})
