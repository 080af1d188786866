"""`whynow learn` judges its proposal before offering it (SPEC §9, #23): the proposed model file is replayed
on the test dates beside the current model, with the backtest's machinery (`replay`: real runs, each model
in a store of its own), and both are measured there.

* Account level: on the test account-dates (target accounts without an open opportunity, the backtest's
  units), the AUC of each model's `rank_by` against the outcome, with its interval (learn/honest.py), and
  precision and lift at capacity — the surfaced account-dates, as `backtest --against` counts them.
* Contact level (one run, no capacity): the AUC of each model's fit + engagement against the label on the
  test contacts of learn's split. AUC is then the only measure.
* Both: the counts per lead status, MQA and badge at the last test date, so that a proposal that empties
  a status or a badge shows it.

`--write` refuses a proposal worse than the current model by the chosen measure (`refusal`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp

from whynow.data.validate import Validated
from whynow.learn.backtest import IN_WINDOW, Progress, opportunities, replay, sharing
from whynow.learn.honest import Interval, auc_interval
from whynow.model.check import CompiledModel
from whynow.model.load import load_model_text
from whynow.run import RunResult
from whynow.statements import column_ref, ident, table_ref

Measure = Literal["auc", "lift"]
MEASURES: dict[Measure, str] = {"auc": "AUC", "lift": "lift at capacity"}
Counts = dict[tuple[str, str], int]  # ("lead status", "mql"), ("MQA", "MQA"), ("badge", "demo") → how many


@dataclass(frozen=True)
class Side:
    """One model's figures on the test dates."""

    auc: Interval | None
    precision: float | None = None  # of the surfaced account-dates (account level)
    lift: float | None = None  # that precision ÷ the base rate
    counts: Counts = field(default_factory=dict)  # at the last test date

    def value(self, measure: Measure) -> float | None:
        return (self.auc.auc if self.auc is not None else None) if measure == "auc" else self.lift


@dataclass(frozen=True)
class Judgement:
    """The current model and the proposal, side by side on the test dates."""

    current: Side
    proposed: Side
    last_date: dt.date  # the date of the counts

    def refusal(self, measure: Measure) -> str | None:
        """Why `--write` refuses the proposal (one line), or None when it is no worse by `measure`.

        >>> j = Judgement(Side(None, lift=1.8), Side(None, lift=1.2), dt.date(2026, 11, 6))
        >>> print(j.refusal("lift"))  # doctest: +ELLIPSIS
        the proposal is worse on the test data by lift at capacity: 1.200 against 1.800 for the current model; ...
        >>> j.refusal("auc") is None
        True
        """
        now, proposed = self.current.value(measure), self.proposed.value(measure)
        if now is None or (proposed is not None and proposed >= now):
            return None
        shown = "none" if proposed is None else f"{proposed:.3f}"
        return (
            f"the proposal is worse on the test data by {MEASURES[measure]}: {shown} against {now:.3f} for the "
            "current model; --force writes it anyway"
        )

    def verdict(self, measure: Measure) -> str:
        """One sentence: the proposal against the current model by `measure`, both values shown.

        >>> judged = Judgement(Side(None, lift=1.5), Side(None, lift=2.0), dt.date(2026, 11, 6))
        >>> print(judged.verdict("lift"))  # doctest: +ELLIPSIS
        Judged by lift at capacity: the proposal is better on the test data (2.000 against 1.500 for the ...
        """
        refusal = self.refusal(measure)
        if refusal is not None:
            return f"Judged by {MEASURES[measure]}: {refusal}."
        now, proposed = self.current.value(measure), self.proposed.value(measure)
        if now is None or proposed is None:
            return f"Judged by {MEASURES[measure]}: not measurable on the test data (no surfaced account-dates)."
        word = "better" if proposed > now else "as good"
        return (
            f"Judged by {MEASURES[measure]}: the proposal is {word} on the test data ({proposed:.3f} against "
            f"{now:.3f} for the current model)."
        )


def judge(
    model: CompiledModel,
    proposal: str,
    data: str,
    test_dates: Sequence[dt.date],
    window: int,
    won: bool = False,
    progress: Progress | None = None,
    shared: Validated | None = None,
) -> Judgement:
    """Account level: replay the current model and the proposal on the test dates and measure both (on
    `shared`, the data already opened for the model, when given)."""
    sides = []
    deals = opportunities(model, data, shared)
    with tempfile.TemporaryDirectory(prefix="whynow-judge-") as folder:
        for i, compiled in enumerate((model, load_model_text(proposal, "the proposal"))):
            collect = Collector(compiled, "account")
            same = sharing(shared, model, compiled)
            store = Path(folder) / f"model{i}.duckdb"
            runs = replay(compiled, data, test_dates, store, progress, collect=collect, shared=same)
            assert runs.collected is not None
            sides.append(_account_side(runs.units, runs.collected, deals, window, won, collect.counts))
    return Judgement(sides[0], sides[1], test_dates[-1])


def judge_contacts(
    model: CompiledModel,
    proposal: str,
    data: str,
    day: dt.date,
    test: pa.Table,
    progress: Progress | None = None,
    *,
    shared: Validated | None = None,
    current: tuple[pa.Table, Counts] | None = None,
) -> Judgement:
    """Contact level: one run of each model at `day`; each one's fit + engagement against the label of the
    `test` contacts (contact_id, label). `shared`: the data already opened for the model (`replay`);
    `current`: the model's own run at `day` already collected (contact_id, rank_value; `Collector`'s counts),
    so that only the proposal runs."""
    sides = []
    with tempfile.TemporaryDirectory(prefix="whynow-judge-") as folder:
        for i, compiled in enumerate((model, load_model_text(proposal, "the proposal"))):
            if i == 0 and current is not None:
                ranks, counts = current
            else:
                collect = Collector(compiled, "contact")
                same = sharing(shared, model, compiled)
                store = Path(folder) / f"model{i}.duckdb"
                runs = replay(compiled, data, [day], store, progress, collect=collect, shared=same)
                assert runs.collected is not None
                ranks, counts = runs.collected, collect.counts
            ranked = test.join(ranks.select(["contact_id", "rank_value"]), "contact_id", join_type="inner")
            y, rank, ids = (_array(ranked, c) for c in ("label", "rank_value", "contact_id"))
            auc = auc_interval(y.astype(int), np.nan_to_num(rank.astype(float)), ids)
            sides.append(Side(auc, counts=counts))
    return Judgement(sides[0], sides[1], day)


class Collector:
    """What each run of a judged model gives: each entity's ranking value (`rank_by`; a contact's fit +
    engagement), and, from the latest run, the counts per lead status, MQA and badge."""

    def __init__(self, model: CompiledModel, level: Literal["account", "contact"]) -> None:
        if level == "account":
            rank_by = model.condition("capacity", "rank_by")
            assert rank_by is not None
            rank: exp.Expr = exp.Paren(this=rank_by.tree.copy())
        else:
            rank = _or_zero("fit") + _or_zero("engagement")
        value = exp.Cast(this=rank, to=exp.DataType.build("DOUBLE")).as_(ident("rank_value"))
        self.query = sqlglot.select(column_ref(f"{level}_id"), value).from_(table_ref(f"{level}_status"))
        self.level = level
        self.counts: Counts = {}

    def __call__(self, result: RunResult) -> pa.Table:
        accounts, contacts = result.outputs["account_status"], result.outputs["contact_status"]
        mqa = pc.sum(pc.cast(pc.fill_null(accounts["mqa"], False), pa.int64())).as_py() or 0
        self.counts = {
            **_value_counts(contacts["lead_status"], "lead status"),
            ("MQA", "MQA"): int(mqa),
            **_value_counts(accounts["badge"], "badge"),
        }
        con = duckdb.connect()
        try:
            con.register(f"{self.level}_status", result.outputs[f"{self.level}_status"])
            return con.execute(self.query.sql(dialect="duckdb")).to_arrow_table()
        finally:
            con.close()


def _value_counts(values: pa.ChunkedArray, group: str) -> Counts:
    counted = pc.value_counts(pc.drop_null(values)).to_pylist()  # one row per distinct value, not per entity
    return {(group, str(row["values"])): int(row["counts"]) for row in counted}


def _or_zero(name: str) -> exp.Expr:
    return exp.Coalesce(this=column_ref(name), expressions=[exp.Literal.number(0)])


# The backtest's units of the test dates with each one's ranking value and outcome (IN_WINDOW, as in the
# backtest and learn's snapshots): the AUC is over the target ones, precision over the surfaced ones.
_TEST_UNITS = (
    """
SELECT u.account_id, r.rank_value, coalesce(u.target, FALSE) AS is_target,
       coalesce(u.queue = 'surfaced', FALSE) AS surfaced,
       EXISTS (SELECT 1 FROM deals o WHERE """
    + IN_WINDOW
    + """ AND (NOT $won OR coalesce(o.is_won, FALSE))) AS label
FROM units u JOIN ranks r USING (account_id, as_of)
WHERE NOT coalesce(u.has_open_opportunity, FALSE)
"""
)


def _account_side(units: pa.Table, ranks: pa.Table, deals: pa.Table, window: int, won: bool, counts: Counts) -> Side:
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for name, table in (("units", units), ("ranks", ranks), ("deals", deals)):
            con.register(name, table)
        rows = con.execute(_TEST_UNITS, {"window": window, "won": won}).to_arrow_table()
    finally:
        con.close()
    label, target = _array(rows, "label").astype(bool), _array(rows, "is_target").astype(bool)
    surfaced = _array(rows, "surfaced").astype(bool)
    rank = np.nan_to_num(_array(rows, "rank_value").astype(float))
    auc = auc_interval(label[target].astype(int), rank[target], _array(rows, "account_id")[target])
    precision = float(label[surfaced].mean()) if surfaced.any() else None
    base = float(label[target].mean()) if target.any() else None
    lift = precision / base if precision is not None and base else None
    return Side(auc, precision, lift, counts)


def _array(table: pa.Table, column: str) -> np.ndarray[Any, Any]:
    return np.asarray(table[column].to_numpy(zero_copy_only=False))
