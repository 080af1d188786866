"""`whynow backtest` and `whynow learn` (SPEC §9, §13): replaying the model over history, learning from outcomes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import typer

from whynow.cli.shell import DATA_HELP, app, as_of_date, out, parse_date, progress, reports_user_errors

LearnLevel = Literal["account", "contact"]
JudgeMeasure = Literal["auc", "lift"]


@app.command()
@reports_user_errors
def backtest(
    model: Annotated[Path, typer.Option(envvar="WHYNOW_MODEL", help="The model file (YAML).", show_default=False)],
    data: Annotated[str, typer.Option(envvar="WHYNOW_DATA", help=DATA_HELP)],
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
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    models = [load_model(model)] + ([load_model(against)] if against is not None else [])
    verdicts = None if no_feedback else read_verdicts(feedback or store or DEFAULT_STORE, named=feedback is not None)
    with progress(len(run_dates(first, last, every)) * len(models) * RUN_STEPS) as step:
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
    model: Annotated[Path, typer.Option(envvar="WHYNOW_MODEL", help="The model file (YAML).", show_default=False)],
    data: Annotated[str, typer.Option(envvar="WHYNOW_DATA", help=DATA_HELP)],
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
        typer.Option(
            help="Save the proposed model as this new file (never over the model); refused when the proposal is "
            "worse than the model on the test data by --judge, unless --force.",
            show_default=False,
        ),
    ] = None,
    judge: Annotated[
        JudgeMeasure | None,
        typer.Option(
            help="What judges the proposal on the test data: lift (at capacity, the default) or auc (of the "
            "ranking). The contact level has no capacity: auc only.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="--write the proposal even when it is judged worse.")] = False,
    new_rules: Annotated[
        bool,
        typer.Option(
            help="Propose a fit rule for each declared column's value (a text value, a yes/no, a number above one "
            "of its quintiles) that earns points, not only new points for the model's own rules.",
        ),
    ] = True,
) -> None:
    """Fit an L1-regularised logistic regression on snapshots built from the model's own parts — target
    accounts at each as-of date (outcome: an opportunity in the window), or contacts (--level contact,
    --label COLUMN, a 70/30 split) — report it on held-out data next to the model's own ranking, and
    propose new points and grade thresholds as a diff of the model file, judged by replaying it beside the
    model on the test data. With --label wrong_fit: which of the model's rules push towards the accounts sales
    called wrong fit, ranked, and no proposal."""
    import math

    from whynow.errors import DataError
    from whynow.learn.backtest import run_dates
    from whynow.learn.learn import TEST_SHARE, learn_contacts
    from whynow.learn.learn import learn as fit_accounts
    from whynow.learn.report import print_learned
    from whynow.model.load import load_model
    from whynow.run import RUN_STEPS

    if write is not None and (write.resolve() == model.resolve() or write.exists()):
        raise typer.BadParameter(f"{write} exists; give a new file for the proposal", param_hint="--write")
    if level == "contact" and judge == "lift":
        raise typer.BadParameter("the contact level has no capacity, so no lift: use --judge auc", param_hint="--judge")
    measure: JudgeMeasure = judge or ("auc" if level == "contact" else "lift")
    compiled = load_model(model)
    text = model.read_text(encoding="utf-8")
    if level == "contact":
        with progress(3 * RUN_STEPS) as step:  # the run, then one of the model and one of the proposal (judged)
            learned = learn_contacts(compiled, text, data, label, as_of_date(as_of), progress=step, new_rules=new_rules)
    else:
        if start is None or end is None:
            raise typer.BadParameter("the account level needs --from and --to", param_hint="--from/--to")
        if label not in ("opportunity", "won", "wrong_fit"):
            raise typer.BadParameter(
                f"'{label}': at the account level the label is opportunity, won or wrong_fit", param_hint="--label"
            )
        first, last = parse_date(start, "--from"), parse_date(end, "--to")
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
            with progress(len(run_dates(first, last, every)) * RUN_STEPS) as step:
                learned = learn_wrong_fit(compiled, data, first, last, given, every=every, progress=step)
            print_learned(out, learned)
            return
        dates = len(run_dates(first, last, every))
        with progress((dates + 2 * max(1, math.ceil(dates * TEST_SHARE))) * RUN_STEPS) as step:  # and the judging
            learned = fit_accounts(
                compiled, text, data, first, last, every=every, window=window,
                label="won" if label == "won" else "opportunity", progress=step, new_rules=new_rules,
            )  # fmt: skip
    print_learned(out, learned, measure)
    if write is not None:
        refusal = learned.judgement.refusal(measure) if learned.judgement is not None else None
        if refusal is not None and not force:
            raise DataError(f"{write} not written: {refusal}")
        write.write_text(learned.proposal, encoding="utf-8")
        out.print(f"Wrote the proposal to {write}; check it with `whynow check {write}`.", markup=False)
