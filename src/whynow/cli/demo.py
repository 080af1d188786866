"""`whynow demo`: a synthetic company, a few weekly runs, and what a rep would see."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from whynow.cli.shell import app, out, progress, reports_user_errors

if TYPE_CHECKING:
    from whynow.run import RunResult


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

    with progress(1 + RUN_STEPS * weeks) as step:
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
