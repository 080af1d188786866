"""The sales feedback buttons of a Slack alert (SPEC §7, §13): Working / Not now / Wrong fit under each
account, what a click sends back, and the message once a verdict is given.

    feedback_buttons(payload, block_id) -> block | None   an actions block of three buttons, or None
    pressed(action) -> ButtonPress | None                   a click on one of them, read back
    answered(blocks, block_id, line) -> blocks | None       the message with those buttons replaced by a line

A button's `action_id` names its verdict (`whynow_feedback_not_now`); its `value` is the account and the rep
the alert went to, as compact JSON (Slack keeps a value to 2,000 characters; an account whose ids do not fit
gets no buttons rather than a cut value). `whynow serve` answers the click (serve/slack.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from whynow.errors import DataError
from whynow.feedback import LABELS, VERDICTS

ACTION_PREFIX = "whynow_feedback_"  # + the verdict
BLOCK_ID = "whynow_feedback"  # an alert's block of feedback buttons; a digest's are numbered (…_1, …_2)
VALUE_CHARS = 2000  # Slack's limit on a button's value (docs.slack.dev/reference/block-kit/block-elements)
BUTTONS = {verdict: LABELS[verdict].capitalize() for verdict in VERDICTS}  # working → "Working"


@dataclass(frozen=True)
class ButtonPress:
    """One click on a feedback button: the verdict, and the account and rep its alert named (rep None: the
    alert went to the channel, its account routed to nobody)."""

    verdict: str
    account_id: str
    rep_id: str | None


def button_value(account_id: str, rep_id: str | None) -> str:
    """What a feedback button carries, read back by `pressed`.

    >>> button_value("A|1", "r-7")
    '{"account_id":"A|1","rep_id":"r-7"}'
    """
    return json.dumps({"account_id": account_id, "rep_id": rep_id}, separators=(",", ":"), ensure_ascii=False)


def feedback_buttons(payload: Mapping[str, Any], block_id: str = BLOCK_ID) -> dict[str, Any] | None:
    """An actions block of the three verdict buttons for the alert's account (a contact's alert: its account),
    or None for an alert without an account or whose ids do not fit in a button's value."""
    account = (payload.get("account") or {}).get("id")
    if not account:
        return None
    value = button_value(str(account), payload.get("rep_id"))
    if len(value) > VALUE_CHARS:
        return None
    elements = [
        {"type": "button", "action_id": ACTION_PREFIX + verdict, "text": {"type": "plain_text", "text": label},
         "value": value}
        for verdict, label in BUTTONS.items()
    ]  # fmt: skip
    return {"type": "actions", "block_id": block_id, "elements": elements}


def pressed(action: Mapping[str, Any]) -> ButtonPress | None:
    """The click an action of a `block_actions` payload stands for; None for any other button (the links to
    whynow and the CRM send one too). A `DataError` for a feedback button whose value whynow did not write.

    >>> pressed({"action_id": "whynow_feedback_not_now", "value": button_value("A1", "r-7")})
    ButtonPress(verdict='not_now', account_id='A1', rep_id='r-7')
    >>> pressed({"action_id": "open"}) is None
    True
    """
    verdict = str(action.get("action_id") or "").removeprefix(ACTION_PREFIX)
    if not str(action.get("action_id") or "").startswith(ACTION_PREFIX) or verdict not in VERDICTS:
        return None
    try:
        value = json.loads(str(action.get("value")))
        account, rep = value["account_id"], value.get("rep_id")
    except (ValueError, TypeError, KeyError):
        raise DataError(f"the {BUTTONS[verdict]} button carries a value whynow did not write") from None
    if not isinstance(account, str) or not account or not (rep is None or isinstance(rep, str)):
        raise DataError(f"the {BUTTONS[verdict]} button carries a value whynow did not write")
    return ButtonPress(verdict, account, rep or None)


def answered(blocks: Sequence[Mapping[str, Any]], block_id: str, line: str) -> list[dict[str, Any]] | None:
    """`blocks` (a message as Slack sends it back) with its feedback buttons `block_id` replaced by a context
    line (mrkdwn, escaped by the caller); None when the message holds no such block."""
    found = [
        i
        for i, block in enumerate(blocks)
        if block.get("type") == "actions" and block.get("block_id") == block_id
        and any(str(e.get("action_id") or "").startswith(ACTION_PREFIX) for e in block.get("elements") or [])
    ]  # fmt: skip
    if not found:
        return None
    shown = [dict(block) for block in blocks]
    # no block_id: Slack asks for a new one when a message is updated, and generates it; `verbatim` keeps
    # names in the line from becoming links (a <@U…> mention is written out, so it still shows as one)
    shown[found[0]] = {"type": "context", "elements": [{"type": "mrkdwn", "text": line, "verbatim": True}]}
    return shown
