"""The `whynow` command line: parse arguments, call the API, render with Rich. It never computes.

Exit codes (SPEC §6): 0 success, 1 a model or data error (one message on stderr, no traceback),
2 a usage error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, ParamSpec, TypeVar

import typer
from rich.console import Console

from whynow import __version__
from whynow.crm import Crm
from whynow.errors import UsageError, WhynowError
from whynow.options import AlertStatus, Dialect, FileFormat, OnBadRows

if TYPE_CHECKING:
    from whynow.crm.push.push import Sender
    from whynow.model.check import CompiledModel
    from whynow.run import RunResult
    from whynow.store import Store

# Each command imports the engine (Ibis, DuckDB, PyArrow, FastAPI, scikit-learn, Slack) when it runs,
# so that `--help` and `check` start fast (#21); the option types come from whynow.options, which imports
# none of it.
LearnLevel = Literal["account", "contact"]

app = typer.Typer(
    name="whynow",
    help="Which accounts deserve a seller's attention today, and why: one badge, one reason, capacity first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
DATA_HELP = (
    "The data: a folder of CSV/Parquet files, a DuckDB file, postgresql://USER@HOST/DB[?schema=S], "
    "or spark://MASTER?path=FOLDER (e.g. spark://local[4]?path=/data/crm)."
)
STORE_HELP = "The store: a DuckDB file, or postgresql://USER@HOST/DB[?schema=S]."
P = ParamSpec("P")
R = TypeVar("R")


def reports_user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """A model or data error becomes its message on stderr and exit code 1, without a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except WhynowError as e:
            err.print(f"error: {e}", markup=False)
            raise typer.Exit(2 if isinstance(e, UsageError) else 1) from None

    return run


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"whynow {__version__}")
        raise typer.Exit()


@app.command()
@reports_user_errors
def check(
    model: Annotated[Path, typer.Argument(help="The model file (YAML).", show_default=False)],
    data: Annotated[
        str | None,
        typer.Option(help="Also check the model against this data source (any --data that `whynow run` takes)."),
    ] = None,
    on_bad_rows: Annotated[
        OnBadRows, typer.Option(help="With --data: stop at bad rows (error), or count them and go on (skip).")
    ] = "error",
) -> None:
    """Validate a model and print every rule in plain language."""
    from whynow.model.describe import describe_model
    from whynow.model.load import load_model

    compiled = load_model(model)
    for line in describe_model(compiled):
        out.print(line, markup=False)
    if data is not None:
        from whynow.run import open_data

        with open_data(compiled, data, on_bad_rows) as report:
            pass  # the counts are read; the source is let go
        out.print()
        out.print(f"Data {data}: the model's columns are all there.", markup=False)
        for line in report.describe():
            out.print(line, markup=False)
    out.print(f"\nModel '{compiled.name}' is valid ({compiled.hash[:12]}).", markup=False)


@app.command(name="run")
@reports_user_errors
def run_command(
    model: Annotated[Path, typer.Option(help="The model file (YAML).", show_default=False)],
    data: Annotated[str, typer.Option(help=DATA_HELP)],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The as-of date, YYYY-MM-DD (default: today, UTC).")
    ] = None,
    store: Annotated[str, typer.Option(help=STORE_HELP)] = "whynow.duckdb",
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
) -> None:
    """Score the data with the model as of a date, resolve badges and queues against the store's last run,
    and write the outputs to the store."""
    from whynow.model.load import load_model
    from whynow.run import RUN_STEPS, run

    compiled = load_model(model)
    if push_to is not None:
        _pushable(compiled, push_to)  # before the run: a model that cannot push says so at once
    with _progress(RUN_STEPS) as step:
        result = run(
            compiled,
            data,
            _as_of(as_of),
            store=store,
            out=out_dir,
            fmt=file_format,
            on_bad_rows=on_bad_rows,
            progress=step,
            fresh=fresh,
            memory_limit=memory_limit,
            send_alerts=not no_send,
        )
    if fresh:
        out.print(f"--fresh: removed {result.runs_removed} earlier runs from {store}.", markup=False)
    from whynow.report import print_run_summary

    print_run_summary(out, result)
    if push_to is not None:
        from whynow.store import Store

        _push(compiled, Store(store), push_to)


@app.command()
@reports_user_errors
def explain(
    account_id: Annotated[str, typer.Argument(help="The account to explain.", show_default=False)],
    store: Annotated[str, typer.Option(help=STORE_HELP)] = "whynow.duckdb",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Which run, by its as-of date (default: the last).")
    ] = None,
) -> None:
    """Why an account scores, qualifies and stands where it does: fit rules, engagement by rule and
    person, the buying committee, the MQA criterion and the stage, from the run's outputs."""
    from whynow.explain import explain_account
    from whynow.store import Store

    for line in explain_account(Store(store), account_id, _as_of(as_of)):
        out.print(line, markup=False)


@app.command()
@reports_user_errors
def queue(
    rep: Annotated[str | None, typer.Option(help="Only this rep's queue.")] = None,
    store: Annotated[str, typer.Option(help=STORE_HELP)] = "whynow.duckdb",
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
    store: Annotated[str, typer.Option(help=STORE_HELP)] = "whynow.duckdb",
) -> None:
    """The change log, by as-of date: badges assigned, replaced and expired, queue moves, stages, statuses."""
    from whynow.queues import change_lines
    from whynow.store import Store

    for line in change_lines(Store(store), _as_of(since), account, model_diff):
        out.print(line, markup=False)


alerts_app = typer.Typer(
    help="The alert outbox (SPEC §7): list it, send what is pending, retry.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(alerts_app, name="alerts")
ALERTS_MODEL_HELP = "The model whose alert channels to use (default: the model of the store's last run)."


@alerts_app.callback(invoke_without_command=True)
@reports_user_errors
def alerts(
    ctx: typer.Context,
    status: Annotated[AlertStatus | None, typer.Option(help="Only alerts in this state.")] = None,
    store: Annotated[str, typer.Option(help=STORE_HELP)] = "whynow.duckdb",
) -> None:
    """The alert outbox: each alert a run wrote, with its channel, recipient and delivery state."""
    if ctx.invoked_subcommand is not None:
        return
    from whynow.alerts.outbox import alert_lines
    from whynow.store import Store

    for line in alert_lines(Store(store), status):
        out.print(line, markup=False)


@alerts_app.command(name="send")
@reports_user_errors
def alerts_send(
    store: Annotated[str, typer.Option(help=STORE_HELP)] = "whynow.duckdb",
    model: Annotated[Path | None, typer.Option(help=ALERTS_MODEL_HELP, show_default=False)] = None,
) -> None:
    """Send the pending alerts that are due (what `whynow run` does after it commits)."""
    _send_alerts(store, model, retry=False, failed=False)


@alerts_app.command(name="retry")
@reports_user_errors
def alerts_retry(
    failed: Annotated[bool, typer.Option(help="Also try again the alerts that failed for good (4xx).")] = False,
    store: Annotated[str, typer.Option(help=STORE_HELP)] = "whynow.duckdb",
    model: Annotated[Path | None, typer.Option(help=ALERTS_MODEL_HELP, show_default=False)] = None,
) -> None:
    """Send every pending alert now, without waiting for its next try (and with --failed, the failed ones)."""
    _send_alerts(store, model, retry=True, failed=failed)


def _send_alerts(location: str, model_file: Path | None, *, retry: bool, failed: bool) -> None:
    from whynow.alerts.deliver import outcome_line, send
    from whynow.store import Store

    store = Store(location)
    compiled = _model_or_last(store, model_file, "no alerts")
    if failed:
        store.retry_failed()
    out.print(outcome_line(send(store, compiled, retry=retry)), markup=False)


def _model_or_last(store: Store, model_file: Path | None, nothing: str) -> CompiledModel:
    """The model of `model_file`, else the model of the store's last run (its `${NAME}`s read now)."""
    from whynow.errors import DataError
    from whynow.model.load import load_model, load_model_text

    if model_file is not None:
        return load_model(model_file)
    last = store.last_model()
    if last is None:
        raise DataError(f"{store.name}: no run yet, so {nothing}; run `whynow run` first")
    return load_model_text(last[1], f"the model of the last run ({last[0]})")


def _as_of(text: str | None) -> dt.date | None:
    return None if text is None else _date(text, "--as-of")


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a date; write YYYY-MM-DD", param_hint=option) from None


@contextlib.contextmanager
def _progress(steps: int) -> Iterator[Callable[[str], None]]:
    """A progress bar over a known number of steps, naming the current one, on a terminal (stderr);
    nothing in a pipe."""
    if not err.is_terminal:
        yield lambda _: None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("starting", total=steps)

        def step(text: str) -> None:
            progress.update(task, description=text, completed=min(progress.tasks[0].completed + 1, steps))

        yield step


@app.command()
@reports_user_errors
def backtest(
    model: Annotated[Path, typer.Option(help="The model file (YAML).", show_default=False)],
    data: Annotated[str, typer.Option(help=DATA_HELP)],
    start: Annotated[str, typer.Option("--from", help="The first as-of date, YYYY-MM-DD.", show_default=False)],
    end: Annotated[
        str,
        typer.Option(
            "--to", help="The last as-of date (a run falls on it when the step lands there).", show_default=False
        ),
    ],
    every: Annotated[int, typer.Option(min=1, help="Days between runs.")] = 7,
    window: Annotated[int, typer.Option(min=1, help="Days after a run in which an opportunity is its outcome.")] = 90,
    against: Annotated[
        Path | None, typer.Option(help="A second model, replayed on the same dates, side by side.", show_default=False)
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Also write an HTML report with charts, and every figure as CSV, in this folder.", show_default=False
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            help="Also record the figures in this store (a DuckDB file or postgresql://…), where `whynow serve` "
            "shows them under Backtests. The store's runs are not touched.",
            show_default=False,
        ),
    ] = None,
    feedback: Annotated[
        str | None,
        typer.Option(
            help="The store whose sales feedback the runs replay (a verdict holds from the first run after it was "
            "given) and the per-verdict rows read. Default: --store, else ./whynow.duckdb, when it holds feedback.",
            show_default=False,
        ),
    ] = None,
    no_feedback: Annotated[
        bool, typer.Option("--no-feedback", help="Read no sales feedback: the model's runs alone.")
    ] = False,
) -> None:
    """Replay the model over past as-of dates (each a real run with its own state and capacity, in a store of
    its own) and measure what happened next: per badge, archetype, MQA, verdict and overall, surfaced per run
    vs capacity, precision, lift over the base rate, win rate, pipeline and median days to the opportunity."""
    from whynow.learn.backtest import backtest as replay_history
    from whynow.learn.backtest import run_dates
    from whynow.learn.report import print_backtest, write_report
    from whynow.learn.verdicts import read_verdicts
    from whynow.model.load import load_model
    from whynow.run import RUN_STEPS, refuse_writing_over_inputs
    from whynow.store import DEFAULT_STORE

    if no_feedback and feedback is not None:
        raise typer.BadParameter("give --feedback or --no-feedback, not both", param_hint="--no-feedback")
    refuse_writing_over_inputs(data, store, report, "--report")
    first, last = _date(start, "--from"), _date(end, "--to")
    models = [load_model(model)] + ([load_model(against)] if against is not None else [])
    verdicts = None if no_feedback else read_verdicts(feedback or store or DEFAULT_STORE, named=feedback is not None)
    with _progress(len(run_dates(first, last, every)) * len(models) * RUN_STEPS) as step:
        result = replay_history(models, data, first, last, every=every, window=window, progress=step, feedback=verdicts)
    print_backtest(out, result)
    if report is not None:
        written = write_report(result, report)
        out.print(f"Wrote {', '.join(str(p) for p in written if p.suffix in ('.html', '.csv'))}", markup=False)
    if store is not None:
        import uuid

        from whynow.learn.backtest import recorded
        from whynow.store import Store

        backtest_id = uuid.uuid4().hex[:12]
        Store(store).record(recorded(result, backtest_id, dt.datetime.now(dt.UTC)))
        out.print(f"Recorded as backtest {backtest_id} in {Store(store).name}: `whynow serve` shows it.", markup=False)


@app.command()
@reports_user_errors
def learn(
    model: Annotated[Path, typer.Option(help="The model file (YAML).", show_default=False)],
    data: Annotated[str, typer.Option(help=DATA_HELP)],
    start: Annotated[
        str | None, typer.Option("--from", help="Account level: the first as-of date, YYYY-MM-DD.", show_default=False)
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Account level: the last as-of date.", show_default=False)
    ] = None,
    every: Annotated[int, typer.Option(min=1, help="Days between runs.")] = 7,
    window: Annotated[int, typer.Option(min=1, help="Days after a run in which an opportunity is its outcome.")] = 90,
    level: Annotated[LearnLevel, typer.Option(help="Learn from accounts over dates, or from contacts.")] = "account",
    label: Annotated[
        str,
        typer.Option(
            help="Account level: opportunity, won, or wrong_fit (which rules sales disagrees with: the accounts "
            "whose latest sales verdict is wrong fit). Contact level: a declared contacts column (e.g. converted)."
        ),
    ] = "opportunity",
    feedback: Annotated[
        str,
        typer.Option(help="--label wrong_fit: the store whose sales feedback is the label (a DuckDB file or URL)."),
    ] = "whynow.duckdb",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Contact level: the as-of date of the run (default: today, UTC).")
    ] = None,
    write: Annotated[
        Path | None,
        typer.Option(help="Save the proposed model as this new file (never over the model).", show_default=False),
    ] = None,
) -> None:
    """Fit an L1-regularised logistic regression on snapshots built from the model's own parts — target
    accounts at each as-of date (outcome: an opportunity in the window), or contacts (--level contact,
    --label COLUMN, a 70/30 split) — report it on held-out data next to the model's own ranking, and
    propose new points and grade thresholds as a diff of the model file. With --label wrong_fit: which of the
    model's rules push towards the accounts sales called wrong fit, ranked, and no proposal."""
    from whynow.learn.backtest import run_dates
    from whynow.learn.learn import learn as fit_accounts
    from whynow.learn.learn import learn_contacts
    from whynow.learn.report import print_learned
    from whynow.model.load import load_model
    from whynow.run import RUN_STEPS

    if write is not None and (write.resolve() == model.resolve() or write.exists()):
        raise typer.BadParameter(f"{write} exists; give a new file for the proposal", param_hint="--write")
    compiled = load_model(model)
    text = model.read_text(encoding="utf-8")
    if level == "contact":
        with _progress(RUN_STEPS) as step:
            learned = learn_contacts(compiled, text, data, label, _as_of(as_of), progress=step)
    else:
        if start is None or end is None:
            raise typer.BadParameter("the account level needs --from and --to", param_hint="--from/--to")
        if label not in ("opportunity", "won", "wrong_fit"):
            raise typer.BadParameter(
                f"'{label}': at the account level the label is opportunity, won or wrong_fit", param_hint="--label"
            )
        first, last = _date(start, "--from"), _date(end, "--to")
        if label == "wrong_fit":
            from whynow.learn.verdicts import read_verdicts
            from whynow.learn.wrong_fit import learn_wrong_fit, wrong_fit_verdicts
            from whynow.store import Store

            if write is not None:
                raise typer.BadParameter(
                    "--label wrong_fit proposes no points (its weights say which accounts sales turns down, not "
                    "what precedes an opportunity); lower the rules it names by hand",
                    param_hint="--write",
                )
            given = wrong_fit_verdicts(read_verdicts(feedback, named=False), Store(feedback).name)
            with _progress(len(run_dates(first, last, every)) * RUN_STEPS) as step:
                learned = learn_wrong_fit(compiled, data, first, last, given, every=every, progress=step)
            print_learned(out, learned)
            return
        with _progress(len(run_dates(first, last, every)) * RUN_STEPS) as step:
            learned = fit_accounts(
                compiled, text, data, first, last, every=every, window=window,
                label="won" if label == "won" else "opportunity", progress=step,
            )  # fmt: skip
    print_learned(out, learned)
    if write is not None:
        write.write_text(learned.proposal, encoding="utf-8")
        out.print(f"Wrote the proposal to {write}; check it with `whynow check {write}`.", markup=False)


@app.command()
@reports_user_errors
def serve(
    store: Annotated[str, typer.Option(help=STORE_HELP)] = "whynow.duckdb",
    host: Annotated[
        str, typer.Option(help="Address to listen on; any but a loopback address needs a token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="WHYNOW_TOKEN",
            help="Token every page and API call must carry (bearer header, or the login form's cookie).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the dashboard and the JSON API (/api, docs at /api/docs), read-only from the store's outputs."""
    from whynow.serve.app import serve as serve_app

    serve_app(store, host, port, token)


@app.command(name="compile")
@reports_user_errors
def compile_command(
    model: Annotated[Path, typer.Option(help="The model file (YAML).", show_default=False)],
    dialect: Annotated[Dialect, typer.Option(help="The SQL dialect to write.")] = "duckdb",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The as-of date written into the SQL (default: today, UTC).")
    ] = None,
) -> None:
    """Print the SQL the model compiles to: one view per pipeline stage, then the outputs (SPEC §10)."""
    from whynow.model.load import load_model
    from whynow.sql import compile_model

    compiled = load_model(model)
    for statement in compile_model(compiled, dialect, _as_of(as_of) or dt.datetime.now(dt.UTC).date()):
        out.print(statement + "\n", markup=False)


@app.command(name="push")
@reports_user_errors
def push_command(
    crm: Annotated[Crm, typer.Argument(help="The CRM to write into: salesforce or hubspot.", show_default=False)],
    model: Annotated[
        Path | None,
        typer.Option(
            help="The model file (YAML), with its push: section (default: the model of the store's last run)."
        ),
    ] = None,
    store: Annotated[str, typer.Option(help=STORE_HELP)] = "whynow.duckdb",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count and sample what would be sent; send nothing.")
    ] = False,
    full: Annotated[bool, typer.Option("--full", help="Send every record, changed or not.")] = False,
    print_mapping: Annotated[
        bool, typer.Option("--print-mapping", help="Print the default mapping as a push: section and exit.")
    ] = False,
    print_fields: Annotated[
        bool, typer.Option("--print-fields", help="Print the custom fields the mapping needs and exit.")
    ] = False,
) -> None:
    """Write the latest run's badges, narratives and who to call onto the CRM's records (SPEC §12): only the
    records whose values changed since the CRM last confirmed them."""
    from whynow.crm.push.mapping import fields_to_create
    from whynow.crm.push.mapping import print_mapping as default_mapping

    if print_mapping:
        out.print(default_mapping(crm), markup=False)
        return
    from whynow.store import Store

    where = Store(store)
    compiled = _model_or_last(where, model, "nothing to push")
    if print_fields:
        out.print(fields_to_create(compiled, crm), markup=False)
        return
    _push(compiled, where, crm, full=full, dry_run=dry_run)


def _push(model: CompiledModel, store: Store, crm: Crm, full: bool = False, dry_run: bool = False) -> None:
    """Push the store's latest run into `crm` and print the report; a push the CRM stopped is an error."""
    from whynow.crm.push.push import push
    from whynow.crm.push.transport import Unreachable

    report = push(model, store, crm, None if dry_run else _sender(model, crm), full=full, dry_run=dry_run)
    for line in report.lines():
        out.print(line, markup=False, highlight=False)
    if report.stopped:
        raise Unreachable(f"the push into {crm} stopped: {report.stopped}")


def _pushable(model: CompiledModel, crm: Crm) -> Any:
    """The model's push section for `crm`, its mapping checked; a `UsageError` if it cannot push there."""
    from whynow.crm.push.mapping import mapping_of

    section = getattr(model.spec.push, crm)
    if section is None:
        raise UsageError(f"the model has no push.{crm} section; whynow push {crm} --print-mapping prints one")
    mapping_of(model, crm)
    return section


def _sender(model: CompiledModel, crm: Crm) -> Sender:
    """The sender for `crm` from the model's push: section (secrets from the environment, never printed)."""
    section = _pushable(model, crm)
    if crm == "hubspot":
        from whynow.crm.push import hubspot

        api = hubspot.client(section.token, section.api_base)
        return lambda level, sent: hubspot.send(api, level, sent)
    from whynow.crm.push import salesforce

    return lambda level, sent: salesforce.send(lambda: salesforce.connect(section), level, sent)


@app.command(name="feedback")
@reports_user_errors
def feedback_command(
    account_id: Annotated[str | None, typer.Argument(help="The account the verdict is about.")] = None,
    rep: Annotated[str | None, typer.Option(help="The rep giving it (with --list: only theirs).")] = None,
    verdict: Annotated[
        Literal["working", "not_now", "wrong_fit"] | None,
        typer.Option(help="working: on it; not_now: right account, wrong time; wrong_fit: should not be shown."),
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why, in the rep's words (kept with the verdict).")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the feedback given, newest first.")] = False,
    store: Annotated[str, typer.Option(help=STORE_HELP)] = "whynow.duckdb",
) -> None:
    """Sales feedback (SPEC §13): a rep says working, not now or wrong fit about an account; the next run
    holds a not-now account for feedback.not_now_days and a wrong-fit one for feedback.wrong_fit_days."""
    from whynow.feedback import feedback_days, feedback_lines, give, given_line, route_target
    from whynow.store import Store

    where = Store(store)
    if list_:
        if account_id is not None or verdict is not None or note is not None:
            raise typer.BadParameter("--list takes only --rep and --store", param_hint="--list")
        for line in feedback_lines(where, rep):
            out.print(line, markup=False)
        return
    if account_id is None or rep is None or verdict is None:
        raise typer.BadParameter("give ACCOUNT_ID, --rep and --verdict (or --list)", param_hint="ACCOUNT_ID")
    if not where.exists():
        from whynow.errors import DataError

        raise DataError(f"{where.name}: no store here yet; run `whynow run` first")
    row = give(where, account_id, rep, verdict, note=note, source="cli", given_by=rep)
    out.print(given_line(row, feedback_days(where), route_target(where, account_id)), markup=False)


@app.command(name="import")
@reports_user_errors
def import_command(
    crm: Annotated[
        Crm | None, typer.Argument(help="The CRM the export comes from: salesforce or hubspot.", show_default=False)
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Argument(help="The folder of export files, as the CRM wrote them (none with --api).", show_default=False),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="The folder to write the data contract's tables to: `whynow run --data` reads it as is."
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="A mapping file (YAML) laid over the built-in mapping: renames, values, defaults."),
    ] = None,
    file_format: Annotated[FileFormat, typer.Option("--format", help="Format of the written tables.")] = "csv",
    strict: Annotated[bool, typer.Option(help="Fail, writing nothing, if any row cannot be placed.")] = False,
    print_mapping: Annotated[
        bool, typer.Option("--print-mapping", help="Print the built-in mapping (of CRM, or of both) and exit.")
    ] = False,
    api: Annotated[
        bool,
        typer.Option(
            "--api",
            help="Read the CRM through its API instead of export files: Salesforce's Bulk API 2.0 query "
            "(SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN, or SALESFORCE_USERNAME, SALESFORCE_PASSWORD, "
            "SALESFORCE_SECURITY_TOKEN), HubSpot's CRM v3 API (HUBSPOT_TOKEN, HUBSPOT_API_BASE).",
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            help="With --api: read only the activities and opportunities changed on or after this date "
            "(YYYY-MM-DD); accounts and people are read whole."
        ),
    ] = None,
) -> None:
    """Turn a Salesforce or HubSpot export, or the CRM read through its API (--api), into the data contract's
    tables (SPEC §11, §12), with a report of what was read, written, not placed and not mapped."""
    from whynow.crm import CRMS, builtin_mapping, import_api, import_crm, links_block

    if print_mapping:
        for one in [crm] if crm else CRMS:
            out.print(builtin_mapping(one), markup=False)
        return
    if crm is None or (folder is None and not api):
        raise typer.BadParameter("give the CRM and the export folder: whynow import salesforce|hubspot DIR --out SRC")
    if api and folder is not None:
        raise typer.BadParameter(f"--api reads the CRM, not a folder: leave out {folder}", param_hint="--api")
    if since is not None and not api:
        raise typer.BadParameter("--since goes with --api (an export holds what was exported)", param_hint="--since")
    if out_dir is None:
        raise typer.BadParameter("give --out SRC, the folder to write the tables to", param_hint="--out")
    from whynow.report import print_import_report

    if folder is None:
        changed = None if since is None else _date(since, "--since")
        report = import_api(crm, out_dir, mapping, file_format, strict, changed)
    else:
        report = import_crm(crm, folder, out_dir, mapping, file_format, strict)
    print_import_report(out, report)
    out.print("\n" + links_block(crm), markup=False)  # SPEC §4.1: "Open in CRM" once pasted into the model


@app.command()
@reports_user_errors
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the synthetic company.")] = 7,
    folder: Annotated[Path, typer.Option(help="Where to write the demo data and its store.")] = Path("whynow-demo"),
    weeks: Annotated[int, typer.Option(min=1, help="How many weekly runs, ending on the demo's as-of date.")] = 3,
) -> None:
    """Generate a realistic synthetic company into ./whynow-demo and run the reference model on it, weekly."""
    from whynow.demo import DEMO_AS_OF, generate_demo_data
    from whynow.examples import reference_model_path
    from whynow.model.load import load_model
    from whynow.report import print_run_summary
    from whynow.run import RUN_STEPS, run

    with _progress(1 + RUN_STEPS * weeks) as step:
        step("generating the demo company")
        counts = generate_demo_data(folder, seed=seed)
        listing = ", ".join(f"{n:,} {t}" for t, n in counts.items())
        out.print(f"Wrote the demo company to {folder}/: {listing}", markup=False)
        compiled = load_model(reference_model_path())
        store = folder / "whynow.duckdb"
        dates = [DEMO_AS_OF - dt.timedelta(weeks=w) for w in reversed(range(weeks))]
        for as_of in dates:

            def dated(text: str, day: dt.date = as_of) -> None:
                step(f"{day}: {text}")

            # The demo's store is its own: each demo starts a new history there.
            result = run(compiled, str(folder), as_of, store=store, progress=dated, fresh=as_of == dates[0])
            if as_of != dates[-1]:
                out.print(f"Ran '{compiled.name}' as of {as_of}.", markup=False)
    print_run_summary(out, result)
    from whynow.queues import queue_lines
    from whynow.store import Store

    out.print()
    for line in queue_lines(Store(store), limit=3):
        out.print(line, markup=False)
    from whynow.alerts.outbox import dry_run_lines

    if not compiled.spec.alerts.turned_on():
        out.print()
        for line in dry_run_lines(compiled, result.outputs):
            out.print(line, markup=False)
    out.print(
        f"\nNext: whynow explain {_top_account(result)} --store {store}    (why that account stands where it does)",
        markup=False,
    )
    out.print(f"      whynow serve --store {store}    (the dashboard, at http://127.0.0.1:8000/)", markup=False)


def _top_account(result: RunResult) -> str:
    accounts = result.outputs["account_status"].select(["account_id", "engagement"]).to_pylist()
    return str(max(accounts, key=lambda r: (r["engagement"] or 0, r["account_id"]))["account_id"])


def main() -> None:
    """Entry point of the console script."""
    app()
