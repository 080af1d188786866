"""`whynow import salesforce --api --out SRC` (SPEC §12, "Through the API"): the objects of §11 read with SOQL
through the Bulk API 2.0 query, then shaped, placed and written by the same code and mapping as an export
(`crm/salesforce.py`).

Each object's query selects the fields the mapping (built-in, and --mapping laid over it) reads for that object
and the org's describe lists; compound fields (BillingAddress …) are left out, as a Bulk query cannot select
them, and their component fields (BillingCountry) are read instead. An object the org does not have, or the
user may not see, is not read (the report says so). The results come as CSV pages with API field names, as a
Data Loader export writes them: streamed to a staging folder and read by DuckDB, so no row passes through
Python.

`--since D` reads Task, Event, CampaignMember and Opportunity records changed on or after D (LastModifiedDate
>= D, midnight UTC): the activities and opportunities of SPEC §12. Accounts, people, campaigns and users are
read whole, so that every activity can still be placed.

Credentials come from the environment only, never from a file or an option, and are never printed:
SALESFORCE_INSTANCE_URL with SALESFORCE_ACCESS_TOKEN, or SALESFORCE_USERNAME, SALESFORCE_PASSWORD and
SALESFORCE_SECURITY_TOKEN (SALESFORCE_INSTANCE_URL then names the login host; login.salesforce.com by
default). The client is the push's (`push/salesforce.py` `connect`): 429 and 5xx retried honouring
Retry-After, certificates checked against REQUESTS_CA_BUNDLE or the system's store. An expired session is
renewed once per object.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from whynow.crm.importer import Importer
from whynow.crm.read import Frame, read_csv
from whynow.crm.report import ImportReport
from whynow.crm.salesforce import OBJECTS, import_frames, start
from whynow.errors import DataError
from whynow.model.schema import SalesforcePush
from whynow.options import FileFormat

CHANGED_SINCE = ("Task", "Event", "CampaignMember", "Opportunity")  # what --since filters (activities, deals)
COMPOUND = ("address", "location")  # field types a Bulk API query cannot select
PAGE = 50_000  # records per results page (maxRecords; simple-salesforce's default)
POLL_S = 2.0  # seconds between the polls of a query job
API = "Salesforce Bulk API 2.0 query, CSV"
T = TypeVar("T")


def credentials(environ: Mapping[str, str]) -> SalesforcePush:
    """The org and the login, from the environment; a missing variable is a `DataError` naming it."""

    def need(name: str) -> str:
        value = environ.get(name, "")
        if not value:
            raise DataError(
                f"{name} is not set: whynow import salesforce --api reads the org from the environment "
                "(SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN, or SALESFORCE_USERNAME, "
                "SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN)"
            )
        return value

    if environ.get("SALESFORCE_ACCESS_TOKEN") or not environ.get("SALESFORCE_USERNAME"):
        return SalesforcePush(
            instance_url=need("SALESFORCE_INSTANCE_URL"), access_token=need("SALESFORCE_ACCESS_TOKEN")
        )
    return SalesforcePush(
        instance_url=environ.get("SALESFORCE_INSTANCE_URL", ""),
        username=need("SALESFORCE_USERNAME"),
        password=need("SALESFORCE_PASSWORD"),
        security_token=need("SALESFORCE_SECURITY_TOKEN"),
    )


def import_salesforce_api(
    out: Path,
    mapping_file: Path | None = None,
    fmt: FileFormat = "csv",
    strict: bool = False,
    since: dt.date | None = None,
    environ: Mapping[str, str] | None = None,
    page: int = PAGE,
) -> ImportReport:
    """Read the org named by the environment through the Bulk API 2.0 query and write the contract's tables
    into `out`, as `import_salesforce` does for an export folder."""
    section = credentials(os.environ if environ is None else environ)
    org = _Org(section)
    imp = start(Path(section.instance_url or "login.salesforce.com"), mapping_file)
    imp.api = API
    imp.report.api = org.url
    with tempfile.TemporaryDirectory(prefix="whynow-salesforce-") as staging:
        frames: dict[str, Frame] = {}
        unread: dict[str, list[str]] = {}
        for obj in OBJECTS:
            found = org.call(obj, partial(_fields, obj=obj, wanted=_wanted(imp, obj)))
            if found is None:
                imp.report.not_read.append(f"{obj} (the org has no such object, or this user may not read it)")
                continue
            fields, unread[obj] = found
            soql = _soql(obj, fields, since if obj in CHANGED_SINCE else None)
            fetch = partial(_download, obj=obj, soql=soql, fields=fields, staging=Path(staging), page=page)
            file = org.call(obj, fetch)
            frames[obj] = read_csv(imp, file, obj)
        if "Account" not in frames:
            raise DataError(f"the org at {org.url} shows this user no Account object; whynow needs the accounts")
        if since is not None:
            read = ", ".join(obj for obj in CHANGED_SINCE if obj in frames)
            imp.report.notes.append(f"{read}: only records changed since {since} (LastModifiedDate); the rest whole")
        report = import_frames(imp, frames, out, fmt, strict)
    for obj, fields in unread.items():  # what the org holds that the mapping does not read
        report.unmapped[obj] = fields
    return report


class _Org:
    """The org's client, connected once and renewed once per object when its session expires."""

    def __init__(self, section: SalesforcePush) -> None:
        self.section = section
        self.sf = self._connect()
        self.url = f"https://{self.sf.sf_instance}"

    def _connect(self) -> Any:
        import requests
        from simple_salesforce.exceptions import SalesforceAuthenticationFailed

        from whynow.crm.push.salesforce import connect

        try:
            return connect(self.section)
        except SalesforceAuthenticationFailed as e:
            raise DataError(
                f"Salesforce refused the login ({e.code}): check SALESFORCE_USERNAME and its password"
            ) from None
        except requests.RequestException as e:
            raise DataError(f"cannot reach Salesforce to log in: {_reason(e)}") from None

    def call(self, obj: str, work: Callable[[Any], T]) -> T:
        """`work` with the client; an expired session renewed once; the CRM's refusal a `DataError`."""
        import requests
        from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession, SalesforceOperationError

        try:
            try:
                return work(self.sf)
            except SalesforceExpiredSession:
                self.sf = self._connect()
                return work(self.sf)
        except SalesforceExpiredSession:
            raise DataError(
                f"Salesforce ended the session twice while reading {obj}: check SALESFORCE_ACCESS_TOKEN (a "
                "session's token cannot be renewed by whynow; give SALESFORCE_USERNAME and its password for that)"
            ) from None
        except SalesforceError as e:
            raise DataError(f"Salesforce answered {e.status} while reading {obj}: {_message(e)}") from None
        except SalesforceOperationError as e:
            raise DataError(f"Salesforce's query job for {obj} failed: {e}") from None
        except requests.RequestException as e:
            raise DataError(f"cannot reach Salesforce at {self.url} while reading {obj}: {_reason(e)}") from None


_SOQL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # an object's or field's API name, as the describe gives it


def _soql(obj: str, fields: list[str], since: dt.date | None) -> str:
    """The Bulk API 2.0 query of `fields` of `obj`, changed since midnight UTC of `since` when given. Every
    name is checked to be an API name, and the date is written by `isoformat`: nothing else enters the text.

    >>> _soql("Task", ["Id", "Subject"], dt.date(2025, 1, 2))
    'SELECT Id, Subject FROM Task WHERE LastModifiedDate >= 2025-01-02T00:00:00Z'
    """
    for name in (obj, *fields):
        if not _SOQL_NAME.fullmatch(name):
            raise DataError(f"{obj}: '{name}' is not a Salesforce API name; the query names only describe's fields")
    parts = ["SELECT", ", ".join(fields), "FROM", obj]
    if since is not None:
        parts += ["WHERE LastModifiedDate >=", since.isoformat() + "T00:00:00Z"]
    return " ".join(parts)


def _wanted(imp: Importer, obj: str) -> list[str]:
    """The fields the mapping reads for `obj`, in its order (a compound field's key: the compound field), and
    the flag of a deleted record (a Bulk query leaves deleted records out; a queryAll would not)."""
    columns = imp.object_mapping(obj).columns
    return list(dict.fromkeys([*(name.split(".", 1)[0] for name, target in columns.items() if target), *imp.deleted]))


def _fields(sf: Any, obj: str, wanted: list[str]) -> tuple[list[str], list[str]] | None:
    """The wanted fields the org's describe of `obj` lists (in its spelling), and the fields it lists that are
    not wanted; None where the org has no such object."""
    from simple_salesforce.exceptions import SalesforceResourceNotFound

    try:
        described = getattr(sf, obj).describe()
    except SalesforceResourceNotFound:
        return None
    names = {str(f["name"]).lower(): str(f["name"]) for f in described["fields"] if f.get("type") not in COMPOUND}
    chosen = list(dict.fromkeys(names[w.lower()] for w in wanted if w.lower() in names))
    return chosen, [name for name in names.values() if name not in chosen]


def _download(sf: Any, obj: str, soql: str, fields: list[str], staging: Path, page: int) -> Path:
    """The query's results, page by page into `staging/obj/`, then joined as one CSV file `staging/obj.csv`
    (each page repeats the header). Bytes are copied, never parsed: DuckDB reads the file."""
    pages = staging / obj
    shutil.rmtree(pages, ignore_errors=True)  # a renewed session queries again
    pages.mkdir()
    results = getattr(sf.bulk2, obj).download(soql, path=str(pages), max_records=page, wait=POLL_S)
    whole = staging / f"{obj}.csv"
    with whole.open("wb") as target:
        for number, result in enumerate(results):
            with open(result["file"], "rb") as part:
                header = part.readline()
                if number == 0:
                    target.write(header)
                shutil.copyfileobj(part, target)
        if target.tell() == 0:  # no records and no header: the selected fields name the columns
            target.write((",".join(fields) + "\n").encode())
    return whole


def _message(error: Any) -> str:
    content = getattr(error, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return f"{content[0].get('errorCode', '')} {content[0].get('message', '')}".strip()
    return type(error).__name__


def _reason(error: Exception) -> str:
    """A network error in one line; an untrusted certificate says how to trust it (never how to skip it)."""
    import requests

    if isinstance(error, requests.exceptions.SSLError):
        return "its certificate is not trusted (add its authority to REQUESTS_CA_BUNDLE or the system's store)"
    return type(error).__name__
