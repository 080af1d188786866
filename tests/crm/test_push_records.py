"""What a push sends (SPEC §12): each mapped value as the CRM takes it, per record of the store's run, and
only the records whose values changed since the CRM last confirmed them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from whynow.crm.push.mapping import mapping_of
from whynow.crm.push.records import changed, records, with_digest
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "explain"
AS_OF = dt.date(2026, 11, 20)
PUSH = """
push:
  salesforce:
    account:
      Badge__c: badge_label
      Why__c:12: why
      Engagement__c: engagement
      Surfaced__c: mqa
      Expires__c: badge_expires_on
      Call_First__c: call_list.1.name
"""


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory):
    model = load_model_text((FIXTURE / "model.yaml").read_text() + PUSH, "model.yaml")
    path = tmp_path_factory.mktemp("push") / "store.duckdb"
    result, store = run(model, str(FIXTURE), AS_OF, store=path), Store(path)
    fields = mapping_of(model, "salesforce")["account"]
    with store.reading() as reading:
        sent = records(reading, AS_OF, "account", fields)
    return result, sent


def test_each_value_is_sent_as_the_crm_takes_it(pushed):
    result, sent = pushed
    status = {r["account_id"]: r for r in result.outputs["account_status"].to_pylist()}
    calls = {r["account_id"]: r for r in result.outputs["call_list"].to_pylist() if r["rank"] == 1}
    assert sorted(sent["record_id"].to_pylist()) == sorted(status)
    for row in sent.to_pylist():
        mine = status[row["record_id"]]
        assert row["Badge__c"] == mine["badge_label"]  # NULL clears the field
        assert row["Why__c"] == (mine["why"][:12] if mine["why"] is not None else None)  # cut to its length
        assert row["Surfaced__c"] == (None if mine["mqa"] is None else ("true" if mine["mqa"] else "false"))
        expires = mine["badge_expires_on"]
        assert row["Expires__c"] == (expires.isoformat() if expires else None)
        assert row["Call_First__c"] == (calls[row["record_id"]]["name"] if row["record_id"] in calls else None)
    assert any(r["Badge__c"] for r in sent.to_pylist()), "the fixture holds a badge: the test reads real values"


def test_only_records_whose_values_changed_since_the_last_confirmed_push_are_sent(pushed):
    _, sent = pushed
    assert changed(sent, None).num_rows == sent.num_rows  # the first push sends every record
    confirmed = sent.select(["record_id", "digest"])
    assert changed(sent, confirmed).num_rows == 0  # nothing changed since
    first = sent["record_id"][0].as_py()
    badges = sent["Badge__c"].to_pylist()
    badges[0] = "Other" if badges[0] != "Other" else "Else"  # one record's badge changes in a new run
    edited = with_digest(sent.set_column(sent.schema.get_field_index("Badge__c"), "Badge__c", pa.array(badges)))
    assert changed(edited, confirmed)["record_id"].to_pylist() == [first]
    cleared = sent["Badge__c"].to_pylist()
    cleared[0] = None if sent["Badge__c"][0].as_py() is not None else ""  # NULL and '' are not the same value
    edited = with_digest(sent.set_column(sent.schema.get_field_index("Badge__c"), "Badge__c", pa.array(cleared)))
    assert changed(edited, confirmed)["record_id"].to_pylist() == [first]
    assert changed(sent, confirmed, full=True).num_rows == sent.num_rows  # --full


def test_a_date_time_is_sent_as_iso_8601_in_utc_to_the_second():
    from whynow.crm.push.mapping import Field
    from whynow.crm.push.records import _as_sent

    moments = pa.chunked_array(
        [pa.array([dt.datetime(2026, 11, 20, 9, 5, 3, 730_000), None], pa.timestamp("us", "UTC"))]
    )
    field = Field("account", "Last_Seen__c", "last_seen", "last_seen", "timestamp", 255)
    assert _as_sent(moments, field).to_pylist() == ["2026-11-20T09:05:03Z", None]
