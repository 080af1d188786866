"""Validate a source against the data contract (SPEC §3): required columns, types, duplicate ids.

    validate_source(source, on_bad_rows="error" | "skip", declared=...) -> Validated

CSV text is typed column by column, set-based: a value that does not read as its type (or an empty
required column) makes its row bad. Bad rows are an error naming the file, the column, the count and
the first row numbers, or with `skip` are set aside in `rejected` with their reason. Duplicate ids are
always an error. Orphans and unmatched rows are counted (`resolve.py`), never fatal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from whynow.data.backends import close, empty, keep
from whynow.data.contract import IBIS_TYPES, TABLES, ColumnType
from whynow.data.resolve import count_orphans_and_unmatched
from whynow.data.source import RAGGED, ROW, RawTable, Source
from whynow.errors import DataError, did_you_mean
from whynow.options import OnBadRows

_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
_INTEGER = r"^[+-]?[0-9]+(\.0*)?$"  # 500 and 500.0 (spreadsheets), never 12.5
_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TIMESTAMP = (  # ISO 8601: a date, then maybe a time, then maybe Z or an offset
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?"
    r" ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)
_SHOWN = 5  # row numbers and ids quoted in an error message
_TYPE_WORDS: dict[ColumnType, str] = {
    "text": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true/false",
    "date": "an ISO date (2026-11-20)",
    "timestamp": "an ISO timestamp (2026-11-20 14:05:00)",
}


@dataclass
class Validated:
    """Typed canonical tables (every table, empty where absent), rejected rows and counts per table."""

    tables: dict[str, ir.Table]
    rejected: list[dict[str, object]] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    source: Source | None = None
    tallies: dict[str, pa.Table] | None = None  # the run summary's counts, taken once (summary.tally_queries)

    def close(self) -> None:
        """Let go of the source's connection (a Spark session stays for the next run of the process)."""
        if self.source is not None:
            close(self.source.con)

    def __enter__(self) -> Validated:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def describe(self) -> Iterator[str]:
        """One line per table that was read: rows read, rejected, orphaned, unmatched."""
        for table, counts in self.counts.items():
            parts = [f"{counts['read']} read"]
            parts += [f"{n} {what}" for what, n in counts.items() if what != "read" and n]
            yield f"  {table:<15} {', '.join(parts)}  ({self.files.get(table, '')})"


def validate_source(
    source: Source,
    on_bad_rows: OnBadRows = "error",
    declared: Mapping[str, Mapping[str, ColumnType]] | None = None,
    count_links: bool = True,
) -> Validated:
    """Type and check every table of `source`; raise `DataError` on what cannot be run.

    `count_links` also counts orphans and unmatched rows (a run counts them at its horizon instead)."""
    declared = declared or {}
    missing = [_missing_columns_message(raw) for raw in source.tables.values() if _missing_required(raw)]
    if missing:
        raise DataError("\n".join(missing))
    result = Validated(tables={}, source=source)
    for name, spec in TABLES.items():
        raw = source.tables.get(name)
        if raw is None:
            result.tables[name] = _empty(source, name, declared.get(name, {}))
            continue
        result.files[name] = raw.file
        marked = _marked(raw, declared.get(name, {}))
        found = _totals(marked, spec.id_column if spec.id_column in raw.table.columns else None)
        read, bad = found["read"], found["bad"]
        rejected = _bad_rows(raw, marked, declared.get(name, {}), on_bad_rows, result.rejected) if bad else 0
        kept = marked.filter(~marked["_bad"]) if rejected else marked
        typed = _typed(raw, kept, declared.get(name, {}))
        if raw.format == "csv":  # parsed once; a typed source stays a view of its casts, read where needed
            typed = keep(typed, f"typed_{name}")
        if spec.id_column and found["ids"] != found["distinct_ids"]:
            _check_duplicates(raw, typed, spec.id_column)
        result.tables[name] = typed
        result.counts[name] = {"read": read, "rejected": rejected}
    if count_links:
        for table, extra in count_orphans_and_unmatched(result.tables).items():
            if table in result.counts:
                result.counts[table].update(extra)
    return result


def _totals(marked: ir.Table, id_column: str | None) -> dict[str, int]:
    """In one pass: rows read, bad rows, and the good rows' ids and distinct ids (duplicates when they
    differ)."""
    good = ~marked["_bad"]
    totals: dict[str, ir.Value] = {"read": marked.count(), "bad": ibis.ifelse(marked["_bad"], 1, 0).sum()}
    if id_column is not None:
        totals["ids"] = marked[id_column].count(where=good)
        totals["distinct_ids"] = marked[id_column].nunique(where=good)
    found = marked.aggregate(**totals).to_pyarrow().to_pylist()[0]
    return {"ids": 0, "distinct_ids": 0} | {k: int(v or 0) for k, v in found.items()}


def _missing_required(raw: RawTable) -> list[str]:
    return [c for c in TABLES[raw.name].required if c not in raw.table.columns]


def _missing_columns_message(raw: RawTable) -> str:
    missing = _missing_required(raw)
    found = [c for c in raw.table.columns if c not in (ROW, RAGGED)]
    hints = "".join(did_you_mean(c, found) for c in missing)
    return (
        f"{raw.file}: table {raw.name} has no column {', '.join(missing)} (required){hints}; "
        f"its columns are {', '.join(found)}"
    )


def _empty(source: Source, name: str, declared: Mapping[str, ColumnType]) -> ir.Table:
    """A missing table: no rows, the canonical schema, on the source's own connection (so that every
    table of a run lives on one backend)."""
    schema = ibis.schema({**TABLES[name].schema, **{c: IBIS_TYPES[t] for c, t in declared.items()}})
    return empty(source.con, f"typed_{name}", schema)


def _column_types(raw: RawTable, declared: Mapping[str, ColumnType]) -> dict[str, ColumnType]:
    """Contract type of every canonical and declared column (undeclared extras stay as read)."""
    types = {c.name: c.type for c in TABLES[raw.name].columns}
    types.update(declared)
    return types


def _marked(raw: RawTable, declared: Mapping[str, ColumnType]) -> ir.Table:
    """The raw table plus `_bad_<column>` flags (CSV: the value does not read as its type, or a required
    column is empty) and `_bad`, true on a bad row."""
    t = raw.table
    required = set(TABLES[raw.name].required)
    flags: dict[str, ir.BooleanValue] = {}
    for column, kind in _column_types(raw, declared).items():
        if column not in t.columns:
            continue
        # Typed sources (Parquet, DuckDB) keep their types (checked in _convert); only CSV text is parsed.
        blank = t[column].isnull() | (t[column].strip() == "") if raw.format == "csv" else t[column].isnull()
        flag = ~blank & parse_text(t[column], kind).isnull() if raw.format == "csv" else None
        if column in required:
            flag = blank if flag is None else flag | blank
        if flag is not None:
            flags[f"_bad_{column}"] = flag
    if RAGGED in t.columns:  # a CSV row whose field count is not the header's (source.read_text_csv)
        flags[f"_bad_{RAGGED}"] = t[RAGGED].notnull()
    any_bad: ir.BooleanValue = ibis.literal(False)
    for flag in flags.values():
        any_bad = any_bad | flag
    return t.mutate(**flags, _bad=any_bad)


def _typed(raw: RawTable, marked: ir.Table, declared: Mapping[str, ColumnType]) -> ir.Table:
    """Canonical and declared columns in their contract types. Undeclared extra columns stay behind: no
    rule may name them (SPEC §4.1), and an extra named like something whynow computes (`fit`, `engaged`,
    a signal, `used_capacity`) must not stand in for it or clash with it in an output."""
    values: dict[str, ir.Value] = {}
    for column, kind in _column_types(raw, declared).items():
        if column not in raw.table.columns:
            values[column] = ibis.literal(False) if kind == "boolean" else ibis.null(IBIS_TYPES[kind])
        elif raw.format == "csv":
            values[column] = parse_text(marked[column], kind)
        else:
            values[column] = _convert(raw, column, kind)
    return marked.select(**values)


def parse_text(text: ir.StringValue, kind: ColumnType) -> ir.Value:
    """CSV text as its contract type; NULL where it does not read as one (a blank reads as NULL, or as
    false in a boolean column). Patterns come first: DuckDB's casts alone would take '12.5' as the
    integer 13, 'infinity' as a timestamp and '2026/11/20' as a date."""
    value = text.strip()
    if kind == "text":
        return text
    if kind == "boolean":
        folded = value.lower()
        return ibis.cases(
            (text.isnull() | (value == ""), ibis.literal(False)),  # SPEC §3: a blank boolean is false
            (folded.isin(_TRUE), ibis.literal(True)),
            (folded.isin(_FALSE), ibis.literal(False)),
            else_=ibis.null(dt.boolean),
        )
    if kind == "integer":
        return _when(value, _INTEGER, value.try_cast(dt.float64).try_cast(dt.int64), kind)
    if kind == "number":
        return _when(value, _NUMBER, value.try_cast(dt.float64), kind)
    instant = value.try_cast(IBIS_TYPES["timestamp"])  # an offset is converted to UTC (SPEC §2)
    if kind == "timestamp":
        return _when(value, _TIMESTAMP, instant, kind)
    # A date column also takes a timestamp: its UTC date.
    return ibis.ifelse(value.re_search(_DATE), value.try_cast(dt.date), _when(value, _TIMESTAMP, instant.date(), kind))


def _when(value: ir.StringValue, pattern: str, parsed: ir.Value, kind: ColumnType) -> ir.Value:
    return ibis.ifelse(value.re_search(pattern), parsed, ibis.null(IBIS_TYPES[kind]))


def _convert(raw: RawTable, column: str, kind: ColumnType) -> ir.Value:
    """A typed (Parquet, DuckDB) column in its contract type, or a DataError naming the mismatch."""
    value = raw.table[column]
    have = value.type()
    ok = {
        "text": have.is_string() or have.is_integer(),  # integer ids read as text (ids are text)
        "integer": have.is_integer(),
        "number": have.is_numeric(),
        "boolean": have.is_boolean(),
        "date": have.is_date() or have.is_timestamp(),
        "timestamp": have.is_timestamp() or have.is_date(),
    }[kind]
    if not ok:
        raise DataError(
            f"{raw.file}: column {column} of table {raw.name} is {have}, but the contract reads it as "
            f"{_TYPE_WORDS[kind]}; convert the column or export it as CSV"
        )
    if kind == "boolean":
        return value.fill_null(False)
    if kind == "timestamp" and have.is_timestamp() and have.timezone is None:
        return value.cast(dt.Timestamp(timezone="UTC"))  # SPEC §2: naive timestamps are UTC
    return value.cast(IBIS_TYPES[kind])


def _bad_rows(
    raw: RawTable,
    marked: ir.Table,
    declared: Mapping[str, ColumnType],
    on_bad_rows: OnBadRows,
    rejected: list[dict[str, object]],
) -> int:
    types = _column_types(raw, declared)
    if ROW not in marked.columns:  # PostgreSQL and Spark tables: numbered in the order the engine reads them
        marked = marked.mutate(**{ROW: ibis.row_number() + 1})
    bad = marked.filter(marked["_bad"])
    count = _count(bad)
    if count == 0:
        return 0
    ordered = bad.order_by(ROW)
    if on_bad_rows == "error":
        rows = ordered.limit(_SHOWN).to_pyarrow().to_pylist()
        details = "; ".join(f"row {r[ROW]}: {_reason(r, types)}" for r in rows)
        more = f" (first {_SHOWN} shown)" if count > _SHOWN else ""
        raise DataError(
            f"{raw.file}: {count} bad row{'s' if count > 1 else ''} in table {raw.name}{more}: {details}; "
            "fix them, or run with --on-bad-rows=skip to set them aside in `rejected`"
        )
    for r in ordered.to_pyarrow().to_pylist():
        values = {k: v for k, v in r.items() if k not in (ROW, RAGGED) and not k.startswith("_bad")}
        rejected.append(
            {"table": raw.name, "row": r[ROW], "reason": _reason(r, types), "values": json.dumps(values, default=str)}
        )
    return count


def _reason(row: Mapping[str, object], types: Mapping[str, ColumnType]) -> str:
    """Why one bad row is bad, in words (rendering: only the bad rows are read back)."""
    reasons = []
    for key, flagged in row.items():
        if not key.startswith("_bad_") or not flagged:
            continue
        column = key.removeprefix("_bad_")
        value = row.get(column)
        if column == RAGGED:
            reasons.append(f"line {row[ROW] + 1} {value}")  # type: ignore[operator]
        elif value is None:
            reasons.append(f"{column} is empty (required)")
        else:
            kind = types.get(column, "text")
            reasons.append(f"{column} '{value}' does not read as {_TYPE_WORDS[kind]}")
    return ", ".join(reasons) or "unreadable row"


def _check_duplicates(raw: RawTable, typed: ir.Table, id_column: str) -> None:
    ids = typed.filter(typed[id_column].notnull())
    dupes = ids.group_by(id_column).aggregate(n=ids.count()).filter(lambda g: g.n > 1)
    found = dupes.order_by(id_column).limit(_SHOWN + 1).to_pyarrow().to_pylist()
    if found:
        total = int(dupes.count().to_pyarrow().as_py())
        listed = ", ".join(f"{r[id_column]} (×{r['n']})" for r in found[:_SHOWN])
        raise DataError(
            f"{raw.file}: {total} duplicate {id_column} value{'s' if total > 1 else ''} in table {raw.name}: "
            f"{listed}; each {id_column} must be unique — remove the extra copies (which one is right is your call)"
        )


def _count(table: ir.Table) -> int:
    return int(table.count().to_pyarrow().as_py())
