"""A push end to end (SPEC §12), into the fake HubSpot portal with the real client: the first push sends every
record, a second with no new run sends nothing, a run that changes badges sends exactly those records, and
a record the CRM refuses stays unpushed until it is confirmed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pytest.importorskip("hubspot")

from tests.fakes.hubspot import HubSpotPortal
from whynow.crm.push import hubspot
from whynow.crm.push.push import push
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "explain"
AS_OF = dt.date(2026, 11, 20)
PUSH = (
    "push:\n  hubspot:\n    token: ${HUBSPOT_TOKEN:-}\n"
    "    account: {whynow_badge: badge_label, whynow_fit: fit}\n    contact: {}\n"
)


@pytest.fixture
def history(tmp_path: Path):
    """The explain company run into a store; its account ids are the CRM's ids."""
    model = load_model_text((FIXTURE / "model.yaml").read_text() + PUSH, "model.yaml")
    path = tmp_path / "store.duckdb"
    result = run(model, str(FIXTURE), AS_OF, store=path)
    return model, Store(path), result.outputs["account_status"]["account_id"].to_pylist()


def _sender(portal: HubSpotPortal):
    api = hubspot.client(portal.token, portal.url, backoff_s=0.01)
    return lambda level, sent: hubspot.send(api, level, sent)


def _updates(portal: HubSpotPortal) -> list[str]:
    return [
        i["id"] for r in portal.requests_to("POST", "/crm/v3/objects/companies/batch/update") for i in r.body["inputs"]
    ]


def test_a_push_sends_what_changed_since_the_crm_last_confirmed_it(portal: HubSpotPortal, history) -> None:
    model, store, ids = history
    for account in ids:
        portal.add("companies", record_id=account, name=account)
    first = push(model, store, "hubspot", _sender(portal))
    assert (first.objects["companies"].changed, first.objects["companies"].confirmed) == (len(ids), len(ids))
    assert sorted(_updates(portal)) == sorted(ids)

    again = push(model, store, "hubspot", _sender(portal))  # no new run: nothing to send
    assert again.objects["companies"].changed == 0 and len(_updates(portal)) == len(ids)

    full = push(model, store, "hubspot", _sender(portal), full=True)  # --full resends every record
    assert full.objects["companies"].changed == len(ids)


def test_a_refused_record_stays_unpushed_and_is_sent_again_next_time(portal: HubSpotPortal, history) -> None:
    model, store, ids = history
    for account in ids:
        portal.add("companies", record_id=account, name=account)
    portal.fail_records([ids[0]], "no_access")
    first = push(model, store, "hubspot", _sender(portal))
    assert list(first.objects["companies"].failed) == [ids[0]]
    assert first.objects["companies"].confirmed == len(ids) - 1
    portal.clear_record_failures()  # access is granted again
    second = push(model, store, "hubspot", _sender(portal))
    assert second.objects["companies"].changed == 1 and second.objects["companies"].confirmed == 1


def test_a_dry_run_counts_and_shows_samples_and_sends_nothing(portal: HubSpotPortal, history) -> None:
    model, store, ids = history
    report = push(model, store, "hubspot", None, dry_run=True)
    assert not report.sent and report.objects["companies"].changed == len(ids)
    assert set(report.objects["companies"].samples) == {"whynow_badge", "whynow_fit"}
    assert portal.received == []


def test_a_postgresql_store_keeps_the_ledger_the_same_way(portal: HubSpotPortal, tmp_path: Path) -> None:
    import os
    import uuid

    import ibis

    from tests.test_backends import _unavailable

    url = os.environ.get("WHYNOW_TEST_POSTGRES")
    if not url:
        _unavailable("no PostgreSQL (WHYNOW_TEST_POSTGRES is not set)")
    assert url is not None
    schema = f"push_{uuid.uuid4().hex[:8]}"
    model = load_model_text((FIXTURE / "model.yaml").read_text() + PUSH, "model.yaml")
    store = Store(f"{url}?schema={schema}")
    try:
        ids = run(model, str(FIXTURE), AS_OF, store=store.location).outputs["account_status"]["account_id"]
        for account in ids.to_pylist():
            portal.add("companies", record_id=account, name=account)
        portal.fail_records([ids[0].as_py()], "no_access")
        first = push(model, store, "hubspot", _sender(portal))
        assert (first.objects["companies"].confirmed, list(first.objects["companies"].failed)) == (1, [ids[0].as_py()])
        portal.clear_record_failures()
        second = push(model, store, "hubspot", _sender(portal))  # only the refused record goes again
        assert (second.objects["companies"].changed, second.objects["companies"].confirmed) == (1, 1)
        assert push(model, store, "hubspot", _sender(portal)).objects["companies"].changed == 0
    finally:
        con = ibis.connect(url)
        con.raw_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.disconnect()
