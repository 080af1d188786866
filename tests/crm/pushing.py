"""What the push tests share: a sender's per-request outcomes merged into one."""

from __future__ import annotations

from collections.abc import Iterable

from whynow.crm.push.transport import Sent


def merged(outcomes: Iterable[Sent]) -> Sent:
    """Every outcome of one send, as one `Sent` (object: the objects seen, joined by '+')."""
    objects: list[str] = []
    total = Sent("")
    for outcome in outcomes:
        objects += [] if outcome.object in objects else [outcome.object]
        total.sent += outcome.sent
        total.confirmed += outcome.confirmed
        total.failed |= outcome.failed
    total.object = "+".join(objects)
    return total
