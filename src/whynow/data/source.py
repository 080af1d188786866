"""Open a data source (SPEC §3): a folder of CSV and/or Parquet files, or a DuckDB file.

Each canonical table found becomes an Ibis table on one DuckDB connection, as read: CSV columns are
text (typing them is validation's job, so that a bad value becomes a bad row, not a crash); Parquet
and DuckDB columns keep their own types. A CSV table carries `_row`, its data-row number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import ibis
import ibis.expr.types as ir
from ibis.backends.duckdb import Backend as DuckDBBackend

from whynow.data.contract import TABLE_NAMES
from whynow.errors import DataError

ROW = "_row"  # data-row number of a CSV row, counted from 1 (row N is line N+1)
Format = Literal["csv", "parquet", "duckdb"]


@dataclass(frozen=True)
class RawTable:
    """One canonical table as read, before typing."""

    name: str
    table: ir.Table
    file: str  # what to call it in messages: "contacts.csv", "store.duckdb (table contacts)"
    format: Format


@dataclass
class Source:
    """The tables of one data source, on the DuckDB connection that reads them."""

    location: str
    con: DuckDBBackend
    tables: dict[str, RawTable] = field(default_factory=dict)


def open_source(location: str | Path) -> Source:
    """Open a folder of `<table>.csv` / `<table>.parquet` files, or a `.duckdb` file.

    >>> open_source("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    whynow.errors.DataError: data source /nonexistent does not exist; give a folder of CSV or Parquet files or ...
    """
    path = Path(location)
    if path.is_dir():
        return _open_folder(path)
    if path.is_file():
        return _open_duckdb(path)
    raise DataError(f"data source {location} does not exist; give a folder of CSV or Parquet files or a DuckDB file")


def _connect() -> DuckDBBackend:
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")  # SPEC §2: naive timestamps are UTC
    return con


def _open_folder(folder: Path) -> Source:
    con = _connect()
    source = Source(str(folder), con)
    for name in TABLE_NAMES:
        found = [folder / f"{name}.{ext}" for ext in ("csv", "parquet") if (folder / f"{name}.{ext}").exists()]
        if len(found) > 1:
            raise DataError(f"{folder}: both {found[0].name} and {found[1].name} exist for table {name}; keep one")
        if not found:
            continue
        file = found[0]
        view = f"raw_{name}"
        try:
            if file.suffix == ".csv":
                # all_varchar: typing happens in validation, where a bad value is a bad row with its number.
                con.con.execute(
                    f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT row_number() OVER () AS {ROW}, * "
                    "FROM read_csv($1, all_varchar = true, header = true, encoding = 'utf-8')",
                    [str(file)],
                )
            else:
                con.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet($1)", [str(file)])
        except duckdb.Error as e:
            raise DataError(f"{file}: cannot read table {name}: {_first_line(e)}") from None
        fmt: Format = "csv" if file.suffix == ".csv" else "parquet"
        source.tables[name] = RawTable(name, con.table(view), file.name, fmt)
    if not source.tables:
        raise DataError(
            f"{folder} holds no table files; name them after the tables, e.g. accounts.csv, contacts.csv "
            f"({', '.join(TABLE_NAMES)})"
        )
    return source


def _open_duckdb(file: Path) -> Source:
    con = _connect()
    try:
        con.con.execute("ATTACH $1 AS src (READ_ONLY)", [str(file)])
        present = {
            row[0]
            for row in con.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src'"
            ).fetchall()
        }
    except duckdb.Error as e:
        raise DataError(f"{file}: cannot open it as a DuckDB database: {_first_line(e)}") from None
    source = Source(str(file), con)
    for name in TABLE_NAMES:
        if name in present:
            source.tables[name] = RawTable(
                name, con.table(name, database="src"), f"{file.name} (table {name})", "duckdb"
            )
    if not source.tables:
        raise DataError(f"{file} has none of the tables {', '.join(TABLE_NAMES)}")
    return source


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
