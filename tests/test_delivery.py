"""Delivering the outbox to a signed webhook (SPEC §7), against a real HTTP server on 127.0.0.1.

One run of a small demo company with the webhook on fills the outbox; each test scripts what the
receiver answers, sends, and reads the outbox back from the store.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.receiver import Receiver, Reply, receiver
from whynow.alerts.deliver import INTERRUPTED, send
from whynow.alerts.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.check import CompiledModel
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.store import Store

AS_OF = dt.date(2026, 11, 6)
SECRET = "whsec-test-0123456789"
WEBHOOK = "alerts:\n  webhook:\n    url: ${WHYNOW_WEBHOOK_URL:-}\n    secret: ${WHYNOW_WEBHOOK_SECRET:-}\n"


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("company")
    generate_demo_data(folder, seed=5, accounts=40, as_of=dt.date(2026, 11, 20))
    return folder


@pytest.fixture(scope="module")
def filled(company: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after one run with the webhook on: its outbox holds pending alerts (copied per test)."""
    store = tmp_path_factory.mktemp("filled") / "store.duckdb"
    run(_model("http://127.0.0.1:9/unused"), str(company), AS_OF, store=str(store))
    _one_by_one(Store(store))
    return store


def _one_by_one(store: Store) -> None:
    """A first run's alerts go out as one digest per rep (tested on its own); these tests follow single
    alerts, as a later run of the history sends them."""
    db = store.connect()
    try:
        db.execute("UPDATE alerts SET digest = NULL")
    finally:
        db.close()


@pytest.fixture
def http() -> Iterator[Receiver]:
    with receiver() as server:
        yield server


def _model(url: str, secret: str = SECRET) -> CompiledModel:
    """The reference model with the webhook on, its URL and secret read from the environment."""
    text = reference_model_path().read_text(encoding="utf-8").replace("alerts:\n", WEBHOOK, 1)
    with pytest.MonkeyPatch.context() as env:  # also used by a module-scoped fixture
        env.setenv("WHYNOW_WEBHOOK_URL", url)
        env.setenv("WHYNOW_WEBHOOK_SECRET", secret)
        return load_model_text(text, "model.yaml")


def _store(filled: Path, tmp_path: Path) -> Store:
    shutil.copy(filled, tmp_path / "store.duckdb")
    return Store(tmp_path / "store.duckdb")


def _by_status(store: Store) -> dict[str, int]:
    counts: dict[str, int] = {}
    for alert in store.alerts():
        counts[str(alert["status"])] = counts.get(str(alert["status"]), 0) + 1
    return counts


def test_a_200_sends_each_alert_once_signed_with_its_key(filled: Path, tmp_path: Path, http: Receiver) -> None:
    store = _store(filled, tmp_path)
    pending = store.alerts("pending")
    assert pending
    http.reply(Reply(200, "ok", {"X-Request-Id": "msg-1"}))
    model = _model(http.url + "/hook")
    assert send(store, model)["sent"] == len(pending)
    assert _by_status(store) == {"sent": len(pending)}
    assert all(a["message_id"] == "msg-1" and a["attempts"] == 1 and a["sent_at"] for a in store.alerts())
    assert sorted(r.headers["Idempotency-Key"] for r in http.received) == sorted(str(a["key"]) for a in pending)
    for request in http.received:
        assert request.path == "/hook"
        assert verify(SECRET, request.headers[TIMESTAMP_HEADER], request.headers[SIGNATURE_HEADER], request.body)
        tampered = request.body.replace(b'"version": 1', b'"version": 2')
        assert tampered != request.body
        assert not verify(SECRET, request.headers[TIMESTAMP_HEADER], request.headers[SIGNATURE_HEADER], tampered)
        sent = request.json()
        assert isinstance(sent, dict) and sent["version"] == 1 and sent["key"] == request.headers["Idempotency-Key"]
        assert sent["alert"]["why"]
    assert send(store, model)["sent"] == 0  # the next send delivers nothing again
    assert len(http.received) == len(pending)


def test_a_429_waits_for_retry_after_then_sends_once(filled: Path, tmp_path: Path, http: Receiver) -> None:
    store = _store(filled, tmp_path)
    count = len(store.alerts("pending"))
    http.reply(Reply(429, "slow down", {"Retry-After": "120"}))
    model = _model(http.url)
    before = dt.datetime.now(dt.UTC)
    assert send(store, model)["pending"] == count
    for alert in store.alerts():
        assert alert["status"] == "pending" and alert["attempts"] == 1 and "HTTP 429" in str(alert["last_error"])
        wait = (alert["next_try"] - before).total_seconds()  # type: ignore[operator]
        assert 119 <= wait <= 130
    http.reply(Reply(200))
    assert send(store, model)["waiting"] == count  # not due yet: nothing is sent
    assert len(http.received) == count
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=121)
    assert send(store, model, now=later)["sent"] == count
    assert _by_status(store) == {"sent": count}
    assert len(http.received) == 2 * count  # each alert: the refused attempt, then the one that landed


def test_a_500_is_transient_and_the_next_send_delivers(filled: Path, tmp_path: Path, http: Receiver) -> None:
    store = _store(filled, tmp_path)
    count = len(store.alerts("pending"))
    http.reply(Reply(500, "boom"))
    model = _model(http.url)
    assert send(store, model)["pending"] == count
    assert all("HTTP 500 boom" in str(a["last_error"]) for a in store.alerts())
    http.reply(Reply(200))
    assert send(store, model, retry=True)["sent"] == count
    assert all(a["attempts"] == 2 for a in store.alerts())


def test_a_404_fails_for_good_until_retry_failed(filled: Path, tmp_path: Path, http: Receiver) -> None:
    store = _store(filled, tmp_path)
    count = len(store.alerts("pending"))
    http.reply(Reply(404, "no_service"))
    model = _model(http.url)
    assert send(store, model)["failed"] == count
    assert all(a["status"] == "failed" and "HTTP 404 no_service" in str(a["last_error"]) for a in store.alerts())
    http.reply(Reply(200))
    assert send(store, model, retry=True) == {}  # failed alerts are not tried by send
    assert store.retry_failed() == count
    assert send(store, model)["sent"] == count
    assert len(http.received) == 2 * count


def test_a_slow_endpoint_times_out_after_the_models_timeout_and_stays_pending(
    filled: Path, tmp_path: Path, http: Receiver
) -> None:
    store = _store(filled, tmp_path)
    http.reply(Reply(200, delay_s=1.5))
    text = reference_model_path().read_text(encoding="utf-8")
    text = text.replace("alerts:\n", WEBHOOK + "    timeout_s: 0.3\n", 1)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WHYNOW_WEBHOOK_URL", http.url)
        model = load_model_text(text, "model.yaml")
    count = len(store.alerts("pending"))
    assert send(store, model)["pending"] == count
    for alert in store.alerts():
        assert (alert["status"], alert["attempts"]) == ("pending", 1)
        assert alert["last_error"] == "webhook: no answer within 0.3 s"


def test_a_refused_connection_stays_pending_and_names_no_url(filled: Path, tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = _store(filled, tmp_path)
    url = f"http://127.0.0.1:{port}/secret-path-token"
    assert send(store, _model(url))["pending"] == len(store.alerts())
    for alert in store.alerts():
        assert alert["last_error"] == "webhook: ConnectError (the endpoint could not be reached)"
        assert "secret-path-token" not in json.dumps(alert, default=str)


def test_an_alert_whose_badge_ended_is_skipped_as_stale(filled: Path, tmp_path: Path, http: Receiver) -> None:
    store = _store(filled, tmp_path)
    alerts = store.alerts("pending")
    gone = alerts[0]
    db = store.connect()
    try:  # the last run no longer holds that badge
        db.execute("DELETE FROM badge_state WHERE entity_id = ? AND badge = ?", [gone["entity_id"], gone["badge"]])
    finally:
        db.close()
    stale = {a["key"] for a in alerts if (a["entity_id"], a["badge"]) == (gone["entity_id"], gone["badge"])}
    assert len(stale) == 2  # its badge_assigned and surfaced alerts (the webhook's default `on`)
    outcomes = send(store, _model(http.url))
    assert outcomes["skipped"] == len(stale) and outcomes["sent"] == len(alerts) - len(stale)
    skipped = [a for a in store.alerts() if a["status"] == "skipped"]
    assert {a["key"] for a in skipped} == stale
    assert all(a["last_error"] == "stale: its badge episode ended" for a in skipped)
    assert not stale & {r.headers["Idempotency-Key"] for r in http.received}


def test_run_sends_after_commit_unless_no_send_and_alerts_send_delivers_later(
    company: Path, tmp_path: Path, http: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from whynow.cli import app

    model_file = tmp_path / "model.yaml"
    model_file.write_text(reference_model_path().read_text(encoding="utf-8").replace("alerts:\n", WEBHOOK, 1))
    monkeypatch.setenv("WHYNOW_WEBHOOK_URL", http.url)
    monkeypatch.setenv("WHYNOW_WEBHOOK_SECRET", SECRET)
    runner = CliRunner()
    store = tmp_path / "store.duckdb"
    args = ["run", "--model", str(model_file), "--data", str(company), "--store", str(store)]
    quiet = runner.invoke(app, [*args, "--as-of", AS_OF.isoformat(), "--no-send"])
    assert quiet.exit_code == 0, quiet.stderr
    pending = Store(store).alerts("pending")
    assert pending and http.received == [] and "Alerts:" not in quiet.stdout
    digests = {a["digest"] for a in pending}  # the first run of a history: one message per rep
    assert None not in digests and len(digests) < len(pending)
    http.reply(Reply(404, "gone"))
    refused = runner.invoke(app, ["alerts", "send", "--store", str(store)])  # the model of the last run
    assert refused.exit_code == 0, refused.stderr
    assert refused.stdout.startswith(f"Alerts: {len(pending)} failed")
    http.reply(Reply(200))
    again = runner.invoke(app, ["alerts", "retry", "--failed", "--store", str(store)])
    assert again.stdout.strip() == f"Alerts: {len(pending)} sent."
    assert len(http.received) == 2 * len(digests)
    assert {r.headers["Idempotency-Key"] for r in http.received} == digests
    week = runner.invoke(app, [*args, "--as-of", (AS_OF + dt.timedelta(days=7)).isoformat()])
    assert week.exit_code == 0, week.stderr
    new = len(Store(store).alerts()) - len(pending)
    assert (f"Alerts: {new} sent." in week.stdout) if new else ("Alerts:" not in week.stdout)
    assert len(http.received) == 2 * len(digests) + new  # later runs: one message per alert
    assert SECRET not in quiet.stdout + refused.stdout + again.stdout + week.stdout


def test_a_sender_killed_mid_delivery_loses_nothing_and_doubles_at_most_the_alert_in_flight(
    filled: Path, tmp_path: Path, http: Receiver
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    store = _store(filled, tmp_path)
    pending = store.alerts("pending")
    assert len(pending) >= 3
    http.reply(Reply(200), Reply(200), Reply(200, delay_s=30))  # the third request hangs
    env = {**os.environ, "WHYNOW_WEBHOOK_URL": http.url, "WHYNOW_WEBHOOK_SECRET": SECRET}
    model_file = tmp_path / "model.yaml"
    model_file.write_text(reference_model_path().read_text(encoding="utf-8").replace("alerts:\n", WEBHOOK, 1))
    command = [sys.executable, "-m", "whynow", "alerts", "send", "--store", store.location, "--model", str(model_file)]
    sender = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(http.received) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(http.received) == 3, sender.communicate(timeout=5)
    os.kill(sender.pid, signal.SIGKILL)  # between "sent" and "recorded" for the third alert
    sender.communicate(timeout=10)  # reaps it and closes its pipes
    after = {str(a["key"]): a for a in store.alerts()}
    delivered = [r.headers["Idempotency-Key"] for r in http.received]
    assert [after[k]["status"] for k in delivered[:2]] == ["sent", "sent"]  # recorded as soon as known
    in_flight = after[delivered[2]]  # counted as tried, its outcome unknown
    assert (in_flight["status"], in_flight["attempts"], in_flight["last_error"]) == ("pending", 1, INTERRUPTED)
    assert sum(a["status"] == "pending" for a in after.values()) == len(pending) - 2
    http.reply(Reply(200))
    assert send(store, _model(http.url))["sent"] == len(pending) - 2  # nothing lost
    keys = [r.headers["Idempotency-Key"] for r in http.received]
    assert sorted(set(keys)) == sorted(str(a["key"]) for a in pending)
    doubled = [k for k in set(keys) if keys.count(k) > 1]
    assert doubled == [delivered[2]]  # the README's bound: at most the alert in flight, same key


def test_the_first_run_sends_one_digest_per_rep(company: Path, tmp_path: Path, http: Receiver) -> None:
    store = Store(tmp_path / "store.duckdb")
    model = _model(http.url)
    run(model, str(company), AS_OF, store=store.location)
    alerts = store.alerts("pending")
    by_rep: dict[object, set[str]] = {}
    for alert in alerts:
        by_rep.setdefault(alert["rep_id"], set()).add(json.loads(str(alert["payload"]))["why"])
    assert len(by_rep) < len(alerts)  # some rep has several alerts: a flood without the digest
    assert send(store, model)["sent"] == len(alerts)
    assert len(http.received) == len(by_rep)
    for request in http.received:
        body = request.json()
        assert isinstance(body, dict) and body["digest"] is True and body["key"] == request.headers["Idempotency-Key"]
        reps = {a["rep_id"] for a in body["alerts"]}
        assert len(reps) == 1
        assert {a["why"] for a in body["alerts"]} == by_rep[reps.pop()]
        assert verify(SECRET, request.headers[TIMESTAMP_HEADER], request.headers[SIGNATURE_HEADER], request.body)
    assert {a["status"] for a in store.alerts()} == {"sent"}


def test_over_weekly_runs_an_alert_still_pending_when_its_badge_ends_is_skipped_as_stale(
    company: Path, tmp_path: Path, http: Receiver
) -> None:
    """Each weekly run sends, and the endpoint is down (503): alerts stay pending. When a later run no
    longer holds an alert's badge episode, that run's send marks it skipped; once the endpoint is back,
    only the alerts of live episodes go out."""
    store, model = Store(tmp_path / "store.duckdb"), _model(http.url)
    http.reply(Reply(503, "down"))
    weeks = [AS_OF - dt.timedelta(days=14) + dt.timedelta(days=7 * i) for i in range(3)]
    for week in weeks:
        run(model, str(company), week, store=store.location, send_alerts=True)
        active = store.active_badges()
        for alert in store.alerts():
            live = (alert["entity_type"], alert["entity_id"], alert["badge"], alert["badge_since"]) in active
            assert alert["status"] == ("pending" if live else "skipped"), (week, alert["key"])
    skipped = {str(a["key"]) for a in store.alerts("skipped")}
    assert skipped, "over these weeks some badge of the demo company ends while its alert is pending"
    assert all(a["last_error"] == "stale: its badge episode ended" for a in store.alerts("skipped"))
    tried = len(http.received)
    http.reply(Reply(200))
    pending = store.alerts("pending")
    assert send(store, model, retry=True)["sent"] == len(pending)
    sent_keys = set()
    for request in http.received[tried:]:
        body = request.json()
        assert isinstance(body, dict)
        sent_keys.add(request.headers["Idempotency-Key"])
    digests = {str(a["digest"] or a["key"]) for a in pending}
    assert sent_keys == digests and not sent_keys & skipped
    assert {a["status"] for a in store.alerts()} == {"sent", "skipped"}


@pytest.mark.parametrize(
    ("variable", "channel", "setting"),
    [
        ("WHYNOW_WEBHOOK_URL", "webhook", "alerts.webhook.url"),
        ("WHYNOW_SLACK_WEBHOOK", "slack", "alerts.slack.webhook_url"),
    ],
)
def test_an_alert_url_that_does_not_parse_fails_in_a_line_naming_the_channel_never_the_url(
    company: Path,
    tmp_path: Path,
    http: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    channel: str,
    setting: str,
) -> None:
    """A URL that cannot parse will not work until the model's environment changes: its alerts fail
    (kept in the outbox, as a revoked webhook's are) and `alerts retry --failed` sends them once fixed."""
    from typer.testing import CliRunner

    from whynow.cli import app

    model_file = tmp_path / "model.yaml"
    model_file.write_text(reference_model_path().read_text(encoding="utf-8").replace("alerts:\n", WEBHOOK, 1))
    monkeypatch.setenv(variable, "http://[::1/services/T0/B0/secret-hook-token")
    runner, store = CliRunner(), tmp_path / "store.duckdb"
    args = ["run", "--model", str(model_file), "--data", str(company), "--store", str(store)]
    line = f"{channel}: {setting} is not an http(s) URL (not shown: it may hold a secret)"
    ran = runner.invoke(app, [*args, "--as-of", AS_OF.isoformat()])
    assert ran.exit_code == 0, ran.stdout + ran.stderr  # the run committed: delivery never undoes it
    alerts = Store(store).alerts()
    assert alerts and f"Alerts: {len(alerts)} failed" in ran.stdout and line in ran.stdout
    assert all(a["status"] == "failed" and str(a["last_error"]).startswith(line) for a in alerts)
    Store(store).retry_failed()
    sent = runner.invoke(app, ["alerts", "send", "--store", str(store)])
    assert sent.exit_code == 0, sent.stdout + sent.stderr
    assert sent.stdout.startswith(f"Alerts: {len(alerts)} failed") and line in sent.stdout
    monkeypatch.setenv(variable, http.url)  # the model's environment fixed
    fixed = runner.invoke(app, ["alerts", "retry", "--failed", "--store", str(store)])
    assert fixed.stdout.strip() == f"Alerts: {len(alerts)} sent."  # nothing lost
    shown = ran.stdout + ran.stderr + sent.stdout + sent.stderr
    assert "secret-hook-token" not in shown and "Traceback" not in shown
    assert all("secret-hook-token" not in json.dumps(a, default=str) for a in Store(store).alerts())


FOREIGN = {"account_id": "Société-", "contact_id": "株式会社-", "rep_id": "Réd-", "owner_id": "Réd-", "csm_id": "Réd-"}


def foreign_company(folder: Path) -> Path:
    """The demo company with ids that are not ASCII: A0002 becomes Société-A0002, a rep Réd-R01."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    generate_demo_data(folder, seed=5, accounts=40, as_of=dt.date(2026, 11, 20))
    for path in folder.glob("*.parquet"):
        table = pq.read_table(path)
        for column, prefix in FOREIGN.items():
            if column in table.schema.names:
                renamed = pc.binary_join_element_wise(prefix, table[column], "")
                table = table.set_column(table.schema.get_field_index(column), column, renamed)
        pq.write_table(table, path)
    return folder


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return foreign_company(tmp_path_factory.mktemp("foreign"))


@pytest.mark.parametrize("one_by_one", [False, True], ids=["digest", "one-by-one"])
def test_ids_that_are_not_ascii_go_out_with_the_key_percent_encoded_in_the_header(
    foreign: Path, tmp_path: Path, http: Receiver, monkeypatch: pytest.MonkeyPatch, one_by_one: bool
) -> None:
    """HTTP headers are ASCII: the Idempotency-Key is the body's key with every byte that is not
    printable ASCII, and `%`, percent-encoded (an ASCII key without `%` is sent as it is)."""
    from urllib.parse import unquote

    from typer.testing import CliRunner

    from whynow.cli import app

    model_file = tmp_path / "model.yaml"
    model_file.write_text(reference_model_path().read_text(encoding="utf-8").replace("alerts:\n", WEBHOOK, 1))
    monkeypatch.setenv("WHYNOW_WEBHOOK_URL", http.url)
    monkeypatch.setenv("WHYNOW_WEBHOOK_SECRET", SECRET)
    runner, store = CliRunner(), Store(tmp_path / "store.duckdb")
    args = ["run", "--model", str(model_file), "--data", str(foreign), "--store", store.location]
    ran = runner.invoke(app, [*args, "--as-of", AS_OF.isoformat(), *(["--no-send"] if one_by_one else [])])
    assert ran.exit_code == 0 and ran.exception is None, ran.stdout + ran.stderr
    if one_by_one:  # a later run's alerts, each a request of its own keyed by its account or contact id
        _one_by_one(store)
        sent = runner.invoke(app, ["alerts", "send", "--store", store.location])
        assert sent.exit_code == 0 and sent.exception is None, sent.stdout + sent.stderr
    alerts = store.alerts()
    assert alerts and {a["status"] for a in alerts} == {"sent"}
    assert any(str(a["entity_id"]).startswith(("Société-", "株式会社-")) for a in alerts)
    keys = {str(a["key"]) if one_by_one else str(a["digest"]) for a in alerts}
    assert len(http.received) == len(keys) and not all(k.isascii() for k in keys)
    for request in http.received:
        header = request.headers["Idempotency-Key"]
        assert header.isascii() and header.isprintable()
        body = request.json()
        assert isinstance(body, dict) and unquote(header) == body["key"] and body["key"] in keys
        assert verify(SECRET, request.headers[TIMESTAMP_HEADER], request.headers[SIGNATURE_HEADER], request.body)
    assert "Traceback" not in ran.stdout + ran.stderr


def test_an_ascii_key_is_its_own_idempotency_key_and_a_percent_is_encoded() -> None:
    from whynow.alerts.webhook import idempotency_key

    assert idempotency_key("webhook|account|A-1 b/c?d|surfaced|x|2026-11-06") == (
        "webhook|account|A-1 b/c?d|surfaced|x|2026-11-06"
    )
    assert idempotency_key("webhook|account|100%|x") == "webhook|account|100%25|x"
    assert idempotency_key("webhook|account|Société|株") == "webhook|account|Soci%C3%A9t%C3%A9|%E6%A0%AA"


# SPEC §5, §7: with the model's `links`, an alert carries its CRM pages; ids that hold / and & stay in their place.
CRM_LINKS = (
    "links:\n"
    "  account: https://acme.lightning.force.com/lightning/r/Account/{account_id}/view\n"
    "  contact: https://acme.lightning.force.com/{contact_id}\n"
)
SLASHED = {"account_id": ("EU/", "&Co"), "contact_id": ("p/", "&1")}  # A0002 becomes EU/A0002&Co


def slashed_company(folder: Path) -> Path:
    """The demo company with account and contact ids that hold `/` and `&`."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    generate_demo_data(folder, seed=5, accounts=40, as_of=dt.date(2026, 11, 20))
    for path in folder.glob("*.parquet"):
        table = pq.read_table(path)
        for column, (before, after) in SLASHED.items():
            if column in table.schema.names:
                wrapped = pc.binary_join_element_wise(before, table[column], after, "")
                table = table.set_column(table.schema.get_field_index(column), column, wrapped)
        pq.write_table(table, path)
    return folder


def crm_page(level: str, record_id: object) -> str:
    """The CRM page CRM_LINKS gives a record, its id percent-encoded whole."""
    from urllib.parse import quote

    path = "lightning/r/Account/{}/view" if level == "account" else "{}"
    return "https://acme.lightning.force.com/" + path.format(quote(str(record_id), safe=""))


def test_the_webhook_json_carries_the_crm_pages_of_the_account_and_the_entity(tmp_path: Path, http: Receiver) -> None:
    company = slashed_company(tmp_path / "company")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WHYNOW_WEBHOOK_URL", http.url)
        env.setenv("WHYNOW_WEBHOOK_SECRET", SECRET)
        text = reference_model_path().read_text(encoding="utf-8").replace("alerts:\n", WEBHOOK, 1)
        model = load_model_text(text + CRM_LINKS, "model.yaml")
    store = Store(tmp_path / "store.duckdb")
    run(model, str(company), AS_OF, store=store.location)
    _one_by_one(store)
    assert send(store, model)["sent"] == len(store.alerts())
    alerts = [r.json()["alert"] for r in http.received]  # type: ignore[index]
    assert {a["entity"]["type"] for a in alerts} == {"account", "contact"}
    for alert in alerts:
        account, entity = alert["account"], alert["entity"]
        assert "/" in account["id"] and "&" in account["id"]
        assert alert["crm_url"] == account["crm_url"] == crm_page("account", account["id"])
        assert "%2F" in alert["crm_url"] and "%26" in alert["crm_url"]
        assert entity["crm_url"] == crm_page(entity["type"], entity["id"])


def test_without_links_the_crm_url_is_null(filled: Path) -> None:
    payloads = [json.loads(str(a["payload"])) for a in Store(filled).alerts()]
    assert payloads and all(p["crm_url"] is None for p in payloads)
    assert all(p["account"]["crm_url"] is None and p["entity"]["crm_url"] is None for p in payloads)


# SPEC §4.11, §7: who to call, in every account's alert. The small company of tests/pipeline/test_calls.py:
# Acme (A1) has eight people to call, Beta (A2) a badge and no one.
CALLS_AS_OF = dt.date(2026, 11, 20)
ACME_CALLS = [
    (1, "C1", "Kim Ng", "badge"),
    (2, "C3", "Mo Diaz", "badge"),
    (3, "C10", "Sam Ito", "badge"),
    (4, "C2", "Lou Park", "badge"),
    (5, "C4", "Max Roy", "badge"),
    (6, "C6", "Oz Hart", "engaged"),
    (7, "C5", "Nia Cole", "engaged"),
    (8, "C7", "Pia Lund", "engaged"),
]
CALL_FIELDS = {
    "rank", "contact_id", "name", "title", "committee_role", "email", "reason", "badge", "badge_label", "why",
    "recent_activities", "days_since_last_activity", "crm_url",
}  # fmt: skip


def calls_company(folder: Path) -> Path:
    """The call list's company (tests/pipeline/test_calls.py) as CSV files."""
    from tests.pipeline.test_calls import ACCOUNTS, ACTIVITIES, CONTACTS

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("accounts", ACCOUNTS), ("contacts", CONTACTS), ("activities", ACTIVITIES)):
        (folder / f"{name}.csv").write_text(text.lstrip("\n"), encoding="utf-8")
    return folder


def calls_model(size: int, alerts: str) -> CompiledModel:
    """The call list's model with `capacity.call_list: size` and the given `alerts:` section."""
    from tests.pipeline.test_calls import MODEL

    return load_model_text("model: calls\n" + MODEL.replace("SIZE", str(size)) + alerts, "model.yaml")


def sent_calls(folder: Path, model: CompiledModel, one_by_one: bool = True) -> Store:
    """A store after the call list company's first run, its alerts sent (one by one, or as digests)."""
    store = Store(folder / "store.duckdb")
    run(model, str(calls_company(folder / "company")), CALLS_AS_OF, store=store.location)
    if one_by_one:
        _one_by_one(store)
    assert send(store, model)["sent"] == len(store.alerts())
    return store


@pytest.mark.parametrize(("size", "links"), [(10, False), (3, True), (0, False)], ids=["ten", "links", "off"])
def test_the_webhook_json_carries_the_accounts_call_list_as_an_array(
    tmp_path: Path, http: Receiver, size: int, links: bool
) -> None:
    alerts = f"alerts:\n  webhook:\n    url: '{http.url}'\n    on: [surfaced, badge_assigned]\n"
    model = calls_model(size, alerts + (CRM_LINKS if links else ""))
    sent_calls(tmp_path, model)
    received = {(a["entity"]["id"], a["change"]): a for a in (r.json()["alert"] for r in http.received)}  # type: ignore[index]
    acme, beta = received[("A1", "surfaced")], received[("A2", "surfaced")]
    assert acme["version"] == 1 and beta["call_list"] == []  # a badge, no one engaged: an empty array
    assert [(c["rank"], c["contact_id"], c["name"], c["reason"]) for c in acme["call_list"]] == ACME_CALLS[:size]
    if size == 0:
        assert all(alert["call_list"] == [] for alert in received.values())
        return
    kim = acme["call_list"][0]
    assert set(kim) == CALL_FIELDS
    assert kim == {
        "rank": 1, "contact_id": "C1", "name": "Kim Ng", "title": "Buyer", "committee_role": "other",
        "email": "kim@acme.example", "reason": "badge", "badge": "c-comp", "badge_label": "Comparing",
        "why": "Kim Ng is comparing", "recent_activities": 2, "days_since_last_activity": 4,
        "crm_url": crm_page("contact", "C1") if links else None,
    }  # fmt: skip
    if size > 5:  # the first engaged person: no badge, no narrative, their recent activity
        oz = acme["call_list"][5]
        assert (oz["badge"], oz["why"], oz["recent_activities"], oz["days_since_last_activity"]) == (None, None, 2, 1)
    person = received[("C1", "badge_assigned")]  # a contact's alert: the person's narrative, then the account's
    assert (person["why"], person["account"]["why"]) == ("Kim Ng is comparing", "Acme is active")
    assert person["call_list"] == acme["call_list"]  # the account's call list


def test_a_digest_carries_each_alerts_call_list(tmp_path: Path, http: Receiver) -> None:
    model = calls_model(10, f"alerts:\n  webhook:\n    url: '{http.url}'\n    on: [surfaced]\n")
    sent_calls(tmp_path, model, one_by_one=False)
    (request,) = http.received  # the first run: one digest for the one rep
    body = request.json()
    assert isinstance(body, dict) and body["digest"] is True
    lists = {a["account"]["id"]: [(c["rank"], c["contact_id"], c["name"], c["reason"]) for c in a["call_list"]]
             for a in body["alerts"]}  # fmt: skip
    assert lists == {"A1": ACME_CALLS, "A2": []}


def test_a_reengaged_alert_goes_out_while_its_contact_is_sales_ready_and_is_stale_once_recycled(
    tmp_path: Path, http: Receiver
) -> None:
    """The lead lifecycle's company (tests/test_lifecycle.py), run weekly with the endpoint down (503): Bob
    re-engages in week 3 (mql since that Monday) and his alert stays pending while he is still mql since
    then (week 4); in week 5 he is recycled, so that run's send marks it skipped, and nothing goes out."""
    from tests.test_lifecycle import MODEL, WEEKS, _company
    from whynow.alerts.deliver import STALE_STRETCH

    webhook = f"alerts:\n  webhook:\n    url: {http.url}/hook\n    on: [reengaged]\n"
    model = load_model_text(MODEL + webhook, "model.yaml")
    store = Store(tmp_path / "store.duckdb")
    http.reply(Reply(503, "down"))
    statuses = []
    for n, day in enumerate(WEEKS):
        run(model, str(_company(tmp_path / f"week{n}", n)), day, store=store.location, send_alerts=True)
        statuses.append([(a["entity_id"], a["status"]) for a in store.alerts()])
    assert statuses == [[], [], [], [("C2", "pending")], [("C2", "pending")], [("C2", "skipped")]]
    (alert,) = store.alerts()
    assert alert["last_error"] == STALE_STRETCH and alert["attempts"] == 1  # week 4 came before its backoff
    tried = len(http.received)
    http.reply(Reply(200))
    assert send(store, model, retry=True) == {}
    assert len(http.received) == tried


def test_a_reengaged_alert_reaches_the_webhook_with_its_status_move(tmp_path: Path, http: Receiver) -> None:
    from tests.test_lifecycle import MODEL, WEEKS, _company

    webhook = f"alerts:\n  webhook:\n    url: {http.url}/hook\n    secret: {SECRET}\n    on: [reengaged]\n"
    model = load_model_text(MODEL + webhook, "model.yaml")
    store = Store(tmp_path / "store.duckdb")
    for n, day in enumerate(WEEKS[:4]):
        run(model, str(_company(tmp_path / f"week{n}", n)), day, store=store.location, send_alerts=True)
    (request,) = http.received
    assert verify(SECRET, request.headers[TIMESTAMP_HEADER], request.headers[SIGNATURE_HEADER], request.body)
    sent = request.json()
    assert isinstance(sent, dict)
    assert request.headers["Idempotency-Key"] == sent["key"] == f"webhook|contact|C2|reengaged||{WEEKS[3]}"
    alert = sent["alert"]
    assert (alert["change"], alert["rep_id"], alert["entity"]["name"]) == ("reengaged", "R1", "Bob Roe")
    assert alert["status"] == {"old": "disqualified", "new": "mql", "since": WEEKS[3].isoformat()}
    assert [a["status"] for a in store.alerts()] == ["sent"]
