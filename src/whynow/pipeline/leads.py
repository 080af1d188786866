"""Lead status (SPEC §4.5): disqualified, sql, mql, recycled, nurture, else new — first match, recomputed
each run from the data and the previous run's status — and `status_since`, when the current stretch began.

`recycled` is the way back: a contact that was mql or sql in the previous run (sales-ready, then cold), or
recycled there and fewer than `leads.recycle_days` days past its `status_since`. A contact without a status
in the previous run is never recycled; the previous run's contacts arrive as `previous_contacts`.

The conditions see every contact measure (fit, engagement, hand_raised, recent_activities, engaged,
committee_role, days_since_last_activity …), the contact's columns and its contact-level signals; so
does everything after this stage, through `contact_measures`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.model.compile import compile_predicate
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables, attach, empty_table

BEFORE_RECYCLED = (("disqualified", "disqualify_when"), ("sql", "sql_when"), ("mql", "mql_when"))
AFTER_RECYCLED = (("nurture", "nurture_when"),)
SALES_READY = ("mql", "sql")
PREVIOUS_SCHEMA = {"contact_id": "string", "lead_status": "string", "status_since": "date"}  # previous_contacts


def assign_lead_status(ctx: Context, tables: Tables) -> Tables:
    """`contact_measures`: the contact with all its measures and signals, `lead_status` and `status_since`."""
    measures = tables["contacts"]
    for name in ("contact_fit", "contact_engagement", "contact_roles", "contact_signals"):
        measures = attach(measures, tables[name], "contact_id")
    before = tables.get("previous_contacts")
    before = before if before is not None else empty_table(measures, PREVIOUS_SCHEMA)
    before = before.select(prev_id="contact_id", prev_status="lead_status", prev_since="status_since")
    t = measures.left_join(before, measures.contact_id == before.prev_id)
    recycle_days = ctx.model.spec.leads.recycle_days
    still = (t.prev_status == "recycled") & (t.prev_since >= ctx.window_start_date(recycle_days))
    recycled = (t.prev_status.isin(SALES_READY) | still).fill_null(False)
    branches = [
        *_branches(ctx, t, BEFORE_RECYCLED),
        (recycled, ibis.literal("recycled")),
        *_branches(ctx, t, AFTER_RECYCLED),
    ]
    t = t.mutate(lead_status=ibis.cases(*branches, else_=ibis.literal("new")))
    kept = (t.prev_status == t.lead_status).fill_null(False) & t.prev_since.notnull()
    t = t.mutate(status_since=ibis.ifelse(kept, t.prev_since, ctx.as_of_value()))
    return {**tables, "contact_measures": t.drop("prev_id", "prev_status", "prev_since")}


def _branches(
    ctx: Context, t: ir.Table, statuses: tuple[tuple[str, str], ...]
) -> list[tuple[ir.BooleanValue, ir.Value]]:
    """(condition, status) of each of `statuses` the model sets, in order."""
    found: list[tuple[ir.BooleanValue, ir.Value]] = []
    for status, key in statuses:
        condition = ctx.model.condition("leads", key)
        if condition is not None:
            found.append((compile_predicate(condition, t), ibis.literal(status)))
    return found
