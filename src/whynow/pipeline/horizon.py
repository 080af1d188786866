"""The inputs as they stood at the horizon (SPEC §2, §3): later rows are gone, every event row knows
its account, and opportunities carry `open` and `won` as of that moment.
"""

from __future__ import annotations

import ibis

from whynow.data.resolve import RESOLVED, resolve_accounts
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables


def apply_horizon(ctx: Context, tables: Tables) -> Tables:
    """Keep rows before the horizon; add `resolved_account_id`; opportunities get `open` and `won`;
    `activity_rows` are the activities before the horizon as they were exported."""
    out = dict(tables)
    # The rows as exported, for the one grouped pass (activities.py), which places groups, not rows.
    activities = tables["activities"]
    out["activity_rows"] = activities.filter(ctx.before_horizon(activities.occurred_at))
    resolved = resolve_accounts(tables)
    for name in ("activities", "intent", "change_events"):
        table = resolved[name]
        time = "observed_at" if name == "intent" else "occurred_at"
        out[name] = table.filter(ctx.before_horizon(table[time]))
    techno = resolved["technographics"]
    # SPEC §2: a technographics row exists from first_seen (NULL: always).
    out["technographics"] = techno.filter(techno.first_seen.isnull() | (techno.first_seen <= ctx.as_of_value()))
    opportunities = tables["opportunities"].filter(lambda o: ctx.before_horizon(o.created_at))
    horizon = ctx.horizon_value()
    closed_before = ibis.ifelse(
        opportunities.closed_at.notnull(),
        opportunities.closed_at < horizon,
        opportunities.is_closed.fill_null(False),
    )
    out["opportunities"] = opportunities.mutate(
        open=~closed_before,
        won=opportunities.is_won.fill_null(False) & (opportunities.closed_at < horizon).fill_null(False),
        **{RESOLVED: opportunities.account_id},
    )
    return out
