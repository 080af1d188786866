"""The tables a stage reads and writes, by name: the inputs of SPEC §3 and what earlier stages added.

accounts contacts activities intent change_events technographics opportunities reps   inputs
account_signals contact_signals                                                  signals.py
account_fit contact_fit fit_breakdown                                            fit.py
engagement_groups contact_engagement account_activity engagement_breakdown       engagement.py
contact_roles                                                                    committee.py
contact_measures (every contact measure, lead_status)                            leads.py
account_measures (every account measure, target, mqa, sqa, stage)                accounts.py
account_badges contact_badges account_candidates contact_candidates              badges.py
account_queue                                                                    capacity.py
call_list                                                                        calls.py
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

Tables = Mapping[str, ir.Table]

# SPEC §5 score_breakdown, without as_of: one row per entity and rule that matched.
BREAKDOWN_SCHEMA: dict[str, str] = {
    "entity_type": "string",
    "entity_id": "string",
    "part": "string",
    "rule": "string",
    "points": "float64",
    "rows": "int64",
    "capped": "boolean",
}


def attach(left: ir.Table, right: ir.Table, key: str) -> ir.Table:
    """`left` with the columns of `right` joined on `key` (a left join: every left row stays once,
    provided `right` has one row per key)."""
    keyed = right.rename({"attach_key": key})
    return left.left_join(keyed, left[key] == keyed.attach_key).drop("attach_key")


def empty_table(like: ir.Table, schema: Mapping[str, str]) -> ir.Table:
    """A table with no rows and the given column types, on the same backend as `like`."""
    return like.limit(0).select(**{name: ibis.null(kind) for name, kind in schema.items()})


def person_name(first: ir.StringValue, last: ir.StringValue) -> ir.StringValue:
    """First and last name joined by a space, skipping a NULL part; both NULL: NULL (SPEC §4.8)."""
    return ibis.cases(
        (first.notnull() & last.notnull(), first.concat(" ", last)),
        (first.notnull(), first),
        else_=last,
    )
