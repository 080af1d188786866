"""Who to call (SPEC §4.11): per badged account, contacts with their own badge first — archetype, then the
definition's place in the file, then engagement, then id — then the other engaged contacts; never a
disqualified one; `call_list` long at most."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.pipeline.builders import score
from whynow.model.load import load_model
from whynow.run import run

MODEL = """
fit:
  account: [{name: Big, when: employees >= 100, points: 10}]
  contact: [{name: VP, when: "seniority = 'VP'", points: 60}]
engagement:
  lookback_days: 90
  rules:
    - {name: Demo, when: "type = 'demo_request'", points: 50, hand_raiser: true}
    - {name: View, when: "type = 'page_view'", points: 5}
leads: {disqualify_when: unsubscribed}
buying_committee:
  engaged_within_days: 30
  roles: {decision_maker: "seniority = 'VP'"}
badges:
  definitions:
    - {id: active, archetype: change, label: Active, when: fit >= 10, play: Multi-thread, why: "{account} is active"}
    - {id: c-hand, for: contact, archetype: change, label: Hand-raiser, when: hand_raised, play: Call,
       why: "{contact} asked for a demo"}
    - {id: c-comp, for: contact, archetype: competitive, label: Comparing, when: "department = 'Procurement'",
       play: Compare, why: "{contact} is comparing"}
    - {id: c-fit, for: contact, archetype: change, label: Buyer, when: fit >= 50, play: Introduce,
       why: "{contact} fits"}
capacity: {call_list: SIZE}
"""
ACCOUNTS = """
account_id,name,employees,owner_id
A1,Acme,500,R1
A2,Beta,500,R1
A3,Tiny,5,R1
"""
CONTACTS = """
contact_id,account_id,first_name,last_name,title,email,seniority,department,unsubscribed
C1,A1,Kim,Ng,Buyer,kim@acme.example,,Procurement,
C2,A1,Lou,Park,Ops,lou@acme.example,,,
C3,A1,Mo,Diaz,Director,mo@acme.example,,,
C4,A1,Max,Roy,VP Sales,max@acme.example,VP,,
C5,A1,Nia,Cole,,,,,
C6,A1,Oz,Hart,,,,,
C7,A1,Pia,Lund,,,,,
C8,A1,Ray,Fox,VP Ops,,VP,,true
C9,A1,Quin,Bay,,,,,
C10,A1,Sam,Ito,Analyst,,,,
C21,A2,Tia,Vega,,,,,
C31,A3,Uma,Sol,,,,,
"""
ACTIVITIES = """
activity_id,occurred_at,type,contact_id
X1,2026-11-15,page_view,C1
X2,2026-11-16,page_view,C1
X3,2026-11-10,demo_request,C2
X4,2026-11-12,demo_request,C3
X5,2026-11-18,page_view,C3
X6,2026-11-01,page_view,C5
X7,2026-11-18,page_view,C6
X8,2026-11-19,page_view,C6
X9,2026-11-17,page_view,C7
X10,2026-11-17,demo_request,C8
X11,2026-09-01,page_view,C9
X12,2026-11-11,demo_request,C10
X13,2026-11-15,demo_request,C31
"""


def write_company(folder: Path, size: int) -> Path:
    """The company above as CSV files in `folder`, with its model (`call_list: size`) as model.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("accounts", ACCOUNTS), ("contacts", CONTACTS), ("activities", ACTIVITIES)):
        (folder / f"{name}.csv").write_text(text.lstrip("\n"))
    (folder / "model.yaml").write_text("model: t\n" + MODEL.replace("SIZE", str(size)))
    return folder


def call_list(tmp_path: Path, size: int = 10) -> list[tuple[str, int, str, str, str | None]]:
    tables = score(
        tmp_path, MODEL.replace("SIZE", str(size)), accounts=ACCOUNTS, contacts=CONTACTS, activities=ACTIVITIES
    )
    rows = tables["call_list"].order_by("account_id", "rank").to_pyarrow().to_pylist()
    return [(r["account_id"], r["rank"], r["contact_id"], r["reason"], r["badge"]) for r in rows]


def test_contact_badges_first_by_archetype_file_order_engagement_and_id_then_the_engaged(tmp_path: Path) -> None:
    assert call_list(tmp_path) == [
        ("A1", 1, "C1", "badge", "c-comp"),  # competitive outranks change, though its engagement is the lowest
        ("A1", 2, "C3", "badge", "c-hand"),  # c-hand comes before c-fit in the file; engagement 55
        ("A1", 3, "C10", "badge", "c-hand"),  # 50, tied with C2: ids compare as text, 'C10' < 'C2'
        ("A1", 4, "C2", "badge", "c-hand"),
        ("A1", 5, "C4", "badge", "c-fit"),  # a contact badge lists a contact who is not engaged
        ("A1", 6, "C6", "engaged", None),  # then the engaged by engagement: 10
        ("A1", 7, "C5", "engaged", None),  # 5, tied with C7: id
        ("A1", 8, "C7", "engaged", None),
    ]  # never C8 (disqualified, though a hand-raiser), C9 (not engaged); A2 has no one, A3 no badge


@pytest.mark.parametrize(("size", "expected"), [(2, ["C1", "C3"]), (0, [])])
def test_the_list_is_at_most_call_list_long_and_zero_turns_it_off(tmp_path: Path, size: int, expected: list) -> None:
    assert [contact for _, _, contact, _, _ in call_list(tmp_path, size)] == expected


def test_each_entry_carries_the_person_and_their_badge(tmp_path: Path) -> None:
    tables = score(tmp_path, MODEL.replace("SIZE", "3"), accounts=ACCOUNTS, contacts=CONTACTS, activities=ACTIVITIES)
    first = tables["call_list"].filter(lambda t: t.contact_id == "C1").to_pyarrow().to_pylist()[0]
    assert {k: first[k] for k in ("name", "title", "committee_role", "email", "badge_label")} == {
        "name": "Kim Ng",
        "title": "Buyer",
        "committee_role": "other",
        "email": "kim@acme.example",
        "badge_label": "Comparing",
    }
    assert (first["recent_activities"], first["days_since_last_activity"]) == (2, 4)


def test_a_run_writes_the_call_list_with_each_badged_persons_narrative(tmp_path: Path) -> None:
    data = write_company(tmp_path / "data", 10)
    result = run(
        load_model(data / "model.yaml"),
        str(data),
        dt.date(2026, 11, 20),
        store=tmp_path / "s.duckdb",
        out=tmp_path / "out",
    )
    listed = result.outputs["call_list"]
    assert listed.column_names == [
        "as_of", "account_id", "rank", "contact_id", "name", "title", "committee_role", "email", "reason", "badge",
        "badge_label", "why", "recent_activities", "days_since_last_activity",
    ]  # fmt: skip
    whys = dict(zip(listed.column("contact_id").to_pylist(), listed.column("why").to_pylist(), strict=True))
    assert whys["C1"] == "Kim Ng is comparing" and whys["C3"] == "Mo Diaz asked for a demo"
    assert whys["C6"] is None  # engaged, no badge of their own
    assert (tmp_path / "out" / "call_list.parquet").exists()
