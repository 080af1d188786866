"""Badges over several runs in one store (SPEC §4.8–§4.10): episodes, grace, expiry, precedence, queues.

Each signal counts intent rows *on the as-of date itself* (within_days: 1), so a badge is a candidate
exactly on the dates that have a row for it. Every badge expires 3 days after its condition last held.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from whynow.errors import DataError
from whynow.model.load import load_model_text
from whynow.run import run

MODEL = """
model: badges
signals:
  risk: {from: intent, where: "topic = 'risk'", within_days: 1, measure: count}
  rival: {from: intent, where: "topic = 'rival'", within_days: 1, measure: count}
  change: {from: intent, where: "topic = 'change'", within_days: 1, measure: count}
badges:
  definitions:
    - {id: save, archetype: customer, label: Save, when: risk >= 1, expires_after_days: 3, play: p,
       why: "{account} at risk", route_to: csm_id}
    - {id: displace, archetype: competitive, label: Displace, when: rival >= 1, expires_after_days: 3, play: p,
       why: "{account} compares {rival} times"}
    - {id: first-change, archetype: change, label: First, when: change >= 1, expires_after_days: 3, play: p, why: x}
    - {id: second-change, archetype: change, label: Second, when: change >= 1, expires_after_days: 3, play: p, why: y}
capacity: {default_per_rep: 1, unassigned: 0, rank_by: fit + engagement}
"""
ACCOUNTS = "account_id,name,owner_id,csm_id\nA1,Acme,R1,S1\nA2,Beta,R1,\nA3,Gamma,,\n"


def history(folder: Path, intent: str, dates: list[str], accounts: str = ACCOUNTS, model: str = MODEL, **more):
    """Run every date in order against one store; return {date: {account_id: row}}."""
    data = folder / "data"
    data.mkdir(exist_ok=True)
    (data / "accounts.csv").write_text(accounts)
    (data / "intent.csv").write_text("observed_at,topic,score,account_id\n" + intent)
    for table, text in more.items():
        (data / f"{table}.csv").write_text(text)
    compiled = load_model_text(model, "model.yaml")
    out = {}
    for day in dates:
        result = run(compiled, str(data), dt.date.fromisoformat(day), store=folder / "store.duckdb")
        out[day] = {
            "accounts": {r["account_id"]: r for r in result.outputs["account_status"].to_pylist()},
            "changes": [
                (r["entity_id"], r["change"], r["old"], r["new"], r["reason"])
                for r in result.outputs["changes"].to_pylist()
                if r["change"].startswith("badge")
            ],
        }
    return out


def badge(run_day, account):
    row = run_day["accounts"][account]
    return (
        row["badge"],
        row["badge_since"] and str(row["badge_since"]),
        row["badge_expires_on"] and str(row["badge_expires_on"]),
    )


def test_sustain_moves_the_expiry_and_grace_ends_in_expiry(tmp_path):
    intent = "2026-11-01,change,1,A1\n2026-11-02,change,1,A1\n"
    runs = history(tmp_path, intent, ["2026-11-01", "2026-11-02", "2026-11-04", "2026-11-05"])
    assert badge(runs["2026-11-01"], "A1") == ("first-change", "2026-11-01", "2026-11-04")
    assert runs["2026-11-01"]["changes"] == [("A1", "badge_assigned", None, "first-change", None)]
    # held again on 11-02: the episode goes on, the expiry moves to 11-02 + 3
    assert badge(runs["2026-11-02"], "A1") == ("first-change", "2026-11-01", "2026-11-05")
    assert runs["2026-11-02"]["changes"] == []
    # 11-04: not a candidate, but 11-04 < 11-05: grace, and the narrative is kept
    assert badge(runs["2026-11-04"], "A1") == ("first-change", "2026-11-01", "2026-11-05")
    assert runs["2026-11-04"]["accounts"]["A1"]["why"] == "x"
    # 11-05 is not before 11-05: expired
    assert badge(runs["2026-11-05"], "A1") == (None, None, None)
    assert runs["2026-11-05"]["changes"] == [("A1", "badge_expired", "first-change", None, None)]


def test_a_higher_archetype_outranks_a_badge_in_grace_and_the_lower_returns_as_a_new_episode(tmp_path):
    intent = "2026-11-01,change,1,A2\n2026-11-02,rival,1,A2\n2026-11-06,change,1,A2\n"
    runs = history(tmp_path, intent, ["2026-11-01", "2026-11-02", "2026-11-05", "2026-11-06"])
    assert runs["2026-11-02"]["changes"] == [("A2", "badge_replaced", "first-change", "displace", "outranked")]
    assert badge(runs["2026-11-02"], "A2") == ("displace", "2026-11-02", "2026-11-05")
    assert runs["2026-11-05"]["changes"] == [("A2", "badge_expired", "displace", None, None)]
    assert badge(runs["2026-11-06"], "A2") == ("first-change", "2026-11-06", "2026-11-09")


def test_a_grace_badge_outranks_a_lower_candidate_until_it_expires(tmp_path):
    # displace in grace on 11-03 still beats today's change candidate; on 11-05 displace has expired
    intent = "2026-11-02,rival,1,A2\n2026-11-03,change,1,A2\n2026-11-05,change,1,A2\n"
    runs = history(tmp_path, intent, ["2026-11-02", "2026-11-03", "2026-11-05"])
    assert badge(runs["2026-11-03"], "A2")[0] == "displace"
    assert runs["2026-11-05"]["changes"] == [("A2", "badge_replaced", "displace", "first-change", "expired")]


def test_definition_order_breaks_ties_within_an_archetype(tmp_path):
    runs = history(tmp_path, "2026-11-01,change,1,A2\n", ["2026-11-01"])
    assert badge(runs["2026-11-01"], "A2")[0] == "first-change"


def test_capacity_customer_first_route_to_and_no_owner(tmp_path):
    # A1 (save → csm S1) and A2 (displace → owner R1) each fill a queue of 1; A3 has no owner: held
    intent = "2026-11-01,risk,1,A1\n2026-11-01,rival,1,A2\n2026-11-01,rival,1,A3\n"
    day = history(tmp_path, intent, ["2026-11-01"])["2026-11-01"]["accounts"]
    assert (day["A1"]["route_to"], day["A1"]["queue"], day["A1"]["queue_rank"]) == ("S1", "surfaced", 1)
    assert (day["A2"]["route_to"], day["A2"]["queue"], day["A2"]["queue_rank"]) == ("R1", "surfaced", 1)
    assert (day["A3"]["route_to"], day["A3"]["queue"], day["A3"]["held_reason"]) == (None, "held", "no owner")


def test_an_incumbent_keeps_its_slot_and_reps_capacity_applies(tmp_path):
    accounts = "account_id,name,owner_id,employees\nA1,Acme,R1,10\nA2,Beta,R1,9000\nA3,Gamma,R2,1\nA4,Delta,R2,2\n"
    model = MODEL.replace("capacity:", "fit:\n  account: [{name: Big, when: employees > 1000, points: 50}]\ncapacity:")
    reps = "rep_id,name,capacity\nR2,Rob,2\n"
    intent = "2026-11-01,rival,1,A1\n" + "".join(f"2026-11-02,rival,1,{a}\n" for a in ("A1", "A2", "A3", "A4"))
    runs = history(tmp_path, intent, ["2026-11-01", "2026-11-02"], accounts=accounts, model=model, reps=reps)
    day = runs["2026-11-02"]["accounts"]
    # R1 (default capacity 1): A1 was surfaced last run, so it keeps the slot over A2's higher fit
    assert (day["A1"]["queue"], day["A2"]["queue"], day["A2"]["held_reason"]) == ("surfaced", "held", "over capacity")
    # R2 has capacity 2 in reps.csv: both surfaced, ranked by fit then account_id
    assert (day["A3"]["queue_rank"], day["A4"]["queue_rank"]) == (1, 2)


def test_rerunning_the_last_date_is_idempotent_and_an_older_date_is_refused(tmp_path):
    intent = "2026-11-01,change,1,A2\n"
    first = history(tmp_path, intent, ["2026-11-01"])["2026-11-01"]
    again = history(tmp_path, intent, ["2026-11-01"])["2026-11-01"]
    assert badge(again, "A2") == badge(first, "A2") and again["changes"] == first["changes"]
    history(tmp_path, intent, ["2026-11-03"])
    with pytest.raises(DataError, match="its last run is as of 2026-11-03, and 2026-11-02 is before it"):
        history(tmp_path, intent, ["2026-11-02"])


def test_contact_badges_resolve_per_person(tmp_path):
    model = MODEL.replace(
        "signals:\n",
        "signals:\n"
        "  mine: {from: intent, where: \"topic = 'rival'\", within_days: 1, measure: count, level: contact}\n",
    ).replace(
        "capacity:",
        "    - {id: person, for: contact, archetype: competitive, label: P, when: mine >= 1, play: p,"
        " why: '{contact} of {account} compares'}\ncapacity:",
    )
    intent = "2026-11-01,rival,1,A1,C1\n"
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text(ACCOUNTS)
    (data / "contacts.csv").write_text("contact_id,account_id,first_name,last_name\nC1,A1,Ann,Lee\nC2,A1,Bob,Roe\n")
    (data / "intent.csv").write_text("observed_at,topic,score,account_id,contact_id\n" + intent)
    result = run(load_model_text(model, "m.yaml"), str(data), dt.date(2026, 11, 1), store=tmp_path / "s.duckdb")
    contacts = {r["contact_id"]: r for r in result.outputs["contact_status"].to_pylist()}
    assert (contacts["C1"]["badge"], contacts["C1"]["why"]) == ("person", "Ann Lee of Acme compares")
    assert contacts["C2"]["badge"] is None


def test_evidence_lists_each_signal_value_then_its_newest_source_rows(tmp_path):
    model = MODEL.replace(
        "  change: {from: intent, where: \"topic = 'change'\", within_days: 1, measure: count}",
        "  change: {from: change_events, within_days: 30, measure: count}",
    )
    events = "event_id,occurred_at,kind,account_id\n" + "".join(
        f"E{n},2026-10-{n + 10:02d} 09:00:00,funding,A2\n" for n in range(1, 8)
    )  # E1…E7, newest E7
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text(ACCOUNTS)
    (data / "change_events.csv").write_text(events)
    result = run(load_model_text(model, "m.yaml"), str(data), dt.date(2026, 11, 1), store=tmp_path / "s.duckdb")
    rows = [r for r in result.outputs["evidence"].to_pylist() if r["entity_id"] == "A2"]
    assert [(r["signal"], r["value"], r["source_id"]) for r in rows] == [
        ("change", "7", None),  # the value, printed as narratives print it
        ("change", None, "E7"),
        ("change", None, "E6"),
        ("change", None, "E5"),
        ("change", None, "E4"),
        ("change", None, "E3"),  # five source rows at most, newest first
    ]
    assert all(r["badge"] == "first-change" and r["source_table"] in (None, "change_events") for r in rows)


def test_a_badge_in_grace_keeps_the_evidence_of_the_run_it_last_held_in(tmp_path):
    # A1 holds first-change on 11-01 (two rows that day) and is in grace on 11-02: no row that day.
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text(ACCOUNTS)
    (data / "intent.csv").write_text(
        "intent_id,observed_at,topic,score,account_id\n"
        "I1,2026-11-01 08:00:00,change,1,A1\nI2,2026-11-01 17:00:00,change,1,A1\nI3,2026-11-01 12:00:00,change,1,A1\n"
    )
    compiled = load_model_text(MODEL, "m.yaml")
    evidence = {}
    for day in ("2026-11-01", "2026-11-02"):
        result = run(compiled, str(data), dt.date.fromisoformat(day), store=tmp_path / "s.duckdb")
        evidence[day] = [
            (str(r["as_of"]), r["badge"], r["signal"], r["value"], r["source_id"])
            for r in result.outputs["evidence"].to_pylist()
        ]
    assert evidence["2026-11-02"] == [
        ("2026-11-02", "first-change", "change", "3", None),
        ("2026-11-02", "first-change", "change", None, "I2"),  # 17:00, the newest
        ("2026-11-02", "first-change", "change", None, "I3"),
        ("2026-11-02", "first-change", "change", None, "I1"),
    ]
    assert [row[1:] for row in evidence["2026-11-02"]] == [row[1:] for row in evidence["2026-11-01"]]


def test_a_customer_badge_comes_first_in_a_queue_whatever_its_rank(tmp_path):
    accounts = "account_id,name,owner_id,csm_id,employees\nA1,Acme,R1,R1,1\nA2,Beta,R1,,9000\n"
    model = MODEL.replace("rank_by: fit + engagement", "rank_by: employees")
    intent = "2026-11-01,risk,1,A1\n2026-11-01,rival,1,A2\n"
    day = history(tmp_path, intent, ["2026-11-01"], accounts=accounts, model=model)["2026-11-01"]["accounts"]
    assert (day["A1"]["queue"], day["A2"]["queue"]) == ("surfaced", "held")  # save (customer) before displace


def test_a_stage_that_becomes_none_is_logged(tmp_path):
    model = MODEL + "journey:\n  - {stage: researching, when: rival >= 1}\n"  # no catch-all
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text(ACCOUNTS)
    (data / "intent.csv").write_text("observed_at,topic,score,account_id\n2026-11-01,rival,1,A2\n")
    compiled = load_model_text(model, "m.yaml")
    for day in (dt.date(2026, 11, 1), dt.date(2026, 11, 2)):
        result = run(compiled, str(data), day, store=tmp_path / "s.duckdb")
    stages = [r for r in result.outputs["changes"].to_pylist() if r["change"] == "stage_changed"]
    assert [(r["entity_id"], r["old"], r["new"]) for r in stages] == [("A2", "researching", None)]
