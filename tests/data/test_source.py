"""Opening a data source (SPEC §3): a folder of CSV and/or Parquet files, or a DuckDB file."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import ibis.expr.datatypes as dt
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.data.builders import rows, values, write_csv
from whynow.data.source import ROW, open_source
from whynow.data.validate import validate_source
from whynow.errors import DataError


def write_duckdb(path, *statements):
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


# --- CSV folders -------------------------------------------------------------------------------


def test_a_csv_table_is_read_as_text_with_its_row_numbers(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name,employees\nA1,Acme,120\nA2,Beta,7\n")
    raw = open_source(tmp_path).tables["accounts"]
    assert (raw.file, raw.format) == (str(tmp_path / "accounts.csv"), "csv")
    assert raw.table.schema()["employees"] == dt.string
    assert rows(raw.table, ROW, "account_id") == [{ROW: 1, "account_id": "A1"}, {ROW: 2, "account_id": "A2"}]


def test_only_files_named_after_tables_are_read(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name\nA1,Acme\n")
    write_csv(tmp_path, "leads", "lead_id\nL1\n")
    assert list(open_source(tmp_path).tables) == ["accounts"]


def test_a_row_with_an_unquoted_comma_is_an_error_naming_its_line(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name\nA1,Acme\nA2,Acme, Inc\nA3,Beta\n")
    with pytest.raises(DataError, match=r"accounts\.csv") as error:
        validate_source(open_source(tmp_path))
    assert "row 2" in str(error.value) or "line 3" in str(error.value)


def test_a_csv_file_that_is_not_utf8_is_an_error_naming_the_file(tmp_path):
    (tmp_path / "accounts.csv").write_bytes(b"account_id,name\nA1,Soci\xe9t\xe9\n")
    with pytest.raises(DataError, match=r"accounts\.csv: table accounts is not UTF-8"):
        open_source(tmp_path)


# --- what is not a source ----------------------------------------------------------------------


def test_a_folder_with_both_csv_and_parquet_for_one_table_is_an_error(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name\nA1,Acme\n")
    pq.write_table(pa.table({"account_id": ["A1"], "name": ["Acme"]}), tmp_path / "accounts.parquet")
    with pytest.raises(DataError, match=r"both accounts\.csv and accounts\.parquet exist for table accounts; keep one"):
        open_source(tmp_path)


def test_an_empty_folder_is_an_error(tmp_path):
    with pytest.raises(DataError, match=r"holds no table files; name them after the tables, e\.g\. accounts\.csv"):
        open_source(tmp_path)


def test_a_nonexistent_path_is_an_error(tmp_path):
    with pytest.raises(DataError, match=f"data source {tmp_path / 'nowhere'} does not exist"):
        open_source(tmp_path / "nowhere")


def test_a_table_file_instead_of_its_folder_is_an_error_naming_the_folder(tmp_path):
    path = write_csv(tmp_path, "accounts", "account_id,name\nA1,Acme\n")
    with pytest.raises(DataError, match=r"accounts\.csv is one table file; give the folder that holds the tables"):
        open_source(path)


def test_a_file_that_is_not_a_duckdb_database_is_an_error(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("just some text\n")
    with pytest.raises(DataError, match=r"notes\.duckdb: cannot open it as a DuckDB database"):
        open_source(path)


# --- Parquet -----------------------------------------------------------------------------------


def test_a_parquet_table_keeps_its_own_types(tmp_path):
    pq.write_table(
        pa.table(
            {
                "account_id": ["A1", "A2"],
                "name": ["Acme", "Beta"],
                "employees": pa.array([120, 7], pa.int32()),
                "is_customer": [True, None],
                "renewal_date": [date(2027, 1, 31), None],
            }
        ),
        tmp_path / "accounts.parquet",
    )
    accounts = validate_source(open_source(tmp_path)).tables["accounts"]
    assert rows(accounts, "account_id", "employees", "is_customer", "renewal_date") == [
        {"account_id": "A1", "employees": 120, "is_customer": True, "renewal_date": date(2027, 1, 31)},
        {"account_id": "A2", "employees": 7, "is_customer": False, "renewal_date": None},
    ]


def test_integer_ids_in_parquet_read_as_text(tmp_path):
    pq.write_table(pa.table({"account_id": [10, 9], "name": ["Acme", "Beta"]}), tmp_path / "accounts.parquet")
    accounts = validate_source(open_source(tmp_path)).tables["accounts"]
    assert values(accounts, "account_id", by="account_id") == ["10", "9"]


def test_a_naive_parquet_timestamp_is_utc(tmp_path):
    occurred = pa.array([datetime(2026, 11, 20, 14, 5)], pa.timestamp("us"))
    pq.write_table(
        pa.table({"activity_id": ["X1"], "occurred_at": occurred, "type": ["page_view"]}),
        tmp_path / "activities.parquet",
    )
    activities = validate_source(open_source(tmp_path)).tables["activities"]
    assert values(activities, "occurred_at", by="activity_id") == [datetime(2026, 11, 20, 14, 5, tzinfo=UTC)]


def test_a_parquet_column_of_the_wrong_type_is_an_error_naming_it(tmp_path):
    table = pa.table({"account_id": ["A1"], "name": ["Acme"], "employees": ["lots"]})
    pq.write_table(table, tmp_path / "accounts.parquet")
    with pytest.raises(DataError, match=r"accounts\.parquet: column employees of table accounts is string"):
        validate_source(open_source(tmp_path))


def test_a_parquet_row_without_occurred_at_is_not_kept(tmp_path):
    occurred = pa.array([datetime(2026, 11, 20), None], pa.timestamp("us"))
    pq.write_table(
        pa.table({"activity_id": ["X1", "X2"], "occurred_at": occurred, "type": ["page_view", "page_view"]}),
        tmp_path / "activities.parquet",
    )
    validated = validate_source(open_source(tmp_path), on_bad_rows="skip")
    assert values(validated.tables["activities"], "activity_id", by="activity_id") == ["X1"]


def test_each_table_file_in_a_folder_becomes_a_table_named_after_its_file(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name\nA1,Acme\n")
    write_csv(tmp_path, "contacts", "contact_id,account_id\nC1,A1\n")
    assert {name: raw.file for name, raw in open_source(tmp_path).tables.items()} == {
        "accounts": str(tmp_path / "accounts.csv"),
        "contacts": str(tmp_path / "contacts.csv"),
    }


# --- DuckDB files ------------------------------------------------------------------------------


def test_a_duckdb_file_is_a_source(tmp_path):
    path = write_duckdb(
        tmp_path / "crm.duckdb",
        "CREATE TABLE accounts (account_id INTEGER, name VARCHAR, employees INTEGER)",
        "INSERT INTO accounts VALUES (1, 'Acme', 120)",
        "CREATE TABLE contacts (contact_id VARCHAR, account_id VARCHAR, unsubscribed BOOLEAN)",
        "INSERT INTO contacts VALUES ('C1', '1', NULL), ('C2', '2', TRUE)",
        "CREATE TABLE notes (body VARCHAR)",
    )
    source = open_source(path)
    assert {name: raw.file for name, raw in source.tables.items()} == {
        "accounts": f"{path} (table accounts)",
        "contacts": f"{path} (table contacts)",
    }
    validated = validate_source(source)
    assert rows(validated.tables["contacts"], "contact_id", "account_id", "unsubscribed") == [
        {"contact_id": "C1", "account_id": "1", "unsubscribed": False},
        {"contact_id": "C2", "account_id": "2", "unsubscribed": True},
    ]
    assert validated.counts["contacts"]["orphaned"] == 1


def test_a_duckdb_column_of_the_wrong_type_is_an_error_naming_it(tmp_path):
    path = write_duckdb(
        tmp_path / "crm.duckdb",
        "CREATE TABLE accounts (account_id VARCHAR, name VARCHAR, employees VARCHAR)",
        "INSERT INTO accounts VALUES ('A1', 'Acme', 'lots')",
    )
    with pytest.raises(DataError, match=r"crm\.duckdb \(table accounts\): column employees of table accounts"):
        validate_source(open_source(path))


def test_a_duckdb_file_without_any_table_is_an_error(tmp_path):
    path = write_duckdb(tmp_path / "crm.duckdb", "CREATE TABLE notes (body VARCHAR)")
    with pytest.raises(DataError, match=r"crm\.duckdb has none of the tables accounts, contacts"):
        open_source(path)
