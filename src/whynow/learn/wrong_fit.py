"""`whynow learn --label wrong_fit` (SPEC §13, "What it teaches"): which parts of the model sales disagrees
with.

The snapshots are the account-dates the model surfaced — what sales was shown — with the features of
`whynow learn` (the model's own parts), from the same replay; the label is whether the account's latest
verdict, by any rep, is `wrong_fit` (learn/verdicts.py). The runs replay the verdicts as the backtest does,
so an account its verdict holds is not surfaced again (sales was not shown it again). The same L1 logistic
regression, trained on the earlier dates and tested on the last 30 %.

A positive weight pushes towards "wrong fit": on a rule that adds points, sales disagrees with the rule. No
points are proposed: the weights say which accounts sales turns down, not what precedes an opportunity, so
scaled into points they would score something else; lower the rules by hand and compare the models with
`whynow backtest --against` (its verdict rows show whether fewer wrong-fit accounts are surfaced).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import sqlglot
from sqlglot import exp

from whynow.errors import DataError
from whynow.learn.backtest import Progress, replay, run_dates
from whynow.learn.learn import (
    TEST_SHARE,
    Learned,
    _encode,
    _features_of,
    _fit,
    _other_columns,
    _rule_features,
)
from whynow.learn.propose import Feature
from whynow.learn.verdicts import LATEST, Verdicts
from whynow.model.check import CompiledModel

WHAT = "account sales called wrong fit"
_COUNT_WRONG_FIT = "SELECT count(*) FILTER (WHERE verdict = 'wrong_fit') FROM (" + LATEST + ")"


def wrong_fit_verdicts(verdicts: Verdicts | None, store: str) -> Verdicts:
    """`verdicts`, checked to hold at least one account whose latest verdict is `wrong_fit`; else the
    `DataError` that says so and what to do (`store`: the name of the store read)."""
    if verdicts is None:
        raise DataError(
            f"{store}: no sales feedback to learn wrong fit from; give verdicts with `whynow feedback ACCOUNT_ID "
            "--rep R --verdict wrong_fit`, or name the store that holds them with --feedback"
        )
    con = duckdb.connect()
    try:
        con.register("feedback", verdicts.given)
        (wrong,) = con.execute(_COUNT_WRONG_FIT).fetchone() or (0,)
    finally:
        con.close()
    if not wrong:
        raise DataError(
            f"{verdicts.store}: {verdicts.accounts():,} accounts have a verdict, none of them wrong_fit as its latest; "
            "learn --label wrong_fit needs accounts sales called wrong fit (`whynow feedback ACCOUNT_ID --rep R "
            "--verdict wrong_fit`)"
        )
    return verdicts


def learn_wrong_fit(
    model: CompiledModel,
    data: str,
    start: dt.date,
    end: dt.date,
    verdicts: Verdicts,
    every: int = 7,
    progress: Progress | None = None,
) -> Learned:
    """Replay the model over the dates with the verdicts, fit which surfaced account-dates belong to accounts
    sales called wrong fit, and report the weights (the proposal is the model as it is: no points proposed)."""
    dates = run_dates(start, end, every)
    if len(dates) < 2:
        raise DataError(
            f"learn needs at least two run dates to train and test on; {start}…{end} every {every} gives one"
        )
    with tempfile.TemporaryDirectory(prefix="whynow-learn-") as folder:
        runs = replay(
            model, data, dates, Path(folder) / "store.duckdb", progress, collect=_features_of(model), feedback=verdicts
        )
    assert runs.collected is not None
    table, features = _snapshot_table(model, runs.units, runs.collected, verdicts.given)
    as_of = np.asarray(table["as_of"].to_numpy(zero_copy_only=False))
    test_n = max(1, math.ceil(len(dates) * TEST_SHARE))
    train_dates, test_dates = dates[:-test_n], dates[-test_n:]
    train = np.isin(as_of, np.array(train_dates, dtype=as_of.dtype))
    fitted = _fit(model, model.text, table, features, train, WHAT)
    learned = fitted.report(
        "account",
        train_dates=train_dates,
        test_dates=test_dates,
        precision_at_capacity=None,
        lift_at_capacity=None,
        label="wrong_fit",
        feedback=verdicts.store,
        points=[_points(model, f) for f in features],
    )
    return dataclasses.replace(learned, proposal=model.text, diff=[])


def _snapshot_table(
    model: CompiledModel, units: pa.Table, collected: pa.Table, given: pa.Table
) -> tuple[pa.Table, list[Feature]]:
    """One row per surfaced account-date: x0…xN, the label (its account's latest verdict is wrong_fit), the
    rank_by value."""
    con = duckdb.connect()
    try:
        con.register("units", units)
        con.register("collected", collected)
        con.register("feedback", given)
        wrong_fit = (
            sqlglot.select("1").from_("latest AS v").where("v.account_id = u.account_id AND v.verdict = 'wrong_fit'")
        )
        query = (
            sqlglot.select(
                "c.*", "u.* EXCLUDE (account_id, as_of)", exp.Exists(this=wrong_fit).as_("label"), dialect="duckdb"
            )
            .with_("latest", as_=LATEST, dialect="duckdb")
            .from_("units AS u")
            .join("collected AS c", using=["account_id", "as_of"])
            .where("u.queue = 'surfaced'")
            .order_by("as_of", "account_id", dialect="duckdb")
        )
        base = con.execute(query.sql(dialect="duckdb")).to_arrow_table()
        return _encode(con, base, _rule_features(model, "account"), _other_columns(collected), model, "account")
    finally:
        con.close()


def _points(model: CompiledModel, feature: Feature) -> float | None:
    """The points the model gives now for a rule's feature (None: not a rule)."""
    if feature.rule is None:
        return None
    rules = model.spec.fit.account if feature.kind == "fit" else model.spec.engagement.rules
    return float(rules[feature.rule].points)
