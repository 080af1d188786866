"""Pipeline properties (SPEC §2, §4.2, §4.3) on small generated data: decay is monotone and never exceeds
the points; rows after the horizon change nothing; fit stays within [−100, 100].

Each example runs DuckDB, so examples are few and each gets its own temporary folder (Hypothesis reuses
the test function, so pytest's function-scoped tmp_path would be shared between examples).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pipeline.builders import AS_OF, by_id, column, score

HORIZON = dt.datetime(2026, 11, 21)  # AS_OF + 1 day at 00:00 UTC
MICROSECONDS_PER_DAY = 86_400_000_000
PROPERTY_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def timestamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def run(model: str, **tables: str):
    with tempfile.TemporaryDirectory() as folder:
        return score(Path(folder), model, as_of=AS_OF, **tables)


# --- (a) decay: older activity never earns more, and never more than the points ---------------------

# Ages up to 364 days, to the microsecond: inside the default 365-day lookback.
ages = st.integers(min_value=1, max_value=364 * MICROSECONDS_PER_DAY)


@PROPERTY_SETTINGS
@given(
    points=st.integers(min_value=-100, max_value=100).filter(bool),
    half_life=st.one_of(st.integers(min_value=1, max_value=90), st.floats(min_value=0.5, max_value=90)),
    ages=st.lists(ages, min_size=2, max_size=4),
)
def test_decay_is_monotone_in_age_and_never_exceeds_the_points(points, half_life, ages):
    # One contact per age, each with one page view: engagement = points × 0.5 ** (age / half_life).
    ids = [f"C{i}" for i in range(len(ages))]
    contacts = "contact_id,account_id\n" + "".join(f"{c},A1\n" for c in ids)
    activities = "activity_id,occurred_at,type,contact_id\n" + "".join(
        f"X{i},{timestamp(HORIZON - dt.timedelta(microseconds=age))},page_view,{c}\n"
        for i, (c, age) in enumerate(zip(ids, ages, strict=True))
    )
    model = f"""
        engagement:
          half_life_days: {half_life!r}
          rules:
            - {{name: Page, when: "type = 'page_view'", points: {points}}}
    """
    tables = run(model, accounts="account_id,name\nA1,Acme\n", contacts=contacts, activities=activities)
    engagement = column(tables, "contact_engagement", "contact_id", "engagement")

    by_age = sorted(zip(ages, ids, strict=True))
    magnitudes = [abs(engagement[c]) for _, c in by_age]
    assert magnitudes == sorted(magnitudes, reverse=True), "an older activity earned more"
    for age, c in by_age:
        value = engagement[c]
        assert abs(value) <= abs(points)
        assert value * points >= 0, "decay never flips the sign"
        expected = points * 0.5 ** (age / MICROSECONDS_PER_DAY / half_life)
        assert abs(value - expected) <= 1e-6


# --- (b) a row after the horizon does not exist for the run -----------------------------------------

ACCOUNTS = "account_id,name,domain\nA1,Acme,acme.com\nA2,Beta,beta.io\n"
CONTACTS = "contact_id,account_id\nC1,A1\nC2,A1\nC3,A2\n"
# Every measure an activity can feed: decayed and capped engagement, hand raisers, recent activity,
# days since, and signals of every kind at both levels.
HORIZON_MODEL = """
engagement:
  half_life_days: 10
  lookback_days: 60
  anonymous_weight: 0.5
  rules:
    - {name: Demo, when: "type = 'demo_request'", points: 40, hand_raiser: true}
    - {name: Page, when: "type = 'page_view'", points: 3, cap: 5}
    - {name: Unsubscribe, when: "type = 'unsubscribe'", points: -20}
buying_committee:
  engaged_within_days: 14
signals:
  pages: {from: activities, measure: count}
  week: {from: activities, measure: count, within_days: 7}
  kinds: {from: activities, measure: count_distinct(type), within_days: 7}
  last_type: {from: activities, measure: latest(type)}
  since: {from: activities, measure: days_since}
  demo: {from: activities, where: "type = 'demo_request'", measure: exists, within_days: 30}
  contact_pages: {from: activities, measure: count, level: contact}
  contact_last: {from: activities, measure: latest(type), level: contact}
leads:
  sql_when: "hand_raised"
  mql_when: "engagement >= 5"
  nurture_when: "contact_pages >= 1"
"""
# (contact_id, account_id, domain) of whoever did the activity: known contacts or anonymous visitors.
actors = st.sampled_from(
    [("C1", "", ""), ("C2", "", ""), ("C3", "", ""), ("", "A1", ""), ("", "", "WWW.Acme.com"), ("", "", "beta.io")]
)
types = st.sampled_from(["page_view", "demo_request", "unsubscribe"])
activity_before = st.tuples(actors, types, st.integers(min_value=1, max_value=90 * MICROSECONDS_PER_DAY))
activity_after = st.tuples(actors, types, st.integers(min_value=0, max_value=30 * MICROSECONDS_PER_DAY))


def activities_csv(rows: list[tuple[tuple[str, str, str], str, dt.datetime]]) -> str:
    lines = ["activity_id,occurred_at,type,contact_id,account_id,domain"]
    for i, ((contact, account, domain), kind, moment) in enumerate(rows):
        lines.append(f"X{i},{timestamp(moment)},{kind},{contact},{account},{domain}")
    return "\n".join(lines) + "\n"


def measures(activities: str) -> tuple[dict, dict]:
    tables = run(HORIZON_MODEL, accounts=ACCOUNTS, contacts=CONTACTS, activities=activities)
    contact_columns = [c for c in tables["contact_measures"].columns if c != "contact_id"]
    account_columns = [c for c in tables["account_measures"].columns if c != "account_id"]
    return (
        by_id(tables, "contact_measures", "contact_id", *contact_columns),
        by_id(tables, "account_measures", "account_id", *account_columns),
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.lists(activity_before, max_size=4), after=activity_after)
def test_an_activity_after_the_horizon_changes_nothing(before, after):
    # `after` is at H + k µs with k ≥ 0: at or after the horizon, so it does not exist for the run.
    rows = [(actor, kind, HORIZON - dt.timedelta(microseconds=age)) for actor, kind, age in before]
    (actor, kind, delay) = after
    later = (actor, kind, HORIZON + dt.timedelta(microseconds=delay))
    assert measures(activities_csv(rows)) == measures(activities_csv([*rows, later]))


# --- (c) fit is clamped to [−100, 100] --------------------------------------------------------------

# Conditions with the accounts (contacts) they hold for; NULL columns never match a comparison.
ACCOUNT_CONDITIONS = {
    "true": {"A1", "A2", "A3"},
    "employees >= 100": {"A2"},
    "employees < 100": {"A1"},
    "region = 'EU'": {"A1"},
    "region IS NULL": {"A3"},
}
FIT_ACCOUNTS = "account_id,name,employees,region\nA1,Acme,50,EU\nA2,Beta,500,US\nA3,Gamma,,\n"
CONTACT_CONDITIONS = {
    "true": {"C1", "C2", "C3"},
    "seniority = 'vp'": {"C1"},
    "seniority <> 'vp'": {"C2"},
    "title ILIKE '%head%'": {"C2"},
}
FIT_CONTACTS = "contact_id,account_id,seniority,title\nC1,A1,vp,VP Sales\nC2,A1,manager,Head of Ops\nC3,A2,,\n"


def fit_rules(conditions: dict[str, set[str]]):
    rule = st.tuples(st.sampled_from(sorted(conditions)), st.integers(min_value=-150, max_value=150))
    return st.lists(rule, max_size=6)


def rules_yaml(rules: list[tuple[str, int]], prefix: str) -> str:
    if not rules:
        return "[]"
    return "\n" + "\n".join(
        f'    - {{name: {prefix}{i}, when: "{when}", points: {points}}}' for i, (when, points) in enumerate(rules)
    )


def clamped(rules: list[tuple[str, int]], conditions: dict[str, set[str]], entity: str) -> int:
    return max(-100, min(100, sum(points for when, points in rules if entity in conditions[when])))


@PROPERTY_SETTINGS
@given(account_rules=fit_rules(ACCOUNT_CONDITIONS), contact_rules=fit_rules(CONTACT_CONDITIONS))
def test_fit_stays_within_plus_and_minus_100(account_rules, contact_rules):
    model = (
        f"fit:\n  account: {rules_yaml(account_rules, 'Account')}\n  contact: {rules_yaml(contact_rules, 'Contact')}\n"
    )
    tables = run(model, accounts=FIT_ACCOUNTS, contacts=FIT_CONTACTS)
    account_fit = column(tables, "account_fit", "account_id", "fit")
    contact_fit = column(tables, "contact_fit", "contact_id", "fit")
    for fits in (account_fit, contact_fit):
        assert all(-100 <= fit <= 100 for fit in fits.values())
    # The fit is the clamp of the sum of the points of every rule that holds (SPEC §4.2).
    assert account_fit == {a: clamped(account_rules, ACCOUNT_CONDITIONS, a) for a in account_fit}
    assert contact_fit == {c: clamped(contact_rules, CONTACT_CONDITIONS, c) for c in contact_fit}
