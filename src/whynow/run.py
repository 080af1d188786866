"""One run of whynow: open and validate the data, score it, write the outputs (SPEC §5, §6).

    open_data(model, location) -> Validated       the source, checked against the contract and the model
    run(model, location, as_of, ...) -> RunResult  the pipeline at an as-of date, written to the store

The pipeline builds Ibis expressions; this module is where they execute: each output is fetched as
Arrow once, then written to the store in one transaction and, when asked, to files.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa

from whynow.data.contract import TABLE_NAMES
from whynow.data.source import Source, open_source
from whynow.data.validate import OnBadRows, Validated, validate_source
from whynow.errors import DataError, did_you_mean
from whynow.model.check import CompiledModel
from whynow.outputs import account_status, contact_status, score_breakdown
from whynow.pipeline import Context, run_pipeline
from whynow.store import DEFAULT_STORE, Store, write_files
from whynow.summary import KINDS, summarize

FileFormat = Literal["parquet", "csv"]
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
) -> RunResult:
    """Score `data` with `model` as of a date (default: today, UTC) and write the outputs."""
    step = progress or (lambda _: None)
    started = dt.datetime.now(dt.UTC)
    as_of = as_of or started.date()
    step("reading and validating the data")
    validated = open_data(model, data, on_bad_rows, count_links=False)  # summarize() counts them
    ctx = Context(model, as_of)
    step("scoring")
    tables = run_pipeline(ctx, validated.tables, keep=lambda table: table.cache())
    outputs = {
        "account_status": account_status(ctx, tables).order_by("account_id").to_pyarrow(),
        "contact_status": contact_status(ctx, tables).order_by("contact_id").to_pyarrow(),
        "score_breakdown": score_breakdown(ctx, tables)
        .order_by("entity_type", "entity_id", "part", "rule")
        .to_pyarrow(),
    }
    step("summarising")
    summary = summarize(ctx, validated)
    run_id = uuid.uuid4().hex
    outputs["runs"] = _runs_row(run_id, ctx, started, summary)
    if on_bad_rows == "skip":
        outputs["rejected"] = _rejected(as_of, validated)
    step("writing")
    Store(store).write_run(as_of, outputs, (model.hash, model.name, model.text))
    files: list[Path] = []
    if out is not None:
        for_files = dict(outputs)
        if "rejected" in for_files:
            for_files["rejected"] = for_files["rejected"].drop_columns(["as_of"])
        files = write_files(for_files, out, fmt)
    return RunResult(run_id, as_of, model, summary, outputs, files)


def _runs_row(run_id: str, ctx: Context, started: dt.datetime, summary: dict[str, dict[str, int]]) -> pa.Table:
    row: dict[str, object] = {
        "run_id": run_id,
        "as_of": ctx.as_of,
        "model": ctx.model.name,
        "model_hash": ctx.model.hash,
        "started_at": started,
        "finished_at": dt.datetime.now(dt.UTC),
    }
    for table in TABLE_NAMES:
        for kind in KINDS:
            row[f"{table}_{kind}"] = summary.get(table, {}).get(kind, 0)
    return pa.Table.from_pylist([row])


def _rejected(as_of: dt.date, validated: Validated) -> pa.Table:
    schema = pa.schema(
        [
            ("as_of", pa.date32()),
            ("table", pa.string()),
            ("row", pa.int64()),
            ("reason", pa.string()),
            ("values", pa.string()),
        ]
    )
    rows = [{"as_of": as_of, **r} for r in validated.rejected]
    return pa.Table.from_pylist(rows, schema=schema)


def open_data(
    model: CompiledModel, location: str, on_bad_rows: OnBadRows = "error", count_links: bool = True
) -> Validated:
    """Open a source and validate it for a model: its declared columns must be there and typed."""
    source = open_source(location)
    check_declared_columns(model, source)
    return validate_source(source, on_bad_rows, model.declared_columns, count_links)


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
