"""`whynow alerts [send|retry]`: the alert outbox (SPEC §7)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from whynow.cli.shell import STORE_HELP, app, model_or_last, out, reports_user_errors
from whynow.options import AlertStatus

alerts_app = typer.Typer(
    help="The alert outbox: list it, send what is pending, retry.",
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
    store: Annotated[str, typer.Option(envvar="WHYNOW_STORE", help=STORE_HELP)] = "whynow.duckdb",
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
    store: Annotated[str, typer.Option(envvar="WHYNOW_STORE", help=STORE_HELP)] = "whynow.duckdb",
    model: Annotated[
        Path | None, typer.Option(envvar="WHYNOW_MODEL", help=ALERTS_MODEL_HELP, show_default=False)
    ] = None,
) -> None:
    """Send the pending alerts that are due (what `whynow run` does after it commits)."""
    _send_alerts(store, model, retry=False, failed=False)


@alerts_app.command(name="retry")
@reports_user_errors
def alerts_retry(
    failed: Annotated[bool, typer.Option(help="Also try again the alerts that failed for good (4xx).")] = False,
    store: Annotated[str, typer.Option(envvar="WHYNOW_STORE", help=STORE_HELP)] = "whynow.duckdb",
    model: Annotated[
        Path | None, typer.Option(envvar="WHYNOW_MODEL", help=ALERTS_MODEL_HELP, show_default=False)
    ] = None,
) -> None:
    """Send every pending alert now, without waiting for its next try (and with --failed, the failed ones)."""
    _send_alerts(store, model, retry=True, failed=failed)


def _send_alerts(location: str, model_file: Path | None, *, retry: bool, failed: bool) -> None:
    from whynow.alerts.deliver import outcome_line, send
    from whynow.store import Store

    store = Store(location)
    compiled = model_or_last(store, model_file, "no alerts")
    if failed:
        store.retry_failed()
    out.print(outcome_line(send(store, compiled, retry=retry)), markup=False)
