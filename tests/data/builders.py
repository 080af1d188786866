"""Tiny data sources for the data-contract tests: write a few CSV rows, validate them, read them back."""

from __future__ import annotations

import textwrap
from pathlib import Path

from whynow.data.source import open_source
from whynow.data.validate import Validated, validate_source
from whynow.options import OnBadRows


def write_csv(folder: Path, table: str, text: str) -> Path:
    """Write `<folder>/<table>.csv`; `text` may be an indented triple-quoted block."""
    path = folder / f"{table}.csv"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def validate_csv(folder: Path, *, on_bad_rows: OnBadRows = "error", declared=None, **tables: str) -> Validated:
    """Write one CSV file per keyword (`accounts="account_id,name\\nA1,Acme\\n"`), open the folder, validate it."""
    for table, text in tables.items():
        write_csv(folder, table, text)
    return validate_source(open_source(folder), on_bad_rows=on_bad_rows, declared=declared)


def rows(table, *columns: str) -> list[dict]:
    """The rows of an Ibis table, only `columns`, ordered by the first of them."""
    picked = table.select(*columns)
    return picked.order_by(columns[0]).to_pyarrow().to_pylist()


def values(table, column: str, *, by: str) -> list:
    """One column of an Ibis table, ordered by `by`."""
    ordered = table.select(*dict.fromkeys((by, column))).order_by(by)
    return [row[column] for row in ordered.to_pyarrow().to_pylist()]
