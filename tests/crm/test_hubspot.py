"""`whynow import hubspot` (SPEC §11): UI exports and connector tables become the data contract's tables.

Fixtures: tests/crm/fixtures/hubspot/ui/ (real UI-export header lines, hand-written fictional rows) and
connector/ (rows of Fivetran's Apache-2.0 dbt_hubspot seeds, ids edited so that associations connect).
Its SOURCE.md says where every file comes from and what each row is for; the numbers below come from there.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import shutil
import warnings
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from whynow.cli import app
from whynow.crm import ImportReport, import_crm
from whynow.crm.report import Style, Unplaced
from whynow.examples import reference_model_path

FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
UI = FIXTURES / "ui"
CONNECTOR = FIXTURES / "connector"
UTC = dt.UTC
runner = CliRunner()


def rows(out: Path, table: str, key: str | None = None) -> dict[str, dict[str, str]]:
    """A written CSV table as {id: row}, values as the file writes them ("" for empty). The id is `key`, else
    the first column (account_id, contact_id, activity_id, opportunity_id, rep_id in the contract's tables)."""
    with (out / f"{table}.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        key = key or (reader.fieldnames or [""])[0]
        return {row[key]: row for row in reader}


def ts(text: str) -> dt.datetime | None:
    """A written timestamp (`2024-05-09 08:15:00+00`) as a datetime; None where empty."""
    return dt.datetime.fromisoformat(text) if text else None


def copy_of(folder: Path, tmp_path: Path) -> Path:
    """A writable copy of a fixture folder."""
    return Path(shutil.copytree(folder, tmp_path / folder.name))


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImportReport, Path]:
    out = tmp_path_factory.mktemp("ui") / "src"
    return import_crm("hubspot", UI, out), out


@pytest.fixture(scope="module")
def connector(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImportReport, Path]:
    out = tmp_path_factory.mktemp("connector") / "src"
    return import_crm("hubspot", CONNECTOR, out), out


# --- UI exports --------------------------------------------------------------------------------------


def test_ui_exports_are_told_apart_by_their_header(ui: tuple[ImportReport, Path]) -> None:
    report, out = ui
    assert [(file, obj, n) for file, obj, _, n in report.read] == [
        ("companies.csv", "companies", 3),
        ("contacts.csv", "contacts", 4),
        ("deals.csv", "deals", 5),
    ]
    # 3 companies; 4 contacts less the gmail one; 5 deals less the one without a company; 2 owners by name
    assert report.written == {"accounts": 3, "contacts": 3, "opportunities": 4, "reps": 2}
    assert sorted(p.name for p in out.iterdir()) == [
        "accounts.csv",
        "contacts.csv",
        "import-mapping.yaml",
        "opportunities.csv",
        "reps.csv",
    ]
    assert report.dropped == 2 and report.not_read == []


def test_ui_companies_become_accounts(ui: tuple[ImportReport, Path]) -> None:
    accounts = rows(ui[1], "accounts")
    assert list(accounts) == ["10234", "20000000001", "20000000002"]  # ordered by id, as text
    acme, bayview, early = accounts["20000000001"], accounts["20000000002"], accounts["10234"]
    assert (acme["name"], acme["industry"], acme["country"]) == (
        "Acme Title Example LLC",
        "Real Estate",
        "United States",
    )
    assert acme["domain"] == "acmetitle.example"  # Company Domain Name "www.acmetitle.example"
    assert bayview["domain"] == "bayview-lending.example"  # no Company Domain Name: Website URL "http://www.…/"
    assert early["domain"] == "oldimport.example"
    assert [float(a["annual_revenue"]) for a in (acme, bayview, early)] == [10_000_000, 50_000_000, 1_000_000]
    assert early["country"] == "Canada"


def test_owner_names_become_reps_named_after_them(ui: tuple[ImportReport, Path]) -> None:
    report, out = ui
    # "Company owner" and "Deal owner" hold full names; with no owners file each name is a rep whose id is it
    assert {r: rep["name"] for r, rep in rows(out, "reps").items()} == {
        "Dana Sample": "Dana Sample",
        "Lee Placeholder": "Lee Placeholder",
    }
    assert {a: row["owner_id"] for a, row in rows(out, "accounts").items()} == {
        "10234": "Lee Placeholder",
        "20000000001": "Dana Sample",
        "20000000002": "Dana Sample",
    }
    assert rows(out, "opportunities")["40000000002"]["owner_id"] == "Lee Placeholder"
    assert any("2 owners are named in the exports but are not in an owners file" in n for n in report.notes)


def test_an_owners_file_turns_owner_names_into_their_ids(tmp_path: Path) -> None:
    folder = copy_of(UI, tmp_path)
    (folder / "owner.csv").write_text("owner_id,email,first_name,last_name\n901,dana@seller.example,Dana,Sample\n")
    report = import_crm("hubspot", folder, tmp_path / "src")
    reps = rows(tmp_path / "src", "reps")
    # Dana Sample is owner 901 ("First Last"); Lee Placeholder is in no owners file, so still a rep by name
    assert {r: (rep["name"], rep["email"]) for r, rep in reps.items()} == {
        "901": ("Dana Sample", "dana@seller.example"),
        "Lee Placeholder": ("Lee Placeholder", ""),
    }
    owners = {a: row["owner_id"] for a, row in rows(tmp_path / "src", "accounts").items()}
    assert owners == {"10234": "Lee Placeholder", "20000000001": "901", "20000000002": "901"}
    assert rows(tmp_path / "src", "opportunities")["40000000001"]["owner_id"] == "901"
    assert any(n.startswith("1 owners are named") for n in report.notes)


def test_contacts_join_their_associated_company_else_their_email_domain(ui: tuple[ImportReport, Path]) -> None:
    report, out = ui
    contacts = rows(out, "contacts")
    assert {c: row["account_id"] for c, row in contacts.items()} == {
        "30000000001": "20000000001",  # Record ID - Company
        "30000000002": "20000000002",  # no company columns: bo@bayview-lending.example → Bayview's Website URL
        "4568": "10234",  # email at acmetitle.example, but the associated company wins
    }
    ann = contacts["30000000001"]
    assert (ann["first_name"], ann["last_name"], ann["email"], ann["title"]) == (
        "Ann",
        "Example",
        "ann@acmetitle.example",
        "VP of Operations",
    )
    # the contact's own Create Date (5/9/24 8:15), not the company's, which repeats later as 5/7/24 10:26
    assert ts(ann["created_at"]) == dt.datetime(2024, 5, 9, 8, 15, tzinfo=UTC)
    assert ts(contacts["30000000002"]["created_at"]) == dt.datetime(2024, 4, 2, 16, 45, tzinfo=UTC)
    # pat.example@gmail.com has no company, and no company has gmail.com
    assert (
        Unplaced("contacts", "contacts.csv", "no associated company, and no company has the domain of its email", 1)
        in report.unplaced
    )


def test_the_company_columns_of_a_contacts_export_are_reported_unmapped_under_their_own_names(
    ui: tuple[ImportReport, Path],
) -> None:
    unmapped = ui[0].unmapped["contacts.csv"]
    # the 7 columns after "Record ID - Company" (which is mapped) read as "Company: <label>"
    assert unmapped[-7:] == [
        "Company: Company name",
        "Company: Create Date",
        "Company: Phone Number",
        "Company: Last Activity Date",
        "Company: City",
        "Company: Country/Region",
        "Company: Industry",
    ]
    assert "Create Date" not in unmapped and "Country/Region" in unmapped  # the contact's own, not mapped
    assert "Record ID - Company" not in unmapped
    assert ui[0].unmapped["companies.csv"][:3] == ["Create Date", "Phone Number", "Last Activity Date"]


def test_deals_are_closed_and_won_by_their_stage(ui: tuple[ImportReport, Path]) -> None:
    report, out = ui
    deals = rows(out, "opportunities")

    def state(deal: str) -> tuple[str, str, str, dt.datetime | None]:
        d = deals[deal]
        return d["stage"], d["is_closed"], d["is_won"], ts(d["closed_at"])

    assert state("40000000001") == ("Closed won", "true", "true", dt.datetime(2024, 6, 10, tzinfo=UTC))
    assert state("40000000002") == ("Closed lost", "true", "false", dt.datetime(2024, 5, 28, 17, 30, tzinfo=UTC))
    # open stages: the Close Date (7/31/24, 6/20/24) is only an expected date, so closed_at stays empty
    assert state("40000000003") == ("Appointment scheduled", "false", "false", None)
    assert state("40000000004") == ("Signed - paper", "false", "false", None)
    won = deals["40000000001"]
    assert won["account_id"] == "20000000001"  # "20000000001;20000000002": the first associated company
    assert deals["40000000002"]["account_id"] == "20000000002"  # "20000000002;10234": first, though not lowest
    assert (float(won["amount"]), won["name"], won["pipeline"]) == (12000, "Acme Title renewal", "Sales Pipeline")
    assert ts(won["created_at"]) == dt.datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
    assert ts(deals["40000000003"]["created_at"]) == dt.datetime(2024, 5, 15, 11, 20, tzinfo=UTC)  # ISO style
    assert "40000000005" not in deals
    assert Unplaced("deals", "deals.csv", "no associated company", 1) in report.unplaced


def test_both_date_styles_are_read_and_reported(ui: tuple[ImportReport, Path]) -> None:
    styles = {(s.file, s.field, s.style): s.rows for s in ui[0].styles}
    iso = "ISO 8601 without offset (2020-12-30 15:25:37), read as UTC"
    # contacts: 3 Create Dates like 5/9/24 8:15 and Bo's 2024-04-02 16:45
    assert styles[("contacts.csv", "Create Date", "MM/DD/YY HH:MM")] == 3
    assert styles[("contacts.csv", "Create Date", iso)] == 1
    # deals: 4 Create Dates like 4/1/24 9:00 and one 2024-05-15 11:20; 4 Close Dates (deal 5 has none)
    assert styles[("deals.csv", "Create Date", "MM/DD/YY HH:MM")] == 4
    assert styles[("deals.csv", "Create Date", iso)] == 1
    assert Style("deals.csv", "Close Date", "MM/DD/YY HH:MM", 4) in ui[0].styles


def test_parquet_output_keeps_the_contract_types(tmp_path: Path) -> None:
    import_crm("hubspot", UI, tmp_path / "src", fmt="parquet")
    assert sorted(p.suffix for p in (tmp_path / "src").iterdir()) == [".parquet"] * 4 + [".yaml"]
    accounts = pq.read_table(tmp_path / "src" / "accounts.parquet")
    assert str(accounts.schema.field("annual_revenue").type) == "double"
    deals = pq.read_table(tmp_path / "src" / "opportunities.parquet")
    assert str(deals.schema.field("is_won").type) == "bool"
    assert str(deals.schema.field("created_at").type).startswith("timestamp")


def test_reading_an_export_leaves_no_file_open(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(UI / "companies.csv", folder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        import_crm("hubspot", folder, tmp_path / "src")
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


# --- connector tables --------------------------------------------------------------------------------


def test_connector_tables_become_accounts_contacts_and_reps(connector: tuple[ImportReport, Path]) -> None:
    report, out = connector
    accounts = rows(out, "accounts")
    assert list(accounts) == ["2182162682", "2319384765", "2539352677"]
    assert accounts["2182162682"]["name"] == "4b2c13cca3eb58ee49bbddcf00417130"  # the seed's hashed name
    assert float(accounts["2182162682"]["annual_revenue"]) == 10_000_000
    # contact_company: 78971951 and 76340251; 46897301 has no company and a hashed email without a domain
    assert {c: row["account_id"] for c, row in rows(out, "contacts").items()} == {
        "76340251": "2319384765",
        "78971951": "2182162682",
    }
    assert (
        Unplaced("contacts", "contact_data.csv", "no associated company, and no company has the domain of its email", 1)
        in report.unplaced
    )
    # owners: name is "first_name last_name" (hashed in the seed; 44023296's halves are both the hash of "")
    reps = rows(out, "reps")
    assert reps["35252170"]["name"] == "hu2Pn/fNJk3SCA/xDq0DIA== BAN2l/emlwJqFiznFAyeyQ=="
    assert reps["44023296"]["name"] == "1B2M2Y8AsgTpgAmY7PhCfg== 1B2M2Y8AsgTpgAmY7PhCfg=="
    assert reps["35252170"]["email"] == "gjMMJfwLmOf2YmxZCYCVVw=="
    assert not any("owners are named" in n for n in report.notes)  # deal owners are owner ids, all known


def test_connector_deals_are_closed_and_won_by_their_pipeline_stage(connector: tuple[ImportReport, Path]) -> None:
    report, out = connector
    deals = rows(out, "opportunities")
    # deal_company: 2392872971 → 2182162682, 1521493450 → 2319384765; 1244495215 has no company
    assert {d: row["account_id"] for d, row in deals.items()} == {
        "1521493450": "2319384765",
        "2392872971": "2182162682",
    }
    won, open_ = deals["2392872971"], deals["1521493450"]
    # the stage's label is written as the stage; closed_won/is_closed come from deal_pipeline_stage
    assert (won["stage"], won["is_closed"], won["is_won"]) == ("HloNyGJEOLMWtXLjmapLQw==", "true", "true")
    assert (open_["stage"], open_["is_closed"], open_["is_won"]) == ("pqNpReDOp9fpUPal7wWFXg==", "false", "false")
    assert won["owner_id"] == "35252170"  # an owner id stays an id
    assert ts(won["created_at"]) == dt.datetime(2020, 7, 9, 20, 15, 11, tzinfo=UTC)
    assert Unplaced("deals", "deal_data.csv", "no associated company", 1) in report.unplaced
    # the seed's stage B/OFEVwLVVUw4q7QB1Jffw== is _fivetran_deleted TRUE
    assert (
        Unplaced("deal_stages", "deal_pipeline_stage_data.csv", "deleted in HubSpot (_fivetran_deleted)", 1)
        in report.unplaced
    )


def test_rows_deleted_in_hubspot_are_reported_not_written(tmp_path: Path) -> None:
    folder = tmp_path / "export"  # the connector's companies and contacts, with one of each flagged deleted
    folder.mkdir()
    companies = (CONNECTOR / "company_data.csv").read_text()
    (folder / "company_data.csv").write_text(companies.replace("2539352677,false,", "2539352677,true,"))
    contacts = (CONNECTOR / "contact_data.csv").read_text()  # 76340251's row starts FALSE,2021-03-22 11:16:06
    (folder / "contact_data.csv").write_text(contacts.replace("FALSE,2021-03-22 11:16:06", "TRUE,2021-03-22 11:16:06"))
    shutil.copy(CONNECTOR / "contact_company_data.csv", folder)
    report = import_crm("hubspot", folder, tmp_path / "src")
    assert "2539352677" not in rows(tmp_path / "src", "accounts")
    assert "76340251" not in rows(tmp_path / "src", "contacts")
    assert Unplaced("companies", "company_data.csv", "deleted in HubSpot (is_deleted)", 1) in report.unplaced
    assert Unplaced("contacts", "contact_data.csv", "deleted in HubSpot (_fivetran_deleted)", 1) in report.unplaced


def test_engagements_become_one_activity_per_associated_contact(connector: tuple[ImportReport, Path]) -> None:
    report, out = connector
    activities = rows(out, "activities")

    def of(activity: str) -> tuple[str, str, str]:
        a = activities[activity]
        return a["type"], a["contact_id"], a["account_id"]

    # the call has two contacts: two activities, "<engagement>-<contact>"
    assert of("19732910159-76340251") == ("call", "76340251", "")
    assert of("19732910159-78971951") == ("call", "78971951", "")
    assert ts(activities["19732910159-78971951"]["occurred_at"]) == dt.datetime(
        2014, 8, 27, 20, 50, 44, 778000, tzinfo=UTC
    )  # property_hs_timestamp
    assert of("19732367783-78971951") == ("email_sent", "78971951", "")
    assert activities["19732367783-78971951"]["topic"] == "This is the subject of the email"
    # engagement_meeting has no type column: the table names the kind; its company from engagement_company
    assert of("3416212491") == ("meeting_booked", "", "2182162682")
    assert ts(activities["3416212491"]["occurred_at"]) == dt.datetime(2019, 9, 26, 13, 0, tzinfo=UTC)  # start_time
    assert of("19732728857") == ("note", "", "2319384765")
    assert of("32034933897") == ("task", "", "2319384765")
    # engagement_data's call is the same engagement as engagement_call's: not written twice
    assert "19732910159" not in activities
    # meeting 3621491516 has neither a contact nor a company
    assert "3621491516" not in activities
    [unplaced] = [u for u in report.unplaced if u.object == "engagements"]
    assert (unplaced.reason, unplaced.rows) == ("no associated contact or company", 1)


def test_an_engagement_with_an_empty_type_takes_the_kind_of_its_table(connector: tuple[ImportReport, Path]) -> None:
    # engagement_task_data's second seed row (32034933899) has type empty and task_type TODO
    assert rows(connector[1], "activities")["32034933899"]["type"] == "task"


def test_email_events_belong_to_the_contact_of_their_recipient_else_its_domain(
    connector: tuple[ImportReport, Path],
) -> None:
    report, out = connector
    activities = rows(out, "activities")

    def of(event: str) -> tuple[str, str, str]:
        a = activities[event]
        return a["type"], a["contact_id"], a["domain"]

    # recipient FCB67EF3… is contact 78971951's property_email, upper-cased
    assert of("0e442bf1-26be-3f07-8b50-5c02724ad803") == ("email_open", "78971951", "")
    assert of("89067bfe-b6ef-3d09-bc35-cfef5a3e29ae") == ("email_processed", "76340251", "")
    # reader@Acme-Title.example is no contact's email: the activity carries the recipient's domain
    assert of("63346e66-0578-4fc7-abda-62ba815c7daa") == ("email_sent", "", "acme-title.example")
    assert ts(activities["0e442bf1-26be-3f07-8b50-5c02724ad803"]["occurred_at"]) == dt.datetime(
        2020, 3, 16, 19, 3, 20, 357000, tzinfo=UTC
    )
    assert activities["0e442bf1-26be-3f07-8b50-5c02724ad803"]["campaign"] == "2"  # email_campaign_id
    # the DELIVERED event keeps the seed's hashed recipient: no contact, no domain
    assert "a9d93225-97e4-35b0-ae48-cef5c5d96d7a" not in activities
    assert (
        Unplaced("email_events", "email_event_data.csv", "its recipient is no contact's email and has no domain", 1)
        in report.unplaced
    )
    # 6 engagement activities + task 32034933899 (an empty type: its table's kind, task) + 3 email events
    assert report.written["activities"] == 10


# --- a mapping file ----------------------------------------------------------------------------------


def test_a_mapping_file_adds_columns_and_won_stages(tmp_path: Path) -> None:
    folder = copy_of(UI, tmp_path)
    companies = folder / "companies.csv"
    lines = companies.read_text().splitlines()
    # custom properties as HubSpot exports them: their label as the column name
    extra = [",Tier,Renewal Segment,Lifecycle Stage", ",1,Enterprise,Customer", ",3,SMB,Lead", ",,,"]
    companies.write_text("".join(line + more + "\n" for line, more in zip(lines, extra, strict=True)))
    mapping = tmp_path / "hubspot-map.yaml"
    mapping.write_text(
        "companies:\n  columns:\n    Tier: tier\n    Renewal Segment: segment\n"
        'deals:\n  stages:\n    won: ["Signed*"]\n'
    )
    report = import_crm("hubspot", folder, tmp_path / "src", mapping=mapping)
    accounts = rows(tmp_path / "src", "accounts")
    assert {a: (r["tier"], r["segment"], r["is_customer"]) for a, r in accounts.items()} == {
        "10234": ("", "", "false"),
        "20000000001": ("1", "Enterprise", "true"),  # tier an integer, as the contract types it
        "20000000002": ("3", "SMB", "false"),  # Lifecycle Stage "Lead": not a customer
    }
    assert "Tier" not in report.unmapped["companies.csv"]
    signed = rows(tmp_path / "src", "opportunities")["40000000004"]
    assert (signed["stage"], signed["is_closed"], signed["is_won"]) == ("Signed - paper", "true", "true")
    assert ts(signed["closed_at"]) == dt.datetime(2024, 6, 20, tzinfo=UTC)  # closed: its Close Date holds
    used = (tmp_path / "src" / "import-mapping.yaml").read_text()
    assert "Tier: tier" in used and "Signed*" in used
    assert report.mapping_file == str(mapping)


def test_a_mapping_file_with_an_unknown_object_is_an_error_naming_its_line(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("companies:\n  columns:\n    Tier: tier\ncompanys:\n  columns: {}\n")
    result = runner.invoke(
        app, ["import", "hubspot", str(UI), "--out", str(tmp_path / "src"), "--mapping", str(mapping)]
    )
    assert result.exit_code == 1
    assert f"{mapping}:4: unknown object 'companys'" in result.stderr
    assert not (tmp_path / "src").exists()


# --- --strict ----------------------------------------------------------------------------------------


def test_strict_fails_when_rows_are_unplaced_and_leaves_out_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "src"
    out.mkdir()
    (out / "accounts.csv").write_text("account_id,name\nOLD,From an earlier import\n")
    result = runner.invoke(app, ["import", "hubspot", str(UI), "--out", str(out), "--strict"])
    assert result.exit_code == 1
    flat = " ".join(result.stderr.split())
    # the gmail contact and the deal without a company
    assert "--strict: 2 rows could not be placed" in flat
    assert "deals.csv: 1 deals rows: no associated company" in flat
    assert [p.name for p in out.iterdir()] == ["accounts.csv"]
    assert (out / "accounts.csv").read_text() == "account_id,name\nOLD,From an earlier import\n"
    assert [p.name for p in tmp_path.iterdir()] == ["src"]  # no staging folder left beside it


def test_strict_passes_when_every_row_is_placed(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(UI / "companies.csv", folder)
    result = runner.invoke(app, ["import", "hubspot", str(folder), "--out", str(tmp_path / "src"), "--strict"])
    assert result.exit_code == 0, result.stderr
    assert list(rows(tmp_path / "src", "accounts")) == ["10234", "20000000001", "20000000002"]


# --- end to end --------------------------------------------------------------------------------------


def test_an_imported_ui_export_runs_with_the_reference_model(tmp_path: Path) -> None:
    src = tmp_path / "src"
    imported = runner.invoke(app, ["import", "hubspot", str(UI), "--out", str(src)])
    assert imported.exit_code == 0, imported.stderr
    assert "Not placed, so not written: 2 rows" in imported.stdout
    model = str(reference_model_path())
    store, outputs = str(tmp_path / "s.duckdb"), str(tmp_path / "outputs")
    args = ["run", "--model", model, "--data", str(src), "--as-of", "2024-06-30", "--store", store]
    ran = runner.invoke(app, [*args, "--out", outputs, "--format", "csv"])
    assert ran.exit_code == 0, ran.stderr
    status = rows(tmp_path / "outputs", "account_status", key="account_id")
    assert sorted(status) == ["10234", "20000000001", "20000000002"]
    # 10234 has the open "Old Import upsell" deal (created 2024-05-15); the other two deals closed before 6/30
    assert status["10234"]["stage"] == "opportunity"
    assert status["20000000001"]["stage"] != "opportunity"


# ---- found in review: lists of companies, epoch slips, people not in the export, files that are no export --


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_contact_of_several_companies_belongs_to_the_first(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        {
            "company.csv": "id,property_name\n101,Acme\n102,Brightline\n",
            "contact.csv": "id,property_email,property_associatedcompanyid\n"
            "1,a@x.example,101;102\n2,b@x.example,102 101\n",
        },
    )
    import_crm("hubspot", folder, tmp_path / "src")
    assert {c: r["account_id"] for c, r in rows(tmp_path / "src", "contacts").items()} == {"1": "101", "2": "102"}


def test_a_1970_date_is_an_epoch_slip_and_the_next_field_is_read(tmp_path: Path) -> None:
    # engagement_meeting's seed rows hold 1970-01-19 start times (seconds read as milliseconds, SOURCE.md)
    folder = _folder(
        tmp_path,
        {
            "company.csv": "id,property_name\n101,Acme\n",
            "engagement_meeting.csv": "engagement_id,start_time,created_at\n"
            "7,1970-01-19 05:46:12,2020-07-09 11:04:22\n8,2019-09-26 13:00:00,2020-07-09 11:04:22\n",
            "engagement_company.csv": "engagement_id,company_id\n7,101\n8,101\n",
        },
    )
    report = import_crm("hubspot", folder, tmp_path / "src")
    written = rows(tmp_path / "src", "activities")
    assert ts(written["7"]["occurred_at"]) == dt.datetime(2020, 7, 9, 11, 4, 22, tzinfo=UTC)  # created_at
    assert ts(written["8"]["occurred_at"]) == dt.datetime(2019, 9, 26, 13, 0, tzinfo=UTC)
    assert any("1 values of start_time are before 1990" in note for note in report.notes)


def test_an_engagement_of_a_contact_not_in_the_export_stays_at_its_company(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        {
            "company.csv": "id,property_name\n101,Acme\n",
            "contact.csv": "id,property_email,property_associatedcompanyid\n1,a@x.example,101\n",
            "engagement_call.csv": "engagement_id,property_hs_timestamp,type\n5,2024-01-05 10:00:00,CALL\n",
            "engagement_contact.csv": "engagement_id,contact_id\n5,501\n",  # 501 is no contact of the export
            "engagement_company.csv": "engagement_id,company_id\n5,101\n",
        },
    )
    report = import_crm("hubspot", folder, tmp_path / "src")
    [call] = rows(tmp_path / "src", "activities").values()
    assert (call["contact_id"], call["account_id"]) == ("", "101")  # a run counts it for Acme, not unmatched
    assert any("1 engagements rows name a person who is not in the export" in note for note in report.notes)


def test_an_empty_file_that_is_no_export_is_not_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"company.csv": "id,property_name\n101,Acme\n", "notes.csv": ""})
    report = import_crm("hubspot", folder, tmp_path / "src")
    assert report.not_read == ["notes.csv"]
    assert report.written == {"accounts": 1}


# ---- found in break-it review #19: folders named like export files, copies of unplaced records ------------


def _import_cli(folder: Path, out: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["import", "hubspot", str(folder), "--out", str(out)])
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.stderr.split())


@pytest.mark.parametrize("name", ["contacts.csv", "company.csv", "deal_company_data.csv", "Notes.csv"])
def test_a_folder_named_like_an_export_file_is_an_error(tmp_path: Path, name: str) -> None:
    folder = _folder(tmp_path, {} if name == "company.csv" else {"company.csv": "id,property_name\n101,Acme\n"})
    (folder / name).mkdir()  # every .csv may be a UI export, whatever its name
    code, message = _import_cli(folder, tmp_path / "src")
    assert code == 1
    assert f"{folder / name} is a folder where a file was expected" in message
    assert not (tmp_path / "src").exists()


def test_a_folder_not_named_like_an_export_file_is_passed_over(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"company.csv": "id,property_name\n101,Acme\n"})
    (folder / "attachments").mkdir()
    report = import_crm("hubspot", folder, tmp_path / "src")
    assert report.written == {"accounts": 1} and report.not_read == []


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (  # no associated company, and no company has the domain gmail.com
            "contact.csv",
            "id,property_email\n1,a@gmail.com\n1,b@gmail.com\n",
            "contact.csv rows 1 and 2 are one contacts record (id 1)",
        ),
        (  # no associated company
            "deal.csv",
            "deal_id,property_createdate\n7,2024-01-05 10:00:00\n7,2024-01-06 10:00:00\n",
            "deal.csv rows 1 and 2 are one deals record (deal_id 7)",
        ),
    ],
    ids=["contacts", "deals"],
)
def test_two_unplaced_records_with_one_id_are_duplicates_not_two_unplaced_rows(
    tmp_path: Path, file: str, text: str, message: str
) -> None:
    folder = _folder(tmp_path, {"company.csv": "id,property_name\n101,Acme\n", file: text})
    code, error = _import_cli(folder, tmp_path / "src")
    assert code == 1
    assert message in error
    assert "could not be placed" not in error
    assert not (tmp_path / "src").exists()
