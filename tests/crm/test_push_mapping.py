"""The push mapping (SPEC §12): the default per CRM, a model's own, each checked against the output contract,
and the custom fields it needs."""

from __future__ import annotations

import json

import pytest

from whynow.crm.push.mapping import DEFAULTS, fields_to_create, mapping_of, print_mapping
from whynow.errors import UsageError
from whynow.examples import reference_model_path
from whynow.model.load import load_model, load_model_text

REFERENCE = reference_model_path().read_text()


def _with_push(section: str):
    return load_model_text(REFERENCE + section, "model.yaml")


def test_the_default_mapping_fills_every_field_it_names_from_this_models_outputs():
    model = load_model(reference_model_path())
    for crm in ("salesforce", "hubspot"):
        found = mapping_of(model, crm)
        assert [f.name for f in found["account"]] == [n.partition(":")[0] for n in DEFAULTS[crm]["account"]]
        why = next(f for f in found["account"] if f.source == "why")
        assert (why.type, why.length) == ("text", 1000)
        first = next(f for f in found["account"] if f.source == "call_list.1.name")
        assert (first.column, first.rank, first.type) == ("name", 1, "text")


def test_a_models_own_mapping_replaces_the_default_of_that_level_only():
    model = _with_push("push:\n  hubspot:\n    token: ${HUBSPOT_TOKEN:-}\n    account: {whynow_score: engagement}\n")
    found = mapping_of(model, "hubspot")
    assert [(f.name, f.source, f.type) for f in found["account"]] == [("whynow_score", "engagement", "number")]
    assert [f.name for f in found["contact"]] == ["whynow_lead_status", "whynow_why"]  # the default


def test_a_signal_of_the_model_can_be_pushed():
    model = _with_push("push:\n  salesforce:\n    account: {Comparisons__c: comparison_views}\n")
    (field,) = mapping_of(model, "salesforce")["account"]
    assert (field.column, field.type) == ("comparison_views", "integer")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("account: {Whynow__c: score}", "push.salesforce.account.Whynow__c: account_status has no column 'score'"),
        ("account: {'Bad Name': why}", "'Bad Name' is not a salesforce field name"),
        ("account: {'Why__c:0': why}", "the length after ':' must be a whole number from 1 to 131,072"),
        ("account: {First__c: call_list.9.name}", "the call list shows 3 people (capacity.call_list)"),
        ("contact: {First__c: call_list.1.name}", "a contact has no call list"),
        ("account: {First__c: call_list.1.phone}", "call_list has no column 'phone'"),
    ],
)
def test_a_field_that_cannot_be_pushed_is_one_line_naming_it(section, message):
    model = _with_push(f"push:\n  salesforce:\n    {section}\n")
    with pytest.raises(UsageError, match=None) as caught:
        mapping_of(model, "salesforce")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_salesforce_fields_to_create_name_object_type_and_length():
    model = load_model(reference_model_path())
    lines = fields_to_create(model, "salesforce").splitlines()
    assert lines[0] == "object\tfield\ttype\tlength"
    assert "Account\tWhynow_Why__c\tLongTextArea\t1000" in lines
    assert "Account\tWhynow_Queue_Rank__c\tNumber\t18,0" in lines
    assert "Account\tWhynow_Expires__c\tDate\t" in lines
    assert "Contact\tWhynow_Lead_Status__c\tText\t255" in lines


def test_hubspot_fields_to_create_are_property_definitions():
    model = load_model(reference_model_path())
    found = [json.loads(line) for line in fields_to_create(model, "hubspot").splitlines()]
    engagement = next(p for p in found if p["name"] == "whynow_engagement")
    assert engagement == {"objectType": "companies", "name": "whynow_engagement", "label": "Whynow engagement",
                          "groupName": "whynow", "type": "number", "fieldType": "number"}  # fmt: skip
    assert {p["objectType"] for p in found} == {"companies", "contacts"}


def test_the_printed_mapping_is_a_push_section_a_model_accepts(monkeypatch):
    for name in ("SALESFORCE_INSTANCE_URL", "HUBSPOT_TOKEN"):
        monkeypatch.setenv(name, "set in the environment")
    for crm in ("salesforce", "hubspot"):
        model = load_model_text(REFERENCE + print_mapping(crm) + "\n", "model.yaml")
        assert [f.source for f in mapping_of(model, crm)["contact"]] == list(DEFAULTS[crm]["contact"].values())


@pytest.mark.parametrize(
    ("written", "named"),
    [
        ("hubspot:\n    token: pat-na1-1234", "HUBSPOT_TOKEN"),
        ("hubspot:\n    token: ${HUBSPOT_TOKEN:-pat-na1-1234}", "HUBSPOT_TOKEN"),  # a default that is the secret
        ("salesforce:\n    password: hunter2", "SALESFORCE_PASSWORD"),
        ("salesforce:\n    access_token: 00Dxx!AQ", "SALESFORCE_ACCESS_TOKEN"),
    ],
)
def test_a_crm_credential_written_into_the_model_is_refused_without_showing_it(written: str, named: str):
    from whynow.errors import ModelError

    with pytest.raises(ModelError) as refused:
        _with_push(f"push:\n  {written}\n")
    message = str(refused.value)
    assert f"comes from the environment only; write ${{{named}}}" in message
    assert not any(secret in message for secret in ("pat-na1-1234", "hunter2", "00Dxx!AQ"))


def test_a_credential_named_from_the_environment_is_accepted(monkeypatch):
    monkeypatch.setenv("HUBSPOT_TOKEN", "pat-na1-1234")
    model = _with_push("push:\n  hubspot:\n    token: ${HUBSPOT_TOKEN}\n")
    assert model.spec.push.hubspot.token == "pat-na1-1234"
    assert "pat-na1-1234" not in model.text  # the text stored with each run names the variable only
