"""The store (SPEC §5, §10): every run's outputs, the runs and the models, in a DuckDB file (the default)
or a PostgreSQL database (`postgresql://USER:PASSWORD@HOST/DATABASE[?schema=SCHEMA]`).

A run's outputs are written in one transaction (both engines have transactional DDL): a failed run
leaves the store as it was, and writing an as-of date again replaces that date's rows (idempotent).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from whynow.data.backends import first_line, hide_password, is_postgres, split_schema
from whynow.errors import DataError

DEFAULT_STORE = "whynow.duckdb"
OUTBOX = "alerts"  # the alert outbox (SPEC §7): kept across runs and --fresh
BACKTESTS = ("backtests", "backtest_figures", "backtest_runs")  # recorded backtests (SPEC §9): kept by --fresh
Row = dict[str, object]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Database(ABC):
    """One open connection to a store's engine: the few operations the store needs, with `?` parameters."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]: ...

    @abstractmethod
    def query_arrow(self, sql: str, params: Sequence[object] = ()) -> pa.Table: ...

    def batches(self, sql: str, params: Sequence[object] = (), size: int = 10_000) -> pa.RecordBatchReader:
        """The result in batches of up to `size` rows, read as they are consumed where the engine can."""
        table = self.query_arrow(sql, params)
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(size))

    @abstractmethod
    def execute(self, sql: str, params: Sequence[object] = ()) -> None: ...

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


BUSY_WAIT_S = 30.0  # how long opening a DuckDB store waits for another process to let go of it (SPEC §8)
_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")


class _DuckDB(_Database):
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
                    raise DataError(
                        f"{path}: the store is busy: process {holder[2]} ({holder[1]}) has it open; waited "
                        f"{wait_s:g} s. Try again when it has finished."
                    ) from None
                time.sleep(0.25)
            except duckdb.Error as e:
                raise DataError(f"{path}: cannot open the store: {first_line(e)}") from None

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        result = self.con.execute(sql, list(params))
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def query_arrow(self, sql: str, params: Sequence[object] = ()) -> pa.Table:
        return self.con.execute(sql, list(params)).to_arrow_table()

    def batches(self, sql: str, params: Sequence[object] = (), size: int = 10_000) -> pa.RecordBatchReader:
        return self.con.execute(sql, list(params)).to_arrow_reader(size)

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self.con.execute(sql, list(params))

    def _with(self, table: pa.Table, sql: str) -> list[tuple[Any, ...]]:
        """Run `sql` with `table` readable as `incoming`."""
        self.con.register("incoming", table)
        try:
            return self.con.execute(sql).fetchall()
        finally:
            self.con.unregister("incoming")

    def create_like(self, name: str, table: pa.Table) -> None:
        self._with(table, f"CREATE TABLE IF NOT EXISTS {_quote(name)} AS SELECT * FROM incoming LIMIT 0")

    def add_column(self, name: str, column: str, kind: pa.DataType) -> None:
        found = self._with(pa.schema([(column, kind)]).empty_table(), "DESCRIBE SELECT * FROM incoming")
        self.con.execute(f"ALTER TABLE {_quote(name)} ADD COLUMN {_quote(column)} {found[0][1]}")

    def append(self, name: str, table: pa.Table) -> None:
        self._with(table, f"INSERT INTO {_quote(name)} BY NAME SELECT * FROM incoming")

    def lock_writers(self) -> None:
        """Nothing to do: a DuckDB file takes one writer at a time (its file lock)."""

    def close(self) -> None:
        self.con.close()


def _postgres_type(kind: pa.DataType) -> str:
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


_ARROW_TYPES = {  # PostgreSQL type OIDs (pg_type.oid) of the store's columns
    16: pa.bool_(),
    20: pa.int64(),
    23: pa.int32(),
    701: pa.float64(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", "UTC"),
}


class _Postgres(_Database):
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
                self.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
            self.execute(f"SET search_path TO {_quote(schema)}")
        if read_only:
            self.execute("SET default_transaction_read_only TO on")

    def _cursor(self, sql: str, params: Sequence[object]) -> Any:
        return self.con.execute(sql.replace("?", "%s").encode(), list(params))  # psycopg's placeholders

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        cursor = self._cursor(sql, params)
        names = [d.name for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def query_arrow(self, sql: str, params: Sequence[object] = ()) -> pa.Table:
        cursor = self._cursor(sql, params)
        rows = cursor.fetchall()
        columns = {
            d.name: pa.array([row[i] for row in rows], type=_ARROW_TYPES.get(d.type_code, pa.string()))
            for i, d in enumerate(cursor.description)
        }
        return pa.table(columns)

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self._cursor(sql, params)

    def create_like(self, name: str, table: pa.Table) -> None:
        columns = ", ".join(f"{_quote(f.name)} {_postgres_type(f.type)}" for f in table.schema)
        self.execute(f"CREATE TABLE IF NOT EXISTS {_quote(name)} ({columns})")

    def add_column(self, name: str, column: str, kind: pa.DataType) -> None:
        self.execute(f"ALTER TABLE {_quote(name)} ADD COLUMN {_quote(column)} {_postgres_type(kind)}")

    def append(self, name: str, table: pa.Table) -> None:
        """COPY in PostgreSQL's CSV form, written by Arrow: every value quoted, so that an unquoted empty
        field is NULL and "" is the empty text."""
        if not table.num_rows:
            return
        text = io.BytesIO()
        pacsv.write_csv(table, text, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
        columns = ", ".join(_quote(c) for c in table.column_names)
        with self.con.cursor().copy(f"COPY {_quote(name)} ({columns}) FROM STDIN (FORMAT csv)".encode()) as copy:
            copy.write(text.getvalue())

    def lock_writers(self) -> None:
        # One advisory lock per schema, held until the transaction ends: whynow's writers take turns.
        self.execute("SELECT pg_advisory_xact_lock(hashtext('whynow:' || current_schema()))")

    def close(self) -> None:
        self.con.close()


@dataclass(frozen=True)
class Previous:
    """The last run before a date, as a run reads it once (SPEC §4.10): its `runs` row (None: there is
    none, this run starts a history) and the tables it asked for."""

    run: Mapping[str, Any] | None = None
    tables: Mapping[str, pa.Table] = field(default_factory=dict)

    def get(self, name: str) -> pa.Table | None:
        return self.tables.get(name)


class StaleState(Exception):
    """Another run committed to the store after this run read its state: the run must be resolved again
    (SPEC §4.10), or be refused when its as-of date is now before the store's last."""


class Store:
    """One store: a DuckDB file or a PostgreSQL database."""

    def __init__(self, location: str | Path = DEFAULT_STORE, *, forget: bool = False) -> None:
        """`forget`: read as if the store held no history (a `--fresh` run, before it replaces it)."""
        self.location = str(location)
        self.postgres = is_postgres(self.location)
        self.name = hide_password(self.location) if self.postgres else self.location
        self.forget = forget

    def exists(self) -> bool:
        """Whether there is a store to read (a PostgreSQL store exists once its database answers)."""
        return self.postgres or Path(self.location).exists()

    def connect(self, read_only: bool = False, wait_s: float | None = None) -> _Database:
        """A connection; `wait_s`: how long to wait for a DuckDB file another process holds (default
        BUSY_WAIT_S)."""
        if self.postgres:
            return _Postgres(self.location, read_only)
        return _DuckDB(Path(self.location), read_only, wait_s)

    def _read(self) -> _Database | None:
        """A read connection, or None where there is nothing to read."""
        if self.forget or not self.exists():
            return None
        return self.connect(read_only=True)

    def write_run(
        self,
        as_of: dt.date,
        outputs: Mapping[str, pa.Table],
        model: tuple[str, str, str],
        alerts: pa.Table | None = None,
        resolved_against: tuple[object, ...] | None = None,
    ) -> None:
        """Replace the as-of date's rows of every output with `outputs`, remember the model (hash, name,
        text) and add the `alerts` whose keys the outbox does not hold yet, all in one transaction; a
        forgetting store first removes every earlier run in that same transaction (the outbox stays:
        an alert already sent is not sent again), so a failed `--fresh` run loses nothing.

        `resolved_against`: `last_run()` as the run saw it before reading the store's state; when another
        run has committed since, nothing is written and `StaleState` is raised."""
        with self._transaction() as db:
            db.lock_writers()
            if resolved_against is not None and self._last_run(db) != resolved_against:
                raise StaleState(self.name)
            if self.forget:  # every table of the store's schema but the outbox and backtests is the history
                for table in db.tables() - {OUTBOX, *BACKTESTS}:
                    db.execute(f"DROP TABLE IF EXISTS {_quote(table)}")
            db.execute("CREATE TABLE IF NOT EXISTS models (hash VARCHAR PRIMARY KEY, name VARCHAR, text VARCHAR)")
            db.execute("INSERT INTO models VALUES (?, ?, ?) ON CONFLICT DO NOTHING", list(model))
            for name, table in outputs.items():
                self._replace(db, name, table, as_of)
            if alerts is not None and alerts.num_rows:
                self._add_alerts(db, alerts)

    def record(self, tables: Mapping[str, pa.Table]) -> None:
        """Add the rows of each table (created, or widened, as needed) in one transaction: a recorded
        backtest (SPEC §9) is all there or not at all."""
        with self._transaction() as db:
            for name, table in tables.items():
                self._create_or_widen(db, name, table)
                db.append(name, table)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[_Database]:
        """A connection in one transaction: committed when the block ends, rolled back if it raises."""
        db = self.connect()
        try:
            db.execute("BEGIN")
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def last_run(self) -> tuple[object, ...]:
        """What identifies the store's committed history: how many runs, and the id of the last one."""
        db = self._read()
        if db is None:
            return (0, None)
        try:
            return self._last_run(db)
        finally:
            db.close()

    @staticmethod
    def _last_run(db: _Database) -> tuple[object, ...]:
        if "runs" not in db.tables():
            return (0, None)
        found = db.query(
            "SELECT (SELECT count(*) FROM runs) AS n, (SELECT run_id FROM runs ORDER BY as_of DESC, "
            "finished_at DESC, run_id LIMIT 1) AS last"
        )
        return (int(str(found[0]["n"])), found[0]["last"])

    def latest_as_of(self) -> dt.date | None:
        """The as-of date of the store's last run, or None for an empty store."""
        db = self._read()
        if db is None:
            return None
        try:
            if "runs" not in db.tables():
                return None
            found = db.query("SELECT max(as_of) AS last FROM runs")
        finally:
            db.close()
        return found[0]["last"] if found else None  # type: ignore[return-value]

    def previous(self, as_of: dt.date, reads: Mapping[str, tuple[str, str]]) -> Previous:
        """The last run before `as_of`, read in one connection: its runs row and, for each name of `reads`,
        the rows of (table, columns) of that run (a table the store does not hold is left out). Nothing
        before `as_of`: an empty `Previous`."""
        db = self._read()
        if db is None:
            return Previous()
        try:
            have = db.tables()
            if "runs" not in have:
                return Previous()
            found = db.query_arrow(
                "SELECT * FROM runs WHERE as_of = (SELECT max(as_of) FROM runs WHERE as_of < ?) "
                "ORDER BY finished_at DESC, run_id LIMIT 1",
                [as_of],
            ).to_pylist()
            if not found:
                return Previous()
            last = found[0]["as_of"]
            tables = {
                name: db.query_arrow(f"SELECT {columns} FROM {_quote(table)} WHERE as_of = ?", [last])
                for name, (table, columns) in reads.items()
                if table in have
            }
            return Previous(found[0], tables)
        finally:
            db.close()

    def count_runs(self) -> int:
        """How many runs the store holds (what `--fresh` will remove)."""
        found = self._select("runs", "SELECT count(*) AS n FROM runs")
        return int(found[0]["n"]) if found else 0  # type: ignore[call-overload]

    def rows(self, table: str, as_of: dt.date, **equal: str) -> list[Row]:
        """The rows of one output at an as-of date whose columns equal the given values."""
        self._must_exist()
        where = "".join(f" AND {_quote(column)} = ?" for column in equal)
        return self._select(table, f"SELECT * FROM {_quote(table)} WHERE as_of = ?{where}", [as_of, *equal.values()])

    def breakdown(self, as_of: dt.date, account_id: str) -> list[Row]:
        """The score_breakdown rows of an account and of its contacts."""
        return self._select(
            "score_breakdown",
            "SELECT b.* FROM score_breakdown b WHERE b.as_of = ? AND ((b.entity_type = 'account' AND "
            "b.entity_id = ?) OR (b.entity_type = 'contact' AND b.entity_id IN (SELECT contact_id FROM "
            "contact_status WHERE as_of = ? AND account_id = ?)))",
            [as_of, account_id, as_of, account_id],
        )

    def history(self, table: str, account_id: str, until: dt.date) -> list[Row]:
        """An account's rows of every run up to `until`, oldest first."""
        sql = f"SELECT * FROM {_quote(table)} WHERE account_id = ? AND as_of <= ? ORDER BY as_of"
        return self._select(table, sql, [account_id, until])

    def changes(self, since: dt.date | None = None, account: str | None = None) -> list[Row]:
        """The change log from `since` on (of one account, if given), by as-of date."""
        self._must_exist()
        query = "SELECT as_of, entity_type, entity_id, change, old, new, reason FROM changes WHERE as_of >= ?"
        params: list[object] = [since or dt.date(1900, 1, 1)]
        if account is not None:
            query += " AND entity_type = 'account' AND entity_id = ?"
            params.append(account)
        return self._select("changes", query + " ORDER BY as_of, entity_type, entity_id, change", params)

    def model_text(self, model_hash: str) -> str | None:
        """The text of a model that ran (the store keeps every one)."""
        found = self._select("models", "SELECT text FROM models WHERE hash = ?", [model_hash])
        return str(found[0]["text"]) if found else None

    def call_lists(self, as_of: dt.date, account_ids: Sequence[str]) -> dict[str, list[Row]]:
        """Each of these accounts' call list (SPEC §4.11), in rank order (see `read_call_lists`)."""
        db = self._read()
        if db is None:
            return {}
        try:
            return read_call_lists(db, as_of, account_ids)
        finally:
            db.close()

    def contact_badges(self, as_of: dt.date, account_id: str) -> list[Row]:
        """The account's contacts that have a badge of their own (see `read_contact_badges`)."""
        db = self._read()
        if db is None:
            return []
        try:
            return read_contact_badges(db, as_of, account_id)
        finally:
            db.close()

    def last_reps(self) -> list[Row]:
        """The reps as the store's last run read them."""
        last = self.latest_as_of()
        return self._select("reps", "SELECT * FROM reps WHERE as_of = ?", [last]) if last else []

    def last_model(self) -> tuple[str, str] | None:
        """(name, text) of the model of the store's last run."""
        found = self._select(
            "runs",
            "SELECT m.name, m.text FROM runs r JOIN models m ON m.hash = r.model_hash "
            "ORDER BY r.as_of DESC, r.finished_at DESC LIMIT 1",
        )
        return (str(found[0]["name"]), str(found[0]["text"])) if found else None

    def _must_exist(self) -> None:
        if not self.exists():
            raise DataError(f"{self.name}: no store here yet; run `whynow run` first")

    def _select(self, table: str, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Rows of a query over `table`; none where the store or the table is not there yet."""
        db = self._read()
        if db is None:
            return []
        try:
            return db.query(sql, params) if table in db.tables() else []
        finally:
            db.close()

    def alerts(self, status: str | None = None) -> list[Row]:
        """The outbox, newest first (of one status, if given)."""
        self._must_exist()
        where, params = (" WHERE status = ?", [status]) if status else ("", [])
        sql = f"SELECT * FROM {OUTBOX}{where} ORDER BY as_of DESC, channel, entity_type, entity_id, change"
        return self._select(OUTBOX, sql, params)

    def active_badges(self) -> set[tuple[object, object, object, object]]:
        """(entity_type, entity_id, badge, badge_since) of every badge active at the store's last run."""
        last = self.latest_as_of()
        rows = self._select(
            "badge_state", "SELECT entity_type, entity_id, badge, badge_since FROM badge_state WHERE as_of = ?", [last]
        )
        return {(r["entity_type"], r["entity_id"], r["badge"], r["badge_since"]) for r in rows}

    def record_alert(self, key: str, **fields: object) -> None:
        """Write one alert's delivery state, in a transaction of its own (so each outcome is kept as
        soon as it is known)."""
        db = self.connect()
        try:
            assignments = ", ".join(f"{_quote(column)} = ?" for column in fields)
            db.execute(f"UPDATE {OUTBOX} SET {assignments} WHERE key = ?", [*fields.values(), key])
        finally:
            db.close()

    def retry_failed(self) -> int:
        """Put every failed alert back to pending, its attempts kept; how many."""
        db = self.connect()
        try:
            if OUTBOX not in db.tables():
                return 0
            found = db.query(f"SELECT count(*) AS n FROM {OUTBOX} WHERE status = 'failed'")
            db.execute(f"UPDATE {OUTBOX} SET status = 'pending', next_try = NULL WHERE status = 'failed'")
            return int(str(found[0]["n"]))
        finally:
            db.close()

    @staticmethod
    def _add_alerts(db: _Database, alerts: pa.Table) -> None:
        """Insert the alerts whose key is new: a re-run logs the same changes, and adds nothing."""
        Store._create_or_widen(db, OUTBOX, alerts)
        held = db.query_arrow(f"SELECT key FROM {OUTBOX}").column("key")
        new = alerts.filter(pc.invert(pc.is_in(alerts.column("key"), value_set=held.combine_chunks())))
        db.append(OUTBOX, new)

    @staticmethod
    def _create_or_widen(db: _Database, name: str, table: pa.Table) -> None:
        """The table, created like `table`, with any column it lacks added (old rows read NULL)."""
        db.create_like(name, table)
        have = db.columns(name)
        for column in table.schema:
            if column.name not in have:  # a model with a new signal or column adds it
                db.add_column(name, column.name, column.type)

    @staticmethod
    def _replace(db: _Database, name: str, table: pa.Table, as_of: dt.date) -> None:
        Store._create_or_widen(db, name, table)
        if "as_of" in table.column_names:  # re-running an as-of date replaces its rows (idempotent)
            db.execute(f"DELETE FROM {_quote(name)} WHERE as_of = ?", [as_of])
        db.append(name, table)


def read_call_lists(db: _Database, as_of: dt.date, account_ids: Sequence[str]) -> dict[str, list[Row]]:
    """{account_id: its call list in rank order} for these accounts at an as-of date, from the store's
    `call_list`: the one read path of who to call for `whynow queue`, `explain`, the dashboard and the API.
    An account without a list (no badge, no one to call) is absent."""
    if not account_ids or "call_list" not in db.tables():
        return {}
    found: dict[str, list[Row]] = {}
    for start in range(0, len(account_ids), 1000):  # bounded IN lists, whatever the page size
        chunk = list(account_ids[start : start + 1000])
        marks = ", ".join("?" for _ in chunk)
        rows = db.query(
            f"SELECT * FROM call_list WHERE as_of = ? AND account_id IN ({marks}) ORDER BY account_id, rank",
            [as_of, *chunk],
        )
        for row in rows:
            found.setdefault(str(row["account_id"]), []).append(row)
    return found


def read_contact_badges(db: _Database, as_of: dt.date, account_id: str) -> list[Row]:
    """An account's contacts with a badge of their own at an as-of date (the contact stories: badge, why,
    badge_since, badge_expires_on), the most engaged first."""
    if "contact_status" not in db.tables():
        return []
    return db.query(
        "SELECT contact_id, name, committee_role, engagement, lead_status, badge, archetype, why, badge_since, "
        "badge_expires_on FROM contact_status WHERE as_of = ? AND account_id = ? AND badge IS NOT NULL "
        "ORDER BY engagement DESC, contact_id",
        [as_of, account_id],
    )


def write_files(outputs: Mapping[str, pa.Table], folder: Path, fmt: str) -> list[Path]:
    """Each output as `<folder>/<name>.parquet` (or .csv), this run's rows only.

    The files are written into a hidden folder inside `folder` first and only then moved into place, each
    move atomic: a run killed while writing leaves the last run's files as they were, never one cut short."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".whynow-writing-", dir=folder))
    try:
        staged = []
        for name, table in outputs.items():
            path = staging / f"{name}.{fmt}"
            if fmt == "csv":
                pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
            else:
                pq.write_table(table, path)
            staged.append(path)
        written = []
        for path in staged:
            path.replace(folder / path.name)
            written.append(folder / path.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
