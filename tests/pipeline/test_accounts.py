"""Account measures, MQA/SQA and the journey (SPEC §4.4, §4.6), on hand-counted committees.

Every activity below is a page view a few days before the as-of date, so it is engaging and recent.
"""

from __future__ import annotations

import pytest

from tests.pipeline.builders import by_id, score

MODEL = """
engagement:
  rules:
    - {name: Page, when: "type = 'page_view'", points: 1}
buying_committee:
  roles:
    champion: "department = 'Sales'"
    buyer: "seniority = 'VP'"
accounts:
  target_when: target OR tier = 1 OR tier = 2
  mqa_when: engaged_contacts >= 4 OR (engaged_contacts >= 3 AND activities >= 9)
  mqa_when_tier:
    1: engaged_contacts >= 2
"""


def committee(tmp_path, per_contact: list[int], tier: int = 2, target: str = ""):
    """One account whose contacts C1, C2 … have that many recent page views each."""
    contacts = "contact_id,account_id\n" + "".join(f"C{i},A1\n" for i in range(1, len(per_contact) + 1))
    activities = "activity_id,occurred_at,type,contact_id\n" + "".join(
        f"X{i}_{n},2026-11-18 10:00:00,page_view,C{i}\n" for i, views in enumerate(per_contact, 1) for n in range(views)
    )
    accounts = f"account_id,name,tier,target\nA1,Acme,{tier},{target}\n"
    tables = score(tmp_path, MODEL, accounts=accounts, contacts=contacts, activities=activities)
    return by_id(tables, "account_measures", "account_id", "engaged_contacts", "activities", "target", "mqa", "stage")[
        "A1"
    ]


@pytest.mark.parametrize(
    ("per_contact", "tier", "mqa"),
    [
        pytest.param([1, 1, 1, 1], 2, True, id="4-engaged"),
        pytest.param([3, 3, 3], 2, True, id="3-engaged-with-9-activities"),
        pytest.param([3, 3, 2], 2, False, id="3-engaged-with-8-activities"),
        pytest.param([1, 1], 1, True, id="tier-1-override-needs-2"),
        pytest.param([1, 1], 2, False, id="tier-2-default-needs-more"),
    ],
)
def test_mqa(tmp_path, per_contact, tier, mqa):
    result = committee(tmp_path, per_contact, tier)
    assert result["engaged_contacts"] == len(per_contact)
    assert result["activities"] == sum(per_contact)
    assert result["mqa"] is mqa
    assert result["stage"] == ("mqa" if mqa else "engaged")


def test_a_non_target_account_is_never_an_mqa(tmp_path):
    result = committee(tmp_path, [1, 1, 1, 1], tier=3)  # tier 3, target blank (false): not a target
    assert result == {"engaged_contacts": 4, "activities": 4, "target": False, "mqa": False, "stage": "engaged"}


def test_inside_target_when_target_is_the_column(tmp_path):
    assert committee(tmp_path, [1, 1, 1, 1], tier=3, target="true")["target"] is True


def test_committee_roles_and_top_contact(tmp_path):
    contacts = (
        "contact_id,account_id,first_name,last_name,title,department,seniority\n"
        "C1,A1,Ann,Lee,AE,Sales,\n"
        "C2,A1,Bob,,VP Sales,Sales,VP\n"  # first matching role: champion
        "C3,A1,Cy,Dee,VP Ops,Ops,VP\n"
        "C4,A1,Di,Fox,CFO,Finance,\n"  # not engaged
    )
    activities = (
        "activity_id,occurred_at,type,contact_id\n"
        "X1,2026-11-18 10:00:00,page_view,C1\n"
        "X2,2026-11-18 10:00:00,page_view,C2\n"
        "X3,2026-11-18 11:00:00,page_view,C2\n"
        "X4,2026-11-18 10:00:00,page_view,C3\n"
        "X5,2026-11-18 11:00:00,page_view,C3\n"
    )
    tables = score(tmp_path, MODEL, accounts="account_id,name\nA1,Acme\n", contacts=contacts, activities=activities)
    roles = by_id(tables, "contact_measures", "contact_id", "committee_role")
    assert {k: v["committee_role"] for k, v in roles.items()} == {
        "C1": "champion", "C2": "champion", "C3": "buyer", "C4": "other"
    }  # fmt: skip
    account = by_id(
        tables, "account_measures", "account_id",
        "committee_roles_engaged", "engaged_champion", "engaged_buyer", "top_contact", "top_contact_id",
        "top_contact_title",
    )["A1"]  # fmt: skip
    # C2 and C3 tie on engagement (2 each): the lowest contact_id wins; C2 has no last name
    assert account == {
        "committee_roles_engaged": 2,
        "engaged_champion": 2,
        "engaged_buyer": 1,
        "top_contact": "Bob",
        "top_contact_id": "C2",
        "top_contact_title": "VP Sales",
    }


def test_open_pipeline_renewal_and_sqa(tmp_path):
    accounts = "account_id,name,renewal_date,is_customer\nA1,Acme,2027-01-09,true\nA2,Beta,,\n"
    opportunities = (
        "opportunity_id,account_id,created_at,closed_at,is_closed,is_won,amount\n"
        "O1,A1,2026-10-01,,false,,1000\n"  # open
        "O2,A1,2026-10-01,2026-12-01,true,true,500\n"  # closed after the as-of date: open then
        "O3,A1,2026-10-01,2026-11-01,true,true,700\n"  # closed before: not open
        "O4,A1,2026-11-21,,false,,900\n"  # created after the horizon: does not exist
        "O5,A1,2026-10-01,,false,,\n"  # open, NULL amount counts 0
    )
    tables = score(tmp_path, "model: t\n", accounts=accounts, opportunities=opportunities)
    measures = by_id(
        tables, "account_measures", "account_id", "has_open_opportunity", "open_pipeline", "days_to_renewal", "sqa",
        "stage",
    )  # fmt: skip
    assert measures["A1"] == {
        "has_open_opportunity": True,
        "open_pipeline": 1500,  # O1 1000 + O2 500 + O5 0
        "days_to_renewal": 50,  # 2026-11-20 → 2027-01-09
        "sqa": True,
        "stage": "post_sale",
    }
    assert measures["A2"] == {
        "has_open_opportunity": False,
        "open_pipeline": 0,
        "days_to_renewal": None,
        "sqa": False,
        "stage": "qualified",  # default journey: target_when defaults to true
    }
