"""The inputs as they stood at the horizon (SPEC §2, §3): later rows are gone, every event row knows
its account, and opportunities carry `open` and `won` as of that moment.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.data.resolve import RESOLVED, resolve_accounts
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables


def apply_horizon(ctx: Context, tables: Tables) -> Tables:
    """Keep rows before the horizon; add `resolved_account_id`; opportunities get `open` and `won`;
    `activity_rows` are the activities before the horizon as they were exported."""
    out = dict(tables)
    # The rows as exported, for the one grouped pass (activities.py), which places groups, not rows.
    out["activity_rows"] = at_horizon(ctx, "activities", tables["activities"])
    resolved = resolve_accounts(tables)
    for name in ("activities", "intent", "change_events", "technographics"):
        out[name] = at_horizon(ctx, name, resolved[name])
    opportunities = at_horizon(ctx, "opportunities", tables["opportunities"])
    out["opportunities"] = opportunities.mutate(**{RESOLVED: opportunities.account_id})
    return out


def at_horizon(ctx: Context, name: str, table: ir.Table) -> ir.Table:
    """One input table as it stood at the horizon: the rows of an event table before it, technographics
    from `first_seen` (NULL: always), opportunities created before it with `open` and `won` at it; the
    other tables as they are."""
    if name in ("activities", "change_events"):
        return table.filter(ctx.before_horizon(table.occurred_at))
    if name == "intent":
        return table.filter(ctx.before_horizon(table.observed_at))
    if name == "technographics":  # SPEC §2: a technographics row exists from first_seen (NULL: always)
        return table.filter(table.first_seen.isnull() | (table.first_seen <= ctx.as_of_value()))
    if name != "opportunities":
        return table
    opportunities = table.filter(ctx.before_horizon(table.created_at))
    horizon = ctx.horizon_value()
    closed_before = ibis.ifelse(
        opportunities.closed_at.notnull(),
        opportunities.closed_at < horizon,
        opportunities.is_closed.fill_null(False),
    )
    return opportunities.mutate(
        open=~closed_before,
        won=opportunities.is_won.fill_null(False) & (opportunities.closed_at < horizon).fill_null(False),
    )
