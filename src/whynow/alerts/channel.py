"""What every alert channel shares (SPEC §7): what a channel is, what one attempt came to, and the checks
each makes before it sends.

    Channel                        deliver(alert), deliver_digest(key, alerts) -> Outcome; `problem`
    Outcome(status, error, ...)    sent, pending (transient) or failed (permanent), with the service's error
    unusable_url(url, setting)     why a channel's URL cannot be sent to, naming its setting, never the URL

The senders (alerts/slack.py, alerts/webhook.py) build on this, and deliver.py drives them through it:
deliver -> senders -> channel, never back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urlsplit

TIMEOUT_S = 10.0
ERROR_CHARS = 300
UNUSABLE_URL = (
    "{setting} is not an http(s) URL (not shown: it may hold a secret); fix it, then `whynow alerts retry --failed`"
)


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to."""

    status: Literal["sent", "pending", "failed"]
    error: str | None = None
    retry_after_s: float | None = None
    message_id: str | None = None


class Channel(Protocol):
    problem: str | None  # why it cannot send at all (a URL that does not parse), naming the setting

    def deliver(self, alert: Mapping[str, object]) -> Outcome: ...

    def deliver_digest(self, key: str, alerts: Sequence[Mapping[str, object]]) -> Outcome: ...


def unusable_url(url: str, setting: str) -> str | None:
    """Why `url` cannot be sent to, naming its setting and never the URL (it may hold a secret); None
    when it parses as an http(s) URL with a host.

    >>> unusable_url("https://hooks.example/T0/B0", "alerts.webhook.url") is None
    True
    >>> unusable_url("http://[::1/hook", "alerts.webhook.url")[:50]
    'alerts.webhook.url is not an http(s) URL (not show'
    """
    try:
        parts = urlsplit(url)
        _ = parts.port, (parts.hostname or "").encode("idna")
    except ValueError:  # an unclosed [IPv6 address, a port not a number, an empty or too long host label
        return UNUSABLE_URL.format(setting=setting)
    printable = all(c.isprintable() and not c.isspace() for c in url)
    usable = parts.scheme in ("http", "https") and parts.hostname and printable
    return None if usable else UNUSABLE_URL.format(setting=setting)
