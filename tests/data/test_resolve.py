"""Which account a row belongs to (SPEC §3 "Resolution rules"); orphans and unmatched rows are counted."""

from __future__ import annotations

import pytest

from tests.data.builders import validate_csv, values
from whynow.data.resolve import RESOLVED, resolve_accounts

ACCOUNTS = "account_id,name,domain\nA1,Acme,acme.com\nA2,Beta,beta.io\n"
CONTACTS = "contact_id,account_id\nC1,A1\nC2,A404\n"  # C2 is an orphan: account A404 does not exist
ACTIVITY_HEADER = "activity_id,occurred_at,type,contact_id,account_id,domain\n"


# --- orphans and unmatched: counted, never an error --------------------------------------------


def test_a_contact_whose_account_does_not_exist_is_an_orphan(tmp_path):
    validated = validate_csv(tmp_path, accounts=ACCOUNTS, contacts=CONTACTS)
    assert validated.counts["contacts"] == {"read": 2, "rejected": 0, "orphaned": 1}


def test_an_orphan_contacts_activities_are_orphaned_not_unmatched(tmp_path):
    activities = (
        ACTIVITY_HEADER
        + "X1,2026-11-20,page_view,C2,,\nX2,2026-11-20,email_open,C2,A1,\nX3,2026-11-20,page_view,C1,,\n"
    )
    validated = validate_csv(tmp_path, accounts=ACCOUNTS, contacts=CONTACTS, activities=activities)
    assert validated.counts["activities"] == {"read": 3, "rejected": 0, "orphaned": 2, "unmatched": 0}


def test_an_opportunity_of_an_unknown_account_is_an_orphan(tmp_path):
    opportunities = "opportunity_id,account_id,created_at\nO1,A1,2026-10-01\nO2,A404,2026-10-01\n"
    validated = validate_csv(tmp_path, accounts=ACCOUNTS, opportunities=opportunities)
    assert validated.counts["opportunities"]["orphaned"] == 1


def test_an_activity_whose_contact_id_names_no_contact_is_unmatched(tmp_path):
    # Its own account_id names A1, but with a contact_id set the contact decides, and there is none.
    activities = ACTIVITY_HEADER + "X1,2026-11-20,page_view,C999,A1,\n"
    validated = validate_csv(tmp_path, accounts=ACCOUNTS, contacts=CONTACTS, activities=activities)
    assert validated.counts["activities"] == {"read": 1, "rejected": 0, "orphaned": 0, "unmatched": 1}


ANONYMOUS_DOMAINS = [
    pytest.param("acme.com", 0, id="same-domain"),
    pytest.param("WWW.ACME.COM", 0, id="www-and-upper-case"),
    pytest.param(" Acme.com ", 0, id="padded-mixed-case"),
    pytest.param("unknown.io", 1, id="unknown-domain"),
    pytest.param("", 1, id="no-domain"),
]


@pytest.mark.parametrize(("domain", "unmatched"), ANONYMOUS_DOMAINS)
def test_an_anonymous_activity_is_matched_by_domain(tmp_path, domain, unmatched):
    activities = f'{ACTIVITY_HEADER}X1,2026-11-20,page_view,,,"{domain}"\n'
    validated = validate_csv(tmp_path, accounts=ACCOUNTS, activities=activities)
    assert validated.counts["activities"]["unmatched"] == unmatched


@pytest.mark.parametrize(
    ("table", "csv"),
    [
        pytest.param(
            "intent", "observed_at,topic,score,domain\n2026-11-20,crm,80,www.beta.io\n", id="intent-by-domain"
        ),
        pytest.param(
            "change_events", "occurred_at,kind,account_id\n2026-11-20,funding,A2\n", id="change-by-account_id"
        ),
        pytest.param("technographics", "technology,domain\nSalesforce,BETA.IO\n", id="technographics-by-domain"),
    ],
)
def test_signal_tables_match_accounts_by_account_id_or_domain(tmp_path, table, csv):
    validated = validate_csv(tmp_path, accounts=ACCOUNTS, **{table: csv})
    assert validated.counts[table]["unmatched"] == 0
    [resolved] = values(resolve_accounts(validated.tables)[table], RESOLVED, by=RESOLVED)
    assert resolved == "A2"


def test_intent_with_an_unknown_domain_is_unmatched(tmp_path):
    intent = "observed_at,topic,score,domain\n2026-11-20,crm,80,nobody.org\n2026-11-20,crm,60,acme.com\n"
    validated = validate_csv(tmp_path, accounts=ACCOUNTS, intent=intent)
    assert validated.counts["intent"]["unmatched"] == 1


def test_intent_never_resolves_through_its_contact(tmp_path):
    intent = "observed_at,topic,score,contact_id\n2026-11-20,crm,80,C1\n"
    validated = validate_csv(tmp_path, accounts=ACCOUNTS, contacts=CONTACTS, intent=intent)
    assert validated.counts["intent"]["unmatched"] == 1


# --- resolve_accounts: activities' resolved_account_id -----------------------------------------

RESOLUTION = [
    pytest.param("C1,A2,beta.io", "A1", id="contact-account-wins-over-own-account_id"),
    pytest.param(",A2,acme.com", "A2", id="account_id-before-domain"),
    pytest.param(",A404,acme.com", "A1", id="unknown-account_id-falls-back-to-domain"),
    pytest.param(",,www.Beta.io", "A2", id="domain-only"),
    pytest.param(",A404,nobody.org", None, id="nothing-matches"),
]


@pytest.mark.parametrize(("contact_account_domain", "expected"), RESOLUTION)
def test_an_activity_resolves_to_one_account(tmp_path, contact_account_domain, expected):
    activities = f"{ACTIVITY_HEADER}X1,2026-11-20,page_view,{contact_account_domain}\n"
    validated = validate_csv(tmp_path, accounts=ACCOUNTS, contacts=CONTACTS, activities=activities)
    resolved = resolve_accounts(validated.tables)["activities"]
    assert values(resolved, RESOLVED, by="activity_id") == [expected]


def test_a_domain_shared_by_accounts_goes_to_the_lowest_account_id_as_text(tmp_path):
    accounts = "account_id,name,domain\nA9,Acme EU,acme.com\nA10,Acme US,www.acme.com\n"
    activities = ACTIVITY_HEADER + "X1,2026-11-20,page_view,,,acme.com\n"
    validated = validate_csv(tmp_path, accounts=accounts, activities=activities)
    resolved = resolve_accounts(validated.tables)["activities"]
    assert values(resolved, RESOLVED, by="activity_id") == ["A10"]  # 'A10' < 'A9' as text


def test_resolution_keeps_every_row_and_its_columns(tmp_path):
    activities = ACTIVITY_HEADER + "X1,2026-11-20,page_view,,,acme.com\nX2,2026-11-20,page_view,,,nobody.org\n"
    validated = validate_csv(tmp_path, accounts=ACCOUNTS, activities=activities)
    resolved = resolve_accounts(validated.tables)["activities"]
    assert values(resolved, RESOLVED, by="activity_id") == ["A1", None]
    assert set(validated.tables["activities"].columns) | {RESOLVED} == set(resolved.columns)
