"""One run of whynow: open and validate the data, score it, write the outputs (SPEC §5, §6).

    open_data(model, location) -> Validated       the source, checked against the contract and the model
    run(model, location, as_of, ...) -> RunResult  the pipeline at an as-of date, written to the store

A run opens the data and the last run's state (read once), runs the plan (`whynow.plan`: the scoring
stages' SQL, compiled once per model, engine and inputs, the date bound here), then the output stages
(`finish.py`), and commits: every output to the store in one transaction and, when asked, to
files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from whynow.data.backends import (
    close,
    first_line,
    hide_password,
    is_postgres,
    is_spark,
    keep,
    parse_spark,
    split_schema,
    upload,
)
from whynow.data.contract import TABLE_NAMES, TABLES
from whynow.data.resolve import resolve_accounts
from whynow.data.source import Source, open_source
from whynow.data.validate import Validated, validate_source
from whynow.errors import DataError, UsageError, did_you_mean
from whynow.finish import OUTBOX, Finishing, finish
from whynow.gaps import data_gaps
from whynow.model.check import CompiledModel
from whynow.options import FileFormat, OnBadRows
from whynow.outputs.contract import OUTPUTS
from whynow.outputs.previous import RESOLVES, STATE, ibis_schema, reads
from whynow.pipeline import Context
from whynow.pipeline.capacity import FEEDBACK_SCHEMA
from whynow.plan import run_plan
from whynow.store import DEFAULT_STORE, Previous, StaleState, Store, write_files

STATE_ONLY = tuple(name for name, output in OUTPUTS.items() if not output.file)  # the store's alone
RESOLVE_TRIES = 5  # how often a run resolves again when other runs commit to its store first
RUN_STEPS = 4  # the steps a run reports to `progress`: validate, score, summarise, write
Progress = Callable[[str], None]


@dataclass
class RunResult:
    """What a run wrote: its id and date, the run summary and every output as Arrow."""

    run_id: str
    as_of: dt.date
    model: CompiledModel
    summary: dict[str, dict[str, int]]
    outputs: dict[str, pa.Table] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    runs_removed: int = 0  # by --fresh
    alerts: Counter[str] | None = None  # what sending the outbox did (None: not sent)
    warnings: list[str] = field(default_factory=list)  # what in the data leaves the model's rules silent (gaps.py)


def run(
    model: CompiledModel,
    data: str,
    as_of: dt.date | None = None,
    *,
    store: str | Path = DEFAULT_STORE,
    out: Path | None = None,
    fmt: FileFormat = "parquet",
    on_bad_rows: OnBadRows = "error",
    progress: Progress | None = None,
    fresh: bool = False,
    memory_limit: str | None = None,
    send_alerts: bool = False,
    validated: Validated | None = None,
    resolving_only: bool = False,
    skipped: Collection[str] = (),
) -> RunResult:
    """Score `data` with `model` as of a date (default: today, UTC) and write the outputs.

    The run resolves badges and queues against the store's last run before `as_of` (SPEC §4.10); an
    `as_of` before the store's last run is refused unless `fresh`, which starts a new history.
    `memory_limit` (e.g. "1GB") caps the memory DuckDB may use for the data; past it, it spills to disk.
    `send_alerts`: after the run commits, send the outbox's pending alerts (SPEC §7).
    `validated`: the data already opened and validated (`open_data`), shared by the runs of a backtest: each
    run still sees only the rows before its own horizon.
    `resolving_only`: the store serves only the next run of a replay (a backtest's): the run writes only what
    that run reads (`RESOLVES`), and its commit removes the earlier runs it resolved against. The result holds
    every output either way, but those `skipped`, which are not computed (a backtest's runs need no
    `score_breakdown`; it is not stored then)."""
    refuse_writing_over_inputs(data, store, out)
    try:
        for _ in range(RESOLVE_TRIES):
            try:
                result = _run(
                    model, data, as_of, store, out, fmt, on_bad_rows, progress, fresh, memory_limit, validated,
                    resolving_only, skipped,
                )  # fmt: skip
                break
            except StaleState:  # another run committed first: resolve against what it wrote (SPEC §4.10)
                continue
        else:
            raise DataError(
                f"{Store(store).name}: other runs kept committing while this one resolved ({RESOLVE_TRIES} tries); "
                "nothing was written: run it again when they have finished"
            )
    except duckdb.OutOfMemoryException as e:
        under = f" under --memory-limit {memory_limit}" if memory_limit else ""
        raise DataError(
            f"DuckDB ran out of memory{under} ({first_line(e)}); the store is unchanged. "
            "Raise the limit (--memory-limit or WHYNOW_MEMORY_LIMIT, e.g. 2GB) or run on a machine with more memory"
        ) from None
    # After the run committed: a failed delivery stays in the outbox, never undoes the run. With no
    # channel on, nothing could be delivered.
    if send_alerts and model.spec.alerts.turned_on():
        from whynow.alerts.deliver import send  # httpx and slack_sdk load only when there is something to send

        result.alerts = send(Store(store), model)
    return result


def _run(
    model: CompiledModel,
    data: str,
    as_of: dt.date | None,
    store: str | Path,
    out: Path | None,
    fmt: FileFormat,
    on_bad_rows: OnBadRows,
    progress: Progress | None,
    fresh: bool,
    memory_limit: str | None,
    shared: Validated | None = None,
    resolving_only: bool = False,
    skipped: Collection[str] = (),
) -> RunResult:
    step = progress or (lambda _: None)
    started = dt.datetime.now(dt.UTC)
    as_of = as_of or started.date()
    seen = Store(store).last_run()  # before the state is read: a run that commits after it makes this one stale
    removed = _start_history(Store(store), as_of, fresh)
    history = Store(store, forget=fresh)
    step("reading and validating the data")
    run_id = uuid.uuid4().hex
    opened = (  # summarize() counts links
        contextlib.nullcontext(shared)
        if shared is not None
        else open_data(model, data, on_bad_rows, count_links=False, memory_limit=memory_limit)
    )
    with opened as validated:
        ctx = Context(model, as_of, validated.tables["accounts"]._find_backend().name)
        previous = history.previous(as_of, reads())  # read once, after `seen`
        # Sales feedback outlives --fresh (SPEC §13): read from the store as it is, up to this run's start.
        previous = dataclasses.replace(previous, feedback=Store(store).feedback_table(started))
        step("scoring")
        executed = run_plan(ctx, dict(validated.tables) | _previous_state(previous, validated), skipped)
        # A backtest's runs (on shared data) do not check: the data are the same at every date.
        warnings = data_gaps(model, validated.tables, as_of) if shared is None else []
        step("summarising")
        finishing = Finishing(ctx, run_id, started, validated, previous, executed, on_bad_rows == "skip")
        outputs = finish(finishing)
    step("writing")
    alerts = outputs.pop(OUTBOX)
    written = outputs
    if resolving_only:  # the next run reads these of this run alone
        written = {name: table for name, table in outputs.items() if name in RESOLVES}
        history = Store(store, forget=True)
    history.write_run(as_of, written, (model.hash, model.name, model.text), alerts, resolved_against=seen)
    files: list[Path] = []
    if out is not None:
        for_files = {name: table for name, table in outputs.items() if name not in STATE_ONLY}
        if "rejected" in for_files:
            for_files["rejected"] = for_files["rejected"].drop_columns(["as_of"])
        files = write_files(for_files, out, fmt)
    return RunResult(run_id, as_of, model, finishing.summary, outputs, files, removed, warnings=warnings)


def refuse_writing_over_inputs(
    data: str, store: str | Path | None, out: Path | None, out_option: str = "--out"
) -> None:
    """A `UsageError` when the store or an output folder would be among the source's own files (SPEC §3:
    no command writes over its inputs): an output folder (`--out`, a backtest's `--report`) that is the
    data folder, where a run's `reps.csv` and `opportunities.csv` would replace the inputs (a folder inside
    it is fine: the source reads only the files named after its tables);
    a store that is the DuckDB file read as data, or the same PostgreSQL schema, whose `reps` and
    `opportunities` tables the store's would replace."""
    problem = None
    folder = _data_folder(data)
    if out is not None and folder is not None and out.resolve() == folder:
        problem = f"{out_option} {out} is the data folder {data}: whynow writes nothing over its inputs (a run's "
        problem += "reps and opportunities files would replace them); give another folder, e.g. a folder inside it"
    elif store is None:
        pass
    elif is_postgres(str(store)) and is_postgres(data) and _same_schema(str(store), data):
        problem = f"--store {hide_password(str(store))} is the schema --data reads: the store's reps and "
        problem += "opportunities tables would replace the inputs; give the store a schema of its own (?schema=whynow)"
    elif not is_postgres(str(store)) and _input_file(Path(store), data):
        problem = f"--store {store} is a file of the data source {hide_password(data)}; whynow would write into "
        problem += "its own input: give another --store"
    if problem:
        raise UsageError(problem)


def _data_folder(data: str) -> Path | None:
    """The local folder a source's files are in (a folder, or Spark's `path=`), else None."""
    if is_spark(data):
        path = parse_spark(data).path
        return Path(path).resolve() if path and "://" not in path else None
    return Path(data).resolve() if Path(data).is_dir() else None


def _input_file(store: Path, data: str) -> bool:
    """Whether `store` is the DuckDB file read as data, or a file of the data folder."""
    if is_postgres(data) or not store.exists():
        return False
    folder = _data_folder(data)
    if folder is None:
        return Path(data).exists() and store.resolve() == Path(data).resolve()
    return store.resolve().parent == folder and store.stem in TABLE_NAMES


def _same_schema(store: str, data: str) -> bool:
    """Whether two PostgreSQL URLs name one database and schema (no `schema=`: the user's current one)."""

    def place(url: str) -> tuple[str | None, int | None, str, str]:
        plain, schema = split_schema(url)
        parts = urllib.parse.urlsplit(plain)
        return parts.hostname, parts.port, parts.path, schema

    return place(store) == place(data)


def _start_history(store: Store, as_of: dt.date, fresh: bool) -> int:
    """Refuse an as-of date before the store's last run (SPEC §4.10), or with `fresh` start anew."""
    if fresh:
        return store.count_runs()  # removed when this run commits, in its transaction
    last = store.latest_as_of()
    if last is not None and as_of < last:
        raise DataError(
            f"{store.name}: its last run is as of {last}, and {as_of} is before it; runs go forward in time. "
            "Use --fresh to start a new history (it removes the store's runs), or another --store"
        )
    return 0


def _previous_state(previous: Previous, validated: Validated) -> dict[str, ir.Table]:
    """The last run's state, as tables on the run's own backend."""
    backend = validated.tables["accounts"]._find_backend()
    state = {
        name: upload(backend, name, _whole(name, previous.tables[name])) for name in STATE if name in previous.tables
    }
    if previous.feedback is not None:
        schema = ibis.schema(FEEDBACK_SCHEMA).to_pyarrow()
        state["feedback"] = upload(backend, "feedback", previous.feedback.select(schema.names).cast(schema))
    return state


def _whole(name: str, rows: pa.Table) -> pa.Table:
    """`rows` with every column of the state `name`: one a store written by an earlier whynow lacks (such as
    `status_since`) as NULL of its type."""
    for column, kind in ibis_schema(name).items():
        if column not in rows.column_names:
            rows = rows.append_column(column, pa.nulls(rows.num_rows, kind.to_pyarrow()))
    return rows


def open_data(
    model: CompiledModel,
    location: str,
    on_bad_rows: OnBadRows = "error",
    count_links: bool = True,
    memory_limit: str | None = None,
) -> Validated:
    """Open a source and validate it for a model: its declared columns must be there and typed."""
    source = open_source(location, memory_limit)
    try:
        if "accounts" not in source.tables:  # SPEC §3: the one required table; without it every badge would end
            raise DataError(
                f"{source.location} has no accounts table (accounts.csv, accounts.parquet or a table named "
                "accounts); it is the one table every source needs: add it, or check --data"
            )
        check_declared_columns(model, source)
        return validate_source(source, on_bad_rows, model.declared_columns, count_links)
    except BaseException:
        close(source.con)
        raise


def shared_inputs(validated: Validated) -> Validated:
    """The validated inputs prepared once for many runs (a backtest's dates): every account-resolved table
    with its account (SPEC §3), and every table computed and kept on the engine, the dated ones in time
    order so that a date's horizon and windows read a contiguous stretch. Each run still applies its own
    horizon; nothing here depends on a date."""
    tables = dict(validated.tables) | resolve_accounts(validated.tables)
    for name, table in tables.items():
        start = TABLES[name].exists_from
        tables[name] = keep(table.order_by(start) if start else table, f"shared_{name}")
    return dataclasses.replace(validated, tables=tables)


def check_declared_columns(model: CompiledModel, source: Source) -> None:
    """Every column the model declares under `columns:` is in the data (SPEC §4.1)."""
    problems = []
    for table, columns in model.spec.columns.items():
        raw = source.tables.get(table)
        for column in columns:
            line = model.lines.get(("columns", table, column))
            where = f"{model.file}:{line}" if line else model.file
            if raw is None:
                problems.append(
                    f"{where}: the model declares {table}.{column}, but {source.location} has no {table} table; "
                    "add the table or remove the column from columns:"
                )
            elif column not in raw.table.columns:
                problems.append(
                    f"{where}: the model declares {table}.{column}, but {raw.file} has no column '{column}'"
                    f"{did_you_mean(column, raw.table.columns)}; add it or remove it from columns:"
                )
    if problems:
        raise DataError("\n".join(problems))
