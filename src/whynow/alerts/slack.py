"""Slack alerts (SPEC §7) through slack_sdk: an incoming webhook, or a bot that DMs the rep.

    message(payload) -> (text, blocks)   Block Kit: the narrative first, then the badge and its facts,
                                         who to call, the top evidence, buttons to the account in whynow
                                         and, with `links`, in the CRM, then the sales feedback buttons
                                         (feedback_buttons.py); cut to Slack's limits
    reengagement(payload) -> str | None  "Ann Lee at Acme re-engaged: disqualified → mql since …"
    escape(text, limit) -> str           a text from the data or the model as Slack shows it literally
    Slack(...).deliver(alert) -> Outcome

The bot sends to the rep's `slack_user_id`, else to `alerts.slack.channel`, with the alert's key in
the message's metadata; before it sends an alert tried before (one whose outcome may not have been
recorded), it looks for that key in the conversation's latest messages and records a match as sent.
slack_sdk's own retries are off: the outbox decides when to try again.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.error import URLError
from urllib.parse import quote

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from whynow.alerts.channel import ERROR_CHARS, TIMEOUT_S, UNUSABLE_URL, Outcome, unusable_url
from whynow.alerts.feedback_buttons import BLOCK_ID, feedback_buttons
from whynow.pipeline.calls import call_reason

# Slack's limits (api.slack.com/reference/block-kit): a section's text 3000 characters, a field 2000,
# a context element 2000, a URL 3000; the fallback text is kept to 3000 as well.
SECTION_CHARS, FIELD_CHARS, URL_CHARS = 3000, 2000, 3000
DIGEST_URL_CHARS = 1500  # a digest line's links, within its section's 3000 characters
DIGEST_CALL_CHARS = 600  # a digest line's first person to call, within the same 3000
CALL_CHARS = 400  # the first person to call, in the fallback text
CALLS_SHOWN = 10  # people of a call list in one message (capacity.call_list may be 100): a line each
ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}  # Slack's control characters
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # RFC 3986's reserved characters, and % to keep what is already encoded
METADATA_EVENT = "whynow_alert"
LOOKBACK = 200  # messages of a conversation searched for an alert tried before (conversations.history)
NO_RETRIES: list[RetryHandler] = []


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, ending in … when cut.

    >>> cut("abcdef", 4)
    'abc…'
    >>> cut("abc", 4)
    'abc'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: object, limit: int = SECTION_CHARS) -> str:
    """`text` as Slack shows it literally in mrkdwn and in a message's fallback text: its &, < and >
    escaped (api.slack.com/reference/surfaces/formatting#escaping), so a name such as `<!channel>`
    pings nobody and `<https://…|…>` makes no link; cut to `limit` characters before it is escaped,
    so a cut never splits an entity.

    >>> escape("<!channel> & Co")
    '&lt;!channel&gt; &amp; Co'
    >>> escape("a & b", 6)
    'a …'
    """
    kept: list[str] = []
    size = 1  # room for the …
    for char in str(text):
        piece = ESCAPES.get(char, char)
        size += len(piece)
        if size > limit:
            return "".join(kept) + "…"
        kept.append(piece)
    return "".join(kept)


def url(link: str) -> str:
    """A link with what is not allowed in a URL percent-encoded (`|`, `<`, `>`, spaces) and what is
    encoded left as it is: a link written before whynow encoded account ids cannot close a Slack link.

    >>> url("http://127.0.0.1:8000/accounts/a|b>")
    'http://127.0.0.1:8000/accounts/a%7Cb%3E'
    """
    return quote(link, safe=URL_SAFE)


def text_object(text: str) -> dict[str, Any]:
    """A mrkdwn text object that Slack shows as written: `verbatim` stops it turning bare URLs,
    #channel names and @mentions in the data into links or pings."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def reengagement(payload: Mapping[str, Any]) -> str | None:
    """A re-engagement's headline as plain text (SPEC §4.5), to be escaped where it is shown; None for any
    other alert.

    >>> reengagement({"change": "reengaged", "entity": {"name": "Ann Lee"}, "account": {"name": "Acme"},
    ...               "status": {"old": "disqualified", "new": "mql", "since": "2026-11-23"}})
    'Ann Lee at Acme re-engaged: disqualified → mql since 2026-11-23'
    """
    status = payload.get("status")
    if payload.get("change") != "reengaged" or not status:
        return None
    entity, account = payload.get("entity") or {}, payload.get("account") or {}
    who = entity.get("name") or entity.get("id")
    at = account.get("name") or account.get("id")
    return f"{who}{f' at {at}' if at else ''} re-engaged: {status['old']} → {status['new']} since {status['since']}"


def message(payload: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The alert as Slack shows it: a fallback text and Block Kit blocks, every text from the data or
    the model escaped. A contact's alert leads with the person's own narrative, then its account's; a
    re-engagement leads with its headline (`reengagement`), then the person's narrative if they have one."""
    badge = payload["badge"]
    account = payload["account"]["name"] or payload["account"]["id"]
    entity = payload.get("entity") or {}
    contact = (entity.get("name") or entity.get("id")) if entity.get("type") == "contact" else None
    headline = reengagement(payload)
    own = payload.get("why") or badge.get("label") or ""
    why = "\n".join(t for t in (headline, payload.get("why")) if t) if headline else own
    facts = {
        "Badge": badge.get("label"),
        "Contact": contact,
        "Account": account,
        "Motion": badge.get("motion"),
        "Play": badge.get("play"),
        "Fit grade": payload.get("fit_grade"),
        "Stage": payload.get("stage"),
        "Expires on": badge.get("expires_on"),
    }
    fields = [
        text_object(f"*{name}*\n" + escape(value, FIELD_CHARS - len(name) - 3))
        for name, value in facts.items()
        if value
    ]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": text_object(escape(why, SECTION_CHARS))}]
    context = payload["account"].get("why")
    if contact is not None and context:  # the account's story, after the person's own
        shown = f"*{escape(account, 300)}*: "
        blocks.append({"type": "context", "elements": [text_object(shown + escape(context, FIELD_CHARS - len(shown)))]})
    blocks.append({"type": "section", "fields": fields[:10]})  # Slack takes at most 10 fields
    calls = payload.get("call_list") or []
    if calls:
        blocks.append({"type": "section", "text": text_object(who_to_call(calls))})
    evidence = [
        f"{row.get('signal')}: {row.get('source_table')} {row.get('source_id')} ({row.get('occurred_at') or 'now'})"
        for row in payload.get("evidence", [])[:3]
    ]
    if evidence:
        blocks.append({"type": "context", "elements": [text_object(escape(e, FIELD_CHARS)) for e in evidence]})
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": label}, "url": link}  # no data in a label
        for label, key in (("Open in whynow", "link"), ("Open in CRM", "crm_url"))
        if (link := url(payload.get(key) or "")) and len(link) <= URL_CHARS
    ]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    verdicts = feedback_buttons(payload)  # SPEC §13: working / not now / wrong fit, answered by `whynow serve`
    if verdicts is not None:
        blocks.append(verdicts)
    call = escape(f" · call {_person(calls[0])} first", CALL_CHARS) if calls else ""
    plain = headline or f"{badge.get('label') or badge.get('id')} — {account}: {why}"
    text = escape(plain, SECTION_CHARS - len(call)) + call
    return text, blocks


def who_to_call(calls: Sequence[Mapping[str, Any]]) -> str:
    """The account's call list as a section's mrkdwn: a line per person (name, title, role, their own reason),
    the first CALLS_SHOWN of them, each line cut to its share of the section's 3000 characters."""
    shown = calls[:CALLS_SHOWN]
    head = "*Who to call*"
    more = f"\nand {len(calls) - len(shown)} more: open the account in whynow" if len(calls) > len(shown) else ""
    each = (SECTION_CHARS - len(head) - len(more)) // len(shown) - 1  # a line and its newline
    lines = []
    for place, person in enumerate(shown, 1):
        number = f"{person.get('rank') or place}. "
        lines.append(number + person_line(person, each - len(number)))
    return "\n".join([head, *lines]) + more


def person_line(person: Mapping[str, Any], limit: int) -> str:
    """One person to call as mrkdwn within `limit` characters: the name in bold (a link to their CRM page
    with `links`), title and role, then their own reason; every text escaped, each part within a share."""
    part = max(limit // 5, 2)
    name = escape(person.get("name") or person.get("contact_id") or "", part)
    page = escape(url(person.get("crm_url") or ""), SECTION_CHARS)
    head = f"*<{page}|{name}>*" if page and len(page) <= part else f"*{name}*"
    who = [escape(value, part) for value in (person.get("title"), _role(person)) if value]
    if who:
        head += f" ({', '.join(who)})"
    return head + " — " + escape(call_reason(person), limit - len(head) - 3)


def _role(person: Mapping[str, Any]) -> str | None:
    """The person's buying committee role; `other` is no role (SPEC §4.4) and is not shown."""
    role = person.get("committee_role")
    return None if role in (None, "", "other") else str(role)


def _person(person: Mapping[str, Any]) -> str:
    """A person as plain text: the name, then title and role."""
    who = ", ".join(str(v) for v in (person.get("title"), _role(person)) if v)
    return f"{person.get('name') or person.get('contact_id')}" + (f" ({who})" if who else "")


DIGEST_SHOWN = 20  # accounts in one digest message, each a section and its feedback buttons; Slack takes 50 blocks


def digest(payloads: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """A rep's alerts of a run as one message: a line per account (badge, account, narrative, links) and,
    under it, the first person of its call list, then its feedback buttons."""
    count = len(payloads)
    head = f"{count} why-now alert{'s' if count != 1 else ''} for you"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": cut(head, 150)}}]
    for payload in payloads[:DIGEST_SHOWN]:
        badge, account = payload["badge"], payload["account"]["name"] or payload["account"]["id"]
        headline = reengagement(payload)
        if headline:
            line = f"*{escape(headline, 450)}* "
        else:
            line = f"*{escape(badge.get('label') or badge.get('id'), 150)}* — {escape(account, 300)}: "
        more = ""
        for label, key in (("open", "link"), ("CRM", "crm_url")):
            link = escape(url(payload.get(key) or ""), SECTION_CHARS)
            if link and len(more) + len(link) + len(label) + 4 <= DIGEST_URL_CHARS:  # the links share the room
                more += f" <{link}|{label}>"
        calls = payload.get("call_list") or []
        call = ""
        if calls:
            others = f" (and {len(calls) - 1} more)" if len(calls) > 1 else ""
            call = "\nCall first: " + person_line(calls[0], DIGEST_CALL_CHARS) + others
        line += escape(payload.get("why") or "", SECTION_CHARS - len(line) - len(more) - len(call)) + more + call
        blocks.append({"type": "section", "text": text_object(line)})
        verdicts = feedback_buttons(payload, f"{BLOCK_ID}_{len(blocks)}")  # under each account; block ids unique
        if verdicts is not None:
            blocks.append(verdicts)
    if count > DIGEST_SHOWN:
        more = f"and {count - DIGEST_SHOWN} more: `whynow queue` or the dashboard"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    names = ", ".join(str(p["account"]["name"] or p["account"]["id"]) for p in payloads)
    return f"{head}: {escape(names, SECTION_CHARS - len(head) - 2)}", blocks


class Slack:
    """Slack through an incoming webhook, or through a bot token (chat.postMessage)."""

    def __init__(
        self,
        webhook_url: str = "",
        bot_token: str = "",
        channel: str | None = None,
        slack_users: Mapping[str, str] | None = None,
        base_url: str = WebClient.BASE_URL,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.webhook_url, self.channel, self.timeout_s = webhook_url, channel, timeout_s
        self.slack_users = dict(slack_users or {})
        self._conversations: dict[str, str | None] = {}
        timeout = max(1, round(timeout_s))  # slack_sdk takes whole seconds
        self.timeout_s = timeout
        self.setting = "alerts.slack.base_url" if bot_token else "alerts.slack.webhook_url"
        self.problem = unusable_url(base_url if bot_token else webhook_url, self.setting)
        self.bot = (
            WebClient(token=bot_token, base_url=base_url, timeout=timeout, retry_handlers=NO_RETRIES)
            if bot_token
            else None
        )
        self.hook = WebhookClient(webhook_url, timeout=timeout, retry_handlers=NO_RETRIES) if webhook_url else None

    def deliver(self, alert: Mapping[str, object]) -> Outcome:
        return self._send(alert, str(alert["key"]), *message(json.loads(str(alert["payload"]))))

    def deliver_digest(self, key: str, alerts: Sequence[Mapping[str, object]]) -> Outcome:
        """One message for a rep's alerts of a run (they share the rep, so the recipient)."""
        return self._send(alerts[0], key, *digest([json.loads(str(a["payload"])) for a in alerts]))

    def _send(self, alert: Mapping[str, object], key: str, text: str, blocks: list[dict[str, Any]]) -> Outcome:
        if self.problem is not None:  # no request: it would fail the same way until the model changes
            return Outcome("failed", f"slack: {self.problem}")
        try:
            if self.bot is not None:
                return self._post(alert, key, text, blocks)
            assert self.hook is not None
            response = self.hook.send(text=text, blocks=blocks)
        except http.client.InvalidURL:  # one that urlsplit parses and http.client does not
            self.problem = UNUSABLE_URL.format(setting=self.setting)
            return Outcome("failed", f"slack: {self.problem}")
        except (TimeoutError, URLError, OSError) as e:
            timed_out = isinstance(e, TimeoutError) or isinstance(getattr(e, "reason", None), TimeoutError)
            if timed_out:
                return Outcome("pending", f"slack: no answer within {self.timeout_s:g} s")
            return Outcome("pending", f"slack: {type(e).__name__} (Slack could not be reached)")
        if response.status_code == 200:
            return Outcome("sent")
        return _outcome(response.status_code, response.body, response.headers.get("Retry-After"))

    def _post(self, alert: Mapping[str, object], key: str, text: str, blocks: list[dict[str, Any]]) -> Outcome:
        assert self.bot is not None
        recipient = self.slack_users.get(str(alert["rep_id"])) or self.channel
        if not recipient:
            return Outcome("failed", "slack: the rep has no slack_user_id and alerts.slack.channel is not set")
        if int(str(alert.get("attempts") or 0)) > 0:  # tried before: it may have arrived unrecorded
            ts = self._posted(recipient, key)
            if ts is not None:
                return Outcome("sent", message_id=ts)
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
        try:
            response = self.bot.chat_postMessage(channel=recipient, text=text, blocks=blocks, metadata=metadata)
        except SlackApiError as e:
            error = e.response.get("error") if isinstance(e.response.data, dict) else None
            return _outcome(e.response.status_code, str(error or ""), e.response.headers.get("Retry-After"))
        return Outcome("sent", message_id=str(response.get("ts") or "") or None)

    def _posted(self, recipient: str, key: str) -> str | None:
        """The ts of a message this bot already posted to `recipient` with `key` in its metadata, among the
        conversation's latest LOOKBACK messages; None when there is none or Slack cannot be asked (then the
        alert is sent: a duplicate is better than a lost alert)."""
        assert self.bot is not None
        try:
            conversation = self._conversation(recipient)
            if conversation is None:
                return None
            history = self.bot.conversations_history(channel=conversation, limit=LOOKBACK, include_all_metadata=True)
        except (SlackApiError, OSError):
            return None
        for posted in history.get("messages") or []:
            metadata = posted.get("metadata") or {}
            if metadata.get("event_type") == METADATA_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return str(posted.get("ts") or "") or None
        return None

    def _conversation(self, recipient: str) -> str | None:
        """The conversation id for a user id (its DM), a conversation id, or a `#channel` name."""
        assert self.bot is not None
        if recipient not in self._conversations:
            found: str | None = None
            if re.fullmatch(r"[UW][A-Z0-9]+", recipient):
                found = str(self.bot.conversations_open(users=recipient)["channel"]["id"])
            elif re.fullmatch(r"[CGD][A-Z0-9]+", recipient):
                found = recipient
            else:
                name, cursor = recipient.lstrip("#"), None
                while found is None:
                    page = self.bot.conversations_list(
                        types="public_channel,private_channel", exclude_archived=True, limit=1000, cursor=cursor
                    )
                    found = next((str(c["id"]) for c in page.get("channels") or [] if c.get("name") == name), None)
                    cursor = (page.get("response_metadata") or {}).get("next_cursor")
                    if not cursor:
                        break
            self._conversations[recipient] = found
        return self._conversations[recipient]


def _outcome(status: int, error: str, retry_after: str | None) -> Outcome:
    shown = f"slack: HTTP {status} {error.strip()[:ERROR_CHARS]}".rstrip() if status != 200 else f"slack: {error}"
    if status == 429 or status >= 500:
        seconds = float(retry_after) if retry_after and retry_after.strip().isdigit() else None
        return Outcome("pending", shown, retry_after_s=seconds)
    return Outcome("failed", shown)
