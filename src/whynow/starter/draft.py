"""A starter model from a data profile: every rule names values found in the data, with a comment that
says what it found; points come from how rare an activity is, thresholds from the data's distribution.

    draft(profile, tuned) -> str   the model's YAML text (`tuned`: thresholds from a run of the draft)
    tune(outputs) -> Tuned         the thresholds a draft's run on the data gives

The text is written by hand, not dumped, so that each rule carries its comment; every condition's value
is quoted for SQL and every scalar for YAML (`json.dumps` writes a YAML double-quoted scalar).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from whynow.starter.profile import (
    CHANGE_DAYS,
    COMPETITOR_DAYS,
    INTENT_DAYS,
    LOOKBACK_DAYS,
    TITLE_GROUPS,
    TYPES,
    Profile,
)

HAND_RAISING = re.compile(r"demo|contact.?sales|contact.?us|meeting|quote|request|call.?back", re.IGNORECASE)
NEGATIVE = re.compile(r"unsub|bounce|opt.?out|spam|complain", re.IGNORECASE)
SURFACE = re.compile(r"open|view|impression|visit|sent|deliver", re.IGNORECASE)
SENIOR = re.compile(r"c-?level|chief|vp|vice|director|head|exec|svp|evp|owner|founder|partner|president", re.I)
CORE = re.compile(r"sales|marketing|revenue|operations|growth", re.IGNORECASE)


@dataclass(frozen=True)
class Tuned:
    """Thresholds from a run of the draft on the data, with the share of entities each keeps."""

    as_of: dt.date
    grades: dict[str, float] = field(default_factory=lambda: {"A": 80.0, "B": 60.0, "C": 40.0})
    nurture: float = 15.0  # contact engagement: the median of the engaged
    mql: float = 50.0  # contact engagement: the top fifth of the engaged
    mqa_contacts: int = 3  # engaged contacts: the top quarter of the accounts with any
    mqa_activities: int = 9
    notes: dict[str, str] = field(default_factory=dict)  # key → what the threshold keeps, for the comments


def tune(as_of: dt.date, accounts: pa.Table, contacts: pa.Table) -> Tuned:
    """Grades at the account fit's 80th, 60th and 40th percentiles; nurture and MQL at the median and 80th
    percentile of the engagement of contacts with any; MQA at the 75th percentile of engaged contacts."""
    notes: dict[str, str] = {}
    grades: dict[str, float] = {}
    for letter, level in (("A", 0.8), ("B", 0.6), ("C", 0.4)):
        value = _quantile(accounts["fit"], level)
        if value is not None and value > 0 and all(value < g for g in grades.values()):
            grades[letter] = value
            notes[f"grade {letter}"] = f"about the top {round((1 - level) * 100)}% of accounts by fit"
    engaged = contacts.filter(pc.greater(pc.fill_null(contacts["engagement"], 0), 0))["engagement"]
    nurture, mql = _quantile(engaged, 0.5), _quantile(engaged, 0.8)
    counts = accounts.filter(pc.greater(pc.fill_null(accounts["engaged_contacts"], 0), 0))
    people, acts = _quantile(counts["engaged_contacts"], 0.75), _quantile(counts["activities"], 0.75)
    notes["engaged"] = f"{len(engaged):,} of {contacts.num_rows:,} contacts have engagement above 0 as of {as_of}"
    return Tuned(
        as_of,
        grades or {"A": 80.0, "B": 60.0, "C": 40.0},
        nurture if nurture is not None and nurture > 0 else 15.0,
        mql if mql is not None and nurture is not None and mql > nurture else 50.0,
        max(1, math.ceil(people)) if people is not None else 3,
        max(1, math.ceil(acts)) if acts is not None else 9,
        notes,
    )


def _quantile(values: pa.ChunkedArray, level: float) -> float | None:
    values = values.drop_null()
    if not len(values):
        return None
    return round(float(pc.quantile(values, q=level, interpolation="lower")[0].as_py()), 1)


def draft(profile: Profile, tuned: Tuned, name: str) -> str:
    """The model's YAML text."""
    lines = [
        f"# A starter whynow model, written by `whynow init` from {profile.location} on {dt.date.today()}.",
        "# Every rule names values found in the data (each comment says how often); points come from how rare",
        "# an activity is, thresholds from the data's own distribution. It is a start: read each rule, keep what",
        "# matches how you sell, then `whynow check` it against the data and `whynow run` it.",
        *_as_of_hint(profile, tuned),
        f"model: {json.dumps(name)}",
        "",
        *_fit(profile, tuned),
        "",
        *_engagement(profile),
        "",
        *_leads(profile, tuned),
        "",
        *_committee(profile),
        "",
        *_signals(profile),
        "",
        *_accounts(profile, tuned),
        "",
        *_journey(profile, tuned),
        "",
        *_badges(profile),
        "",
        *_capacity(profile),
    ]
    return "\n".join(lines) + "\n"


def _as_of_hint(profile: Profile, tuned: Tuned) -> Iterator[str]:
    newest = profile.newest_activity
    if newest is not None and (dt.date.today() - newest.date()).days > LOOKBACK_DAYS:
        yield f"# The newest activity is from {newest.date()}, more than {LOOKBACK_DAYS} days ago: run with"
        yield f"#   whynow run --as-of {newest.date()} ...   (the thresholds below are as of that date)"


def sql(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} = {sql(values[0])}" if len(values) == 1 else f"{column} IN ({', '.join(map(sql, values))})"


def _like(column: str, patterns: Sequence[str]) -> str:
    return " OR ".join(f"lower({column}) LIKE {sql(p)}" for p in patterns)


def _rule(name: str, when: str, points: float, **more: object) -> Iterator[str]:
    yield f"    - name: {json.dumps(name)}"
    yield f"      when: {json.dumps(when)}"
    yield f"      points: {_number(points)}"
    for key, value in more.items():
        yield f"      {key}: {json.dumps(value)}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _found(profile: Profile, table: str, column: str, limit: int) -> str:
    counted = profile.values(table, column)
    shown = ", ".join(f"{v} ({n:,})" for v, n in counted.values[:limit])
    article = "an" if column[0] in "aeiou" else "a"
    rows = profile.rows.get(table, 0)
    return f"{counted.filled:,} of {rows:,} {table} have {article} {column}; the most common: {shown}"


def _fit(profile: Profile, tuned: Tuned) -> Iterator[str]:
    yield "fit:"
    yield "  account:"
    rules = list(_account_fit(profile))
    yield from rules or ["    []  # the accounts have no industry, size, region or technology to score"]
    yield "  contact:"
    rules = list(_contact_fit(profile))
    yield from rules or ["    []  # the contacts have no seniority, department or title to score"]
    grades = ", ".join(f"{letter}: {_number(value)}" for letter, value in tuned.grades.items())
    cuts = "; ".join(f"{k}: {v}" for k, v in tuned.notes.items() if k.startswith("grade"))
    yield f"  grades: {{{grades}}}  # {cuts or 'the defaults: no account fit above 0 to cut at percentiles'}"


def _account_fit(profile: Profile) -> Iterator[str]:
    industries = profile.values("accounts", "industry").names(3)
    if industries:
        yield f"    # {_found(profile, 'accounts', 'industry', 6)}. Put your ideal customers' industries here."
        yield from _rule("Common industry", _in("industry", industries), 20)
    for column, points, what in (("employees", 15, "employees"), ("annual_revenue", 10, "annual revenue")):
        q = profile.quantiles.get(("accounts", column), {})
        if 0.5 in q and 0.8 in q and q[0.8] > q[0.5] > 0:
            yield f"    # {what}: half the accounts have at least {q[0.5]:,.0f}, a fifth at least {q[0.8]:,.0f}"
            yield from _rule(f"Larger {what} (top half)", f"{column} >= {_number(round(q[0.5]))}", points)
            yield from _rule(f"Largest {what} (top fifth)", f"{column} >= {_number(round(q[0.8]))}", points)
    for column in ("region", "country"):
        places = profile.values("accounts", column).names(2)
        if places:
            yield f"    # {_found(profile, 'accounts', column, 5)}"
            yield from _rule(f"Served {column}", _in(column, places), 10)
            break
    technology = profile.values("technographics", "technology").names(1)
    if technology:
        yield f"    # {_found(profile, 'technographics', 'technology', 5)}"
        yield from _rule(f"Uses {technology[0]}", _slug("uses", technology[0]), 10)


def _contact_fit(profile: Profile) -> Iterator[str]:
    seniorities = profile.values("contacts", "seniority").names()
    senior = [s for s in seniorities if SENIOR.search(s)]
    managers = [s for s in seniorities if "manager" in s.lower()]
    if senior:
        yield f"    # {_found(profile, 'contacts', 'seniority', 8)}"
        yield from _rule("Senior buyer", _in("seniority", senior), 40)
        if managers:
            yield from _rule("Manager", _in("seniority", managers), 20)
    elif _titled(profile, "C-level", "VP", "Director"):
        yield "    # no seniority column: read from titles; " + _title_counts(profile, "C-level", "VP", "Director")
        yield from _rule("Senior title", _like("title", _patterns("C-level", "VP", "Director")), 40)
        if _titled(profile, "Manager"):
            yield from _rule("Manager title", _like("title", _patterns("Manager")), 20)
    departments = profile.values("contacts", "department").names()
    core = [d for d in departments if CORE.search(d)] or departments[:3]
    if core:
        yield f"    # {_found(profile, 'contacts', 'department', 8)}"
        yield from _rule("Core department", _in("department", core), 30)
    elif _titled(profile, "Sales", "Marketing", "Operations"):
        yield "    # no department column: read from titles; " + _title_counts(
            profile, "Sales", "Marketing", "Operations"
        )
        yield from _rule("Core department (title)", _like("title", _patterns("Sales", "Marketing", "Operations")), 30)
    if profile.values("contacts", "email").filled:
        yield "    # a personal address is rarely a buyer"
        personal = ("%@gmail.com", "%@yahoo.com", "%@hotmail.com", "%@outlook.com")
        yield from _rule("Personal email address", _like("email", personal), -30)


def _titled(profile: Profile, *groups: str) -> bool:
    return any(profile.title_groups.get(g) for g in groups)


def _title_counts(profile: Profile, *groups: str) -> str:
    return ", ".join(f"{g} {profile.title_groups.get(g, 0):,}" for g in groups)


def _patterns(*groups: str) -> list[str]:
    return [p for g in groups for p in TITLE_GROUPS[g]]


def _engagement(profile: Profile) -> Iterator[str]:
    """A rule per activity type seen in the lookback (the TYPES most common); older types in a comment."""
    types = [t for t in profile.activity_types if t.recent][:TYPES]
    total = sum(t.rows for t in profile.activity_types) or 1
    yield "engagement:"
    yield "  half_life_days: 30"
    yield f"  lookback_days: {LOOKBACK_DAYS}"
    yield "  anonymous_weight: 0.5"
    if not types:
        yield "  rules: []  # the data has no activities"
        return
    yield "  rules:"
    yield f"    # {total:,} activities of {len(profile.activity_types)} types; a rarer type earns more points"
    for kind in types:
        share = kind.rows / total
        yield f"    # {kind.type}: {kind.rows:,} ({share:.1%}), {kind.first.date()} to {kind.last.date()}"
        if NEGATIVE.search(kind.type):
            yield from _rule(_label(kind.type), f"type = {sql(kind.type)}", -25)
        elif HAND_RAISING.search(kind.type):
            yield from _rule(_label(kind.type), f"type = {sql(kind.type)}", 40, hand_raiser=True)
        elif SURFACE.search(kind.type):
            yield from _rule(_label(kind.type), f"type = {sql(kind.type)}", 1, cap=10)
        else:
            points = max(2, min(30, round(2 + 4 * math.log10(1 / share))))
            yield from _rule(_label(kind.type), f"type = {sql(kind.type)}", points)
    old = [t.type for t in profile.activity_types if not t.recent]
    if old:
        yield f"    # not scored, none in the {LOOKBACK_DAYS} days to {profile.as_of}: " + ", ".join(old[:10])
    rare = [t.type for t in profile.activity_types if t.recent][TYPES:]
    if rare:
        yield f"    # not scored, {len(rare)} rarer types: " + ", ".join(rare[:10])


def _label(kind: str) -> str:
    return kind.replace("_", " ").strip().capitalize() or kind


def _leads(profile: Profile, tuned: Tuned) -> Iterator[str]:
    b, c = _grade(tuned, "B"), _grade(tuned, "C")
    yield "leads:"
    yield f"  # engagement thresholds: {tuned.notes.get('engaged', 'no run to measure them')}"
    yield "  disqualify_when: fit < 0 OR unsubscribed"
    yield "  sql_when: sales_accepted"
    mql = f"(fit >= {b} AND engagement >= {_number(tuned.mql)}) OR (hand_raised AND fit >= {c})"
    yield f"  mql_when: {json.dumps(mql)}  # the top fifth of engaged contacts, or a hand-raiser"
    yield f"  nurture_when: {json.dumps(f'engagement >= {_number(tuned.nurture)}')}  # the engaged median"


def _grade(tuned: Tuned, letter: str) -> str:
    values = list(tuned.grades.values())
    return _number(tuned.grades.get(letter, values[-1]))


def _committee(profile: Profile) -> Iterator[str]:
    yield "buying_committee:"
    yield "  engaged_within_days: 30"
    seniorities = profile.values("contacts", "seniority").names()
    senior = [s for s in seniorities if SENIOR.search(s)]
    departments = profile.values("contacts", "department").names()
    core = [d for d in departments if CORE.search(d)] or departments[:3]
    roles: dict[str, str] = {}
    if senior:
        roles["decision_maker"] = _in("seniority", senior)
    elif _titled(profile, "C-level", "VP"):
        roles["decision_maker"] = _like("title", _patterns("C-level", "VP"))
    if core:
        roles["influencer"] = _in("department", core)
    elif _titled(profile, "Sales", "Marketing", "Operations"):
        roles["influencer"] = _like("title", _patterns("Sales", "Marketing", "Operations"))
    if not roles:
        yield "  roles: {}  # the contacts have no seniority, department or title to give roles by"
        return
    yield "  roles:"
    yield from (f"    {role}: {json.dumps(when)}" for role, when in roles.items())


def _slug(*parts: str) -> str:
    """A signal name from words: lower case, `_` between, starting with a letter."""
    words = re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_") or "value"
    return (words if words[0].isalpha() else f"s_{words}")[:60].rstrip("_")


def signal_names(profile: Profile) -> dict[str, dict[str, object]]:
    """The signals the data can feed, by name: `from`, `where`, `within_days`, `measure`."""
    signals: dict[str, dict[str, object]] = {}
    technology = profile.values("technographics", "technology").names(1)
    if technology:
        signals[_slug("uses", technology[0])] = {
            "from": "technographics",
            "where": f"technology = {sql(technology[0])}",
            "measure": "exists",
        }
    if profile.trues.get(("technographics", "is_competitor")):
        signals["uses_competitor"] = {"from": "technographics", "where": "is_competitor", "measure": "exists"}
    if profile.recent.get("intent"):
        if profile.recent.get("competitor"):
            research = {"from": "intent", "where": "competitor IS NOT NULL", "within_days": COMPETITOR_DAYS}
            signals["competitor_research"] = research | {"measure": "max(score)"}
            signals["competitor_researched"] = research | {"measure": "latest(competitor)"}
        signals["intent_surge"] = {"from": "intent", "within_days": INTENT_DAYS, "measure": "max(score)"}
        signals["surging_topic"] = {"from": "intent", "within_days": INTENT_DAYS, "measure": "latest(topic)"}
    for kind in profile.recent_kinds.names(3):
        signals[_slug(kind, "days_ago")] = {
            "from": "change_events", "where": f"kind = {sql(kind)}", "within_days": CHANGE_DAYS, "measure": "days_since"
        }  # fmt: skip
    return signals


def _signals(profile: Profile) -> Iterator[str]:
    signals = signal_names(profile)
    if not signals:
        yield "signals: {}  # no intent, change events or technographics in the data"
        return
    yield "signals:"
    for name, keys in signals.items():
        yield f"  {name}:"
        yield from (f"    {key}: {json.dumps(value)}" for key, value in keys.items())


def _accounts(profile: Profile, tuned: Tuned) -> Iterator[str]:
    k, a = tuned.mqa_contacts, tuned.mqa_activities
    mqa = f"engaged_contacts >= {k}" + (f" OR (engaged_contacts >= {k - 1} AND activities >= {a})" if k > 1 else "")
    yield "accounts:"
    if any(_account_fit(profile)):
        target = f"fit >= {_grade(tuned, 'B')} OR target"
        yield f"  target_when: {json.dumps(target)}  # grade B or better: about the top 40% of accounts by fit"
    else:
        yield '  target_when: "TRUE"  # no account fit rules to target by: every account is a target'
    yield f"  mqa_when: {json.dumps(mqa)}  # about the top quarter of accounts with an engaged contact"
    tiers = sorted(int(float(t)) for t in profile.values("accounts", "tier").names())
    if tiers and k > 1:  # the first tier, the most valued, qualifies with one engaged person fewer
        yield f"  # {_found(profile, 'accounts', 'tier', 5)}"
        top = f"engaged_contacts >= {k - 1}" + (
            f" OR (engaged_contacts >= {k - 2} AND activities >= {a})" if k > 2 else ""
        )
        yield f"  mqa_when_tier: {{{tiers[0]}: {json.dumps(top)}}}"
    yield f"  sqa_when: {json.dumps('has_open_opportunity OR sales_accepted')}"


def _journey(profile: Profile, tuned: Tuned) -> Iterator[str]:
    yield "journey:"
    if profile.trues.get(("accounts", "is_customer")):
        yield "  - {stage: post_sale, when: is_customer}"
    if profile.rows.get("opportunities"):
        stages = profile.values("opportunities", "stage")
        if stages.values:
            yield f"  # {_found(profile, 'opportunities', 'stage', 8)}; open is what is not closed by its as-of date"
        yield "  - {stage: opportunity, when: has_open_opportunity}"
    yield "  - {stage: mqa, when: mqa}"
    yield f"  - {{stage: engaged, when: {json.dumps(f'engaged_contacts >= 2 OR engagement >= {_number(tuned.mql)}')}}}"
    yield f"  - {{stage: aware, when: {json.dumps(f'days_since_last_activity <= {LOOKBACK_DAYS}')}}}"
    yield "  - {stage: qualified, when: target}"
    yield "  - {stage: unqualified}"


def _badges(profile: Profile) -> Iterator[str]:
    signals = signal_names(profile)
    prospect = "NOT is_customer AND " if profile.trues.get(("accounts", "is_customer")) else ""
    customers = bool(prospect)
    csm = "csm_id" if profile.values("accounts", "csm_id").filled else "owner_id"
    yield "badges:"
    yield "  precedence: [customer, competitive, change]"
    yield "  definitions:"
    if customers and profile.values("accounts", "renewal_date").filled:
        renews = "{account} renews on {renewal_date}[, in {days_to_renewal} {days_to_renewal:plural:day:days}]"
        when = "is_customer AND days_to_renewal BETWEEN 0 AND 120"
        yield from _badge("renewal", "customer", "Renewal window", when, 7, RENEWAL_PLAY, renews, csm)
    health = profile.quantiles.get(("accounts", "health_score"), {})
    if customers and 0.25 in health:
        when = f"is_customer AND health_score < {_number(round(health[0.25]))}"
        at_risk = "{account} is at risk: health score {health_score}"
        yield from _badge("retention-risk", "customer", "Retention risk", when, 30, "Executive save plan", at_risk, csm)
    if "competitor_research" in signals:
        when = prospect + "competitor_research >= 60"
        why = "{account} is researching {competitor_researched|a competitor}"
        yield from _badge("switching", "competitive", "Competitor research", when, 21, DISPLACE, why)
    elif "uses_competitor" in signals:
        when = prospect + "uses_competitor AND engaged_contacts >= 1"
        why = "{account} runs a competitor and {top_contact|someone} is engaging"
        yield from _badge("competitor-user", "competitive", "Runs a competitor", when, 21, DISPLACE, why)
    for kind in profile.recent_kinds.names(3):
        name = _slug(kind, "days_ago")
        why = f"{{account}}: {_label(kind).lower()} {{{name}}} {{{name}:plural:day:days}} ago"
        badge = name.removesuffix("_days_ago").replace("_", "-")
        yield from _badge(
            badge, "change", _label(kind), f"target AND {name} <= 60", 30, "Reach out while it is news", why
        )
    if "intent_surge" in signals:
        q = profile.quantiles.get(("intent", "score"), {}).get(0.75, 75.0)
        when = f"target AND intent_surge >= {_number(round(q))}"
        why = "{account} is researching {surging_topic|our category}"
        yield from _badge("intent-surge", "change", "Intent surge", when, 14, "Category education sequence", why)
    why = "{engaged_contacts} {engaged_contacts:plural:person:people} at {account} engaged in 30 days"
    why += "[, led by {top_contact}]"
    yield from _badge("buying-team", "change", "Buying team engaged", prospect + "mqa", 14, TEAM_PLAY, why)
    scored = [t for t in profile.activity_types if t.recent][:TYPES]
    if any(HAND_RAISING.search(t.type) and not NEGATIVE.search(t.type) for t in scored):
        why = "{contact|Someone}[ ({title})][ at {account}] asked to talk to sales"
        when = "hand_raised AND recent_activities >= 1"
        yield from _badge("hand-raiser", "change", "Hand-raiser", when, 14, "Call within 24 hours", why, for_="contact")


RENEWAL_PLAY = "Renewal review with the executive sponsor"
DISPLACE = "Competitive displacement offer"
TEAM_PLAY = "Multi-threaded outreach to the engaged buying team"


def _badge(
    id: str, archetype: str, label: str, when: str, days: int, play: str, why: str, route_to: str = "owner_id",
    for_: str = "account",
) -> Iterator[str]:  # fmt: skip
    yield f"    - id: {json.dumps(id)}"
    if for_ != "account":
        yield f"      for: {for_}"
    yield f"      archetype: {archetype}"
    yield f"      label: {json.dumps(label)}"
    yield f"      when: {json.dumps(when)}"
    yield f"      expires_after_days: {days}"
    if route_to != "owner_id":
        yield f"      route_to: {route_to}"
    yield f"      play: {json.dumps(play)}"
    yield f"      why: {json.dumps(why)}"


def _capacity(profile: Profile) -> Iterator[str]:
    owned = profile.values("accounts", "owner_id").filled
    yield "capacity:"
    yield "  default_per_rep: 30"
    if not owned:
        yield "  unassigned: 30  # no account has an owner_id: the unassigned queue holds them"
    yield "  rank_by: fit + engagement"
