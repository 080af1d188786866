"""What `whynow backtest` shows: a Rich table on the terminal and, with `--report DIR`, an HTML report with
charts (lift per badge, surfaced vs capacity over time, precision over time) and every figure as CSV."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import jinja2
import pyarrow.csv as pacsv
from rich.console import Console
from rich.table import Table

from whynow.feedback import LABELS
from whynow.learn.backtest import Backtest
from whynow.learn.honest import RESAMPLES, Honest, Interval
from whynow.learn.judge import Judgement, Measure
from whynow.learn.learn import Learned
from whynow.presentation import (
    APP_JS,
    BACKTEST_COLUMNS,
    BACKTEST_HEADERS,
    backtest_cell,
    backtest_charts,
    format_value,
    plotly_js,
    script_json,
    share,
)

COMPARED = ("surfaced_per_run", "precision", "lift")  # with --against: the difference, second minus first


def print_backtest(console: Console, result: Backtest) -> None:
    """One row per group (overall, MQA, each archetype and badge); with two models, each figure of both
    side by side and the difference."""
    rows = result.figures.to_pylist()
    models = result.models
    runs = result.figures.column("runs")[0].as_py() if rows else 0
    first = rows[0] if rows else {}
    console.print(
        f"Backtest over {len(result.dates)} runs ({result.dates[0]} … {result.dates[-1]}), outcomes within "
        f"{result.window} days; capacity {backtest_cell('surfaced_per_run', first.get('capacity_per_run'))} per run; "
        f"base rate {backtest_cell('precision', first.get('base_rate'))} of target account-dates",
        markup=False,
    )
    if result.feedback is not None:
        console.print(
            f"Sales feedback from {result.feedback}: {result.verdicts:,} accounts with a verdict; each verdict held "
            "its account from the first run after it was given, and the verdict rows group surfaced account-dates "
            "by their account's latest verdict (any rep).",
            markup=False,
        )
    if not rows:
        console.print(
            "Nothing to measure: at no date was an account surfaced or MQA without an open opportunity "
            "(accounts with an open opportunity at a date count nowhere that date).",
            markup=False,
        )
        return
    table = Table(show_lines=False)
    table.add_column("group")
    for column in BACKTEST_COLUMNS:
        header = BACKTEST_HEADERS[column]
        for model in models:
            table.add_column(f"{header}\n{model}" if len(models) > 1 else header, justify="right")
        if len(models) == 2 and column in COMPARED:
            table.add_column(f"{header}\nΔ", justify="right")
    keys = list(dict.fromkeys((r["group"], r["name"]) for r in rows))
    found = {(r["model"], r["group"], r["name"]): r for r in rows}
    for group, name in keys:
        cells = [_group_label(group, name)]
        for column in BACKTEST_COLUMNS:
            values = [found.get((m, group, name), {}).get(column) for m in models]
            cells += [backtest_cell(column, v) for v in values]
            if len(models) == 2 and column in COMPARED:
                a, b = values
                cells.append("–" if a is None or b is None else _signed(column, b - a))
        table.add_row(*cells)
    console.print(table)
    if runs:
        console.print(
            "precision: surfaced account-dates with an opportunity in the window ÷ surfaced account-dates; "
            "lift: ÷ the base rate; accounts with an open opportunity at a date count nowhere that date.",
            markup=False,
        )


def _group_label(group: str, name: str) -> str:
    """A figure row's first cell: "all surfaced", "MQA", an archetype, an indented badge, a verdict."""
    if group == "overall":
        return "all surfaced"
    if group == "badge":
        return f"  {name}"
    if group == "verdict":
        return "no verdict" if name == "none" else f"verdict {LABELS.get(name, name)}"
    return name


def _signed(column: str, value: float) -> str:
    if column == "precision":
        return f"{value * 100:+.0f} pts"
    return ("+" if value >= 0 else "") + format_value(value)


def write_report(result: Backtest, folder: Path) -> list[Path]:
    """report.html (charts by plotly.js, copied beside it: the report works offline), figures.csv and
    per_run.csv in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (("figures", result.figures), ("per_run", result.per_run)):
        path = folder / f"{name}.csv"
        pacsv.write_csv(table, path)
        written.append(path)
    for asset in (plotly_js(), APP_JS):
        shutil.copyfile(asset, folder / asset.name)
        written.append(folder / asset.name)
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("whynow.learn", "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    figures = result.figures.to_pylist()
    drawn = backtest_charts(result.models, figures, result.per_run.to_pylist())
    html = environment.get_template("backtest.html").render(
        result=result,
        figures=figures,
        charts={name: script_json(spec) for name, spec in drawn.items()},
        cell=backtest_cell,
        shown=BACKTEST_COLUMNS,
        headers=BACKTEST_HEADERS,
    )
    (folder / "report.html").write_text(html, encoding="utf-8")
    written.append(folder / "report.html")
    return written


def print_learned(console: Console, learned: Learned, measure: Measure = "lift") -> None:
    """The test figures, the intervals, the calibration, the weights per feature, the proposal as a diff and
    the proposal judged by `measure` beside the current model."""

    def number(value: float | None) -> str:
        return "–" if value is None else f"{value:.3f}"

    if learned.level == "contact":  # one run, a random split
        console.print(
            f"Contacts as of {learned.test_dates[0]}: {learned.snapshots:,} with a label, {learned.positives:,} "
            f"positive; trained on a random 70%, tested on the other 30%.",
            markup=False,
        )
        console.print(
            f"Test AUC {number(learned.auc)} (the contacts' fit + engagement: {number(learned.auc_rank_by)}); "
            f"accuracy {share(learned.accuracy)} at a probability of 0.5; base rate {share(learned.base_rate)}.",
            markup=False,
        )
    elif learned.label == "wrong_fit":
        console.print(
            f"Trained on {len(learned.train_dates)} dates ({learned.train_dates[0]} … {learned.train_dates[-1]}), "
            f"tested on {len(learned.test_dates)} ({learned.test_dates[0]} … {learned.test_dates[-1]}); "
            f"{learned.snapshots:,} surfaced account-dates, {learned.positives:,} of accounts whose latest verdict "
            f"in {learned.feedback} is wrong fit.",
            markup=False,
        )
        rank_by = learned.auc_rank_by
        ranks = "" if rank_by is None else "; above 0.5: it ranks them higher" if rank_by > 0.5 else ""
        console.print(
            f"Test AUC {number(learned.auc)} of telling the wrong-fit accounts apart (the model's rank_by: "
            f"{number(rank_by)}{ranks}); base rate {share(learned.base_rate)}.",
            markup=False,
        )
    else:
        console.print(
            f"Trained on {len(learned.train_dates)} dates ({learned.train_dates[0]} … {learned.train_dates[-1]}), "
            f"tested on {len(learned.test_dates)} ({learned.test_dates[0]} … {learned.test_dates[-1]}); "
            f"{learned.snapshots:,} account-dates, {learned.positives:,} with an outcome.",
            markup=False,
        )
        console.print(
            f"Test AUC {number(learned.auc)} (the model's rank_by: {number(learned.auc_rank_by)}); at capacity: "
            f"precision {share(learned.precision_at_capacity)}, lift {number(learned.lift_at_capacity)} over a "
            f"base rate of {share(learned.base_rate)}.",
            markup=False,
        )
    if learned.honest is not None and learned.label != "wrong_fit":
        print_honest(console, learned.honest, "accounts" if learned.level == "account" else "contacts")
    calibration = Table(title="Calibration on the test snapshots, by tenths of the predicted probability")
    for column in ("snapshots", "predicted", "observed"):
        calibration.add_column(column, justify="right")
    for row in learned.calibration:
        calibration.add_row(f"{row['snapshots']:.0f}", share(row["predicted"]), share(row["observed"]))
    console.print(calibration)
    if learned.label == "wrong_fit":
        print_disagreement(console, learned)
        return
    weights = Table(title="Weights (log-odds per unit of the feature; L1 keeps the ones that help)")
    weights.add_column("feature")
    weights.add_column("weight", justify="right")
    ranked = sorted(zip(learned.features, learned.coefficients, strict=True), key=lambda p: -abs(p[1]))
    for feature, weight in [p for p in ranked if p[1] != 0][:25]:
        weights.add_row(feature.name, f"{weight:+.4g}")
    console.print(weights)
    if learned.diff:
        console.print("Proposed points and thresholds (the model file, comments kept):", markup=False)
        for line in learned.diff:
            console.print(line, markup=False, highlight=False)
        if learned.judgement is not None:
            print_judgement(console, learned.judgement, measure, learned.test_dates)
    else:
        console.print("No new points to propose: no rule's weight differs from zero.", markup=False)


def print_disagreement(console: Console, learned: Learned) -> None:
    """`learn --label wrong_fit`: the weights ranked, each rule's points now next to what its weight means, a
    plain sentence on the strongest, and why no points are proposed."""
    ranked = sorted(
        [(f, w, p) for f, w, p in zip(learned.features, learned.coefficients, learned.points, strict=True) if w],
        key=lambda row: -abs(row[1]),
    )
    weights = Table(title="What pushes towards a wrong-fit verdict (log-odds per unit of the feature)")
    for column, justify in (("feature", "left"), ("weight", "right"), ("points now", "right"), ("reading", "left")):
        weights.add_column(column, justify=justify)  # type: ignore[arg-type]
    for feature, weight, points in ranked[:25]:
        shown = "–" if points is None else format_value(points)
        weights.add_row(feature.name, f"{weight:+.4g}", shown, _reading(weight, points))
    console.print(weights)
    disagreed = [(f, p) for f, w, p in ranked if w > 0 and p is not None and p > 0]
    if disagreed:
        feature, points = disagreed[0]
        console.print(
            f"Sales disagrees most with {feature.name}: it gives {format_value(points)} points, and the accounts it "
            "scores are the more likely to be called wrong fit. Lower it by hand and compare the models with "
            "`whynow backtest --against` (its verdict rows).",
            markup=False,
        )
    elif ranked:
        console.print("No rule that adds points pushes towards wrong fit: sales disagrees with none.", markup=False)
    else:
        console.print(
            "No feature's weight differs from zero: nothing tells the wrong-fit accounts apart.", markup=False
        )
    console.print(
        "No points proposed: these weights say which accounts sales turns down, not what precedes an opportunity.",
        markup=False,
    )


def _reading(weight: float, points: float | None) -> str:
    """What a weight means for a rule with `points` (None: not a rule)."""
    if weight < 0:
        return "away from wrong fit"
    if points is not None and points > 0:
        return "towards wrong fit: sales disagrees with its points"
    return "towards wrong fit"


def print_honest(console: Console, honest: Honest, units: str) -> None:
    """The test AUCs with their intervals, the opaque baseline, and whether the learned ranking beats the
    current one beyond chance (SPEC §9, #23)."""

    def shown(interval: Interval | None) -> str:
        return "– (the test data hold one class only)" if interval is None else str(interval)

    console.print(
        f"On the test data, with 95% intervals from {RESAMPLES} bootstrap samples of {units} (seeded):", markup=False
    )
    console.print(f"  learned ranking: AUC {shown(honest.learned)}", markup=False)
    console.print(f"  current model:   AUC {shown(honest.current)}", markup=False)
    console.print(
        f"  an opaque model would reach AUC {shown(honest.opaque)} (gradient-boosted trees on the same features "
        "and split, for comparison only: it proposes nothing)",
        markup=False,
    )
    learned, current = honest.learned, honest.current
    if learned is None or current is None:
        return
    if honest.no_better:
        verdict = "no better than the current model: the intervals overlap"
    elif learned.auc < current.auc:
        verdict = "worse than the current model: its interval lies below the current model's"
    else:
        verdict = "better than the current model: its interval lies above the current model's"
    console.print(f"  The learned ranking is {verdict}.", markup=False)


def print_judgement(console: Console, judgement: Judgement, measure: Measure, test_dates: list[dt.date]) -> None:
    """The proposal replayed beside the current model on the test data, and the verdict `--write` acts on."""
    where = f"{test_dates[0]} … {test_dates[-1]}" if len(test_dates) > 1 else str(test_dates[0])
    table = Table(title=f"The proposal replayed beside the current model on the test data ({where})")
    for column, justify in (("", "left"), ("current model", "right"), ("proposal", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    now, proposed = judgement.current, judgement.proposed
    table.add_row("AUC of the ranking", _auc(now.auc), _auc(proposed.auc))
    if measure == "lift" or now.lift is not None:
        table.add_row("precision at capacity", share(now.precision), share(proposed.precision))
        table.add_row("lift at capacity", _lift(now.lift), _lift(proposed.lift))
    order = {"lead status": 0, "MQA": 1, "badge": 2}
    for key in sorted({*now.counts, *proposed.counts}, key=lambda k: (order.get(k[0], 3), k[1])):
        group, name = key
        label = "MQAs" if group == "MQA" else f"{group} {name}"
        counted = (f"{side.counts.get(key, 0):,}" for side in (now, proposed))
        table.add_row(f"{label} at {judgement.last_date}", *counted)
    console.print(table)
    console.print(judgement.verdict(measure), markup=False)


def _auc(interval: Interval | None) -> str:
    return "–" if interval is None else f"{interval.auc:.3f} ({interval.low:.3f}–{interval.high:.3f})"


def _lift(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
