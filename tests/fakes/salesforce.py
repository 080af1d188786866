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

Jobs, query pages and the error and CSV bodies are in tests/fakes/bulk.py; the server is tests/fakes/serving.py.

Failure switches: `answer_next` (401 INVALID_SESSION_ID, 429 with Retry-After, 403 REQUEST_LIMIT_EXCEEDED, 500),
`expire_sessions`, `fail_next_jobs` (a job that ends Failed), and per record: `delete` (ENTITY_IS_DELETED),
`deny_access` (INSUFFICIENT_ACCESS_OR_READONLY), a value longer than its field's length in `fields`
(STRING_TOO_LONG). `received` keeps every request (method, path, headers without secrets, body size, status).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import secrets
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from tests.fakes.bulk import (
    CSV,
    JSON,
    USER_ID,
    Job,
    csv_text,
    error_reply,
    parse_stamp,
    query_page,
    run_query,
    stamp_of,
)
from tests.fakes.serving import Answer, serving
from tests.receiver import Reply

ORG_ID = "00DFAKE00000000AAA"
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


@dataclass
class Seen:
    """One request as the fake received it; the body is kept only as a size (a login's body holds a password)."""

    method: str
    path: str
    headers: dict[str, str]
    body_size: int
    status: int = 0


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
            stamp = values.pop("LastModifiedDate", "") or stamp_of(self.now())
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
            "expired": error_reply(401, "INVALID_SESSION_ID", "Session expired or invalid"),
            "rate_limited": error_reply(
                429, "REQUEST_LIMIT_EXCEEDED", "Too many requests", {"Retry-After": str(retry_after)}
            ),
            "limit_exceeded": error_reply(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
            "server_error": error_reply(
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
                return error_reply(401, "INVALID_SESSION_ID", "Session expired or invalid")
            describe = re.match(r"/services/data/v\d+\.\d+/sobjects/(\w+)/describe$", path)
            if describe and method == "GET":
                return self._describe(describe.group(1))
            if api is None:
                return error_reply(404, "NOT_FOUND", "The requested resource does not exist")
            version, kind, job_id, tail = api.groups()
            if job_id is None:
                if method != "POST":
                    return error_reply(
                        405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are POST"
                    )
                return self._create_job(kind, version, body)
            job = self.jobs.get(job_id)
            if job is None or job.kind != kind:
                return error_reply(404, "NOT_FOUND", "The requested resource does not exist")
            return self._job_request(job, method, (tail or "").lower(), body, query)

    def _describe(self, sobject: str) -> Reply:
        """The describe of an sObject: its fields with name, type, length and label (the parts whynow reads)."""
        name = self._object_name(sobject)
        if name is None:
            return error_reply(404, "NOT_FOUND", "The requested resource does not exist")
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
            return error_reply(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        if spec.get("contentType", "CSV") != "CSV" or spec.get("columnDelimiter", "COMMA") != "COMMA":
            return error_reply(400, "INVALIDJOB", "The fake takes CSV with COMMA delimiters only")
        if spec.get("lineEnding", "LF") != "LF":
            return error_reply(400, "INVALIDJOB", "The fake takes LF line endings only")
        job_id = self._new_id("750")
        created = stamp_of(self.now())
        if kind == "ingest":
            if spec.get("operation") != "update":
                return error_reply(
                    400, "INVALIDJOB", f"The fake supports operation update, not {spec.get('operation')}"
                )
            if spec.get("object") not in self.records:
                return error_reply(400, "INVALIDJOB", f"sObject type '{spec.get('object')}' is not supported.")
            job = Job(job_id, "ingest", "update", spec["object"], version, created, "Open")
            self.jobs[job_id] = job
            content_url = f"services/data/v{version}/jobs/ingest/{job_id}/batches"
            return Reply(200, json.dumps(job.summary() | {"contentUrl": content_url}), JSON)
        if spec.get("operation") not in ("query", "queryAll"):
            return error_reply(400, "INVALIDJOB", f"Unknown operation {spec.get('operation')} for a query job")
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
                return error_reply(400, "INVALIDJOBSTATE", f"Job {job.id} in state {job.state} can't become {state}")
            job.state = state
            if state == "UploadComplete":
                job.fail_with = self._job_failures.pop(0) if self._job_failures else None
            return Reply(200, json.dumps(job.summary()), JSON)
        if tail == "" and method == "DELETE":
            del self.jobs[job.id]
            return Reply(204, "", {})
        if job.kind == "ingest" and tail == "batches" and method == "PUT":
            if job.state != "Open":
                return error_reply(409, "INVALIDJOBSTATE", f"Job {job.id} is not Open; it is {job.state}")
            job.data += body.decode("utf-8") if not job.data else body.decode("utf-8").split("\n", 1)[-1]
            return Reply(201, "", {})
        if job.kind == "ingest" and method == "GET" and tail in ("successfulresults", "failedresults"):
            rows = job.successful if tail == "successfulresults" else job.failed
            marker = "sf__Created" if tail == "successfulresults" else "sf__Error"
            return Reply(200, csv_text(["sf__Id", marker, *job.header], rows), CSV)
        if job.kind == "ingest" and method == "GET" and tail == "unprocessedrecords":
            return Reply(200, csv_text(job.header, job.unprocessed), CSV)
        if job.kind == "query" and method == "GET" and tail == "results":
            return self._query_page(job, query)
        return error_reply(404, "NOT_FOUND", "The requested resource does not exist")

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
        records, stamp = self.records[job.sobject], stamp_of(self.now())
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
            return error_reply(400, "MALFORMED_QUERY", f"The fake does not understand this SOQL: {soql}")
        columns, asked, where_field, operator, literal = found.groups()
        sobject = self._object_name(asked)
        if sobject is None:
            return error_reply(400, "INVALID_TYPE", f"sObject type '{asked}' is not supported.")
        spelled = {name.lower(): name for name in self.fields[sobject]}
        names = [name.strip() for name in columns.split(",")]
        for name in [*names, *([where_field] if where_field else [])]:
            if name.lower() not in spelled:
                return error_reply(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'.")
            if spelled[name.lower()] in COMPOUND_FIELDS:
                message = "Selecting compound data not supported in Bulk Query"
                return error_reply(400, "FUNCTIONALITY_NOT_ENABLED", message)
        names = [spelled[name.lower()] for name in names]
        where_field = spelled[where_field.lower()] if where_field else None
        if where_field is None:
            return sobject, names, None
        if where_field not in SYSTEM_FIELDS:
            return error_reply(400, "MALFORMED_QUERY", f"The fake filters on {', '.join(SYSTEM_FIELDS)} only")
        try:
            return sobject, names, (where_field, operator, parse_stamp(literal))
        except ValueError:
            return error_reply(
                400, "MALFORMED_QUERY", f"value of filter criterion for field '{where_field}' must be a date"
            )

    def _run_query(self, job: Job) -> None:
        """Run a query job against the records held now (by Id, so pages are stable)."""
        parsed = self._parse_soql(job.query)
        assert not isinstance(parsed, Reply)  # it parsed when the job was created
        sobject, names, where = parsed
        run_query(job, self.records[sobject], names, where)

    def _query_page(self, job: Job, query: dict[str, str]) -> Reply:
        return query_page(job, query, self.query_page_size)


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

    def respond(method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        seen = Seen(method, target, {k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}, len(body))
        state.received.append(seen)
        try:
            reply = state.answer(method, target, headers, body)
        except Exception as crash:  # a bug in the fake: answer as Salesforce would, and keep it for the test
            state.crashes.append(crash)
            reply = error_reply(500, "UNKNOWN_EXCEPTION", f"The fake crashed: {crash!r}")
        seen.status = reply.status
        time.sleep(reply.delay_s)
        extra = {"Sforce-Limit-Info": f"api-usage={len(state.received)}/15000"}
        return reply.status, reply.body.encode(), reply.headers | extra

    def broken(error: BaseException) -> None:
        """A client that refused the certificate is kept in `tls_refusals`, not printed; anything else crashed."""
        if isinstance(error, ssl.SSLError | ConnectionResetError):
            state.tls_refusals.append(error)
        elif isinstance(error, Exception):
            state.crashes.append(error)

    with serving(respond, context, broken) as url, authority.cert_pem.tempfile() as bundle:
        state.url, state.ca_bundle = url, bundle
        yield state
