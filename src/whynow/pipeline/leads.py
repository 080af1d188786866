"""Lead status (SPEC §4.5): disqualified, sql, mql, nurture, else new — first match, recomputed each run.

The conditions see every contact measure (fit, engagement, hand_raised, recent_activities, engaged,
committee_role, days_since_last_activity …), the contact's columns and its contact-level signals; so
does everything after this stage, through `contact_measures`.
"""

from __future__ import annotations

import ibis

from whynow.model.compile import compile_predicate
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables, attach

STATUSES = (("disqualified", "disqualify_when"), ("sql", "sql_when"), ("mql", "mql_when"), ("nurture", "nurture_when"))


def assign_lead_status(ctx: Context, tables: Tables) -> Tables:
    """`contact_measures`: the contact with all its measures and signals, and `lead_status`."""
    measures = tables["contacts"]
    for name in ("contact_fit", "contact_engagement", "contact_roles", "contact_signals"):
        measures = attach(measures, tables[name], "contact_id")
    branches = []
    for status, key in STATUSES:
        condition = ctx.model.condition("leads", key)
        if condition is not None:
            branches.append((compile_predicate(condition, measures), ibis.literal(status)))
    status = ibis.cases(*branches, else_=ibis.literal("new")) if branches else ibis.literal("new")
    return {**tables, "contact_measures": measures.mutate(lead_status=status)}
