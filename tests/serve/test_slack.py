"""`POST /slack/interactions` (SPEC §13) against a real `whynow serve` on 127.0.0.1: clicks on an alert's
feedback buttons, signed as Slack documents it (computed here with hmac, not with the code under test), kept in
the store, and the message updated through a fake `response_url` (tests/receiver.py) over TCP.

The store is a small demo company's first run with Slack alerts on (its own, not the dashboard's demo); the
clicks carry the blocks of the alerts' own messages, as Slack hands a message back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
import httpx
import pytest

from tests.receiver import Received, Receiver, Reply, receiver
from tests.serve.conftest import TOKEN, serving
from tests.test_slack import _model
from whynow.alerts.slack import message
from whynow.demo import generate_demo_data
from whynow.run import run
from whynow.store import Row, Store

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the shape of a Slack app's signing secret
AS_OF = dt.date(2026, 11, 6)
NOT_NOW_DAYS = 14  # the reference model's feedback.not_now_days


@dataclass(frozen=True)
class Slack:
    """The running server, its store, and the alerts of the store's outbox, by rep."""

    url: str
    store: Store
    alerts: dict[str, dict[str, Any]]  # rep → one of their alerts' payloads
    slack_ids: dict[str, str]  # rep → slack_user_id

    def feedback(self) -> list[Row]:
        return self.store.feedback()


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    company = tmp_path_factory.mktemp("company")
    generate_demo_data(company, seed=5, accounts=40, as_of=dt.date(2026, 11, 20))
    store = tmp_path_factory.mktemp("slack") / "store.duckdb"
    run(_model(webhook_url="http://127.0.0.1:9/unused"), str(company), AS_OF, store=str(store), send_alerts=False)
    return store


@pytest.fixture(scope="module")
def slack(filled: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slack]:
    """`whynow serve` over a copy of the store, with the signing secret in its environment and a dashboard
    token (Slack sends none)."""
    copy = tmp_path_factory.mktemp("served") / "store.duckdb"
    shutil.copy(filled, copy)
    store = Store(copy)
    alerts = {str(a["rep_id"]): json.loads(str(a["payload"])) for a in store.alerts("pending")}
    slack_ids = {str(r["rep_id"]): str(r["slack_user_id"]) for r in store.last_reps() if r["slack_user_id"]}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SLACK_SIGNING_SECRET", SECRET)
        with serving(copy, token=TOKEN) as server:
            yield Slack(server.url, store, alerts, slack_ids)


@pytest.fixture
def response_url() -> Iterator[Receiver]:
    with receiver() as server:
        yield server


def signed(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    """Slack's headers for `body`: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret
    (docs.slack.dev/authentication/verifying-requests-from-slack)."""
    stamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def click(
    payload: dict[str, Any], verdict: str, user: str, response_url: str, value: str | None = None
) -> tuple[bytes, dict[str, Any]]:
    """A `block_actions` body as Slack posts it when `user` presses a feedback button of the alert's message:
    form-encoded, its `payload` JSON; and the message as it was."""
    text, blocks = message(payload)
    buttons = next(b for b in blocks if b.get("block_id") == "whynow_feedback")
    button = next(e for e in buttons["elements"] if e["action_id"] == f"whynow_feedback_{verdict}")
    action = {
        "type": "button",
        "action_id": button["action_id"],
        "block_id": buttons["block_id"],
        "text": button["text"],
        "value": button["value"] if value is None else value,
        "action_ts": "1764921600.123456",
    }
    body = {
        "type": "block_actions",
        "user": {"id": user, "username": "ann.lee", "name": "ann.lee", "team_id": "T0BEACON"},
        "api_app_id": "A0WHYNOW",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1764921000.000100",
            "channel_id": "D0DM",
            "is_ephemeral": False,
        },
        "trigger_id": "1.2.3",
        "team": {"id": "T0BEACON", "domain": "beacon"},
        "channel": {"id": "D0DM", "name": "directmessage"},
        "message": {"type": "message", "text": text, "blocks": blocks, "ts": "1764921000.000100", "bot_id": "B0"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(body)}).encode(), {"text": text, "blocks": blocks}


def post(slack: Slack, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{slack.url}/slack/interactions", content=body, headers=headers, timeout=10)


def updates(server: Receiver, count: int = 1, wait_s: float = 10) -> list[Received]:
    deadline = time.monotonic() + wait_s
    while len(server.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.received


def test_a_signed_click_keeps_the_verdict_and_the_message_shows_it(slack: Slack, response_url: Receiver) -> None:
    rep = next(r for r in slack.alerts if r in slack.slack_ids)  # a rep with a Slack user: they click
    payload, user = slack.alerts[rep], slack.slack_ids[rep]
    body, original = click(payload, "not_now", user, response_url.url + "/actions/T0/1/abc")
    answer = post(slack, body, signed(body))  # no dashboard token: Slack's signature is its authentication
    assert answer.status_code == 200 and answer.content == b""
    (update,) = updates(response_url)  # sent once the verdict is kept
    (row,) = [r for r in slack.feedback() if r["given_by"] == f"slack:{user} (@ann.lee)"]
    assert (row["account_id"], row["rep_id"], row["verdict"], row["source"]) == (
        payload["account"]["id"], rep, "not_now", "slack"
    )  # fmt: skip
    assert update.path == "/actions/T0/1/abc"
    sent = update.json()
    assert isinstance(sent, dict) and sent["replace_original"] is True and sent["text"] == original["text"]
    until = row["given_at"].astimezone(dt.UTC).date() + dt.timedelta(days=NOT_NOW_DAYS)
    (line,) = [b for b in sent["blocks"] if b["type"] == "context" and "Not now" in json.dumps(b)]
    assert line["elements"][0]["text"] == f"*Not now* — by <@{user}>, holds until {until.isoformat()}"
    kept = [b for b in original["blocks"] if b.get("block_id") != "whynow_feedback"]
    assert [b for b in sent["blocks"] if b is not line] == kept  # the rest of the message as it was, links too
    assert httpx.get(f"{slack.url}/api/runs", timeout=10).status_code == 401  # the dashboard still wants its token


@pytest.mark.parametrize("who", ["no rep", "another rep"])
def test_a_click_by_someone_else_is_kept_in_the_right_name(slack: Slack, response_url: Receiver, who: str) -> None:
    """The rep is the one whose slack_user_id clicked, else the rep the alert went to (given by the user)."""
    rep = next(r for r in slack.alerts if r in slack.slack_ids)
    other = next(r for r in slack.slack_ids if r != rep)
    user = "U0NOTAREP" if who == "no rep" else slack.slack_ids[other]
    body, _ = click(slack.alerts[rep], "wrong_fit", user, response_url.url)
    assert post(slack, body, signed(body)).status_code == 200
    (update,) = updates(response_url)
    (row,) = [r for r in slack.feedback() if r["given_by"] == f"slack:{user} (@ann.lee)"]
    assert (row["rep_id"], row["verdict"], row["source"]) == (rep if who == "no rep" else other, "wrong_fit", "slack")
    text = json.dumps(update.json(), ensure_ascii=False)
    if who == "no rep":
        assert f"*Wrong fit* — by <@{user}>, holds until " in text
    else:  # SPEC §13: a verdict by another rep holds nothing but is kept
        assert f"*Wrong fit* — by <@{user}> ({other}); it holds nothing: the account goes to {rep}" in text


@pytest.mark.parametrize(
    "forged",
    ["wrong secret", "body changed after signing", "no signature", "v1 scheme"],
)
def test_a_badly_signed_click_is_refused_and_nothing_is_kept(slack: Slack, response_url: Receiver, forged: str) -> None:
    rep = next(iter(slack.alerts))
    body, _ = click(slack.alerts[rep], "not_now", "U0FORGER", response_url.url)
    headers = signed(body, secret="not-the-apps-secret" if forged == "wrong secret" else SECRET)
    if forged == "body changed after signing":
        body = body.replace(b"not_now", b"working")
    elif forged == "no signature":
        del headers["X-Slack-Signature"]
    elif forged == "v1 scheme":
        headers["X-Slack-Signature"] = headers["X-Slack-Signature"].replace("v0=", "v1=")
    before = len(slack.feedback())
    answer = post(slack, body, headers)
    assert answer.status_code == 401 and SECRET not in answer.text
    assert len(slack.feedback()) == before and not updates(response_url, wait_s=0.5)


@pytest.mark.parametrize("minutes", [-6, 6], ids=["6 minutes old", "6 minutes ahead"])
def test_a_stale_click_is_refused_even_signed_right(slack: Slack, response_url: Receiver, minutes: int) -> None:
    rep = next(iter(slack.alerts))
    body, _ = click(slack.alerts[rep], "not_now", "U0REPLAY", response_url.url)
    before = len(slack.feedback())
    answer = post(slack, body, signed(body, at=time.time() + minutes * 60))
    assert answer.status_code == 401 and "five" in answer.text
    assert len(slack.feedback()) == before and not updates(response_url, wait_s=0.5)


def test_a_click_on_an_account_not_in_the_last_run_is_told_to_the_user_alone(
    slack: Slack, response_url: Receiver
) -> None:
    rep = next(iter(slack.alerts))
    value = json.dumps({"account_id": "A-GONE", "rep_id": rep})
    body, _ = click(slack.alerts[rep], "working", "U0SOMEONE", response_url.url, value=value)
    before = len(slack.feedback())
    answer = post(slack, body, signed(body))
    assert answer.status_code == 200  # Slack shows the message only after a 200
    (update,) = updates(response_url)
    told = update.json()
    assert isinstance(told, dict) and told["response_type"] == "ephemeral" and told["replace_original"] is False
    assert told["text"].startswith("Not kept: account 'A-GONE' is not in the last run of ")
    if answer.content:  # the answer says it too, unless the store was slow to answer
        assert answer.json() == told
    assert len(slack.feedback()) == before


def test_other_interactions_are_acknowledged_and_ignored(slack: Slack, response_url: Receiver) -> None:
    rep = next(iter(slack.alerts))
    body, _ = click(slack.alerts[rep], "working", "U0SOMEONE", response_url.url)
    payload = json.loads(httpx.QueryParams(body.decode())["payload"])
    link = {
        "type": "button",
        "action_id": "WaXA",
        "block_id": "x",
        "url": payload["message"]["blocks"][-2]["elements"][0]["url"],
    }
    before = len(slack.feedback())
    for other in ({**payload, "actions": [link]}, {**payload, "type": "message_action"}):
        raw = urlencode({"payload": json.dumps(other)}).encode()
        answer = post(slack, raw, signed(raw))
        assert (answer.status_code, answer.content) == (200, b"")
    assert len(slack.feedback()) == before and not updates(response_url, wait_s=0.5)
    garbled = b"payload=%7Bnot+json"
    assert post(slack, garbled, signed(garbled)).status_code == 400


def test_slack_gets_its_answer_before_the_message_is_updated(slack: Slack, response_url: Receiver) -> None:
    """Slack wants its 200 within three seconds: the message is updated after the answer."""
    response_url.reply(Reply(200, delay_s=4))
    rep = next(iter(slack.alerts))
    body, _ = click(slack.alerts[rep], "working", "U0QUICK", response_url.url)
    started = time.monotonic()
    assert post(slack, body, signed(body)).status_code == 200
    assert time.monotonic() - started < 3
    (update,) = updates(response_url)
    assert [r for r in slack.feedback() if r["given_by"] == "slack:U0QUICK (@ann.lee)"]
    assert "*Working* — by <@U0QUICK>" in json.dumps(update.json(), ensure_ascii=False)


def test_without_the_signing_secret_every_click_is_refused(
    filled: Path, tmp_path: Path, response_url: Receiver
) -> None:
    store = tmp_path / "store.duckdb"
    shutil.copy(filled, store)
    payload = json.loads(str(Store(store).alerts("pending")[0]["payload"]))
    body, _ = click(payload, "not_now", "U0SOMEONE", response_url.url)
    with pytest.MonkeyPatch.context() as env:
        env.delenv("SLACK_SIGNING_SECRET", raising=False)
        with serving(store) as server:
            answer = httpx.post(f"{server.url}/slack/interactions", content=body, headers=signed(body), timeout=10)
    assert answer.status_code == 503 and "set SLACK_SIGNING_SECRET to the Slack app's Signing Secret" in answer.text
    assert Store(store).feedback() == [] and not updates(response_url, wait_s=0.5)


def test_a_click_while_a_run_holds_the_store_is_answered_at_once_and_shown_once_kept(
    slack: Slack, response_url: Receiver
) -> None:
    """A run holds a DuckDB store for as long as it writes: Slack still gets its 200 in time, and the message
    is updated once the store is free and the verdict kept."""
    rep = next(iter(slack.alerts))
    body, _ = click(slack.alerts[rep], "not_now", "U0PATIENT", response_url.url)
    run_holding = holding(slack.store)  # a writer in another process, as `whynow run` is
    try:
        started = time.monotonic()
        answer = post(slack, body, signed(body))
        assert (answer.status_code, answer.content) == (200, b"") and time.monotonic() - started < 3
        assert not updates(response_url, wait_s=0.5)
    finally:
        run_holding.close()
    (update,) = updates(response_url, wait_s=20)
    assert "*Not now* — by <@U0PATIENT>, holds until " in json.dumps(update.json(), ensure_ascii=False)
    assert [r for r in slack.feedback() if r["given_by"] == "slack:U0PATIENT (@ann.lee)"]


def holding(store: Store, wait_s: float = 20) -> duckdb.DuckDBPyConnection:
    """A writable connection to the store, once the server has let go of it."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(store.location)
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
