"""Validation (SPEC §3): required columns, typing CSV text, bad rows, duplicate ids, declared columns."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import ibis.expr.datatypes as dt
import pytest

from tests.data.builders import rows, validate_csv, values
from whynow.data.contract import TABLES
from whynow.errors import DataError

ACCOUNTS = "account_id,name\nA1,Acme\n"


# --- missing required columns -------------------------------------------------------------------


def test_missing_required_column_names_the_table_the_column_and_the_file(tmp_path):
    with pytest.raises(DataError) as error:
        validate_csv(tmp_path, accounts=ACCOUNTS, contacts="id,account_id\nC1,A1\n")
    message = str(error.value)
    assert "contacts.csv" in message
    assert "table contacts" in message
    assert "contact_id" in message
    assert "its columns are id, account_id" in message


def test_missing_required_column_hints_at_a_near_miss(tmp_path):
    with pytest.raises(DataError, match=r"has no column contact_id \(required\) — did you mean 'Contact_ID'\?"):
        validate_csv(tmp_path, accounts=ACCOUNTS, contacts="Contact_ID,account_id\nC1,A1\n")


def test_missing_required_columns_of_several_tables_are_reported_together(tmp_path):
    with pytest.raises(DataError) as error:
        validate_csv(
            tmp_path,
            accounts="account_id\nA1\n",
            activities="activity_id,occurred_at\nX1,2026-11-20\n",
        )
    message = str(error.value)
    assert "accounts.csv: table accounts has no column name" in message
    assert "activities.csv: table activities has no column type" in message


# --- wrong types: an error with the count and the first row numbers ----------------------------

BAD_ROWS = [
    pytest.param(
        "accounts",
        "account_id,name,employees\nA1,Acme,120\nA2,Beta,lots\n",
        "row 2: employees 'lots' does not read as a whole number",
        id="text-in-employees",
    ),
    pytest.param(
        "activities",
        "activity_id,occurred_at,type\nX1,2026-11-20,page_view\nX2,20/11/2026,page_view\n",
        "row 2: occurred_at '20/11/2026' does not read as an ISO timestamp",
        id="unparseable-occurred_at",
    ),
    pytest.param(
        "activities",
        "activity_id,occurred_at,type\nX1,2026-11-20,page_view\nX2,,page_view\n",
        "row 2: occurred_at is empty (required)",
        id="empty-required-occurred_at",
    ),
    pytest.param(
        "accounts",
        "account_id,name,is_customer\nA1,Acme,yes\nA2,Beta,maybe\n",
        "row 2: is_customer 'maybe' does not read as true/false",
        id="maybe-in-a-boolean",
    ),
    pytest.param(
        "accounts",
        "account_id,name,renewal_date\nA1,Acme,2027-01-31\nA2,Beta,2027-02-30\n",
        "row 2: renewal_date '2027-02-30' does not read as an ISO date",
        id="impossible-date",
    ),
    pytest.param(
        "intent",
        "observed_at,topic,score\n2026-11-20,crm,80\n2026-11-20,crm,high\n",
        "row 2: score 'high' does not read as a number",
        id="text-in-score",
    ),
]


@pytest.mark.parametrize(("table", "csv", "detail"), BAD_ROWS)
def test_a_bad_row_is_an_error_naming_the_file_the_count_and_the_row(tmp_path, table, csv, detail):
    tables = {"accounts": ACCOUNTS, table: csv}
    with pytest.raises(DataError) as error:
        validate_csv(tmp_path, **tables)
    message = str(error.value)
    assert message.startswith(f"{tmp_path / table}.csv: 1 bad row in table {table}: ")
    assert detail in message
    assert "--on-bad-rows=skip" in message


def test_a_row_with_two_bad_values_gives_both_reasons(tmp_path):
    csv = "account_id,name,employees,arr\nA1,Acme,many,lots\n"
    with pytest.raises(DataError, match="1 bad row") as error:
        validate_csv(tmp_path, accounts=csv)
    assert "employees 'many' does not read as a whole number" in str(error.value)
    assert "arr 'lots' does not read as a number" in str(error.value)


def test_more_than_five_bad_rows_lists_the_first_five_and_the_total(tmp_path):
    csv = "activity_id,occurred_at,type\n" + "".join(f"X{i},soon,page_view\n" for i in range(1, 8))
    with pytest.raises(DataError) as error:
        validate_csv(tmp_path, activities=csv)
    message = str(error.value)
    assert "7 bad rows in table activities (first 5 shown)" in message
    assert all(f"row {n}:" in message for n in range(1, 6))
    assert "row 6:" not in message
    assert "row 7:" not in message


def test_row_numbers_count_data_rows_from_one(tmp_path):
    csv = "account_id,name,employees\nA1,Acme,1\nA2,Beta,2\nA3,Gamma,3\nA4,Delta,four\n"
    # Line 5 of the file is the fourth data row.
    with pytest.raises(DataError, match=r"row 4: employees 'four'"):
        validate_csv(tmp_path, accounts=csv)


def test_a_fractional_employee_count_is_a_bad_row(tmp_path):
    with pytest.raises(DataError, match=r"employees '12\.5' does not read as a whole number"):
        validate_csv(tmp_path, accounts="account_id,name,employees\nA1,Acme,12.5\n")


# --- on_bad_rows="skip": bad rows set aside in `rejected` --------------------------------------


def test_skip_sets_a_bad_row_aside_with_its_reason_and_values_as_read(tmp_path):
    csv = "account_id,name,employees\nA1,Acme,120\nA2,Beta,lots\nA3,Gamma,\n"
    validated = validate_csv(tmp_path, on_bad_rows="skip", accounts=csv)
    [rejected] = validated.rejected
    assert {k: rejected[k] for k in ("table", "row", "reason")} == {
        "table": "accounts",
        "row": 2,
        "reason": "employees 'lots' does not read as a whole number",
    }
    assert json.loads(rejected["values"]) == {"account_id": "A2", "name": "Beta", "employees": "lots"}


def test_skip_counts_rows_read_and_rejected(tmp_path):
    csv = "account_id,name,employees\nA1,Acme,120\nA2,Beta,lots\nA3,Gamma,\n"
    validated = validate_csv(tmp_path, on_bad_rows="skip", accounts=csv)
    assert validated.counts["accounts"] == {"read": 3, "rejected": 1}


def test_skip_leaves_the_bad_rows_out_of_the_typed_table(tmp_path):
    csv = "account_id,name,employees\nA1,Acme,120\nA2,Beta,lots\nA3,Gamma,\n"
    validated = validate_csv(tmp_path, on_bad_rows="skip", accounts=csv)
    assert rows(validated.tables["accounts"], "account_id", "employees") == [
        {"account_id": "A1", "employees": 120},
        {"account_id": "A3", "employees": None},
    ]


def test_skip_rejects_an_activity_without_occurred_at(tmp_path):
    csv = "activity_id,occurred_at,type\nX1,2026-11-20,page_view\nX2,,page_view\nX3,2026-11-21,email_open\n"
    validated = validate_csv(tmp_path, on_bad_rows="skip", activities=csv)
    assert [(r["row"], r["reason"]) for r in validated.rejected] == [(2, "occurred_at is empty (required)")]
    assert values(validated.tables["activities"], "activity_id", by="activity_id") == ["X1", "X3"]


def test_skip_collects_rejected_rows_of_every_table(tmp_path):
    validated = validate_csv(
        tmp_path,
        on_bad_rows="skip",
        accounts="account_id,name,tier\nA1,Acme,gold\n",
        contacts="contact_id,account_id,unsubscribed\nC1,A1,perhaps\n",
    )
    assert sorted((r["table"], r["row"]) for r in validated.rejected) == [("accounts", 1), ("contacts", 1)]


# --- duplicate ids -----------------------------------------------------------------------------


def test_duplicate_ids_are_an_error_listing_them(tmp_path):
    csv = "account_id,name\nA1,Acme\nA2,Beta\nA1,Acme again\nA2,Beta again\nA2,Beta thrice\nA3,Gamma\n"
    with pytest.raises(DataError) as error:
        validate_csv(tmp_path, accounts=csv)
    message = str(error.value)
    assert message.startswith(
        f"{tmp_path}/accounts.csv: 2 duplicate account_id values in table accounts: A1 (×2), A2 (×3);"
    )


def test_duplicate_ids_are_an_error_even_with_skip(tmp_path):
    with pytest.raises(DataError, match=r"1 duplicate contact_id value in table contacts: C1 \(×2\)"):
        validate_csv(
            tmp_path,
            on_bad_rows="skip",
            accounts=ACCOUNTS,
            contacts="contact_id,account_id\nC1,A1\nC1,A1\n",
        )


def test_many_duplicate_ids_list_five_and_the_total(tmp_path):
    csv = "account_id,name\n" + "".join(f"A{i},Acme\nA{i},Acme\n" for i in range(1, 8))
    with pytest.raises(DataError) as error:
        validate_csv(tmp_path, accounts=csv)
    message = str(error.value)
    assert "7 duplicate account_id values" in message
    assert "A1 (×2), A2 (×2), A3 (×2), A4 (×2), A5 (×2);" in message
    assert "A6" not in message


def test_empty_optional_ids_are_not_duplicates(tmp_path):
    csv = "intent_id,observed_at,topic,score\n,2026-11-20,crm,80\n,2026-11-21,crm,70\nI1,2026-11-21,erp,60\n"
    validated = validate_csv(tmp_path, intent=csv)
    assert validated.counts["intent"]["read"] == 3
    assert values(validated.tables["intent"], "intent_id", by="score") == ["I1", None, None]


# --- booleans ----------------------------------------------------------------------------------

BOOLEANS = [
    *[
        pytest.param(text, True, id=f"{text}-is-true")
        for text in ("true", "TRUE", "t", "T", "yes", "Yes", "y", "Y", "1")
    ],
    *[pytest.param(text, False, id=f"{text}-is-false") for text in ("false", "False", "f", "F", "no", "NO", "n", "0")],
    pytest.param("", False, id="empty-is-false"),
    pytest.param(" yes ", True, id="padded-yes-is-true"),
]


@pytest.mark.parametrize(("text", "expected"), BOOLEANS)
def test_boolean_spellings(tmp_path, text, expected):
    validated = validate_csv(tmp_path, accounts=f"account_id,name,is_customer\nA1,Acme,{text}\n")
    assert values(validated.tables["accounts"], "is_customer", by="account_id") == [expected]


def test_a_boolean_column_missing_from_the_file_reads_as_false(tmp_path):
    validated = validate_csv(tmp_path, accounts="account_id,name\nA1,Acme\nA2,Beta\n")
    assert rows(validated.tables["accounts"], "account_id", "is_customer", "target", "sales_accepted") == [
        {"account_id": "A1", "is_customer": False, "target": False, "sales_accepted": False},
        {"account_id": "A2", "is_customer": False, "target": False, "sales_accepted": False},
    ]


# --- timestamps, dates, numbers ----------------------------------------------------------------

TIMESTAMPS = [
    pytest.param("2026-11-20 14:05:00", datetime(2026, 11, 20, 14, 5, tzinfo=UTC), id="naive-is-utc"),
    pytest.param("2026-11-20T14:05:00Z", datetime(2026, 11, 20, 14, 5, tzinfo=UTC), id="zulu"),
    pytest.param("2026-11-20T14:05:00+01:00", datetime(2026, 11, 20, 13, 5, tzinfo=UTC), id="offset-to-utc"),
    pytest.param("2026-11-20", datetime(2026, 11, 20, 0, 0, tzinfo=UTC), id="date-is-midnight-utc"),
]


@pytest.mark.parametrize(("text", "expected"), TIMESTAMPS)
def test_timestamps_read_as_utc_instants(tmp_path, text, expected):
    validated = validate_csv(tmp_path, activities=f"activity_id,occurred_at,type\nX1,{text},page_view\n")
    [occurred_at] = values(validated.tables["activities"], "occurred_at", by="activity_id")
    assert occurred_at == expected
    assert occurred_at.utcoffset().total_seconds() == 0


def test_dates_in_date_columns(tmp_path):
    validated = validate_csv(tmp_path, accounts="account_id,name,renewal_date\nA1,Acme,2027-01-31\nA2,Beta,\n")
    assert values(validated.tables["accounts"], "renewal_date", by="account_id") == [date(2027, 1, 31), None]


@pytest.mark.parametrize(
    "text",
    ["infinity", "epoch", "2026/11/20", "2026-11-20 10:00 PST", "20 Nov 2026"],
    ids=["infinity", "epoch", "slashes", "zone-name", "words"],
)
def test_only_iso_8601_reads_as_a_timestamp(tmp_path, text):
    with pytest.raises(DataError, match=f"occurred_at '{text}' does not read as an ISO timestamp"):
        validate_csv(tmp_path, activities=f"activity_id,occurred_at,type\nX1,{text},page_view\n")


def test_a_timestamp_in_a_date_column_gives_its_utc_date(tmp_path):
    validated = validate_csv(tmp_path, accounts="account_id,name,renewal_date\nA1,Acme,2026-11-20 23:30:00-05:00\n")
    assert values(validated.tables["accounts"], "renewal_date", by="account_id") == [date(2026, 11, 21)]


def test_a_blank_number_is_null_not_a_bad_row(tmp_path):
    validated = validate_csv(tmp_path, accounts="account_id,name,employees,renewal_date\nA1,Acme,   ,  \n")
    assert rows(validated.tables["accounts"], "account_id", "employees", "renewal_date") == [
        {"account_id": "A1", "employees": None, "renewal_date": None}
    ]


def test_a_whole_number_too_large_is_a_bad_row(tmp_path):
    with pytest.raises(DataError, match="employees '99999999999999999999' does not read as a whole number"):
        validate_csv(tmp_path, accounts="account_id,name,employees\nA1,Acme,99999999999999999999\n")


def test_numbers_and_whole_numbers(tmp_path):
    csv = "account_id,name,employees,annual_revenue,tier\nA1,Acme,120,1500000.50,1\n"
    validated = validate_csv(tmp_path, accounts=csv)
    assert rows(validated.tables["accounts"], "account_id", "employees", "annual_revenue", "tier") == [
        {"account_id": "A1", "employees": 120, "annual_revenue": 1500000.5, "tier": 1}
    ]


def test_typed_tables_have_the_canonical_types(tmp_path):
    csv = "account_id,name,employees,arr,is_customer,renewal_date\nA1,Acme,120,99.5,yes,2027-01-31\n"
    schema = validate_csv(tmp_path, accounts=csv).tables["accounts"].schema()
    assert schema["account_id"] == dt.string
    assert schema["employees"] == dt.int64
    assert schema["arr"] == dt.float64
    assert schema["is_customer"] == dt.boolean
    assert schema["renewal_date"] == dt.date


# --- absent columns and tables, extra and declared columns -------------------------------------


def test_absent_optional_columns_read_as_null_of_their_canonical_type(tmp_path):
    accounts = validate_csv(tmp_path, accounts=ACCOUNTS).tables["accounts"]
    assert rows(accounts, "account_id", "employees", "renewal_date", "domain") == [
        {"account_id": "A1", "employees": None, "renewal_date": None, "domain": None}
    ]
    schema = accounts.schema()
    assert (schema["employees"], schema["renewal_date"], schema["domain"]) == (dt.int64, dt.date, dt.string)


@pytest.mark.parametrize("table", [t for t in TABLES if t != "accounts"])
def test_a_missing_table_is_empty_with_the_canonical_schema(tmp_path, table):
    validated = validate_csv(tmp_path, accounts=ACCOUNTS)
    missing = validated.tables[table]
    assert missing.count().to_pyarrow().as_py() == 0
    # Scale aside (an empty table holds microseconds), each column has its contract type.
    schema = {name: kind.copy(scale=None) if kind.is_timestamp() else kind for name, kind in missing.schema().items()}
    assert schema == TABLES[table].schema


def test_undeclared_extra_columns_stay_behind_so_none_stands_in_for_a_computed_one(tmp_path):
    # An export's own `fit` or `engaged` column must not take the place of whynow's (issue #19, point 5).
    validated = validate_csv(
        tmp_path,
        declared={"accounts": {"segment": "text"}},
        accounts="account_id,name,segment,fit,nps\nA1,Acme,Enterprise,99,42\n",
        contacts="contact_id,account_id,engaged,lead_status\nC1,A1,yes,sql\n",
    )
    accounts = validated.tables["accounts"]
    assert rows(accounts, "account_id", "segment") == [{"account_id": "A1", "segment": "Enterprise"}]
    assert not {"fit", "nps"} & set(accounts.columns)
    assert not {"engaged", "lead_status"} & set(validated.tables["contacts"].columns)


def test_a_declared_extra_column_gets_its_declared_type(tmp_path):
    validated = validate_csv(
        tmp_path,
        declared={"accounts": {"nps": "number"}},
        accounts="account_id,name,nps\nA1,Acme,42\nA2,Beta,\n",
    )
    assert values(validated.tables["accounts"], "nps", by="account_id") == [42.0, None]
    assert validated.tables["accounts"].schema()["nps"] == dt.float64


def test_a_declared_column_value_that_does_not_read_as_its_type_is_a_bad_row(tmp_path):
    with pytest.raises(DataError, match="row 1: nps 'great' does not read as a number"):
        validate_csv(
            tmp_path, declared={"accounts": {"nps": "number"}}, accounts="account_id,name,nps\nA1,Acme,great\n"
        )


def test_a_declared_column_of_a_missing_table_is_in_the_empty_table(tmp_path):
    validated = validate_csv(tmp_path, declared={"contacts": {"persona": "text"}}, accounts=ACCOUNTS)
    assert validated.tables["contacts"].schema()["persona"] == dt.string
