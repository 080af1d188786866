"""The scoring pipeline (SPEC §1): pure stages, Ibis tables in, Ibis tables out, no I/O.

    apply_horizon → group_activities → compute_signals → score_fit → classify_activities → score_engagement
                  → assign_roles → assign_lead_status → measure_accounts → resolve_badges → assign_queues
                  → list_calls → select_narrative_values

The activities are read once, by `group_activities`: grouped by what places a row, then placed.

A run (`whynow.run`) is these stages from the inputs to the store's rows:

    the inputs and the last run's state  →  STAGES (below), compiled into one plan of SQL (`whynow.plan`)
    and executed by the engine  →  the output queries (`whynow.outputs.queries.output_queries`)  →  OUTPUT_STAGES
    (`whynow/finish.py`): narrate → log_changes → add_evidence → summarize → reject → fill_outbox
    →  one transaction into the store, then the files

Signals come first because account fit rules may use them; roles before lead status because lead
conditions may use `committee_role`. Every stage has the shape of `Stage`; the order is written once,
here. Python loops only over stages, rules and signals, never over rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import ibis.expr.types as ir

from whynow.pipeline.accounts import measure_accounts
from whynow.pipeline.activities import group_activities
from whynow.pipeline.badges import resolve_badges
from whynow.pipeline.calls import list_calls
from whynow.pipeline.capacity import assign_queues
from whynow.pipeline.committee import assign_roles
from whynow.pipeline.context import Context
from whynow.pipeline.engagement import classify_activities, score_engagement
from whynow.pipeline.fit import score_fit
from whynow.pipeline.horizon import apply_horizon
from whynow.pipeline.leads import assign_lead_status
from whynow.pipeline.narrative import select_narrative_values
from whynow.pipeline.signals import compute_signals
from whynow.pipeline.tables import Tables

Keep = Callable[[ir.Table, str], ir.Table]  # (a table a stage added, its name) -> the table to read on


class Stage(Protocol):
    __name__: str

    def __call__(self, ctx: Context, tables: Tables, /) -> Tables: ...


STAGES: tuple[Stage, ...] = (
    apply_horizon,
    group_activities,
    compute_signals,
    score_fit,
    classify_activities,
    score_engagement,
    assign_roles,
    assign_lead_status,
    measure_accounts,
    resolve_badges,
    assign_queues,
    list_calls,
    select_narrative_values,
)


# The event tables at the horizon stay views: each reader scans only the columns and rows it needs (the
# engine pushes a signal's window into the scan), where keeping them would copy every row into memory.
VIEWS = frozenset({"activities", "activity_rows", "intent", "change_events", "technographics"})


def run_pipeline(ctx: Context, tables: Tables, keep: Keep | None = None) -> Tables:
    """Every stage in order; the result holds the inputs and every table a stage added.

    `keep`, when given, is applied to each table a stage adds or changes (but `VIEWS`) before the next
    stage reads it: the runner materialises them there, so that each stage's query is compiled and
    executed once.
    """
    for stage in STAGES:
        added = stage(ctx, tables)
        if keep is not None:
            new = [name for name, table in added.items() if name not in VIEWS and table is not tables.get(name)]
            added = {**added, **{name: keep(added[name], name) for name in new}}
        tables = added
    return tables


__all__ = ["STAGES", "Context", "Stage", "Tables", "run_pipeline"]
