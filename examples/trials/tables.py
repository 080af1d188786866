"""What the trials' prepare.py scripts share: SQL queries over the raw files, each written as a table of a
whynow data source (CSV with a header), and a command line that says what it wrote."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb


def write_tables(con: duckdb.DuckDBPyConnection, queries: Mapping[str, str], out: Path) -> dict[str, int]:
    """Each query's rows as `out/<table>.csv`; the rows written per table."""
    written = {}
    for table, query in queries.items():
        con.execute(f"COPY ({query}) TO '{out / f'{table}.csv'}' (HEADER)")
        found = con.execute(f"SELECT count(*) FROM ({query})").fetchone()
        written[table] = int(found[0]) if found else 0
    return written


def main(prepare: Callable[[Path, Path], dict[str, int]], usage: str | None) -> None:
    """`prepare.py SOURCE OUT_FOLDER`: prepare and say what was written."""
    if len(sys.argv) != 3:
        sys.exit(usage)
    counts = prepare(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {sys.argv[2]}: " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))
