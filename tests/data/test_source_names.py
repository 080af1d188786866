"""A data source is read whatever its folder's and its columns' names hold (#21): the statements that read
it are built with sqlglot, every name an identifier and every path a literal, so a quote, a backslash, a new
line or a `$` stays part of the name."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.data.builders import rows, validate_csv, write_csv
from whynow.data.source import ROW, open_source
from whynow.errors import DataError

ODD = ["it's", 'say "hi"', "back\\slash", "new\nline", "$1 $file", "select", "a;b --c"]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@pytest.mark.parametrize(
    "name", ODD, ids=["quote", "double-quote", "backslash", "new-line", "dollar", "keyword", "sql"]
)
def test_a_folder_whose_name_holds_sql_characters_is_read(tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    write_csv(folder, "accounts", "account_id,name\nA1,Acme\nA2,\n")
    raw = open_source(folder).tables["accounts"]
    assert raw.file == str(folder / "accounts.csv")
    assert rows(raw.table, ROW, "account_id", "name") == [
        {ROW: 1, "account_id": "A1", "name": "Acme"},
        {ROW: 2, "account_id": "A2", "name": None},
    ]


def test_a_ragged_row_in_a_folder_with_a_quote_in_its_name_names_the_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / 'Bob\'s "data"'
    folder.mkdir()
    with pytest.raises(DataError) as error:
        validate_csv(folder, accounts="account_id,name\nA1,Acme\nA2,Acme, Inc\n")
    assert str(error.value).startswith(
        f"{folder / 'accounts.csv'}: 1 bad row in table accounts: row 2: line 3 has more fields than the header's 2 "
        '(extra fields: [" Inc"]); quote values that contain commas'
    )


def test_header_names_that_hold_sql_characters_are_the_columns_names(tmp_path: Path) -> None:
    header = ["account_id", *ODD]
    write_csv(tmp_path, "accounts", ",".join(map(quoted, header)) + "\n" + ",".join(f"v{i}" for i in range(8)) + "\n")
    raw = open_source(tmp_path).tables["accounts"]
    assert raw.table.columns == (ROW, *header, "_ragged")
    assert rows(raw.table, *header) == [{name: f"v{i}" for i, name in enumerate(header)}]


def test_a_short_row_under_such_a_header_is_ragged_counting_its_fields(tmp_path: Path) -> None:
    header = ["account_id", "it's", 'say "hi"']
    write_csv(tmp_path, "accounts", ",".join(map(quoted, header)) + "\nA1,x,y\nA2,x\n")
    raw = open_source(tmp_path).tables["accounts"]
    assert rows(raw.table, ROW, "_ragged") == [
        {ROW: 1, "_ragged": None},
        {ROW: 2, "_ragged": "has 2 field(s), the header 3; quote values that contain commas or new lines"},
    ]


def test_a_header_naming_whynows_own_column_is_still_refused_under_odd_names(tmp_path: Path) -> None:
    write_csv(tmp_path, "accounts", 'account_id,"it\'s",_ragged\nA1,x,y\n')
    with pytest.raises(DataError, match=r"the column _ragged is a name whynow keeps for itself; rename it"):
        open_source(tmp_path)


def test_a_duckdb_file_in_a_folder_with_sql_characters_in_its_name_is_read(tmp_path: Path) -> None:
    folder = tmp_path / 'Bob\'s "data" back\\slash $1'
    folder.mkdir()
    with duckdb.connect(str(folder / "store.duckdb")) as con:
        con.execute("CREATE TABLE accounts AS SELECT 'A1' AS account_id")
        con.execute("CREATE VIEW contacts AS SELECT 'C1' AS contact_id")
    tables = open_source(folder / "store.duckdb").tables
    assert rows(tables["accounts"].table, ROW, "account_id") == [{ROW: 1, "account_id": "A1"}]
    assert rows(tables["contacts"].table, ROW, "contact_id") == [{ROW: 1, "contact_id": "C1"}]
