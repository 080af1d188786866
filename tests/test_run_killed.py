"""A run killed at any moment leaves the store as it was, or as the whole run would have left it (#21,
SPEC §5: a run's outputs are written in one transaction) — never a half.

A store holds one committed run of a small demo company (5 accounts, the reference model, alerts on), with
its --out files; a second `whynow run`, two weeks later with the same --out, runs as a process of its own
and is killed with SIGKILL:

* at 5, 25, 50, 75 and 95% of how long the same run takes unkilled (measured here, on this machine), and
  as late as possible: polled until the DuckDB store's write-ahead log appears, or an --out file is
  touched (on PostgreSQL: until the run holds the store's write lock), then killed at once;
* at named lines, where timing rarely lands: just before and just after COMMIT, and while the --out files
  are written (the run sends itself SIGKILL there; see KILL_AT).

After each kill, what a user would notice: `whynow queue`, `changes`, `alerts` and `explain` read the
store without error and print what they printed before the run, or what they print after the unkilled
run; every table holds exactly its rows from before, or exactly the unkilled run's (its run id and clock
times aside); and the next run over a killed one succeeds. The --out files are written after the store
commits, so a store as it was has its files as they were; they are written aside and moved into place
(store.write_files), so a kill while they are written leaves them all as they were, none cut short.

PostgreSQL runs when `WHYNOW_TEST_POSTGRES` is set (`make test` starts one); without it those tests are
skipped, or fail under `WHYNOW_REQUIRE_BACKENDS`, as in test_backends.py. Time only chooses kill points;
no duration is asserted, and a kill that lands before the run opened the store, or after it ended, must
pass the same assertions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from whynow.cli import app
from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.load import load_model
from whynow.run import run

FIRST, SECOND = dt.date(2026, 11, 6), dt.date(2026, 11, 20)  # two weeks: the second run adds alerts
FRACTIONS = (0.05, 0.25, 0.5, 0.75, 0.95)  # of an unkilled run's duration
RUN_TIMEOUT_S = 300  # a hung run fails the test instead of hanging it
NEW_RUN = "<the second run>"
EXPLAINED = "A0002"  # an account of the demo company with a badge, evidence and a call list
CLOCK_COLUMNS = ("started_at", "finished_at")  # of `runs`: when the run ran, not what it computed
runner = CliRunner()

# `whynow` with a SIGKILL at a named point of the run: argv[1] is the point, the rest whynow's arguments.
KILL_AT = """
import os, signal, sys
import pyarrow.parquet as pq
import whynow.store.database as database
from whynow.cli import main

point = sys.argv.pop(1)

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def around_commit(execute):
    def wrapped(self, sql, params=()):
        if sql == "COMMIT" and point == "before-commit":
            die()
        execute(self, sql, params)
        if sql == "COMMIT" and point == "after-commit":
            die()
    return wrapped

database.DuckDB.execute = around_commit(database.DuckDB.execute)
database.Postgres.execute = around_commit(database.Postgres.execute)
close, closed = pq.ParquetWriter.close, []

def close_then(self):
    if point == "inside-the-third-file" and len(closed) == 2:
        die()  # the third file is open and partly written; two files are new, the rest old
    close(self)
    closed.append(self)

pq.ParquetWriter.close = close_then
main()
"""

Rows = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]  # table: (columns, rows sorted)


# --- the company and its two runs --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small demo company (every table of the reference model does work) and the reference model with a
    Slack webhook, so that runs write the alert outbox too (they never send: --no-send)."""
    folder = tmp_path_factory.mktemp("company")
    data = folder / "data"
    generate_demo_data(data, seed=11, accounts=5, as_of=SECOND)
    model = folder / "model.yaml"
    text = reference_model_path().read_text(encoding="utf-8")
    assert "${WHYNOW_SLACK_WEBHOOK:-}" in text
    model.write_text(text.replace("${WHYNOW_SLACK_WEBHOOK:-}", "http://127.0.0.1:9/never-sent"), encoding="utf-8")
    return data, model


def second_run(company: tuple[Path, Path], store: str | Path, out: Path | None) -> list[str]:
    data, model = company
    args = ["run", "--model", str(model), "--data", str(data), "--store", str(store)]
    return args + ["--as-of", str(SECOND), "--no-send"] + (["--out", str(out)] if out else [])


def whynow_process(args: list[str], kill_at: str | None = None) -> subprocess.Popen[bytes]:
    """`whynow ARGS` as a process of its own (with a SIGKILL at a named point, when given)."""
    start = [sys.executable, "-c", KILL_AT, kill_at] if kill_at else [sys.executable, "-m", "whynow"]
    return subprocess.Popen([*start, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    return proc.returncode, stderr.decode(errors="replace")


def kill(proc: subprocess.Popen[bytes], after: float = 0.0) -> None:
    """SIGKILL the process `after` seconds from now, unless it ended first; reap it."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=after)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    finish(proc)


def readings(store: str | Path) -> dict[str, str]:
    """What a user reads of the store, as printed: the queues, the change log, the alert outbox and one
    account explained (its scores, evidence and call list at the last run)."""
    found = {}
    for command in (["queue"], ["changes"], ["alerts"], ["explain", EXPLAINED]):
        result = runner.invoke(app, [*command, "--store", str(store)])
        assert result.exit_code == 0, (command, result.stderr, result.exception)
        found[command[0]] = result.stdout
    return found


def normalized(rows: Rows, old_runs: set[object]) -> Rows:
    """`rows` with every run id that is not one of `old_runs` written as NEW_RUN, and those runs' clock
    times blanked: two runs of one date and data differ in nothing else. (A run of a date run again keeps
    the alerts of the first: their run id is then that run's.)"""
    new = {r[c.index("run_id")] for c, found in rows.values() if "run_id" in c for r in found} - old_runs
    return {table: (columns, _normal(table, columns, found, new)) for table, (columns, found) in rows.items()}


def _normal(
    table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], new: set[object]
) -> list[tuple[Any, ...]]:
    clocks = [columns.index(c) for c in CLOCK_COLUMNS if c in columns] if table == "runs" else []
    result = []
    for row in rows:
        values = [NEW_RUN if isinstance(v, str) and v in new else v for v in row]
        if clocks and values[columns.index("run_id")] == NEW_RUN:
            for i in clocks:
                values[i] = None
        result.append(tuple(values))
    return sorted(result, key=repr)


def run_ids(rows: Rows) -> set[object]:
    columns, table_rows = rows["runs"]
    return {r[columns.index("run_id")] for r in table_rows}


def normalized_text(read: dict[str, str], rows: Rows, old_runs: set[object]) -> dict[str, str]:
    """What a user reads, with the new run's id (explain shows its first 12 characters) as NEW_RUN."""
    for run_id in run_ids(rows) - old_runs:
        read = {command: text.replace(str(run_id)[:12], NEW_RUN) for command, text in read.items()}
    return read


@dataclass
class History:
    """A store's state before the second run and after the whole of it; `seconds`: how long it took."""

    before: Rows
    after: Rows  # normalized
    read_before: dict[str, str]
    read_after: dict[str, str]  # normalized
    seconds: float

    def assert_before_or_after(self, rows: Rows, read: Callable[[], dict[str, str]]) -> bool:
        """The store is exactly as it was (True), or exactly as the unkilled run left it (False)."""
        if rows == self.before:
            assert read() == self.read_before
            return True
        got = normalized(rows, run_ids(self.before))
        for table in sorted(set(got) | set(self.after)):  # table by table, for a readable failure
            assert got.get(table) == self.after.get(table), f"table {table} is neither as before nor as after the run"
        assert normalized_text(read(), rows, run_ids(self.before)) == self.read_after
        return False


# --- DuckDB ------------------------------------------------------------------------------------------------


def duckdb_rows(store: Path) -> Rows:
    """Every table of a DuckDB store with its columns and rows, sorted: what "the store as it was" means."""
    with duckdb.connect(str(store), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        found: Rows = {}
        for name in sorted(names):
            result = con.execute(f'SELECT * FROM "{name}"')
            columns = tuple(d[0] for d in result.description)
            found[name] = (columns, sorted(result.fetchall(), key=repr))
        return found


def file_rows(path: Path, old_runs: set[object]) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """An --out file's columns and rows, sorted, with a new run's id and clock times as in `normalized`."""
    table = pq.read_table(path)
    columns = tuple(table.column_names)
    new = set(table.column("run_id").to_pylist()) - old_runs if "run_id" in columns else set()
    return columns, _normal(path.stem, columns, [tuple(r.values()) for r in table.to_pylist()], new)


@dataclass
class DuckDBHistory(History):
    store: Path  # the store with the first run only: each test copies it
    out: Path  # its --out files
    out_before: dict[str, bytes]
    out_after: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]  # each file's rows, normalized

    def start(self, folder: Path, company: tuple[Path, Path]) -> tuple[Path, Path, list[str]]:
        """A copy of the store and its --out folder as they were before the second run, and its arguments."""
        store, out = folder / "whynow.duckdb", folder / "out"
        shutil.copyfile(self.store, store)
        shutil.copytree(self.out, out)
        return store, out, second_run(company, store, out)

    def check(self, store: Path, out: Path) -> bool:
        """The store, and the --out folder, as they were (True) or as the whole run left the store (False)."""
        as_before = self.assert_before_or_after(duckdb_rows(store), lambda: readings(store))
        if as_before:  # the files are written after the store commits: a store as it was has its files as they were
            assert folder_bytes(out) == self.out_before
        else:
            assert sorted(folder_bytes(out)) == sorted(self.out_before)  # no file added, none lost
        return as_before

    def file_states(self, out: Path) -> dict[str, str]:
        """Each --out file: 'old' (the first run's bytes), 'new' (the second run's rows), or why it is neither."""
        states = {}
        for name, content in folder_bytes(out).items():
            if content == self.out_before[name]:
                states[name] = "old"
                continue
            try:
                rows = file_rows(out / name, run_ids(self.before))
            except Exception as e:  # what a reader of the file would get
                states[name] = f"unreadable ({len(content)} bytes: {str(e).splitlines()[0][:80]})"
                continue
            states[name] = "new" if rows == self.out_after[name] else "neither the old nor the new rows"
        return states


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def duckdb_history(company: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> DuckDBHistory:
    """The first run (in this process), then the second run unkilled on a copy, timed."""
    folder = tmp_path_factory.mktemp("duckdb-history")
    data, model = company
    store, out = folder / "whynow.duckdb", folder / "out"
    run(load_model(model), str(data), FIRST, store=store, out=out)
    assert not Path(f"{store}.wal").exists()  # closed and checkpointed: the file alone is the store
    before = duckdb_rows(store)
    read_before = readings(store)

    unkilled = folder / "unkilled"
    unkilled.mkdir()
    shutil.copyfile(store, unkilled / "whynow.duckdb")
    shutil.copytree(out, unkilled / "out")
    started = time.monotonic()
    code, stderr = finish(whynow_process(second_run(company, unkilled / "whynow.duckdb", unkilled / "out")))
    seconds = time.monotonic() - started
    assert code == 0, stderr
    after = duckdb_rows(unkilled / "whynow.duckdb")
    old = run_ids(before)
    history = DuckDBHistory(
        before=before,
        after=normalized(after, old),
        read_before=read_before,
        read_after=normalized_text(readings(unkilled / "whynow.duckdb"), after, old),
        seconds=seconds,
        store=store,
        out=out,
        out_before=folder_bytes(out),
        out_after={p.name: file_rows(p, old) for p in sorted((unkilled / "out").iterdir())},
    )
    # Guard against a vacuous test: the second run changes every table a run writes, and what a user reads.
    assert {t for t in after if after[t] != before[t]} == set(after) - {"models"}  # the model is the same
    assert history.read_after["queue"] != history.read_before["queue"]
    assert history.read_after["changes"] != history.read_before["changes"]
    assert NEW_RUN in history.read_after["explain"]
    assert all(history.out_after[n] != file_rows(out / n, old) for n in history.out_after)
    return history


@pytest.mark.parametrize("fraction", FRACTIONS, ids=[f"{f:.0%}" for f in FRACTIONS])
def test_a_run_killed_part_way_leaves_the_store_as_it_was_or_whole(
    company: tuple[Path, Path], duckdb_history: DuckDBHistory, tmp_path: Path, fraction: float
) -> None:
    store, out, args = duckdb_history.start(tmp_path, company)
    kill(whynow_process(args), after=fraction * duckdb_history.seconds)
    duckdb_history.check(store, out)


@pytest.mark.parametrize("until", ["the-write-ahead-log-appears", "an-out-file-is-touched"])
def test_a_run_killed_as_late_as_possible_leaves_the_store_as_it_was_or_whole(
    company: tuple[Path, Path], duckdb_history: DuckDBHistory, tmp_path: Path, until: str
) -> None:
    """Polled, then killed at once: the log exists while the run writes the store; the files come after."""
    store, out, args = duckdb_history.start(tmp_path, company)
    wal = Path(f"{store}.wal")
    files = {p: p.stat().st_mtime_ns for p in out.iterdir()}

    def reached() -> bool:
        if until == "the-write-ahead-log-appears":
            return wal.exists()
        return any(not p.exists() or p.stat().st_mtime_ns != t for p, t in files.items())

    proc = whynow_process(args)
    try:
        while proc.poll() is None and not reached():
            time.sleep(0.0005)
    finally:
        kill(proc)
    duckdb_history.check(store, out)


def test_a_run_killed_just_before_commit_leaves_the_store_and_files_as_they_were(
    company: tuple[Path, Path], duckdb_history: DuckDBHistory, tmp_path: Path
) -> None:
    store, out, args = duckdb_history.start(tmp_path, company)
    assert finish(whynow_process(args, kill_at="before-commit"))[0] == -signal.SIGKILL
    assert duckdb_history.check(store, out) is True


def test_a_run_killed_just_after_commit_is_whole_and_the_next_run_writes_over_it(
    company: tuple[Path, Path], duckdb_history: DuckDBHistory, tmp_path: Path
) -> None:
    """Killed before the store was closed: the write-ahead log holds the commit, and is read back."""
    store, out, args = duckdb_history.start(tmp_path, company)
    assert finish(whynow_process(args, kill_at="after-commit"))[0] == -signal.SIGKILL
    assert Path(f"{store}.wal").exists()  # the kill came before the checkpoint: the log is what holds the run
    assert duckdb_history.check(store, out) is False
    assert set(duckdb_history.file_states(out).values()) == {"old"}  # the files lag the store; none is mixed in
    again = runner.invoke(app, args)  # the same run again, as a user would: it replaces the date's rows
    assert again.exit_code == 0, (again.stderr, again.exception)
    assert duckdb_history.check(store, out) is False
    assert set(duckdb_history.file_states(out).values()) == {"new"}


def test_a_run_killed_while_writing_its_files_leaves_them_all_old_or_all_new(
    company: tuple[Path, Path], duckdb_history: DuckDBHistory, tmp_path: Path
) -> None:
    store, out, args = duckdb_history.start(tmp_path, company)
    assert finish(whynow_process(args, kill_at="inside-the-third-file"))[0] == -signal.SIGKILL
    assert duckdb_history.check(store, out) is False  # the store is whole: a real failure if not
    states = duckdb_history.file_states(out)
    assert set(states.values()) == {"old"}, f"the --out files after the kill: {states}"


# --- PostgreSQL --------------------------------------------------------------------------------------------


def _unavailable(what: str) -> None:
    if os.environ.get("WHYNOW_REQUIRE_BACKENDS"):
        pytest.fail(f"{what}, and WHYNOW_REQUIRE_BACKENDS is set: run the suite with `make test`")
    pytest.skip(f"{what}: run the suite with `make test` to test this backend")


def postgres_rows(con: Any, schema: str) -> Rows:
    """Every table of a store's schema with its columns and rows, sorted."""
    names = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
    found: Rows = {}
    for (name,) in sorted(names.fetchall()):
        cursor = con.execute(f'SELECT * FROM "{schema}"."{name}"')
        found[name] = (tuple(d.name for d in cursor.description), sorted(cursor.fetchall(), key=repr))
    return found


@dataclass
class PostgresHistory(History):
    con: Any  # to the test server, autocommit
    url: str  # the test server
    schema: str  # the store with the first run only: each test copies it

    def copy(self) -> str:
        """A schema of its own holding the store as it was before the second run (keys and all)."""
        schema = f"kill_{uuid.uuid4().hex[:8]}"
        self.con.execute(f'CREATE SCHEMA "{schema}"')
        for table in self.before:
            self.con.execute(f'CREATE TABLE "{schema}"."{table}" (LIKE "{self.schema}"."{table}" INCLUDING ALL)')
            self.con.execute(f'INSERT INTO "{schema}"."{table}" SELECT * FROM "{self.schema}"."{table}"')
        return schema

    def store(self, schema: str) -> str:
        return f"{self.url}?schema={schema}"

    def check(self, schema: str) -> bool:
        rows = postgres_rows(self.con, schema)
        return self.assert_before_or_after(rows, lambda: readings(self.store(schema)))

    def writing(self, schema: str) -> bool:
        """Whether a run holds the schema's write lock: its one write transaction is open."""
        found = self.con.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND objid::bigint = hashtext('whynow:' || %s)::bigint & 4294967295",
            [schema],
        )
        return bool(found.fetchone()[0])

    def drop(self, schema: str) -> None:
        self.con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="module")
def postgres(company: tuple[Path, Path]) -> Iterator[PostgresHistory]:
    """The first run and the unkilled second run (timed) of a store on the test PostgreSQL."""
    url = os.environ.get("WHYNOW_TEST_POSTGRES")
    if not url:
        _unavailable("no PostgreSQL (WHYNOW_TEST_POSTGRES is not set)")
    assert url is not None
    import psycopg

    data, model = company
    first = f"kill_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as con:
        history = PostgresHistory({}, {}, {}, {}, 0.0, con, url, first)
        unkilled = None
        try:
            run(load_model(model), str(data), FIRST, store=history.store(first))
            history.before = postgres_rows(con, first)
            history.read_before = readings(history.store(first))
            unkilled = history.copy()
            started = time.monotonic()
            code, stderr = finish(whynow_process(second_run(company, history.store(unkilled), None)))
            history.seconds = time.monotonic() - started
            assert code == 0, stderr
            after = postgres_rows(con, unkilled)
            history.after = normalized(after, run_ids(history.before))
            history.read_after = normalized_text(readings(history.store(unkilled)), after, run_ids(history.before))
            assert {t for t in after if after[t] != history.before[t]} == set(after) - {"models"}
            assert history.read_after["queue"] != history.read_before["queue"]
            yield history
        finally:
            for schema in (first, unkilled):
                if schema:
                    history.drop(schema)


@pytest.fixture
def postgres_store(postgres: PostgresHistory) -> Iterator[str]:
    """A copy of the store before the second run, in a schema of its own; the schema."""
    schema = postgres.copy()
    yield schema
    postgres.drop(schema)


PG_FRACTIONS = (0.5,)  # the late points are the write lock and COMMIT below


@pytest.mark.parametrize("fraction", PG_FRACTIONS, ids=[f"{f:.0%}" for f in PG_FRACTIONS])
def test_a_postgresql_store_of_a_run_killed_part_way_is_as_it_was_or_whole(
    company: tuple[Path, Path], postgres: PostgresHistory, postgres_store: str, fraction: float
) -> None:
    args = second_run(company, postgres.store(postgres_store), None)
    kill(whynow_process(args), after=fraction * postgres.seconds)
    postgres.check(postgres_store)


def test_a_postgresql_store_of_a_run_killed_while_it_writes_is_as_it_was_or_whole(
    company: tuple[Path, Path], postgres: PostgresHistory, postgres_store: str
) -> None:
    """Polled until the run holds the store's write lock (its transaction is open), then killed at once."""
    proc = whynow_process(second_run(company, postgres.store(postgres_store), None))
    try:
        while proc.poll() is None and not postgres.writing(postgres_store):
            time.sleep(0.0005)
    finally:
        kill(proc)
    postgres.check(postgres_store)


@pytest.mark.parametrize(("point", "as_before"), [("before-commit", True), ("after-commit", False)])
def test_a_postgresql_store_of_a_run_killed_at_commit_is_as_it_was_or_whole(
    company: tuple[Path, Path], postgres: PostgresHistory, postgres_store: str, point: str, as_before: bool
) -> None:
    args = second_run(company, postgres.store(postgres_store), None)
    assert finish(whynow_process(args, kill_at=point))[0] == -signal.SIGKILL
    assert postgres.check(postgres_store) is as_before
