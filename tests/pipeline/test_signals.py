"""Signals (SPEC §4.7): every measure, at account and contact level, with windows, `where` and defaults.

As of 2026-11-20 the horizon H is 2026-11-21 00:00 UTC; a window of N days is [H − N days, H).
Each test names the rows that feed each value and why the others do not.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.pipeline.builders import column, score

# A3 has no rows in any table: it shows each measure's default.
ACCOUNTS = """
    account_id,name,domain
    A1,Acme,acme.com
    A2,Beta,beta.io
    A3,Gamma,gamma.dev
"""
CONTACTS = """
    contact_id,account_id
    C1,A1
    C2,A1
    C3,A2
"""


def signal(tmp_path, definition: str, level: str = "account", **tables: str) -> dict[str, object]:
    """{account_id or contact_id: value} of one signal `s` defined by `definition` (YAML flow mapping)."""
    model = f"signals:\n  s: {definition}\n"
    tables = {"accounts": ACCOUNTS, "contacts": CONTACTS, **tables}
    result = score(tmp_path, model, **tables)
    key = "account_id" if level == "account" else "contact_id"
    return column(result, f"{level}_signals", key, "s")


# --- count, and which activity rows belong to an account -------------------------------------------

ACTIVITIES = """
    activity_id,occurred_at,type,contact_id,account_id,domain,campaign
    X1,2026-11-20 10:00:00,page_view,C1,,,q4
    X2,2026-11-10 00:00:00,page_view,,A1,,q4
    X3,2026-11-01 00:00:00,email_click,,,WWW.Acme.com,webinar
    X4,2026-11-15 00:00:00,demo_request,C3,A1,,
    X5,2026-11-21 00:00:00,page_view,C1,,,q4
    X6,2026-11-19 00:00:00,page_view,,,unknown.io,q4
    X7,2026-11-19 00:00:00,page_view,C999,A1,,q4
"""


def test_count_of_account_activities_includes_anonymous_rows_by_account_id_and_domain(tmp_path):
    # A1: X1 (contact C1), X2 (anonymous, account_id A1), X3 (anonymous, WWW.Acme.com → acme.com) = 3.
    # X4 belongs to C3's account A2 (its own account_id A1 is ignored); X5 is at H (after the horizon);
    # X6 matches no account; X7's contact C999 does not exist, so it is unmatched (not A1's, SPEC §3).
    # A2: X4 = 1. A3: no rows, count 0.
    values = signal(tmp_path, "{from: activities, measure: count}", activities=ACTIVITIES)
    assert values == {"A1": 3, "A2": 1, "A3": 0}


def test_count_of_contact_activities(tmp_path):
    # C1: X1 only (X5 is at the horizon, so it never counts); C2: none → 0; C3: X4.
    values = signal(tmp_path, "{from: activities, measure: count, level: contact}", "contact", activities=ACTIVITIES)
    assert values == {"C1": 1, "C2": 0, "C3": 1}


def test_where_keeps_only_matching_rows(tmp_path):
    # type = 'page_view' for A1: X1 and X2 (X3 is an email_click, X5 after the horizon) = 2.
    definition = "{from: activities, where: \"type = 'page_view'\", measure: count}"
    assert signal(tmp_path, definition, activities=ACTIVITIES) == {"A1": 2, "A2": 0, "A3": 0}


def test_where_at_contact_level(tmp_path):
    definition = "{from: activities, where: \"type = 'demo_request'\", measure: count, level: contact}"
    assert signal(tmp_path, definition, "contact", activities=ACTIVITIES) == {"C1": 0, "C2": 0, "C3": 1}


# --- windows: [H − N days, H) -----------------------------------------------------------------------

WINDOW_ACTIVITIES = """
    activity_id,occurred_at,type,contact_id
    X1,2026-11-07 00:00:00,page_view,C1
    X2,2026-11-06 23:59:59.999999,page_view,C1
    X3,2026-11-20 23:59:59.999999,page_view,C1
    X4,2026-11-21 00:00:00,page_view,C1
"""


def test_window_of_n_days_includes_its_start_and_excludes_the_horizon(tmp_path):
    # H − 14 days = 2026-11-07 00:00: X1 exactly at the start is inside, X2 a microsecond earlier is
    # outside, X3 a microsecond before H is inside, X4 at H is after the horizon. A1: X1 + X3 = 2.
    definition = "{from: activities, within_days: 14, measure: count}"
    assert signal(tmp_path, definition, activities=WINDOW_ACTIVITIES) == {"A1": 2, "A2": 0, "A3": 0}


def test_window_at_contact_level(tmp_path):
    # The same rows for C1: X1 and X3 in the 14-day window.
    definition = "{from: activities, within_days: 14, measure: count, level: contact}"
    values = signal(tmp_path, definition, "contact", activities=WINDOW_ACTIVITIES)
    assert values == {"C1": 2, "C2": 0, "C3": 0}


def test_no_window_keeps_every_row_before_the_horizon_whatever_the_lookback(tmp_path):
    # lookback_days does not apply to signals: X2 (2 years old) counts; X3 (at H) does not. A1 = 2.
    activities = """
        activity_id,occurred_at,type,contact_id
        X1,2026-11-20 00:00:00,page_view,C1
        X2,2024-11-20 00:00:00,page_view,C1
        X3,2026-11-21 00:00:00,page_view,C1
    """
    model = "engagement: {lookback_days: 30}\nsignals:\n  s: {from: activities, measure: count}\n"
    tables = score(tmp_path, model, accounts=ACCOUNTS, contacts=CONTACTS, activities=activities)
    assert column(tables, "account_signals", "account_id", "s") == {"A1": 2, "A2": 0, "A3": 0}


def test_window_on_intent_observed_at(tmp_path):
    # 7-day window starts 2026-11-14 00:00: I1 (11-14 00:00) in, I2 (11-13 23:59) out, I3 (11-21) after H.
    intent = """
        intent_id,observed_at,topic,score,account_id
        I1,2026-11-14 00:00:00,crm,50,A1
        I2,2026-11-13 23:59:00,crm,90,A1
        I3,2026-11-21 00:00:00,crm,99,A1
    """
    definition = "{from: intent, within_days: 7, measure: max(score)}"
    assert signal(tmp_path, definition, intent=intent) == {"A1": 50, "A2": None, "A3": None}


def test_window_on_change_events_occurred_at(tmp_path):
    # 30-day window starts 2026-10-22 00:00: E1 (10-22) and E2 (11-20) in; E3 (10-21) out. A1 = 2.
    # E4 matches A2 by domain.
    change_events = """
        event_id,occurred_at,kind,account_id,domain
        E1,2026-10-22 00:00:00,funding,A1,
        E2,2026-11-20 00:00:00,new_executive,A1,
        E3,2026-10-21 23:00:00,funding,A1,
        E4,2026-11-01 00:00:00,funding,,beta.io
    """
    definition = "{from: change_events, within_days: 30, measure: count}"
    assert signal(tmp_path, definition, change_events=change_events) == {"A1": 2, "A2": 1, "A3": 0}


# --- count_distinct, sum, max, min ------------------------------------------------------------------


def test_count_distinct_of_a_number_ignores_nulls(tmp_path):
    # A1's amounts: E1 5, E2 5, E3 NULL → {5} = 1 (NULL is not a value). A2: E4 7 → 1. A3: 0.
    change_events = """
        event_id,occurred_at,kind,account_id,amount
        E1,2026-11-01 00:00:00,funding,A1,5
        E2,2026-11-02 00:00:00,funding,A1,5
        E3,2026-11-03 00:00:00,funding,A1,
        E4,2026-11-03 00:00:00,funding,A2,7
    """
    definition = "{from: change_events, measure: count_distinct(amount)}"
    assert signal(tmp_path, definition, change_events=change_events) == {"A1": 1, "A2": 1, "A3": 0}


def test_count_distinct_of_a_text_column_ignores_nulls(tmp_path):
    # count_distinct, max and min take any column, not only numbers (text, dates, timestamps).
    # A1's campaigns: X1 q4, X2 q4, X3 webinar → {q4, webinar} = 2. A2's X4 has no campaign → 0.
    definition = "{from: activities, measure: count_distinct(campaign)}"
    assert signal(tmp_path, definition, activities=ACTIVITIES) == {"A1": 2, "A2": 0, "A3": 0}


def test_count_distinct_of_a_text_column_at_contact_level(tmp_path):
    # C1: X1 page_view (X5 after H) → 1; C3: X4 demo_request → 1; C2: none → 0.
    definition = "{from: activities, measure: count_distinct(type), level: contact}"
    assert signal(tmp_path, definition, "contact", activities=ACTIVITIES) == {"C1": 1, "C2": 0, "C3": 1}


def test_max_of_a_text_column_compares_bytes(tmp_path):
    # A1 competitors: 'Zoho' and 'hubspot'; byte order puts lower case after upper case: 'hubspot'.
    intent = """
        intent_id,observed_at,topic,score,account_id,competitor
        I1,2026-11-18 00:00:00,crm,40,A1,Zoho
        I2,2026-11-19 00:00:00,crm,50,A1,hubspot
    """
    assert signal(tmp_path, "{from: intent, measure: max(competitor)}", intent=intent)["A1"] == "hubspot"


def test_min_of_a_timestamp_column(tmp_path):
    # A1's first intent row before H: I2 at 2026-11-10 (I4 at 2026-11-21 does not exist yet).
    values = signal(tmp_path, "{from: intent, measure: min(observed_at)}", intent=INTENT)
    assert values["A1"] == dt.datetime(2026, 11, 10, tzinfo=dt.UTC)


INTENT = """
    intent_id,observed_at,topic,score,account_id,domain,contact_id,topic_category
    I1,2026-11-18 00:00:00,crm,40,A1,,C1,competitor
    I2,2026-11-10 00:00:00,crm,35.5,,acme.com,,competitor
    I3,2026-11-19 00:00:00,pricing,80,A1,,C1,product
    I4,2026-11-21 00:00:00,crm,99,A1,,C1,competitor
    I5,2026-11-12 00:00:00,crm,20,A2,,C3,competitor
"""
COMPETITOR = "where: \"topic_category = 'competitor'\""


def test_sum_of_intent_scores(tmp_path):
    # A1 competitor rows: I1 40 + I2 35.5 (by domain) = 75.5 (I3 is product, I4 after H); A2: I5 20.
    definition = f"{{from: intent, {COMPETITOR}, measure: sum(score)}}"
    assert signal(tmp_path, definition, intent=INTENT) == {"A1": 75.5, "A2": 20, "A3": None}


def test_sum_is_rounded_to_six_decimals(tmp_path):
    # 0.1 + 0.2 = 0.30000000000000004 in floating point; SPEC §4 rounds to 6 decimals: 0.3.
    intent = """
        intent_id,observed_at,topic,score,account_id
        I1,2026-11-18 00:00:00,crm,0.1,A1
        I2,2026-11-19 00:00:00,crm,0.2,A1
    """
    assert signal(tmp_path, "{from: intent, measure: sum(score)}", intent=intent)["A1"] == 0.3


def test_max_of_intent_scores(tmp_path):
    # A1 competitor rows: max(40, 35.5) = 40 (I3's 80 is a product topic, I4's 99 after H).
    definition = f"{{from: intent, {COMPETITOR}, measure: max(score)}}"
    assert signal(tmp_path, definition, intent=INTENT) == {"A1": 40, "A2": 20, "A3": None}


def test_min_of_intent_scores(tmp_path):
    # A1 competitor rows: min(40, 35.5) = 35.5.
    definition = f"{{from: intent, {COMPETITOR}, measure: min(score)}}"
    assert signal(tmp_path, definition, intent=INTENT) == {"A1": 35.5, "A2": 20, "A3": None}


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        # C1 rows before H: I1 (40, competitor) and I3 (80, product); I2 has no contact; I4 is after H.
        pytest.param("count", {"C1": 2, "C2": 0, "C3": 1}, id="count"),
        pytest.param("count_distinct(score)", {"C1": 2, "C2": 0, "C3": 1}, id="count_distinct"),
        pytest.param("sum(score)", {"C1": 120, "C2": None, "C3": 20}, id="sum"),
        pytest.param("max(score)", {"C1": 80, "C2": None, "C3": 20}, id="max"),
        pytest.param("min(score)", {"C1": 40, "C2": None, "C3": 20}, id="min"),
        pytest.param("latest(topic)", {"C1": "pricing", "C2": None, "C3": "crm"}, id="latest"),
        pytest.param("exists", {"C1": True, "C2": False, "C3": True}, id="exists"),
        # I3 on 2026-11-19 → 1 day; I5 on 2026-11-12 → 8 days.
        pytest.param("days_since", {"C1": 1, "C2": None, "C3": 8}, id="days_since"),
    ],
)
def test_contact_level_intent_measures(tmp_path, measure, expected):
    definition = f"{{from: intent, measure: {measure}, level: contact}}"
    assert signal(tmp_path, definition, "contact", intent=INTENT) == expected


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        pytest.param("count", 0, id="count"),
        pytest.param("count_distinct(score)", 0, id="count_distinct"),
        pytest.param("exists", False, id="exists"),
        pytest.param("sum(score)", None, id="sum"),
        pytest.param("max(score)", None, id="max"),
        pytest.param("min(score)", None, id="min"),
        pytest.param("latest(topic)", None, id="latest"),
        pytest.param("days_since", None, id="days_since"),
    ],
)
def test_defaults_on_no_rows(tmp_path, measure, expected):
    # A3 has no intent rows; A2's only row (I5) is outside the where.
    definition = f"{{from: intent, where: \"topic = 'pricing'\", measure: {measure}}}"
    values = signal(tmp_path, definition, intent=INTENT)
    assert values["A2"] == expected
    assert values["A3"] == expected


def test_defaults_when_the_table_is_missing(tmp_path):
    # No intent.csv at all: an empty table, so every account gets the defaults.
    model = """
        signals:
          n: {from: intent, measure: count}
          e: {from: intent, measure: exists}
          m: {from: intent, measure: max(score)}
    """
    tables = score(tmp_path, model, accounts=ACCOUNTS)
    assert column(tables, "account_signals", "account_id", "n") == {"A1": 0, "A2": 0, "A3": 0}
    assert column(tables, "account_signals", "account_id", "e") == {"A1": False, "A2": False, "A3": False}
    assert column(tables, "account_signals", "account_id", "m") == {"A1": None, "A2": None, "A3": None}


# --- latest -----------------------------------------------------------------------------------------


def test_latest_is_the_value_on_the_most_recent_row(tmp_path):
    # A1: I3 (11-19, pricing) is newer than I1 (11-18) and I2 (11-10); I4 (11-21) is after H.
    assert signal(tmp_path, "{from: intent, measure: latest(topic)}", intent=INTENT)["A1"] == "pricing"


def test_latest_keeps_a_null_on_the_most_recent_row(tmp_path):
    # I2 (11-19) is the most recent row and has no competitor: NULL, not I1's 'hubspot'.
    intent = """
        intent_id,observed_at,topic,score,account_id,competitor
        I1,2026-11-18 00:00:00,crm,40,A1,hubspot
        I2,2026-11-19 00:00:00,crm,50,A1,
    """
    values = signal(tmp_path, "{from: intent, measure: latest(competitor)}", intent=intent)
    assert values == {"A1": None, "A2": None, "A3": None}


def test_latest_ties_go_to_the_highest_id_as_text(tmp_path):
    # I9 and I10 share the newest time; as text 'I9' > 'I10' (as numbers 10 would win): topic of I9.
    intent = """
        intent_id,observed_at,topic,score,account_id
        I10,2026-11-19 00:00:00,analytics,40,A1
        I9,2026-11-19 00:00:00,crm,50,A1
        I8,2026-11-01 00:00:00,zzz,60,A1
    """
    assert signal(tmp_path, "{from: intent, measure: latest(topic)}", intent=intent)["A1"] == "crm"


def test_latest_tie_with_the_highest_id_keeps_its_null(tmp_path):
    # X2 and X10 share the newest time; the highest id as text is X2, whose campaign is NULL.
    activities = """
        activity_id,occurred_at,type,contact_id,campaign
        X10,2026-11-19 08:00:00,page_view,C1,q4
        X2,2026-11-19 08:00:00,page_view,C1,
    """
    definition = "{from: activities, measure: latest(campaign), level: contact}"
    assert signal(tmp_path, definition, "contact", activities=activities)["C1"] is None


def test_latest_without_an_id_column_ties_go_to_the_greatest_value(tmp_path):
    # No intent_id in the data: the two 11-19 rows tie, and the greatest topic wins ('crm' > 'analytics').
    intent = """
        observed_at,topic,score,account_id
        2026-11-19 00:00:00,analytics,40,A1
        2026-11-19 00:00:00,crm,50,A1
    """
    assert signal(tmp_path, "{from: intent, measure: latest(topic)}", intent=intent)["A1"] == "crm"


def test_latest_of_a_number_at_contact_level(tmp_path):
    # C1's rows: I1 (11-18, 40) and I3 (11-19, 80): latest score 80.
    definition = "{from: intent, measure: latest(score), level: contact}"
    assert signal(tmp_path, definition, "contact", intent=INTENT)["C1"] == 80


# --- exists -----------------------------------------------------------------------------------------


def test_exists(tmp_path):
    # A1: no demo request (X4 belongs to A2 through its contact C3) → false. A2: X4 → true. A3: false.
    definition = "{from: activities, where: \"type = 'demo_request'\", measure: exists}"
    assert signal(tmp_path, definition, activities=ACTIVITIES) == {"A1": False, "A2": True, "A3": False}


def test_exists_at_contact_level(tmp_path):
    definition = "{from: activities, measure: exists, level: contact}"
    assert signal(tmp_path, definition, "contact", activities=ACTIVITIES) == {"C1": True, "C2": False, "C3": True}


# --- days_since -------------------------------------------------------------------------------------


def test_days_since_a_row_on_the_as_of_date_is_zero(tmp_path):
    # A1's newest row is X1 at 2026-11-20 10:00: same calendar day as the as-of date → 0.
    # A2's only row X4 is on 2026-11-15 → 5 days. A3: none → NULL.
    values = signal(tmp_path, "{from: activities, measure: days_since}", activities=ACTIVITIES)
    assert values == {"A1": 0, "A2": 5, "A3": None}


def test_days_since_counts_calendar_days_not_hours(tmp_path):
    # 2026-11-17 23:59 to the as-of date 2026-11-20: 3 calendar days (though 3 days and a minute before H).
    activities = "activity_id,occurred_at,type,contact_id\nX1,2026-11-17 23:59:00,page_view,C1\n"
    definition = "{from: activities, measure: days_since, level: contact}"
    assert signal(tmp_path, definition, "contact", activities=activities)["C1"] == 3


def test_days_since_the_latest_change_event(tmp_path):
    # A1: E2 on 2026-11-20 → 0 (E1 2026-10-22 is older); A2: E4 on 2026-11-01 → 19.
    change_events = """
        event_id,occurred_at,kind,account_id,domain
        E1,2026-10-22 00:00:00,funding,A1,
        E2,2026-11-20 23:00:00,new_executive,A1,
        E4,2026-11-01 00:00:00,funding,,beta.io
        E5,2026-11-21 00:00:00,funding,A2,
    """
    values = signal(tmp_path, "{from: change_events, measure: days_since}", change_events=change_events)
    assert values == {"A1": 0, "A2": 19, "A3": None}


# --- technographics: exists from first_seen, windows and recency on last_seen -----------------------

TECHNOGRAPHICS = """
    technology,account_id,first_seen,last_seen,is_competitor
    Salesforce,A1,2025-01-01,,true
    Hubspot,A1,2025-01-01,2026-10-22,true
    Pipedrive,A1,2025-01-01,2026-10-21,true
    Zoho,A1,2025-01-01,2026-12-01,true
    Copper,A1,2026-11-21,,true
    Close,A1,2026-11-20,,false
    Intercom,A2,,2026-11-10,false
"""


def test_technographics_window_keeps_null_or_recent_last_seen(tmp_path):
    # 30-day window: H − 30 days = 2026-10-22. A1 keeps Salesforce (NULL: still in use), Hubspot (10-22,
    # not before the start), Zoho (12-01, after the as-of date) and Close (first_seen on the as-of date);
    # Pipedrive (10-21) is before the window; Copper is first seen after the as-of date: it does not exist
    # yet. A1 = 4. A2: Intercom (11-10) = 1.
    definition = "{from: technographics, within_days: 30, measure: count}"
    assert signal(tmp_path, definition, technographics=TECHNOGRAPHICS) == {"A1": 4, "A2": 1, "A3": 0}


def test_technographics_without_a_window_keeps_every_existing_row(tmp_path):
    # Every A1 row except Copper (first seen 2026-11-21, after the as-of date) = 5, Pipedrive included.
    definition = "{from: technographics, measure: count}"
    assert signal(tmp_path, definition, technographics=TECHNOGRAPHICS) == {"A1": 5, "A2": 1, "A3": 0}


def test_technographics_where(tmp_path):
    # Competitors used within 30 days: Salesforce, Hubspot, Zoho (Close is not a competitor) = 3.
    definition = "{from: technographics, where: is_competitor, within_days: 30, measure: count}"
    assert signal(tmp_path, definition, technographics=TECHNOGRAPHICS)["A1"] == 3


def test_technographics_days_since_a_current_row_is_zero(tmp_path):
    # A1 has rows with NULL last_seen (still in use) → 0. A2: Intercom last seen 2026-11-10 → 10.
    definition = "{from: technographics, measure: days_since}"
    assert signal(tmp_path, definition, technographics=TECHNOGRAPHICS) == {"A1": 0, "A2": 10, "A3": None}


def test_technographics_days_since_a_last_seen_after_the_as_of_date_is_zero(tmp_path):
    # Only Zoho, last seen 2026-12-01 (after the as-of date): 0, never negative.
    definition = "{from: technographics, where: \"technology = 'Zoho'\", measure: days_since}"
    assert signal(tmp_path, definition, technographics=TECHNOGRAPHICS)["A1"] == 0


def test_technographics_latest_counts_a_null_last_seen_as_most_recent(tmp_path):
    # Competitor rows of A1: Salesforce (NULL last_seen) beats Zoho (2026-12-01) and Hubspot.
    definition = "{from: technographics, where: is_competitor, measure: latest(technology)}"
    assert signal(tmp_path, definition, technographics=TECHNOGRAPHICS)["A1"] == "Salesforce"


def test_technographics_latest_ties_go_to_the_greatest_value(tmp_path):
    # No id column: Intercom and Zendesk are both last seen 2026-11-10; the greatest value, Zendesk, wins.
    technographics = """
        technology,account_id,last_seen
        Intercom,A2,2026-11-10
        Zendesk,A2,2026-11-10
        Drift,A2,2026-11-01
    """
    definition = "{from: technographics, measure: latest(technology)}"
    assert signal(tmp_path, definition, technographics=technographics)["A2"] == "Zendesk"


def test_technographics_match_accounts_by_domain(tmp_path):
    # account_id first, else domain: T1 names A1; T2 matches beta.io with WWW. and upper case.
    technographics = """
        technology,account_id,domain
        Salesforce,A1,beta.io
        Hubspot,,WWW.BETA.IO
    """
    definition = "{from: technographics, measure: count}"
    assert signal(tmp_path, definition, technographics=technographics) == {"A1": 1, "A2": 1, "A3": 0}


# --- opportunities: `open` and `won` at the horizon --------------------------------------------------

OPPORTUNITIES = """
    opportunity_id,account_id,created_at,closed_at,is_closed,is_won,amount
    O1,A1,2026-10-01,2026-12-01,true,true,100
    O2,A1,2026-10-01,2026-11-10,true,true,200
    O3,A1,2026-11-25,,false,false,400
    O4,A1,2026-09-01,,true,false,800
    O5,A2,2026-09-01,,,,1600
"""


def test_opportunity_signal_sees_open_at_the_horizon(tmp_path):
    # A1: O1 is exported as closed-won but closed 2026-12-01, after the as-of date → open then (100).
    # O2 closed 2026-11-10 → not open; O3 created after H → does not exist; O4 is_closed with no closed_at
    # → closed. A2: O5 with blank flags → open (1600).
    definition = "{from: opportunities, where: open, measure: sum(amount)}"
    assert signal(tmp_path, definition, opportunities=OPPORTUNITIES) == {"A1": 100, "A2": 1600, "A3": None}


def test_opportunity_signal_sees_won_at_the_horizon(tmp_path):
    # Won = is_won and closed before H: only O2 (O1 wins after the as-of date). A2: none.
    definition = "{from: opportunities, where: won, measure: count}"
    assert signal(tmp_path, definition, opportunities=OPPORTUNITIES) == {"A1": 1, "A2": 0, "A3": 0}


def test_opportunity_window_is_on_created_at(tmp_path):
    # 60-day window starts 2026-09-22: O1 and O2 (created 10-01) in, O4 (09-01) out, O3 after H. A1 = 2.
    definition = "{from: opportunities, within_days: 60, measure: count}"
    assert signal(tmp_path, definition, opportunities=OPPORTUNITIES) == {"A1": 2, "A2": 0, "A3": 0}


# --- signals are usable downstream ------------------------------------------------------------------


def test_account_signal_feeds_account_fit(tmp_path):
    # SPEC §1: signals come first so account fit rules may use them. A1 max competitor score 40 ≥ 30.
    model = f"""
        signals:
          competitor_research: {{from: intent, {COMPETITOR}, measure: max(score)}}
        fit:
          account:
            - {{name: researching, when: "competitor_research >= 30", points: 25}}
    """
    tables = score(tmp_path, model, accounts=ACCOUNTS, intent=INTENT)
    assert column(tables, "account_measures", "account_id", "fit") == {"A1": 25, "A2": 0, "A3": 0}


def test_intent_matches_accounts_never_through_contact_id(tmp_path):
    # I1 has only a contact_id (C1 of A1): it counts for C1 but matches no account (SPEC §3);
    # I2 names A2 though its contact C1 is at A1: it counts for A2 and for C1.
    intent = """
        intent_id,observed_at,topic,score,contact_id,account_id
        I1,2026-11-18 00:00:00,crm,40,C1,
        I2,2026-11-19 00:00:00,crm,50,C1,A2
    """
    assert signal(tmp_path, "{from: intent, measure: count}", intent=intent) == {"A1": 0, "A2": 1, "A3": 0}
    definition = "{from: intent, measure: count, level: contact}"
    assert signal(tmp_path, definition, "contact", intent=intent) == {"C1": 2, "C2": 0, "C3": 0}
