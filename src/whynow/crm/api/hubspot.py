"""`whynow import hubspot --api --out SRC` (SPEC §12, "Through the API"): companies, contacts, deals, owners,
engagements and deal pipelines read through the CRM v3 API, then shaped, placed and written by the same code
and mapping as the tables a warehouse connector syncs (`crm/hubspot.py`).

Each object is listed page by page (GET /crm/v3/objects/{type}, 100 records a page, `paging.next.after`),
asking for the properties the mapping reads as the connector's `property_<name>` columns (HubSpot ignores a
property a portal does not have) and for the associations that place a record: a contact's and a deal's
companies, an engagement's contacts and companies. Calls, emails, meetings, notes and tasks are the
engagements. Owners come from GET /crm/v3/owners/, the deal pipelines from GET /crm/v3/pipelines/deals (one
answer, every pipeline with its stages). Each page's JSON is kept as it came in a staging folder; DuckDB turns
the pages into the connector's tables (`company`, `contact_company`, `engagement_call` …, `deal_pipeline_stage`),
so no row passes through Python.

A stage's label names a deal's stage, and the stage closes a deal, as the connector's `deal_pipeline_stage`
does: `is_closed` is the stage's `metadata.isClosed`, and `closed_won` is a closed stage whose
`metadata.probability` is 1.0 (HubSpot's reference: "0.0 being Closed Lost and 1.0 being Closed Won"; a stage
has no won flag of its own, and in Fivetran's sample tables closed_won is exactly this). A custom pipeline's
stages (ids such as "1043") then close deals as their portal says, where the mapping's `stages` know only the
default pipeline's `closedwon` and `closedlost`; a stage the pipelines do not list is left to those patterns.

`--since D`: the engagements and deals whose `hs_lastmodifieddate` is on or after D (midnight UTC). The list
endpoint has no filter (the search API would, but stops at 10,000 results), so every page is read and the
filter is applied by DuckDB; companies, contacts and owners are kept whole.

The token comes from the environment only (HUBSPOT_TOKEN; HUBSPOT_API_BASE, https://api.hubapi.com by
default) and is never printed. The client is the push's (`push/hubspot.py` `client`): 429 and 5xx retried
honouring Retry-After, certificates checked.

Not read: marketing email events (not part of the CRM v3 objects).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from whynow.crm.hubspot import find, import_frames, start
from whynow.crm.importer import Importer
from whynow.crm.report import ImportReport
from whynow.errors import DataError
from whynow.options import FileFormat
from whynow.statements import call, column_ref, named

API = "HubSpot CRM v3 API, JSON"
PAGE = 100  # records a page: the most HubSpot's list endpoints give
ENGAGEMENTS = {"calls": "call", "emails": "email", "meetings": "meeting", "notes": "note", "tasks": "task"}
# Each CRM v3 object: the connector table it becomes, the import object whose mapping names its properties,
# its id column there, and the associations read with it (-> the association table each becomes).
OBJECTS: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "companies": ("company", "companies", "id", {}),
    "contacts": ("contact", "contacts", "id", {"companies": "contact_company"}),
    "deals": ("deal", "deals", "id", {"companies": "deal_company"}),
    **{
        plural: (
            f"engagement_{one}",
            "engagements",
            "id",
            {"contacts": "engagement_contact", "companies": "engagement_company"},
        )
        for plural, one in ENGAGEMENTS.items()
    },
}
LINK_COLUMNS = {  # the association tables' columns, as the connector names them
    "contact_company": ("contact_id", "company_id"),
    "deal_company": ("deal_id", "company_id"),
    "engagement_contact": ("engagement_id", "contact_id"),
    "engagement_company": ("engagement_id", "company_id"),
}
CHANGED_SINCE = ("deals", *ENGAGEMENTS)
MODIFIED = "hs_lastmodifieddate"
OWNER_COLUMNS = {"id": "id", "email": "email", "first_name": "firstName", "last_name": "lastName"}
# The connector's deal_pipeline_stage columns, as JSON paths in a stage of GET /crm/v3/pipelines/deals.
STAGE_COLUMNS = {
    "stage_id": "$.id",
    "label": "$.label",
    "is_closed": "$.metadata.isClosed",
    "probability": "$.metadata.probability",
    "display_order": "$.displayOrder",
}


def credentials(environ: Mapping[str, str]) -> tuple[str, str]:
    """The private app's token and the API's base address, from the environment."""
    token = environ.get("HUBSPOT_TOKEN", "")
    if not token:
        raise DataError(
            "HUBSPOT_TOKEN is not set: whynow import hubspot --api reads the portal with a private app's token "
            "from the environment (and HUBSPOT_API_BASE, https://api.hubapi.com by default)"
        )
    return token, environ.get("HUBSPOT_API_BASE") or "https://api.hubapi.com"


def import_hubspot_api(
    out: Path,
    mapping_file: Path | None = None,
    fmt: FileFormat = "csv",
    strict: bool = False,
    since: dt.date | None = None,
    environ: Mapping[str, str] | None = None,
    page: int = PAGE,
) -> ImportReport:
    """Read the portal named by the environment through the CRM v3 API and write the contract's tables into
    `out`, as `import_hubspot` does for the connector's tables."""
    from whynow.crm.push.hubspot import client

    token, api_base = credentials(os.environ if environ is None else environ)
    hubspot = client(token, api_base)
    imp = start(Path(api_base), mapping_file)
    imp.api = API
    imp.report.api = api_base.rstrip("/")
    with tempfile.TemporaryDirectory(prefix="whynow-hubspot-") as name:
        staging = Path(name)
        con = duckdb.connect()
        try:
            links: dict[tuple[str, str], list[Path]] = {}  # (association table, other type) -> pages
            for plural, (table, obj, id_column, linked) in OBJECTS.items():
                properties = _properties(imp, obj, since is not None and plural in CHANGED_SINCE)
                pages = _pages(hubspot, plural, staging, page, properties, list(linked))
                changed = since if plural in CHANGED_SINCE else None
                _stage(con, pages, staging / f"{table}.csv", _columns(id_column, properties), changed)
                for other, link in linked.items():  # an engagement table's links: of all five kinds together
                    links.setdefault((link, other), []).extend(pages)
            for (link, other), pages in links.items():
                changed = since if link.startswith(("deal", "engagement")) else None
                _stage_links(con, pages, staging / f"{link}.csv", other, LINK_COLUMNS[link], changed)
            owners = _pages(hubspot, "owners", staging, 500, [], [])
            _stage(con, owners, staging / "owner.csv", {k: f"$.{v}" for k, v in OWNER_COLUMNS.items()}, None)
            _stage_pipelines(con, _pipelines(hubspot, staging), staging / "deal_pipeline_stage.csv")
        finally:
            con.close()
        frames, found = find(imp, staging)
        if since is not None:
            imp.report.notes.append(
                f"deals and engagements: only records changed since {since} ({MODIFIED}); the rest whole"
            )
        return import_frames(imp, frames, found, out, fmt, strict)


def _properties(imp: Importer, obj: str, since: bool) -> list[str]:
    """The properties the mapping reads for `obj` (its `property_<name>` columns), and the modified date."""
    columns = imp.object_mapping(obj).columns
    named_ = [name[len("property_") :] for name, target in columns.items() if target and name.startswith("property_")]
    return list(dict.fromkeys([*named_, *([MODIFIED] if since else [])]))


def _columns(id_column: str, properties: list[str]) -> dict[str, str]:
    """A staged table's columns: the record id, then `property_<name>` per property (JSON paths in a record)."""
    return {id_column: "$.id", **{f"property_{p}": f"$.properties.{_key(p)}" for p in properties}}


def _key(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pages(
    hubspot: Any, kind: str, staging: Path, limit: int, properties: list[str], associations: list[str]
) -> list[Path]:
    """Every page of a list as the JSON HubSpot sent, one file a page (the client parses nothing)."""
    folder = staging / kind
    folder.mkdir()
    files: list[Path] = []
    after: str | None = None
    while True:
        options: dict[str, Any] = {"limit": limit, "_preload_content": False}
        if after is not None:
            options["after"] = after
        if kind == "owners":
            body = _answer(kind, hubspot.crm.owners.owners_api.get_page, **options)
        else:
            linked = {"properties": properties or None, "associations": associations or None}
            body = _answer(kind, hubspot.crm.objects.basic_api.get_page, kind, **linked, archived=False, **options)
        file = folder / f"{len(files):06d}.json"
        file.write_bytes(body)
        files.append(file)
        after = ((json.loads(body).get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return files


def _pipelines(hubspot: Any, staging: Path) -> Path:
    """The deal pipelines with their stages, as the JSON HubSpot sent (one answer: the endpoint has no paging)."""
    body = _answer("deal pipelines", hubspot.crm.pipelines.pipelines_api.get_all, "deals", _preload_content=False)
    file = staging / "pipelines.json"
    file.write_bytes(body)
    return file


def _answer(kind: str, method: Callable[..., Any], *args: Any, **options: Any) -> bytes:
    """The body of HubSpot's answer to one call of a client's `method` (given `_preload_content=False`); a
    refusal, or no answer, is a one-line error naming `kind`."""
    from hubspot.crm.objects import ApiException
    from hubspot.crm.owners import ApiException as OwnersApiException
    from hubspot.crm.pipelines import ApiException as PipelinesApiException
    from urllib3.exceptions import HTTPError

    try:
        body: bytes = method(*args, **options).data
    except (ApiException, OwnersApiException, PipelinesApiException) as e:
        raise DataError(f"HubSpot answered {e.status} while reading {kind}: {_message(e)}") from None
    except (HTTPError, OSError) as e:  # urllib3's connection and certificate errors
        raise DataError(f"cannot reach HubSpot while reading {kind}: {type(e).__name__}") from None
    return body


def _records(pages: list[Path]) -> exp.Select:
    """One row per record of the pages (`r`, its JSON)."""
    results = call("from_json", call("json_extract", column_ref("json"), "$.results"), '["JSON"]')
    objects = call("read_json_objects", [str(p) for p in pages], maximum_object_size=1 << 30)
    return sqlglot.select(named(call("unnest", results), "r")).from_(objects)


def _stage(
    con: duckdb.DuckDBPyConnection, pages: list[Path], file: Path, columns: dict[str, str], since: dt.date | None
) -> None:
    """A connector table written from the pages: a text column per JSON path, for the properties the portal
    has (a property it has not is absent from every record, and so a column the connector would not have
    either); changed since `since` only."""
    keys = call("json_keys", call("json_extract", column_ref("r"), "$.properties"))
    present = sqlglot.select(named(call("unnest", keys), "k")).distinct().from_(_records(pages).subquery("records"))
    held = {row[0] for row in con.sql(present.sql(dialect="duckdb")).fetchall()}
    columns = {n: path for n, path in columns.items() if not n.startswith("property_") or n[9:] in held}
    records = _records(pages).subquery("records")
    query = sqlglot.select(
        *[named(call("json_extract_string", column_ref("r"), path), name) for name, path in columns.items()]
    ).from_(records)
    if since is not None:
        query = query.where(_changed_since(since))
    _copy(con, query, file)


def _stage_links(
    con: duckdb.DuckDBPyConnection,
    pages: list[Path],
    file: Path,
    other: str,
    names: tuple[str, str],
    since: dt.date | None,
) -> None:
    """An association table from the pages: each record's id with each id of its `other` associations."""
    ids = call("from_json", call("json_extract", column_ref("r"), f"$.associations.{other}.results"), '["JSON"]')
    each = sqlglot.select(
        named(call("json_extract_string", column_ref("r"), "$.id"), "_id"), named(call("unnest", ids), "a")
    )
    records = sqlglot.select("*").from_(_records(pages).subquery("records"))
    if since is not None:
        records = records.where(_changed_since(since))
    linked = each.from_(records.subquery("records"))
    query = sqlglot.select(
        named(column_ref("_id"), names[0]), named(call("json_extract_string", column_ref("a"), "$.id"), names[1])
    ).from_(linked.subquery("linked"))
    _copy(con, query, file)


def _stage_pipelines(con: duckdb.DuckDBPyConnection, answer: Path, file: Path) -> None:
    """The connector's deal_pipeline_stage table from the pipelines: a row per stage, with its pipeline's id;
    closed and won where the stage is closed at probability 1.0."""
    stages = call("from_json", call("json_extract", column_ref("r"), "$.stages"), '["JSON"]')
    each = sqlglot.select(
        named(call("json_extract_string", column_ref("r"), "$.id"), "pipeline_id"), named(call("unnest", stages), "s")
    ).from_(_records([answer]).subquery("pipelines"))
    text = {name: call("json_extract_string", column_ref("s"), path) for name, path in STAGE_COLUMNS.items()}
    closed = exp.EQ(this=call("lower", text["is_closed"]), expression=exp.Literal.string("true"))
    certain = exp.EQ(
        this=exp.TryCast(this=text["probability"], to=exp.DataType.build("double")), expression=exp.Literal.number(1)
    )
    query = sqlglot.select(
        named(text["stage_id"], "stage_id"),
        named(text["label"], "label"),
        named(call("lower", text["is_closed"]), "is_closed"),
        named(exp.and_(closed, certain), "closed_won"),
        named(text["probability"], "probability"),
        named(column_ref("pipeline_id"), "pipeline_id"),
        named(text["display_order"], "display_order"),
    ).from_(each.subquery("stages"))
    _copy(con, query, file)


def _changed_since(since: dt.date) -> exp.Expression:
    """The record's hs_lastmodifieddate is on or after `since`, midnight UTC (a value that is no time: not)."""
    modified = call("json_extract_string", column_ref("r"), f"$.properties.{MODIFIED}")
    stamp = exp.TryCast(this=modified, to=exp.DataType.build("timestamptz"))
    start = exp.cast(exp.Literal.string(f"{since} 00:00:00+00"), exp.DataType.build("timestamptz"))
    return exp.GTE(this=stamp, expression=start)


def _copy(con: duckdb.DuckDBPyConnection, query: exp.Select, file: Path) -> None:
    """The query's rows as a CSV file with a header (every value text, as the connector's CSV holds)."""
    con.sql(query.sql(dialect="duckdb")).write_csv(str(file), header=True)


def _message(error: Any) -> str:
    try:
        return str(json.loads(error.body).get("message", "")) or str(error.reason)
    except (TypeError, ValueError, AttributeError):
        return str(error.reason)
