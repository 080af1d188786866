"""The store's writer (SPEC §5, §10): a run's outputs, a recorded backtest, the alert outbox's delivery
states; and a run's `--out` files.

A run's outputs are written in one transaction (both engines have transactional DDL): a failed or killed run
leaves the store as it was, writing an as-of date again replaces that date's rows (idempotent), and a
`--fresh` run removes the earlier runs in that same transaction. Writers take turns (`lock_writers`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlglot
from sqlglot import exp

from whynow.statements import column_ref, param, table_ref
from whynow.store.database import Database
from whynow.store.read import FEEDBACK, OUTBOX, Reading

BACKTESTS = ("backtests", "backtest_figures", "backtest_runs")  # recorded backtests (SPEC §9): kept by --fresh


class StaleState(Exception):
    """Another run committed to the store after this run read its state: the run must be resolved again
    (SPEC §4.10), or be refused when its as-of date is now before the store's last."""


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """`db` in one transaction: committed when the block ends, rolled back if it raises; closed after."""
    try:
        db.execute("BEGIN")
        yield db
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    finally:
        db.close()


def write_run(
    db: Database,
    store_name: str,
    as_of: dt.date,
    outputs: Mapping[str, pa.Table],
    model: tuple[str, str, str],
    alerts: pa.Table | None,
    resolved_against: tuple[object, ...] | None,
    *,
    forget: bool,
) -> None:
    """In `db`'s transaction: replace the as-of date's rows of every output with `outputs`, remember the
    model (hash, name, text) and add the `alerts` whose keys the outbox does not hold yet; with `forget`,
    first remove every earlier run (the outbox stays: an alert already sent is not sent again).

    `resolved_against`: `Reading.last_run()` as the run saw it before reading the store's state; when another
    run has committed since, nothing is written and `StaleState` is raised, naming the store (`store_name`)."""
    db.lock_writers()
    if resolved_against is not None and Reading(store_name, db).last_run() != resolved_against:
        raise StaleState(store_name)
    if forget:  # every table of the store's schema but the outbox, the feedback and backtests is the history
        for table in db.tables() - {OUTBOX, FEEDBACK, *BACKTESTS}:
            db.execute(exp.Drop(this=table_ref(table), kind="TABLE", exists=True))
    db.execute("CREATE TABLE IF NOT EXISTS models (hash VARCHAR PRIMARY KEY, name VARCHAR, text VARCHAR)")
    db.execute("INSERT INTO models VALUES (?, ?, ?) ON CONFLICT DO NOTHING", list(model))
    for name, table in outputs.items():
        _replace(db, name, table, as_of)
    if alerts is not None and alerts.num_rows:
        _add_alerts(db, alerts)


def record(db: Database, tables: Mapping[str, pa.Table]) -> None:
    """Add the rows of each table (created, or widened, as needed)."""
    for name, table in tables.items():
        _create_or_widen(db, name, table)
        db.append(name, table)


def record_alert(db: Database, key: str, **fields: object) -> None:
    """Write one alert's delivery state."""
    assignments = [column_ref(column).eq(param()) for column in fields]
    where = exp.Where(this=column_ref("key").eq(param()))
    db.execute(exp.Update(this=exp.to_table(OUTBOX), expressions=assignments, where=where), [*fields.values(), key])


def retry_failed(db: Database) -> int:
    """Put every failed alert back to pending, its attempts kept; how many."""
    if OUTBOX not in db.tables():
        return 0
    failed = exp.column("status").eq(exp.Literal.string("failed"))
    found = db.query(sqlglot.select(exp.Count(this=exp.Star()).as_("n")).from_(OUTBOX).where(failed))
    db.execute(exp.update(OUTBOX, {"status": exp.Literal.string("pending"), "next_try": exp.null()}, where=failed))
    return int(str(found[0]["n"]))


def _add_alerts(db: Database, alerts: pa.Table) -> None:
    """Insert the alerts whose key is new: a re-run logs the same changes, and adds nothing."""
    _create_or_widen(db, OUTBOX, alerts)
    held = db.query_arrow(sqlglot.select(column_ref("key")).from_(OUTBOX)).column("key")
    new = alerts.filter(pc.invert(pc.is_in(alerts.column("key"), value_set=held.combine_chunks())))
    db.append(OUTBOX, new)


def _create_or_widen(db: Database, name: str, table: pa.Table) -> None:
    """The table, created like `table`, with any column it lacks added (old rows read NULL)."""
    db.create_like(name, table)
    have = db.columns(name)
    for column in table.schema:
        if column.name not in have:  # a model with a new signal or column adds it
            db.add_column(name, column.name, column.type)


def _replace(db: Database, name: str, table: pa.Table, as_of: dt.date) -> None:
    _create_or_widen(db, name, table)
    if "as_of" in table.column_names:  # re-running an as-of date replaces its rows (idempotent)
        db.execute(exp.delete(table_ref(name), where=exp.column("as_of").eq(param())), [as_of])
    db.append(name, table)


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
