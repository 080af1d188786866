"""Fit (SPEC §4.2): the clamped sum of rule points, grades, and the breakdown that explains it."""

from __future__ import annotations

from tests.pipeline.builders import by_id, score

MODEL = """
signals:
  uses_crm: {from: technographics, where: "technology = 'Salesforce'", measure: exists}
fit:
  account:
    - {name: Software, when: "industry = 'Software'", points: 60}
    - {name: Large, when: employees >= 1000, points: 50}
    - {name: CRM, when: uses_crm, points: 20}
    - {name: Tiny, when: employees < 10, points: -150}
  contact:
    - {name: Senior, when: "seniority IN ('VP', 'C-Level')", points: 70}
  grades: {A: 80, B: 50}
"""

ACCOUNTS = (
    "account_id,name,industry,employees\n"
    "A1,Acme,Software,5000\n"  # 60 + 50 + 20 = 130 → clamped to 100 → A
    "A2,Beta,Software,5\n"  # 60 − 150 = −90 → C (below every threshold: the letter after B)
    "A3,Gamma,,\n"  # NULL columns match nothing: 0 → C
    "A4,Delta,Retail,2000\n"  # 50 → B (exactly the threshold)
)


def test_fit_is_clamped_and_graded(tmp_path):
    tables = score(
        tmp_path,
        MODEL,
        accounts=ACCOUNTS,
        technographics="account_id,technology\nA1,Salesforce\n",
        contacts="contact_id,account_id,seniority\nC1,A1,VP\nC2,A9,Intern\n",
    )
    fits = by_id(tables, "account_fit", "account_id", "fit", "fit_grade")
    assert fits == {
        "A1": {"fit": 100, "fit_grade": "A"},
        "A2": {"fit": -90, "fit_grade": "C"},
        "A3": {"fit": 0, "fit_grade": "C"},
        "A4": {"fit": 50, "fit_grade": "B"},
    }
    assert by_id(tables, "contact_fit", "contact_id", "fit") == {"C1": {"fit": 70}, "C2": {"fit": 0}}


def test_the_breakdown_lists_every_rule_that_held(tmp_path):
    tables = score(tmp_path, MODEL, accounts=ACCOUNTS, technographics="account_id,technology\nA1,Salesforce\n")
    rows = tables["fit_breakdown"].filter(lambda t: t.entity_id == "A1").to_pyarrow().to_pylist()
    assert sorted((r["rule"], r["points"]) for r in rows) == [("CRM", 20), ("Large", 50), ("Software", 60)]
    assert all(r["part"] == "fit" and r["rows"] == 1 and r["capped"] is False for r in rows)
