"""Who to call and the contacts' own badges on the dashboard and in its JSON (SPEC §8, §4.11): each queued
account and the account page carry the store's call list, the account page the contacts' own badges, and
every record its CRM page (SPEC §5 `links`); a person's name from the data stays text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.pipeline.test_calls import ACCOUNTS, ACTIVITIES, CONTACTS, MODEL
from tests.serve.conftest import in_process
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.serve.app import create_app
from whynow.store import Store

AS_OF = dt.date(2026, 11, 20)
HOSTILE = "<img src=x onerror=alert(1)>"
LINKS = """links:
  account: "https://crm.example/a/{account_id}/view"
  contact: "https://crm.example/c/{contact_id}?account={account_id}"
"""
DECLARED = """columns: {contacts: {crm_key: text}}
links: {contact: "https://crm.example/people/{crm_key}"}
"""
A1 = ["C1", "C3", "C10", "C2", "C4", "C6", "C5", "C7"]


def _store(folder: Path, extra: str, contacts: str = CONTACTS) -> Store:
    data = folder / "data"
    data.mkdir()
    for name, text in (("accounts", ACCOUNTS), ("contacts", contacts), ("activities", ACTIVITIES)):
        (data / f"{name}.csv").write_text(text.lstrip("\n"))
    model = load_model_text("model: t\n" + MODEL.replace("SIZE", "10") + extra, "model.yaml")
    run(model, str(data), AS_OF, store=folder / "s.duckdb", send_alerts=False)
    return Store(folder / "s.duckdb")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    contacts = CONTACTS.replace("C6,A1,Oz,Hart", f"C6,A1,Oz,{HOSTILE}")
    return in_process(create_app(_store(tmp_path_factory.mktemp("calls"), LINKS, contacts)))


def _surfaced(client) -> dict[str, dict]:
    (queue,) = client.get("/api/queues").json()["queues"]
    return {a["account_id"]: a for a in queue["surfaced"]}


def test_each_queued_account_carries_its_call_list_and_crm_pages(client) -> None:
    surfaced = _surfaced(client)
    assert set(surfaced) == {"A1", "A2"}
    calls = surfaced["A1"]["call_list"]
    assert [c["contact_id"] for c in calls] == A1
    assert [c["rank"] for c in calls] == list(range(1, 9))
    assert [c["reason"] for c in calls] == ["badge"] * 5 + ["engaged"] * 3
    assert calls[0] == {
        "rank": 1,
        "contact_id": "C1",
        "name": "Kim Ng",
        "title": "Buyer",
        "committee_role": "other",
        "email": "kim@acme.example",
        "reason": "badge",
        "badge": "c-comp",
        "badge_label": "Comparing",
        "why": "Kim Ng is comparing",
        "recent_activities": 2,
        "days_since_last_activity": 4,
        "crm_url": "https://crm.example/c/C1?account=A1",
    }
    assert [c["name"] for c in calls[1:5]] == ["Mo Diaz", "Sam Ito", "Lou Park", "Max Roy"]
    assert calls[5]["badge"] is None and calls[5]["why"] is None and calls[5]["recent_activities"] == 2
    assert surfaced["A1"]["crm_url"] == "https://crm.example/a/A1/view"
    assert surfaced["A2"]["call_list"] == []  # badged, no one to call


def test_the_account_carries_its_call_list_and_its_contacts_own_badges(client) -> None:
    account = client.get("/api/accounts/A1").json()
    assert account["crm_url"] == "https://crm.example/a/A1/view"
    assert account["call_list"] == _surfaced(client)["A1"]["call_list"]
    badges = {b["contact_id"]: b for b in account["contact_badges"]}
    assert set(badges) == {"C1", "C2", "C3", "C4", "C8", "C10"}  # C8: a disqualified hand-raiser, on no call list
    kim = badges["C1"]
    assert {k: kim[k] for k in ("name", "badge", "badge_label", "archetype", "why", "crm_url")} == {
        "name": "Kim Ng",
        "badge": "c-comp",
        "badge_label": "Comparing",
        "archetype": "competitive",
        "why": "Kim Ng is comparing",
        "crm_url": "https://crm.example/c/C1?account=A1",
    }
    assert kim["badge_since"] == str(AS_OF) and kim["badge_expires_on"] > kim["badge_since"]
    engagement = [b["engagement"] for b in account["contact_badges"]]
    assert engagement == sorted(engagement, reverse=True)  # the most engaged first
    beta = client.get("/api/accounts/A2").json()
    assert (beta["call_list"], beta["contact_badges"]) == ([], [])
    assert client.get("/api/accounts/A3").json()["call_list"] == []  # no badge


def test_the_queue_page_lists_who_to_call_under_each_account(client) -> None:
    html = client.get("/queues").text
    entry = re.search(r'<li data-account="A1">.*?</ol>', html, re.S)
    assert entry is not None
    people = re.findall(r'<li class="person" data-contact="([^"]+)"', entry.group(0))
    assert people == A1
    assert '<a class="crm" href="https://crm.example/a/A1/view"' in entry.group(0)
    assert '<a href="https://crm.example/c/C1?account=A1"' in entry.group(0)
    assert "Kim Ng is comparing" in entry.group(0)
    assert "engaged: 2 recent activities, last active yesterday" in entry.group(0)  # C6: X8 on 11-19
    a2 = re.search(r'<li data-account="A2">.*?</li>', html, re.S)
    assert a2 is not None and "Who to call" not in a2.group(0)


def test_the_account_page_shows_who_to_call_then_the_contacts_own_badges(client) -> None:
    html = client.get("/accounts/A1").text
    narrative, calls, badges, evidence = (
        html.index(marker) for marker in ('id="narrative"', 'id="who-to-call"', 'id="contact-badges"', "<h2>Evidence")
    )
    assert narrative < calls < badges < evidence
    assert re.findall(r'<li class="person" data-contact="([^"]+)"', html) == A1
    section = html[badges:evidence]
    assert re.findall(r'<tr data-contact="([^"]+)"', section) == [
        c["contact_id"] for c in client.get("/api/accounts/A1").json()["contact_badges"]
    ]
    assert "Kim Ng is comparing" in section and "Comparing" in section
    assert '<a class="crm" href="https://crm.example/a/A1/view"' in html


def test_a_persons_name_from_the_data_stays_text(client) -> None:
    assert _surfaced(client)["A1"]["call_list"][5]["name"] == f"Oz {HOSTILE}"
    for path in ("/queues", "/accounts/A1"):
        html = client.get(path).text
        assert HOSTILE not in html
        assert "Oz &lt;img src=x onerror=alert(1)&gt;" in html


def test_a_contact_link_may_name_a_declared_column(tmp_path: Path) -> None:
    contacts = CONTACTS.replace("unsubscribed\n", "unsubscribed,crm_key\n")
    contacts = re.sub(r"^(C\d+,.*)$", lambda m: f"{m.group(1)},k/{m.group(1).split(',')[0]}", contacts, flags=re.M)
    client = in_process(create_app(_store(tmp_path, DECLARED, contacts)))
    account = client.get("/api/accounts/A1").json()
    assert account["crm_url"] is None  # no links.account
    assert [c["crm_url"] for c in account["call_list"]] == [f"https://crm.example/people/k%2F{c}" for c in A1]
    assert {b["contact_id"]: b["crm_url"] for b in account["contact_badges"]}["C4"] == (
        "https://crm.example/people/k%2FC4"
    )
    (queue,) = client.get("/api/queues").json()["queues"]
    assert [c["crm_url"] for c in queue["surfaced"][0]["call_list"]][:1] == ["https://crm.example/people/k%2FC1"]
