"""The fake Salesforce org answers the real simple-salesforce client over HTTPS, with certificates checked.

These tests hold the fake to the client's behaviour before whynow's own Salesforce code (#25) relies on it:
logins both ways, a Bulk API 2.0 update that changes records, per-record failures, an expired session and a
second login, a 429 whose Retry-After reaches the client, a failed job, and a query read in pages.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("simple_salesforce")
pytest.importorskip("trustme")

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceOperationError,
    SalesforceRefusedRequest,
)
from urllib3.util.retry import Retry

from tests.fakes.salesforce import SalesforceOrg, serve_org

PASSWORD, TOKEN = "hunter2", "TOKEN123"


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceOrg]:
    """A running fake org holding three accounts; the client trusts its throwaway CA and nothing is switched off."""
    with serve_org() as org:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", org.ca_bundle)
        for name in ("Acme", "Globex", "Initech"):
            org.add("Account", Name=name, Industry="Manufacturing")
        yield org
        assert not org.crashes


def ids(org: SalesforceOrg) -> list[str]:
    return sorted(org.records["Account"])


def by_token(org: SalesforceOrg, session: requests.Session | None = None) -> Salesforce:
    return Salesforce(instance_url=org.url, session_id=org.new_session(), session=session)


def by_password(org: SalesforceOrg) -> Salesforce:
    return Salesforce(username="whynow@example.com", password=PASSWORD, security_token=TOKEN, domain=org.login_domain)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_certificate_is_checked_against_the_throwaway_ca(
    org: SalesforceOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the test's CA the client refuses the server: verification is on, the CA is what makes it pass."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(requests.exceptions.SSLError):
        by_token(org).bulk2.Account.update(records=[{"Id": ids(org)[0], "Industry": "Retail"}], wait=0)
    deadline = time.monotonic() + 2  # the server notes the broken handshake in its own thread
    while not org.tls_refusals and time.monotonic() < deadline:
        time.sleep(0.01)
    assert org.received == [] and org.tls_refusals


def test_login_with_password_and_token_reaches_the_fake_and_opens_a_session(org: SalesforceOrg) -> None:
    sf = by_password(org)
    assert sf.session_id in org.sessions
    assert sf.base_url == f"{org.url}/services/data/v59.0/"
    login = org.requests_to("/services/Soap/u/59.0")
    assert [seen.method for seen in login] == ["POST"] and login[0].headers["SOAPAction"] == "login"
    session_id, instance = SalesforceLogin(
        username="whynow@example.com", password=PASSWORD, security_token=TOKEN, scratch_url=org.url
    )
    assert session_id in org.sessions and f"https://{instance}" == org.url


def test_a_wrong_password_is_refused_as_salesforce_refuses_it(org: SalesforceOrg) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as refused:
        Salesforce(username="whynow@example.com", password="wrong", security_token=TOKEN, domain=org.login_domain)
    assert refused.value.code == "INVALID_LOGIN"


def test_a_bulk_update_changes_the_records_and_reports_them_successful(org: SalesforceOrg) -> None:
    first, second, _ = ids(org)
    sf = by_token(org)
    [result] = sf.bulk2.Account.update(
        records=[{"Id": first, "Industry": "Retail"}, {"Id": second, "Industry": "Energy"}], wait=0
    )
    assert result["numberRecordsProcessed"] == 2 and result["numberRecordsFailed"] == 0
    assert org.records["Account"][first]["Industry"] == "Retail"
    assert org.records["Account"][second]["Industry"] == "Energy"
    successful = rows(sf.bulk2.Account.get_successful_records(result["job_id"]))
    assert {row["sf__Id"] for row in successful} == {first, second}
    assert {row["sf__Created"] for row in successful} == {"false"}
    paths = [(seen.method, seen.path.split("/jobs/")[-1]) for seen in org.received]
    job = result["job_id"]
    assert paths[:3] == [("POST", "ingest"), ("PUT", f"ingest/{job}/batches"), ("PATCH", f"ingest/{job}")]
    assert all("Authorization" not in seen.headers for seen in org.received)


def test_records_that_fail_are_reported_in_failed_results_and_left_unchanged(org: SalesforceOrg) -> None:
    gone, locked, long = ids(org)
    org.delete(gone)
    org.deny_access(locked)
    org.fields["Account"]["Industry"] = 10
    sf = by_token(org)
    [result] = sf.bulk2.Account.update(
        records=[{"Id": i, "Industry": "Aerospace & Defence"} for i in (gone, locked, long)], wait=0
    )
    assert result["numberRecordsFailed"] == 3 and result["numberRecordsProcessed"] == 3
    failed = {row["sf__Id"]: row["sf__Error"] for row in rows(sf.bulk2.Account.get_failed_records(result["job_id"]))}
    assert failed[gone].startswith("ENTITY_IS_DELETED:")
    assert failed[locked].startswith("INSUFFICIENT_ACCESS_OR_READONLY:")
    assert failed[long].startswith("STRING_TOO_LONG:Industry:")
    assert org.records["Account"][long]["Industry"] == "Manufacturing"


def test_an_expired_session_answers_401_and_a_second_login_carries_on(org: SalesforceOrg) -> None:
    sf = by_password(org)
    org.expire_sessions()
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf.bulk2.Account.update(records=[{"Id": ids(org)[0], "Industry": "Retail"}], wait=0)
    assert expired.value.status == 401 and expired.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
    [result] = by_password(org).bulk2.Account.update(records=[{"Id": ids(org)[0], "Industry": "Retail"}], wait=0)
    assert result["numberRecordsFailed"] == 0 and org.records["Account"][ids(org)[0]]["Industry"] == "Retail"


def test_a_429_brings_its_retry_after_to_the_client(org: SalesforceOrg) -> None:
    """urllib3's retry, mounted on the client's session, waits the Retry-After the fake sent, then succeeds."""
    session = requests.Session()
    retry = Retry(total=2, status_forcelist=[429], allowed_methods=None, respect_retry_after_header=True)
    session.mount("https://", HTTPAdapter(max_retries=retry))
    org.answer_next("rate_limited", retry_after=1)
    started = time.monotonic()
    [result] = by_token(org, session).bulk2.Account.update(records=[{"Id": ids(org)[0], "Industry": "Retail"}], wait=0)
    assert time.monotonic() - started >= 1.0
    assert result["numberRecordsFailed"] == 0
    assert [seen.status for seen in org.received[:2]] == [429, 200]


def test_the_other_failures_reach_the_client_with_salesforce_error_codes(org: SalesforceOrg) -> None:
    sf = by_token(org)
    org.answer_next("limit_exceeded")
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.bulk2.Account.update(records=[{"Id": ids(org)[0], "Industry": "Retail"}], wait=0)
    assert refused.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    org.answer_next("server_error")
    with pytest.raises(SalesforceGeneralError) as broken:
        sf.bulk2.Account.update(records=[{"Id": ids(org)[0], "Industry": "Retail"}], wait=0)
    assert broken.value.status == 500


def test_a_job_that_fails_processes_nothing_and_leaves_its_records_unprocessed(org: SalesforceOrg) -> None:
    org.fail_next_jobs(message="InvalidBatch : Failed to process the job")
    sf = by_token(org)
    with pytest.raises(SalesforceOperationError, match="InvalidBatch"):
        sf.bulk2.Account.update(records=[{"Id": ids(org)[0], "Industry": "Retail"}], wait=0)
    [job] = org.jobs.values()
    assert job.state == "Failed" and org.records["Account"][ids(org)[0]]["Industry"] == "Manufacturing"
    assert rows(sf.bulk2.Account.get_unprocessed_records(job.id)) == [{"Id": ids(org)[0], "Industry": "Retail"}]


def test_a_bulk_query_returns_the_records_in_pages(org: SalesforceOrg) -> None:
    org.add("Account", Name="Old Co", LastModifiedDate="2020-01-01T00:00:00.000+0000")
    sf = by_token(org)
    pages = list(
        sf.bulk2.Account.query(
            "SELECT Id, Name FROM Account WHERE LastModifiedDate >= 2024-01-01T00:00:00Z", max_records=2, wait=0
        )
    )
    assert len(pages) == 2
    assert sorted(row["Name"] for page in pages for row in rows(page)) == ["Acme", "Globex", "Initech"]
    assert list(rows(pages[0])[0]) == ["Id", "Name"]
    results = org.requests_to("/results")
    assert "locator" not in results[0].path and "locator=" in results[1].path


def test_soql_outside_the_subset_is_refused_when_the_job_is_created(org: SalesforceOrg) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        next(by_token(org).bulk2.Account.query("SELECT Id FROM Account WHERE Name = 'Acme'", wait=0))
    assert refused.value.status == 400 and refused.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_describe_lists_an_objects_fields_and_an_unknown_object_is_not_found(org: SalesforceOrg) -> None:
    from simple_salesforce.exceptions import SalesforceResourceNotFound

    org.define("Opportunity", ["AccountId", "StageName"])
    sf = by_token(org)
    fields = {f["name"]: f["type"] for f in sf.Account.describe()["fields"]}
    assert fields["Id"] == "id" and fields["Name"] == "string" and "LastModifiedDate" in fields
    assert [f["name"] for f in sf.Opportunity.describe()["fields"]][:3] == ["Id", "AccountId", "StageName"]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Event.describe()


def test_a_query_reads_names_in_any_case_and_refuses_a_compound_field(org: SalesforceOrg) -> None:
    org.define("Account", ["Name", "BillingAddress"])
    org.add("Account", Name="Acme", BillingAddress='{"country": "France"}')
    sf = by_token(org)
    [page] = sf.bulk2.Account.query("SELECT id, NAME FROM account", wait=0)
    assert list(rows(page)[0]) == ["Id", "Name"] and "Acme" in [row["Name"] for row in rows(page)]
    with pytest.raises(SalesforceMalformedRequest) as refused:
        next(sf.bulk2.Account.query("SELECT Id, BillingAddress FROM Account", wait=0))
    assert refused.value.content[0]["errorCode"] == "FUNCTIONALITY_NOT_ENABLED"
