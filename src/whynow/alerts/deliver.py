"""Delivery of the alert outbox (SPEC §7): each pending alert to its channel, once, recorded as it goes.

    send(store, model, retry=False) -> Outcomes  counts of sent, pending (transient), failed, skipped

Each alert's outcome is written to the store right after its attempt, so a crash loses at most the
outcome of the alert in flight; that alert is sent again by the next `send` (at-least-once), with the
same key as its `Idempotency-Key`, so a receiver can drop the copy (a Slack bot looks for it first).

* sent: the service accepted it (2xx); its message id is kept where the service gives one.
* pending: a transient failure — a network error, a time-out, HTTP 429 (after its `Retry-After`) or
  5xx; the attempt is counted and the alert is tried again at the next run or send after `next_try`.
* failed: a permanent failure (any other 4xx), with the service's error, or a channel whose URL does
  not parse (it cannot work until the model's environment changes, as a revoked webhook cannot); only
  `alerts retry --failed` tries it again.
* skipped: stale — its badge episode had ended (the store's last run no longer holds that badge since
  that day) before it could be sent; for a `reengaged` alert, its sales-ready stretch had ended (the
  store's last run no longer has the contact at mql or sql since that day): the rep would call someone
  who has gone cold again, or is already in another stretch that alerts on its own.

Errors name the channel and the HTTP status or the exception's kind, never the URL or a token. The
channels (alerts/slack.py, alerts/webhook.py) load only when something is sent.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence

from whynow.alerts.channel import Channel, Outcome
from whynow.model.check import CompiledModel
from whynow.pipeline.leads import SALES_READY
from whynow.store import Row, Store

BACKOFF_S = (60, 300, 900, 3600)  # after the 1st, 2nd, 3rd, later transient failure (without Retry-After)


class Outcomes(Counter[str]):
    """What a send did: a count per outcome, and the channels that could not send at all, each with
    its line (`outcome_line` shows them)."""

    def __init__(self) -> None:
        super().__init__()
        self.unusable: dict[str, str] = {}


def channels(model: CompiledModel, store: Store) -> dict[str, Channel]:
    """The channels the model turns on, ready to deliver (a Slack bot DMs reps by their slack_user_id)."""
    from whynow.alerts.slack import Slack
    from whynow.alerts.webhook import Webhook

    alerts = model.spec.alerts
    on = alerts.turned_on()
    found: dict[str, Channel] = {}
    if "slack" in on and alerts.slack is not None:
        slack = alerts.slack
        users = {str(r["rep_id"]): str(r["slack_user_id"]) for r in store.last_reps() if r.get("slack_user_id")}
        found["slack"] = Slack(
            slack.webhook_url, slack.bot_token, slack.channel, users, slack.base_url, slack.timeout_s
        )
    if "webhook" in on and alerts.webhook is not None:
        found["webhook"] = Webhook(alerts.webhook.url, alerts.webhook.secret, alerts.webhook.timeout_s)
    return found


def send(
    store: Store,
    model: CompiledModel,
    *,
    retry: bool = False,
    now: dt.datetime | None = None,
    only: Mapping[str, Channel] | None = None,
) -> Outcomes:
    """Deliver the pending alerts that are due (`retry`: every pending one, now); return the outcomes."""
    now = now or dt.datetime.now(dt.UTC)
    ready = dict(only) if only is not None else channels(model, store)
    active = store.active_badges()
    ready_contacts = store.contacts_in(SALES_READY)
    outcomes = Outcomes()
    groups: dict[str, list[Row]] = {}  # a digest's alerts, sent as one message
    tried: set[str] = set()  # the channels that delivered (or failed to)
    for alert in store.alerts("pending"):
        stale = _stale(alert, active, ready_contacts)
        if stale is not None:
            store.record_alert(str(alert["key"]), status="skipped", last_error=stale)
            outcomes["skipped"] += 1
            continue
        due = alert["next_try"] is None or retry or alert["next_try"] <= now  # type: ignore[operator]
        channel = ready.get(str(alert["channel"]))
        if not due or channel is None:
            outcomes["waiting"] += 1
            continue
        if alert["digest"] is not None:
            groups.setdefault(str(alert["digest"]), []).append(alert)
            continue
        _claim(store, [alert], now)
        tried.add(str(alert["channel"]))
        outcome = channel.deliver(alert)
        store.record_alert(str(alert["key"]), **_recorded(alert, outcome, now))
        outcomes[outcome.status] += 1
    for key, alerts in groups.items():
        _claim(store, alerts, now)
        tried.add(str(alerts[0]["channel"]))
        outcome = ready[str(alerts[0]["channel"])].deliver_digest(key, alerts)
        for alert in alerts:  # the digest's outcome is each of its alerts' outcome
            store.record_alert(str(alert["key"]), **_recorded(alert, outcome, now))
        outcomes[outcome.status] += len(alerts)
    outcomes.unusable = {name: f"{name}: {c.problem}" for name, c in ready.items() if c.problem and name in tried}
    return outcomes


STALE_BADGE = "stale: its badge episode ended"
STALE_STRETCH = "stale: its contact is no longer sales-ready since that day"


def _stale(
    alert: Row, active: set[tuple[object, object, object, object]], ready_contacts: set[tuple[object, object]]
) -> str | None:
    """Why an alert is stale, or None: a `reengaged` alert outlives its sales-ready stretch (SPEC §4.5),
    any other its badge episode."""
    if alert["change"] == "reengaged":
        return None if (alert["entity_id"], alert.get("status_since")) in ready_contacts else STALE_STRETCH
    episode = (alert["entity_type"], alert["entity_id"], alert["badge"], alert["badge_since"])
    return None if episode in active else STALE_BADGE


INTERRUPTED = "interrupted: sent or not, the outcome of this attempt was not recorded"


def _claim(store: Store, alerts: Sequence[Row], now: dt.datetime) -> None:
    """Count the attempt before it is made: if the process dies before its outcome is recorded, the
    alert stays pending with this attempt counted and INTERRUPTED as its error, due at once. A channel
    that can look for a message it sent (the Slack bot) does so before it sends an alert tried before."""
    for alert in alerts:
        attempts = int(alert["attempts"] or 0) + 1  # type: ignore[call-overload]
        store.record_alert(str(alert["key"]), attempts=attempts, last_error=INTERRUPTED, next_try=now)


def outcome_line(outcomes: Mapping[str, int]) -> str:
    """What a send did, in a line; then a line for each channel that could not send at all.

    >>> outcome_line({"sent": 3, "pending": 1})
    'Alerts: 3 sent, 1 pending (tried again at the next run or send).'
    >>> outcome_line({})
    'Alerts: nothing to send.'
    """
    words = {
        "sent": "sent",
        "pending": "pending (tried again at the next run or send)",
        "failed": "failed (see `whynow alerts --status failed`; `whynow alerts retry --failed`)",
        "skipped": "skipped (their badge or sales-ready stretch had ended)",
        "waiting": "waiting (not due yet, or their channel is not on)",
    }
    parts = [f"{outcomes[k]} {text}" for k, text in words.items() if outcomes.get(k)]
    line = f"Alerts: {', '.join(parts)}." if parts else "Alerts: nothing to send."
    unusable = outcomes.unusable.values() if isinstance(outcomes, Outcomes) else ()
    return "\n".join([line, *(f"  {problem}" for problem in unusable)])


def _recorded(alert: Row, outcome: Outcome, now: dt.datetime) -> dict[str, object]:
    attempts = int(alert["attempts"] or 0) + 1  # type: ignore[call-overload]
    fields: dict[str, object] = {"status": outcome.status, "attempts": attempts, "last_error": outcome.error}
    if outcome.status == "sent":
        fields |= {"sent_at": dt.datetime.now(dt.UTC), "message_id": outcome.message_id, "next_try": None}
    elif outcome.status == "pending":
        wait = outcome.retry_after_s
        wait = wait if wait is not None else BACKOFF_S[min(attempts, len(BACKOFF_S)) - 1]
        fields["next_try"] = now + dt.timedelta(seconds=wait)
    return fields
