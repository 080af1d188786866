"""A fake Salesforce org for tests: an HTTPS server on 127.0.0.1 that answers the part of Salesforce's API whynow
uses, so the real `simple-salesforce` client can be tested over the network rather than against a mock of itself.

Packages it needs (declared in pyproject.toml): simple-salesforce (the client under test, 1.12.x) and trustme
(a throwaway certificate authority made at test time, a dev dependency).

What it answers, with the request and response shapes of Salesforce's documentation (SOAP API `login()`,
REST API error bodies, Bulk API 2.0 ingest and query) and of what simple-salesforce 1.12 sends:

* SOAP login, POST .../services/Soap/u/<version>: username + password + security token, answering a
  `loginResponse` with `serverUrl` and `sessionId`, or a SOAP fault INVALID_LOGIN. simple-salesforce posts it to
  `https://{domain}.salesforce.com/services/Soap/u/<version>`; `SalesforceOrg.login_domain` is a `domain` that
  makes that URL land here (`127.0.0.1:<port>/login` gives `https://127.0.0.1:<port>/login.salesforce.com/...`),
  and `SalesforceLogin(..., scratch_url=org.url)` reaches it too.
* A session by token: `org.new_session()` gives an access token for `Salesforce(instance_url=org.url,
  session_id=...)`. A token that is not (or no longer) a session answers 401 INVALID_SESSION_ID.
* Bulk API 2.0 ingest, operation `update` by Id: create, upload CSV, close, poll, abort, delete, and the
  successfulResults / failedResults / unprocessedrecords CSVs. A completed job changes the records held here
  (an empty value leaves a field as it is; `#N/A` clears it, as Salesforce documents for Bulk API 2.0).
* Bulk API 2.0 query: create with `SELECT f1, f2 FROM Object [WHERE <date field> >= <datetime>]`, poll, and
  results as CSV in pages (`maxRecords`, `locator`, the `Sforce-Locator` and `Sforce-NumberOfRecords` headers).
  Field and object names are read in any letter case, as SOQL reads them (the results name the fields as the
  org spells them); a compound field (type address, such as BillingAddress) is refused, as a Bulk query
  refuses it (the code and message are Bulk API 1.0's FUNCTIONALITY_NOT_ENABLED "Selecting compound data not
  supported in Bulk Query"; Bulk API 2.0's exact wording is to be checked against a live org).
* REST describe, GET .../sobjects/<Object>/describe: the object's fields (name, type, length, label), or 404
  NOT_FOUND for an object the org does not have. `define(sobject, fields)` gives the org another object (an
  export's header, for instance), and `add` then keeps its records.

Failure switches: `answer_next` (401 INVALID_SESSION_ID, 429 with Retry-After, 403 REQUEST_LIMIT_EXCEEDED, 500),
`expire_sessions`, `fail_next_jobs` (a job that ends Failed), and per record: `delete` (ENTITY_IS_DELETED),
`deny_access` (INSUFFICIENT_ACCESS_OR_READONLY), a value longer than its field's length in `fields`
(STRING_TOO_LONG). `received` keeps every request (method, path, headers without secrets, body size, status).
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
import re
import secrets
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from tests.receiver import Reply

ORG_ID = "00DFAKE00000000AAA"
USER_ID = "005FAKE00000000AAA"
JSON = {"Content-Type": "application/json;charset=UTF-8"}
CSV = {"Content-Type": "text/csv"}
XML = {"Content-Type": "text/xml;charset=UTF-8"}
SECRET_HEADERS = {"authorization", "cookie"}

# Id prefixes Salesforce gives these objects, so Ids look like the ones whynow will meet.
PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "Task": "00T",
    "Event": "00U",
    "Campaign": "701",
    "CampaignMember": "00v",
    "User": "005",
}
COMPOUND_FIELDS = ("Address", "BillingAddress", "ShippingAddress", "MailingAddress", "OtherAddress")

# The fields each object knows, with their maximum text length (None: not a text field, no limit checked).
# A test adds whynow's own custom fields here, or shortens one to provoke STRING_TOO_LONG.
DEFAULT_FIELDS: dict[str, dict[str, int | None]] = {
    "Account": {"Id": 18, "Name": 255, "Industry": 255, "Description": 32000, "OwnerId": 18},
    "Contact": {"Id": 18, "FirstName": 40, "LastName": 80, "Email": 80, "AccountId": 18, "OwnerId": 18},
    "Lead": {"Id": 18, "FirstName": 40, "LastName": 80, "Company": 255, "Email": 80, "Status": 255, "OwnerId": 18},
}
SYSTEM_FIELDS: dict[str, int | None] = {"CreatedDate": None, "LastModifiedDate": None, "SystemModstamp": None}

Failure = Literal["expired", "rate_limited", "limit_exceeded", "server_error"]


def _stamp(moment: datetime) -> str:
    """A datetime as Salesforce writes it in records and job info: 2024-01-31T09:30:00.000+0000."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _parse_stamp(text: str) -> datetime:
    """A SOQL datetime literal (2024-01-31T09:30:00Z) or a stored stamp, as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _errors(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """The REST API's error body: a JSON list of {message, errorCode}, which simple-salesforce reads as [0]."""
    return Reply(status, json.dumps([{"message": message, "errorCode": code}]), JSON | (headers or {}))


def _csv(header: list[str], rows: list[list[str]]) -> str:
    """CSV as Bulk API 2.0 returns it: every value quoted, LF line endings."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@dataclass
class Seen:
    """One request as the fake received it; the body is kept only as a size (a login's body holds a password)."""

    method: str
    path: str
    headers: dict[str, str]
    body_size: int
    status: int = 0


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


class SalesforceOrg:
    """The org's state: records by object and Id, users, sessions, Bulk API 2.0 jobs, and the failure switches.

    `users` maps a username to the password and security token joined, as the SOAP login receives them.
    `polls_in_progress` is how many job polls answer InProgress before a job completes (the client must poll).
    `query_page_size` is the page size when the client gives no maxRecords.
    """

    def __init__(self) -> None:
        self.records: dict[str, dict[str, dict[str, str]]] = {name: {} for name in DEFAULT_FIELDS}
        self.fields: dict[str, dict[str, int | None]] = {n: dict(f) | SYSTEM_FIELDS for n, f in DEFAULT_FIELDS.items()}
        self.users: dict[str, str] = {"whynow@example.com": "hunter2" + "TOKEN123"}
        self.sessions: set[str] = set()
        self.jobs: dict[str, Job] = {}
        self.deleted: set[str] = set()
        self.read_only: set[str] = set()
        self.received: list[Seen] = []
        self.crashes: list[Exception] = []  # errors inside the fake itself; a test can assert there are none
        self.tls_refusals: list[Exception] = []  # connections whose TLS handshake the client broke off
        self.polls_in_progress = 1
        self.query_page_size = 2000
        self.url = ""
        self.ca_bundle = ""
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._failures: list[Reply] = []
        self._job_failures: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    # --- arranging the org -------------------------------------------------------------------------------------

    def add(self, sobject: str, **values: str) -> str:
        """Keep a new record (its Id made here unless given) and return its Id."""
        with self._lock:
            record_id = values.pop("Id", "") or self._new_id(PREFIXES.get(sobject, "a00"))
            stamp = values.pop("LastModifiedDate", "") or _stamp(self.now())
            self.records[sobject][record_id] = {
                "Id": record_id,
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
            } | values
            return record_id

    def define(self, sobject: str, fields: list[str], system_fields: bool = True) -> None:
        """The org has `sobject` with these fields only (text, no length checked), and the system fields unless
        `system_fields` is False (an org that holds just what an export's header shows, so that reading it
        back gives what the export gives). An object of PREFIXES gets its Ids' prefix, another one 'a00'."""
        with self._lock:
            system = SYSTEM_FIELDS if system_fields else {}
            self.fields[sobject] = dict.fromkeys(["Id", *fields], None) | system
            self.records.setdefault(sobject, {})

    def delete(self, record_id: str) -> None:
        """Move a record to the recycle bin: an update of it then fails with ENTITY_IS_DELETED."""
        with self._lock:
            for records in self.records.values():
                records.pop(record_id, None)
            self.deleted.add(record_id)

    def deny_access(self, *record_ids: str) -> None:
        """The integration user may read these records but not edit them (INSUFFICIENT_ACCESS_OR_READONLY)."""
        self.read_only.update(record_ids)

    def new_session(self) -> str:
        """An access token, as an OAuth flow outside the test would have given whynow."""
        with self._lock:
            token = f"{ORG_ID[:15]}!AQ{secrets.token_urlsafe(24)}"
            self.sessions.add(token)
            return token

    def expire_sessions(self) -> None:
        """Every session ends, as after the org's timeout: API calls answer 401 until the client logs in again."""
        with self._lock:
            self.sessions.clear()

    def answer_next(self, failure: Failure, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` API requests (not logins) fail this way, whatever they ask.

        expired: 401 INVALID_SESSION_ID; rate_limited: 429 with a Retry-After of `retry_after` seconds;
        limit_exceeded: 403 REQUEST_LIMIT_EXCEEDED (the org's daily API allowance is spent); server_error: 500.
        """
        replies: dict[Failure, Reply] = {
            "expired": _errors(401, "INVALID_SESSION_ID", "Session expired or invalid"),
            "rate_limited": _errors(
                429, "REQUEST_LIMIT_EXCEEDED", "Too many requests", {"Retry-After": str(retry_after)}
            ),
            "limit_exceeded": _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
            "server_error": _errors(
                500,
                "UNKNOWN_EXCEPTION",
                "An unexpected error occurred. Please include this ErrorId if you contact support: 1-2 (-3)",
            ),
        }
        with self._lock:
            self._failures.extend([replies[failure]] * times)

    def fail_next_jobs(self, times: int = 1, message: str = "InvalidBatch : Failed to process the job") -> None:
        """The next `times` jobs end in state Failed with this errorMessage, processing no record."""
        with self._lock:
            self._job_failures.extend([message] * times)

    def requests_to(self, fragment: str) -> list[Seen]:
        """The requests received whose path contains `fragment`, in order."""
        return [seen for seen in self.received if fragment in seen.path]

    @property
    def login_domain(self) -> str:
        """A `domain` for simple-salesforce's password login that makes its login URL land on this server."""
        return self.url.removeprefix("https://") + "/login"

    # --- answering -----------------------------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        """The reply to one request; the server calls this from its handler threads."""
        parts = urlsplit(target)
        path, query = parts.path.rstrip("/"), {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            soap = re.search(r"/services/Soap/u/(\d+\.\d+)$", path)
            if soap and method == "POST":
                return self._login(soap.group(1), body)
            api = re.match(r"/services/data/v(\d+\.\d+)/jobs/(ingest|query)(?:/(\w+))?(?:/(\w+))?$", path)
            if self._failures:
                return self._failures.pop(0)
            bearer = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
            if bearer.removeprefix("Bearer ") not in self.sessions:
                return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
            describe = re.match(r"/services/data/v\d+\.\d+/sobjects/(\w+)/describe$", path)
            if describe and method == "GET":
                return self._describe(describe.group(1))
            if api is None:
                return _errors(404, "NOT_FOUND", "The requested resource does not exist")
            version, kind, job_id, tail = api.groups()
            if job_id is None:
                if method != "POST":
                    return _errors(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are POST")
                return self._create_job(kind, version, body)
            job = self.jobs.get(job_id)
            if job is None or job.kind != kind:
                return _errors(404, "NOT_FOUND", "The requested resource does not exist")
            return self._job_request(job, method, (tail or "").lower(), body, query)

    def _describe(self, sobject: str) -> Reply:
        """The describe of an sObject: its fields with name, type, length and label (the parts whynow reads)."""
        name = self._object_name(sobject)
        if name is None:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        fields = [
            {
                "name": field_name,
                "label": field_name,
                "type": "id" if field_name == "Id" else "address" if field_name in COMPOUND_FIELDS else "string",
                "length": length or 0,
                "nillable": field_name != "Id",
            }
            for field_name, length in self.fields[name].items()
        ]
        return Reply(200, json.dumps({"name": name, "label": name, "queryable": True, "fields": fields}), JSON)

    def _object_name(self, sobject: str) -> str | None:
        """An sObject's name as the org spells it, found in any letter case."""
        return next((name for name in self.fields if name.lower() == sobject.lower()), None)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}FAKE{next(self._ids):08d}AAA"

    def _login(self, version: str, body: bytes) -> Reply:
        """The SOAP API login(): a loginResponse with the session, or an INVALID_LOGIN fault (HTTP 500)."""
        partner = "{urn:partner.soap.sforce.com}"
        root = ElementTree.fromstring(body)
        username, password = root.findtext(f".//{partner}username"), root.findtext(f".//{partner}password")
        if username is None or self.users.get(username) != password:
            fault = (
                '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
                'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com"'
                ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
                "<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, "
                'security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault">'
                "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, "
                "security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail>"
                "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
            )
            return Reply(500, fault, XML)
        session = self.new_session()
        result = (
            f"<metadataServerUrl>{self.url}/services/Soap/m/{version}/{ORG_ID}</metadataServerUrl>"
            "<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
            f"<serverUrl>{self.url}/services/Soap/u/{version}/{ORG_ID}</serverUrl>"
            f"<sessionId>{escape(session)}</sessionId><userId>{USER_ID}</userId>"
            f"<userInfo><organizationId>{ORG_ID}</organizationId><userName>{escape(username)}</userName></userInfo>"
        )
        envelope = (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>'
            f"{result}</result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        return Reply(200, envelope, XML)

    def _create_job(self, kind: str, version: str, body: bytes) -> Reply:
        """Create Job (ingest: state Open, with its contentUrl) or Create a Query Job (state UploadComplete)."""
        try:
            spec = json.loads(body)
        except ValueError:
            return _errors(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        if spec.get("contentType", "CSV") != "CSV" or spec.get("columnDelimiter", "COMMA") != "COMMA":
            return _errors(400, "INVALIDJOB", "The fake takes CSV with COMMA delimiters only")
        if spec.get("lineEnding", "LF") != "LF":
            return _errors(400, "INVALIDJOB", "The fake takes LF line endings only")
        job_id = self._new_id("750")
        created = _stamp(self.now())
        if kind == "ingest":
            if spec.get("operation") != "update":
                return _errors(400, "INVALIDJOB", f"The fake supports operation update, not {spec.get('operation')}")
            if spec.get("object") not in self.records:
                return _errors(400, "INVALIDJOB", f"sObject type '{spec.get('object')}' is not supported.")
            job = Job(job_id, "ingest", "update", spec["object"], version, created, "Open")
            self.jobs[job_id] = job
            content_url = f"services/data/v{version}/jobs/ingest/{job_id}/batches"
            return Reply(200, json.dumps(job.summary() | {"contentUrl": content_url}), JSON)
        if spec.get("operation") not in ("query", "queryAll"):
            return _errors(400, "INVALIDJOB", f"Unknown operation {spec.get('operation')} for a query job")
        parsed = self._parse_soql(spec.get("query", ""))
        if isinstance(parsed, Reply):
            return parsed
        sobject, _, _ = parsed
        job = Job(job_id, "query", spec["operation"], sobject, version, created, "UploadComplete", query=spec["query"])
        self.jobs[job_id] = job
        return Reply(200, json.dumps(job.summary()), JSON)

    def _job_request(self, job: Job, method: str, tail: str, body: bytes, query: dict[str, str]) -> Reply:
        """Everything under /jobs/{kind}/{id}: upload, close or abort, poll, delete, and the results."""
        if tail == "" and method == "GET":
            self._advance(job)
            return Reply(200, json.dumps(job.info()), JSON)
        if tail == "" and method == "PATCH":
            state = json.loads(body or b"{}").get("state")
            allowed = {"UploadComplete": job.kind == "ingest" and job.state == "Open"}
            allowed["Aborted"] = job.state in ("Open", "UploadComplete", "InProgress")
            if not allowed.get(state, False):
                return _errors(400, "INVALIDJOBSTATE", f"Job {job.id} in state {job.state} can't become {state}")
            job.state = state
            if state == "UploadComplete":
                job.fail_with = self._job_failures.pop(0) if self._job_failures else None
            return Reply(200, json.dumps(job.summary()), JSON)
        if tail == "" and method == "DELETE":
            del self.jobs[job.id]
            return Reply(204, "", {})
        if job.kind == "ingest" and tail == "batches" and method == "PUT":
            if job.state != "Open":
                return _errors(409, "INVALIDJOBSTATE", f"Job {job.id} is not Open; it is {job.state}")
            job.data += body.decode("utf-8") if not job.data else body.decode("utf-8").split("\n", 1)[-1]
            return Reply(201, "", {})
        if job.kind == "ingest" and method == "GET" and tail in ("successfulresults", "failedresults"):
            rows = job.successful if tail == "successfulresults" else job.failed
            marker = "sf__Created" if tail == "successfulresults" else "sf__Error"
            return Reply(200, _csv(["sf__Id", marker, *job.header], rows), CSV)
        if job.kind == "ingest" and method == "GET" and tail == "unprocessedrecords":
            return Reply(200, _csv(job.header, job.unprocessed), CSV)
        if job.kind == "query" and method == "GET" and tail == "results":
            return self._query_page(job, query)
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")

    def _advance(self, job: Job) -> None:
        """A poll moves a closed job along: InProgress for `polls_in_progress` polls, then processed."""
        if job.state not in ("UploadComplete", "InProgress"):
            return
        if job.polls < self.polls_in_progress:
            job.polls += 1
            job.state = "InProgress"
            return
        if job.kind == "query" and job.fail_with is None and self._job_failures:
            job.fail_with = self._job_failures.pop(0)
        if job.fail_with is not None:
            job.state, job.error_message = "Failed", job.fail_with
            job.header, *rows = list(csv.reader(io.StringIO(job.data))) or [[]]
            job.unprocessed = rows
            return
        (self._process_update if job.kind == "ingest" else self._run_query)(job)

    def _process_update(self, job: Job) -> None:
        """Apply an update job's rows to the records: each row succeeds or fails on its own, as in Salesforce."""
        rows = list(csv.reader(io.StringIO(job.data)))
        job.header, body = (rows[0], rows[1:]) if rows else ([], [])
        known = self.fields[job.sobject]
        unknown = [name for name in job.header if name not in known]
        if unknown:
            job.state, job.error_message = "Failed", f"InvalidBatch : Field name not found : {unknown[0]}"
            job.unprocessed = body
            return
        records, stamp = self.records[job.sobject], _stamp(self.now())
        for row in body:
            values = dict(zip(job.header, row, strict=False))
            record_id = values.get("Id", "")
            error = self._row_error(job.sobject, record_id, values)
            if error:
                job.failed.append([record_id, error, *row])
                continue
            # Bulk API 2.0's CSV: an empty value leaves the field as it is, #N/A sets it to null
            changes = {name: value for name, value in values.items() if name != "Id" and value not in ("", "#N/A")}
            cleared = [name for name, value in values.items() if value == "#N/A"]
            kept = {name: value for name, value in records[record_id].items() if name not in cleared}
            records[record_id] = kept | changes | {"LastModifiedDate": stamp, "SystemModstamp": stamp}
            job.successful.append([record_id, "false", *row])
        job.state = "JobComplete"

    def _row_error(self, sobject: str, record_id: str, values: dict[str, str]) -> str:
        """The sf__Error text for one row of an update, or "" when it succeeds."""
        if not record_id:
            return "MISSING_ARGUMENT:Id not specified in an update call:--"
        if record_id in self.deleted:
            return "ENTITY_IS_DELETED:entity is deleted:--"
        if record_id not in self.records[sobject]:
            return "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--"
        if record_id in self.read_only:
            return "INSUFFICIENT_ACCESS_OR_READONLY:insufficient access rights on object id:--"
        for name, value in values.items():
            limit = self.fields[sobject].get(name)
            if limit is not None and len(value) > limit:
                return f"STRING_TOO_LONG:{name}: data value too large: {value} (max length={limit}):{name} --"
        return ""

    def _parse_soql(self, soql: str) -> tuple[str, list[str], tuple[str, str, datetime] | None] | Reply:
        """The SOQL subset whynow sends: SELECT f1, f2 FROM Object [WHERE <datetime field> <op> <datetime>]."""
        found = re.fullmatch(
            r"\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s*(>=|<=|>|<|=)\s*(\S+))?\s*",
            soql,
            flags=re.IGNORECASE | re.DOTALL,
        )
        if found is None:
            return _errors(400, "MALFORMED_QUERY", f"The fake does not understand this SOQL: {soql}")
        columns, asked, where_field, operator, literal = found.groups()
        sobject = self._object_name(asked)
        if sobject is None:
            return _errors(400, "INVALID_TYPE", f"sObject type '{asked}' is not supported.")
        spelled = {name.lower(): name for name in self.fields[sobject]}
        names = [name.strip() for name in columns.split(",")]
        for name in [*names, *([where_field] if where_field else [])]:
            if name.lower() not in spelled:
                return _errors(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'.")
            if spelled[name.lower()] in COMPOUND_FIELDS:
                message = "Selecting compound data not supported in Bulk Query"
                return _errors(400, "FUNCTIONALITY_NOT_ENABLED", message)
        names = [spelled[name.lower()] for name in names]
        where_field = spelled[where_field.lower()] if where_field else None
        if where_field is None:
            return sobject, names, None
        if where_field not in SYSTEM_FIELDS:
            return _errors(400, "MALFORMED_QUERY", f"The fake filters on {', '.join(SYSTEM_FIELDS)} only")
        try:
            return sobject, names, (where_field, operator, _parse_stamp(literal))
        except ValueError:
            return _errors(
                400, "MALFORMED_QUERY", f"value of filter criterion for field '{where_field}' must be a date"
            )

    def _run_query(self, job: Job) -> None:
        """Run a query job against the records held now (by Id, so pages are stable)."""
        parsed = self._parse_soql(job.query)
        assert not isinstance(parsed, Reply)  # it parsed when the job was created
        sobject, names, where = parsed
        compare: dict[str, Callable[[datetime, datetime], bool]] = {
            ">=": lambda a, b: a >= b,
            ">": lambda a, b: a > b,
            "<=": lambda a, b: a <= b,
            "<": lambda a, b: a < b,
            "=": lambda a, b: a == b,
        }
        rows = []
        for record_id in sorted(self.records[sobject]):
            record = self.records[sobject][record_id]
            if where and not compare[where[1]](_parse_stamp(record[where[0]].replace("+0000", "+00:00")), where[2]):
                continue
            rows.append([record.get(name, "") for name in names])
        job.result_header, job.result_rows, job.state = names, rows, "JobComplete"

    def _query_page(self, job: Job, query: dict[str, str]) -> Reply:
        """One page of a query's results; Sforce-Locator names the next page, or is "null" on the last."""
        if job.state != "JobComplete":
            message = f"can only download query results of successfully completed bulk job. Current state: {job.state}"
            return _errors(412, "JOB_NOT_COMPLETE", message)
        try:
            start = int(base64.b64decode(query["locator"] + "==")) if "locator" in query else 0
        except ValueError:
            return _errors(400, "INVALID_LOCATOR", f"Invalid locator: {query['locator']}")
        size = int(query.get("maxRecords", self.query_page_size))
        page = job.result_rows[start : start + size]
        after = start + len(page)
        locator = base64.b64encode(str(after).encode()).decode().rstrip("=") if after < len(job.result_rows) else "null"
        headers = CSV | {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(page))}
        return Reply(200, _csv(job.result_header, page), headers)


@contextmanager
def serve_org(org: SalesforceOrg | None = None) -> Iterator[SalesforceOrg]:
    """Serve `org` (a new one by default) over HTTPS on 127.0.0.1 until the block ends.

    The certificate comes from a certificate authority made here with trustme and thrown away afterwards;
    `org.ca_bundle` is its PEM file, for REQUESTS_CA_BUNDLE, so the client checks the certificate as usual.
    """
    import trustme

    state = org or SalesforceOrg()
    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as requests' session pools connections

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = dict(self.headers.items())
            seen = Seen(
                self.command,
                self.path,
                {k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS},
                len(body),
            )
            state.received.append(seen)
            try:
                reply = state.answer(self.command, self.path, headers, body)
            except Exception as crash:  # a bug in the fake: answer as Salesforce would, and keep it for the test
                state.crashes.append(crash)
                reply = _errors(500, "UNKNOWN_EXCEPTION", f"The fake crashed: {crash!r}")
            seen.status = reply.status
            time.sleep(reply.delay_s)
            content = reply.body.encode()
            try:
                self.send_response(reply.status)
                extra = {"Sforce-Limit-Info": f"api-usage={len(state.received)}/15000"}
                for name, value in (reply.headers | extra).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up
                pass

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, *_: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            """A client that refused the certificate is kept in `tls_refusals`, not printed; anything else crashed."""
            error = sys.exc_info()[1]
            if isinstance(error, ssl.SSLError | ConnectionResetError):
                state.tls_refusals.append(error)
            elif isinstance(error, Exception):
                state.crashes.append(error)

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # The handshake happens in the handler's thread, on first read, so one slow client can't stall accept().
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"https://127.0.0.1:{server.server_address[1]}"
    try:
        with authority.cert_pem.tempfile() as bundle:
            state.ca_bundle = bundle
            yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
