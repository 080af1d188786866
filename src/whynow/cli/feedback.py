"""`whynow feedback` (SPEC §13): a rep's verdict on an account, kept for the next run."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from whynow.cli.shell import STORE_HELP, app, out, reports_user_errors


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
    store: Annotated[str, typer.Option(envvar="WHYNOW_STORE", help=STORE_HELP)] = "whynow.duckdb",
) -> None:
    """Sales feedback: a rep says working, not now or wrong fit about an account; the next run
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
