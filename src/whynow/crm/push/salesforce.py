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

import io
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from whynow.crm.push.mapping import Level, crm_objects, objects_of
from whynow.crm.push.transport import Sent, Unreachable, retry
from whynow.model.schema import SalesforcePush

CLEAR = "#N/A"  # Bulk API 2.0: this value sets a field to NULL
JOB_ROWS = 250_000  # records per ingest job at most: what a push killed mid-job sends again
JOB_BYTES = 50 * 1024 * 1024  # CSV per job at most: Bulk API 2.0 takes 150 MB an upload, base64 included
POLL_S = 0.5  # seconds before a job's state is first asked; simple-salesforce then backs off


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
    """Update the level's records of `sent` (record_id, a column per field, digest): ingest jobs per object
    (Account; Contact and Lead for contacts) of at most JOB_ROWS records and JOB_BYTES of CSV, one `Sent` per
    job."""
    from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession, SalesforceOperationError

    sf = client if client is not None else _reached(connect_again)
    objects = crm_objects("salesforce", level, sent["record_id"])
    with tempfile.TemporaryDirectory(prefix="whynow-push-") as folder:
        for sobject in objects_of("salesforce", level):
            for chunk in _jobs(sent.filter(pc.equal(objects, sobject))):
                file = _write_csv(chunk, Path(folder) / f"{sobject}.csv")
                result = Sent(sobject, sent=chunk.num_rows)
                upload = {"csv_file": str(file), "batch_size": chunk.num_rows, "wait": poll_s}
                try:
                    try:
                        jobs = _reached(getattr(sf.bulk2, sobject).update, **upload)
                    except SalesforceExpiredSession:  # renewed once; a second expiry is reported
                        sf = _reached(connect_again)
                        jobs = _reached(getattr(sf.bulk2, sobject).update, **upload)
                    for job in jobs:
                        _read_job(getattr(sf.bulk2, sobject), job["job_id"], result)
                except SalesforceExpiredSession as e:
                    raise Unreachable(f"Salesforce refused a session renewed a moment ago: {_message(e)}") from None
                except SalesforceError as e:  # after the retries: the job's records are left for the next push
                    if "REQUEST_LIMIT_EXCEEDED" in _message(e):  # the daily allowance: no later job would pass
                        raise Unreachable(f"Salesforce answered {e.status}: {_message(e)}") from None
                    result.failed = _each(chunk, f"Salesforce answered {e.status}: {_message(e)}")
                except SalesforceOperationError as e:  # the job ended Failed (or was refused before it began)
                    result.failed = _each(chunk, f"the job failed: {e}")
                done = pa.array([*result.confirmed, *result.failed], pa.string())
                result.failed |= _each(chunk.filter(pc.invert(pc.is_in(chunk["record_id"], done))), "not processed")
                yield result


def _jobs(mine: pa.Table) -> Iterator[pa.Table]:
    """`mine` cut into jobs of at most JOB_ROWS records whose CSV is at most JOB_BYTES (each row's size
    bounded from above: its values' bytes, quotes doubled, two quotes and a separator each)."""
    names = [n for n in mine.column_names if n != "digest"]
    size = np.zeros(mine.num_rows, dtype=np.int64)
    for name in names:
        text = pc.fill_null(mine[name], CLEAR)
        quotes = pc.count_substring(text, '"')
        size += np.asarray(pc.add(pc.add(pc.binary_length(text), quotes), 3).to_numpy(zero_copy_only=False))
    start = 0
    while start < mine.num_rows:
        ends = np.cumsum(size[start : start + JOB_ROWS])
        rows = max(1, int(np.searchsorted(ends, JOB_BYTES, side="right")))
        yield mine.slice(start, rows)
        start += rows


def _write_csv(chunk: pa.Table, file: Path) -> Path:
    """The job's CSV: Id and the fields, as Bulk API 2.0 reads them (LF line ends; #N/A clears a field: NULL,
    and the empty text, which Salesforce would read as "leave it")."""
    names = [n for n in chunk.column_names if n not in ("record_id", "digest")]
    values = {n: pc.fill_null(pc.if_else(pc.equal(chunk[n], ""), None, chunk[n]), CLEAR) for n in names}
    with file.open("wb") as out:
        out.write((",".join(["Id", *names]) + "\n").encode())
        pa_csv.write_csv(pa.table({"Id": chunk["record_id"], **values}), out, pa_csv.WriteOptions(include_header=False))
    return file


def _each(records: pa.Table, message: str) -> dict[str, str]:
    return dict.fromkeys(records["record_id"].to_pylist(), message)


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


def _read_job(api: Any, job_id: str, result: Sent) -> None:
    """The job's successful records confirmed, its failed ones refused with Salesforce's error."""
    confirmed = _results(api.get_successful_records(job_id), ["sf__Id"])
    result.confirmed += confirmed["sf__Id"].to_pylist()
    failed = _results(api.get_failed_records(job_id), ["sf__Id", "sf__Error", "Id"])
    given = pc.if_else(pc.equal(failed["sf__Id"], ""), pa.scalar(None, pa.string()), failed["sf__Id"])
    ids = pc.coalesce(given, failed["Id"], pa.scalar("", pa.string()))  # a row without sf__Id: its own Id
    result.failed |= dict(zip(ids.to_pylist(), failed["sf__Error"].to_pylist(), strict=True))


def _results(text: str, columns: list[str]) -> pa.Table:
    """Columns of a job's results CSV, as text (a column it lacks: NULL; an empty answer: no rows)."""
    if not text.strip():
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    options = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(columns, pa.string()), include_columns=columns, include_missing_columns=True
    )
    return pa_csv.read_csv(io.BytesIO(text.encode()), convert_options=options)


def _message(error: Any) -> str:
    content = getattr(error, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return f"{content[0].get('errorCode', '')} {content[0].get('message', '')}".strip()
    return type(error).__name__
