"""`whynow import salesforce --api` (SPEC §12) against the fake org over HTTPS (tests/fakes/salesforce.py),
through the real simple-salesforce client, with the certificate checked against the test's throwaway CA.

The main check: an export folder loaded into the org, then read through the Bulk API 2.0 query, gives the
very files that importing the folder itself gives. The exports are the repository's fixtures (a few rows of
three real exports, tests/crm/fixtures/salesforce/SOURCE.md) and, where ../shared/data is beside the
checkout, the whole samples they were cut from.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("simple_salesforce")
pytest.importorskip("trustme")

from typer.testing import CliRunner, Result

from tests.fakes.salesforce import SalesforceOrg, serve_org
from whynow.cli import app
from whynow.crm.api import salesforce as api

FIXTURES = Path(__file__).parents[1] / "fixtures" / "salesforce"
SHARED = Path(__file__).parents[3].parent / "shared" / "data" / "salesforce-sample"
ENV = ("SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN", "SALESFORCE_USERNAME", "SALESFORCE_PASSWORD")
runner = CliRunner()


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceOrg]:
    """A running org, trusted through REQUESTS_CA_BUNDLE, and a session token in the environment."""
    with serve_org() as org:
        for name in (*ENV, "SALESFORCE_SECURITY_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", org.ca_bundle)
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", org.url)
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", org.new_session())
        monkeypatch.setattr(api, "POLL_S", 0)  # the fake finishes a job in one poll; no need to wait between
        yield org
        assert not org.crashes


def load(org: SalesforceOrg, folder: Path) -> None:
    """Every `<Object>.csv` of an export into the org: the object with the file's header as its fields (and no
    others: a field the export left out is not in the org), each row a record with its Id as exported."""
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            org.define(path.stem, list(reader.fieldnames or []), system_fields=False)
            for row in reader:
                org.add(path.stem, **row)


def files(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())}


def imported(*args: str) -> Result:
    return runner.invoke(app, ["import", "salesforce", *args])


EXPORTS = [
    pytest.param(FIXTURES / "data-cloud-workshop", id="fixture-data-cloud-workshop"),
    pytest.param(FIXTURES / "dev-edition-export", id="fixture-dev-edition-export"),
    pytest.param(SHARED / "data-cloud-workshop", id="sample-data-cloud-workshop"),
    pytest.param(SHARED / "dev-edition-export", id="sample-dev-edition-export"),
]


@pytest.mark.parametrize("export", EXPORTS)
def test_the_api_gives_the_tables_the_export_files_give(org: SalesforceOrg, export: Path, tmp_path: Path) -> None:
    if not export.is_dir():
        pytest.skip(f"{export} is not beside the checkout")
    load(org, export)

    by_api = imported("--api", "--out", str(tmp_path / "api"))
    by_files = imported(str(export), "--out", str(tmp_path / "files"))

    assert by_api.exit_code == 0, by_api.output
    assert by_files.exit_code == 0, by_files.output
    assert f"Imported Salesforce through its API at {org.url}" in by_api.stdout
    written = files(tmp_path / "api")
    assert {"accounts.csv", "contacts.csv", "opportunities.csv"} <= set(written)
    assert written == files(tmp_path / "files")
    queries = [job.query for job in org.jobs.values() if job.kind == "query"]
    assert any(q.startswith("SELECT Id, Name, ") and q.endswith(" FROM Account") for q in queries)
    assert not any("BillingAddress" in q for q in queries)  # a compound field: its components are read


def test_more_rows_than_a_page_are_read_page_by_page(org: SalesforceOrg, tmp_path: Path) -> None:
    export = FIXTURES / "data-cloud-workshop"
    load(org, export)

    report = api.import_salesforce_api(tmp_path / "api", page=2)
    assert imported(str(export), "--out", str(tmp_path / "files")).exit_code == 0

    assert files(tmp_path / "api") == files(tmp_path / "files")
    task_pages = [seen for seen in org.requests_to("/results") if seen.path.count("maxRecords=2")]
    assert sum("locator=" in seen.path for seen in task_pages) >= 3  # Task's 7 rows take 4 pages
    assert ("Task", "Task", api.API, 7) in report.read


def test_since_reads_the_activities_and_deals_changed_since_and_everything_else_whole(
    org: SalesforceOrg, tmp_path: Path
) -> None:
    org.define("Task", ["ActivityDate", "WhoId", "AccountId", "Subject", "Type"])
    org.define("Opportunity", ["AccountId", "StageName", "CloseDate", "IsClosed", "IsWon"])
    old = "2020-01-01T00:00:00.000+0000"
    acme = org.add("Account", Name="Acme", LastModifiedDate=old)
    for when, subject in ((old, "old call"), ("2025-06-02T09:00:00.000+0000", "new call")):
        org.add("Task", AccountId=acme, ActivityDate="2025-06-02", Subject=subject, Type="Call", LastModifiedDate=when)
        org.add("Opportunity", AccountId=acme, StageName=subject, LastModifiedDate=when)

    result = imported("--api", "--since", "2025-01-01", "--out", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert [r["topic"] for r in rows(tmp_path / "activities.csv")] == ["new call"]
    assert [r["stage"] for r in rows(tmp_path / "opportunities.csv")] == ["new call"]
    assert [r["name"] for r in rows(tmp_path / "accounts.csv")] == ["Acme"]  # changed in 2020, read all the same
    queries = {job.sobject: job.query for job in org.jobs.values()}
    assert queries["Task"].endswith("FROM Task WHERE LastModifiedDate >= 2025-01-01T00:00:00Z")
    assert "WHERE" not in queries["Account"]
    assert "Task, Opportunity: only records changed since 2025-01-01" in result.stdout


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_429_is_waited_out_and_an_expired_session_renewed(org: SalesforceOrg, tmp_path: Path) -> None:
    export = FIXTURES / "dev-edition-export"
    load(org, export)
    org.answer_next("rate_limited", retry_after=1)
    org.answer_next("expired")

    by_api = imported("--api", "--out", str(tmp_path / "api"))

    assert by_api.exit_code == 0, by_api.output
    assert [seen.status for seen in org.received[:3]] == [429, 401, 200]
    assert imported(str(export), "--out", str(tmp_path / "files")).exit_code == 0
    assert files(tmp_path / "api") == files(tmp_path / "files")


def test_a_session_that_stays_expired_is_one_line_naming_the_variable(org: SalesforceOrg, tmp_path: Path) -> None:
    load(org, FIXTURES / "dev-edition-export")
    org.answer_next("expired", times=2)

    result = imported("--api", "--out", str(tmp_path))

    assert result.exit_code == 1
    assert result.stderr.startswith("error: Salesforce ended the session twice while reading Account: check ")
    assert "SALESFORCE_ACCESS_TOKEN" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not tmp_path.joinpath("accounts.csv").exists()


def test_a_password_login_reads_the_org_and_no_secret_is_shown_or_written(
    org: SalesforceOrg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(org, FIXTURES / "dev-edition-export")
    token = org.new_session()
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", token)
    with_token = imported("--api", "--out", str(tmp_path / "token"))
    monkeypatch.delenv("SALESFORCE_ACCESS_TOKEN")
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", f"https://{org.login_domain}")
    monkeypatch.setenv("SALESFORCE_USERNAME", "whynow@example.com")
    monkeypatch.setenv("SALESFORCE_PASSWORD", "hunter2")
    monkeypatch.setenv("SALESFORCE_SECURITY_TOKEN", "TOKEN123")
    with_password = imported("--api", "--out", str(tmp_path / "password"))

    assert with_token.exit_code == 0 and with_password.exit_code == 0, with_password.output
    assert files(tmp_path / "token") == files(tmp_path / "password")
    shown = with_token.output + with_password.output + "".join(files(tmp_path / "token").values())
    assert token not in shown and "hunter2" not in shown and "TOKEN123" not in shown
    assert len(org.requests_to("/services/Soap/u/")) == 1  # one login


@pytest.mark.parametrize(
    ("unset", "username", "named"),
    [
        ("SALESFORCE_ACCESS_TOKEN", False, "SALESFORCE_ACCESS_TOKEN"),
        ("SALESFORCE_INSTANCE_URL", False, "SALESFORCE_INSTANCE_URL"),
        ("SALESFORCE_PASSWORD", True, "SALESFORCE_PASSWORD"),
    ],
)
def test_a_missing_variable_is_one_line_naming_it(
    org: SalesforceOrg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unset: str, username: bool, named: str
) -> None:
    if username:
        monkeypatch.delenv("SALESFORCE_ACCESS_TOKEN")
        monkeypatch.setenv("SALESFORCE_USERNAME", "whynow@example.com")
        monkeypatch.setenv("SALESFORCE_SECURITY_TOKEN", "TOKEN123")
    monkeypatch.delenv(unset, raising=False)

    result = imported("--api", "--out", str(tmp_path))

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {named} is not set: ") and len(result.stderr.strip().splitlines()) == 1
    assert org.received == []


def test_an_untrusted_certificate_is_refused_not_skipped(
    org: SalesforceOrg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    result = imported("--api", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "its certificate is not trusted" in result.stderr
    assert org.received == []


def test_api_and_since_are_checked_against_the_folder(tmp_path: Path) -> None:
    both = imported(str(FIXTURES / "dev-edition-export"), "--api", "--out", str(tmp_path))
    since_alone = imported(str(FIXTURES / "dev-edition-export"), "--since", "2025-01-01", "--out", str(tmp_path))
    assert both.exit_code == 2 and "--api reads the CRM, not a folder" in both.output
    assert since_alone.exit_code == 2 and "--since goes with --api" in since_alone.output


def test_since_must_be_a_date(tmp_path: Path) -> None:
    result = imported("--api", "--since", "last week", "--out", str(tmp_path))
    assert result.exit_code == 2 and "'last week' is not a date" in result.output


def test_the_report_lists_what_the_org_holds_and_the_mapping_does_not_read(org: SalesforceOrg, tmp_path: Path) -> None:
    org.define("Account", ["Name", "Rating", "Ownership"])
    org.add("Account", Name="Acme", Rating="Hot")
    report = api.import_salesforce_api(tmp_path, since=dt.date(2025, 1, 1))
    assert report.unmapped["Account"] == ["Rating", "Ownership", "CreatedDate", "LastModifiedDate", "SystemModstamp"]
    assert "Contact (the org has no such object, or this user may not read it)" not in report.not_read
    assert "Task (the org has no such object, or this user may not read it)" in report.not_read
