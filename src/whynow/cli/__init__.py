"""The `whynow` command line: parse arguments, call the API, render with Rich. It never computes.

Exit codes (SPEC §6): 0 success, 1 a model or data error (one message on stderr, no traceback),
2 a usage error. `shell.py` holds the app and what the commands share; each module beside it registers its
commands on the app when it is imported, so the imports below are in the order `--help` lists them.
"""

# isort: off
# In the order `--help` lists them: init; check, run, explain, queue, changes, compile; alerts; backtest, learn; serve;
# push, import; feedback; demo.
from whynow.cli import starter, runs, alerts, learning, dashboard, crm, feedback, demo  # noqa: F401 (they register)

# isort: on
from whynow.cli.shell import app


def main() -> None:
    """Entry point of the console script."""
    app()


__all__ = ["app", "main"]
