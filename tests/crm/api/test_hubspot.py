"""`whynow import hubspot --api` (SPEC §12) against the fake portal (tests/fakes/hubspot.py), through the real
hubspot-api-client.

The main check: the connector's tables loaded into the portal, then read through the CRM v3 API, give the very
files that importing those tables gives. The tables are the repository's connector fixture and, where
../shared/data is beside the checkout, Fivetran's seeds they were cut from. The API reads companies,
contacts, deals, owners, engagements and deal pipelines, so the equivalent export is those tables, their
associations and `deal_pipeline_stage` (not email events); an association HubSpot could not hold (to a record
that is not in the portal) is left out of both. The portal's pipelines are the connector's stages (its
default pipeline replaced), so a deal's stage label and whether it is closed and won are checked too.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("hubspot")

from typer.testing import CliRunner, Result

from tests.fakes.hubspot import HubSpotPortal, Stage
from whynow.cli import app
from whynow.crm.api import hubspot as api

FIXTURE = Path(__file__).parents[1] / "fixtures" / "hubspot" / "connector"
SHARED = Path(__file__).parents[3].parent / "shared" / "data" / "hubspot-sample" / "fivetran-seeds"
runner = CliRunner()
KINDS = {"call": "calls", "email": "emails", "meeting": "meetings", "note": "notes", "task": "tasks"}
# The connector's meeting columns that are not `property_*`, as the CRM v3 meeting properties they hold.
MEETING = {"start_time": "hs_meeting_start_time", "end_time": "hs_meeting_end_time", "title": "hs_meeting_title"}
LINKS = {
    "contact_company": ("contacts", "contact_id", "companies", "company_id"),
    "deal_company": ("deals", "deal_id", "companies", "company_id"),
    "engagement_contact": (None, "engagement_id", "contacts", "contact_id"),
    "engagement_company": (None, "engagement_id", "companies", "company_id"),
}


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubSpotPortal]:
    with HubSpotPortal() as served:
        monkeypatch.setenv("HUBSPOT_TOKEN", served.token)
        monkeypatch.setenv("HUBSPOT_API_BASE", served.url)
        yield served


def table(folder: Path, name: str) -> list[dict[str, str]]:
    for path in (folder / f"{name}.csv", folder / f"{name}_data.csv"):
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as handle:
                return list(csv.DictReader(handle))
    return []


def deleted(row: dict[str, str]) -> bool:
    return any(row.get(flag, "").lower() == "true" for flag in ("is_deleted", "_fivetran_deleted"))


def properties(row: dict[str, str]) -> dict[str, str]:
    return {name.removeprefix("property_"): value for name, value in row.items() if name.startswith("property_")}


def load(portal: HubSpotPortal, folder: Path, export: Path) -> None:
    """The connector's tables into the portal (deleted rows left out: HubSpot lists no deleted record), and
    into `export` the same tables with only the associations HubSpot can hold."""
    deal_fields = {
        "deal_pipeline_stage_id": "dealstage",
        "deal_pipeline_id": "pipeline",
        "owner_id": "hubspot_owner_id",
    }
    for plural, name, renamed in (
        ("companies", "company", {}),
        ("contacts", "contact", {}),
        ("deals", "deal", deal_fields),
    ):
        rows = table(folder, name)
        portal.defined[plural] = set(properties(rows[0]) if rows else {}) | set(renamed.values())
        for row in rows:
            if not deleted(row):
                own = {prop: row[column] for column, prop in renamed.items()}
                portal.add(plural, row.get("id") or row["deal_id"], **properties(row), **own)
    for row in table(folder, "owner"):
        portal.add_owner(row["email"], row["first_name"], row["last_name"], owner_id=row["owner_id"])
    kinds: dict[str, str] = {}
    for kind, plural in KINDS.items():
        rows = table(folder, f"engagement_{kind}")
        portal.defined[plural] = set(properties(rows[0]) if rows else {}) | {
            p for c, p in MEETING.items() if rows and c in rows[0]
        }
        for row in rows:
            if not deleted(row):
                extra = {prop: row[column] for column, prop in MEETING.items() if column in row}
                portal.add(plural, row["engagement_id"], **properties(row), **extra)
                kinds[row["engagement_id"]] = plural
    assert all(row["id"] in kinds for row in table(folder, "engagement")), "an engagement of no kind's table"
    load_pipelines(portal, table(folder, "deal_pipeline_stage"))
    export.mkdir()
    for path in folder.glob("*.csv"):
        stem = path.stem.removesuffix("_data")
        read = stem in ("company", "contact", "deal", "owner", "engagement", "deal_pipeline_stage")
        read = read or stem.startswith("engagement_")
        if read and stem not in LINKS:
            shutil.copy(path, export / path.name)
    for stem, (own_type, own_id, other_type, other_id) in LINKS.items():
        rows = table(folder, stem)
        held = []
        for row in rows:
            mine = own_type or kinds.get(row[own_id])
            if mine and row[own_id] in portal.records[mine] and row[other_id] in portal.records[other_type]:
                portal.associate(mine, row[own_id], other_type, row[other_id])
                held.append(row)
        if rows:
            with (export / f"{stem}.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(held)


def load_pipelines(portal: HubSpotPortal, stages: list[dict[str, str]]) -> None:
    """The connector's pipeline stages as the portal's deal pipelines, in place of its default one (a synced
    portal's default pipeline is among its stages). A stage is closed and won in HubSpot's terms: closed, at
    probability 1.0, which is what the connector's closed_won says in these tables."""
    if not stages:
        return
    portal.pipelines.clear()
    by_pipeline: dict[str, list[dict[str, str]]] = {}
    for row in sorted(stages, key=lambda r: int(r["display_order"])):
        closed = row["is_closed"].lower() == "true"
        assert (row["closed_won"].lower() == "true") == (closed and float(row["probability"]) == 1.0), row
        if not deleted(row):
            by_pipeline.setdefault(row["pipeline_id"], []).append(row)
    for pipeline, rows in by_pipeline.items():
        kept = [
            Stage(r["stage_id"], r["label"], float(r["probability"]), r["is_closed"].lower() == "true") for r in rows
        ]
        portal.add_pipeline(pipeline, kept, pipeline_id=pipeline)


def files(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())}


def imported(*args: str) -> Result:
    return runner.invoke(app, ["import", "hubspot", *args])


@pytest.mark.parametrize(
    "tables", [pytest.param(FIXTURE, id="fixture-connector"), pytest.param(SHARED, id="sample-fivetran-seeds")]
)
def test_the_api_gives_the_tables_the_connector_tables_give(
    portal: HubSpotPortal, tables: Path, tmp_path: Path
) -> None:
    if not tables.is_dir():
        pytest.skip(f"{tables} is not beside the checkout")
    load(portal, tables, tmp_path / "export")

    by_api = imported("--api", "--out", str(tmp_path / "api"))
    by_files = imported(str(tmp_path / "export"), "--out", str(tmp_path / "files"))

    assert by_api.exit_code == 0, by_api.output
    assert by_files.exit_code == 0, by_files.output
    assert f"Imported HubSpot through its API at {portal.url}" in by_api.stdout
    written = files(tmp_path / "api")
    assert {"accounts.csv", "contacts.csv", "activities.csv", "opportunities.csv", "reps.csv"} <= set(written)
    assert written == files(tmp_path / "files")
    assert portal.token not in by_api.output + "".join(written.values())
    (first, *_) = portal.requests_to("GET", "/crm/v3/objects/contacts")
    assert first.query["associations"] == ["companies"] and "email" in first.query["properties"]
    assert len(portal.requests_to("GET", "/crm/v3/pipelines/deals")) == 1


def test_a_custom_pipelines_stages_close_and_win_deals_as_the_export_of_its_stage_table_does(
    portal: HubSpotPortal, tmp_path: Path
) -> None:
    acme = portal.add("companies", name="Acme")
    stages = [Stage("1043", "Signed", 1.0, closed=True), Stage("1044", "Gone dark", 0.0, closed=True)]
    portal.add_pipeline("Renewals", stages, pipeline_id="7001")
    for deal, stage in (("501", "1043"), ("502", "1044")):
        portal.add("deals", deal, dealname=deal, dealstage=stage, pipeline="7001", createdate="2025-01-02T00:00:00Z")
        portal.associate("deals", deal, "companies", acme)
    export = tmp_path / "export"
    export.mkdir()
    (export / "company.csv").write_text(f"id,property_name\n{acme},Acme\n")
    (export / "deal.csv").write_text(
        "deal_id,deal_pipeline_id,deal_pipeline_stage_id,property_dealname,property_createdate\n"
        "501,7001,1043,501,2025-01-02T00:00:00Z\n502,7001,1044,502,2025-01-02T00:00:00Z\n"
    )
    (export / "deal_company.csv").write_text(f"deal_id,company_id\n501,{acme}\n502,{acme}\n")
    (export / "deal_pipeline_stage.csv").write_text(
        "stage_id,label,is_closed,closed_won,probability,pipeline_id,display_order\n"
        "1043,Signed,true,true,1.0,7001,0\n1044,Gone dark,true,false,0.0,7001,1\n"
    )

    by_api = imported("--api", "--out", str(tmp_path / "api"))
    by_files = imported(str(export), "--out", str(tmp_path / "files"))

    assert by_api.exit_code == 0, by_api.output
    assert by_files.exit_code == 0, by_files.output
    deals = {row["opportunity_id"]: row for row in table(tmp_path / "api", "opportunities")}
    shown = {d: (row["stage"], row["is_closed"], row["is_won"]) for d, row in deals.items()}
    assert shown == {"501": ("Signed", "true", "true"), "502": ("Gone dark", "true", "false")}
    assert table(tmp_path / "api", "opportunities") == table(tmp_path / "files", "opportunities")


def test_more_records_than_a_page_are_read_page_by_page(portal: HubSpotPortal, tmp_path: Path) -> None:
    acme = portal.add("companies", name="Acme", domain="acme.example")
    for n in range(7):
        person = portal.add("contacts", email=f"p{n}@elsewhere.example", createdate="2025-01-01T00:00:00Z")
        portal.associate("contacts", person, "companies", acme)

    api.import_hubspot_api(tmp_path, page=3)

    with (tmp_path / "contacts.csv").open(encoding="utf-8") as handle:
        placed = list(csv.DictReader(handle))
    assert len(placed) == 7 and {row["account_id"] for row in placed} == {acme}
    pages = portal.requests_to("GET", "/crm/v3/objects/contacts")
    assert [r.query.get("after") for r in pages] == [None, ["3"], ["6"]]


def test_since_keeps_the_deals_and_engagements_changed_since(portal: HubSpotPortal, tmp_path: Path) -> None:
    acme = portal.add("companies", name="Acme")
    for when in ("2020-01-01T00:00:00Z", "2025-06-02T00:00:00Z"):
        deal = portal.add("deals", dealname=when, createdate=when, hs_lastmodifieddate=when)
        portal.associate("deals", deal, "companies", acme)
        call = portal.add("calls", hs_timestamp=when, hs_call_title=when, hs_lastmodifieddate=when)
        portal.associate("calls", call, "companies", acme)

    result = imported("--api", "--since", "2025-01-01", "--out", str(tmp_path))

    assert result.exit_code == 0, result.output
    text = (tmp_path / "opportunities.csv").read_text() + (tmp_path / "activities.csv").read_text()
    assert "2025-06-02" in text and "2020-01-01" not in text
    assert "Acme" in (tmp_path / "accounts.csv").read_text()
    assert "hs_lastmodifieddate" in portal.requests_to("GET", "/crm/v3/objects/deals")[0].query["properties"]


def test_a_429_is_waited_out(portal: HubSpotPortal, tmp_path: Path) -> None:
    portal.add("companies", name="Acme")
    portal.fail_next(429, retry_after=1)
    result = imported("--api", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Acme" in (tmp_path / "accounts.csv").read_text()


def test_a_refused_token_is_one_line_without_the_token(
    portal: HubSpotPortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBSPOT_TOKEN", "pat-na1-wrong-secret")
    result = imported("--api", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: HubSpot answered 401 while reading companies: Authentication")
    assert "pat-na1-wrong-secret" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_a_missing_token_is_one_line_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUBSPOT_TOKEN", raising=False)
    result = imported("--api", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert (
        result.stderr.startswith("error: HUBSPOT_TOKEN is not set: ") and len(result.stderr.strip().splitlines()) == 1
    )
