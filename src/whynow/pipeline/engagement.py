"""Engagement (SPEC §4.3, §4.4): decayed activity points per contact and, for anonymous activity, per
account; with caps per rule, hand-raisers, recent engaging activity and the last activity's age.

Every activity within the lookback is tested against every rule and earns the decayed points of each
rule it matches: `points × 0.5 ** (age / half_life_days)`. A rule's sum per contact (per account for
anonymous activity) is then capped in absolute value.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.data.resolve import RESOLVED
from whynow.model.compile import compile_predicate
from whynow.pipeline.context import Context, rounded
from whynow.pipeline.tables import BREAKDOWN_SCHEMA, Tables, attach, empty_table

_MATCH_SCHEMA = {
    "activity_id": "string",
    "contact_id": "string",
    "account_id": "string",
    "known": "boolean",
    "occurred_at": "timestamp('UTC')",
    "rule": "string",
    "points": "float64",
    "positive": "boolean",
    "hand_raiser": "boolean",
    "cap": "float64",
}


def score_engagement(ctx: Context, tables: Tables) -> Tables:
    """`contact_engagement` and `account_activity` for every contact and account, and
    `engagement_breakdown` (one row per contact or account and rule that matched)."""
    spec = ctx.model.spec.engagement
    activities = _matched_to_someone(tables)
    in_lookback = activities.filter(activities.occurred_at >= ctx.window_start(spec.lookback_days))
    matches = _matches(ctx, in_lookback)
    known, anonymous = matches.filter(matches.known), matches.filter(~matches.known)
    contact_rules = _capped(known, "contact_id")
    account_rules = _capped(anonymous, "account_id")

    engaging = matches.filter(matches.positive).select(
        "activity_id", "contact_id", "account_id", "known", "occurred_at"
    )
    engaging = engaging.distinct()
    recent = engaging.filter(
        engaging.occurred_at >= ctx.window_start(ctx.model.spec.buying_committee.engaged_within_days)
    )
    contacts = tables["contacts"].select("contact_id")
    per_contact = (
        contacts.pipe(
            attach, contact_rules.group_by("contact_id").aggregate(engagement=contact_rules.points.sum()), "contact_id"
        )
        .pipe(attach, _count_by(recent.filter(recent.known), "contact_id", "recent_activities"), "contact_id")
        .pipe(attach, _hand_raisers(known), "contact_id")
        .pipe(attach, _last_activity(ctx, in_lookback.filter(in_lookback.known), "contact_id"), "contact_id")
    )
    out = dict(tables)
    out["contact_engagement"] = per_contact.mutate(
        engagement=rounded(per_contact.engagement.fill_null(0.0)),
        recent_activities=per_contact.recent_activities.fill_null(0),
        engaged=per_contact.recent_activities.fill_null(0) >= 1,
        hand_raised=per_contact.hand_raised.fill_null(False),
    )
    accounts = tables["accounts"].select("account_id")
    per_account = (
        accounts.pipe(
            attach,
            account_rules.group_by("account_id").aggregate(anonymous_engagement=account_rules.points.sum()),
            "account_id",
        )
        .pipe(attach, _count_by(recent.filter(~recent.known), "account_id", "anonymous_activities"), "account_id")
        .pipe(attach, _last_activity(ctx, in_lookback, "account_id"), "account_id")
    )
    out["account_activity"] = per_account.mutate(
        anonymous_engagement=rounded(per_account.anonymous_engagement.fill_null(0.0)),
        anonymous_activities=per_account.anonymous_activities.fill_null(0),
    )
    out["engagement_breakdown"] = ibis.union(
        _breakdown(contact_rules, "contact", "contact_id", "engagement"),
        _breakdown(account_rules, "account", "account_id", "anonymous"),
    )
    return out


def _matched_to_someone(tables: Tables) -> ir.Table:
    """Activities of a known contact (`known`) or anonymous with an account; the rest are unmatched
    (SPEC §3: a contact_id that names no contact is unmatched, not anonymous)."""
    activities = tables["activities"]
    contacts = tables["contacts"].select(known_contact="contact_id")
    joined = activities.left_join(contacts, activities.contact_id == contacts.known_contact)
    known = joined.known_contact.notnull()
    anonymous = joined.contact_id.isnull() & joined[RESOLVED].notnull()
    return (
        joined.filter(known | anonymous)
        .mutate(known=known, account_id=joined[RESOLVED])
        .drop("known_contact", RESOLVED)
    )


def _matches(ctx: Context, activities: ir.Table) -> ir.Table:
    """One row per activity and rule it matches, with the rule's decayed points."""
    spec = ctx.model.spec.engagement
    half_life = spec.half_life_days
    decay = ibis.literal(0.5) ** (ctx.age_days(activities.occurred_at) / half_life) if half_life else ibis.literal(1.0)
    parts = []
    for i, rule in enumerate(spec.rules):
        condition = ctx.model.conditions[("engagement", "rules", i, "when")]
        matched = activities.filter(compile_predicate(condition, activities))
        parts.append(
            matched.select(
                "activity_id",
                "contact_id",
                "account_id",
                "known",
                "occurred_at",
                rule=ibis.literal(rule.name),
                points=ibis.literal(float(rule.points)) * decay,
                positive=ibis.literal(rule.points > 0),
                hand_raiser=ibis.literal(rule.hand_raiser),
                cap=ibis.literal(rule.cap, type="float64"),
            )
        )
    return ibis.union(*parts) if parts else empty_table(activities, _MATCH_SCHEMA)


def _capped(matches: ir.Table, key: str) -> ir.Table:
    """Per entity and rule: the decayed sum, capped in absolute value, with its row count."""
    per_rule = matches.group_by(key, "rule", "cap").aggregate(raw=matches.points.sum(), rows=matches.count())
    limited = ibis.greatest(ibis.least(per_rule.raw, per_rule.cap), -per_rule.cap)
    return per_rule.mutate(
        points=rounded(ibis.ifelse(per_rule.cap.isnull(), per_rule.raw, limited)),
        capped=per_rule.cap.notnull() & (per_rule.raw.abs() > per_rule.cap),
    )


def _count_by(activities: ir.Table, key: str, name: str) -> ir.Table:
    return activities.group_by(key).aggregate(**{name: activities.count()})


def _hand_raisers(known: ir.Table) -> ir.Table:
    raised = known.filter(known.hand_raiser)
    return raised.select("contact_id").distinct().mutate(hand_raised=ibis.literal(True))


def _last_activity(ctx: Context, activities: ir.Table, key: str) -> ir.Table:
    """Calendar days since the most recent activity (engaging or not) within the lookback."""
    grouped = activities.filter(activities[key].notnull()).group_by(key)
    return grouped.aggregate(days_since_last_activity=ctx.days_since(activities.occurred_at.max().date()))


def _breakdown(rules: ir.Table, entity_type: str, key: str, part: str) -> ir.Table:
    return rules.select(
        entity_type=ibis.literal(entity_type),
        entity_id=rules[key],
        part=ibis.literal(part),
        rule=rules.rule,
        points=rules.points,
        rows=rules.rows.cast("int64"),
        capped=rules.capped,
    ).cast(BREAKDOWN_SCHEMA)
