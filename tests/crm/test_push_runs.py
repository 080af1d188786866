"""Pushes over runs and failures (SPEC §12), with the real clients against the fake CRMs: a new run sends only
the records whose values changed; a push killed at any moment, then pushed again, leaves the CRM equal to the
store; secrets appear in no output, log or store table; the Salesforce path end to end, Leads included.

The company: 30 accounts with one contact each. Accounts in Software are targets and wear the badge
"Software target"; moving an account into Software gives it the badge at the next run.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

pytest.importorskip("hubspot")
pytest.importorskip("simple_salesforce")

from tests.fakes.hubspot import HubSpotPortal
from tests.fakes.salesforce import serve_org
from whynow.cli import app
from whynow.crm.push import hubspot
from whynow.crm.push.push import push
from whynow.model.load import load_model
from whynow.store import Store

MODEL = """\
model: push-runs
fit:
  account:
    - {name: Software, when: "industry = 'Software'", points: 60}
engagement:
  half_life_days: 10
  lookback_days: 90
  rules:
    - {name: Page view, when: "type = 'page_view'", points: 2}
accounts:
  target_when: fit >= 50
capacity: {default_per_rep: 2000}
badges:
  definitions:
    - {id: software, archetype: change, label: Software target, when: target, play: Call them,
       why: "{account} builds software"}
"""
HUBSPOT = """\
push:
  hubspot:
    token: ${HUBSPOT_TOKEN}
    api_base: ${HUBSPOT_API_BASE}
    account: {whynow_badge: badge_label, whynow_fit: fit}
    contact: {whynow_lead_status: lead_status}
"""
SALESFORCE = """\
push:
  salesforce:
    instance_url: ${SALESFORCE_INSTANCE_URL}
    username: ${SALESFORCE_USERNAME:-}
    password: ${SALESFORCE_PASSWORD:-}
    security_token: ${SALESFORCE_SECURITY_TOKEN:-}
    account: {Whynow_Badge__c: badge_label}
    contact: {Whynow_Lead_Status__c: lead_status}
"""
DAY = dt.date(2026, 11, 20)


def _company(folder: Path, accounts: list[str], contacts: list[str], software: Iterable[int]) -> Path:
    """The company's files: account i in Software when i is in `software`, else in Retail."""
    folder.mkdir(parents=True, exist_ok=True)
    chosen = set(software)

    def write(name: str, rows: list[list[str]]) -> None:
        with (folder / f"{name}.csv").open("w", newline="") as f:
            csv.writer(f).writerows(rows)

    write(
        "accounts",
        [["account_id", "name", "domain", "industry", "employees", "owner_id"]]
        + [[a, f"Co {i}", f"co{i}.example", "Software" if i in chosen else "Retail", "100", "R1"]
           for i, a in enumerate(accounts)],
    )  # fmt: skip
    write(
        "contacts",
        [["contact_id", "account_id", "first_name"]] + [[c, a, "Pat"] for c, a in zip(contacts, accounts, strict=True)],
    )
    write(
        "activities",
        [["activity_id", "occurred_at", "type", "contact_id"], ["X1", "2026-11-10", "page_view", contacts[0]]],
    )
    return folder


def _run(model: Path, data: Path, day: dt.date, store: Path) -> None:
    done = CliRunner().invoke(
        app, ["run", "--model", str(model), "--data", str(data), "--as-of", day.isoformat(), "--store", str(store)]
    )
    assert done.exit_code == 0, done.output


def _latest(store: Path, table: str, key: str, column: str) -> dict[str, str | None]:
    """The latest run's values of `column`, by record, as a push sends them (numbers as whynow prints them)."""
    with duckdb.connect(str(store), read_only=True) as db:
        rows = db.execute(
            f"SELECT {key}, {column} FROM {table} WHERE as_of = (SELECT max(as_of) FROM {table})"
        ).fetchall()
    return {str(record): None if value is None else _shown(value) for record, value in rows}


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@pytest.fixture
def portal(portal: HubSpotPortal, monkeypatch: pytest.MonkeyPatch) -> HubSpotPortal:
    """The portal, named by the environment as the model's push section reads it."""
    monkeypatch.setenv("HUBSPOT_TOKEN", portal.token)
    monkeypatch.setenv("HUBSPOT_API_BASE", portal.url)
    return portal


def _hubspot_company(portal: HubSpotPortal, size: int) -> tuple[list[str], list[str]]:
    """`size` companies and contacts in the portal, holding old values; their ids."""
    accounts = [portal.add("companies", name=f"Co {i}", whynow_badge="old", whynow_fit="old") for i in range(size)]
    contacts = [portal.add("contacts", email=f"p{i}@co{i}.example", whynow_lead_status="old") for i in range(size)]
    return accounts, contacts


def _updated(portal: HubSpotPortal, object_type: str, since: int = 0) -> list[str]:
    asked = portal.requests_to("POST", f"/crm/v3/objects/{object_type}/batch/update")[since:]
    return [i["id"] for r in asked for i in r.body["inputs"]]


def test_a_new_run_that_changes_seven_badges_sends_exactly_those_seven_records(
    portal: HubSpotPortal, tmp_path: Path
) -> None:
    accounts, contacts = _hubspot_company(portal, 30)
    model = tmp_path / "model.yaml"
    model.write_text(MODEL + HUBSPOT)
    store = tmp_path / "store.duckdb"
    _run(model, _company(tmp_path / "d1", accounts, contacts, range(10)), DAY, store)
    first = CliRunner().invoke(app, ["push", "hubspot", "--model", str(model), "--store", str(store)])
    assert first.exit_code == 0, first.output
    assert sorted(_updated(portal, "companies")) == sorted(accounts)
    before = len(portal.requests_to("POST", "/crm/v3/objects/companies/batch/update"))

    _run(model, _company(tmp_path / "d2", accounts, contacts, range(17)), DAY + dt.timedelta(days=1), store)
    second = CliRunner().invoke(app, ["push", "hubspot", "--model", str(model), "--store", str(store)])
    assert second.exit_code == 0, second.output
    assert sorted(_updated(portal, "companies", since=before)) == sorted(accounts[10:17])
    assert "companies: 30 records: 7 changed, 7 sent, 7 confirmed, 0 failed, 23 unchanged (skipped)" in second.stdout
    badges = _latest(store, "account_status", "account_id", "badge_label")
    assert {a: portal.properties("companies", a)["whynow_badge"] or None for a in accounts} == badges


@pytest.mark.parametrize("kill_at", [1, 5, 12])
def test_a_push_killed_while_the_crm_answers_then_pushed_again_leaves_the_crm_equal_to_the_store(
    portal: HubSpotPortal, tmp_path: Path, kill_at: int
) -> None:
    """The push runs in its own process; the portal kills it with SIGKILL after acting on its `kill_at`-th batch
    and before answering it: the CRM holds values whynow never heard it confirm."""
    accounts, contacts = _hubspot_company(portal, 1200)  # 12 batches of companies, 12 of contacts
    model = tmp_path / "model.yaml"
    model.write_text(MODEL + HUBSPOT)
    store = tmp_path / "store.duckdb"
    _run(model, _company(tmp_path / "d1", accounts, contacts, range(0, 1200, 3)), DAY, store)
    process: subprocess.Popen[bytes] | None = None
    seen = 0

    def kill(method: str, path: str) -> None:
        nonlocal seen
        if method != "POST":
            return
        seen += 1
        time.sleep(0.15)  # a CRM that takes its time: the ledger is written while the push goes on
        if seen == kill_at and process is not None:
            os.kill(process.pid, signal.SIGKILL)

    portal.on_answer = kill
    process = subprocess.Popen(
        [sys.executable, "-m", "whynow", "push", "hubspot", "--model", str(model), "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    process.wait(timeout=120)
    assert process.returncode == -signal.SIGKILL
    portal.on_answer = None
    received = set(_updated(portal, "companies")) | set(_updated(portal, "contacts"))
    with duckdb.connect(str(store), read_only=True) as db:
        kept = db.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'push_ledger'").fetchone()
        ledger = {r for (r,) in db.execute("SELECT record_id FROM push_ledger").fetchall()} if kept[0] else set()
    assert ledger <= received  # nothing marked pushed that the CRM had not been sent
    if kill_at == 12:  # well after the first second: the ledger kept what the CRM confirmed before
        assert ledger

    asked = len(portal.received)
    again = push(load_model(model), Store(store), "hubspot", _sender(portal))
    resent = {i["id"] for r in portal.received[asked:] if r.method == "POST" for i in r.body["inputs"]}
    assert resent == (set(accounts) | set(contacts)) - ledger  # what was not written down, and only that
    assert again.objects["companies"].failed == {} and again.objects["contacts"].failed == {}
    badges, fits = (_latest(store, "account_status", "account_id", c) for c in ("badge_label", "fit"))
    statuses = _latest(store, "contact_status", "contact_id", "lead_status")
    assert {a: portal.properties("companies", a)["whynow_badge"] or None for a in accounts} == badges
    assert {a: portal.properties("companies", a)["whynow_fit"] for a in accounts} == fits
    assert {c: portal.properties("contacts", c)["whynow_lead_status"] for c in contacts} == statuses


def _sender(portal: HubSpotPortal):
    api = hubspot.client(portal.token, portal.url, backoff_s=0.01)
    return lambda level, sent: hubspot.send(api, level, sent)


def _every_text(store: Path) -> str:
    """Every value of every table of the store, as text."""
    found = []
    with duckdb.connect(str(store), read_only=True) as db:
        for (table,) in db.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            found += [repr(row) for row in db.execute(f'SELECT * FROM "{table}"').fetchall()]
    return "\n".join(found)


def test_secrets_appear_in_no_output_log_or_store_table(
    portal: HubSpotPortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the clients' and urllib3's own logs too
    accounts, contacts = _hubspot_company(portal, 5)
    with serve_org() as org:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", org.ca_bundle)
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", f"https://{org.login_domain}.salesforce.com")
        monkeypatch.setenv("SALESFORCE_USERNAME", "whynow@example.com")
        monkeypatch.setenv("SALESFORCE_PASSWORD", "hunter2")
        monkeypatch.setenv("SALESFORCE_SECURITY_TOKEN", "TOKEN123")
        org.fields["Account"] |= {"Whynow_Badge__c": 255}
        org.fields["Contact"] |= {"Whynow_Lead_Status__c": 255}
        model = tmp_path / "model.yaml"
        model.write_text(MODEL + HUBSPOT + SALESFORCE.removeprefix("push:\n"))
        store = tmp_path / "store.duckdb"
        _run(model, _company(tmp_path / "d", accounts, contacts, range(2)), DAY, store)
        said = []
        for args in (["hubspot", "--dry-run"], ["hubspot"], ["salesforce"]):
            done = CliRunner().invoke(app, ["push", *args, "--model", str(model), "--store", str(store)])
            said.append(done.output)  # the Salesforce push is refused: these ids are HubSpot's; its login is not
        monkeypatch.setenv("HUBSPOT_TOKEN", "pat-na1-wrong")  # a 401: HubSpot's answer is printed, not the token
        refused = CliRunner().invoke(app, ["push", "hubspot", "--model", str(model), "--store", str(store), "--full"])
        assert refused.exit_code == 1 and "HubSpot answered 401" in refused.output
        sessions = set(org.sessions)
    assert sessions  # the Salesforce push logged in
    shown = "\n".join([*said, refused.output, caplog.text, _every_text(store)])
    for secret in [portal.token, "pat-na1-wrong", "hunter2", "TOKEN123", *sessions]:
        assert secret not in shown


def test_the_salesforce_path_end_to_end_accounts_contacts_and_a_lead_each_on_its_own_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_org() as org:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", org.ca_bundle)
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", org.url)
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", org.new_session())
        for sobject, name in (("Account", "Whynow_Badge__c"), ("Contact", "Whynow_Lead_Status__c")):
            org.fields[sobject] |= {name: 255}
        org.fields["Lead"] |= {"Whynow_Lead_Status__c": 255}
        accounts = [org.add("Account", Name=f"Co {i}") for i in range(4)]
        contacts = [org.add("Contact", LastName=f"P{i}", AccountId=a) for i, a in enumerate(accounts[:3])]
        contacts.append(org.add("Lead", LastName="Roe", Company="Co 3"))  # imported as a contact of Co 3
        model = tmp_path / "model.yaml"
        model.write_text(
            MODEL
            + SALESFORCE.replace(
                "push:\n  salesforce:\n", "push:\n  salesforce:\n    access_token: ${SALESFORCE_ACCESS_TOKEN}\n"
            )
        )
        store = tmp_path / "store.duckdb"
        _run(model, _company(tmp_path / "d", accounts, contacts, [0, 2]), DAY, store)
        done = CliRunner().invoke(app, ["push", "salesforce", "--model", str(model), "--store", str(store)])
        assert done.exit_code == 0, done.output
        assert "Account: 4 records: 4 changed, 4 sent, 4 confirmed, 0 failed, 0 unchanged (skipped)" in done.output
        assert "Contact: 3 records: 3 changed, 3 sent, 3 confirmed" in done.output
        assert "Lead: 1 records: 1 changed, 1 sent, 1 confirmed" in done.output
        badges = _latest(store, "account_status", "account_id", "badge_label")
        assert {a: org.records["Account"][a].get("Whynow_Badge__c") or None for a in accounts} == badges
        assert [badges[a] for a in accounts] == ["Software target", None, "Software target", None]
        statuses = _latest(store, "contact_status", "contact_id", "lead_status")
        assert org.records["Lead"][contacts[3]]["Whynow_Lead_Status__c"] == statuses[contacts[3]]
        assert all(org.records["Contact"][c]["Whynow_Lead_Status__c"] == statuses[c] for c in contacts[:3])
        again = CliRunner().invoke(app, ["push", "salesforce", "--model", str(model), "--store", str(store)])
        assert "Account: 4 records: 0 changed, 0 sent" in again.output and "Lead: 1 records: 0 changed" in again.output
        assert not org.crashes


def test_run_push_pushes_after_the_run_and_a_crm_that_cannot_be_reached_keeps_the_run(
    portal: HubSpotPortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts, contacts = _hubspot_company(portal, 3)
    model = tmp_path / "model.yaml"
    model.write_text(MODEL + HUBSPOT)
    store, data = tmp_path / "store.duckdb", _company(tmp_path / "d", accounts, contacts, [0])
    args = ["run", "--model", str(model), "--data", str(data), "--store", str(store), "--push", "hubspot"]
    done = CliRunner().invoke(app, [*args, "--as-of", DAY.isoformat()])
    assert done.exit_code == 0, done.output
    assert "companies: 3 records: 3 changed, 3 sent, 3 confirmed" in done.output
    assert portal.properties("companies", accounts[0])["whynow_badge"] == "Software target"

    monkeypatch.setenv("HUBSPOT_API_BASE", "http://127.0.0.1:9")  # nothing listens there
    later = DAY + dt.timedelta(days=1)
    _company(data, accounts, contacts, [0, 1])  # a second badge: something to send
    cut = CliRunner().invoke(app, [*args, "--as-of", later.isoformat()])
    assert cut.exit_code == 1
    assert "could not be reached" in cut.output and "the push into hubspot stopped" in cut.output
    assert Store(store).latest_as_of() == later  # the run was kept


def test_run_push_to_a_crm_the_model_cannot_push_to_stops_before_the_run(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(MODEL)
    store, data = tmp_path / "store.duckdb", _company(tmp_path / "d", ["A1"], ["C1"], [0])
    done = CliRunner().invoke(
        app, ["run", "--model", str(model), "--data", str(data), "--store", str(store), "--push", "salesforce"]
    )
    assert done.exit_code == 2 and "the model has no push.salesforce section" in done.output
    assert not store.exists()
