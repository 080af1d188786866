"""The real `hubspot-api-client` against the fake portal: the fake's answers must be what the client parses.

Needs `hubspot-api-client` 12.x; the module is skipped where it is not installed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("hubspot")

from hubspot import HubSpot
from hubspot.crm.companies import ApiException, BatchInputSimplePublicObjectBatchInput
from hubspot.crm.contacts import BatchResponseSimplePublicObjectWithErrors as ContactsWithErrors
from urllib3.util.retry import Retry

from tests.fakes.hubspot import HubSpotPortal, Stage


@pytest.fixture
def portal() -> Iterator[HubSpotPortal]:
    with HubSpotPortal() as served:
        yield served


def client(portal: HubSpotPortal, **options: object) -> HubSpot:
    """The client as whynow will build it: the token, and the portal's URL as the API's host (api_base)."""
    return HubSpot(access_token=portal.token, host=portal.url, **options)


def batch(*updates: tuple[str, dict[str, str]]) -> BatchInputSimplePublicObjectBatchInput:
    return BatchInputSimplePublicObjectBatchInput(inputs=[{"id": i, "properties": p} for i, p in updates])


def test_a_batch_update_changes_the_records(portal: HubSpotPortal) -> None:
    acme, globex = portal.add("companies", name="Acme"), portal.add("companies", name="Globex")

    answer = client(portal).crm.companies.batch_api.update(
        batch((acme, {"whynow_score": "87"}), (globex, {"whynow_score": "12"}))
    )

    assert answer.status == "COMPLETE"
    assert sorted(r.id for r in answer.results) == sorted([acme, globex])
    assert portal.properties("companies", acme)["whynow_score"] == "87"
    assert portal.properties("companies", acme)["name"] == "Acme"  # properties not named are kept
    (request,) = portal.requests_to("POST", "/crm/v3/objects/companies/batch/update")
    assert request.body == {
        "inputs": [
            {"id": acme, "properties": {"whynow_score": "87"}},
            {"id": globex, "properties": {"whynow_score": "12"}},
        ]
    }
    assert request.authorized and "Authorization" not in request.headers


def test_a_partial_failure_is_a_207_the_client_returns_with_its_errors(portal: HubSpotPortal) -> None:
    kept, deleted, locked = (portal.add("contacts", email=f"{n}@example.com") for n in ("a", "b", "c"))
    portal.delete("contacts", deleted)
    portal.fail_records([locked], "no_access")
    portal.max_length["whynow_reason"] = 20

    answer = client(portal).crm.contacts.batch_api.update(
        batch(
            (kept, {"whynow_reason": "renewal soon"}),
            (deleted, {"whynow_reason": "x"}),
            (locked, {"whynow_reason": "x"}),
            ("999999", {"whynow_reason": "x"}),
        )
    )

    assert isinstance(answer, ContactsWithErrors)  # the client's model of a 207, not an exception
    assert [r.id for r in answer.results] == [kept]
    assert answer.num_errors == 3
    by_category = {e.category: e for e in answer.errors}
    assert sorted(by_category["OBJECT_NOT_FOUND"].context["ids"]) == sorted([deleted, "999999"])
    assert by_category["FORBIDDEN"].context["ids"] == [locked]
    assert portal.properties("contacts", kept)["whynow_reason"] == "renewal soon"


def test_a_value_over_a_propertys_length_fails_that_record_or_the_whole_batch(portal: HubSpotPortal) -> None:
    short, long = portal.add("companies", name="S"), portal.add("companies", name="L")
    portal.max_length["whynow_reason"] = 10
    api = client(portal).crm.companies.batch_api

    answer = api.update(batch((short, {"whynow_reason": "ok"}), (long, {"whynow_reason": "much too long here"})))
    (error,) = answer.errors
    assert (error.category, error.context["ids"], error.errors[0]._in) == ("VALIDATION_ERROR", [long], "whynow_reason")

    portal.too_long_fails_batch = True
    with pytest.raises(ApiException) as refused:
        api.update(batch((short, {"whynow_reason": "new"}), (long, {"whynow_reason": "much too long here"})))
    assert refused.value.status == 400
    assert portal.properties("companies", short)["whynow_reason"] == "ok"  # nothing of that batch was applied


def test_more_than_100_inputs_is_hubspots_400(portal: HubSpotPortal) -> None:
    ids = [portal.add("companies", name=str(n)) for n in range(101)]
    with pytest.raises(ApiException) as refused:
        client(portal).crm.companies.batch_api.update(batch(*((i, {"whynow_score": "1"}) for i in ids)))
    assert refused.value.status == 400
    assert json.loads(refused.value.body)["category"] == "VALIDATION_ERROR"


def test_a_429_reaches_the_client_with_retry_after(portal: HubSpotPortal) -> None:
    acme = portal.add("companies", name="Acme")
    portal.fail_next(429, retry_after=7)

    with pytest.raises(ApiException) as limited:
        client(portal).crm.companies.batch_api.update(batch((acme, {"whynow_score": "1"})))

    assert limited.value.status == 429
    assert limited.value.headers["Retry-After"] == "7"
    assert json.loads(limited.value.body)["errorType"] == "RATE_LIMIT"  # the client keeps the body as text
    assert "whynow_score" not in portal.properties("companies", acme)


def test_urllib3_retries_honour_retry_after_when_the_client_is_given_them(portal: HubSpotPortal) -> None:
    """The client's own `retry` option: urllib3 waits Retry-After's seconds and sends the batch again."""
    acme = portal.add("companies", name="Acme")
    portal.fail_next(429, retry_after=1)
    retry = Retry(total=2, status_forcelist=(429,), allowed_methods=None, respect_retry_after_header=True)

    started = time.monotonic()
    answer = client(portal, retry=retry).crm.companies.batch_api.update(batch((acme, {"whynow_score": "5"})))

    assert answer.status == "COMPLETE"
    assert time.monotonic() - started >= 0.9
    assert len(portal.requests_to("POST", "/crm/v3/objects/companies/batch/update")) == 2


def test_a_500_and_a_wrong_token_are_the_clients_exceptions(portal: HubSpotPortal) -> None:
    from hubspot.crm.companies.exceptions import ServiceException, UnauthorizedException

    portal.fail_next(500)
    with pytest.raises(ServiceException):
        client(portal).crm.companies.basic_api.get_page()
    with pytest.raises(UnauthorizedException) as refused:
        HubSpot(access_token="pat-na1-wrong", host=portal.url).crm.companies.basic_api.get_page()
    assert json.loads(refused.value.body)["category"] == "INVALID_AUTHENTICATION"


def test_paging_through_companies(portal: HubSpotPortal) -> None:
    names = [f"Company {n}" for n in range(5)]
    for name in names:
        portal.add("companies", name=name, domain=f"{name[-1]}.example.com")
    api = client(portal).crm.companies.basic_api

    seen, after, pages = [], None, 0
    while True:
        page = api.get_page(limit=2, after=after, properties=["name", "industry"])
        pages += 1
        seen += [r.properties for r in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after

    assert pages == 3
    assert [p["name"] for p in seen] == names
    assert seen[0] == {"name": "Company 0", "industry": None}  # what was asked for; unset values are null
    assert portal.received[0].query["properties"] == ["name", "industry"]


def test_paging_through_owners(portal: HubSpotPortal) -> None:
    for n in range(3):
        portal.add_owner(f"rep{n}@example.com", "Rep", str(n))
    api = client(portal).crm.owners.owners_api

    first = api.get_page(limit=2)
    second = api.get_page(limit=2, after=first.paging.next.after)

    assert [o.email for o in first.results + second.results] == [f"rep{n}@example.com" for n in range(3)]
    assert second.paging is None
    assert api.get_page(email="rep1@example.com").results[0].first_name == "Rep"


def test_engagements_are_read_with_their_associations(portal: HubSpotPortal) -> None:
    acme = portal.add("companies", name="Acme")
    ann = portal.add("contacts", email="ann@acme.example")
    call = portal.add("calls", hs_timestamp="2025-03-01T10:00:00.000Z", hs_call_title="Renewal")
    portal.associate("calls", call, "companies", acme)
    portal.associate("calls", call, "contacts", ann)

    page = client(portal).crm.objects.calls.basic_api.get_page(
        properties=["hs_timestamp", "hs_call_title"], associations=["companies", "contacts"]
    )

    (found,) = page.results
    assert found.properties["hs_call_title"] == "Renewal"
    assert [a.id for a in found.associations["companies"].results] == [acme]
    assert found.associations["contacts"].results[0].type == "call_to_contact"


def test_a_property_the_portal_does_not_have_is_left_out_of_a_list(portal: HubSpotPortal) -> None:
    portal.add("companies", name="Acme")
    portal.defined["companies"] = {"name", "industry"}
    page = client(portal).crm.objects.basic_api.get_page("companies", properties=["name", "industry", "no_such"])
    assert page.results[0].properties == {"name": "Acme", "industry": None}


def test_deal_pipelines_are_the_clients_pipelines_with_their_stages(portal: HubSpotPortal) -> None:
    renewals = portal.add_pipeline(
        "Renewals", [Stage("1043", "Signed", 1.0, closed=True), Stage("1044", "Gone dark", 0.0, closed=True)]
    )

    answer = client(portal).crm.pipelines.pipelines_api.get_all("deals")

    by_id = {p.id: p for p in answer.results}
    assert list(by_id) == ["default", renewals]
    default = by_id["default"]
    assert [s.id for s in default.stages][-2:] == ["closedwon", "closedlost"]
    won = default.stages[5]
    assert (won.label, won.metadata, won.display_order) == ("Closed Won", {"isClosed": "true", "probability": "1.0"}, 5)
    assert default.stages[0].metadata == {"isClosed": "false", "probability": "0.2"}
    assert won.write_permissions == "CRM_PERMISSIONS_ENFORCEMENT"
    assert [(s.id, s.label, s.metadata["probability"]) for s in by_id[renewals].stages] == [
        ("1043", "Signed", "1.0"),
        ("1044", "Gone dark", "0.0"),
    ]
    assert by_id[renewals].archived is False and by_id[renewals].created_at is not None
    assert portal.requests_to("GET", "/crm/v3/pipelines/deals")
