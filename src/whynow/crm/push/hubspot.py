"""Sending a push to HubSpot (SPEC §12): the CRM v3 batch update, 100 records a request, through the official
`hubspot-api-client`.

    client(token, api_base) -> HubSpot             the official client at `api_base`, retrying 429 and 5xx
    send(hubspot, level, sent) -> Iterator[Sent]   one `Sent` per request: the ids HubSpot confirmed, and each
                                                   refused id with HubSpot's message

A record is confirmed only when HubSpot's answer says it was updated: a 200 confirms the batch, a 207 names
the records that failed (deleted, no access, a value too long) and confirms the rest. A 429 or a 5xx is
retried by the client's urllib3 with backoff, honouring `Retry-After`; a batch still refused after that is
left, whole, for the next push. A portal that cannot be reached stops the push (`Unreachable`). The token is
never printed: an error names the status and HubSpot's message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from whynow.crm.push.mapping import Level, crm_object
from whynow.crm.push.transport import Sent, Unreachable, retry

BATCH = 100  # records per request: HubSpot's batch update takes at most 100 inputs
PACE_MS = 10_000  # the longest wait for HubSpot's limit to roll over (its window is 10 s)
STOPS = {  # answers no later batch would get past: the push stops, keeping what HubSpot confirmed
    0: "check api_base and the certificates (REQUESTS_CA_BUNDLE or the system's)",
    401: "set the push section's token to a private app's token (e.g. HUBSPOT_TOKEN)",
    403: "give the private app the crm.objects.companies.write and crm.objects.contacts.write scopes",
}


def client(token: str, api_base: str, backoff_s: float = 1.0) -> Any:
    """The official client, at `api_base`, retrying 429 and 5xx on every method, honouring Retry-After.
    Certificates are checked (the client's verify_ssl stays on)."""
    from hubspot import HubSpot

    return HubSpot(access_token=token, host=api_base.rstrip("/"), retry=retry(backoff_s))


def send(hubspot: Any, level: Level, sent: pa.Table) -> Iterator[Sent]:
    """Update the level's records of `sent` (record_id, a column per property, digest), 100 at a time, one
    `Sent` per request. A NULL is sent as the empty text, which clears a HubSpot property."""
    from hubspot.crm.companies import ApiException
    from hubspot.crm.companies import BatchInputSimplePublicObjectBatchInput as Batch
    from urllib3.exceptions import HTTPError

    sobject = crm_object("hubspot", level)
    api = getattr(hubspot.crm, sobject).batch_api
    names = [n for n in sent.column_names if n not in ("record_id", "digest")]
    for start in range(0, sent.num_rows, BATCH):
        chunk = sent.slice(start, BATCH)
        inputs: list[dict[str, Any]] = [
            {"id": str(row["record_id"]), "properties": {n: "" if row[n] is None else row[n] for n in names}}
            for row in chunk.to_pylist()  # the request's JSON: HubSpot's client builds it from these dicts
        ]
        ids = [str(i["id"]) for i in inputs]
        result = Sent(sobject, sent=len(ids))
        try:  # the answer's JSON read here: the client's models parse every record's dates, most of the time
            response = api.update(Batch(inputs=inputs), _preload_content=False)
            answer = json.loads(response.data)
            _pace(response.headers)
        except ApiException as e:  # after the retries: the batch is left for the next push
            if e.status in STOPS:
                said = f"HubSpot answered {e.status or 'nothing'}: {_message(e)}"
                raise Unreachable(f"{said}; {STOPS[e.status]}") from None
            result.failed = dict.fromkeys(ids, f"HubSpot answered {e.status}: {_message(e)}")
            yield result
            continue
        except HTTPError as e:  # no answer at all, after the retries
            raise Unreachable(f"HubSpot at {api.api_client.configuration.host} could not be reached: {e}") from None
        for error in answer.get("errors") or []:  # a 207: the records HubSpot refused, with its message
            for record in (error.get("context") or {}).get("ids", []):
                result.failed[str(record)] = f"{error.get('category')}: {error.get('message')}"
        result.confirmed = [str(r["id"]) for r in answer.get("results", []) if str(r["id"]) not in result.failed]
        yield result


def _pace(headers: Any) -> None:
    """Wait out HubSpot's rolling limit before the next request when its headers say it is spent, rather than
    spend the retries on 429s (a private app: 100 or 190 requests per 10 s)."""
    remaining = headers.get("X-HubSpot-RateLimit-Remaining")
    window = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
    if remaining is not None and window is not None and remaining.isdigit() and window.isdigit() and remaining == "0":
        time.sleep(min(int(window), PACE_MS) / 1000)


def _message(error: Any) -> str:
    try:
        return str(json.loads(error.body).get("message", "")) or str(error.reason)
    except (TypeError, ValueError):
        return str(error.reason)
