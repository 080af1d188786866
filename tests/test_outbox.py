"""The alert outbox (SPEC §7): written in the run's transaction, one alert per change of a badge episode.

A small demo company runs weekly with the reference model and Slack turned on by its environment
variable; the outbox in the store is compared with the change log each run wrote.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from whynow.alerts.outbox import alert_lines
from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.load import load_model
from whynow.run import run
from whynow.store import Store

WEEKS = (dt.date(2026, 11, 6), dt.date(2026, 11, 13), dt.date(2026, 11, 20))
SECRET_HOOK = "https://hooks.slack.invalid/services/T000/B000/very-secret-token"


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("company")
    generate_demo_data(folder, seed=5, accounts=40, as_of=WEEKS[-1])
    return folder


def _model(monkeypatch: pytest.MonkeyPatch, hook: str = SECRET_HOOK):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WHYNOW_SLACK_WEBHOOK", hook)
    return load_model(reference_model_path())


def _alerting_changes(store: Store, as_of: dt.date) -> set[tuple[str, str]]:
    """(account, change) of this run's `surfaced` changes for accounts holding a badge."""
    badged = {r["account_id"] for r in store.rows("account_status", as_of) if r["badge"] is not None}
    return {
        (str(r["entity_id"]), str(r["change"]))
        for r in store.changes(since=as_of)
        if r["as_of"] == as_of and r["change"] == "surfaced" and r["entity_id"] in badged
    }


def test_each_surfaced_badge_episode_alerts_once_over_weekly_runs(
    company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(monkeypatch)
    store = Store(tmp_path / "store.duckdb")
    seen: set[str] = set()
    for week in WEEKS:
        run(model, str(company), week, store=store.location)
        alerts = store.alerts()
        new = [a for a in alerts if a["key"] not in seen]
        # this run's new alerts are exactly its surfaced changes whose episode had not alerted yet
        expected = _alerting_changes(store, week)
        assert {(a["entity_id"], a["change"]) for a in new} <= expected
        assert all(a["as_of"] == week and a["status"] == "pending" and a["channel"] == "slack" for a in new)
        episodes = Counter((a["entity_id"], a["change"], a["badge"], a["badge_since"]) for a in alerts)
        assert max(episodes.values()) == 1  # one alert per change of a badge episode
        seen |= {a["key"] for a in alerts}
    assert seen, "the demo company surfaces badged accounts: the outbox cannot be empty"
    first = [a for a in store.alerts() if a["as_of"] == WEEKS[0]]
    assert {(a["entity_id"], a["change"]) for a in first} == _alerting_changes(store, WEEKS[0])


def test_a_rerun_of_an_as_of_date_adds_no_alert(company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model(monkeypatch)
    store = Store(tmp_path / "store.duckdb")
    run(model, str(company), WEEKS[0], store=store.location)
    before = sorted(a["key"] for a in store.alerts())
    run(model, str(company), WEEKS[0], store=store.location)
    assert before and sorted(a["key"] for a in store.alerts()) == before


def test_the_outbox_holds_the_message_but_never_the_secret(
    company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(monkeypatch)
    store = Store(tmp_path / "store.duckdb")
    run(model, str(company), WEEKS[0], store=store.location)
    alerts = store.alerts()
    assert alerts
    assert all("very-secret-token" not in json.dumps(a, default=str) for a in alerts)
    status = {r["account_id"]: r for r in store.rows("account_status", WEEKS[0])}
    for alert in alerts:
        payload = json.loads(alert["payload"])
        account = status[alert["entity_id"]]
        assert payload["version"] == 1
        assert payload["why"] == account["why"] and payload["why"]
        assert payload["badge"]["id"] == account["badge"] == alert["badge"]
        assert payload["badge"]["label"] == account["badge_label"]
        assert payload["rep_id"] == account["route_to"] == alert["rep_id"]
        assert payload["link"] == f"http://127.0.0.1:8000/accounts/{account['account_id']}"
        assert len(payload["evidence"]) <= 3
        listed = store.call_lists(WEEKS[0], [account["account_id"]]).get(account["account_id"], [])
        expected = [
            {k: v for k, v in c.items() if k not in ("as_of", "account_id")} | {"crm_url": None} for c in listed
        ]
        assert payload["call_list"] == expected  # SPEC §4.11: the account's call list, in rank order
    assert any(json.loads(a["payload"])["call_list"] for a in alerts)


def test_no_channel_configured_writes_no_alert(company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model(monkeypatch, hook="")
    store = Store(tmp_path / "store.duckdb")
    run(model, str(company), WEEKS[0], store=store.location)
    assert store.alerts() == []


def test_whynow_alerts_lists_the_outbox(company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from whynow.cli import app

    model = _model(monkeypatch)
    store = Store(tmp_path / "store.duckdb")
    run(model, str(company), WEEKS[0], store=store.location)
    alerts = store.alerts()
    runner = CliRunner()
    listed = runner.invoke(app, ["alerts", "--store", store.location])
    assert listed.exit_code == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == f"{len(alerts)} pending"
    assert len(lines) == 1 + len(alerts)
    assert all(a["entity_id"] in listed.stdout for a in alerts)
    assert "very-secret-token" not in listed.stdout
    none_sent = runner.invoke(app, ["alerts", "--store", store.location, "--status", "sent"])
    assert none_sent.stdout.strip() == f"No alerts sent in {store.location}."
    bad = runner.invoke(app, ["alerts", "--store", store.location, "--status", "lost"])
    assert bad.exit_code == 2 and "lost" in bad.stderr


def test_a_postgresql_store_keeps_the_outbox_the_same_way(
    company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import uuid

    import ibis

    from tests.test_backends import _unavailable

    url = os.environ.get("WHYNOW_TEST_POSTGRES")
    if not url:
        _unavailable("no PostgreSQL (WHYNOW_TEST_POSTGRES is not set)")
    assert url is not None
    schema = f"outbox_{uuid.uuid4().hex[:8]}"
    model = _model(monkeypatch)
    on_duckdb, on_postgres = Store(tmp_path / "store.duckdb"), Store(f"{url}?schema={schema}")
    try:
        for week in WEEKS[:2]:
            for store in (on_duckdb, on_postgres):
                run(model, str(company), week, store=store.location)
        run(model, str(company), WEEKS[1], store=on_postgres.location)  # a re-run adds nothing
        wanted = sorted((a["key"], a["payload"]) for a in on_duckdb.alerts())
        assert wanted and sorted((a["key"], a["payload"]) for a in on_postgres.alerts()) == wanted
    finally:
        con = ibis.connect(url)
        con.raw_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.disconnect()


def test_with_no_channel_the_demo_prints_what_would_be_sent(
    company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whynow.alerts.outbox import dry_run_lines

    model = _model(monkeypatch, hook="")
    store = Store(tmp_path / "store.duckdb")
    result = run(model, str(company), WEEKS[0], store=store.location)
    lines = dry_run_lines(model, result.outputs, shown=2)
    expected = _alerting_changes(store, WEEKS[0])
    assert expected and lines[0].startswith(f"Alerts (a dry run: no channel is on; set WHYNOW_SLACK_WEBHOOK to send): "
                                            f"{len(expected)} would go out, 2 shown:")  # fmt: skip
    assert len(lines) == 3 and all(line.startswith("  → R") for line in lines[1:])
    assert store.alerts() == []  # a dry run writes nothing


def test_an_outranked_badge_alerts_for_the_new_one_when_on_includes_badge_replaced(
    company: Path, tmp_path: Path
) -> None:
    from whynow.model.load import load_model_text

    webhook = "alerts:\n  webhook:\n    url: http://127.0.0.1:9/hook\n    on: [badge_replaced]\n"
    text = reference_model_path().read_text(encoding="utf-8").replace("alerts:\n", webhook, 1)
    model = load_model_text(text, "model.yaml")
    store = Store(tmp_path / "store.duckdb")
    for week in WEEKS:
        run(model, str(company), week, store=store.location)
    replaced = {(r["entity_id"], r["new"]) for r in store.changes() if r["change"] == "badge_replaced"}
    assert replaced, "the demo company's third week replaces badges"
    alerts = store.alerts()
    assert {a["change"] for a in alerts} == {"badge_replaced"}
    assert {(a["entity_id"], a["badge"]) for a in alerts} == replaced  # the alert is for the new badge


def _lifecycle_model(on: str = "[reengaged]"):  # type: ignore[no-untyped-def]
    """The lead lifecycle's company (tests/test_lifecycle.py: Bob, disqualified, is an MQL again in week 3;
    nobody holds a badge) with the webhook alerting on `on`."""
    from tests.test_lifecycle import MODEL
    from whynow.model.load import load_model_text

    return load_model_text(MODEL + f"alerts:\n  webhook:\n    url: http://127.0.0.1:9/hook\n    on: {on}\n", "m.yaml")


def test_a_disqualified_contact_back_at_mql_alerts_its_account_owner_once_without_a_badge(tmp_path: Path) -> None:
    from tests.test_lifecycle import WEEKS as MONDAYS
    from tests.test_lifecycle import _company

    model = _lifecycle_model()
    store = Store(tmp_path / "store.duckdb")
    for n, day in enumerate(MONDAYS[:5]):
        run(model, str(_company(tmp_path / f"week{n}", n)), day, store=store.location)
        if n == 3:  # the week Bob re-engages, run twice: the re-run adds nothing
            run(model, str(_company(tmp_path / f"week{n}", n)), day, store=store.location)
    alerts = store.alerts()
    assert len(alerts) == 1  # Ann's first-run MQL is no re-engagement; Bob's stays mql in week 4
    (alert,) = alerts
    assert (alert["entity_type"], alert["entity_id"], alert["change"]) == ("contact", "C2", "reengaged")
    assert (alert["status"], alert["rep_id"], alert["as_of"]) == ("pending", "R1", MONDAYS[3])
    assert alert["badge"] is None and alert["status_since"] == MONDAYS[3]
    assert alert["key"] == f"webhook|contact|C2|reengaged||{MONDAYS[3].isoformat()}"
    payload = json.loads(alert["payload"])
    assert payload["version"] == 1 and payload["change"] == "reengaged"
    assert payload["status"] == {"old": "disqualified", "new": "mql", "since": MONDAYS[3].isoformat()}
    assert payload["entity"]["name"] == "Bob Roe" and payload["account"]["name"] == "Acme"
    assert payload["badge"]["id"] is None
    listed = alert_lines(store)[1]  # `whynow alerts`
    assert "contact C2  reengaged  no badge, sales-ready since 2026-11-23  → R1" in listed


def test_a_reengagement_alerts_only_where_on_asks_for_it(tmp_path: Path) -> None:
    from tests.test_lifecycle import WEEKS as MONDAYS
    from tests.test_lifecycle import _company

    model = _lifecycle_model("[surfaced, badge_assigned]")  # the webhook's default
    store = Store(tmp_path / "store.duckdb")
    for n, day in enumerate(MONDAYS[:4]):
        run(model, str(_company(tmp_path / f"week{n}", n)), day, store=store.location)
    assert any(r["reason"] == "reengaged" for r in store.changes())
    assert store.alerts() == []
