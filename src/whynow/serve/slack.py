"""`POST /slack/interactions` (SPEC §13): a click on a Slack alert's feedback buttons, kept as a verdict by
`whynow serve`, and shown on the message.

    interactions(request) -> 200 | 401 | 503    the route; `refusal` and `keep` do its work

Slack signs every request with the app's signing secret (`SLACK_SIGNING_SECRET`): `v0=` and the hex
HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{body}`. A request with a bad signature, or one whose timestamp
is more than five minutes off, is refused (401) before its body is read as anything; without the secret every
request is (503). The signature is the request's authentication, so the dashboard's token is not asked for
on this path (app.py, OPEN_PATHS): Slack cannot send it.

A click is kept through `feedback.give` (source `slack`, given by `slack:<user id>`), in the name of the rep
whose `reps.slack_user_id` clicked, else of the rep the alert went to. Then the message is updated through the
payload's `response_url`: its buttons replaced by the verdict given. Slack wants its 200 within three seconds,
so the update goes out after the answer, and a verdict that is slow to keep (a run holding the store) is
answered at once and reported through the `response_url` once kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from slack_sdk.errors import SlackRequestError
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.webhook import WebhookClient
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from whynow.alerts.feedback_buttons import BUTTONS, ButtonPress, answered, pressed
from whynow.alerts.slack import escape
from whynow.errors import DataError
from whynow.feedback import feedback_days, give, holds_until
from whynow.store import Row, Store

PATH = "/slack/interactions"
SECRET_VARIABLE = "SLACK_SIGNING_SECRET"
STALE_S = 5 * 60  # Slack's documented window: an older request may be a replay
ACK_S = 2.0  # Slack shows the user an error after 3 s without an answer; the rest is the network's
BODY_BYTES = 1_000_000  # a payload carries the message's blocks back: at most 50, form-encoded
RESPONSE_TIMEOUT_S = 10
NAME_CHARS = 200  # a user or rep id as the verdict's line shows it
SLACK_ID = re.compile(r"[UW][A-Z0-9]+")  # a user id, shown as a mention
NO_SECRET = (
    f"Slack buttons are off on this server: set {SECRET_VARIABLE} to the Slack app's Signing Secret "
    "(Basic Information → App Credentials) where `whynow serve` runs"
)
log = logging.getLogger(__name__)
router = APIRouter()


@dataclass(frozen=True)
class Click:
    """A feedback button pressed in Slack, with what the answer needs."""

    press: ButtonPress
    user_id: str
    user_name: str | None
    block_id: str
    response_url: str | None
    message: Mapping[str, Any] | None  # the message as Slack sends it back (text, blocks); None: none sent


@dataclass(frozen=True)
class Reply:
    """What the message shows once a click is handled (sent to its `response_url`); `refused`: nothing kept."""

    message: dict[str, Any]
    refused: bool = False


class _At(Clock):
    """slack_sdk's verifier reads its own clock: this one is the moment the request is judged at."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def refusal(secret: str, body: bytes, headers: Mapping[str, str], now: float) -> str | None:
    """Why a request is not Slack's (a missing, stale or bad signature), or None: it is."""
    stamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not stamp or not signature:
        return "not signed by Slack: X-Slack-Signature and X-Slack-Request-Timestamp are required"
    if not (stamp.isascii() and stamp.isdigit()):
        return f"X-Slack-Request-Timestamp {stamp[:20]!r} is not a Unix time in seconds"
    if abs(now - int(stamp)) > STALE_S:
        return (
            f"the request's timestamp is {abs(now - int(stamp)) / 60:.0f} minutes off this machine's clock; "
            "requests more than five minutes off are refused (a replay, or a clock out of step)"
        )
    try:
        valid = SignatureVerifier(secret, clock=_At(now)).is_valid(body, stamp, signature)
    except UnicodeDecodeError:  # the verifier reads the body as UTF-8, as Slack sends it
        valid = False
    if not valid:
        return f"bad signature: the request was not signed with this server's {SECRET_VARIABLE}"
    return None


def read_click(body: bytes) -> Click | None:
    """The feedback button a `block_actions` payload presses; None for anything else. A ValueError for a body
    that is no interaction payload; a DataError for a feedback button whose value whynow did not write."""
    payload = json.loads(parse_qs(body.decode("utf-8"))["payload"][0])
    if not isinstance(payload, dict):
        raise ValueError("the payload is not a JSON object")
    if payload.get("type") != "block_actions":
        return None
    for action in payload.get("actions") or []:
        press = pressed(action) if isinstance(action, dict) else None
        if press is not None:
            user = payload.get("user") or {}
            message = payload.get("message")
            return Click(
                press,
                user_id=str(user.get("id") or ""),
                user_name=user.get("username") or user.get("name"),
                block_id=str(action.get("block_id") or ""),
                response_url=url if isinstance(url := payload.get("response_url"), str) and url else None,
                message=message if isinstance(message, dict) else None,
            )
    return None


def rep_of(store: Store, click: Click) -> str:
    """Whose verdict a click is: the rep whose `slack_user_id` clicked (the alert's rep first, if it is one of
    them), else the rep the alert went to."""
    theirs = sorted(
        str(rep["rep_id"]) for rep in store.last_reps() if click.user_id and rep.get("slack_user_id") == click.user_id
    )
    if click.press.rep_id is not None and click.press.rep_id in theirs:
        return click.press.rep_id
    if theirs:
        return theirs[0]
    if click.press.rep_id is not None:
        return click.press.rep_id
    raise DataError(
        f"Slack user {click.user_id} is no rep's slack_user_id in the reps table, and this alert went to no rep: "
        "give the verdict with `whynow feedback` or on the dashboard"
    )


def keep(store: Store, click: Click) -> Reply:
    """Keep the click's verdict and say what the message shows now; a refused one (`DataError`: an account not
    in the last run, a rep not among its reps, a busy store) is shown to the user alone."""
    given_by = f"slack:{click.user_id}" + (f" (@{click.user_name})" if click.user_name else "")
    try:
        row = give(store, click.press.account_id, rep_of(store, click), click.press.verdict, source="slack",
                   given_by=given_by)  # fmt: skip
        line = verdict_line(row, click, holds_until(row, feedback_days(store)))
    except DataError as e:
        return Reply({"response_type": "ephemeral", "replace_original": False, "text": f"Not kept: {e}"}, True)
    message = click.message or {}
    blocks = answered(message.get("blocks") or [], click.block_id, line)
    if blocks is None:  # no message to update (or no buttons in it): say so to the user alone
        return Reply({"response_type": "ephemeral", "replace_original": False, "text": line})
    return Reply({"replace_original": True, "text": str(message.get("text") or line), "blocks": blocks})


def verdict_line(row: Row, click: Click, until: dt.date | None) -> str:
    """The line that replaces the buttons: "*Not now* — by @ann, holds until 2026-12-21", in Slack's mrkdwn."""
    user = click.user_id
    by = f"<@{user}>" if SLACK_ID.fullmatch(user) else escape(user or "someone", NAME_CHARS)
    rep, routed = str(row["rep_id"]), click.press.rep_id
    line = f"*{BUTTONS[str(row['verdict'])]}* — by {by}"
    if routed is not None and rep != routed:  # SPEC §13: only the route target's verdict holds the account
        mine, theirs = escape(rep, NAME_CHARS), escape(routed, NAME_CHARS)
        return line + f" ({mine}); it holds nothing: the account goes to {theirs}"
    if row["verdict"] == "working":
        return line
    if until is None:
        return line + ", holds nothing (the model's feedback days are 0)"
    return line + f", holds until {until.isoformat()}"


def respond(response_url: str, message: Mapping[str, Any]) -> None:
    """Send `message` to a click's `response_url`; a failure is logged (the verdict is kept either way), the
    URL never: it lets anyone post to the conversation for half an hour."""
    try:
        sent = WebhookClient(response_url, timeout=RESPONSE_TIMEOUT_S).send_dict(dict(message))
    except (SlackRequestError, OSError, http.client.HTTPException, ValueError) as e:
        log.warning("the Slack message was not updated: %s", type(e).__name__)
        return
    if sent.status_code != 200:
        log.warning("Slack refused the message update: HTTP %s %s", sent.status_code, str(sent.body)[:200])


@router.post(PATH, include_in_schema=False)
async def interactions(request: Request) -> Response:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if not secret.strip():
        return PlainTextResponse(NO_SECRET, status_code=503)
    body = await _body(request)
    if body is None:
        return PlainTextResponse(f"the request is over {BODY_BYTES:,} bytes: no Slack interaction", status_code=413)
    problem = refusal(secret, body, request.headers, time.time())
    if problem is not None:
        log.warning("refused a request to %s: %s", PATH, problem)
        return PlainTextResponse(problem, status_code=401)
    try:
        click = read_click(body)
    except DataError as e:
        return JSONResponse({"response_type": "ephemeral", "replace_original": False, "text": f"Not kept: {e}"})
    except (ValueError, KeyError, IndexError):
        return PlainTextResponse("not a Slack interaction payload: a form with `payload`, JSON", status_code=400)
    if click is None:  # another button (the links send one too), or another kind of interaction
        return Response(status_code=200)
    work = asyncio.ensure_future(run_in_threadpool(keep, request.app.state.store, click))
    try:
        reply = await asyncio.wait_for(asyncio.shield(work), ACK_S)
    except TimeoutError:  # still keeping it: Slack has its answer now, the user the verdict when it is kept
        return Response(status_code=200, background=BackgroundTask(_late, work, click.response_url))
    after = BackgroundTask(respond, click.response_url, reply.message) if click.response_url else None
    if reply.refused:  # shown to the user through the response_url; the answer says the same
        return JSONResponse(reply.message, background=after)
    return Response(status_code=200, background=after)


async def _late(work: asyncio.Future[Reply], response_url: str | None) -> None:
    try:
        reply = await work
    except Exception:  # a bug: the answer has gone, so its traceback goes to the log
        log.exception("POST %s failed after its answer", PATH)
        return
    if response_url:
        await run_in_threadpool(respond, response_url, reply.message)


async def _body(request: Request) -> bytes | None:
    """The raw body (the signature is over its bytes), or None past BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
