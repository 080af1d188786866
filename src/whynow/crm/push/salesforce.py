"""Sending a push to Salesforce (SPEC §12): Bulk API 2.0 ingest jobs, operation `update` by Id, through
`simple-salesforce`.

    connect(section) -> Salesforce                 a client: a session token, or username, password and
                                                   security token; 429 and 5xx retried honouring Retry-After
    send(connect, level, sent) -> Sent             confirmed record ids, and each refused record with its error

A contact whose id is a Lead's (prefix 00Q) is updated on the Lead. A record is confirmed only when the job's
successful results list it; its failed results (deleted, no access, a value too long) are reported with
Salesforce's message and left for the next push, as are its unprocessed records and a job that fails.
Bulk calls do not log in again by themselves: an expired session is renewed once (`connect` again) and the
job sent again. NULL is sent as `#N/A`, which Bulk API 2.0 reads as clearing the field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from whynow.crm.push.hubspot import RETRIES, Sent
from whynow.crm.push.mapping import Level
from whynow.model.schema import SalesforcePush

CLEAR = "#N/A"  # Bulk API 2.0: this value sets a field to NULL
LEAD_PREFIX = "00Q"  # a Lead's record id starts so; whynow imports a Lead as a contact


def connect(section: SalesforcePush, backoff_s: float = 1.0) -> Any:
    """A client of the org `section` names, over a session that retries 429 and 5xx on every method,
    honouring Retry-After. Certificates are checked (REQUESTS_CA_BUNDLE, or the system's)."""
    import requests
    from requests.adapters import HTTPAdapter
    from simple_salesforce.api import Salesforce
    from urllib3.util.retry import Retry

    session = requests.Session()
    retry = Retry(
        total=RETRIES,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=None,
        backoff_factor=backoff_s,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session.mount("https://", HTTPAdapter(max_retries=retry))
    if section.access_token:
        return Salesforce(instance_url=section.instance_url, session_id=section.access_token, session=session)
    domain = section.instance_url.removeprefix("https://").removesuffix(".salesforce.com") or "login"
    return Salesforce(
        username=section.username,
        password=section.password,
        security_token=section.security_token,
        domain=domain,
        session=session,
    )


def send(connect_again: Callable[[], Any], level: Level, sent: pa.Table, client: Any = None) -> Sent:
    """Update the level's records of `sent` (record_id, a column per field, digest) in one ingest job per
    object (Account; Contact and Lead for contacts)."""
    from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

    sf = client if client is not None else connect_again()
    names = [n for n in sent.column_names if n not in ("record_id", "digest")]
    rows = [
        {"Id": str(row["record_id"]), **{n: CLEAR if row[n] is None else str(row[n]) for n in names}}
        for row in sent.to_pylist()  # the job's CSV: simple-salesforce writes it from these rows
    ]
    result = Sent()
    for sobject, mine in _by_object(level, rows).items():
        try:
            try:
                jobs = getattr(sf.bulk2, sobject).update(records=mine, wait=0)
            except SalesforceExpiredSession:  # renewed once; a second expiry is reported
                sf = connect_again()
                jobs = getattr(sf.bulk2, sobject).update(records=mine, wait=0)
        except SalesforceError as e:
            result.failed.update({r["Id"]: f"Salesforce answered {e.status}: {_message(e)}" for r in mine})
            continue
        for job in jobs:
            _read_job(getattr(sf.bulk2, sobject), job["job_id"], result)
        seen = set(result.confirmed) | set(result.failed)
        result.failed.update({r["Id"]: "not processed by the job" for r in mine if r["Id"] not in seen})
    return result


def _by_object(level: Level, rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    if level == "account":
        return {"Account": rows} if rows else {}
    found = {
        "Contact": [r for r in rows if not r["Id"].startswith(LEAD_PREFIX)],
        "Lead": [r for r in rows if r["Id"].startswith(LEAD_PREFIX)],
    }
    return {sobject: mine for sobject, mine in found.items() if mine}


def _read_job(api: Any, job_id: str, result: Sent) -> None:
    """The job's successful records confirmed, its failed ones refused with Salesforce's error."""
    for row in _csv(api.get_successful_records(job_id)):
        result.confirmed.append(row["sf__Id"])
    for row in _csv(api.get_failed_records(job_id)):
        result.failed[row["sf__Id"] or row.get("Id", "")] = row["sf__Error"]


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text))) if text else []


def _message(error: Any) -> str:
    content = getattr(error, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return f"{content[0].get('errorCode', '')} {content[0].get('message', '')}".strip()
    return type(error).__name__
