"""Sending a push to HubSpot (SPEC §12): the CRM v3 batch update, 100 records a request, through the official
`hubspot-api-client`.

    send(token, api_base, level, sent) -> Sent    confirmed record ids, and each failed record with the CRM's
                                                  message

A record is confirmed only when HubSpot's answer says it was updated: a 200 confirms the batch, a 207 names
the records that failed (deleted, no access, a value too long) and confirms the rest. A 429 or a 5xx is
retried by the client's urllib3 with backoff, honouring `Retry-After`; a batch still refused after that is
left, whole, for the next push. The token is never printed: an error names the status and HubSpot's message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from whynow.crm.push.mapping import Level

BATCH = 100  # records per request: HubSpot's batch update takes at most 100 inputs
RETRIES = 5  # tries of a batch HubSpot answers with 429 or 5xx, after the first
_OBJECT: dict[Level, str] = {"account": "companies", "contact": "contacts"}


@dataclass
class Sent:
    """What the CRM confirmed, and what it refused (record id → its message), of one push of one level."""

    confirmed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def client(token: str, api_base: str, backoff_s: float = 1.0) -> Any:
    """The official client, at `api_base`, retrying 429 and 5xx on every method (a batch update is a POST,
    which urllib3 does not retry by default), honouring Retry-After."""
    from hubspot import HubSpot
    from urllib3.util.retry import Retry

    retry = Retry(
        total=RETRIES,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=None,
        backoff_factor=backoff_s,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    return HubSpot(access_token=token, host=api_base.rstrip("/"), retry=retry)


def send(hubspot: Any, level: Level, sent: pa.Table) -> Sent:
    """Update the level's records of `sent` (record_id, a column per property, digest), 100 at a time. A
    NULL is sent as the empty text, which clears a HubSpot property."""
    from hubspot.crm.companies import ApiException
    from hubspot.crm.companies import (
        BatchInputSimplePublicObjectBatchInput as Batch,
    )

    api = getattr(hubspot.crm, _OBJECT[level]).batch_api
    names = [n for n in sent.column_names if n not in ("record_id", "digest")]
    result = Sent()
    for start in range(0, sent.num_rows, BATCH):
        chunk = sent.slice(start, BATCH)
        inputs: list[dict[str, Any]] = [
            {"id": str(row["record_id"]), "properties": {n: "" if row[n] is None else row[n] for n in names}}
            for row in chunk.to_pylist()  # the request's JSON: HubSpot's client builds it from these dicts
        ]
        ids = [str(i["id"]) for i in inputs]
        try:
            answer = api.update(Batch(inputs=inputs))
        except ApiException as e:  # after the retries: the batch is left for the next push
            result.failed.update(dict.fromkeys(ids, f"HubSpot answered {e.status}: {_message(e)}"))
            continue
        refused: dict[str, str] = {}
        for error in getattr(answer, "errors", None) or []:
            for record in (error.context or {}).get("ids", []):
                refused[str(record)] = f"{error.category}: {error.message}"
        result.failed.update(refused)
        result.confirmed += [str(r.id) for r in answer.results if str(r.id) not in refused]
    return result


def _message(error: Any) -> str:
    import json

    try:
        return str(json.loads(error.body).get("message", "")) or str(error.reason)
    except (TypeError, ValueError):
        return str(error.reason)
