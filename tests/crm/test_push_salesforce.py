"""Sending a push to Salesforce (SPEC §12) with the real simple-salesforce client's Bulk API 2.0, against the
fake org of tests/fakes/salesforce.py over checked TLS."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

pytest.importorskip("simple_salesforce")
pytest.importorskip("trustme")

from tests.crm.pushing import merged
from tests.fakes.salesforce import SalesforceOrg, serve_org
from whynow.crm.push.records import with_digest
from whynow.crm.push.salesforce import connect, send
from whynow.crm.push.transport import Unreachable
from whynow.model.schema import SalesforcePush


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceOrg]:
    with serve_org() as org:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", org.ca_bundle)
        for sobject in ("Account", "Contact", "Lead"):
            org.fields[sobject] |= {"Whynow_Badge__c": 20}
        yield org
        assert not org.crashes


def _by_token(org: SalesforceOrg) -> SalesforcePush:
    return SalesforcePush(instance_url=org.url, access_token=org.new_session())


def _sent(ids: list[str], badges: list[str | None]) -> pa.Table:
    return with_digest(pa.table({"record_id": ids, "Whynow_Badge__c": pa.array(badges, pa.string())}))


def test_accounts_are_updated_by_one_ingest_job_and_a_null_clears_the_field(org: SalesforceOrg) -> None:
    acme, globex = org.add("Account", Name="Acme", Whynow_Badge__c="old"), org.add("Account", Name="Globex")
    section = _by_token(org)
    sent = merged(
        send(lambda: connect(section, backoff_s=0.01), "account", _sent([acme, globex], [None, "Renewal"]), poll_s=0)
    )
    assert sorted(sent.confirmed) == sorted([acme, globex]) and not sent.failed
    assert org.records["Account"][globex]["Whynow_Badge__c"] == "Renewal"
    assert "Whynow_Badge__c" not in org.records["Account"][acme]  # cleared


def test_a_contact_that_came_from_a_lead_is_updated_on_the_lead(org: SalesforceOrg) -> None:
    person, lead = org.add("Contact", LastName="Lee"), org.add("Lead", LastName="Roe", Company="Beta")
    section = _by_token(org)
    sent = merged(send(lambda: connect(section), "contact", _sent([person, lead], ["Switching", "Demo"]), poll_s=0))
    assert sorted(sent.confirmed) == sorted([person, lead])
    assert org.records["Lead"][lead]["Whynow_Badge__c"] == "Demo"
    assert {seen.path.split("/")[-1] for seen in org.requests_to("/jobs/ingest") if seen.method == "POST"} == {"ingest"}


def test_refused_records_keep_salesforces_error_and_an_expired_session_is_renewed_once(org: SalesforceOrg) -> None:
    kept, gone, long = (org.add("Account", Name=n) for n in ("A", "B", "C"))
    org.delete(gone)
    stale = connect(SalesforcePush(instance_url=org.url, access_token="expired"))  # never issued: 401
    fresh = org.new_session()
    sent = merged(
        send(
            lambda: connect(SalesforcePush(instance_url=org.url, access_token=fresh)),
            "account",
            _sent([kept, gone, long], ["x", "y", "z" * 30]),
            client=stale,
            poll_s=0,
        )
    )
    assert sent.confirmed == [kept]
    assert sent.failed[gone].startswith("ENTITY_IS_DELETED") and sent.failed[long].startswith("STRING_TOO_LONG")


@pytest.mark.parametrize("failure", ["rate_limited", "server_error"])
def test_a_429_or_a_500_is_retried_and_the_job_goes_through(org: SalesforceOrg, failure) -> None:
    one = org.add("Account", Name="Acme")
    org.answer_next(failure, times=2, retry_after=1)
    section = _by_token(org)
    sent = merged(send(lambda: connect(section, backoff_s=0.01), "account", _sent([one], ["Renewal"]), poll_s=0))
    assert sent.confirmed == [one] and org.records["Account"][one]["Whynow_Badge__c"] == "Renewal"
    statuses = [seen.status for seen in org.received]
    assert statuses[:2] == ([429, 429] if failure == "rate_limited" else [500, 500])


def test_a_spent_daily_allowance_stops_the_push_and_confirms_nothing(org: SalesforceOrg) -> None:
    one = org.add("Account", Name="Acme")
    org.answer_next("limit_exceeded", times=50)
    section = _by_token(org)
    with pytest.raises(Unreachable, match="REQUEST_LIMIT_EXCEEDED"):
        merged(send(lambda: connect(section, backoff_s=0.01), "account", _sent([one], ["Renewal"]), poll_s=0))
    assert "Whynow_Badge__c" not in org.records["Account"][one]


def test_a_job_that_fails_leaves_its_records_unconfirmed_with_salesforces_message(org: SalesforceOrg) -> None:
    one, two = org.add("Account", Name="Acme"), org.add("Account", Name="Globex")
    org.fail_next_jobs(1, message="InvalidBatch : Failed to process the job")
    section = _by_token(org)
    sent = merged(send(lambda: connect(section), "account", _sent([one, two], ["x", "y"]), poll_s=0))
    assert sent.confirmed == [] and set(sent.failed) == {one, two}
    assert "InvalidBatch" in sent.failed[one]


def test_text_with_quotes_commas_and_line_breaks_arrives_as_it_was(org: SalesforceOrg) -> None:
    org.fields["Account"] |= {"Whynow_Badge__c": 255}
    one = org.add("Account", Name="Acme")
    hostile = 'He said "switch", then:\nleft, =cmd|calc'
    section = _by_token(org)
    sent = merged(send(lambda: connect(section), "account", _sent([one], [hostile]), poll_s=0))
    assert sent.confirmed == [one] and org.records["Account"][one]["Whynow_Badge__c"] == hostile


def test_jobs_are_cut_by_records_and_by_bytes(org: SalesforceOrg, monkeypatch: pytest.MonkeyPatch) -> None:
    import whynow.crm.push.salesforce as salesforce

    ids = [org.add("Account", Name=f"Co {i}") for i in range(10)]
    monkeypatch.setattr(salesforce, "JOB_BYTES", 3 * (20 + 3 + 20 + 3))  # three rows of Id and a 20-letter badge
    section = _by_token(org)
    outcomes = list(send(lambda: connect(section), "account", _sent(ids, ["B" * 20] * 10), poll_s=0))
    assert [o.sent for o in outcomes] == [3, 3, 3, 1]
    assert sorted(merged(outcomes).confirmed) == sorted(ids)
    uploads = [seen for seen in org.requests_to("/batches") if seen.method == "PUT"]
    assert len(uploads) == 4 and max(seen.body_size for seen in uploads) <= 3 * 46 + len("Id,Whynow_Badge__c\n")
    monkeypatch.setattr(salesforce, "JOB_ROWS", 4)
    assert [o.sent for o in send(lambda: connect(section), "account", _sent(ids, ["B"] * 10), poll_s=0)] == [4, 4, 2]
