"""`whynow backtest` (SPEC §9): replay a model over past as-of dates, each a real run with its own state
and capacity in a store of its own, then look at what happened next.

An **outcome** of an account at a run date is an opportunity created in `[H, H + window days)` (H the
run's horizon) for an account with no open opportunity at that date; it is **won** when one of those
opportunities is won (as the data says today). Accounts with an open opportunity at a date count
nowhere that date. Figures per badge, per archetype, for MQA and overall:

* surfaced per run against capacity (the sum of the reps' capacities and the unassigned queue's);
* precision: account-dates of the group with an outcome ÷ the group's account-dates;
* lift: precision ÷ the base rate, the same share among all target account-dates;
* win rate: account-dates with a won outcome ÷ those with an outcome;
* pipeline: the amount of the outcome opportunities (each account-date counts its own);
* median days from the as-of date to the account-date's first outcome opportunity.

With sales feedback (SPEC §13, `--feedback`), the same figures per verdict: each surfaced account-date
under its account's latest verdict by any rep (`working`, `not_now`, `wrong_fit`; `none` without one),
against the same base rate — are the accounts sales called wrong fit really worse? The runs see the
verdicts as real runs would have: each holds from the first run whose horizon is after it was given.

Nothing after an as-of date reaches that date's run (the run's horizon, SPEC §2; a verdict given later is
not in its store yet, learn/verdicts.py); only the outcomes and the verdict groups look ahead, read as they
are today. The figures are one SQL query over the runs' account_status rows, the opportunities and the
verdicts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from whynow.data.validate import Validated
from whynow.errors import DataError
from whynow.feedback import SCHEMA
from whynow.learn.verdicts import GROUPS, LATEST, Verdicts, give_before
from whynow.model.check import CompiledModel
from whynow.run import RunResult, open_data, run, shared_inputs

Progress = Callable[[str], None]
UNIT_COLUMNS = ("account_id", "target", "mqa", "badge", "archetype", "queue", "has_open_opportunity")
FIGURE_COLUMNS = (
    "model",
    "group",
    "name",
    "runs",
    "surfaced_per_run",
    "capacity_per_run",
    "account_dates",
    "outcomes",
    "precision",
    "base_rate",
    "lift",
    "won",
    "win_rate",
    "pipeline",
    "median_days",
)


@dataclass
class Replay:
    """One model's runs over the dates: per run, its account_status units and its capacity."""

    model: CompiledModel
    units: pa.Table  # as_of + UNIT_COLUMNS, every run
    capacity: dict[dt.date, int] = field(default_factory=dict)
    collected: pa.Table | None = None  # what `collect` took from each run, with its as_of


@dataclass
class Backtest:
    """What `whynow backtest` found: the figures per model and group, and per model and run."""

    dates: list[dt.date]
    window: int
    models: list[str]  # the models' names, in the order given (the first is the one compared against)
    figures: pa.Table  # FIGURE_COLUMNS: one row per model and group (overall, MQA, each archetype, badge, verdict)
    per_run: pa.Table  # model, as_of, surfaced, capacity, account_dates, outcomes, precision, base_rate
    feedback: str | None = None  # the store whose sales feedback the runs replayed and the verdict rows read
    verdicts: int = 0  # how many accounts have a verdict there


def recorded(result: Backtest, backtest_id: str, recorded_at: dt.datetime) -> dict[str, pa.Table]:
    """The backtest as the store's rows (`whynow backtest --store`, read back by the dashboard): one row in
    `backtests`, its figures in `backtest_figures` and its per-run view in `backtest_runs`."""
    summary = pa.Table.from_pylist(
        [{"backtest_id": backtest_id, "recorded_at": recorded_at, "first_date": result.dates[0],
          "last_date": result.dates[-1], "runs": len(result.dates), "window_days": result.window,
          "models": json.dumps(result.models)}],
        schema=pa.schema([("backtest_id", pa.string()), ("recorded_at", pa.timestamp("us", "UTC")),
                          ("first_date", pa.date32()), ("last_date", pa.date32()), ("runs", pa.int64()),
                          ("window_days", pa.int64()), ("models", pa.string())]),
    )  # fmt: skip

    def tagged(table: pa.Table) -> pa.Table:
        order = pa.array(range(table.num_rows), pa.int64())  # the rows' order: models as given, then groups
        return table.add_column(0, "backtest_id", pa.array([backtest_id] * table.num_rows, pa.string())).append_column(
            "position", order
        )

    return {"backtests": summary, "backtest_figures": tagged(result.figures), "backtest_runs": tagged(result.per_run)}


def run_dates(start: dt.date, end: dt.date, every: int) -> list[dt.date]:
    """start, start + every, … up to end.

    >>> [str(d) for d in run_dates(dt.date(2026, 11, 6), dt.date(2026, 11, 20), 7)]
    ['2026-11-06', '2026-11-13', '2026-11-20']
    """
    if every < 1:
        raise DataError(f"--every is {every}; it must be at least 1 day")
    if end < start:
        raise DataError(f"--to {end} is before --from {start}")
    return [start + dt.timedelta(days=k) for k in range(0, (end - start).days + 1, every)]


def replay(
    model: CompiledModel,
    data: str,
    dates: Sequence[dt.date],
    store: Path,
    progress: Progress | None = None,
    collect: Callable[[RunResult], pa.Table] | None = None,
    feedback: Verdicts | None = None,
    shared: Validated | None = None,
    resolving_only: bool = True,
) -> Replay:
    """Run `model` at each date, in order, into a store of its own (a fresh history at the first date);
    `collect` takes a table from each run's result (`whynow learn`'s features). With `feedback`, each run's
    store first gets the verdicts given up to its horizon, and no later one (`give_before`). `shared`: the
    data already opened for a model declaring the same columns, and prepared (`shared_inputs`). `resolving_only`:
    each run writes only what the next one reads, and only of itself (False: everything, as `whynow run`);
    without `collect`, such runs do not compute their score_breakdown."""
    units, capacity, collected = [], {}, []
    skipped = ("score_breakdown",) if collect is None and resolving_only else ()  # the largest output, unread
    with prepared(model, data, shared) as validated:  # read, checked and resolved once, for every date
        for i, as_of in enumerate(dates):

            def step(text: str, day: dt.date = as_of) -> None:
                if progress is not None:
                    progress(f"{model.name} {day}: {text}")

            if feedback is not None:
                give_before(store, feedback, dates[i - 1] if i else None, as_of)
            result = run(
                model, data, as_of, store=store, fresh=i == 0, progress=step, validated=validated,
                resolving_only=resolving_only, skipped=skipped,
            )  # fmt: skip
            accounts = result.outputs["account_status"].select(list(UNIT_COLUMNS))
            units.append(accounts.append_column("as_of", pa.array([as_of] * accounts.num_rows, pa.date32())))
            reps = result.outputs["reps"]
            capacity[as_of] = int(pc.sum(reps["capacity"]).as_py() or 0) + model.spec.capacity.unassigned
            if collect is not None:
                table = collect(result)
                collected.append(table.append_column("as_of", pa.array([as_of] * table.num_rows, pa.date32())))
    return Replay(model, pa.concat_tables(units), capacity, pa.concat_tables(collected) if collected else None)


@contextlib.contextmanager
def prepared(model: CompiledModel, data: str, shared: Validated | None = None) -> Iterator[Validated]:
    """`shared` as it is, else the data opened for `model`, prepared for many runs (`shared_inputs`) and
    closed after."""
    if shared is not None:
        yield shared
        return
    with open_data(model, data, count_links=False) as opened:
        yield shared_inputs(opened)


def opportunities(model: CompiledModel, data: str, shared: Validated | None = None) -> pa.Table:
    """The opportunities as the data hold them today, typed by the data contract: what outcomes read (from
    `shared` when the data are open already)."""
    with prepared(model, data, shared) as validated:
        table = validated.tables["opportunities"]
        return table.select("account_id", "created_at", "amount", "is_won").to_pyarrow()


def backtest(
    models: Sequence[CompiledModel],
    data: str,
    start: dt.date,
    end: dt.date,
    every: int = 7,
    window: int = 90,
    progress: Progress | None = None,
    feedback: Verdicts | None = None,
) -> Backtest:
    """Replay each model over the same dates and measure its figures against the same outcomes; with
    `feedback`, the runs replay its verdicts and the figures have a row per verdict."""
    if window < 1:
        raise DataError(f"--window is {window}; it must be at least 1 day")
    dates = run_dates(start, end, every)
    with prepared(models[0], data) as shared, tempfile.TemporaryDirectory() as folder:  # for every model and date
        replays = [
            replay(m, data, dates, Path(folder) / f"model{i}.duckdb", progress, feedback=feedback,
                   shared=sharing(shared, models[0], m))
            for i, m in enumerate(models)
        ]  # fmt: skip
        deals = opportunities(models[0], data, shared)
    return measure(replays, deals, window, dates, feedback)


def sharing(shared: Validated | None, opened_for: CompiledModel, model: CompiledModel) -> Validated | None:
    """`shared` when `model` declares the columns of the model it was opened for (a proposal, `--against`
    with the same `columns:`), else None: `model` opens the data for itself."""
    return shared if model.declared_columns == opened_for.declared_columns else None


# An outcome of unit u (an account at an as-of date): opportunity o created in [H, H + window days), H the
# run's horizon. The one definition, shared by the figures, the per-run view and `whynow learn`.
IN_WINDOW = (
    "o.account_id = u.account_id AND o.created_at >= CAST(u.as_of + 1 AS TIMESTAMPTZ) "
    "AND o.created_at < CAST(u.as_of + 1 + $window AS TIMESTAMPTZ)"
)
_OUTCOMES = (
    """
WITH verdicts AS ("""
    + LATEST
    + """), units AS (
    SELECT u.*, coalesce(u.target, FALSE) AS is_target FROM units u WHERE NOT coalesce(u.has_open_opportunity, FALSE)
), outcome AS (  -- per unit: the opportunities created in [H, H + window)
    SELECT u.model, u.as_of, u.account_id, count(o.account_id) AS n, bool_or(coalesce(o.is_won, FALSE)) AS won,
           coalesce(sum(o.amount), 0) AS pipeline,
           min(CAST(o.created_at AS DATE)) - u.as_of AS days
    FROM units u JOIN deals o ON """
    + IN_WINDOW
    + """
    GROUP BY u.model, u.as_of, u.account_id
), scored AS (
    SELECT u.*, coalesce(o.n, 0) > 0 AS hit, coalesce(o.won, FALSE) AS won, coalesce(o.pipeline, 0) AS pipeline,
           o.days
    FROM units u LEFT JOIN outcome o USING (model, as_of, account_id)
), grouped AS (
    SELECT model, 'overall' AS "group", 'surfaced' AS name, * EXCLUDE (model) FROM scored WHERE queue = 'surfaced'
    UNION ALL BY NAME
    SELECT model, 'mqa' AS "group", 'MQA' AS name, * EXCLUDE (model) FROM scored WHERE mqa AND is_target
    UNION ALL BY NAME
    SELECT model, 'archetype' AS "group", archetype AS name, * EXCLUDE (model) FROM scored WHERE queue = 'surfaced'
    UNION ALL BY NAME
    SELECT model, 'badge' AS "group", badge AS name, * EXCLUDE (model) FROM scored WHERE queue = 'surfaced'
    UNION ALL BY NAME
    SELECT s.model, 'verdict' AS "group", coalesce(v.verdict, 'none') AS name, s.* EXCLUDE (model)
    FROM scored s LEFT JOIN verdicts v USING (account_id) WHERE s.queue = 'surfaced' AND $with_verdicts
), base AS (
    SELECT model, avg(CASE WHEN hit THEN 1.0 ELSE 0.0 END) AS base_rate FROM scored WHERE is_target GROUP BY model
), figures AS (
    SELECT g.model, g."group", g.name, count(*) AS account_dates,
           count(*) FILTER (WHERE hit) AS outcomes,
           count(*) FILTER (WHERE hit AND won) AS won,
           sum(pipeline) FILTER (WHERE hit) AS pipeline,
           median(days) FILTER (WHERE hit) AS median_days
    FROM grouped g GROUP BY g.model, g."group", g.name
)
SELECT f.model, f."group", f.name, r.runs,
       CASE WHEN f."group" = 'mqa' THEN NULL ELSE f.account_dates / r.runs END AS surfaced_per_run,
       r.capacity_per_run, f.account_dates, f.outcomes,
       f.outcomes / f.account_dates AS precision, b.base_rate,
       CASE WHEN b.base_rate > 0 THEN (f.outcomes / f.account_dates) / b.base_rate END AS lift,
       f.won, CASE WHEN f.outcomes > 0 THEN f.won / f.outcomes END AS win_rate,
       coalesce(f.pipeline, 0) AS pipeline, f.median_days
FROM figures f JOIN base b USING (model) JOIN runs r USING (model)
ORDER BY f.model,
         CASE f."group" WHEN 'overall' THEN 0 WHEN 'mqa' THEN 1 WHEN 'archetype' THEN 2 WHEN 'badge' THEN 3 ELSE 4 END,
         CASE WHEN f."group" = 'verdict' THEN list_position($verdict_order, f.name) END NULLS FIRST,
         f.account_dates DESC, f.name
"""
)

_PER_RUN = (
    """
WITH units AS (SELECT * FROM units WHERE NOT coalesce(has_open_opportunity, FALSE)),
hits AS (
    SELECT DISTINCT u.model, u.as_of, u.account_id FROM units u JOIN deals o ON """
    + IN_WINDOW
    + """
)
SELECT u.model, u.as_of, count(*) FILTER (WHERE u.queue = 'surfaced') AS surfaced, c.capacity,
       count(*) FILTER (WHERE u.queue = 'surfaced' AND h.account_id IS NOT NULL) AS outcomes,
       (count(*) FILTER (WHERE u.queue = 'surfaced' AND h.account_id IS NOT NULL))
         / nullif(count(*) FILTER (WHERE u.queue = 'surfaced'), 0) AS precision,
       avg(CASE WHEN h.account_id IS NOT NULL THEN 1.0 ELSE 0.0 END) FILTER (WHERE coalesce(u.target, FALSE))
         AS base_rate
FROM units u LEFT JOIN hits h USING (model, as_of, account_id) JOIN capacity c USING (model, as_of)
GROUP BY u.model, u.as_of, c.capacity ORDER BY u.model, u.as_of
"""
)


def measure(
    replays: Sequence[Replay],
    deals: pa.Table,
    window: int,
    dates: Sequence[dt.date],
    feedback: Verdicts | None = None,
) -> Backtest:
    """The figures of each replay against the outcomes in `deals` (account_id, created_at, amount, is_won);
    with `feedback`, per verdict too."""
    names = _labels([r.model for r in replays])
    units = pa.concat_tables(
        [r.units.append_column("model", pa.array([name] * r.units.num_rows, pa.string())) for r, name in
         zip(replays, names, strict=True)]
    )  # fmt: skip
    capacity = pa.Table.from_pylist(
        [{"model": name, "as_of": d, "capacity": c} for r, name in zip(replays, names, strict=True)
         for d, c in r.capacity.items()]
    )  # fmt: skip
    runs = pa.Table.from_pylist(
        [{"model": name, "runs": len(r.capacity), "capacity_per_run": sum(r.capacity.values()) / len(r.capacity)}
         for r, name in zip(replays, names, strict=True)]
    )  # fmt: skip
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        given = feedback.given if feedback is not None else SCHEMA.empty_table()
        for name, table in (("units", units), ("deals", deals), ("capacity", capacity), ("runs", runs),
                            ("feedback", given)):  # fmt: skip
            con.register(name, table)
        grouped = {"window": window, "with_verdicts": feedback is not None, "verdict_order": list(GROUPS)}
        figures = con.execute(_OUTCOMES, grouped).to_arrow_table()
        per_run = con.execute(_PER_RUN, {"window": window}).to_arrow_table()
    finally:
        con.close()
    figures = _in_order(figures.select(list(FIGURE_COLUMNS)), names)
    shown = (feedback.store, feedback.accounts()) if feedback is not None else (None, 0)
    return Backtest(list(dates), window, names, figures, _in_order(per_run, names), *shown)


def _in_order(table: pa.Table, names: Sequence[str]) -> pa.Table:
    """The rows of each model together, the models in the order given (SQL sorted them by name)."""
    order = pc.index_in(table["model"], value_set=pa.array(names))
    indices = pc.sort_indices(pa.table({"order": order, "row": pa.array(range(table.num_rows))}),
                              [("order", "ascending"), ("row", "ascending")])  # fmt: skip
    return table.take(indices)


def _labels(models: Sequence[CompiledModel]) -> list[str]:
    """Each model's name, made unique when two have the same (`name`, `name (2)`)."""
    labels: list[str] = []
    for model in models:
        label, n = model.name, 2
        while label in labels:
            label, n = f"{model.name} ({n})", n + 1
        labels.append(label)
    return labels
