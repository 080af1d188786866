"""Slack delivery (SPEC §7) through slack_sdk against a real HTTP server on 127.0.0.1 that plays Slack's
incoming webhook and Web API (chat.postMessage). No mock of slack_sdk: its clients talk TCP to the server.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.receiver import Receiver, Reply, SlackWorkspace, receiver
from tests.test_delivery import (
    CRM_LINKS,
    _one_by_one,
    calls_model,
    crm_page,
    foreign_company,
    sent_calls,
    slashed_company,
)
from whynow.alerts.deliver import INTERRUPTED, send
from whynow.alerts.slack import SECTION_CHARS, Slack, digest, message
from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.check import CompiledModel
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.store import Store

AS_OF = dt.date(2026, 11, 6)
TOKEN = "xoxb-test-secret-token"
OK_JSON = {"Content-Type": "application/json; charset=utf-8"}


def _model(
    webhook_url: str = "", bot_token: str = "", base_url: str = "", channel: str = "", text: str = ""
) -> CompiledModel:
    extra = f"    bot_token: '{bot_token}'\n" if bot_token else ""
    extra += f"    base_url: '{base_url}'\n" if base_url else ""
    extra += f"    channel: '{channel}'\n" if channel else ""
    text = text or reference_model_path().read_text(encoding="utf-8")
    text = text.replace("    webhook_url: ${WHYNOW_SLACK_WEBHOOK:-}   # empty: Slack alerts off\n",
                        f"    webhook_url: '{webhook_url}'\n{extra}")  # fmt: skip
    return load_model_text(text, "model.yaml")


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose outbox holds pending Slack alerts (copied per test)."""
    company = tmp_path_factory.mktemp("company")
    generate_demo_data(company, seed=5, accounts=40, as_of=dt.date(2026, 11, 20))
    store = tmp_path_factory.mktemp("filled") / "store.duckdb"
    run(_model(webhook_url="http://127.0.0.1:9/unused"), str(company), AS_OF, store=str(store))
    _one_by_one(Store(store))
    return store


@pytest.fixture
def store(filled: Path, tmp_path: Path) -> Store:
    shutil.copy(filled, tmp_path / "store.duckdb")
    found = Store(tmp_path / "store.duckdb")
    assert found.alerts("pending"), "the demo company's first run surfaces badged accounts"
    return found


@pytest.fixture
def slack() -> Iterator[Receiver]:
    with receiver() as server:
        yield server


def _statuses(store: Store) -> set[str]:
    return {str(a["status"]) for a in store.alerts()}


def test_the_webhook_posts_block_kit_and_a_fallback_once(store: Store, slack: Receiver) -> None:
    count = len(store.alerts("pending"))
    model = _model(webhook_url=slack.url + "/services/T/B/x")
    assert send(store, model)["sent"] == count
    assert _statuses(store) == {"sent"} and len(slack.received) == count
    first = store.alerts()[0]
    body = next(r.json() for r in slack.received if json.loads(first["payload"])["why"] in r.body.decode())
    assert isinstance(body, dict)
    assert body["blocks"][0]["text"]["text"] == json.loads(first["payload"])["why"]  # the narrative first
    facts = " ".join(f["text"] for f in body["blocks"][1]["fields"])
    assert "*Motion*" in facts and "*Play*" in facts and "*Expires on*" in facts
    assert _links(body["blocks"])[0]["url"].endswith(f"/accounts/{first['entity_id']}")
    assert body["text"]  # the plain-text fallback
    assert send(store, model) == {}  # nothing twice


@pytest.mark.parametrize(
    ("reply", "status", "error"),
    [
        (Reply(429, "rate_limited", {"Retry-After": "30"}), "pending", "slack: HTTP 429 rate_limited"),
        (Reply(500, "boom"), "pending", "slack: HTTP 500 boom"),
        (Reply(404, "no_service"), "failed", "slack: HTTP 404 no_service"),
    ],
)
def test_webhook_failures(store: Store, slack: Receiver, reply: Reply, status: str, error: str) -> None:
    slack.reply(reply)
    model = _model(webhook_url=slack.url)
    send(store, model)
    assert {(a["status"], a["last_error"], a["attempts"]) for a in store.alerts()} == {(status, error, 1)}
    slack.reply(Reply(200))
    if status == "failed":
        assert send(store, model, retry=True) == {}
        store.retry_failed()
    outcomes = send(store, model, retry=True)
    assert outcomes["sent"] == len(store.alerts()) and _statuses(store) == {"sent"}


def test_the_bot_dms_the_rep_with_the_key_in_metadata(store: Store, slack: Receiver) -> None:
    slack.reply(Reply(200, json.dumps({"ok": True, "ts": "1763.000100"}), OK_JSON))
    model = _model(bot_token=TOKEN, base_url=slack.url + "/api/", channel="#revenue-alerts")
    users = {str(r["rep_id"]): r["slack_user_id"] for r in store.last_reps()}
    alerts = store.alerts("pending")
    assert send(store, model)["sent"] == len(alerts)
    assert all(a["message_id"] == "1763.000100" for a in store.alerts())
    for request in slack.received:
        assert request.path == "/api/chat.postMessage"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        posted = request.json()
        assert isinstance(posted, dict)
        key = posted["metadata"]["event_payload"]["key"]
        alert = next(a for a in alerts if a["key"] == key)
        assert posted["channel"] == (users.get(str(alert["rep_id"])) or "#revenue-alerts")
    assert any(request.json()["channel"] != "#revenue-alerts" for request in slack.received)  # type: ignore[index]


@pytest.mark.parametrize(("error", "status"), [("invalid_auth", "failed"), ("channel_not_found", "failed")])
def test_bot_errors_fail_for_good_and_never_show_the_token(
    store: Store, slack: Receiver, error: str, status: str
) -> None:
    slack.reply(Reply(200, json.dumps({"ok": False, "error": error}), OK_JSON))
    send(store, _model(bot_token=TOKEN, base_url=slack.url + "/api/", channel="#c"))
    for alert in store.alerts():
        assert (alert["status"], alert["last_error"]) == (status, f"slack: {error}")
        assert TOKEN not in json.dumps(alert, default=str)


def test_a_rate_limited_bot_waits_for_retry_after(store: Store, slack: Receiver) -> None:
    slack.reply(Reply(429, json.dumps({"ok": False, "error": "ratelimited"}), {**OK_JSON, "Retry-After": "45"}))
    before = dt.datetime.now(dt.UTC)
    send(store, _model(bot_token=TOKEN, base_url=slack.url + "/api/", channel="#c"))
    for alert in store.alerts():
        assert alert["status"] == "pending" and alert["last_error"] == "slack: HTTP 429 ratelimited"
        assert 44 <= (alert["next_try"] - before).total_seconds() <= 60  # type: ignore[operator]


def test_a_slow_slack_times_out_and_a_closed_port_is_refused(store: Store, slack: Receiver) -> None:
    slack.reply(Reply(200, delay_s=2.5))
    alert = store.alerts("pending")[0]
    timed_out = Slack(webhook_url=slack.url, timeout_s=1).deliver(alert)
    assert (timed_out.status, timed_out.error) == ("pending", "slack: no answer within 1 s")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    refused = Slack(webhook_url=f"http://127.0.0.1:{port}/services/secret").deliver(alert)
    assert refused.status == "pending" and refused.error is not None and "secret" not in refused.error


def test_long_texts_are_cut_to_slacks_limits_never_rejected() -> None:
    payload = {
        "why": "x" * 5000,
        "badge": {"id": "b", "label": "L" * 3000, "motion": "m", "play": "p", "expires_on": "2026-12-01"},
        "account": {"id": "A1", "name": "N" * 200},
        "evidence": [{"signal": "s", "source_table": "t", "source_id": "i" * 3000, "occurred_at": None}] * 5,
        "link": "http://127.0.0.1:8000/accounts/A1",
    }
    text, blocks = message(payload)
    assert len(text) <= SECTION_CHARS and text.endswith("…")
    assert len(blocks[0]["text"]["text"]) == SECTION_CHARS
    assert all(len(f["text"]) <= 2000 for f in blocks[1]["fields"])
    assert len(blocks[2]["elements"]) == 3 and all(len(e["text"]) <= 2000 for e in blocks[2]["elements"])
    assert len(blocks[3]["elements"][0]["text"]["text"]) <= 75


def test_a_long_call_list_is_cut_to_a_section_and_its_people_each_to_a_share() -> None:
    person = {"name": "N" * 900, "title": "T" * 900, "committee_role": "r" * 900, "reason": "badge",
              "badge_label": "L" * 900, "why": "w" * 5000, "crm_url": "https://crm.example/" + "p" * 3000}  # fmt: skip
    calls = [{**person, "rank": rank, "contact_id": f"C{rank}"} for rank in range(1, 101)]  # capacity.call_list: 100
    payload = {"why": "x", "badge": {"id": "b"}, "account": {"id": "A1", "name": "n"}, "call_list": calls}
    text, blocks = message(payload)
    (who,) = [b["text"]["text"] for b in blocks if b.get("text") and b["text"]["text"].startswith("*Who to call*")]
    lines = who.splitlines()
    assert len(who) <= SECTION_CHARS and len(lines) == 1 + 10 + 1  # the first ten, then how many more
    assert lines[-1] == "and 90 more: open the account in whynow"
    assert all(line.startswith(f"{rank}. *N") and "…" in line for rank, line in enumerate(lines[1:-1], 1))  # no link:
    # a CRM page longer than its share of the line is left out, never cut
    assert len(text) <= SECTION_CHARS and "call NNN" in text
    _, digest_blocks = digest([payload] * 3)
    sections = [b for b in digest_blocks[1:] if b["type"] == "section"]  # each account's feedback buttons after it
    assert len(sections) == 3 and all(len(b["text"]["text"]) <= SECTION_CHARS for b in sections)
    shown = [b["text"]["text"] for b in sections]
    assert all("\nCall first: *<https://crm.example/" not in t and t.endswith("… (and 99 more)") for t in shown)


def test_a_digest_is_one_message_per_rep_with_every_account(store: Store, slack: Receiver) -> None:
    db = store.connect()
    try:  # as the first run of a history writes them
        db.execute(
            "UPDATE alerts SET digest = 'slack|digest|' || coalesce(rep_id, '') || '|' || CAST(as_of AS VARCHAR)"
        )
    finally:
        db.close()
    alerts = store.alerts("pending")
    reps = {a["rep_id"] for a in alerts}
    assert send(store, _model(webhook_url=slack.url))["sent"] == len(alerts)
    assert len(slack.received) == len(reps)
    shown = " ".join(r.body.decode() for r in slack.received)
    assert all(json.loads(str(a["payload"]))["account"]["name"] in shown for a in alerts)
    first = slack.received[0].json()
    assert isinstance(first, dict) and first["blocks"][0]["type"] == "header"


def _bot_model_file(tmp_path: Path, base_url: str) -> Path:
    text = reference_model_path().read_text(encoding="utf-8")
    bot = f"    bot_token: ${{WHYNOW_SLACK_BOT_TOKEN:-}}\n    base_url: '{base_url}'\n    channel: '#revenue-alerts'\n"
    text = text.replace("    webhook_url: ${WHYNOW_SLACK_WEBHOOK:-}   # empty: Slack alerts off\n", bot)
    (tmp_path / "model.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "model.yaml"


def test_a_bot_killed_mid_delivery_posts_nothing_twice(store: Store, slack: Receiver, tmp_path: Path) -> None:
    """The README's bound for a Slack bot: none. The alert in flight is counted as tried before it is
    posted; the next send finds its message by the key in the metadata and records it as sent."""
    import os
    import signal
    import subprocess
    import sys
    import time

    workspace = SlackWorkspace(hang_on=3)  # Slack keeps the third message but answers late
    slack.answer = workspace
    pending = store.alerts("pending")
    assert len(pending) >= 4
    model_file = _bot_model_file(tmp_path, slack.url + "/api/")
    env = {**os.environ, "WHYNOW_SLACK_BOT_TOKEN": TOKEN}
    command = [sys.executable, "-m", "whynow", "alerts", "send", "--store", store.location, "--model", str(model_file)]
    sender = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(workspace.messages()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(workspace.messages()) == 3, sender.communicate(timeout=5)
    time.sleep(0.2)  # the reply to the third post is still 30 s away
    os.kill(sender.pid, signal.SIGKILL)
    sender.communicate(timeout=10)
    in_flight = workspace.messages()[2]
    key = in_flight["metadata"]["event_payload"]["key"]  # type: ignore[index]
    interrupted = next(a for a in store.alerts() if a["key"] == key)
    assert (interrupted["status"], interrupted["attempts"], interrupted["last_error"]) == ("pending", 1, INTERRUPTED)
    with pytest.MonkeyPatch.context() as env_:
        env_.setenv("WHYNOW_SLACK_BOT_TOKEN", TOKEN)
        model = load_model_text(model_file.read_text(encoding="utf-8"), "model.yaml")
    assert send(store, model)["sent"] == len(pending) - 2  # nothing lost
    keys = [m["metadata"]["event_payload"]["key"] for m in workspace.messages()]  # type: ignore[index]
    assert sorted(keys) == sorted(str(a["key"]) for a in pending)  # each alert posted exactly once
    after = next(a for a in store.alerts() if a["key"] == key)
    assert (after["status"], after["message_id"], after["last_error"]) == ("sent", in_flight["ts"], None)
    assert any("conversations.history" in r.path for r in slack.received)


@pytest.mark.parametrize("history_error", [None, "missing_scope"])
def test_a_bot_alert_tried_before_but_never_posted_is_posted_once(
    store: Store, slack: Receiver, history_error: str | None
) -> None:
    """A look-up that finds nothing, or that Slack refuses (a bot without history scopes), sends the alert:
    a duplicate is better than a lost alert."""
    workspace = SlackWorkspace(history_error=history_error)
    model = _model(bot_token=TOKEN, base_url=slack.url + "/api/", channel="#revenue-alerts")
    slack.reply(Reply(500, json.dumps({"ok": False, "error": "fatal_error"}), OK_JSON))
    assert send(store, model)["pending"] == len(store.alerts())  # tried once, not posted
    slack.answer = workspace
    assert send(store, model, retry=True)["sent"] == len(store.alerts())
    keys = [m["metadata"]["event_payload"]["key"] for m in workspace.messages()]  # type: ignore[index]
    assert sorted(keys) == sorted(str(a["key"]) for a in store.alerts())
    looked = [r for r in slack.received if "conversations.history" in r.path]
    assert looked and all(r.params()["include_all_metadata"] in ("1", "true") for r in looked)
    assert {a["attempts"] for a in store.alerts()} == {2}


# What a CRM export can hold: names that ping the channel or plant a link, ids that climb out of a URL path.
HOSTILE = {
    "accounts": [("name", "<!channel> ", " & Co <https://evil.example|Open in Salesforce>")],
    "contacts": [
        ("first_name", "<!here> ", ""),
        ("last_name", "", " <!channel>"),
        ("title", "<https://evil.example|", ">"),
    ],
    "activities": [("activity_id", "<!here>", "")],
}
HOSTILE_ID = ("../../", "|open>")  # around every account_id: A0002 becomes ../../A0002|open>


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after a first run of the demo company with hostile names and ids, and a badge label and
    play to match in the model: its outbox holds pending Slack alerts (copied per test)."""
    company = tmp_path_factory.mktemp("hostile")
    generate_demo_data(company, seed=5, accounts=40, as_of=dt.date(2026, 11, 20))
    for path in company.glob("*.parquet"):
        table = pq.read_table(path)
        changes = [*HOSTILE.get(path.stem, []), ("account_id", *HOSTILE_ID)]
        for column, before, after in changes:
            if column in table.schema.names:
                wrapped = pc.binary_join_element_wise(before, table[column], after, "")
                table = table.set_column(table.schema.get_field_index(column), column, wrapped)
        pq.write_table(table, path)
    text = reference_model_path().read_text(encoding="utf-8")
    text = text.replace("label: Renewal window", "label: 'Renewal <!subteam^S1> & window'")
    text = text.replace("play: Renewal review with the executive sponsor", "play: '<https://evil.example|Renew>'")
    store = tmp_path_factory.mktemp("hostile-store") / "store.duckdb"
    run(_model(webhook_url="http://127.0.0.1:9/unused", text=text), str(company), AS_OF, store=str(store))
    return store


def _links(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The message's link buttons (to whynow, to the CRM): the actions block whose buttons open a URL."""
    return next(b["elements"] for b in blocks if b["type"] == "actions" and "url" in b["elements"][0])


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON value that Slack shows: a button's value is not shown, but handed back to whynow
    as it was written (feedback_buttons.py)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "value":
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize("one_by_one", [False, True], ids=["digest", "one-by-one"])
def test_hostile_names_reach_slack_as_text_and_ids_as_encoded_urls(
    hostile: Path, tmp_path: Path, slack: Receiver, one_by_one: bool
) -> None:
    shutil.copy(hostile, tmp_path / "store.duckdb")
    store = Store(tmp_path / "store.duckdb")
    if one_by_one:
        _one_by_one(store)
    alerts = store.alerts("pending")
    assert send(store, _model(webhook_url=slack.url))["sent"] == len(alerts)
    shown = [text for request in slack.received for text in _strings(request.json())]
    for text in shown:
        assert "<!" not in text  # no @channel, @here or user group ping
        assert "<https://evil.example" not in text  # no planted link
        assert "&" not in re.sub(r"&(amp|lt|gt);", "", text)  # each & escaped, no entity cut
    assert any("&lt;!channel&gt; " in text for text in shown)  # the name is there, as text
    calls = [text for text in shown if "*Who to call*" in text or "\nCall first: " in text]
    assert calls and all("&lt;!here&gt; " in text and " &lt;!channel&gt;*" in text for text in calls)  # people too
    urls = [f"http://127.0.0.1:8000/accounts/{quote(str(a['entity_id']), safe='')}" for a in alerts]
    assert all("%2F" in url and "%7C" in url and "%3E" in url for url in urls)
    if one_by_one:
        buttons = [e["url"] for r in slack.received for e in _links(r.json()["blocks"])]  # type: ignore[index]
        assert sorted(buttons) == sorted(urls)
    else:
        assert all(any(f"<{url}|open>" in text for text in shown) for url in urls)
    for alert in alerts:  # the webhook channel's JSON (the payload) keeps the raw values
        payload = json.loads(str(alert["payload"]))
        assert payload["account"]["id"].startswith("../../") and payload["account"]["name"].startswith("<!channel> ")
        assert all(c["name"].startswith("<!here> ") and c["name"].endswith(" <!channel>") for c in payload["call_list"])


def test_a_cut_never_splits_an_escaped_character() -> None:
    payload = {
        "why": "&" * 5000,
        "badge": {"id": "b", "label": "<" * 3000, "play": ">" * 3000},
        "account": {"id": "A1", "name": "&" * 500},
        "call_list": [{"rank": 1, "name": "&" * 3000, "title": ">" * 3000, "reason": "badge", "why": "<" * 5000}],
        "evidence": [],
        "link": None,
    }
    text, blocks = message(payload)
    cut = [text, blocks[0]["text"]["text"], *(f["text"] for f in blocks[1]["fields"]), blocks[2]["text"]["text"]]
    assert len(text) <= SECTION_CHARS and len(blocks[0]["text"]["text"]) <= SECTION_CHARS
    for shown in cut:
        assert shown.endswith("…") and "&" not in re.sub(r"&(amp|lt|gt);", "", shown), shown[-8:]


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after a first run of the demo company with ids that are not ASCII (Société-A0002,
    株式会社-C000001, Réd-R01): its outbox holds pending Slack alerts, one by one (copied per test)."""
    company = foreign_company(tmp_path_factory.mktemp("foreign"))
    store = tmp_path_factory.mktemp("foreign-store") / "store.duckdb"
    run(_model(webhook_url="http://127.0.0.1:9/unused"), str(company), AS_OF, store=str(store))
    _one_by_one(Store(store))
    return store


@pytest.mark.parametrize("bot", [False, True], ids=["webhook", "bot"])
def test_ids_that_are_not_ascii_reach_slack_in_the_metadata_and_as_encoded_urls(
    foreign: Path, tmp_path: Path, slack: Receiver, bot: bool
) -> None:
    """The ids travel in JSON bodies, never in a header: the bot finds a tried alert by its key as it is."""
    shutil.copy(foreign, tmp_path / "store.duckdb")
    store = Store(tmp_path / "store.duckdb")
    alerts = store.alerts("pending")
    assert any(not str(a["key"]).isascii() for a in alerts)
    if bot:
        workspace = SlackWorkspace()
        model = _model(bot_token=TOKEN, base_url=slack.url + "/api/", channel="#revenue-alerts")
        slack.reply(Reply(500, json.dumps({"ok": False, "error": "fatal_error"}), OK_JSON))
        assert send(store, model)["pending"] == len(alerts)  # tried once: the retry looks for its key first
        slack.answer = workspace
        assert send(store, model, retry=True)["sent"] == len(alerts)
        keys = [m["metadata"]["event_payload"]["key"] for m in workspace.messages()]  # type: ignore[index]
        assert sorted(keys) == sorted(str(a["key"]) for a in alerts)
        assert send(store, model, retry=True) == {}
        posts = [r.json() for r in slack.received if r.path.endswith("/chat.postMessage")]
        posted = posts[len(alerts) :]  # the posts that landed, after the refused ones
    else:
        model = _model(webhook_url=slack.url + "/services/T/B/x")
        assert send(store, model)["sent"] == len(alerts)
        posted = [r.json() for r in slack.received]
    assert _statuses(store) == {"sent"}
    buttons = sorted(str(_links(m["blocks"])[0]["url"]) for m in posted)  # type: ignore[index]
    urls = sorted(f"http://127.0.0.1:8000/accounts/{quote(str(a['entity_id']), safe='')}" for a in alerts)
    assert buttons == urls and all(url.isascii() and "Soci%C3%A9t%C3%A9-" in url for url in urls)


@pytest.fixture(scope="module")
def slashed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after a first run of the demo company whose account and contact ids hold `/` and `&`
    (EU/A0002&Co), with the model's `links`: its outbox holds pending Slack alerts (copied per test)."""
    company = slashed_company(tmp_path_factory.mktemp("slashed"))
    text = reference_model_path().read_text(encoding="utf-8") + CRM_LINKS
    store = tmp_path_factory.mktemp("slashed-store") / "store.duckdb"
    run(_model(webhook_url="http://127.0.0.1:9/unused", text=text), str(company), AS_OF, store=str(store))
    return store


@pytest.mark.parametrize("one_by_one", [False, True], ids=["digest", "one-by-one"])
def test_with_links_the_message_opens_the_account_in_the_crm_too(
    slashed: Path, tmp_path: Path, slack: Receiver, one_by_one: bool
) -> None:
    """SPEC §7: a button to the account's page and, with `links`, to its CRM page; the id percent-encoded
    whole, so `/` and `&` cannot move it out of its place in the path, nor `&` start a Slack entity."""
    shutil.copy(slashed, tmp_path / "store.duckdb")
    store = Store(tmp_path / "store.duckdb")
    if one_by_one:
        _one_by_one(store)
    alerts = store.alerts("pending")
    assert send(store, _model(webhook_url=slack.url))["sent"] == len(alerts)
    accounts = {json.loads(str(a["payload"]))["account"]["id"] for a in alerts}
    assert all("/" in a and "&" in a for a in accounts)
    pages = {crm_page("account", a) for a in accounts}
    assert all("EU%2F" in page and "%26Co" in page for page in pages)
    posted = [r.json() for r in slack.received]
    if one_by_one:
        shown = set()
        for message in posted:
            whynow, crm = _links(message["blocks"])  # type: ignore[index]
            assert whynow["text"]["text"] == "Open in whynow" and crm["text"]["text"] == "Open in CRM"
            shown.add(crm["url"])
        assert shown == pages
        people = [c for a in alerts for c in json.loads(str(a["payload"]))["call_list"]]
        texts = " ".join(t for message in posted for t in _strings(message))
        assert people and all(f"{c['rank']}. *<{crm_page('contact', c['contact_id'])}|" in texts for c in people)
    else:
        text = " ".join(t for message in posted for t in _strings(message))
        assert all(f"<{page}|CRM>" in text for page in pages)
        assert "&" not in re.sub(r"&(amp|lt|gt);", "", text)


# SPEC §4.11, §7: who to call, after the facts. The small company of tests/pipeline/test_calls.py (see
# tests/test_delivery.py ACME_CALLS): Acme's alert lists eight people, Beta's none.
ACME_LINES = [
    "*Who to call*",
    "1. *Kim Ng* (Buyer) — Comparing: Kim Ng is comparing",
    "2. *Mo Diaz* (Director) — Hand-raiser: Mo Diaz asked for a demo",
    "3. *Sam Ito* (Analyst) — Hand-raiser: Sam Ito asked for a demo",
    "4. *Lou Park* (Ops) — Hand-raiser: Lou Park asked for a demo",
    "5. *Max Roy* (VP Sales, decision_maker) — Buyer: Max Roy fits",
    "6. *Oz Hart* — engaged: 2 recent activities, last active yesterday",
    "7. *Nia Cole* — engaged: 1 recent activity, last active 19 days ago",
    "8. *Pia Lund* — engaged: 1 recent activity, last active 3 days ago",
]


def _calls_posted(tmp_path: Path, slack: Receiver, size: int, one_by_one: bool = True) -> list[dict[str, Any]]:
    alerts = f"alerts:\n  slack:\n    webhook_url: '{slack.url}'\n    on: [surfaced, badge_assigned]\n"
    sent_calls(tmp_path, calls_model(size, alerts), one_by_one)
    return [r.json() for r in slack.received]  # type: ignore[misc]


def _posted(messages: list[dict[str, Any]], start: str) -> dict[str, Any]:
    return next(m for m in messages if str(m["text"]).startswith(start))


def test_the_message_says_who_to_call_after_the_facts(tmp_path: Path, slack: Receiver) -> None:
    posted = _calls_posted(tmp_path, slack, 10)
    acme = _posted(posted, "Active — Acme: Acme is active")
    narrative, facts, who = acme["blocks"][:3]
    assert narrative["text"]["text"] == "Acme is active" and "fields" in facts
    assert who["type"] == "section" and who["text"]["text"].splitlines() == ACME_LINES
    assert acme["text"] == "Active — Acme: Acme is active · call Kim Ng (Buyer) first"  # the fallback
    beta = _posted(posted, "Active — Beta: Beta is active")  # an empty list: no section
    assert not any("Who to call" in text for text in _strings(beta)) and "call" not in beta["text"]


def test_a_contacts_alert_leads_with_the_persons_own_narrative(tmp_path: Path, slack: Receiver) -> None:
    kim = _posted(_calls_posted(tmp_path, slack, 10), "Comparing — Acme")
    narrative, account, facts, who = kim["blocks"][:4]
    assert narrative["text"]["text"] == "Kim Ng is comparing"  # the person's own, first
    assert [e["text"] for e in account["elements"]] == ["*Acme*: Acme is active"]  # then the account's
    assert {"*Badge*\nComparing", "*Contact*\nKim Ng", "*Account*\nAcme"} <= {f["text"] for f in facts["fields"]}
    assert who["text"]["text"].splitlines() == ACME_LINES


def test_with_call_list_0_the_message_has_no_who_to_call(tmp_path: Path, slack: Receiver) -> None:
    posted = _calls_posted(tmp_path, slack, 0)
    assert posted and not any("Who to call" in text for message in posted for text in _strings(message))
    assert not any(" · call " in str(message["text"]) for message in posted)


def test_a_digest_shows_the_first_person_to_call_under_each_account(tmp_path: Path, slack: Receiver) -> None:
    (posted,) = _calls_posted(tmp_path, slack, 10, one_by_one=False)  # the first run: one digest for the one rep
    sections = [b for b in posted["blocks"][1:] if b["type"] == "section"]
    lines = {b["text"]["text"].split(":")[0]: b["text"]["text"] for b in sections}
    acme = lines["*Active* — Acme"]
    assert acme.endswith("\nCall first: *Kim Ng* (Buyer) — Comparing: Kim Ng is comparing (and 7 more)")
    assert "Call first" not in lines["*Active* — Beta"]


def _reengaged_store(folder: Path, slack_url: str, bob: tuple[str, str] = ("Bob", "Roe"), acme: str = "Acme") -> Store:
    """The lead lifecycle's company (tests/test_lifecycle.py) over four weeks with Slack alerting on
    `reengaged`: Bob (C2), disqualified, is an MQL again in week 3 and holds no badge. `bob`: his first and
    last name; `acme`: his account's name."""
    import csv

    from tests.test_lifecycle import MODEL, WEEKS, _company

    slack = f"alerts:\n  slack:\n    webhook_url: '{slack_url}'\n    on: [reengaged]\n"
    model = load_model_text(MODEL + slack, "model.yaml")
    store = Store(folder / "store.duckdb")
    for n, day in enumerate(WEEKS[:4]):
        data = _company(folder / f"week{n}", n)
        for name, row_id, at, values in (("contacts", "C2", 2, bob), ("accounts", "A1", 1, (acme,))):
            with (data / f"{name}.csv").open(newline="") as read:
                rows = list(csv.reader(read))
            for row in rows:
                if row[0] == row_id:
                    row[at : at + len(values)] = values
            with (data / f"{name}.csv").open("w", newline="") as out:
                csv.writer(out).writerows(rows)
        run(model, str(data), day, store=store.location)
    return store


def test_a_reengagement_reads_plainly_without_a_badge(tmp_path: Path, slack: Receiver) -> None:
    store = _reengaged_store(tmp_path, slack.url + "/services/T/B/x")
    assert [a["change"] for a in store.alerts("pending")] == ["reengaged"]
    assert send(store, _model(webhook_url=slack.url + "/services/T/B/x"))["sent"] == 1
    (request,) = slack.received
    body = request.json()
    assert isinstance(body, dict)
    assert body["text"] == "Bob Roe at Acme re-engaged: disqualified → mql since 2026-11-23"
    assert body["blocks"][0]["text"]["text"] == body["text"]  # the headline first
    facts = " ".join(f["text"] for f in body["blocks"][1]["fields"])
    assert "*Badge*" not in facts and "*Contact*\nBob Roe" in facts and "*Account*\nAcme" in facts
    assert "None" not in request.body.decode()


def test_a_reengagement_escapes_hostile_names_for_slack(tmp_path: Path, slack: Receiver) -> None:
    store = _reengaged_store(
        tmp_path, slack.url, bob=("<!channel>", "& <b>Roe</b>"), acme="<https://evil.example|Acme> & Co"
    )
    assert send(store, _model(webhook_url=slack.url))["sent"] == 1
    shown = [text for request in slack.received for text in _strings(request.json())]
    for text in shown:
        assert "<!" not in text and "<https://evil.example" not in text and "<b>" not in text
        assert "&" not in re.sub(r"&(amp|lt|gt);", "", text)  # each & escaped
    expected = "&lt;!channel&gt; &amp; &lt;b&gt;Roe&lt;/b&gt; at &lt;https://evil.example|Acme&gt; &amp; Co re-engaged"
    assert any(text.startswith(expected) for text in shown)
    payload = json.loads(str(store.alerts()[0]["payload"]))
    assert payload["entity"]["name"] == "<!channel> & <b>Roe</b>"  # the webhook's JSON keeps the raw value


def test_a_reengagement_in_a_digest_and_with_the_accounts_narrative_as_context() -> None:
    payload = {
        "change": "reengaged",
        "entity": {"type": "contact", "id": "C2", "name": "Ann Lee"},
        "account": {"id": "A1", "name": "Acme", "why": "Renewal in 60 days & a new CFO"},
        "badge": {"id": None, "label": None},
        "why": None,
        "status": {"old": "disqualified", "new": "mql", "since": "2026-11-23"},
        "link": "http://127.0.0.1:8000/accounts/A1",
    }
    text, blocks = message(payload)
    assert text == "Ann Lee at Acme re-engaged: disqualified → mql since 2026-11-23"
    assert blocks[1]["elements"][0]["text"] == "*Acme*: Renewal in 60 days &amp; a new CFO"
    _, digested = digest([payload])
    assert digested[1]["text"]["text"].startswith("*Ann Lee at Acme re-engaged: disqualified → mql since 2026-11-23*")
