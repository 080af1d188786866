"""Sending a push to HubSpot (SPEC §12) with the real hubspot-api-client, against the fake portal of
tests/fakes/hubspot.py over HTTP: batches of 100, a 207's refused records kept apart, 429 retried."""

from __future__ import annotations

import pyarrow as pa
import pytest

pytest.importorskip("hubspot")

from tests.crm.pushing import merged
from tests.fakes.hubspot import HubSpotPortal
from whynow.crm.push.hubspot import client, send
from whynow.crm.push.records import with_digest


def _sent(ids: list[str], badges: list[str | None]) -> pa.Table:
    return with_digest(pa.table({"record_id": ids, "whynow_badge": pa.array(badges, pa.string())}))


def test_every_record_is_updated_100_at_a_time_and_a_null_clears_the_property(portal: HubSpotPortal) -> None:
    ids = [portal.add("companies", name=f"Co {i}", whynow_badge="old") for i in range(250)]
    badges = ["Renewal"] * 249 + [None]
    sent = merged(send(client(portal.token, portal.url), "account", _sent(ids, badges)))
    assert sorted(sent.confirmed) == sorted(ids) and not sent.failed
    assert [len(r.body["inputs"]) for r in portal.requests_to("POST", "/crm/v3/objects/companies/batch/update")] == [
        100, 100, 50
    ]  # fmt: skip
    assert portal.properties("companies", ids[0])["whynow_badge"] == "Renewal"
    assert portal.properties("companies", ids[-1])["whynow_badge"] in ("", None)  # cleared


def test_records_the_crm_refuses_are_reported_with_its_message_and_not_confirmed(portal: HubSpotPortal) -> None:
    kept, gone, locked = (portal.add("contacts", email=f"{n}@example.com") for n in "abc")
    portal.delete("contacts", gone)
    portal.fail_records([locked], "no_access")
    sent = merged(send(client(portal.token, portal.url), "contact", _sent([kept, gone, locked], ["x", "y", "z"])))
    assert sent.confirmed == [kept]
    assert set(sent.failed) == {gone, locked}
    assert sent.failed[gone].startswith("OBJECT_NOT_FOUND") and sent.failed[locked].startswith("FORBIDDEN")


def test_a_429_is_retried_after_its_retry_after_and_a_lasting_500_leaves_the_batch_unconfirmed(
    portal: HubSpotPortal,
) -> None:
    one = portal.add("companies", name="Acme")
    portal.fail_next(429, times=1, retry_after=1)
    sent = merged(send(client(portal.token, portal.url, backoff_s=0.01), "account", _sent([one], ["Renewal"])))
    assert sent.confirmed == [one]
    assert len(portal.requests_to("POST", "/crm/v3/objects/companies/batch/update")) == 2
    portal.fail_next(500, times=20)
    sent = merged(send(client(portal.token, portal.url, backoff_s=0.01), "account", _sent([one], ["Other"])))
    assert not sent.confirmed and sent.failed[one].startswith("HubSpot answered 500")
    assert portal.token not in sent.failed[one]


def test_the_push_paces_itself_by_hubspots_rate_limit_headers_and_meets_no_429(portal: HubSpotPortal) -> None:
    portal.rate_limit = (4, 500)  # 4 requests per half second
    ids = [portal.add("companies", name=f"Co {i}") for i in range(1000)]
    sent = merged(send(client(portal.token, portal.url), "account", _sent(ids, ["Renewal"] * 1000)))
    assert sorted(sent.confirmed) == sorted(ids) and not sent.failed
    assert portal.rate_limited == 0 and len(portal.requests_to("POST", "/crm/v3/objects/companies/batch/update")) == 10
