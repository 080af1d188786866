"""`whynow import salesforce` (SPEC §11) on real Salesforce exports: what it reads, writes, sets aside and
reports, its mapping file, its errors, and a `whynow run` on what it wrote.

The fixtures are a few rows of three real exports (tests/crm/fixtures/salesforce/SOURCE.md names each
origin, commit, license and the rows kept):

* data-cloud-workshop/: SFDC-Assets/data-cloud-workshop (BSD-3-Clause), a Data Loader export: UTF-8 with a
  BOM, 18-character ids, booleans 1/empty, `2024-01-22T16:14:25.000+0000`;
* dev-edition-export/: earthfink1982/salesforce-in-powerbi (MIT), re-saved by a spreadsheet: MM/DD/YY
  dates, TRUE/FALSE, a converted lead;
* apex-recipes/: trailheadapps/apex-recipes (CC0-1.0), sObject-tree JSON with `@AccountRef1` references.

An import compiles large queries, so each export is imported once per module (the fixtures below) and the
tests read what it wrote. Files written by hand, for one test, are built in tmp_path and say so.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from whynow.cli import app
from whynow.crm import ImportReport, builtin_mapping, import_crm
from whynow.crm.formats import sf_id18
from whynow.crm.mapping import parse
from whynow.crm.salesforce import OBJECTS
from whynow.examples import reference_model_path
from whynow.model.load import load_model
from whynow.report import print_import_report
from whynow.run import run

FIXTURES = Path(__file__).parent / "fixtures" / "salesforce"
DATA_CLOUD = FIXTURES / "data-cloud-workshop"
DEV_EDITION = FIXTURES / "dev-edition-export"
APEX = FIXTURES / "apex-recipes"
UTC = dt.UTC
runner = CliRunner()

# Ids of the data-cloud-workshop fixture
WALKER, RICHARDSON = "001Ec00000GGw3hIAD", "001Ec00000GGw3uIAD"  # accounts with a Website
SAMPLE_ACCOUNT, LEAD_ACCOUNT = "001Ec00000FzlUdIAJ", "001Ec00000GINb1IAH"  # accounts without one
LISA, EBONY = "003Ec00000Cz31xIAB", "003Ec00000Cz30sIAB"  # contacts of Walker and of Richardson
UNPLACED_CONTACTS = ("003Ec00000Cz310IAB", "003Ec00000Cz30dIAB")  # no AccountId, @example.com emails
LEADS = ("00QEc00000BBaeeMAD", "00QEc00000BBaeqMAD", "00QEc00000BBafHMAT")  # Company: LEAD_ACCOUNT's Id

# Ids of the dev-edition-export fixture
EDGE, BURLINGTON, FARMERS = "001bm00001ZL8U9AAL", "001bm00001ZL8UAAA1", "001bm00001ZM1LyAAL"
CONVERTED_LEAD, ITS_CONTACT = "00Qbm00000Orxk5EAB", "003bm00000zbyRuAAI"
BURLINGTON_LEAD, ABBOTT_LEAD = "00Qbm00000OrxkMEAR", "00Qbm00000Orxk6EAB"


@dataclass
class Imported:
    report: ImportReport
    out: Path

    def rows(self, table: str) -> list[dict[str, str]]:
        """A written CSV table, as text: an empty field is ''."""
        with (self.out / f"{table}.csv").open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    def by_id(self, table: str, key: str) -> dict[str, dict[str, str]]:
        return {row[key]: row for row in self.rows(table)}


def timestamp(text: str) -> dt.datetime | None:
    """A timestamp as written in a CSV table (ISO 8601 with an offset), or None where empty."""
    return dt.datetime.fromisoformat(text) if text else None


def reasons(report: ImportReport) -> dict[tuple[str, str], int]:
    """(file, reason) → rows not placed."""
    return {(u.file, u.reason): u.rows for u in report.unplaced}


def styles(report: ImportReport) -> dict[tuple[str, str], str]:
    """(file, field) → the style the report states."""
    return {(s.file, s.field): s.style for s in report.styles}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def copy_files(source: Path, names: list[str], folder: Path) -> Path:
    """Some files of a fixture export, unchanged, in a folder of their own."""
    folder.mkdir(parents=True)
    for name in names:
        shutil.copyfile(source / name, folder / name)
    return folder


def flat(text: str) -> str:
    """A message without the line breaks the console may put in it."""
    return " ".join(text.split())


def import_cli(folder: Path, out: Path, *options: str) -> Result:
    return runner.invoke(app, ["import", "salesforce", str(folder), "--out", str(out), *options])


@pytest.fixture(scope="module")
def data_cloud(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    out = tmp_path_factory.mktemp("data-cloud") / "src"
    return Imported(import_crm("salesforce", DATA_CLOUD, out), out)


@pytest.fixture(scope="module")
def dev_edition(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """The dev-edition export, written as Parquet."""
    out = tmp_path_factory.mktemp("dev-edition") / "src"
    return Imported(import_crm("salesforce", DEV_EDITION, out, fmt="parquet"), out)


@pytest.fixture(scope="module")
def apex(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    out = tmp_path_factory.mktemp("apex") / "src"
    return Imported(import_crm("salesforce", APEX, out), out)


# ---- data-cloud-workshop: a Data Loader export -------------------------------------------------------------


def test_data_cloud_rows_read_and_written(data_cloud: Imported) -> None:
    report = data_cloud.report
    assert {file: (obj, rows) for file, obj, _, rows in report.read} == {
        "Account.csv": ("Account", 4),
        "Campaign.csv": ("Campaign", 3),
        "CampaignMember.csv": ("CampaignMember", 3),
        "Contact.csv": ("Contact", 4),
        "Lead.csv": ("Lead", 3),
        "Opportunity.csv": ("Opportunity", 4),
        "Task.csv": ("Task", 7),
    }
    assert {fmt for _, _, fmt, _ in report.read} == {"CSV, UTF-8 with a byte-order mark"}
    assert report.written == {
        "accounts": 4,
        "contacts": 5,  # 2 of the 4 Contacts (the 2 with an AccountId) + the 3 Leads, placed by their Company
        "activities": 7,  # 5 of the 7 Tasks + 2 of the 3 CampaignMembers: the others name an unplaced contact
        "opportunities": 4,
    }
    assert report.not_read == ["AccountContactRelation.csv"]
    assert sorted(p.name for p in data_cloud.out.iterdir()) == [
        "accounts.csv", "activities.csv", "contacts.csv", "import-mapping.yaml", "opportunities.csv",
    ]  # fmt: skip


def test_data_cloud_rows_not_placed_are_counted_with_their_reason(data_cloud: Imported) -> None:
    assert reasons(data_cloud.report) == {
        # 003Ec00000Cz310IAB and 003Ec00000Cz30dIAB: no AccountId, and no account has the domain example.com
        ("Contact.csv", "no AccountId, and no account has the domain of its Email"): 2,
        # 00TEc00000Co1WhMAJ and 00TEc00000Co1WkMAJ: WhoId is one of those two contacts, AccountId is empty
        ("Task.csv", "its person was not placed and it names no account"): 2,
        # 00vEc000000jeIqIAI: ContactId 003Ec00000Cz310IAB
        ("CampaignMember.csv", "its person was not placed and it names no account"): 1,
    }
    assert data_cloud.report.dropped == 5
    read = sum(rows for file, _, _, rows in data_cloud.report.read if file != "Campaign.csv")
    assert read == sum(data_cloud.report.written.values()) + data_cloud.report.dropped  # no row lost silently


def test_data_cloud_accounts_keep_their_ids_and_get_a_domain_from_the_website(data_cloud: Imported) -> None:
    accounts = data_cloud.by_id("accounts", "account_id")
    assert sorted(accounts) == [SAMPLE_ACCOUNT, WALKER, RICHARDSON, LEAD_ACCOUNT]
    assert all(len(account_id) == 18 for account_id in accounts)
    # Website www.WalkerHensonandCompton.com: the host, lower case, without www.
    assert accounts[WALKER]["domain"] == "walkerhensonandcompton.com"
    assert accounts[RICHARDSON]["domain"] == "richardsonbakerandford.com"
    assert accounts[LEAD_ACCOUNT]["domain"] == accounts[SAMPLE_ACCOUNT]["domain"] == ""
    assert accounts[WALKER]["name"] == "Walker Henson and Compton"
    assert accounts[WALKER]["employees"] == "577" and accounts[WALKER]["country"] == "United States"
    # Type is empty on every row of this export: no account is a customer
    assert {a["is_customer"] for a in accounts.values()} == {"false"}


def test_data_cloud_contacts_and_leads_are_placed_at_their_accounts(data_cloud: Imported) -> None:
    contacts = data_cloud.by_id("contacts", "contact_id")
    assert {c: row["account_id"] for c, row in contacts.items()} == {
        LISA: WALKER,
        EBONY: RICHARDSON,
        # the Leads' Company holds 001Ec00000GINb1IAH, the Id of "Lead Account"
        **{lead: LEAD_ACCOUNT for lead in LEADS},
    }
    assert not set(UNPLACED_CONTACTS) & set(contacts)
    assert contacts[LISA]["email"] == "lisa.baldwin@example.com"
    assert timestamp(contacts[LISA]["created_at"]) == dt.datetime(2024, 1, 23, 2, 22, 55, tzinfo=UTC)


def test_data_cloud_tasks_name_their_contact_or_lead(data_cloud: Imported) -> None:
    tasks = {k: v for k, v in data_cloud.by_id("activities", "activity_id").items() if k.startswith("00T")}
    assert {k: (v["contact_id"], v["account_id"]) for k, v in tasks.items()} == {
        "00TEc00000Co1XdMAJ": (LISA, WALKER),
        "00TEc00000Co1XZMAZ": (EBONY, RICHARDSON),
        "00TEc00000Co1XDMAZ": ("00QEc00000BBaeeMAD", ""),  # a lead, placed: the lead is the contact
        "00TEc00000Co1XCMAZ": ("00QEc00000BBafHMAT", ""),
        "00TEc00000Co1XBMAZ": ("00QEc00000BBaeqMAD", ""),
    }
    # The built-in mapping types a task by Type, else TaskSubtype: `Task` on every row of this export
    assert {v["type"] for v in tasks.values()} == {"task"}
    task = tasks["00TEc00000Co1XdMAJ"]  # ActivityDate 2023-11-22, Subject "Credit Evaluation"
    assert timestamp(task["occurred_at"]) == dt.datetime(2023, 11, 22, tzinfo=UTC)
    assert task["topic"] == "Credit Evaluation"


def test_data_cloud_campaign_members_become_campaign_activities(data_cloud: Imported) -> None:
    members = {k: v for k, v in data_cloud.by_id("activities", "activity_id").items() if k.startswith("00v")}
    assert {k: (v["type"], v["contact_id"], v["campaign"], v["channel"]) for k, v in members.items()} == {
        # CampaignId 701Ec00000GJDlBIAX: Name and Type of that Campaign row
        "00vEc000000jeJ7IAI": ("campaign_member", EBONY, "Home Loan Special - December 2023", "Email"),
        # LeadId 00QEc00000BBaeeMAD, CampaignId 701Ec00000GJDl9IAH
        "00vEc000000jeIfIAI": ("campaign_member", "00QEc00000BBaeeMAD", "Credit Card Rewards - February 2023", "event"),
    }
    # HasResponded is empty (not a response), so the activity is at the member's CreatedDate
    assert timestamp(members["00vEc000000jeJ7IAI"]["occurred_at"]) == dt.datetime(2024, 1, 23, 2, 46, 47, tzinfo=UTC)


def test_data_cloud_open_won_and_lost_opportunities(data_cloud: Imported) -> None:
    deals = data_cloud.by_id("opportunities", "opportunity_id")
    assert {k: (v["stage"], v["is_closed"], v["is_won"], timestamp(v["closed_at"])) for k, v in deals.items()} == {
        "006Ec00000AieKSIAZ": ("Proposal/Quote", "false", "false", None),
        # CloseDate 2024-01-23 in the export, but IsClosed is empty: an open deal has no closed_at
        "006Ec00000AieKXIAZ": ("Proposal/Quote", "false", "false", None),
        "006Ec00000AieKaIAJ": ("Closed Lost", "true", "false", dt.datetime(2023, 9, 23, tzinfo=UTC)),
        "006Ec00000AieKyIAJ": ("Closed Won", "true", "true", dt.datetime(2023, 11, 23, tzinfo=UTC)),
    }
    won = deals["006Ec00000AieKyIAJ"]
    assert won["account_id"] == RICHARDSON and won["amount"] == "258680.68"
    # CreatedDate 2024-01-22T16:14:25.000+0000
    assert timestamp(won["created_at"]) == dt.datetime(2024, 1, 22, 16, 14, 25, tzinfo=UTC)


def test_data_cloud_formats_found(data_cloud: Imported) -> None:
    found = styles(data_cloud.report)
    assert found[("Opportunity.csv", "IsClosed")] == "1/empty"
    assert found[("Opportunity.csv", "IsWon")] == "1/empty"
    assert found[("Task.csv", "ActivityDate")].startswith("ISO 8601 date")
    assert found[("Opportunity.csv", "CreatedDate")].startswith("ISO 8601 with offset")
    assert found[("Opportunity.csv", "CreatedDate")].endswith("converted to UTC")
    counts = {(s.file, s.field): s.rows for s in data_cloud.report.styles}
    assert counts[("Task.csv", "ActivityDate")] == 7  # every Task row has an ActivityDate


def test_data_cloud_columns_not_mapped_are_listed(data_cloud: Imported) -> None:
    unmapped = data_cloud.report.unmapped
    assert {"Type__c", "WhatId", "Status"} <= set(unmapped["Task.csv"])
    assert {"Classification__c", "ShippingStreet", "Phone"} <= set(unmapped["Account.csv"])
    assert {"Product__c", "Probability"} <= set(unmapped["Opportunity.csv"])
    assert "Added_Date__c" in unmapped["CampaignMember.csv"]
    # what the mapping reads is not listed
    assert not {"Id", "Name", "Website", "Type", "BillingAddress"} & set(unmapped["Account.csv"])
    assert not {"Id", "WhoId", "TaskSubtype", "ActivityDate"} & set(unmapped["Task.csv"])
    assert not any("Id" in fields for fields in unmapped.values())


def test_data_cloud_writes_the_mapping_it_used(data_cloud: Imported) -> None:
    written = (data_cloud.out / "import-mapping.yaml").read_text(encoding="utf-8")
    assert written == data_cloud.report.mapping
    mapping = parse(written, "import-mapping.yaml", OBJECTS)
    assert mapping["Account"].fields_of("domain") == ["Website"]


def test_the_printed_report(data_cloud: Imported) -> None:
    console = Console(record=True, width=200)
    print_import_report(console, data_cloud.report)
    text = console.export_text()
    assert "Not placed, so not written: 5 rows" in text
    assert "Contact.csv: 2 Contact rows: no AccountId, and no account has the domain of its Email" in text
    assert "Opportunity.csv IsClosed: 1/empty" in text
    assert "Not read (not an object whynow imports): AccountContactRelation.csv" in text
    assert f"Next: whynow run --model MODEL --data {data_cloud.out}" in text


# ---- dev-edition-export: a spreadsheet-saved export (written as Parquet) -----------------------------------


def test_dev_edition_rows_read_and_written(dev_edition: Imported) -> None:
    report = dev_edition.report
    assert {file: (obj, rows) for file, obj, _, rows in report.read} == {
        "Account.csv": ("Account", 3),
        "Contact.csv": ("Contact", 3),
        "Lead.csv": ("Lead", 3),
        "Opportunity.csv": ("Opportunity", 3),
    }
    assert {fmt for _, _, fmt, _ in report.read} == {"CSV, UTF-8"}
    # contacts: the 3 Contacts + the Burlington lead; the converted lead is its contact, not a second one
    assert report.written == {"accounts": 3, "contacts": 4, "opportunities": 3}
    assert reasons(report) == {("Lead.csv", "no account has the domain of its Email or the name in its Company"): 1}
    assert report.not_read == []
    assert sorted(p.name for p in dev_edition.out.iterdir()) == [
        "accounts.parquet", "contacts.parquet", "import-mapping.yaml", "opportunities.parquet",
    ]  # fmt: skip


def test_dev_edition_leads_converted_placed_by_name_and_unplaced(dev_edition: Imported) -> None:
    contacts = {r["contact_id"]: r for r in pq.read_table(dev_edition.out / "contacts.parquet").to_pylist()}
    assert {c: r["account_id"] for c, r in contacts.items()} == {
        "003bm00000zapthAAA": EDGE,
        "003bm00000zaptjAAA": BURLINGTON,
        ITS_CONTACT: FARMERS,
        BURLINGTON_LEAD: BURLINGTON,  # Company "Burlington Textiles Corp of America", an account's Name
    }
    assert CONVERTED_LEAD not in contacts  # it became 003bm00000zbyRuAAI
    assert ABBOTT_LEAD not in contacts  # Company "Abbott Insurance": no such account, no account of its domain
    assert contacts["003bm00000zapthAAA"]["title"] == "SVP, Procurement"
    assert contacts["003bm00000zapthAAA"]["department"] == "Procurement"


def test_dev_edition_accounts(dev_edition: Imported) -> None:
    accounts = {r["account_id"]: r for r in pq.read_table(dev_edition.out / "accounts.parquet").to_pylist()}
    # Type "Customer - Direct" for Edge and Burlington, empty for Farmers Coop.
    assert {a: r["is_customer"] for a, r in accounts.items()} == {EDGE: True, BURLINGTON: True, FARMERS: False}
    assert accounts[BURLINGTON]["employees"] == 9000 and accounts[FARMERS]["employees"] is None


def test_dev_edition_spreadsheet_dates_and_booleans(dev_edition: Imported) -> None:
    deals = {r["opportunity_id"]: r for r in pq.read_table(dev_edition.out / "opportunities.parquet").to_pylist()}
    shown = {k: (r["is_closed"], r["is_won"], r["closed_at"]) for k, r in deals.items()}
    assert shown == {
        "006bm00000LKJNlAAP": (True, True, dt.datetime(2024, 2, 3, tzinfo=UTC)),  # Closed Won, CloseDate 02/03/24
        "006bm00000LKJNrAAP": (False, False, None),  # Id. Decision Makers: open, CloseDate dropped
        "006bm00000LKgOnAAL": (True, False, dt.datetime(2026, 2, 23, tzinfo=UTC)),  # Closed Lost, 02/23/26
    }
    assert deals["006bm00000LKJNlAAP"]["created_at"] == dt.datetime(2026, 2, 23, tzinfo=UTC)  # CreatedDate 02/23/26
    assert deals["006bm00000LKgOnAAL"]["amount"] is None  # Amount is empty in the export
    found = styles(dev_edition.report)
    assert found[("Opportunity.csv", "CloseDate")] == "MM/DD/YY"
    assert found[("Opportunity.csv", "CreatedDate")] == "MM/DD/YY"
    assert found[("Opportunity.csv", "IsClosed")] == "FALSE/TRUE"
    assert found[("Lead.csv", "IsConverted")] == "FALSE/TRUE"


def test_dev_edition_columns_not_mapped(dev_edition: Imported) -> None:
    unmapped = dev_edition.report.unmapped
    # the three columns the author added to Opportunity.csv are not Salesforce fields
    assert {"Opportunity Lifecycle (Days)", "Opp Creation Date_Simulated", "Opp Close Date_Simulated"} <= set(
        unmapped["Opportunity.csv"]
    )
    assert {"ConvertedAccountId", "Status", "LastModifiedDate"} <= set(unmapped["Lead.csv"])


def test_activities_of_a_converted_lead_go_to_its_contact(tmp_path: Path) -> None:
    # dev-edition-export has no Task or CampaignMember file: these two are written by hand, with Salesforce's
    # field names, naming the fixture's leads and contacts.
    folder = copy_files(DEV_EDITION, ["Account.csv", "Contact.csv", "Lead.csv"], tmp_path / "export")
    write(
        folder,
        "Task.csv",
        "Id,WhoId,ActivityDate,Subject,Type\n"
        f"00Tbm0000000001AAA,{CONVERTED_LEAD},02/20/26,Intro call,Call\n"
        f"00Tbm0000000002AAA,{BURLINGTON_LEAD},02/21/26,Follow up,Email\n"
        f"00Tbm0000000003AAA,{ABBOTT_LEAD},02/21/26,Follow up,Email\n",
    )
    write(
        folder,
        "CampaignMember.csv",
        "Id,CampaignId,LeadId,ContactId,HasResponded,FirstRespondedDate,CreatedDate\n"
        f"00vbm0000000001AAA,701bm0000000001AAA,{CONVERTED_LEAD},,TRUE,02/22/26,02/20/26 09:00 AM\n"
        "00vbm0000000002AAA,701bm0000000001AAA,,003bm00000zaptjAAA,FALSE,,02/20/26 09:00 AM\n",
    )
    report = import_crm("salesforce", folder, tmp_path / "src")
    out = Imported(report, tmp_path / "src")
    activities = out.by_id("activities", "activity_id")
    shown = {k: (r["type"], r["contact_id"], timestamp(r["occurred_at"])) for k, r in activities.items()}
    assert shown == {
        "00Tbm0000000001AAA": ("call", ITS_CONTACT, dt.datetime(2026, 2, 20, tzinfo=UTC)),
        "00Tbm0000000002AAA": ("email", BURLINGTON_LEAD, dt.datetime(2026, 2, 21, tzinfo=UTC)),
        # a response, at its FirstRespondedDate
        "00vbm0000000001AAA": ("campaign_response", ITS_CONTACT, dt.datetime(2026, 2, 22, tzinfo=UTC)),
        # not a response: a membership, at its CreatedDate
        "00vbm0000000002AAA": ("campaign_member", "003bm00000zaptjAAA", dt.datetime(2026, 2, 20, 9, tzinfo=UTC)),
    }
    # no Campaign file: the campaign is named by its id
    assert activities["00vbm0000000001AAA"]["campaign"] == "701bm0000000001AAA"
    # the task of the Abbott lead, which no account takes, is set aside with the lead
    assert reasons(report)[("Task.csv", "its person was not placed and it names no account")] == 1
    assert styles(report)[("CampaignMember.csv", "CreatedDate")] == "MM/DD/YY hh:mm AM"


# ---- apex-recipes: sObject-tree JSON -----------------------------------------------------------------------


def test_apex_tree_json_is_read_with_its_references(apex: Imported) -> None:
    report = apex.report
    assert report.read == [
        ("Accounts.json", "Account", "sObject tree JSON", 2),
        ("Contacts.json", "Contact", "sObject tree JSON", 3),
        ("Opportunities.json", "Opportunity", "sObject tree JSON", 2),
    ]
    # the plural CSV twin and the plan file are not objects whynow reads
    assert sorted(report.not_read) == ["Accounts.csv", "data-plan.json (not an sObject tree)"]
    accounts = apex.by_id("accounts", "account_id")  # records have no Id: their referenceId is the id
    assert {a: (r["name"], r["domain"], r["is_customer"]) for a, r in accounts.items()} == {
        "AccountRef1": ("Zoonoodle 37", "1688.com", "true"),  # type Customer, website http://1688.com/at/…
        "AccountRef2": ("Quire 203", "liveinternet.ru", "false"),  # type Integrator
    }
    assert accounts["AccountRef1"]["employees"] == "28549"  # the field is spelled NumberOfEmployees
    contacts = apex.by_id("contacts", "contact_id")  # "accountId": "@AccountRef1" names AccountRef1
    assert {c: r["account_id"] for c, r in contacts.items()} == {
        "ContactRef2": "AccountRef1",
        "ContactRef24": "AccountRef1",
        "ContactRef22": "AccountRef2",
    }
    assert contacts["ContactRef2"]["email"] == "bcannan1@illinois.edu"


def test_apex_opportunities_without_created_date_are_not_placed(apex: Imported) -> None:
    assert apex.report.written["opportunities"] == 0
    assert reasons(apex.report) == {("Opportunities.json", "the file has no CreatedDate column (for created_at)"): 2}
    assert apex.rows("opportunities") == []
    assert styles(apex.report)[("Opportunities.json", "closedate")].startswith("ISO 8601 with offset")
    assert apex.report.unmapped["Opportunities.json (Opportunity)"] == ["description", "name"]
    assert {"phone", "fax", "billingcity"} <= set(apex.report.unmapped["Accounts.json (Account)"])


# ---- ids ---------------------------------------------------------------------------------------------------


def test_15_character_ids_are_written_in_their_18_character_form(tmp_path: Path) -> None:
    # Written by hand, with the 15-character form (as a report export gives it) of ids of data-cloud-workshop:
    # the account Sample Account for Entitlements, the contact Ashley Brock and a task, linked to each other.
    folder = tmp_path / "export"
    write(folder, "Account.csv", "Id,Name\n001Ec00000FzlUd,Sample Account for Entitlements\n")
    write(folder, "Contact.csv", "Id,AccountId,LastName\n003Ec00000Cz30U,001Ec00000FzlUd,Brock\n")
    write(folder, "Task.csv", "Id,WhoId,ActivityDate\n00TEc00000Co1Wh,003Ec00000Cz30U,2023-12-25\n")
    out = Imported(import_crm("salesforce", folder, tmp_path / "src"), tmp_path / "src")
    assert sf_id18("001Ec00000FzlUd") == "001Ec00000FzlUdIAJ"  # the id data-cloud-workshop's export has
    assert [r["account_id"] for r in out.rows("accounts")] == ["001Ec00000FzlUdIAJ"]
    assert [(r["contact_id"], r["account_id"]) for r in out.rows("contacts")] == [
        (sf_id18("003Ec00000Cz30U"), "001Ec00000FzlUdIAJ")
    ]
    assert sf_id18("003Ec00000Cz30U") == "003Ec00000Cz30UIAR"  # as in data-cloud-workshop's Contact.csv
    assert [(r["activity_id"], r["contact_id"]) for r in out.rows("activities")] == [
        ("00TEc00000Co1WhMAJ", "003Ec00000Cz30UIAR")
    ]
    assert sf_id18("00TEc00000Co1Wh") == "00TEc00000Co1WhMAJ"


# ---- mapping files -----------------------------------------------------------------------------------------


def test_a_custom_field_types_the_tasks(tmp_path: Path) -> None:
    # data-cloud-workshop's tasks carry their kind in the custom field Type__c (TaskSubtype is always "Task").
    # One hand edit, to show where a task of an unplaced person goes: 00TEc00000Co1WkMAJ (WhoId
    # 003Ec00000Cz30dIAB, which has no AccountId) gets the AccountId of Walker Henson and Compton.
    folder = copy_files(DATA_CLOUD, ["Account.csv", "Contact.csv", "Lead.csv"], tmp_path / "export")
    with (DATA_CLOUD / "Task.csv").open(encoding="utf-8-sig", newline="") as f:
        tasks = list(csv.DictReader(f))
    for task in tasks:
        if task["Id"] == "00TEc00000Co1WkMAJ":
            task["AccountId"] = WALKER
    with (folder / "Task.csv").open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(tasks[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(tasks)
    mapping = write(tmp_path, "map.yaml", "Task:\n  columns:\n    Type__c: type\n")
    report = import_crm("salesforce", folder, tmp_path / "src", mapping=mapping)
    activities = Imported(report, tmp_path / "src").by_id("activities", "activity_id")
    assert {k: r["type"] for k, r in activities.items()} == {
        "00TEc00000Co1XdMAJ": "meeting",  # Type__c Meeting
        "00TEc00000Co1XZMAZ": "prep",  # Type__c Prep: no built-in value, so the value itself, in lower case
        "00TEc00000Co1WkMAJ": "call",
        "00TEc00000Co1XDMAZ": "meeting",
        "00TEc00000Co1XCMAZ": "email",
        "00TEc00000Co1XBMAZ": "call",
    }
    # its person is not placed, but it names an account: an account's activity, without a contact
    edited = activities["00TEc00000Co1WkMAJ"]
    assert (edited["contact_id"], edited["account_id"]) == ("", WALKER)
    # 00TEc00000Co1WhMAJ names the other unplaced contact and no account
    assert reasons(report)[("Task.csv", "its person was not placed and it names no account")] == 1
    assert "Type__c" not in report.unmapped["Task.csv"]
    assert report.mapping_file == str(mapping)
    assert "Type__c: type" in (tmp_path / "src" / "import-mapping.yaml").read_text(encoding="utf-8")


def test_a_mapping_adds_columns_maps_values_and_sets_defaults(tmp_path: Path) -> None:
    # data-cloud-workshop's Account.csv: Type is empty, the custom field Classification__c says Customer or Prospect
    folder = copy_files(DATA_CLOUD, ["Account.csv"], tmp_path / "export")
    mapping = write(
        tmp_path,
        "map.yaml",
        "Account:\n"
        "  columns:\n"
        "    Classification__c: [is_customer, segment]\n"
        "    Website: null\n"
        "  values:\n"
        "    is_customer: {Customer: true, Prospect: false}\n"
        "  defaults:\n"
        "    region: EMEA\n",
    )
    report = import_crm("salesforce", folder, tmp_path / "src", mapping=mapping)
    accounts = Imported(report, tmp_path / "src").by_id("accounts", "account_id")
    shown = {a: (r["is_customer"], r["segment"], r["region"], r["domain"]) for a, r in accounts.items()}
    assert shown == {
        SAMPLE_ACCOUNT: ("false", "", "EMEA", ""),
        WALKER: ("false", "Prospect", "EMEA", ""),  # Website: null, so no domain
        RICHARDSON: ("true", "Customer", "EMEA", ""),
        LEAD_ACCOUNT: ("false", "", "EMEA", ""),
    }
    assert list(accounts[WALKER])[-1] == "segment"  # an extra column comes after the contract's
    assert "Website" in report.unmapped["Account.csv"] and "Classification__c" not in report.unmapped["Account.csv"]


def test_a_mapping_gives_tree_opportunities_a_created_date(tmp_path: Path) -> None:
    # apex-recipes' opportunities have a closedate but no CreatedDate: one field may feed two columns
    folder = copy_files(APEX, ["Accounts.json", "Opportunities.json"], tmp_path / "export")
    mapping = write(tmp_path, "map.yaml", "Opportunity:\n  columns:\n    CloseDate: [closed_at, created_at]\n")
    report = import_crm("salesforce", folder, tmp_path / "src", mapping=mapping)
    assert report.unplaced == []
    deals = Imported(report, tmp_path / "src").by_id("opportunities", "opportunity_id")
    shown = {k: (r["account_id"], timestamp(r["created_at"]), r["is_closed"], r["closed_at"]) for k, r in deals.items()}
    # StageName Proposal/Price Quote and Id. Decision Makers: not a Closed stage, so open, without closed_at
    assert shown == {
        "OpportunityRef10": ("AccountRef2", dt.datetime(2021, 5, 21, 18, 8, 32, tzinfo=UTC), "false", ""),
        "OpportunityRef17": ("AccountRef1", dt.datetime(2020, 11, 15, 11, 53, 25, tzinfo=UTC), "false", ""),
    }


def test_a_mapping_reads_a_spreadsheet_datetime(tmp_path: Path) -> None:
    # dev-edition-export's Lead.csv has no CreatedDate; LastModifiedDate is `MM/DD/YY hh:mm AM`
    folder = copy_files(DEV_EDITION, ["Account.csv", "Lead.csv"], tmp_path / "export")
    mapping = write(tmp_path, "map.yaml", "Lead:\n  columns:\n    LastModifiedDate: created_at\n")
    report = import_crm("salesforce", folder, tmp_path / "src", mapping=mapping)
    contacts = Imported(report, tmp_path / "src").by_id("contacts", "contact_id")
    assert list(contacts) == [BURLINGTON_LEAD]
    assert timestamp(contacts[BURLINGTON_LEAD]["created_at"]) == dt.datetime(2026, 2, 23, 20, 55, tzinfo=UTC)
    assert styles(report)[("Lead.csv", "LastModifiedDate")] == "MM/DD/YY hh:mm AM"
    assert reasons(report) == {
        ("Lead.csv", "converted, but the export has no Contact file"): 1,  # 00Qbm00000Orxk5EAB
        ("Lead.csv", "no account has the domain of its Email or the name in its Company"): 1,  # Abbott Insurance
    }


def test_a_custom_field_value_that_does_not_read_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "Account.csv", "Id,Name,Tier__c\n001Ec00000FzlUdIAJ,Sample,2\n001Ec00000GGw3hIAD,Walker,gold\n")
    mapping = write(tmp_path, "map.yaml", "Account:\n  columns:\n    Tier__c: tier\n")
    result = import_cli(folder, tmp_path / "src", "--mapping", str(mapping))
    assert result.exit_code == 1
    assert "Account.csv row 2, column Tier__c: 'gold' is not a whole number" in flat(result.stderr)
    assert not (tmp_path / "src").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Account:\n  columns:\n    Tier__c: tier\nAcount:\n  columns:\n    Foo__c: foo\n",
            "map.yaml:4: unknown object 'Acount'",
        ),
        (
            "Account:\n  columns:\n    Tier__c: tier\n  default:\n    region: EMEA\n",
            "map.yaml:4: Account: unknown key 'default'",
        ),
        ("Account:\n  defaults:\n    employees: many\n", "map.yaml:3: Account: 'many' is not a whole number"),
        ("Task:\n  columns:\n    Type__c: Type\n", "map.yaml:3: Task: 'Type' is not a column name"),
    ],
)
def test_mapping_file_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    mapping = write(tmp_path, "map.yaml", text)
    folder = write(tmp_path / "export", "Account.csv", "Id,Name\n001Ec00000FzlUdIAJ,Sample\n").parent
    result = import_cli(folder, tmp_path / "src", "--mapping", str(mapping))
    assert result.exit_code == 1
    assert message in flat(result.stderr)
    assert "Traceback" not in result.output


def test_print_mapping_is_the_built_in_mapping_as_yaml() -> None:
    result = runner.invoke(app, ["import", "salesforce", "--print-mapping"])
    assert result.exit_code == 0
    assert "Account:" in result.stdout
    mapping = parse(result.stdout, "printed", OBJECTS)
    assert mapping == parse(builtin_mapping("salesforce"), "built-in", OBJECTS)
    assert mapping["Account"].fields_of("account_id") == ["Id"]
    both = runner.invoke(app, ["import", "--print-mapping"])
    assert both.exit_code == 0 and "Account:" in both.stdout


# ---- bad input, through the command line -------------------------------------------------------------------


def test_a_file_without_its_id_column(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "Account.csv", "Name,Website\nWalker Henson and Compton,www.WalkerHensonandCompton.com\n")
    result = import_cli(folder, tmp_path / "src")
    assert result.exit_code == 1
    assert "Account.csv: the Account export has no Id column" in flat(result.stderr)
    assert "Traceback" not in result.output
    assert not (tmp_path / "src").exists()


def test_a_date_that_does_not_read_names_file_row_and_column(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "Account.csv", "Id,Name\n001bm00001ZL8UAAA1,Burlington Textiles Corp of America\n")
    write(
        folder,
        "Opportunity.csv",
        "Id,AccountId,StageName,CloseDate,IsClosed,IsWon,CreatedDate\n"
        "006bm00000LKJNlAAP,001bm00001ZL8UAAA1,Closed Won,02/03/24,TRUE,TRUE,02/23/26\n"
        "006bm00000LKJNrAAP,001bm00001ZL8UAAA1,Qualification,31/02/2024,FALSE,FALSE,02/23/26\n",
    )
    result = import_cli(folder, tmp_path / "src")
    assert result.exit_code == 1
    assert "Opportunity.csv row 2, column CloseDate: '31/02/2024' is not a date" in flat(result.stderr)
    assert "Traceback" not in result.output


def test_a_file_that_is_not_utf8_text(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Account.csv").write_bytes(b"Id,Name\n\x00\xff\xfe\x89PNG\r\n\x1a\n")
    result = import_cli(folder, tmp_path / "src")
    assert result.exit_code == 1
    assert "Account.csv" in result.stderr and "not UTF-8" in flat(result.stderr)
    assert "Traceback" not in result.output


def test_a_ragged_csv_row_names_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "Account.csv", "Id,Name\n001Ec00000FzlUdIAJ,Sample\n001Ec00000GGw3hIAD,Walker, Henson and Compton\n")
    result = import_cli(folder, tmp_path / "src")
    assert result.exit_code == 1
    assert "Account.csv: cannot read it as a CSV file: line 3" in flat(result.stderr)


def test_strict_refuses_unplaced_rows_and_leaves_out_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "Account.csv", "Id,Name\n001Ec00000GGw3hIAD,Walker Henson and Compton\n")
    # 003Ec00000Cz310IAB, as in data-cloud-workshop: no AccountId, an @example.com email
    write(folder, "Contact.csv", "Id,AccountId,Email\n003Ec00000Cz310IAB,,cheryl.estes@example.com\n")
    out = tmp_path / "src"
    write(out, "accounts.csv", "account_id,name\nOLD,Kept\n")
    result = import_cli(folder, out, "--strict")
    assert result.exit_code == 1
    message = flat(result.stderr)
    assert "--strict: 1 rows could not be placed" in message
    assert "Contact.csv: 1 Contact rows: no AccountId" in message
    assert sorted(p.name for p in out.iterdir()) == ["accounts.csv"]
    assert (out / "accounts.csv").read_text(encoding="utf-8") == "account_id,name\nOLD,Kept\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "src"]  # no staging folder left behind
    # without --strict, the same export is written, and the row is reported
    result = import_cli(folder, out)
    assert result.exit_code == 0, result.stderr
    assert "Contact.csv: 1 Contact rows: no AccountId" in result.stdout
    assert (out / "accounts.csv").read_text(encoding="utf-8").splitlines()[1].startswith("001Ec00000GGw3hIAD,")


def test_usage_errors(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", "Account.csv", "Id,Name\n001Ec00000FzlUdIAJ,Sample\n").parent
    missing_out = runner.invoke(app, ["import", "salesforce", str(folder)])
    assert missing_out.exit_code == 2
    assert "--out" in missing_out.stderr
    unknown_crm = runner.invoke(app, ["import", "pipedrive", str(folder), "--out", str(tmp_path / "src")])
    assert unknown_crm.exit_code == 2


def test_a_folder_that_is_not_an_export(tmp_path: Path) -> None:
    no_folder = import_cli(tmp_path / "nope", tmp_path / "src")
    assert no_folder.exit_code == 1
    assert "is not a folder" in flat(no_folder.stderr)
    folder = write(tmp_path / "export", "Contact.csv", "Id,AccountId\n003Ec00000Cz31xIAB,001Ec00000GGw3hIAD\n").parent
    no_accounts = import_cli(folder, tmp_path / "src")
    assert no_accounts.exit_code == 1
    assert "holds no Salesforce Account export" in flat(no_accounts.stderr)
    assert not (tmp_path / "src").exists()


# ---- files closed, no lead lost, company names that look like ids -------------------------------------------


def test_reading_an_export_closes_its_files(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", "Account.csv", "Id,Name\n001Ec00000FzlUdIAJ,Sample\n").parent
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import_crm("salesforce", folder, tmp_path / "src")
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


# rows that must not be lost


def test_leads_of_an_export_without_is_converted_are_placed_or_reported(tmp_path: Path) -> None:
    # dev-edition-export's Burlington and Abbott leads, exported without the IsConverted column
    folder = tmp_path / "export"
    write(folder, "Account.csv", f"Id,Name\n{BURLINGTON},Burlington Textiles Corp of America\n")
    write(
        folder,
        "Lead.csv",
        "Id,LastName,Company,Email\n"
        f"{BURLINGTON_LEAD},Rogers,Burlington Textiles Corp of America,jrogers@btca.com\n"
        f"{ABBOTT_LEAD},Cotton,Abbott Insurance,pcotton@abbottins.net\n",
    )
    report = import_crm("salesforce", folder, tmp_path / "src")
    assert report.written["contacts"] == 1  # the Burlington lead, placed by its Company
    assert report.dropped == 1  # the Abbott lead, reported


def test_a_company_name_of_15_letters_places_its_lead(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "Account.csv", "Id,Name\n001000000000001AAA,Pricewaterhouse\n")
    write(
        folder,
        "Lead.csv",
        "Id,LastName,Company,Email,IsConverted\n00Q000000000001AAA,Ann,Pricewaterhouse,ann@x.example,\n",
    )
    report = import_crm("salesforce", folder, tmp_path / "src")
    assert report.unplaced == []
    assert Imported(report, tmp_path / "src").rows("contacts")[0]["account_id"] == "001000000000001AAA"


# ---- end to end: whynow run on what the import wrote -------------------------------------------------------


def test_whynow_run_scores_the_imported_data_cloud_export(data_cloud: Imported, tmp_path: Path) -> None:
    result = run(
        load_model(reference_model_path()), str(data_cloud.out), dt.date(2024, 1, 31), store=tmp_path / "s.duckdb"
    )
    accounts = {r["account_id"]: r for r in result.outputs["account_status"].to_pylist()}
    assert sorted(accounts) == sorted(data_cloud.by_id("accounts", "account_id"))
    assert accounts[WALKER]["name"] == "Walker Henson and Compton"
    assert result.summary["contacts"]["read"] == data_cloud.report.written["contacts"] == 5
    assert result.summary["contacts"]["orphaned"] == 0  # every written contact's account was written
    assert result.summary["activities"]["read"] == data_cloud.report.written["activities"]
    assert result.summary["activities"]["unmatched"] == 0  # every activity names a written contact
    deals = {r["opportunity_id"]: r for r in result.outputs["opportunities"].to_pylist()}
    assert deals["006Ec00000AieKSIAZ"]["open"] and not deals["006Ec00000AieKyIAJ"]["open"]
    assert deals["006Ec00000AieKyIAJ"]["won"]  # Closed Won on 2023-11-23, before the as-of date
    assert accounts[RICHARDSON]["has_open_opportunity"]


def test_whynow_run_reads_the_parquet_import(dev_edition: Imported, tmp_path: Path) -> None:
    store, model = tmp_path / "s.duckdb", str(reference_model_path())
    result = runner.invoke(
        app, ["run", "--model", model, "--data", str(dev_edition.out), "--as-of", "2026-03-01", "--store", str(store)]
    )
    assert result.exit_code == 0, result.stderr
    with duckdb.connect(str(store), read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT account_id FROM account_status ORDER BY account_id").fetchall()]
        open_deals = con.execute("SELECT opportunity_id FROM opportunities WHERE open ORDER BY 1").fetchall()
    assert ids == sorted([EDGE, BURLINGTON, FARMERS])
    assert open_deals == [("006bm00000LKJNrAAP",)]  # the one deal whose IsClosed is FALSE


def test_a_json_compound_address_gives_the_country_where_the_field_is_empty(tmp_path: Path) -> None:
    # The BillingAddress value is data-cloud-workshop's Walker Henson and Compton row; BillingCountry is emptied.
    address = '"{""city"":""Katherinemouth"",""country"":""United States"",""postalCode"":""74929""}"'
    folder = tmp_path / "export"
    write(
        folder,
        "Account.csv",
        "Id,Name,BillingCountry,BillingAddress\n"
        f"{WALKER},Walker Henson and Compton,,{address}\n"
        f"{RICHARDSON},Richardson,Canada,{address}\n"  # the plain field comes first
        f"{SAMPLE_ACCOUNT},Sample,,not an address\n",  # text that is not JSON: no country, not an error
    )
    report = import_crm("salesforce", folder, tmp_path / "src")
    countries = {a["account_id"]: a["country"] for a in Imported(report, tmp_path / "src").rows("accounts")}
    assert countries == {WALKER: "United States", RICHARDSON: "Canada", SAMPLE_ACCOUNT: ""}
    assert report.unmapped["Account.csv"] == []  # BillingAddress is read, through its key


# ---- found in review: people not in the export, helper fields a mapping drops, --out, headers ---------------


def test_a_task_of_a_person_not_in_the_export_stays_at_its_account(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "Account.csv", f"Id,Name\n{WALKER},Walker Henson and Compton\n")
    write(
        folder,
        "Task.csv",
        "Id,WhoId,AccountId,ActivityDate,Type\n"
        f"00TEc00000Co1WhMAJ,003Ec00000Cz310IAB,{WALKER},2024-01-05,Call\n"  # no Contact.csv: a stranger
        "00TEc00000Co1WiMAJ,003Ec00000Cz31VIAR,,2024-01-06,Call\n",  # and no account either: unplaced
    )
    report = import_crm("salesforce", folder, tmp_path / "src")
    [task] = Imported(report, tmp_path / "src").rows("activities")
    assert (task["activity_id"], task["contact_id"], task["account_id"]) == ("00TEc00000Co1WhMAJ", "", WALKER)
    assert any("Task rows name a person who is not in the export" in note for note in report.notes)
    assert [(u.object, u.rows) for u in report.unplaced] == [("Task", 1)]


def test_a_mapping_may_drop_a_field_the_importer_itself_uses(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "Account.csv", "Id,Name,Website\n001000000000001AAA,Burlington,www.btca.com\n")
    write(folder, "Lead.csv", "Id,LastName,Company,Email\n00Q000000000001AAA,Rogers,Burlington,jr@btca.com\n")
    mapping = write(tmp_path, "map.yaml", "Lead:\n  columns:\n    Company: null\n    IsConverted: null\n")
    report = import_crm("salesforce", folder, tmp_path / "src", mapping=mapping)
    [lead] = Imported(report, tmp_path / "src").rows("contacts")
    assert lead["account_id"] == "001000000000001AAA"  # placed by its email's domain alone
    assert "Company" in report.unmapped["Lead.csv"]


def test_out_may_not_be_the_export_folder_or_a_file(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", "Account.csv", f"Id,Name\n{WALKER},Walker\n").parent
    same = import_cli(folder, folder)
    assert same.exit_code == 1 and "is the export folder itself" in flat(same.stderr)
    assert sorted(p.name for p in folder.iterdir()) == ["Account.csv"]
    a_file = write(tmp_path, "taken", "")
    on_file = import_cli(folder, a_file)
    assert on_file.exit_code == 1 and "is a file" in flat(on_file.stderr)


def test_a_semicolon_separated_file_says_so(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", "Account.csv", f"Id;Name\n{WALKER};Walker\n").parent
    result = import_cli(folder, tmp_path / "src")
    assert result.exit_code == 1
    assert "Account.csv: the header is one column holding ';': save the file as CSV with commas" in flat(result.stderr)


def test_blank_trailing_header_columns_of_a_spreadsheet_are_no_repeated_column(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", "Account.csv", f"Id,Name,,\n{WALKER},Walker,,\n").parent
    report = import_crm("salesforce", folder, tmp_path / "src")
    assert report.written == {"accounts": 1}


def test_converted_leads_are_reported_as_merged_not_lost(dev_edition: Imported) -> None:
    # the fixture's one converted lead (00Qbm00000Orxk5EAB), whose contact 003bm00000zbyRuAAI is in Contact.csv
    assert [(m.object, m.rows) for m in dev_edition.report.merged] == [("Lead", 1)]


def test_events_become_meetings_and_users_become_reps(tmp_path: Path) -> None:
    # No sample holds Event or User: these rows are hand-written with Salesforce's standard API names.
    folder = tmp_path / "export"
    write(folder, "Account.csv", f"Id,Name,OwnerId\n{WALKER},Walker Henson and Compton,005Ec000004oBPN\n")
    write(folder, "Contact.csv", f"Id,AccountId,Email\n003Ec00000Cz30UIAR,{WALKER},ashley.brock@example.com\n")
    write(
        folder,
        "Event.csv",
        "Id,WhoId,AccountId,Subject,ActivityDateTime,ActivityDate,CreatedDate\n"
        f"00UEc00000AAAAAMAA,003Ec00000Cz30U,{WALKER},Demo,2024-01-22T16:00:00.000+0100,2024-01-22,"
        "2024-01-20T09:00:00.000+0000\n",  # a 15-character WhoId: the same contact
    )
    write(
        folder,
        "User.csv",
        "Id,Name,Email,Title,Department,IsActive\n005Ec000004oBPN,Dana Reyes,dana@example.com,AE,West,1\n",
    )
    report = import_crm("salesforce", folder, tmp_path / "src")
    out = Imported(report, tmp_path / "src")
    [meeting] = out.rows("activities")
    assert (meeting["type"], meeting["contact_id"], meeting["topic"]) == ("meeting", "003Ec00000Cz30UIAR", "Demo")
    assert timestamp(meeting["occurred_at"]) == dt.datetime(2024, 1, 22, 15, 0, tzinfo=dt.UTC)  # +01:00 → UTC
    [rep] = out.rows("reps")
    assert (rep["rep_id"], rep["name"], rep["role"], rep["team"]) == ("005Ec000004oBPNIA2", "Dana Reyes", "AE", "West")
    assert out.rows("accounts")[0]["owner_id"] == "005Ec000004oBPNIA2"  # the account's owner is that rep


# ---- found in break-it review #19: folders named like export files, copies of unplaced records, ragged rows --


@pytest.mark.parametrize("name", ["Account.csv", "contact.csv", "data.json"])
def test_a_folder_named_like_an_export_file_is_an_error(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "export"
    if name != "Account.csv":
        write(folder, "Account.csv", f"Id,Name\n{WALKER},Walker\n")
    (folder / name).mkdir(parents=True)
    result = import_cli(folder, tmp_path / "src")
    assert result.exit_code == 1
    assert f"{folder / name} is a folder where a file was expected" in flat(result.stderr)
    assert "Traceback" not in result.output
    assert not (tmp_path / "src").exists()


def test_a_folder_not_named_like_an_export_file_is_passed_over(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", "Account.csv", f"Id,Name\n{WALKER},Walker\n").parent
    (folder / "attachments").mkdir()
    (folder / "Notes.csv").mkdir()  # Note is no object whynow imports
    report = import_crm("salesforce", folder, tmp_path / "src")
    assert report.written == {"accounts": 1}


def test_two_unplaced_contacts_with_one_id_are_duplicates_not_two_unplaced_rows(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder, "Account.csv", f"Id,Name,Website\n{WALKER},Walker Henson and Compton,www.walker.example\n")
    # as 003Ec00000Cz310IAB in data-cloud-workshop: no AccountId, an @example.com email no account has
    write(
        folder,
        "Contact.csv",
        "Id,AccountId,Email\n003Ec00000Cz310IAB,,cheryl.estes@example.com\n003Ec00000Cz310,,c.estes@example.com\n",
    )
    for options in ((), ("--strict",)):
        result = import_cli(folder, tmp_path / "src", *options)
        assert result.exit_code == 1
        message = flat(result.stderr)
        assert "Contact.csv rows 1 and 2 are one Contact record (Id 003Ec00000Cz310IAB)" in message
        assert "could not be placed" not in message
        assert "Traceback" not in result.output
    assert not (tmp_path / "src").exists()


def test_a_row_with_an_extra_leading_field_is_a_ragged_row_not_a_missing_name(tmp_path: Path) -> None:
    folder = write(tmp_path / "export", "Account.csv", "Id,Name,Industry\nx,001000000000001AAA,Acme,Software\n").parent
    result = import_cli(folder, tmp_path / "src")
    assert result.exit_code == 1
    message = flat(result.stderr)
    assert "Account.csv: cannot read it as a CSV file: line 2" in message
    assert "no Name" not in message and "Traceback" not in result.output
