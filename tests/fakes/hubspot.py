"""A fake HubSpot portal: a real HTTP server on 127.0.0.1 that answers the few CRM v3 endpoints whynow uses.

Why a server and not a mock: issue #25 pushes results into HubSpot and imports from it through the official
`hubspot-api-client`; the tests let that real client build its requests, send them over TCP and parse the
answers, so a change in the client (a renamed field, a status it no longer accepts) shows up here.

Packages it needs (declared in pyproject.toml): `hubspot-api-client` 12.x (it brings urllib3, which does the
retries).

What the fake answers (CRM v3, with the request and response shapes of HubSpot's API reference and of the
client's generated models, `hubspot/crm/*/models`):

* every request: `Authorization: Bearer <token>` (a private app's token); another token, or none, is HubSpot's
  401 with category INVALID_AUTHENTICATION.
* `POST /crm/v3/objects/{companies|contacts|deals}/batch/update` with `{"inputs": [{"id", "properties"}]}`:
  at most 100 inputs (more is a 400 VALIDATION_ERROR); 200 `{"status": "COMPLETE", "results": [...]}` when
  every record is updated, 207 Multi-Status with `errors` and `numErrors` when some fail; the other records of
  that batch are updated (HubSpot's changelog: 200 when fully successful, 207 when one or more fail).
* `GET /crm/v3/objects/{type}` with `limit`, `after`, `properties`, `associations` for companies, contacts,
  deals and the engagement objects calls, emails, meetings, notes and tasks: `results` and
  `paging.next.after` (an opaque cursor). The import reads engagements as these v3 objects, each with
  `associations=contacts,companies`, rather than the legacy /engagements/v1 API the client no longer covers.
* `GET /crm/v3/owners/` with `limit`, `after`, `email`.
* `GET /crm/v3/pipelines/deals`: every deal pipeline with its stages, unpaged (`results` only, the client's
  CollectionResponsePipelineNoPaging). A stage's `metadata` holds text, as HubSpot sends it: `isClosed`
  ("true"/"false") and `probability` ("0.2", "1.0"). A portal starts with HubSpot's default deal pipeline
  (id "default", "Sales Pipeline", appointmentscheduled … closedwon, closedlost); `add_pipeline` adds one,
  `pipelines` holds them all.

Failure switches: `fail_next(429 | 500 | 401 | 403, times=N, retry_after=S)` answers the next N requests with
that error (429 with `Retry-After` and HubSpot's RATE_LIMIT body); `fail_records(ids, reason)` makes those
records fail inside a batch; `delete` removes a record (a deleted record then fails as OBJECT_NOT_FOUND);
`max_length` sets a property's longest value (65,536 characters, HubSpot's limit for text, by default), and
`too_long_fails_batch` makes a too-long value refuse the whole batch with 400 instead. `defined` names the
properties a portal has per object type: a list then leaves out a requested property the portal does not
have (HubSpot's reference: "If any of the specified properties are not present on the requested object(s),
they will be ignored"), where an unset one it has is null.
`received` keeps every request (method, path, query, JSON body, headers without the token).

Point the client at the fake with its configuration's host: `HubSpot(access_token=portal.token,
host=portal.url)`; whynow's `api_base` (HUBSPOT_API_BASE) is that host. The tests use plain http on
127.0.0.1; production talks https to api.hubapi.com with certificate checks on (the client's `verify_ssl`
stays True; nothing here or in whynow turns it off).

Where each shape comes from. From HubSpot's API reference and the client's models (which mark the required
fields): the batch update request and its 200/207 bodies (status, results, numErrors, errors with category,
message, context, links, errors; requestedAt/startedAt/completedAt), a record (id, properties, createdAt,
updatedAt, archived, associations -> results of {id, type}), list paging (paging.next.after and link), an
owner (id, email, type PERSON, firstName, lastName, userId, createdAt, updatedAt, archived, teams), a pipeline
(id, label, displayOrder, archived, createdAt, updatedAt, stages) and a stage (id, label, displayOrder,
archived, createdAt, updatedAt, writePermissions, metadata). From HubSpot's legacy Deal Pipelines
reference: the default pipeline's stage ids, labels and probabilities.
From HubSpot's published error examples: the 429 body (status, message, errorType RATE_LIMIT, correlationId,
policyName), the general error body (status, message, correlationId, category), INVALID_AUTHENTICATION's
message, MISSING_SCOPES. Guessed, to be checked against a live portal: the Retry-After header on 429 (HubSpot
documents X-HubSpot-RateLimit-* headers; Retry-After is what the issue asks for), the OBJECT_NOT_FOUND message
of a batch update, the per-record "no access" failure (category FORBIDDEN), the too-long detail's code
INVALID_STRING_LENGTH, the 100-input 400's message, the 500 body, the cursor's form, and a stage's
`metadata.isClosed` (the v3 reference shows `metadata` as text values and names only `probability`).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.serving import Answer, serving

# The object types the fake holds, by the plural name in the URL, with the singular that association types use.
OBJECT_TYPES: dict[str, str] = {
    "companies": "company",
    "contacts": "contact",
    "deals": "deal",
    "calls": "call",
    "emails": "email",
    "meetings": "meeting",
    "notes": "note",
    "tasks": "task",
}
UPDATABLE = ("companies", "contacts", "deals")  # what whynow writes to
# What a list answers when the request names no `properties` (HubSpot's defaults for each object).
DEFAULT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "companies": ("name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"),
    "contacts": ("firstname", "lastname", "email", "createdate", "lastmodifieddate", "hs_object_id"),
    "deals": ("dealname", "amount", "dealstage", "pipeline", "closedate", "createdate", "hs_lastmodifieddate"),
}
ENGAGEMENT_DEFAULTS = ("hs_timestamp", "hs_createdate", "hs_lastmodifieddate", "hs_object_id")
BATCH_LIMIT = 100  # inputs in one batch request
OBJECTS_PAGE_LIMIT = 100  # records in one page of a list
OWNERS_PAGE_LIMIT = 500
TEXT_LIMIT = 65536  # characters in a single-line or multi-line text property

Reason = Literal["not_found", "too_long", "no_access"]
JSON = dict[str, Any]


def _now() -> str:
    """A timestamp as HubSpot writes them: ISO 8601 in UTC with milliseconds and a Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(message: str, category: str, **extra: Any) -> JSON:
    """HubSpot's error body: status, message, correlationId and category, with whatever the error adds."""
    return {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **extra}


@dataclass
class Request:
    """One request the fake received; `headers` leaves out Authorization so no token lands in a test report."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    authorized: bool


@dataclass
class Record:
    """A CRM record: its properties and the records it is associated with (type -> ids)."""

    id: str
    properties: dict[str, str | None]
    created_at: str
    updated_at: str
    associations: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Owner:
    """A user who can own records (GET /crm/v3/owners/)."""

    id: str
    email: str
    first_name: str
    last_name: str
    user_id: int
    created_at: str


@dataclass
class Stage:
    """A deal pipeline's stage: closed or not, and the probability of winning (1.0 is won, 0.0 lost)."""

    id: str
    label: str
    probability: float
    closed: bool = False
    archived: bool = False


@dataclass
class Pipeline:
    """A deal pipeline (GET /crm/v3/pipelines/deals): its stages in display order."""

    id: str
    label: str
    stages: list[Stage]
    display_order: int
    created_at: str
    archived: bool = False


# HubSpot's default deal pipeline, as every portal starts with it (the legacy Deal Pipelines reference).
DEFAULT_STAGES = (
    Stage("appointmentscheduled", "Appointment Scheduled", 0.2),
    Stage("qualifiedtobuy", "Qualified To Buy", 0.4),
    Stage("presentationscheduled", "Presentation Scheduled", 0.6),
    Stage("decisionmakerboughtin", "Decision Maker Bought-In", 0.8),
    Stage("contractsent", "Contract Sent", 0.9),
    Stage("closedwon", "Closed Won", 1.0, closed=True),
    Stage("closedlost", "Closed Lost", 0.0, closed=True),
)


@dataclass
class _Failure:
    status: int
    retry_after: int


class HubSpotPortal:
    """A HubSpot account in memory, served over HTTP while used as a context manager.

    Use: `with HubSpotPortal() as portal:`, then `portal.add("companies", name="Acme")` and
    `HubSpot(access_token=portal.token, host=portal.url)`.
    """

    def __init__(self, token: str = "pat-na1-00000000-test", portal_id: int = 123456) -> None:
        self.token, self.portal_id = token, portal_id
        self.records: dict[str, dict[str, Record]] = {name: {} for name in OBJECT_TYPES}
        self.owners: dict[str, Owner] = {}
        self.pipelines: dict[str, Pipeline] = {
            "default": Pipeline("default", "Sales Pipeline", list(DEFAULT_STAGES), 0, _now())
        }
        self.received: list[Request] = []
        self.max_length: dict[str, int] = {}  # property -> longest value allowed; TEXT_LIMIT where unset
        # The properties the portal has, per object type: a list leaves out the ones it has not, as HubSpot
        # ignores a requested property a portal does not have. A type not named here has every property asked.
        self.defined: dict[str, set[str]] = {}
        # HubSpot may refuse a whole batch (400) for one invalid value rather than fail that record in a 207:
        # True plays that, so whynow can be tested against both.
        self.too_long_fails_batch = False
        # called with (method, path) of each request after the portal acted on it and before it answers: a
        # test kills its client there to play a push cut off between the CRM's change and its answer
        self.on_answer: Callable[[str, str], None] | None = None
        # (requests, milliseconds): a private app's rolling limit, with its headers on every answer and a 429
        # (no Retry-After, as HubSpot's ten-secondly limit sends none) past it; None: no limit
        self.rate_limit: tuple[int, int] | None = None
        self.rate_limited = 0  # the 429s the limit answered
        self._recent: list[float] = []
        self.url = ""
        self._ids = itertools.count(1001)
        self._failures: list[_Failure] = []
        self._record_failures: dict[str, Reason] = {}
        self._lock = threading.RLock()
        self._stack = ExitStack()

    # --- what a test sets up -------------------------------------------------------------------------------

    def add(self, object_type: str, record_id: str | None = None, **properties: str | None) -> str:
        """Create a record of `object_type` (companies, contacts, deals, calls …) and answer its id."""
        with self._lock:
            new_id = record_id or str(next(self._ids))
            stamp = _now()
            props = {"hs_object_id": new_id, "createdate": stamp, "hs_lastmodifieddate": stamp, **properties}
            self.records[object_type][new_id] = Record(new_id, props, stamp, stamp)
            return new_id

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """Link two records both ways, as HubSpot's associations are read from either side."""
        with self._lock:
            self.records[from_type][from_id].associations.setdefault(to_type, []).append(to_id)
            self.records[to_type][to_id].associations.setdefault(from_type, []).append(from_id)

    def add_owner(self, email: str, first_name: str = "", last_name: str = "", owner_id: str | None = None) -> str:
        """Add an owner (a HubSpot user) and answer its id."""
        with self._lock:
            new_id = owner_id or str(next(self._ids))
            self.owners[new_id] = Owner(new_id, email, first_name, last_name, int(new_id) + 9_000_000, _now())
            return new_id

    def add_pipeline(
        self, label: str, stages: list[Stage], pipeline_id: str | None = None, display_order: int | None = None
    ) -> str:
        """Add a deal pipeline with these stages (displayed in this order) and answer its id."""
        with self._lock:
            new_id = pipeline_id or str(next(self._ids))
            order = len(self.pipelines) if display_order is None else display_order
            self.pipelines[new_id] = Pipeline(new_id, label, list(stages), order, _now())
            return new_id

    def delete(self, object_type: str, record_id: str) -> None:
        """Remove a record, as a user deleting it in HubSpot would: a batch naming it then fails for it."""
        with self._lock:
            del self.records[object_type][record_id]

    def properties(self, object_type: str, record_id: str) -> dict[str, str | None]:
        """A record's properties now, for assertions."""
        with self._lock:
            return dict(self.records[object_type][record_id].properties)

    def fail_next(self, status: Literal[401, 403, 429, 500], times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` requests with this error (429 carries `Retry-After: retry_after`)."""
        with self._lock:
            self._failures.extend(_Failure(status, retry_after) for _ in range(times))

    def fail_records(self, ids: list[str], reason: Reason) -> None:
        """Make these records fail in every batch update that names them, until `clear_record_failures`."""
        with self._lock:
            self._record_failures.update(dict.fromkeys(ids, reason))

    def clear_record_failures(self) -> None:
        with self._lock:
            self._record_failures.clear()

    def requests_to(self, method: str, path: str) -> list[Request]:
        """The requests received with this method and path (the path without its query)."""
        with self._lock:
            return [r for r in self.received if r.method == method and r.path == path]

    # --- the server ----------------------------------------------------------------------------------------

    def __enter__(self) -> HubSpotPortal:
        self._stack = ExitStack()
        self.url = self._stack.enter_context(serving(self._respond))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stack.close()

    def _respond(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        status, body, extra = self.handle(method, target, headers, raw)
        if self.on_answer is not None:
            self.on_answer(method, urlsplit(target).path)
        return status, json.dumps(body).encode(), {"Content-Type": "application/json;charset=utf-8", **extra}

    # --- answering -----------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, JSON, dict[str, str]]:
        """Answer one request: status, JSON body and extra headers. Runs under the portal's lock."""
        with self._lock:
            url = urlsplit(target)
            query = parse_qs(url.query, keep_blank_values=True)
            auth = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
            kept = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            self.received.append(Request(method, url.path, query, body, kept, auth == f"Bearer {self.token}"))
            if self._failures:
                return self._fail(self._failures.pop(0))
            if auth != f"Bearer {self.token}":
                return self._fail(_Failure(401, 0))
            if self.rate_limit is None:
                return self._route(method, url.path, query, body)
            most, window = self.rate_limit
            now = time.monotonic()
            self._recent = [t for t in self._recent if now - t < window / 1000]
            if len(self._recent) >= most:
                self.rate_limited += 1
                status, answer, extra = self._fail(_Failure(429, 0))
                return status, answer, {k: v for k, v in extra.items() if k != "Retry-After"} | self._limits(0)
            self._recent.append(now)
            status, answer, extra = self._route(method, url.path, query, body)
            return status, answer, extra | self._limits(most - len(self._recent))

    def _limits(self, remaining: int) -> dict[str, str]:
        """The rate limit headers HubSpot sends with every answer to a private app (`rate_limit` set)."""
        assert self.rate_limit is not None
        most, window = self.rate_limit
        return {
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(window),
            "X-HubSpot-RateLimit-Max": str(most),
            "X-HubSpot-RateLimit-Remaining": str(max(remaining, 0)),
        }

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, JSON, dict[str, str]]:
        parts = path.strip("/").split("/")
        if method == "GET" and parts == ["crm", "v3", "owners"]:
            return 200, self._owners(query), {}
        if method == "GET" and parts == ["crm", "v3", "pipelines", "deals"]:
            return 200, self._pipelines(), {}
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) >= 4:
            object_type = parts[3]
            if object_type not in OBJECT_TYPES:
                return 400, _error(f"Unable to infer object type from: {object_type}", "VALIDATION_ERROR"), {}
            if method == "GET" and len(parts) == 4:
                return 200, self._list(object_type, path, query), {}
            if method == "POST" and parts[4:] == ["batch", "update"] and object_type in UPDATABLE:
                return self._batch_update(object_type, body)
        return 404, _error(f"No route for {method} {path} in the fake", "OBJECT_NOT_FOUND"), {}

    def _fail(self, failure: _Failure) -> tuple[int, JSON, dict[str, str]]:
        """The body and headers HubSpot sends with each status a test can ask for."""
        if failure.status == 429:
            body = {
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": "TEN_SECONDLY_ROLLING",
            }
            headers = {
                "Retry-After": str(failure.retry_after),
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                "X-HubSpot-RateLimit-Max": "100",
                "X-HubSpot-RateLimit-Remaining": "0",
            }
            return 429, body, headers
        if failure.status == 401:
            message = (
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
                "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
            )
            return 401, _error(message, "INVALID_AUTHENTICATION"), {}
        if failure.status == 403:
            message = "This app hasn't been granted all required scopes to make this call."
            detail = {"message": "One or more of the following scopes are required.", "context": {}}
            return 403, _error(message, "MISSING_SCOPES", errors=[detail]), {}
        return failure.status, _error("internal error", "INTERNAL_ERROR"), {}

    def _list(self, object_type: str, path: str, query: dict[str, list[str]]) -> JSON:
        """A page of records: `limit` (10 by default, 100 at most) from the cursor `after`."""
        limit = min(int(_first(query, "limit") or 10), OBJECTS_PAGE_LIMIT)
        start = int(_first(query, "after") or 0)
        wanted = _names(query, "properties") or list(DEFAULT_PROPERTIES.get(object_type, ENGAGEMENT_DEFAULTS))
        linked = _names(query, "associations")
        records = [] if _first(query, "archived") == "true" else sorted(self.records[object_type].values(), key=_order)
        page = records[start : start + limit]
        results = [self._shape(object_type, record, wanted, linked) for record in page]
        answer: JSON = {"results": results}
        if start + limit < len(records):
            after = str(start + limit)
            answer["paging"] = {"next": {"after": after, "link": f"{self.url}{path}?{urlencode({'after': after})}"}}
        return answer

    def _shape(self, object_type: str, record: Record, wanted: list[str], linked: list[str]) -> JSON:
        """A record as a list answers it: the properties asked for (null where unset) and its associations."""
        known = self.defined.get(object_type)
        shaped: JSON = {
            "id": record.id,
            "properties": {name: record.properties.get(name) for name in wanted if known is None or name in known},
            "createdAt": record.created_at,
            "updatedAt": record.updated_at,
            "archived": False,
        }
        associations = {}
        for other in linked:
            ids = record.associations.get(other, [])
            if ids:
                kind = f"{OBJECT_TYPES[object_type]}_to_{OBJECT_TYPES.get(other, other)}"
                associations[other] = {"results": [{"id": i, "type": kind} for i in ids]}
        if associations:
            shaped["associations"] = associations
        return shaped

    def _batch_update(self, object_type: str, body: Any) -> tuple[int, JSON, dict[str, str]]:
        """Update each input's record; 200 when all succeed, 207 with `errors` when some fail."""
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not all(isinstance(i, dict) and "id" in i for i in inputs):
            return 400, _error('Invalid input JSON on line 1: expected {"inputs": [...]}', "VALIDATION_ERROR"), {}
        if len(inputs) > BATCH_LIMIT:
            message = f"The maximum number of inputs supported in a batch request is {BATCH_LIMIT}."
            return 400, _error(message, "VALIDATION_ERROR"), {}
        if self.too_long_fails_batch:
            invalid = [
                i for i in inputs if self._check(object_type, str(i["id"]), i.get("properties") or {})[0] == "too_long"
            ]
            if invalid:
                return 400, _error("Property values were not valid", "VALIDATION_ERROR"), {}
        requested = _now()
        failed: dict[Reason, list[tuple[str, str]]] = {}  # reason -> (id, detail)
        results = []
        for item in inputs:
            record_id, changes = str(item["id"]), item.get("properties") or {}
            reason, detail = self._check(object_type, record_id, changes)
            if reason is not None:
                failed.setdefault(reason, []).append((record_id, detail))
                continue
            record = self.records[object_type][record_id]
            stamp = _now()
            record.properties.update({k: None if v is None else str(v) for k, v in changes.items()})
            record.properties["hs_lastmodifieddate"] = record.updated_at = stamp
            properties = {**{k: record.properties[k] for k in changes}, "hs_lastmodifieddate": stamp}
            results.append(
                {
                    "id": record_id,
                    "properties": {**properties, "hs_object_id": record_id},
                    "createdAt": record.created_at,
                    "updatedAt": stamp,
                    "archived": False,
                }
            )
        answer: JSON = {"status": "COMPLETE", "results": results, "requestedAt": requested, "startedAt": requested}
        answer["completedAt"] = _now()
        if not failed:
            return 200, answer, {}
        errors = [self._batch_error(object_type, reason, items) for reason, items in failed.items()]
        return 207, {**answer, "numErrors": sum(len(items) for items in failed.values()), "errors": errors}, {}

    def _check(self, object_type: str, record_id: str, changes: dict[str, Any]) -> tuple[Reason | None, str]:
        """Why this input cannot be applied (and about which property), or None."""
        if record_id in self._record_failures:
            return self._record_failures[record_id], ""
        if record_id not in self.records[object_type]:
            return "not_found", ""
        for name, value in changes.items():
            if value is not None and len(str(value)) > self.max_length.get(name, TEXT_LIMIT):
                return "too_long", name
        return None, ""

    def _batch_error(self, object_type: str, reason: Reason, items: list[tuple[str, str]]) -> JSON:
        """One entry of a 207's `errors`: every failing id of one kind, in `context.ids`."""
        ids = [record_id for record_id, _ in items]
        singular = OBJECT_TYPES[object_type].upper()
        base: JSON = {"status": "error", "context": {"ids": ids}, "links": {}, "errors": []}
        if reason == "not_found":
            message = (
                f"Could not get some {singular} objects, they may be deleted or not exist. Check that ids are valid."
            )
            return {**base, "category": "OBJECT_NOT_FOUND", "message": message}
        if reason == "too_long":
            details = [
                {
                    "message": f"{name} was longer than {self.max_length.get(name, TEXT_LIMIT)} characters",
                    "code": "INVALID_STRING_LENGTH",
                    "in": name,
                    "context": {"ids": [record_id], "propertyName": [name]},
                }
                for record_id, name in items
            ]
            return {
                **base,
                "category": "VALIDATION_ERROR",
                "message": "Property values were not valid",
                "errors": details,
            }
        message = f"No permission to update some {singular} objects."
        return {**base, "category": "FORBIDDEN", "message": message}

    def _owners(self, query: dict[str, list[str]]) -> JSON:
        """A page of owners (100 by default, 500 at most), optionally those with one email address."""
        limit = min(int(_first(query, "limit") or 100), OWNERS_PAGE_LIMIT)
        start = int(_first(query, "after") or 0)
        email = _first(query, "email")
        owners = [o for o in sorted(self.owners.values(), key=lambda o: int(o.id)) if email in (None, o.email)]
        page = owners[start : start + limit]
        results = [
            {
                "id": o.id,
                "email": o.email,
                "type": "PERSON",
                "firstName": o.first_name,
                "lastName": o.last_name,
                "userId": o.user_id,
                "userIdIncludingInactive": o.user_id,
                "createdAt": o.created_at,
                "updatedAt": o.created_at,
                "archived": False,
                "teams": [],
            }
            for o in page
        ]
        answer: JSON = {"results": results}
        if start + limit < len(owners):
            after = str(start + limit)
            answer["paging"] = {"next": {"after": after, "link": f"{self.url}/crm/v3/owners/?after={after}"}}
        return answer

    def _pipelines(self) -> JSON:
        """Every deal pipeline with its stages, in one answer (the endpoint has no paging)."""
        results = []
        for pipeline in sorted(self.pipelines.values(), key=lambda p: (p.display_order, p.label)):
            stages = [
                {
                    "id": stage.id,
                    "label": stage.label,
                    "displayOrder": order,
                    "archived": stage.archived,
                    "createdAt": pipeline.created_at,
                    "updatedAt": pipeline.created_at,
                    "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                    "metadata": {"isClosed": str(stage.closed).lower(), "probability": str(float(stage.probability))},
                }
                for order, stage in enumerate(pipeline.stages)
            ]
            results.append(
                {
                    "id": pipeline.id,
                    "label": pipeline.label,
                    "displayOrder": pipeline.display_order,
                    "archived": pipeline.archived,
                    "createdAt": pipeline.created_at,
                    "updatedAt": pipeline.created_at,
                    "stages": stages,
                }
            )
        return {"results": results}


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _names(query: dict[str, list[str]], name: str) -> list[str]:
    """A list parameter, sent repeated (`properties=a&properties=b`, the client's way) or comma-separated."""
    return [part for value in query.get(name, []) for part in value.split(",") if part]


def _order(record: Record) -> tuple[int, str]:
    return (int(record.id), record.id) if record.id.isdigit() else (1 << 62, record.id)
