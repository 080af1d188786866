"""`whynow init`: a starter model written from the data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from whynow.cli.shell import DATA_HELP, app, out, reports_user_errors


@app.command()
@reports_user_errors
def init(
    data: Annotated[str, typer.Option(envvar="WHYNOW_DATA", help=DATA_HELP)],
    out_file: Annotated[
        Path, typer.Option("--out", help="Where to write the model; an existing file is never overwritten.")
    ] = Path("model.yaml"),
) -> None:
    """Write a starter model from the data: rules that name its activity types, industries, sizes, titles,
    technologies, intent and events, with points and thresholds from its own distribution."""
    from whynow.starter import start_model

    started = start_model(data, out_file)
    profile = started.profile
    out.print(f"Read {data}:", markup=False)
    for table, rows in profile.rows.items():
        if rows:
            out.print(f"  {table:<15} {rows:,} rows", markup=False)
    if profile.activity_types:
        kinds = ", ".join(f"{t.type} ({t.rows:,})" for t in profile.activity_types[:6])
        out.print(f"Activity types: {kinds}{' …' if len(profile.activity_types) > 6 else ''}", markup=False)
    out.print(f"Wrote {started.path}: thresholds tuned on a run as of {started.as_of}.", markup=False)
    out.print("Next:", markup=False)
    out.print(f"  whynow check {started.path} --data {data} --as-of {started.as_of}", markup=False)
    out.print(f"  whynow run --model {started.path} --data {data} --as-of {started.as_of}", markup=False)
    out.print("  whynow serve", markup=False)
