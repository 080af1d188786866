"""Lead status (SPEC §4.5): disqualified, sql, mql, nurture, else new — first match wins.

Lead conditions see every contact measure (§4.4): fit, fit_grade, engagement, hand_raised,
recent_activities, days_since_last_activity, committee_role, the contact's columns and its signals.
As of 2026-11-20; no half-life, so each activity earns its rule's points undecayed.
"""

from __future__ import annotations

import pytest

from tests.pipeline.builders import column, score

ACCOUNTS = "account_id,name\nA1,Acme\n"

# C1 unsubscribed VP with a page view; C2 asked for a demo; C3 VP with a page view; C4 in ops (champion);
# C5 nothing at all; C6 researched a topic (one intent row).
CONTACTS = """
    contact_id,account_id,seniority,department,unsubscribed
    C1,A1,vp,,true
    C2,A1,,,
    C3,A1,vp,,
    C4,A1,,ops,
    C5,A1,,,
    C6,A1,,,
"""
ACTIVITIES = """
    activity_id,occurred_at,type,contact_id
    X1,2026-11-19 10:00:00,page_view,C1
    X2,2026-11-19 10:00:00,demo_request,C2
    X3,2026-11-19 10:00:00,page_view,C3
"""
INTENT = """
    intent_id,observed_at,topic,score,contact_id
    I1,2026-11-18 00:00:00,crm,70,C6
"""

# Measures of each contact under this model:
#   fit: C1 60, C3 60 (Senior), the others 0 — grade B for 60 (A 80, B 60, C 40), D for 0
#   engagement: C1 5 (Page), C2 40 (Demo), C3 5 (Page), others 0; hand_raised: C2 only
#   committee_role: C4 champion, the others other; intent_hits: C6 1, the others 0
BASE = """
fit:
  contact:
    - {name: Senior, when: "seniority = 'vp'", points: 60}
engagement:
  rules:
    - {name: Demo, when: "type = 'demo_request'", points: 40, hand_raiser: true}
    - {name: Page, when: "type = 'page_view'", points: 5}
buying_committee:
  roles:
    champion: "department = 'ops'"
signals:
  intent_hits: {from: intent, measure: count, level: contact}
  intent_max: {from: intent, measure: max(score), level: contact}
"""

LEADS = """
leads:
  disqualify_when: "unsubscribed"
  sql_when: "hand_raised"
  mql_when: "fit >= 50 AND engagement >= 5"
  nurture_when: "committee_role = 'champion' OR intent_hits >= 1"
"""


def statuses(tmp_path, model: str, contacts: str = CONTACTS) -> dict[str, object]:
    tables = score(tmp_path, model, accounts=ACCOUNTS, contacts=contacts, activities=ACTIVITIES, intent=INTENT)
    return column(tables, "contact_measures", "contact_id", "lead_status")


def test_each_status_in_the_spec_order(tmp_path):
    # C1 unsubscribed → disqualified, though fit 60 and engagement 5 also meet mql_when.
    # C2 hand_raised (Demo) → sql, though it does not meet mql_when (fit 0).
    # C3 fit 60 and engagement 5 → mql. C4 champion → nurture. C6 one intent row → nurture. C5 → new.
    assert statuses(tmp_path, BASE + LEADS) == {
        "C1": "disqualified",
        "C2": "sql",
        "C3": "mql",
        "C4": "nurture",
        "C5": "new",
        "C6": "nurture",
    }


@pytest.mark.parametrize(
    ("leads", "expected"),
    [
        # C1 matches both: disqualify_when comes first.
        pytest.param(
            'leads: {disqualify_when: "unsubscribed", mql_when: "fit >= 50"}',
            {"C1": "disqualified", "C3": "mql"},
            id="disqualified-before-mql",
        ),
        # C2 (hand raiser, engagement 40) matches both sql_when and mql_when: sql comes first.
        pytest.param(
            'leads: {sql_when: "hand_raised", mql_when: "engagement >= 5"}',
            {"C1": "mql", "C2": "sql", "C3": "mql"},
            id="sql-before-mql",
        ),
        # C1 and C3 match both mql_when and nurture_when: mql comes first; C2 only nurture.
        pytest.param(
            'leads: {mql_when: "fit >= 50", nurture_when: "engagement > 0"}',
            {"C1": "mql", "C2": "nurture", "C3": "mql"},
            id="mql-before-nurture",
        ),
        # Everyone matches disqualify_when and sql_when: disqualified wins for all.
        pytest.param(
            'leads: {disqualify_when: "true", sql_when: "true", mql_when: "true", nurture_when: "true"}',
            dict.fromkeys(["C1", "C2", "C3", "C4", "C5", "C6"], "disqualified"),
            id="disqualified-before-everything",
        ),
    ],
)
def test_first_match_wins(tmp_path, leads, expected):
    everyone_new = dict.fromkeys(["C1", "C2", "C3", "C4", "C5", "C6"], "new")
    assert statuses(tmp_path, BASE + leads) == {**everyone_new, **expected}


MQL_CONDITIONS = [
    pytest.param("fit >= 60", {"C1", "C3"}, id="fit"),
    pytest.param("fit_grade = 'B'", {"C1", "C3"}, id="fit_grade"),
    pytest.param("engagement >= 40", {"C2"}, id="engagement"),
    pytest.param("engagement > 0 AND engagement < 40", {"C1", "C3"}, id="engagement-range"),
    pytest.param("hand_raised", {"C2"}, id="hand_raised"),
    pytest.param("NOT hand_raised AND engagement > 0", {"C1", "C3"}, id="not-hand_raised"),
    pytest.param("committee_role = 'champion'", {"C4"}, id="committee_role"),
    pytest.param("committee_role = 'other' AND engagement = 0", {"C5", "C6"}, id="committee_role-other"),
    pytest.param("intent_hits >= 1", {"C6"}, id="contact-signal-count"),
    # intent_max is NULL for C1–C5 (no rows): a comparison with NULL is not true.
    pytest.param("intent_max >= 50", {"C6"}, id="contact-signal-max"),
    pytest.param("intent_max IS NULL", {"C1", "C2", "C3", "C4", "C5"}, id="contact-signal-null"),
    # X1–X3 on 2026-11-19 are engaging (positive points) and within 30 days: one each for C1–C3.
    pytest.param("recent_activities >= 1", {"C1", "C2", "C3"}, id="recent_activities"),
    pytest.param("engaged", {"C1", "C2", "C3"}, id="engaged"),
    # 2026-11-19 to the as-of date 2026-11-20 is 1 calendar day; no activity gives NULL.
    pytest.param("days_since_last_activity = 1", {"C1", "C2", "C3"}, id="days_since_last_activity"),
    pytest.param("days_since_last_activity > 5", set(), id="days_since_last_activity-null"),
    pytest.param("unsubscribed", {"C1"}, id="contact-column"),
    pytest.param("seniority = 'vp' AND department IS NULL", {"C1", "C3"}, id="contact-columns"),
]


@pytest.mark.parametrize(("condition", "mql"), MQL_CONDITIONS)
def test_lead_conditions_see_contact_measures(tmp_path, condition, mql):
    model = BASE + f'leads:\n  mql_when: "{condition}"\n'
    result = statuses(tmp_path, model)
    assert {c for c, status in result.items() if status == "mql"} == mql
    assert {c for c, status in result.items() if status != "mql"} == set(result) - mql
    assert set(result.values()) <= {"mql", "new"}


@pytest.mark.parametrize(
    "leads",
    [
        pytest.param("", id="no-leads-section"),
        pytest.param("leads: {}\n", id="empty-leads-section"),
    ],
)
def test_without_conditions_every_contact_is_new(tmp_path, leads):
    assert set(statuses(tmp_path, BASE + leads).values()) == {"new"}


def test_a_status_without_its_condition_is_never_given(tmp_path):
    # Only nurture_when: C1 and C3 (engagement 5) and C2 (40) → nurture; no one is mql or sql.
    result = statuses(tmp_path, BASE + 'leads: {nurture_when: "engagement > 0"}\n')
    assert result == {"C1": "nurture", "C2": "nurture", "C3": "nurture", "C4": "new", "C5": "new", "C6": "new"}


def test_an_orphan_contact_still_gets_a_status(tmp_path):
    # C7's account A404 does not exist (SPEC §3): it keeps its contact row, and its status.
    contacts = CONTACTS.rstrip() + "\n    C7,A404,vp,,\n"
    result = statuses(tmp_path, BASE + 'leads: {mql_when: "fit >= 60"}\n', contacts=contacts)
    assert result["C7"] == "mql"
