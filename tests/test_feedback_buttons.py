"""The sales feedback buttons of a Slack alert (SPEC §7, §13): three per account, their value read back as it
was written, and the message once a verdict is given."""

from __future__ import annotations

import json
from typing import Any

import pytest

from whynow.alerts.feedback_buttons import (
    BLOCK_ID,
    VALUE_CHARS,
    ButtonPress,
    answered,
    button_value,
    feedback_buttons,
    pressed,
)
from whynow.alerts.slack import digest, message
from whynow.errors import DataError

ACTION_IDS = ["whynow_feedback_working", "whynow_feedback_not_now", "whynow_feedback_wrong_fit"]


def _payload(account: str = "A1", rep: str | None = "r-1", contact: str | None = None) -> dict[str, Any]:
    entity = {"type": "contact", "id": contact, "name": "Ann Lee"} if contact else {"type": "account", "id": account}
    return {
        "why": "Three people from Acme read the pricing page this week.",
        "badge": {"id": "active", "label": "Active", "motion": "expand", "play": "call", "expires_on": "2026-12-01"},
        "account": {"id": account, "name": "Acme", "why": "Acme is evaluating."},
        "entity": entity,
        "rep_id": rep,
        "link": f"http://127.0.0.1:8000/accounts/{account}",
        "crm_url": "https://crm.example/Account/1",
    }


def _feedback(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if b.get("block_id", "").startswith(BLOCK_ID)]


def test_an_account_alert_carries_the_three_verdict_buttons_after_its_links() -> None:
    text, blocks = message(_payload())
    (buttons,) = _feedback(blocks)
    assert blocks[-1] is buttons and buttons["type"] == "actions"
    assert [b["action_id"] for b in buttons["elements"]] == ACTION_IDS
    assert [b["text"]["text"] for b in buttons["elements"]] == ["Working", "Not now", "Wrong fit"]
    assert [pressed(b) for b in buttons["elements"]] == [
        ButtonPress("working", "A1", "r-1"),
        ButtonPress("not_now", "A1", "r-1"),
        ButtonPress("wrong_fit", "A1", "r-1"),
    ]
    links = blocks[-2]["elements"]  # the buttons that were there stay, first
    assert [b["text"]["text"] for b in links] == ["Open in whynow", "Open in CRM"] and all("url" in b for b in links)
    assert text == "Active — Acme: Three people from Acme read the pricing page this week."  # the fallback as before


def test_a_contacts_alert_gets_the_buttons_of_its_account() -> None:
    _, blocks = message(_payload(account="A7", rep="owner-2", contact="C9"))
    (buttons,) = _feedback(blocks)
    assert {pressed(b) for b in buttons["elements"]} == {
        ButtonPress(v, "A7", "owner-2") for v in ("working", "not_now", "wrong_fit")
    }


@pytest.mark.parametrize(
    ("account", "rep"),
    [("EU/Acme & Co|1", "r|2"), ('<!channel> "quoted"', "rep ñ"), ("A1", None), ("x" * 1900, "r-1")],
    ids=["separators", "mrkdwn-and-quotes", "no-rep", "long-id"],
)
def test_a_buttons_value_reads_back_as_written_and_fits_slacks_limit(account: str, rep: str | None) -> None:
    (buttons,) = _feedback(message(_payload(account=account, rep=rep))[1])
    for button in buttons["elements"]:
        assert len(button["value"]) <= VALUE_CHARS and len(button["action_id"]) <= 255
        press = pressed(json.loads(json.dumps(button)))  # as Slack hands it back, through JSON
        assert press is not None and (press.account_id, press.rep_id) == (account, rep)


def test_an_id_too_long_for_a_value_gets_no_buttons_rather_than_a_cut_one() -> None:
    _, blocks = message(_payload(account="x" * VALUE_CHARS))
    assert _feedback(blocks) == [] and blocks[-1]["elements"][0]["text"]["text"] == "Open in whynow"
    assert feedback_buttons({"account": {"id": None}, "rep_id": "r-1"}) is None  # a contact without an account


def test_a_digest_puts_the_buttons_under_each_account_within_slacks_fifty_blocks() -> None:
    payloads = [_payload(account=f"A{n}") for n in range(25)]
    _, blocks = digest(payloads)
    assert len(blocks) <= 50
    sections = [i for i, b in enumerate(blocks) if b["type"] == "section"]
    assert len(sections) == 20  # DIGEST_SHOWN: the rest are counted in the last line
    for n, i in enumerate(sections):
        buttons = blocks[i + 1]
        assert buttons["type"] == "actions" and {pressed(b).account_id for b in buttons["elements"]} == {f"A{n}"}  # type: ignore[union-attr]
    block_ids = [b["block_id"] for b in _feedback(blocks)]
    assert len(set(block_ids)) == 20  # unique in the message, so a click names its account's block


def test_only_a_feedback_button_is_a_press_and_a_value_whynow_did_not_write_is_refused() -> None:
    assert pressed({"action_id": "whynow_feedback_maybe", "value": button_value("A1", "r")}) is None
    assert pressed({"action_id": "other_app_working", "value": button_value("A1", "r")}) is None
    assert pressed({"type": "button", "url": "http://127.0.0.1:8000/accounts/A1"}) is None  # a link button's click
    for value in ("A1|r-1", '{"rep_id": "r"}', '{"account_id": 7}', "null", None):
        with pytest.raises(DataError, match="Not now button carries a value whynow did not write"):
            pressed({"action_id": "whynow_feedback_not_now", "value": value})


def test_a_verdict_replaces_its_buttons_with_a_line_and_keeps_the_rest() -> None:
    _, blocks = digest([_payload(account="A1"), _payload(account="A2")])
    first, second = _feedback(blocks)
    line = "*Not now* — by <@U1>, holds until 2026-12-21"
    shown = answered(blocks, first["block_id"], line)
    assert shown is not None and len(shown) == len(blocks)
    (element,) = shown[blocks.index(first)]["elements"]
    assert shown[blocks.index(first)]["type"] == "context" and (element["type"], element["text"]) == ("mrkdwn", line)
    assert second in shown and _feedback(shown) == [second]  # the other account's buttons stay
    assert answered(blocks, "no-such-block", "x") is None
    links = next(b for b in blocks if b["type"] == "header")
    assert answered([links], BLOCK_ID, "x") is None
