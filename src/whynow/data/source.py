"""Open a data source (SPEC §3, §10): a folder of CSV and/or Parquet files, a DuckDB file, a PostgreSQL
database (`postgresql://…`) or Spark (`spark://…`, see `backends.py`).

Each canonical table found becomes an Ibis table on one connection, as read: CSV columns are text
(typing them is validation's job, so that a bad value becomes a bad row, not a crash); Parquet, DuckDB,
PostgreSQL and Spark columns keep their own types. Every table carries `_row`, its data-row number.
"""

from __future__ import annotations

import atexit
import csv
import functools
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import ibis
import ibis.expr.types as ir
import sqlglot
from ibis.backends import BaseBackend
from ibis.backends.duckdb import Backend as DuckDBBackend
from sqlglot import exp

from whynow.data.backends import (
    connect_postgres,
    connect_spark,
    first_line,
    hide_password,
    is_postgres,
    is_spark,
    parse_spark,
)
from whynow.data.contract import TABLE_NAMES
from whynow.errors import DataError
from whynow.statements import call, column_ref, ident, named, row_number, temp_table

ROW = "_row"  # data-row number of a CSV row, counted from 1 (row N is line N+1); Parquet and DuckDB rows too
Format = Literal["csv", "parquet", "duckdb", "postgres", "spark"]


@dataclass(frozen=True)
class RawTable:
    """One canonical table as read, before typing."""

    name: str
    table: ir.Table
    file: str  # what to call it in messages: "contacts.csv", "store.duckdb (table contacts)"
    format: Format


@dataclass
class Source:
    """The tables of one data source, on the connection that reads them."""

    location: str
    con: BaseBackend
    tables: dict[str, RawTable] = field(default_factory=dict)


def open_source(location: str | Path, memory_limit: str | None = None) -> Source:
    """Open a folder of `<table>.csv` / `<table>.parquet` files, a `.duckdb` file or a connection URL.

    `memory_limit` (e.g. "1GB") caps DuckDB's memory; past it, DuckDB spills to a temporary folder.
    PostgreSQL and Spark manage their own memory.

    >>> open_source("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    whynow.errors.DataError: data source /nonexistent does not exist; give a folder of CSV or Parquet files, ...
    """
    if is_postgres(str(location)):
        return _open_postgres(str(location))
    if is_spark(str(location)):
        return _open_spark(str(location))
    path = Path(location)
    if path.is_dir():
        return _open_folder(path, memory_limit)
    if path.is_file() and path.suffix.lower() in (".csv", ".parquet"):
        raise DataError(f"{location} is one table file; give the folder that holds the tables ({path.parent or '.'})")
    if path.is_file():
        return _open_duckdb(path, memory_limit)
    raise DataError(
        f"data source {location} does not exist; give a folder of CSV or Parquet files, a DuckDB file, "
        "or a postgresql:// or spark:// URL"
    )


def _connect(memory_limit: str | None = None) -> DuckDBBackend:
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")  # SPEC §2: naive timestamps are UTC
    if memory_limit:
        try:
            con.con.execute(_set("memory_limit", memory_limit.replace("'", "")))  # quotes dropped, as ever
        except duckdb.Error:
            raise DataError(
                f"--memory-limit {memory_limit!r} is not an amount of memory; give one such as 1GB or 512MB"
            ) from None
        spill = tempfile.mkdtemp(prefix="whynow-spill-")  # past the limit DuckDB writes here
        atexit.register(shutil.rmtree, spill, ignore_errors=True)
        con.con.execute(_set("temp_directory", spill))
    return con


def _set(setting: str, value: str) -> str:
    """SET setting = 'value', the value a literal."""
    assignment = exp.EQ(this=exp.var(setting), expression=exp.Literal.string(value))
    return exp.Set(expressions=[exp.SetItem(this=assignment)]).sql(dialect="duckdb")


def _open_folder(folder: Path, memory_limit: str | None) -> Source:
    con = _connect(memory_limit)
    source = Source(str(folder), con)
    for name in TABLE_NAMES:
        found = [folder / f"{name}.{ext}" for ext in ("csv", "parquet") if (folder / f"{name}.{ext}").exists()]
        if len(found) > 1:
            raise DataError(f"{folder}: both {found[0].name} and {found[1].name} exist for table {name}; keep one")
        if not found:
            continue
        file = found[0]
        if not file.is_file():
            raise DataError(
                f"{file} is a folder, not a file; table {name} must be one {file.suffix[1:]} file: "
                "rename or move the folder"
            )
        try:
            if file.suffix == ".csv":
                table = _read_csv(con, file, name)
                fmt: Format = "csv"
            else:
                # DuckDB's own row number: a row_number() window would make every read of the view serial
                table = con.read_parquet(str(file), table_name=f"raw_{name}", file_row_number=True)
                table = table.mutate(**{ROW: table.file_row_number + 1}).drop("file_row_number")
                fmt = "parquet"
        except duckdb.Error as e:
            raise DataError(f"{file}: cannot read table {name}: {first_line(e)}") from None
        source.tables[name] = RawTable(name, table, str(file), fmt)
    if not source.tables:
        raise DataError(
            f"{folder} holds no table files; name them after the tables, e.g. accounts.csv, contacts.csv "
            f"({', '.join(TABLE_NAMES)})"
        )
    return source


def _read_csv(con: DuckDBBackend, file: Path, name: str) -> ir.Table:
    """Every column as text, in a strict comma-separated dialect, ragged rows marked (`RAGGED`): typing
    them, and setting bad rows aside or refusing them, is validation's job."""
    header = csv_header(file, f"table {name}")
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise DataError(f"{file}: table {name} has the column {', '.join(repeated)} twice in its header; keep one")
    return read_text_csv(con, file, f"raw_{name}", header, ragged="keep")


def csv_header(file: Path, what: str) -> list[str]:
    """The header row of a CSV file (UTF-8, with or without a byte-order mark); `what` names the file's
    content in messages ("table accounts", "Salesforce Account")."""
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except UnicodeDecodeError:
        raise DataError(f"{file}: {what} is not UTF-8 text; save it as UTF-8 CSV") from None
    except csv.Error as e:
        raise DataError(f"{file}: {what} is not a CSV file ({e}); save it as UTF-8 CSV") from None
    if not header:
        raise DataError(f"{file}: {what} is empty; it needs a header row naming its columns")
    return header


def read_text_csv(
    con: DuckDBBackend, file: Path, view: str, names: list[str], ragged: Literal["keep", "refuse"] = "refuse"
) -> ir.Table:
    """A CSV file as a temporary table `view` of text columns named `names` (by position, so a header
    that repeats a name can be read), plus `_row`, the data-row number, and `RAGGED`: NULL, or why the
    row's field count differs from the header's (a row with an unquoted comma is bad input, never a
    silently shifted reading). Raises `DataError` naming the file and line for what cannot be read,
    and with `ragged="refuse"` for a ragged row too (with "keep", validation sets it aside or refuses it).

    DuckDB's reader drops empty fields past the header's count (`A1,Acme, Inc,` reads as three fields)
    and pads short rows only on request, so the file is read with spare columns past the header and
    padding on, and empty fields read as '' (not NULL) until the row's shape is known: a spare column
    that holds anything, or a NULL header column (padding), marks a ragged row. A long line, quoted new
    lines with padding on (not in DuckDB's parallel reader) and rows with more fields than the spares
    are read again with what they need."""
    header = list(dict.fromkeys(column or f"column{i + 1}" for i, column in enumerate(names)))
    own = sorted({ROW, RAGGED} & set(header))
    if own:
        raise DataError(f"{file}: the column {', '.join(own)} is a name whynow keeps for itself; rename it")
    attempt = _CsvRead()
    while True:
        spares = [f"{SPARE}{i + 1}" for i in range(attempt.spares)]
        try:
            con.con.execute(_read_csv_statement(file, view, header, spares, attempt))
        except duckdb.Error as e:
            if not attempt.again(e, len(header)):
                raise DataError(f"{file}: cannot read it as a CSV file: {csv_problem(e, attempt.spares)}") from None
            continue
        table = con.table(view)
        if ragged == "keep":
            return table
        _refuse_ragged(file, table)
        return table.drop(RAGGED)


def _refuse_ragged(file: Path, table: ir.Table) -> None:
    """A DataError naming the first rows whose field count is not the header's, if there are any."""
    bad = table.filter(table[RAGGED].notnull())
    found = bad.order_by(ROW).limit(3).select(ROW, RAGGED).to_pyarrow().to_pylist()
    if found:
        shown = "; ".join(f"line {r[ROW] + 1} (row {r[ROW]}) {r[RAGGED]}" for r in found)
        raise DataError(f"{file}: cannot read it as a CSV file: {shown}")


SPARE = "_spare_field"  # columns read past the header's: any value in them makes a ragged row
RAGGED = "_ragged"  # why a CSV row is ragged (its field count is not the header's), else NULL
# Empty fields read as '' while a row's shape is checked (padding alone is NULL): the NULL text is one no
# field can be, a new line unquoted, and quoted fields are never NULL.
_NO_NULL = "\n"
LONG_LINE = 64 * 2**20  # the longest line read; DuckDB's default is 2 MB (its max_line_size)


@dataclass
class _CsvRead:
    """How a CSV file is read, and what the next try changes after DuckDB refused one."""

    spares: int = 1
    parallel: bool = True
    max_line: int = 2_000_000

    def again(self, error: duckdb.Error, fields: int) -> bool:
        """Whether to read again, changed to get past `error`."""
        text = str(error)
        if "quoted new lines" in text and self.parallel:  # DuckDB: no padding with them in its parallel reader
            self.parallel = False
            return True
        if "Maximum line size" in text and self.max_line < LONG_LINE:
            self.max_line = LONG_LINE
            return True
        counts = _CSV_COUNTS.search(text)
        if counts and int(counts.group(2)) > fields + self.spares and self.spares < 512:
            self.spares = max(self.spares * 8, int(counts.group(2)) - fields)
            return True
        return False


def _read_csv_statement(file: Path, view: str, header: list[str], spares: list[str], attempt: _CsvRead) -> str:
    """CREATE OR REPLACE TEMP TABLE view AS the file's fields as read (every column text, in a strict
    comma-separated dialect), shaped by `_shaped_columns`."""
    columns = exp.Struct(
        expressions=[exp.PropertyEQ(this=ident(c), expression=exp.Literal.string("VARCHAR")) for c in header + spares]
    )
    read = call(
        "read_csv",
        str(file),
        columns=columns,
        header=True,
        auto_detect=False,
        delim=",",
        quote='"',
        escape='"',
        strict_mode=True,
        encoding="utf-8",
        null_padding=True,
        nullstr=_NO_NULL,
        allow_quoted_nulls=False,
        parallel=attempt.parallel,
        max_line_size=attempt.max_line,
    )
    return temp_table(view, exp.Select(expressions=_shaped_columns(header, spares)).from_(read, copy=False))


def _shaped_columns(header: list[str], spares: list[str]) -> list[exp.Expr]:
    """The select list of a CSV read: the row number, each header column (an empty field is NULL, SPEC
    §3) and RAGGED, from the fields as read. Built node by node, without the builders' copies: a file of
    many columns makes a long statement."""
    count = len(header)
    fields = _chained(exp.Add, [_as_integer(_not_null(c)) for c in header])
    x = exp.to_identifier("x")
    held = exp.Lambda(this=_not_null(x), expressions=[x])  # x -> x IS NOT NULL
    extra = call("list_filter", exp.Array(expressions=[column_ref(c) for c in spares]), held)
    too_many = _joined(
        f"has more fields than the header's {count} (extra fields: ",
        exp.Cast(this=call("to_json", extra), to=exp.DataType(this=exp.DType.VARCHAR)),
        "); quote values that contain commas",
    )
    too_few = _joined(
        "has ", exp.Paren(this=fields), f" field(s), the header {count}; quote values that contain commas or new lines"
    )
    ragged = exp.Case(
        ifs=[
            exp.If(this=_not_null(spares[0]), true=too_many),
            exp.If(this=exp.Is(this=column_ref(header[-1]), expression=exp.Null()), true=too_few),
        ]
    )
    values = [named(exp.Nullif(this=column_ref(c), expression=exp.Literal.string("")), c) for c in header]
    return [named(row_number(), ROW), *values, named(ragged, RAGGED)]


def _not_null(value: str | exp.Expr) -> exp.Expr:
    """value IS NOT NULL; a text is a column's name."""
    return exp.Not(this=exp.Is(this=column_ref(value) if isinstance(value, str) else value, expression=exp.Null()))


def _as_integer(value: exp.Expr) -> exp.Cast:
    return exp.Cast(this=value, to=exp.DataType(this=exp.DType.INT))


def _joined(*parts: str | exp.Expr) -> exp.Expr:
    """The parts, texts as literals, joined with ||."""
    return _chained(exp.DPipe, [exp.convert(p) for p in parts])


def _chained(kind: type[exp.Binary], parts: list[exp.Expr]) -> exp.Expr:
    """parts[0] kind parts[1] kind …: `a + b + c`, `a || b || c`."""
    return functools.reduce(lambda a, b: kind(this=a, expression=b), parts)


def _open_duckdb(file: Path, memory_limit: str | None) -> Source:
    con = _connect(memory_limit)
    try:
        # Not con.attach(): ibis 12 writes the path into the statement unescaped.
        attach = exp.Attach(
            this=exp.Alias(this=exp.Literal.string(str(file)), alias=ident("src")),
            expressions=[exp.AttachOption(this=exp.var("READ_ONLY"))],
        )
        con.con.execute(attach.sql(dialect="duckdb"))
        # Not con.list_tables(): ibis 12 fetches it with DuckDB's deprecated fetch_arrow_table().
        listed = con.con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = 'src' AND table_schema = 'main'"
        ).fetchall()
        present = {row[0]: row[1] for row in listed}
    except duckdb.Error as e:
        raise DataError(
            f"{file}: cannot open it as a DuckDB database ({first_line(e)}); --data takes a folder of CSV or "
            "Parquet files, or a DuckDB file"
        ) from None
    source = Source(str(file), con)
    for name in TABLE_NAMES:
        if name in present:
            # A table's own row ids: a row_number() window would make every read of the view serial.
            number = exp.column("rowid") + 1 if present[name] == "BASE TABLE" else row_number()
            table_in = exp.Table(this=ident(name), db=ident("main"), catalog=ident("src"))
            con.raw_sql(
                temp_table(f"raw_{name}", sqlglot.select(named(number, ROW), exp.Star()).from_(table_in), "VIEW")
            )
            table = con.table(f"raw_{name}")
            source.tables[name] = RawTable(name, table, f"{file} (table {name})", "duckdb")
    if not source.tables:
        raise DataError(f"{file} has none of the tables {', '.join(TABLE_NAMES)}")
    return source


def _open_postgres(url: str) -> Source:
    con, schema = connect_postgres(url)
    shown = hide_password(url)
    with con.con.cursor() as cursor:
        listed = cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    present = {row[0] for row in listed}
    source = Source(shown, con)
    for name in TABLE_NAMES:
        if name in present:
            table = con.table(name, database=schema)  # row numbers only where a message needs them
            source.tables[name] = RawTable(name, table, f"{shown} (table {schema}.{name})", "postgres")
    if not source.tables:
        raise DataError(f"{shown}: schema {schema} has none of the tables {', '.join(TABLE_NAMES)}")
    return source


def _open_spark(url: str) -> Source:
    location = parse_spark(url)
    con = connect_spark(location)
    source = Source(url, con)
    for name in TABLE_NAMES:
        if location.path is not None:
            file = f"{location.path.rstrip('/')}/{name}.parquet"
            if "://" not in file and not Path(file).exists():
                continue
            try:
                table = con.read_parquet(file, table_name=f"raw_{name}")
            except Exception as e:  # Spark's AnalysisException (a missing path on a cluster's file system)
                if "PATH_NOT_FOUND" in str(e) or "does not exist" in str(e):
                    continue
                raise DataError(f"{file}: cannot read table {name}: {first_line(e)}") from None
            where = file
        else:
            if name not in con.list_tables(database=location.database):
                continue
            table = con.table(name, database=location.database)
            where = f"{url} (table {location.database}.{name})"
        source.tables[name] = RawTable(name, table, where, "spark")  # row numbers only where a message needs them
    if not source.tables:
        raise DataError(f"{url} has none of the tables {', '.join(TABLE_NAMES)} (as <table>.parquet or catalog tables)")
    return source


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_ORIGINAL = re.compile(r"Original Line: (.*)")
_CSV_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def csv_problem(error: Exception, spares: int = 0) -> str:
    """DuckDB's CSV error in one line: which line, how many fields, and what to do (`spares`: columns
    read past the header's, not counted in what the message says the header has)."""
    text = str(error)
    line, original, counts = _CSV_LINE.search(text), _CSV_ORIGINAL.search(text), _CSV_COUNTS.search(text)
    if line and "not utf-8" in text.lower():
        return f"line {line.group(1)} is not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in Excel)"
    if line and "Maximum line size" in text:
        return (
            f"line {line.group(1)} is longer than {LONG_LINE // 2**20} MB, the longest line whynow reads; a field "
            "that long is not CRM data: check the file's quoting, or cut the field"
        )
    if line and counts:
        shown = f" ({original.group(1).strip()[:80]})" if original else ""
        return (
            f"line {line.group(1)} (row {int(line.group(1)) - 1}) has {counts.group(2)} fields but the header has "
            f"{int(counts.group(1)) - spares}{shown}; quote values that contain commas"
        )
    return first_line(error)
