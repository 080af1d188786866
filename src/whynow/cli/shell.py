"""What every `whynow` command shares: the Typer app, the consoles, turning user errors into exit codes, and
the small parsers and helpers of more than one command (the commands are in the modules beside it).

Exit codes (SPEC §6): 0 success, 1 a model or data error (one message on stderr, no traceback),
2 a usage error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, ParamSpec, TypeVar

import typer
from rich.console import Console

from whynow import __version__
from whynow.errors import UsageError, WhynowError

if TYPE_CHECKING:
    from whynow.model.check import CompiledModel
    from whynow.store import Store

# Each command imports the engine (Ibis, DuckDB, PyArrow, FastAPI, scikit-learn, Slack) when it runs,
# so that `--help` and `check` start fast (#21); the option types come from whynow.options, which imports
# none of it.

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
    """A model or data error becomes its message on stderr and exit code 1, without a traceback (with
    `--log-format json`, also a JSON line on stdout)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except WhynowError as e:
            code = 2 if isinstance(e, UsageError) else 1
            err.print(f"error: {e}", markup=False)
            if LOG.json:
                LOG.event("error", message=str(e), exit_code=code)
            raise typer.Exit(code) from None

    return run


LogFormat = Literal["text", "json"]
LOG_FORMAT_HELP = (
    "text: progress bars on a terminal and a readable summary; json: one JSON object per line on stdout (each "
    "step with its duration, each warning, then the result with its counts), for cron, CI and orchestrators."
)


class Log:
    """How a command reports as it goes: a terminal's progress bar and text, or JSON lines for machines.

    A JSON line is an object with `event` (`step`, `warning`, `error`, or the command's own: `run`, `push`),
    `command` and `at` (UTC, ISO 8601); a step line has `step` and `duration_s`."""

    def __init__(self) -> None:
        self.json = False
        self.command = ""

    def start(self, command: str, fmt: LogFormat) -> None:
        self.command, self.json = command, fmt == "json"

    def event(self, event: str, **fields: Any) -> None:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        line = {"event": event, "command": self.command, "at": at, **fields}
        out.file.write(json.dumps(line, default=str, ensure_ascii=False) + "\n")
        out.file.flush()

    @contextlib.contextmanager
    def steps(self, total: int) -> Iterator[Callable[[str], None]]:
        """`progress(total)` on a terminal; with JSON, a `step` line as each step ends."""
        if not self.json:
            with progress(total) as bar:
                yield bar
            return
        current: list[Any] = [None, time.perf_counter()]

        def ended(text: str | None) -> None:
            now = time.perf_counter()
            if current[0] is not None:
                self.event("step", step=current[0], duration_s=round(now - current[1], 3))
            current[:] = [text, now]

        yield ended
        ended(None)

    def warn(self, lines: list[str]) -> None:
        """Each warning as one line on stderr, or as a `warning` JSON line; the command still succeeds."""
        for line in lines:
            if self.json:
                self.event("warning", message=line)
            else:
                err.print(f"warning: {line}", markup=False)


LOG = Log()


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"whynow {__version__}")
        raise typer.Exit()


def model_or_last(store: Store, model_file: Path | None, nothing: str) -> CompiledModel:
    """The model of `model_file`, else the model of the store's last run (its `${NAME}`s read now)."""
    from whynow.errors import DataError
    from whynow.model.load import load_model, load_model_text

    if model_file is not None:
        return load_model(model_file)
    last = store.last_model()
    if last is None:
        raise DataError(f"{store.name}: no run yet, so {nothing}; run `whynow run` first")
    return load_model_text(last[1], f"the model of the last run ({last[0]})")


def as_of_date(text: str | None) -> dt.date | None:
    return None if text is None else parse_date(text, "--as-of")


def parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a date; write YYYY-MM-DD", param_hint=option) from None


@contextlib.contextmanager
def progress(steps: int) -> Iterator[Callable[[str], None]]:
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
