"""Engagement (SPEC §2, §4.3): decay, lookback, horizon, caps, negative rules, anonymous activity.

As of 2026-11-20 the horizon H is 2026-11-21 00:00 UTC; an activity's age is H − occurred_at in days.
"""

from __future__ import annotations

import pytest

from tests.pipeline.builders import by_id, column, score

ACCOUNTS = "account_id,name,domain\nA1,Acme,acme.com\nA2,Beta,beta.io\n"
CONTACTS = "contact_id,account_id,first_name,last_name\nC1,A1,Ann,Lee\nC2,A1,Bob,Roe\n"

MODEL = """
engagement:
  half_life_days: 10
  lookback_days: 60
  anonymous_weight: 0.5
  rules:
    - {name: Demo, when: "type = 'demo_request'", points: 40, hand_raiser: true}
    - {name: Page, when: "type = 'page_view'", points: 2, cap: 5}
    - {name: Pricing, when: "type = 'page_view' AND url LIKE '%/pricing%'", points: 10}
    - {name: Unsubscribe, when: "type = 'unsubscribe'", points: -30, cap: 20}
"""


def run(tmp_path, activities: str, model: str = MODEL):
    return score(tmp_path, model, accounts=ACCOUNTS, contacts=CONTACTS, activities=activities)


def test_decay_at_exactly_one_half_life_halves_the_points(tmp_path):
    # age = H − 2026-11-11 00:00 = 10 days = one half-life: 40 × 0.5 = 20
    tables = run(tmp_path, "activity_id,occurred_at,type,contact_id\nX1,2026-11-11 00:00:00,demo_request,C1\n")
    assert column(tables, "contact_measures", "contact_id", "engagement")["C1"] == 20


def test_fractional_age_in_days(tmp_path):
    # age = H − 2026-11-20 12:00 = 0.5 days: 40 × 0.5 ** (0.5 / 10) = 38.637453…
    tables = run(tmp_path, "activity_id,occurred_at,type,contact_id\nX1,2026-11-20 12:00:00,demo_request,C1\n")
    assert column(tables, "contact_measures", "contact_id", "engagement")["C1"] == pytest.approx(38.637453, abs=1e-6)


def test_offset_timestamps_age_from_their_utc_instant(tmp_path):
    # 2026-11-11 01:00+01:00 is 2026-11-11 00:00 UTC: exactly one half-life, 20 points
    tables = run(tmp_path, "activity_id,occurred_at,type,contact_id\nX1,2026-11-11T01:00:00+01:00,demo_request,C1\n")
    assert column(tables, "contact_measures", "contact_id", "engagement")["C1"] == 20


def test_the_horizon_excludes_a_row_at_midnight_of_the_next_day(tmp_path):
    # X2 at 2026-11-21 00:00 is not before the horizon: it does not exist for this run
    activities = (
        "activity_id,occurred_at,type,contact_id\n"
        "X1,2026-11-11 00:00:00,demo_request,C1\n"
        "X2,2026-11-21 00:00:00,demo_request,C1\n"
    )
    tables = run(tmp_path, activities)
    assert column(tables, "contact_measures", "contact_id", "engagement")["C1"] == 20


def test_the_lookback_window_start_is_inclusive(tmp_path):
    # X1 is exactly 60 days old (inside: 40 × 0.5^6 = 0.625); X2 is 60 days and 1 second old (outside)
    activities = (
        "activity_id,occurred_at,type,contact_id\n"
        "X1,2026-09-22 00:00:00,demo_request,C1\n"
        "X2,2026-09-21 23:59:59,demo_request,C1\n"
    )
    tables = run(tmp_path, activities)
    assert column(tables, "contact_measures", "contact_id", "engagement")["C1"] == 0.625


def test_every_matching_rule_counts(tmp_path):
    # one /pricing page view at one half-life: Page 2 × 0.5 + Pricing 10 × 0.5 = 6
    tables = run(
        tmp_path, "activity_id,occurred_at,type,contact_id,url\nX1,2026-11-11 00:00:00,page_view,C1,/pricing\n"
    )
    assert column(tables, "contact_measures", "contact_id", "engagement")["C1"] == 6


def test_a_cap_reached_limits_one_rule_for_one_contact(tmp_path):
    # four page views at age 1 day: 4 × 2 × 0.5^0.1 = 7.464263 > cap 5 → 5; C2's views are capped apart
    rows = (
        "".join(f"X{i},2026-11-20 00:00:00,page_view,C1\n" for i in range(4)) + "Y1,2026-11-20 00:00:00,page_view,C2\n"
    )
    tables = run(tmp_path, "activity_id,occurred_at,type,contact_id\n" + rows)
    engagement = column(tables, "contact_measures", "contact_id", "engagement")
    assert engagement["C1"] == 5
    assert engagement["C2"] == pytest.approx(2 * 0.5**0.1, abs=1e-6)  # 1.866066, under the cap
    breakdown = tables["engagement_breakdown"].to_pyarrow().to_pylist()
    assert {"entity_type": "contact", "entity_id": "C1", "part": "engagement", "rule": "Page", "points": 5.0,
            "rows": 4, "capped": True} in breakdown  # fmt: skip


def test_a_negative_rule_is_capped_in_absolute_value(tmp_path):
    # two unsubscribes at one half-life: −30 × 0.5 × 2 = −30, beyond the cap of 20 → −20
    rows = "X1,2026-11-11 00:00:00,unsubscribe,C1\nX2,2026-11-11 00:00:00,unsubscribe,C1\n"
    tables = run(tmp_path, "activity_id,occurred_at,type,contact_id\n" + rows)
    measures = by_id(tables, "contact_measures", "contact_id", "engagement", "engaged", "recent_activities")
    assert measures["C1"] == {"engagement": -20, "engaged": False, "recent_activities": 0}  # not engaging


def test_no_decay_without_a_half_life(tmp_path):
    model = MODEL.replace("half_life_days: 10", "half_life_days: 0")
    tables = run(tmp_path, "activity_id,occurred_at,type,contact_id\nX1,2026-10-01 00:00:00,demo_request,C1\n", model)
    assert column(tables, "contact_measures", "contact_id", "engagement")["C1"] == 40


def test_anonymous_activity_matched_by_domain_with_www_counts_with_its_weight(tmp_path):
    # anonymous demo at one half-life: 20 points to A1 (domain WWW.Acme.com → acme.com), weighted 0.5 → 10
    activities = "activity_id,occurred_at,type,domain\nX1,2026-11-11 00:00:00,demo_request,WWW.Acme.com\n"
    tables = run(tmp_path, activities)
    accounts = by_id(tables, "account_measures", "account_id", "engagement", "anonymous_activities")
    assert accounts["A1"] == {"engagement": 10, "anonymous_activities": 1}
    assert accounts["A2"] == {"engagement": 0, "anonymous_activities": 0}
    rows = tables["engagement_breakdown"].to_pyarrow().to_pylist()
    assert [r for r in rows if r["entity_id"] == "A1"] == [
        {"entity_type": "account", "entity_id": "A1", "part": "anonymous", "rule": "Demo", "points": 20.0,
         "rows": 1, "capped": False}
    ]  # fmt: skip


def test_a_contacts_own_account_wins_over_the_activitys_account_id(tmp_path):
    # X1 names account A2 but its contact C1 belongs to A1 (SPEC §3)
    tables = run(
        tmp_path, "activity_id,occurred_at,type,contact_id,account_id\nX1,2026-11-11 00:00:00,demo_request,C1,A2\n"
    )
    engagement = column(tables, "account_measures", "account_id", "engagement")
    assert engagement == {"A1": 20, "A2": 0}


def test_an_activity_of_an_unknown_contact_is_unmatched(tmp_path):
    tables = run(
        tmp_path, "activity_id,occurred_at,type,contact_id,account_id\nX1,2026-11-11 00:00:00,demo_request,C9,A1\n"
    )
    assert column(tables, "account_measures", "account_id", "engagement") == {"A1": 0, "A2": 0}


def test_hand_raised_and_days_since_last_activity(tmp_path):
    activities = (
        "activity_id,occurred_at,type,contact_id\n"
        "X1,2026-11-15 08:00:00,demo_request,C1\n"
        "X2,2026-11-18 23:00:00,email_open,C1\n"  # matches no rule, but is the last activity
    )
    tables = run(tmp_path, activities)
    measures = by_id(tables, "contact_measures", "contact_id", "hand_raised", "days_since_last_activity")
    assert measures["C1"] == {"hand_raised": True, "days_since_last_activity": 2}  # 2026-11-18 → 2026-11-20
    assert measures["C2"] == {"hand_raised": False, "days_since_last_activity": None}


def test_a_signal_window_wider_than_the_lookback_leaves_older_rows_out_of_engagement(tmp_path):
    # The 90-day signal reads X2 (70 days old); engagement's 60-day lookback does not: only X1's 20 points,
    # last active 9 days before the as-of date. (With the lookback the widest window, rows are cut before
    # grouping instead.)
    activities = (
        "activity_id,occurred_at,type,contact_id\n"
        "X1,2026-11-11 00:00:00,demo_request,C1\n"
        "X2,2026-09-12 00:00:00,demo_request,C1\n"
    )
    model = MODEL + "signals:\n  demos: {from: activities, within_days: 90, measure: count, level: contact}\n"
    tables = run(tmp_path, activities, model)
    assert column(tables, "contact_measures", "contact_id", "engagement")["C1"] == 20
    assert column(tables, "contact_signals", "contact_id", "demos")["C1"] == 2
    assert column(tables, "contact_measures", "contact_id", "days_since_last_activity")["C1"] == 9


def test_a_rule_whose_condition_is_constant_counts_every_row_inside_the_lookback(tmp_path):
    # `when: TRUE` matches every activity: 2 points each, no decay to speak of at half-life 10_000 days.
    # Found by the model fuzzer: a constant condition is a scalar, not a column, and was counted as one.
    model = (
        "engagement:\n  half_life_days: 10000\n  lookback_days: 60\n"
        "  rules:\n    - {name: Any, when: 'TRUE', points: 2}\n"
    )
    activities = (
        "activity_id,occurred_at,type,contact_id\n"
        "X1,2026-11-20 00:00:00,page_view,C1\nX2,2026-11-19 00:00:00,email_open,C1\n"
        "X3,2026-08-01 00:00:00,page_view,C1\n"  # before the lookback
    )
    tables = run(tmp_path, activities, model)
    assert column(tables, "contact_measures", "contact_id", "engagement")["C1"] == pytest.approx(4, abs=0.01)
