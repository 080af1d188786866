"""The connections to a store's engine: `Database`, the few operations the store needs of one, and its two
engines, `DuckDB` (a file: one writer or readers at a time, waited for up to BUSY_WAIT_S) and `Postgres` (a
read-only connection refuses every write). `read.py` and `write.py` hold what is read and written through them.
"""

from __future__ import annotations

import io
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlglot
from sqlglot import exp

from whynow.data.backends import first_line, hide_password, split_schema
from whynow.errors import DataError, StoreBusy
from whynow.statements import ident, table_ref

Row = dict[str, object]
Sql = str | exp.Expr  # a statement: fixed text, with `?` parameters, or built with sqlglot (`param()` for each)


class Database(ABC):
    """One open connection to a store's engine: the few operations the store needs, on statements that are
    fixed text with `?` parameters or built with sqlglot and rendered in the engine's dialect."""

    dialect: ClassVar[str]  # its SQL dialect, as sqlglot names it

    def render(self, sql: Sql) -> str:
        """The text the engine runs: fixed text as it is, a built statement in the engine's dialect."""
        return sql if isinstance(sql, str) else sql.sql(dialect=self.dialect)

    @abstractmethod
    def query(self, sql: Sql, params: Sequence[object] = ()) -> list[Row]: ...

    @abstractmethod
    def query_arrow(self, sql: Sql, params: Sequence[object] = ()) -> pa.Table: ...

    def batches(self, sql: Sql, params: Sequence[object] = (), size: int = 10_000) -> pa.RecordBatchReader:
        """The result in batches of up to `size` rows, read as they are consumed where the engine can."""
        table = self.query_arrow(sql, params)
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(size))

    @abstractmethod
    def execute(self, sql: Sql, params: Sequence[object] = ()) -> None: ...

    @abstractmethod
    def create_like(self, name: str, table: pa.Table) -> None:
        """CREATE TABLE IF NOT EXISTS with `table`'s columns."""

    @abstractmethod
    def add_column(self, name: str, column: str, kind: pa.DataType) -> None: ...

    @abstractmethod
    def append(self, name: str, table: pa.Table) -> None:
        """Insert `table`'s rows, its columns by name."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def lock_writers(self) -> None:
        """Make other writers of the store wait until this transaction ends."""

    def tables(self) -> set[str]:
        rows = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {str(r["table_name"]) for r in rows}

    def columns(self, name: str) -> set[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ?",
            [name],
        )
        return {str(r["column_name"]) for r in rows}


def _add_column(name: str, column: str, kind: exp.DataType) -> exp.Alter:
    """ALTER TABLE name ADD COLUMN column kind."""
    return exp.Alter(this=table_ref(name), kind="TABLE", actions=[exp.ColumnDef(this=ident(column), kind=kind)])


BUSY_WAIT_S = 30.0  # how long opening a DuckDB store waits for another process to let go of it (SPEC §8)
_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")
_SAME_PROCESS = "same database file with a different configuration"


class DuckDB(Database):
    dialect = "duckdb"

    def __init__(self, path: Path, read_only: bool, wait_s: float | None = None) -> None:
        """Open the file; while another process holds it (one writer, or readers), try again for up to
        `wait_s` seconds (default BUSY_WAIT_S), then fail naming the process that holds it."""
        wait_s = BUSY_WAIT_S if wait_s is None else wait_s
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.con = duckdb.connect(str(path), read_only=read_only)
                return
            except duckdb.IOException as e:
                holder = _HOLDER.search(str(e))
                if holder is None:
                    raise DataError(f"{path}: cannot open the store: {first_line(e)}") from None
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"{path}: the store is busy: process {holder[2]} ({holder[1]}) has it open; waited "
                        f"{wait_s:g} s. Try again when it has finished."
                    ) from None
                time.sleep(0.25)
            except duckdb.ConnectionException as e:
                # Another connection of this process opened the file the other way (read-only or not): a
                # dashboard request reads while another writes a verdict (SPEC §13); it closes within its request.
                if _SAME_PROCESS not in str(e):
                    raise DataError(f"{path}: cannot open the store: {first_line(e)}") from None
                if time.monotonic() >= deadline:
                    raise StoreBusy(f"{path}: the store is busy in this process; waited {wait_s:g} s") from None
                time.sleep(0.05)
            except duckdb.Error as e:
                raise DataError(f"{path}: cannot open the store: {first_line(e)}") from None

    def query(self, sql: Sql, params: Sequence[object] = ()) -> list[Row]:
        result = self.con.execute(self.render(sql), list(params))
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def query_arrow(self, sql: Sql, params: Sequence[object] = ()) -> pa.Table:
        return self.con.execute(self.render(sql), list(params)).to_arrow_table()

    def batches(self, sql: Sql, params: Sequence[object] = (), size: int = 10_000) -> pa.RecordBatchReader:
        return self.con.execute(self.render(sql), list(params)).to_arrow_reader(size)

    def execute(self, sql: Sql, params: Sequence[object] = ()) -> None:
        self.con.execute(self.render(sql), list(params))

    def _with(self, table: pa.Table, sql: Sql) -> list[tuple[Any, ...]]:
        """Run `sql` with `table` readable as `incoming`."""
        self.con.register("incoming", table)
        try:
            return self.con.execute(self.render(sql)).fetchall()
        finally:
            self.con.unregister("incoming")

    def create_like(self, name: str, table: pa.Table) -> None:
        empty = sqlglot.select(exp.Star()).from_("incoming").limit(0)
        self._with(table, exp.Create(this=table_ref(name), kind="TABLE", exists=True, expression=empty))

    def add_column(self, name: str, column: str, kind: pa.DataType) -> None:
        # DuckDB names the type of an Arrow column (DESCRIBE); sqlglot reads that name back as a type.
        found = self._with(pa.schema([(column, kind)]).empty_table(), "DESCRIBE SELECT * FROM incoming")
        type_ = exp.DataType.build(found[0][1], dialect=self.dialect, udt=True)
        self.execute(_add_column(name, column, type_))

    def append(self, name: str, table: pa.Table) -> None:
        everything = sqlglot.select(exp.Star()).from_("incoming")
        self._with(table, exp.Insert(this=table_ref(name), by_name=True, expression=everything))

    def lock_writers(self) -> None:
        """Nothing to do: a DuckDB file takes one writer at a time (its file lock)."""

    def close(self) -> None:
        self.con.close()


def _postgres_type(kind: pa.DataType) -> exp.DataType:
    return exp.DataType.build(_postgres_type_name(kind), dialect="postgres")


def _postgres_type_name(kind: pa.DataType) -> str:
    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ" if kind.tz else "TIMESTAMP"
    for test, name in (
        (pa.types.is_boolean, "BOOLEAN"),
        (pa.types.is_integer, "BIGINT"),
        (pa.types.is_floating, "DOUBLE PRECISION"),
        (pa.types.is_date, "DATE"),
        (pa.types.is_decimal, "NUMERIC"),
    ):
        if test(kind):
            return name
    return "TEXT"


def _percent_doubled(node: exp.Expr) -> exp.Expr:
    """A name or text with `%` in it, as psycopg reads it in a statement with parameters."""
    if isinstance(node, exp.Identifier) and "%" in node.name:
        return exp.to_identifier(node.name.replace("%", "%%"), quoted=node.quoted)
    if isinstance(node, exp.Literal) and node.is_string and "%" in node.this:
        return exp.Literal.string(node.this.replace("%", "%%"))
    return node


_ARROW_TYPES = {  # PostgreSQL type OIDs (pg_type.oid) of the store's columns
    16: pa.bool_(),
    20: pa.int64(),
    23: pa.int32(),
    701: pa.float64(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", "UTC"),
}


COPY_BATCH = 50_000  # rows of a table COPYed into PostgreSQL at a time


class Postgres(Database):
    dialect = "postgres"

    def __init__(self, url: str, read_only: bool = False) -> None:
        """Connect; a read-only connection refuses every write (default_transaction_read_only)."""
        import psycopg

        plain, schema = split_schema(url)
        try:
            self.con = psycopg.connect(plain, autocommit=True)
        except psycopg.Error as e:
            raise DataError(f"{hide_password(url)}: cannot open the store: {first_line(e)}") from None
        self.execute("SET TIME ZONE 'UTC'")
        if schema:
            if not read_only:
                self.execute(exp.Create(this=exp.Table(db=ident(schema)), kind="SCHEMA", exists=True))
            search_path = exp.EQ(this=exp.column("search_path"), expression=ident(schema))
            self.execute(exp.Set(expressions=[exp.SetItem(this=search_path)]))
        if read_only:
            self.execute("SET default_transaction_read_only TO on")

    def render(self, sql: Sql) -> str:
        """The text psycopg runs, its parameters `%s`: fixed text's `?` turned into `%s`; a built statement
        rendered with `%s` for its parameters and every other `%` doubled (psycopg reads `%%` as `%`)."""
        if isinstance(sql, str):
            return sql.replace("?", "%s")
        return sql.transform(_percent_doubled).sql(dialect=self.dialect)

    def _cursor(self, sql: Sql, params: Sequence[object]) -> Any:
        return self.con.execute(self.render(sql).encode(), list(params))

    def query(self, sql: Sql, params: Sequence[object] = ()) -> list[Row]:
        cursor = self._cursor(sql, params)
        names = [d.name for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def query_arrow(self, sql: Sql, params: Sequence[object] = ()) -> pa.Table:
        cursor = self._cursor(sql, params)
        rows = cursor.fetchall()
        columns = {
            d.name: pa.array([row[i] for row in rows], type=_ARROW_TYPES.get(d.type_code, pa.string()))
            for i, d in enumerate(cursor.description)
        }
        return pa.table(columns)

    def execute(self, sql: Sql, params: Sequence[object] = ()) -> None:
        self._cursor(sql, params)

    def create_like(self, name: str, table: pa.Table) -> None:
        columns = [exp.ColumnDef(this=ident(f.name), kind=_postgres_type(f.type)) for f in table.schema]
        self.execute(exp.Create(this=exp.Schema(this=table_ref(name), expressions=columns), kind="TABLE", exists=True))

    def add_column(self, name: str, column: str, kind: pa.DataType) -> None:
        self.execute(_add_column(name, column, _postgres_type(kind)))

    def append(self, name: str, table: pa.Table) -> None:
        """COPY in PostgreSQL's CSV form, written by Arrow a record batch at a time (`COPY_BATCH` rows), so
        that the text in memory stays one batch's whatever the table's size: every value quoted, so that an
        unquoted empty field is NULL and "" is the empty text."""
        if not table.num_rows:
            return
        into = exp.Schema(this=table_ref(name), expressions=[ident(c) for c in table.column_names])
        csv = exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("csv"))
        statement = exp.Copy(this=into, kind=True, files=[exp.var("STDIN")], params=[csv])
        options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
        with self.con.cursor().copy(statement.sql(dialect=self.dialect).encode()) as copy:  # no parameters
            for batch in table.to_batches(max_chunksize=COPY_BATCH):
                text = io.BytesIO()
                pacsv.write_csv(batch, text, options)
                copy.write(text.getvalue())

    def lock_writers(self) -> None:
        # One advisory lock per schema, held until the transaction ends: whynow's writers take turns.
        self.execute("SELECT pg_advisory_xact_lock(hashtext('whynow:' || current_schema()))")

    def close(self) -> None:
        self.con.close()
