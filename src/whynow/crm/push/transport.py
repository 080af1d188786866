"""What both senders share (SPEC §12): the outcome of one request or job, and the retry policy.

Sent                      one request's (or job's) records: the CRM object, how many were sent, the ids
                          the CRM confirmed and each refused id with the CRM's message
retry(backoff_s)          urllib3's policy for both clients: 429 and 5xx retried on every method (a
                          batch update is a POST, which urllib3 does not retry by default), with
                          exponential backoff, honouring Retry-After
Unreachable               the CRM could not be reached or would not answer after the retries: the push
                          stops, keeping what the CRM had confirmed
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from whynow.errors import WhynowError

if TYPE_CHECKING:
    from urllib3.util.retry import Retry

RETRIES = 5  # tries of a request the CRM answers with 429 or 5xx, after the first
TRANSIENT = (429, 500, 502, 503, 504)


@dataclass
class Sent:
    """What the CRM did with one request's (or one job's) records of one object."""

    object: str  # the CRM's object: Account, Contact, Lead, companies, contacts
    sent: int = 0
    confirmed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # record id -> the CRM's message


class Unreachable(WhynowError):
    """The CRM could not be reached, or kept failing after the retries; what it confirmed is kept."""


def retry(backoff_s: float = 1.0) -> Retry:
    from urllib3.util.retry import Retry

    return Retry(
        total=RETRIES,
        status_forcelist=TRANSIENT,
        allowed_methods=None,
        backoff_factor=backoff_s,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
