"""The generic webhook channel (SPEC §7): the alert as versioned JSON, signed with HMAC-SHA256 over
timestamp + body, the outbox key as its `Idempotency-Key`.

    idempotency_key(key) -> str                            the header: the body's key, made ASCII
    sign(secret, timestamp, body) -> "v1=<hex>"
    verify(secret, timestamp, signature, body) -> bool     what a receiver runs (replay-safe)
    Webhook(url, secret).deliver(alert) -> Outcome

The JSON carries the data's values as they are (a name such as `<!channel>` stays that text): JSON
escapes itself, and a receiver that shows a value in Slack, HTML or a CRM escapes it for that place.
Only the URLs are built for it: `link`, the account's whynow page, and `crm_url` (null without the model's
`links`), its CRM page, each with the record's values percent-encoded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from urllib.parse import quote

import httpx

from whynow.alerts.channel import ERROR_CHARS, TIMEOUT_S, UNUSABLE_URL, Outcome, unusable_url

WEBHOOK_VERSION = 1
SIGNATURE_HEADER = "X-Whynow-Signature"
TIMESTAMP_HEADER = "X-Whynow-Timestamp"
URL_SETTING = "alerts.webhook.url"
HEADER_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")  # printable ASCII, less %


def idempotency_key(key: str) -> str:
    """The `Idempotency-Key` header for an outbox key: HTTP headers are ASCII (an id such as `Société-1`
    is not), so each byte that is not printable ASCII, and `%`, is percent-encoded as UTF-8. The body's
    `key` is `unquote(header)`; an ASCII key without `%` is its own header, as before.

    >>> idempotency_key("webhook|account|A0001|surfaced|renewal|2026-11-06")
    'webhook|account|A0001|surfaced|renewal|2026-11-06'
    >>> idempotency_key("webhook|account|Société 100%|surfaced")
    'webhook|account|Soci%C3%A9t%C3%A9 100%25|surfaced'
    """
    return quote(key, safe=HEADER_SAFE)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature: `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>` under the secret.

    >>> sign("s3cret", "1700000000", b'{"a":1}')
    'v1=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940'
    """
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(secret: str, timestamp: str, signature: str, body: bytes, *, tolerance_s: float = 300.0) -> bool:
    """A receiver's check of a whynow webhook: the signature matches the body and the timestamp is within
    `tolerance_s` of now (a replayed request is refused), compared in constant time.

    >>> body = b'{"a":1}'
    >>> now = str(int(time.time()))
    >>> verify("s3cret", now, sign("s3cret", now, body), body)
    True
    >>> verify("s3cret", now, sign("s3cret", now, body), b'{"a":2}')
    False
    """
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance_s
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


class Webhook:
    """Any HTTP endpoint: the alert as versioned JSON, signed, with the outbox key as Idempotency-Key
    (percent-encoded where it is not ASCII: `idempotency_key`)."""

    def __init__(self, url: str, secret: str = "", timeout_s: float = TIMEOUT_S) -> None:
        self.url, self.secret, self.timeout_s = url, secret, timeout_s
        self.problem = unusable_url(url, URL_SETTING)

    def deliver(self, alert: Mapping[str, object]) -> Outcome:
        return self._post(str(alert["key"]), {"alert": json.loads(str(alert["payload"]))})

    def deliver_digest(self, key: str, alerts: Sequence[Mapping[str, object]]) -> Outcome:
        """One request for a rep's alerts of a run: `{"version", "key", "digest": true, "alerts": [...]}`."""
        return self._post(key, {"digest": True, "alerts": [json.loads(str(a["payload"])) for a in alerts]})

    def _post(self, key: str, content: Mapping[str, object]) -> Outcome:
        if self.problem is not None:  # no request: it would fail the same way until the model changes
            return Outcome("failed", f"webhook: {self.problem}")
        body = json.dumps({"version": WEBHOOK_VERSION, "key": key, **content}, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key(key),
            TIMESTAMP_HEADER: timestamp,
        }
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, timestamp, body)
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.InvalidURL:  # one that urllib parses and httpx does not: its message may quote it
            self.problem = UNUSABLE_URL.format(setting=URL_SETTING)
            return Outcome("failed", f"webhook: {self.problem}")
        except httpx.TimeoutException:
            return Outcome("pending", f"webhook: no answer within {self.timeout_s:g} s")
        except httpx.TransportError as e:
            return Outcome("pending", f"webhook: {type(e).__name__} (the endpoint could not be reached)")
        return _http_outcome("webhook", response, response.headers.get("X-Request-Id"))


def _http_outcome(channel: str, response: httpx.Response, message_id: str | None) -> Outcome:
    if response.is_success:
        return Outcome("sent", message_id=message_id)
    error = f"{channel}: HTTP {response.status_code} {response.text.strip()[:ERROR_CHARS]}".rstrip()
    if response.status_code == 429 or response.status_code >= 500:
        return Outcome("pending", error, retry_after_s=_retry_after(response.headers.get("Retry-After")))
    return Outcome("failed", error)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds; an HTTP date is read as 'later', the default backoff)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
