"""Bulk API 2.0 jobs for the fake Salesforce org (tests/fakes/salesforce.py): a job and its descriptions, a query
run over the records held, its results in pages, and the REST API's error and CSV bodies, with the shapes of
Salesforce's Bulk API 2.0 documentation and of what simple-salesforce 1.12 reads."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from tests.receiver import Reply

USER_ID = "005FAKE00000000AAA"
JSON = {"Content-Type": "application/json;charset=UTF-8"}
CSV = {"Content-Type": "text/csv"}


def stamp_of(moment: datetime) -> str:
    """A datetime as Salesforce writes it in records and job info: 2024-01-31T09:30:00.000+0000."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def parse_stamp(text: str) -> datetime:
    """A SOQL datetime literal (2024-01-31T09:30:00Z) or a stored stamp, as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def error_reply(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """The REST API's error body: a JSON list of {message, errorCode}, which simple-salesforce reads as [0]."""
    return Reply(status, json.dumps([{"message": message, "errorCode": code}]), JSON | (headers or {}))


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    """CSV as Bulk API 2.0 returns it: every value quoted, LF line endings."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@dataclass
class Job:
    """A Bulk API 2.0 job (ingest or query) and what came of it."""

    id: str
    kind: Literal["ingest", "query"]
    operation: str
    sobject: str
    api_version: str
    created: str
    state: str
    query: str = ""
    data: str = ""
    polls: int = 0
    fail_with: str | None = None
    error_message: str = ""
    header: list[str] = field(default_factory=list)
    successful: list[list[str]] = field(default_factory=list)
    failed: list[list[str]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)
    result_header: list[str] = field(default_factory=list)
    result_rows: list[list[str]] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        """The job's description as Create Job and a change of state (close, abort) answer it."""
        return {
            "id": self.id,
            "operation": self.operation,
            "object": self.sobject,
            "createdById": USER_ID,
            "createdDate": self.created,
            "systemModstamp": self.created,
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }

    def info(self) -> dict[str, object]:
        """The job info body (Get Job Info): the summary with the job type and the processing counts."""
        found = self.summary() | {"jobType": "V2Ingest" if self.kind == "ingest" else "V2Query", "retries": 0}
        found["totalProcessingTime"] = 0
        if self.kind == "ingest" and self.state == "Open":
            found["contentUrl"] = f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches"
        if self.kind == "ingest":
            found["numberRecordsProcessed"] = len(self.successful) + len(self.failed)
            found["numberRecordsFailed"] = len(self.failed)
            found |= {"apiActiveProcessingTime": 0, "apexProcessingTime": 0}
        else:
            found["numberRecordsProcessed"] = len(self.result_rows)
        if self.state == "Failed":
            found["errorMessage"] = self.error_message
        return found


def run_query(
    job: Job, records: dict[str, dict[str, str]], names: list[str], where: tuple[str, str, datetime] | None
) -> None:
    """Run a query job against `records` (by Id, so pages are stable): `names`' values of each record that
    `where` (field, operator, moment) keeps."""
    compare: dict[str, Callable[[datetime, datetime], bool]] = {
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b,
        "=": lambda a, b: a == b,
    }
    rows = []
    for record_id in sorted(records):
        record = records[record_id]
        if where and not compare[where[1]](parse_stamp(record[where[0]].replace("+0000", "+00:00")), where[2]):
            continue
        rows.append([record.get(name, "") for name in names])
    job.result_header, job.result_rows, job.state = names, rows, "JobComplete"


def query_page(job: Job, query: dict[str, str], page_size: int) -> Reply:
    """One page of a query's results; Sforce-Locator names the next page, or is "null" on the last."""
    if job.state != "JobComplete":
        message = f"can only download query results of successfully completed bulk job. Current state: {job.state}"
        return error_reply(412, "JOB_NOT_COMPLETE", message)
    try:
        start = int(base64.b64decode(query["locator"] + "==")) if "locator" in query else 0
    except ValueError:
        return error_reply(400, "INVALID_LOCATOR", f"Invalid locator: {query['locator']}")
    size = int(query.get("maxRecords", page_size))
    page = job.result_rows[start : start + size]
    after = start + len(page)
    locator = base64.b64encode(str(after).encode()).decode().rstrip("=") if after < len(job.result_rows) else "null"
    headers = CSV | {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(page))}
    return Reply(200, csv_text(job.result_header, page), headers)
