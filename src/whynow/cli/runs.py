"""`whynow check`, `run`, `explain`, `queue`, `changes` and `compile`: a model, its runs, and reading them back."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Annotated, Literal

import typer

from whynow.cli.shell import (
    DATA_HELP,
    LOG,
    LOG_FORMAT_HELP,
    STORE_HELP,
    LogFormat,
    app,
    as_of_date,
    out,
    reports_user_errors,
)
from whynow.crm import Crm
from whynow.options import Dialect, FileFormat, OnBadRows


@app.command()
@reports_user_errors
def check(
    model: Annotated[Path, typer.Argument(envvar="WHYNOW_MODEL", help="The model file (YAML).", show_default=False)],
    data: Annotated[
        str | None,
        typer.Option(
            envvar="WHYNOW_DATA",
            help="Also check the model against this data source (any --data that `whynow run` takes).",
        ),
    ] = None,
    on_bad_rows: Annotated[
        OnBadRows, typer.Option(help="With --data: stop at bad rows (error), or count them and go on (skip).")
    ] = "error",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="With --data: the date to judge lookback and signal windows at, as `whynow run --as-of` would "
            "(default: today, UTC).",
        ),
    ] = None,
) -> None:
    """Validate a model and print every rule in plain language; with --data, check the data against it and
    warn (exit 0) where the data leave its rules silent."""
    from whynow.model.describe import describe_model
    from whynow.model.load import load_model

    compiled = load_model(model)
    for line in describe_model(compiled):
        out.print(line, markup=False)
    if data is not None:
        from whynow.gaps import data_gaps
        from whynow.run import open_data

        with open_data(compiled, data, on_bad_rows) as report:
            warnings = data_gaps(compiled, report.tables, as_of_date(as_of) or dt.datetime.now(dt.UTC).date())
        out.print()
        out.print(f"Data {data}: the model's columns are all there.", markup=False)
        for line in report.describe():
            out.print(line, markup=False)
        LOG.warn(warnings)
    out.print(f"\nModel '{compiled.name}' is valid ({compiled.hash[:12]}).", markup=False)


@app.command(name="run")
@reports_user_errors
def run_command(
    model: Annotated[Path, typer.Option(envvar="WHYNOW_MODEL", help="The model file (YAML).", show_default=False)],
    data: Annotated[str, typer.Option(envvar="WHYNOW_DATA", help=DATA_HELP)],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The as-of date, YYYY-MM-DD (default: today, UTC).")
    ] = None,
    store: Annotated[str, typer.Option(envvar="WHYNOW_STORE", help=STORE_HELP)] = "whynow.duckdb",
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Also write this run's outputs as files in this folder.")
    ] = None,
    file_format: Annotated[FileFormat, typer.Option("--format", help="Format of the --out files.")] = "parquet",
    on_bad_rows: Annotated[
        OnBadRows, typer.Option(help="Stop at bad rows (error), or set them aside in `rejected` (skip).")
    ] = "error",
    fresh: Annotated[
        bool, typer.Option(help="Start a new history: remove the store's runs, outputs, changes and state.")
    ] = False,
    no_send: Annotated[
        bool, typer.Option("--no-send", help="Write alerts to the outbox but do not send them now.")
    ] = False,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            envvar="WHYNOW_MEMORY_LIMIT",
            help="Cap DuckDB's memory for the data (e.g. 1GB); past it DuckDB spills to a temporary folder. "
            "Default: DuckDB's own, 80% of RAM.",
            show_default=False,
        ),
    ] = None,
    push_to: Annotated[
        Crm | None,
        typer.Option(
            "--push",
            help="After the run is stored, push it into this CRM (salesforce or hubspot; the model's push: "
            "section). A failed push keeps the run.",
            show_default=False,
        ),
    ] = None,
    log_format: Annotated[LogFormat, typer.Option(envvar="WHYNOW_LOG_FORMAT", help=LOG_FORMAT_HELP)] = "text",
) -> None:
    """Score the data with the model as of a date, resolve badges and queues against the store's last run,
    and write the outputs to the store."""
    from whynow.cli.crm import push_results, pushable
    from whynow.model.load import load_model
    from whynow.run import RUN_STEPS, run

    LOG.start("run", log_format)
    started = time.perf_counter()
    compiled = load_model(model)
    if push_to is not None:
        pushable(compiled, push_to)  # before the run: a model that cannot push says so at once
    with LOG.steps(RUN_STEPS) as step:
        result = run(
            compiled,
            data,
            as_of_date(as_of),
            store=store,
            out=out_dir,
            fmt=file_format,
            on_bad_rows=on_bad_rows,
            progress=step,
            fresh=fresh,
            memory_limit=memory_limit,
            send_alerts=not no_send,
        )
    if LOG.json:
        from whynow.report import run_counts

        LOG.warn(result.warnings)
        fields = {"run_id": result.run_id, "as_of": result.as_of, "model": compiled.name, "store": store}
        LOG.event("run", **fields, duration_s=round(time.perf_counter() - started, 3), **run_counts(result))
    else:
        if fresh:
            out.print(f"--fresh: removed {result.runs_removed} earlier runs from {store}.", markup=False)
        from whynow.report import print_run_summary

        print_run_summary(out, result)
        LOG.warn(result.warnings)
    if push_to is not None:
        from whynow.store import Store

        push_results(compiled, Store(store), push_to)


@app.command()
@reports_user_errors
def explain(
    account_id: Annotated[str, typer.Argument(help="The account to explain.", show_default=False)],
    store: Annotated[str, typer.Option(envvar="WHYNOW_STORE", help=STORE_HELP)] = "whynow.duckdb",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Which run, by its as-of date (default: the last).")
    ] = None,
) -> None:
    """Why an account scores, qualifies and stands where it does: fit rules, engagement by rule and
    person, the buying committee, the MQA criterion and the stage, from the run's outputs."""
    from whynow.explain import explain_account
    from whynow.store import Store

    for line in explain_account(Store(store), account_id, as_of_date(as_of)):
        out.print(line, markup=False)


@app.command()
@reports_user_errors
def queue(
    rep: Annotated[str | None, typer.Option(help="Only this rep's queue.")] = None,
    store: Annotated[str, typer.Option(envvar="WHYNOW_STORE", help=STORE_HELP)] = "whynow.duckdb",
    file_format: Annotated[
        Literal["text", "csv"],
        typer.Option(
            "--format",
            help="text: to read; csv: every surfaced and held account of the last run on stdout, for a "
            "spreadsheet (text cells that begin with = + - @ are made plain text).",
        ),
    ] = "text",
) -> None:
    """Each rep's surfaced accounts in order, with badge, why, motion, play and expiry; capacity used/total."""
    from whynow.store import Store

    if file_format == "csv":
        from whynow.serve import query, schemas
        from whynow.serve import queues as queue_reads
        from whynow.spreadsheet import stream_csv

        with query.reading(Store(store)) as reader:
            batches = queue_reads.queue_batches(reader, queue_reads.queue_choice(reader, schemas.QueueChoice(rep=rep)))
            for chunk in stream_csv(batches.schema, batches):
                sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return
    from whynow.queues import queue_lines

    for line in queue_lines(Store(store), rep):
        out.print(line, markup=False)


@app.command()
@reports_user_errors
def changes(
    since: Annotated[str | None, typer.Option(help="Only changes from this as-of date on (YYYY-MM-DD).")] = None,
    account: Annotated[str | None, typer.Option(help="Only this account's changes.")] = None,
    model_diff: Annotated[bool, typer.Option(help="Show each model change as a diff of the model files.")] = False,
    store: Annotated[str, typer.Option(envvar="WHYNOW_STORE", help=STORE_HELP)] = "whynow.duckdb",
) -> None:
    """The change log, by as-of date: badges assigned, replaced and expired, queue moves, stages, statuses."""
    from whynow.queues import change_lines
    from whynow.store import Store

    for line in change_lines(Store(store), as_of_date(since), account, model_diff):
        out.print(line, markup=False)


@app.command(name="compile")
@reports_user_errors
def compile_command(
    model: Annotated[Path, typer.Option(envvar="WHYNOW_MODEL", help="The model file (YAML).", show_default=False)],
    dialect: Annotated[Dialect, typer.Option(help="The SQL dialect to write.")] = "duckdb",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The as-of date written into the SQL (default: today, UTC).")
    ] = None,
) -> None:
    """Print the SQL the model compiles to: one view per pipeline stage, then the outputs."""
    from whynow.model.load import load_model
    from whynow.sql import compile_model

    compiled = load_model(model)
    for statement in compile_model(compiled, dialect, as_of_date(as_of) or dt.datetime.now(dt.UTC).date()):
        out.print(statement + "\n", markup=False)
