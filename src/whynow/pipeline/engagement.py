"""Engagement (SPEC §4.3, §4.4): decayed activity points per contact and, for anonymous activity, per
account; with caps per rule, hand-raisers, recent engaging activity and the last activity's age.

Every activity within the lookback is tested against every rule and earns the decayed points of each
rule it matches: `points × 0.5 ** (age / half_life_days)`. A rule's sum per contact (per account for
anonymous activity) is then capped in absolute value.

Two stages. `classify_activities` adds up the one pass over the activities (`activities.py`: each row
tested against every rule, a sum and a count per rule and group) per contact (known activity) or account
(anonymous activity). `score_engagement` derives every engagement table from that small grouped table,
so the activities are scanned once however many rules there are.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.pipeline.context import Context, rounded
from whynow.pipeline.tables import BREAKDOWN_SCHEMA, Tables, attach


def classify_activities(ctx: Context, tables: Tables) -> Tables:
    """`engagement_groups`: one row per contact with known activity and per account with anonymous
    activity in the lookback — `known`, `contact_id`, `account_id`, then per rule i `raw_i` (the sum of
    its decayed points) and `rows_i` (the activities it matched), `recent_activities` (engaging ones
    within the committee's window), `hand_raised` and `last_activity_at`: the activity groups (the one
    pass over the activities, `activities.py`) added up per contact, or per account for anonymous rows."""
    groups = tables["activity_groups"]
    groups = groups.filter(groups.lookback_rows > 0)
    sums: dict[str, ir.Value] = {}
    for i in range(len(ctx.model.spec.engagement.rules)):
        sums[f"raw_{i}"] = groups[f"raw_{i}"].sum()
        sums[f"rows_{i}"] = groups[f"rows_{i}"].sum()
    grouped = groups.group_by("known", "contact_id", "account_id").aggregate(
        **sums,
        recent_activities=groups.recent_activities.sum(),
        hand_raised=groups.hand_raised.any(),
        last_activity_at=groups.last_activity_at.max(),
    )
    return {**tables, "engagement_groups": grouped}


def score_engagement(ctx: Context, tables: Tables) -> Tables:
    """`contact_engagement` and `account_activity` for every contact and account, and
    `engagement_breakdown` (one row per contact or account and rule that matched)."""
    groups = tables["engagement_groups"]
    rules = _capped(ctx, groups)
    known, anonymous = groups.filter(groups.known), groups.filter(~groups.known)
    contact_rules, account_rules = rules.filter(rules.known), rules.filter(~rules.known)
    out = dict(tables)
    per_contact = (
        tables["contacts"]
        .select("contact_id")
        .pipe(attach, _sum_by(contact_rules, "contact_id", "engagement"), "contact_id")
        .pipe(attach, known.select("contact_id", "recent_activities", "hand_raised", "last_activity_at"), "contact_id")
    )
    out["contact_engagement"] = per_contact.select(
        "contact_id",
        engagement=rounded(per_contact.engagement.fill_null(0.0)),
        recent_activities=per_contact.recent_activities.fill_null(0).cast("int64"),
        hand_raised=per_contact.hand_raised.fill_null(False),
        days_since_last_activity=ctx.days_since(per_contact.last_activity_at.date()),
        engaged=per_contact.recent_activities.fill_null(0) >= 1,
    )
    # The last activity of an account is its contacts' and its anonymous activity's, whichever is later.
    placed = groups.filter(groups.account_id.notnull())
    last = placed.group_by("account_id").aggregate(last_activity_at=placed.last_activity_at.max())
    per_account = (
        tables["accounts"]
        .select("account_id")
        .pipe(attach, _sum_by(account_rules, "account_id", "anonymous_engagement"), "account_id")
        .pipe(attach, anonymous.select("account_id", anonymous_activities="recent_activities"), "account_id")
        .pipe(attach, last, "account_id")
    )
    out["account_activity"] = per_account.select(
        "account_id",
        anonymous_engagement=rounded(per_account.anonymous_engagement.fill_null(0.0)),
        anonymous_activities=per_account.anonymous_activities.fill_null(0).cast("int64"),
        days_since_last_activity=ctx.days_since(per_account.last_activity_at.date()),
    )
    out["engagement_breakdown"] = ibis.union(
        _breakdown(contact_rules, "contact", "contact_id", "engagement"),
        _breakdown(account_rules, "account", "account_id", "anonymous"),
    )
    return out


def _capped(ctx: Context, groups: ir.Table) -> ir.Table:
    """One row per group and rule that matched: the decayed sum capped in absolute value, `capped` when
    the cap cut it, and the rows it matched."""
    parts = []
    for i, rule in enumerate(ctx.model.spec.engagement.rules):
        raw = groups[f"raw_{i}"]
        cap = ibis.literal(rule.cap, type="float64")
        limited = raw if rule.cap is None else ibis.greatest(ibis.least(raw, cap), -cap)
        matched = groups.filter(groups[f"rows_{i}"] > 0)
        parts.append(
            matched.select(
                "known",
                "contact_id",
                "account_id",
                rule=ibis.literal(rule.name),
                points=rounded(limited),
                rows=groups[f"rows_{i}"].cast("int64"),
                capped=ibis.literal(False) if rule.cap is None else raw.abs() > cap,
            )
        )
    if not parts:
        return groups.limit(0).select(
            "known", "contact_id", "account_id", rule=ibis.null("string"), points=ibis.null("float64"),
            rows=ibis.null("int64"), capped=ibis.null("boolean"),
        )  # fmt: skip
    return ibis.union(*parts)


def _sum_by(rules: ir.Table, key: str, name: str) -> ir.Table:
    return rules.group_by(key).aggregate(**{name: rules.points.sum()})


def _breakdown(rules: ir.Table, entity_type: str, key: str, part: str) -> ir.Table:
    return rules.select(
        entity_type=ibis.literal(entity_type),
        entity_id=rules[key],
        part=ibis.literal(part),
        rule=rules.rule,
        points=rules.points,
        rows=rules.rows,
        capped=rules.capped,
    ).cast(BREAKDOWN_SCHEMA)
