"""Do whynow's outputs and the hand script's agree? Row by row, on every column both write.

Floats agree within 1e-6 (SPEC §4, §10: every computed number is rounded to 6 decimals, so a sum taken in
another order may land one unit of the sixth decimal away); text, integers, booleans and dates exactly, NULL
only with NULL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

TOLERANCE = 1e-6
# Float noise of a difference of two 6-decimal numbers grows with their size: 0.123457 - 0.123456 is
# 1.0000000000287557e-06, and 108630.885013 - 108630.885012 is 1.00000761449337e-06. Both are one unit of
# the sixth decimal: a sum taken in another order (DuckDB's parallel aggregation) rounds to a neighbour.
_SLACK = 1e-9
_RELATIVE_SLACK = 1e-13  # times the value's size: several ulps of a double
KEYS = {"account_status": "account_id", "contact_status": "contact_id"}
SHOWN = 5  # differing rows reported per column

# Columns where whynow and the hand script are known to differ, with why (SPEC section, the case):
# {(table, column): reason}. A known difference is reported, but does not make the outputs disagree.
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {}


@dataclass
class ColumnDifference:
    table: str
    column: str
    rows: int  # how many rows differ
    examples: list[dict[str, Any]]  # the first differing rows: key, whynow, hand
    known: str | None = None  # the reason, when it is a known difference


@dataclass
class Comparison:
    """The outcome: differing columns, and problems with the rows themselves (missing, extra)."""

    columns: dict[str, list[str]] = field(default_factory=dict)  # the columns compared, per table
    differences: list[ColumnDifference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return not self.problems and all(d.known for d in self.differences)

    def describe(self) -> list[str]:
        lines = list(self.problems)
        for d in self.differences:
            label = f" (known: {d.known})" if d.known else ""
            lines.append(f"{d.table}.{d.column}: {d.rows} rows differ{label}")
            lines += [f"    {KEYS[d.table]}={e['key']}: whynow {e['whynow']!r}, hand {e['hand']!r}" for e in d.examples]
        return lines


def compare(whynow: Path, hand: Path, known: Mapping[tuple[str, str], str] = KNOWN_DIFFERENCES) -> Comparison:
    """Compare the `<table>.parquet` files of two output folders on every column the hand script writes."""
    result = Comparison()
    con = duckdb.connect()
    try:
        for table, key in KEYS.items():
            _compare_table(con, table, key, whynow / f"{table}.parquet", hand / f"{table}.parquet", known, result)
    finally:
        con.close()
    return result


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _compare_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key: str,
    whynow: Path,
    hand: Path,
    known: Mapping[tuple[str, str], str],
    result: Comparison,
) -> None:
    con.execute(f"CREATE OR REPLACE TEMP VIEW w AS SELECT * FROM read_parquet({_literal(whynow)})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW h AS SELECT * FROM read_parquet({_literal(hand)})")
    w_types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE w)").fetchall())
    h_types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE h)").fetchall())
    missing = [c for c in h_types if c not in w_types]
    if missing:
        result.problems.append(f"{table}: whynow does not write {', '.join(missing)}")
    columns = [c for c in h_types if c in w_types and c != key]
    result.columns[table] = columns
    k = _quote(key)
    only = con.execute(
        f"SELECT count(*) FILTER (h.{k} IS NULL), count(*) FILTER (w.{k} IS NULL), "
        f"any_value(w.{k}) FILTER (h.{k} IS NULL), any_value(h.{k}) FILTER (w.{k} IS NULL) "
        f"FROM w FULL JOIN h ON w.{k} = h.{k}"
    ).fetchone()
    assert only is not None
    if only[0] or only[1]:
        result.problems.append(
            f"{table}: {only[0]} rows only in whynow's output (e.g. {only[2]}), {only[1]} only in the hand "
            f"script's (e.g. {only[3]})"
        )
    differs = {c: _differs(c, w_types[c], h_types[c]) for c in columns}
    counts = con.execute(
        "SELECT "
        + ", ".join(f"count(*) FILTER ({condition})" for condition in differs.values())
        + f" FROM w JOIN h ON w.{k} = h.{k}"
    ).fetchone()
    assert counts is not None
    for (column, condition), rows in zip(differs.items(), counts, strict=True):
        if not rows:
            continue
        c = _quote(column)
        examples = con.execute(
            f"SELECT w.{k}, w.{c}, h.{c} FROM w JOIN h ON w.{k} = h.{k} WHERE {condition} ORDER BY w.{k} LIMIT {SHOWN}"
        ).fetchall()
        result.differences.append(
            ColumnDifference(
                table,
                column,
                int(rows),
                [{"key": e[0], "whynow": e[1], "hand": e[2]} for e in examples],
                known.get((table, column)),
            )
        )


def _differs(column: str, w_type: str, h_type: str) -> str:
    """A SQL condition that holds where the two values of a column differ."""
    c = _quote(column)
    if {w_type, h_type} & {"DOUBLE", "FLOAT"}:
        allowed = f"{TOLERANCE} + {_SLACK} + {_RELATIVE_SLACK} * greatest(abs(w.{c}::DOUBLE), abs(h.{c}::DOUBLE))"
        return f"(w.{c} IS NULL) <> (h.{c} IS NULL) OR abs(w.{c}::DOUBLE - h.{c}::DOUBLE) > {allowed}"
    return f"w.{c} IS DISTINCT FROM h.{c}"
