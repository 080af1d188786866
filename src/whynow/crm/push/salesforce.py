"""Sending a push to Salesforce (SPEC §12): Bulk API 2.0 ingest jobs, operation `update` by Id, through
`simple-salesforce`.

    connect(section) -> Salesforce                 a client: a session token, or username, password and
                                                   security token; 429 and 5xx retried honouring Retry-After
    send(connect, level, sent) -> Iterator[Sent]   one `Sent` per job: the ids Salesforce confirmed, and each
                                                   refused id with Salesforce's error

A contact whose id is a Lead's (prefix 00Q) is updated on the Lead. A record is confirmed only when the job's
successful results list it; its failed results (deleted, no access, a value too long) are reported with
Salesforce's message and left for the next push, as are its unprocessed records and a job that fails.
Bulk calls do not log in again by themselves: an expired session is renewed once (`connect` again) and the
job sent again. NULL is sent as `#N/A`, which Bulk API 2.0 reads as clearing the field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from whynow.crm.push.mapping import Level, crm_objects, objects_of
from whynow.crm.push.transport import Sent, Unreachable, retry
from whynow.model.schema import SalesforcePush

CLEAR = "#N/A"  # Bulk API 2.0: this value sets a field to NULL
JOB_ROWS = 100_000  # records per ingest job: what a push killed mid-job sends again (simple-salesforce
#                    splits a job's upload further to stay under Bulk API 2.0's 150 MB)
POLL_S = 1.0  # seconds before a job's state is first asked; simple-salesforce then backs off


def connect(section: SalesforcePush, backoff_s: float = 1.0) -> Any:
    """A client of the org `section` names, over a session that retries 429 and 5xx on every method,
    honouring Retry-After. Certificates are checked (REQUESTS_CA_BUNDLE, or the system's)."""
    import requests
    from requests.adapters import HTTPAdapter
    from simple_salesforce.api import Salesforce

    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=retry(backoff_s)))
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


def send(
    connect_again: Callable[[], Any], level: Level, sent: pa.Table, client: Any = None, poll_s: float = POLL_S
) -> Iterator[Sent]:
    """Update the level's records of `sent` (record_id, a column per field, digest): one ingest job per object
    (Account; Contact and Lead for contacts) and JOB_ROWS records, one `Sent` per job."""
    from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

    sf = client if client is not None else _reached(connect_again)
    objects = crm_objects("salesforce", level, sent["record_id"])
    for sobject in objects_of("salesforce", level):
        mine = sent.filter(pc.equal(objects, sobject))
        for start in range(0, mine.num_rows, JOB_ROWS):
            rows = _rows(mine.slice(start, JOB_ROWS))
            result = Sent(sobject, sent=len(rows))
            try:
                try:
                    jobs = _reached(getattr(sf.bulk2, sobject).update, records=rows, wait=poll_s)
                except SalesforceExpiredSession:  # renewed once; a second expiry is reported
                    sf = _reached(connect_again)
                    jobs = _reached(getattr(sf.bulk2, sobject).update, records=rows, wait=poll_s)
                for job in jobs:
                    _read_job(getattr(sf.bulk2, sobject), job["job_id"], result)
            except SalesforceExpiredSession as e:
                raise Unreachable(f"Salesforce refused a session renewed a moment ago: {_message(e)}") from None
            except SalesforceError as e:  # after the retries: the job's records are left for the next push
                if "REQUEST_LIMIT_EXCEEDED" in _message(e):  # the org's daily allowance: no later job would pass
                    raise Unreachable(f"Salesforce answered {e.status}: {_message(e)}") from None
                result.failed.update({r["Id"]: f"Salesforce answered {e.status}: {_message(e)}" for r in rows})
            seen = set(result.confirmed) | set(result.failed)
            result.failed.update({r["Id"]: "not processed by the job" for r in rows if r["Id"] not in seen})
            yield result


def _reached(call: Callable[..., Any], **arguments: Any) -> Any:
    """`call(**arguments)`; a login Salesforce refuses, or an org that cannot be reached, stops the push."""
    from requests.exceptions import RequestException
    from simple_salesforce.exceptions import SalesforceAuthenticationFailed

    try:
        return call(**arguments)
    except SalesforceAuthenticationFailed as e:
        raise Unreachable(f"Salesforce refused the login ({e.code}); check the push section's user") from None
    except RequestException as e:  # no answer at all, after the retries
        raise Unreachable(f"Salesforce could not be reached ({type(e).__name__}); check instance_url") from None


def _rows(sent: pa.Table) -> list[dict[str, str]]:
    """The job's records as simple-salesforce writes its CSV from them; NULL as #N/A, which clears a field."""
    names = [n for n in sent.column_names if n not in ("record_id", "digest")]
    return [
        {"Id": str(row["record_id"]), **{n: CLEAR if row[n] is None else str(row[n]) for n in names}}
        for row in sent.to_pylist()
    ]


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
