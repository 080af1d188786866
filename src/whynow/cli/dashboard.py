"""`whynow serve`: the dashboard and the JSON API (SPEC §8)."""

from __future__ import annotations

from typing import Annotated

import typer

from whynow.cli.shell import STORE_HELP, app, reports_user_errors


@app.command()
@reports_user_errors
def serve(
    store: Annotated[str, typer.Option(envvar="WHYNOW_STORE", help=STORE_HELP)] = "whynow.duckdb",
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
    """Serve the dashboard and the JSON API (/api, docs at /api/docs) from the store's outputs; it writes only sales
    feedback (its buttons, POST /api/feedback, Slack's POST /slack/interactions)."""
    from whynow.serve.app import serve as serve_app

    serve_app(store, host, port, token)
