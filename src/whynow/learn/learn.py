"""`whynow learn` (SPEC §9): let won and lost deals propose the points.

Account × as-of snapshots come from real runs of the model (the backtest's replay). Their features are the
model's own parts, read from each run's outputs: each account fit rule that held (0/1), each engagement
rule's points (the account's contacts' rows and its anonymous rows), each numeric or boolean account
signal, the committee measures, and the model's declared accounts columns as 0/1 features a rule could
hold on (a frequent text value, a yes/no, a number above one of its quintiles). The label is an outcome as
the backtest defines it (an opportunity created in the window after the date, or a won one), for target
accounts with no open opportunity then (the account-dates the backtest's base rate is over).

It trains an L1-regularised logistic regression (scikit-learn) on the earlier dates and tests on the last
30 % of them, and reports on the test dates its AUC next to the AUC of the model's current `rank_by`,
precision and lift at capacity, and a calibration table. It proposes new points for the rules, rules from
the declared columns, and the thresholds that move with them (`propose.py`), and judges the proposal by
replaying it on the test data (`judge.py`).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
import sqlglot
from sqlglot import exp

from whynow.data.validate import Validated
from whynow.errors import DataError
from whynow.learn.backtest import IN_WINDOW, Progress, opportunities, prepared, replay, run_dates
from whynow.learn.honest import Honest, evaluate
from whynow.learn.judge import Collector, Counts, Judgement, judge, judge_contacts
from whynow.learn.propose import Feature, Level, propose
from whynow.model.check import CompiledModel
from whynow.run import RunResult
from whynow.statements import column_ref, ident, table_ref

Label = Literal["opportunity", "won"]
TEST_SHARE = 0.3
COMMITTEE = ("engaged_contacts", "activities", "anonymous_activities", "committee_roles_engaged", "mql_contacts")
CONTACT_MEASURES = ("engaged", "hand_raised", "recent_activities")
FREQUENT = 0.01  # a text value is one-hot encoded when at least this share of snapshots has it
MOST_VALUES = 20  # and at most this many values per column


@dataclass
class Learned:
    level: Level
    features: list[Feature]
    coefficients: list[float]  # per unit of each feature
    train_dates: list[dt.date]
    test_dates: list[dt.date]
    snapshots: int
    positives: int
    auc: float | None
    auc_rank_by: float | None
    precision_at_capacity: float | None
    lift_at_capacity: float | None
    base_rate: float | None
    calibration: list[dict[str, float]]
    accuracy: float | None  # at a probability of 0.5 (contact level: to compare with published baselines)
    proposal: str  # the model file with the proposed points
    diff: list[str]
    label: str = "opportunity"  # what was learned: opportunity, won, wrong_fit, or the contacts column
    feedback: str | None = None  # --label wrong_fit: the store whose verdicts were the label
    points: list[float | None] = field(default_factory=list)  # --label wrong_fit: each feature's rule's points now
    honest: Honest | None = None  # the test AUCs with their intervals, and the opaque baseline's (#23)
    judgement: Judgement | None = None  # the proposal replayed beside the model on the test data (#23)


def _features_of(
    model: CompiledModel, level: Level = "account", label: str | None = None
) -> Callable[[RunResult], pa.Table]:
    """What a run contributes to the snapshots: one row per account (or contact), the features as columns
    (and, at the contact level, the label column)."""
    fit_rules = [rule.name for rule in getattr(model.spec.fit, level)]
    engagement_rules = [rule.name for rule in model.spec.engagement.rules]
    signals = [name for name, signal in model.signals.items() if signal.level == level]
    roles = [f"engaged_{role}" for role in model.spec.buying_committee.roles] if level == "account" else []
    declared = [c for c in model.spec.columns.get("accounts" if level == "account" else "contacts", {}) if c != label]
    committee = COMMITTEE if level == "account" else CONTACT_MEASURES
    if level == "account":
        rank_by = model.condition("capacity", "rank_by")
        assert rank_by is not None
        rank: exp.Expr = rank_by.tree
    else:
        rank = _or_zero(column_ref("fit")) + _or_zero(column_ref("engagement"))
    key = "account_id" if level == "account" else "contact_id"
    selected = [_of("a", key), _cast(exp.Paren(this=rank.copy()), "DOUBLE").as_(ident("rank_value"))]
    if label:
        selected.append(_of("a", label).as_(ident("label_value")))
    for i, rule in enumerate(fit_rules):
        held = _of("b", "part").eq(exp.Literal.string("fit")).and_(_of("b", "rule").eq(exp.Literal.string(rule)))
        any_held = exp.Coalesce(this=exp.Anonymous(this="bool_or", expressions=[held]), expressions=[exp.false()])
        selected.append(_cast(any_held, "INTEGER").as_(ident(f"fit {i}")))
    for i, rule in enumerate(engagement_rules):
        engaged = _of("b", "part").isin("engagement", "anonymous").and_(_of("b", "rule").eq(exp.Literal.string(rule)))
        points = exp.Filter(this=exp.Sum(this=_of("b", "points")), expression=exp.Where(this=engaged))
        selected.append(_or_zero(points).as_(ident(f"engagement {i}")))
    selected += [_of("a", c) for c in [*signals, *committee, *roles, *declared]]
    query = (
        sqlglot.select(*selected)
        .with_(ident("rows"), as_=_breakdown_rows(level))
        .from_(_alias(f"{level}_status", "a"))
        .join(_alias("rows", "b"), on=_of("b", key).eq(_of("a", key)), join_type="LEFT")
        .group_by(exp.var("ALL"))
        .order_by(_of("a", key))
        .sql(dialect="duckdb")
    )  # built once: every run's outputs are read by the same statement

    def collect(result: RunResult) -> pa.Table:
        con = duckdb.connect()
        try:
            for name in ("account_status", "contact_status", "score_breakdown"):
                con.register(name, result.outputs[name])
            return con.execute(query).to_arrow_table()
        finally:
            con.close()

    return collect


def _breakdown_rows(level: Level) -> exp.Query:
    """The score_breakdown rows of the level's entities (key, part, rule, points); at the account level its
    contacts' rows too, each under the contact's account."""
    key = "account_id" if level == "account" else "contact_id"
    own = (
        sqlglot.select(column_ref("entity_id").as_(ident(key)), *map(column_ref, ("part", "rule", "points")))
        .from_(table_ref("score_breakdown"))
        .where(_is_entity(column_ref("entity_type"), level))
    )
    if level == "contact":
        return own
    b, c = _alias("score_breakdown", "b"), _alias("contact_status", "c")
    contacts = (
        sqlglot.select(_of("c", "account_id"), *(_of("b", name) for name in ("part", "rule", "points")))
        .from_(b)
        .join(c, on=_of("c", "contact_id").eq(_of("b", "entity_id")))
        .where(_is_entity(_of("b", "entity_type"), "contact"))
    )
    return own.union(contacts, distinct=False)


def _is_entity(entity_type: exp.Expr, level: Level) -> exp.Expr:
    return entity_type.eq(exp.Literal.string(level))


def _alias(table: str, alias: str) -> exp.Table:
    """table AS alias."""
    return exp.Table(this=ident(table), alias=exp.TableAlias(this=ident(alias)))


def _of(alias: str, column: str) -> exp.Column:
    """alias.column."""
    return exp.column(ident(column), table=ident(alias))


def _or_zero(value: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])


def _cast(value: exp.Expr, kind: str) -> exp.Cast:
    return exp.Cast(this=value, to=exp.DataType.build(kind))


def learn(
    model: CompiledModel,
    text: str,
    data: str,
    start: dt.date,
    end: dt.date,
    every: int = 7,
    window: int = 90,
    label: Label = "opportunity",
    progress: Progress | None = None,
    new_rules: bool = True,
) -> Learned:
    """Account level: replay the model over the dates, build the snapshots, fit on the earlier dates, test
    on the last 30% of them and propose points (`new_rules`: and rules from the declared columns)."""
    dates = run_dates(start, end, every)
    if len(dates) < 2:
        raise DataError(
            f"learn needs at least two run dates to train and test on; {start}…{end} every {every} gives one"
        )
    with prepared(model, data) as shared:  # read once, for the model's runs and the proposal's
        with tempfile.TemporaryDirectory(prefix="whynow-learn-") as folder:
            store = Path(folder) / "store.duckdb"
            runs = replay(model, data, dates, store, progress, collect=_features_of(model), shared=shared)
        assert runs.collected is not None
        deals = opportunities(model, data, shared)
        table, features = _snapshot_table(model, runs.units, runs.collected, deals, window, label)
        as_of = np.asarray(table["as_of"].to_numpy(zero_copy_only=False))
        test_n = max(1, math.ceil(len(dates) * TEST_SHARE))
        train_dates, test_dates = dates[:-test_n], dates[-test_n:]
        train = np.isin(as_of, np.array(train_dates, dtype=as_of.dtype))
        what = f"{'won ' if label == 'won' else ''}opportunity"
        learned = _fit(model, text, table, features, train, what, new_rules)
        test = ~train
        precision, base = _at_capacity(learned.scores, learned.y[test], as_of[test], runs.capacity)
        won = label == "won"
        judged = (
            judge(model, learned.proposal, data, test_dates, window, won, progress, shared) if learned.diff else None
        )
    return learned.report(
        "account",
        train_dates=train_dates,
        test_dates=test_dates,
        precision_at_capacity=precision,
        lift_at_capacity=precision / base if precision is not None and base else None,
        label=label,
        honest=evaluate(table, len(features), train, learned.scores, "account_id"),
        judgement=judged,
    )


def learn_contacts(
    model: CompiledModel,
    text: str,
    data: str,
    label: str,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    new_rules: bool = True,
) -> Learned:
    """Contact level, for lead scoring without dates: one run, the contacts' features, a contacts column as
    the label; a stratified random 70/30 split (seeded, so the same data give the same figures)."""
    if label not in model.spec.columns.get("contacts", {}):
        raise DataError(
            f"--label {label}: declare it under columns: contacts: in {model.file} (e.g. `{label}: boolean`), "
            "so that the run reads it"
        )
    day = as_of or dt.datetime.now(dt.UTC).date()
    with prepared(model, data) as shared:  # read once, for the model's run and the proposal's
        learned, test, current = _learn_contacts(model, text, data, label, day, shared, progress, new_rules)
        judged = (
            judge_contacts(model, learned.proposal, data, day, test, progress, shared=shared, current=current)
            if learned.diff
            else None
        )
    return learned.report(
        "contact", train_dates=[day], test_dates=[day], precision_at_capacity=None, lift_at_capacity=None, label=label,
        honest=evaluate(learned.table, len(learned.features), learned.train, learned.scores, "contact_id"),
        judgement=judged,
    )  # fmt: skip


def _learn_contacts(
    model: CompiledModel, text: str, data: str, label: str, day: dt.date, shared: Validated,
    progress: Progress | None, new_rules: bool,
) -> tuple[_Fitted, pa.Table, tuple[pa.Table, Counts]]:  # fmt: skip
    """The model's run at `day`, its contacts' features fitted; the test contacts (contact_id, label); the
    run's ranking values and counts, the current model's side when the proposal is judged."""
    from sklearn.model_selection import train_test_split

    features_of, counted = _features_of(model, "contact", label), Collector(model, "contact")

    def collect(result: RunResult) -> pa.Table:
        counted(result)
        return features_of(result)

    with tempfile.TemporaryDirectory(prefix="whynow-learn-") as folder:
        runs = replay(model, data, [day], Path(folder) / "store.duckdb", progress, collect=collect, shared=shared)
    assert runs.collected is not None
    collected = runs.collected
    con = duckdb.connect()
    try:
        con.register("collected", collected)
        base = con.execute(
            "SELECT * EXCLUDE (label_value), CASE WHEN label_value IS NULL THEN NULL "
            "ELSE lower(CAST(label_value AS VARCHAR)) IN ('1', '1.0', 'true', 'yes', 'y', 't') END AS label "
            "FROM collected WHERE label_value IS NOT NULL ORDER BY contact_id"
        ).to_arrow_table()  # in a fixed order: the seeded split picks the same rows every time
        table, features = _encode(
            con, base, _rule_features(model, "contact"), _other_columns(collected), model, "contact"
        )
    finally:
        con.close()
    y = np.asarray(table["label"].to_numpy(zero_copy_only=False), dtype=int)
    rows = np.arange(table.num_rows)
    train_rows, _ = train_test_split(
        rows, test_size=TEST_SHARE, stratify=y if len(set(y)) == 2 else None, random_state=0
    )
    train = np.isin(rows, train_rows)
    learned = _fit(model, text, table, features, train, f"contact with {label}", new_rules)
    test = table.filter(pa.array(~train)).select(["contact_id", "label"])
    return learned, test, (collected.select(["contact_id", "rank_value"]), counted.counts)


@dataclass
class _Fitted:
    """A fitted model and its test figures, before the level adds its own."""

    table: pa.Table  # the snapshots: x0…xN, the label
    features: list[Feature]
    coefficients: list[float]
    y: np.ndarray[Any, Any]
    train: np.ndarray[Any, Any]
    scores: np.ndarray[Any, Any]  # of the test rows
    auc: float | None
    auc_rank_by: float | None
    proposal: str
    diff: list[str]

    def report(self, level: Level, **figures: Any) -> Learned:
        test = self.y[~self.train]
        return Learned(
            level=level,
            features=self.features,
            coefficients=self.coefficients,
            snapshots=len(self.y),
            positives=int(self.y.sum()),
            auc=self.auc,
            auc_rank_by=self.auc_rank_by,
            base_rate=float(test.mean()) if len(test) else None,
            calibration=_calibration(self.scores, test),
            accuracy=float(((self.scores >= 0.5) == test).mean()) if len(test) else None,
            proposal=self.proposal,
            diff=self.diff,
            **figures,
        )


def _fit(
    model: CompiledModel, text: str, table: pa.Table, features: list[Feature], train: np.ndarray[Any, Any], what: str,
    new_rules: bool = False,
) -> _Fitted:  # fmt: skip
    """Standardise, fit an L1 logistic regression (its strength chosen by cross-validated AUC on the training
    rows), score the test rows, and turn the weights into proposed points."""
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    x = np.column_stack([np.nan_to_num(np.asarray(table[f"x{i}"].to_numpy(zero_copy_only=False), dtype=float))
                         for i in range(len(features))]) if features else np.zeros((table.num_rows, 0))  # fmt: skip
    y = np.asarray(table["label"].to_numpy(zero_copy_only=False), dtype=int)
    rank_values = np.nan_to_num(np.asarray(table["rank_value"].to_numpy(zero_copy_only=False), dtype=float))
    test = ~train
    if not train.any() or len(set(y[train])) < 2:
        raise DataError(f"learn needs snapshots with and without an {what} to train on; widen the dates or window")
    scaler = StandardScaler().fit(x[train])
    spread = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    fitted = _l1_logistic(scaler.transform(x[train]), y[train])
    coefficients = list(fitted.coef_[0] / spread)
    scores = fitted.predict_proba(scaler.transform(x[test]))[:, 1] if test.any() else np.zeros(0)
    both = len(set(y[test])) == 2
    level: Level = "contact" if "contact_id" in table.column_names else "account"
    proposal, diff = propose(model, text, features, coefficients, x[train], level, new_rules)  # training rows' shares
    return _Fitted(
        table=table,
        features=features,
        coefficients=coefficients,
        y=y,
        train=train,
        scores=scores,
        auc=float(roc_auc_score(y[test], scores)) if both else None,
        auc_rank_by=float(roc_auc_score(y[test], rank_values[test])) if both else None,
        proposal=proposal,
        diff=diff,
    )


STRENGTHS = 7  # the regularisation strengths tried: one that keeps no weight, then six ever weaker
SEARCH_TOLERANCE = 1e-3  # liblinear's while the strength is chosen: the ranking's AUC, not the weights, decides


def _l1_logistic(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> Any:
    """An L1 logistic regression on standardised `x`: its strength chosen by 3-fold cross-validated AUC among
    `STRENGTHS` values around the smallest C that lets a weight be non-zero (`l1_min_c`) — from 10^-0.5 times
    it, where every weight is 0 (what is chosen when no feature helps), to 10^3.5 times — searched with a
    loose tolerance, then fitted once at that strength with liblinear's default one. Ten strengths from 1e-4
    to 1e4, each fitted to the default tolerance, cost X Education's leads 10 s for the same AUC."""
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.svm import l1_min_c

    common: dict[str, Any] = {"solver": "liblinear", "max_iter": 1000, "random_state": 0}
    try:
        strengths: Any = list(l1_min_c(x, y, loss="log") * np.logspace(-0.5, 3.5, STRENGTHS))
    except ValueError:  # every feature constant: nothing to regularise, the usual grid
        strengths = 10
    search = LogisticRegressionCV(
        l1_ratios=(1.0,), Cs=strengths, cv=3, scoring="roc_auc", tol=SEARCH_TOLERANCE, refit=False,
        use_legacy_attributes=False, **common,
    ).fit(x, y)  # fmt: skip
    strength = float(np.atleast_1d(search.C_)[0])
    return LogisticRegression(l1_ratio=1.0, C=strength, **common).fit(x, y)


def _snapshot_table(
    model: CompiledModel, units: pa.Table, collected: pa.Table, deals: pa.Table, window: int, label: Label
) -> tuple[pa.Table, list[Feature]]:
    """One row per target account and date without an open opportunity (the backtest's units of the base
    rate): x0…xN, the label, the rank_by columns."""
    features, numeric = _rule_features(model, "account"), _other_columns(collected)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("units", units)
        con.register("collected", collected)
        con.register("deals", deals)
        outcome = sqlglot.condition(IN_WINDOW, dialect="duckdb")
        if label == "won":
            outcome = outcome.and_(sqlglot.condition("coalesce(o.is_won, FALSE)", dialect="duckdb"))
        labelled = exp.Exists(this=sqlglot.select("1").from_("deals AS o").where(outcome)).as_("label")
        query = (
            sqlglot.select("c.*", "u.* EXCLUDE (account_id, as_of)", labelled, dialect="duckdb")
            .from_("units AS u")
            .join("collected AS c", using=["account_id", "as_of"])
            .where("coalesce(u.target, FALSE) AND NOT coalesce(u.has_open_opportunity, FALSE)", dialect="duckdb")
            .order_by("as_of", "account_id", dialect="duckdb")
        )
        base = con.execute(query.sql(dialect="duckdb"), {"window": window}).to_arrow_table()
        table, encoded = _encode(con, base, features, numeric, model, "account")
    finally:
        con.close()
    return table, encoded


def _rule_features(model: CompiledModel, level: Level) -> list[Feature]:
    """A feature per fit rule of the level (held: 0/1) and per engagement rule (its points)."""
    features = [Feature(f"fit: {r.name}", "fit", i, level) for i, r in enumerate(getattr(model.spec.fit, level))]
    return features + [
        Feature(f"engagement: {r.name}", "engagement", i) for i, r in enumerate(model.spec.engagement.rules)
    ]


def _other_columns(collected: pa.Table) -> list[str]:
    """The collected columns that are features but not rules: signals, measures, declared columns."""
    kept = ("account_id", "contact_id", "as_of", "rank_value", "label_value")
    return [c for c in collected.column_names if c not in kept and not c.startswith(("fit ", "engagement "))]


def _encode(
    con: duckdb.DuckDBPyConnection, base: pa.Table, rules: list[Feature], numeric: Sequence[str], model: CompiledModel,
    level: Level,
) -> tuple[pa.Table, list[Feature]]:  # fmt: skip
    """`base` with the features as x0…xN: the rules' columns as they are, numbers and booleans as numbers
    (NULL as 0), text one-hot for its frequent values; a declared column's features are 0/1 (a value, a yes, a
    number above one of its quintiles), each with the `when` of the fit rule learn may propose for it."""
    declared = model.spec.columns.get("accounts" if level == "account" else "contacts", {})
    columns: list[tuple[Feature, exp.Expr]] = [
        (f, column_ref(f"fit {f.rule}" if f.kind == "fit" else f"engagement {f.rule}")) for f in rules
    ]
    con.register("base", base)
    for name in numeric:
        kind = base.schema.field(name).type
        group: Literal["signal", "committee", "column"] = (
            "committee" if name in COMMITTEE or name in CONTACT_MEASURES or name.startswith("engaged_") else
            "column" if name in declared else "signal"
        )  # fmt: skip
        column = column_ref(name)
        # A declared column's features are 0/1, each the `when` of a fit rule learn may propose.
        when = functools.partial(_as_written, name) if group == "column" else lambda _: None
        if pa.types.is_string(kind):
            at_least = max(1, math.ceil(FREQUENT * base.num_rows))
            for (value,) in con.execute(_frequent_values(name, at_least)).fetchall():
                is_value = column.eq(exp.Literal.string(str(value)))
                feature = Feature(f"{group}: {name} = {value}", group, when=when(is_value))
                columns.append((feature, _cast(_or_false(is_value), "INTEGER")))
        elif pa.types.is_boolean(kind):
            columns.append((Feature(f"{group}: {name}", group, when=when(column)), _cast(_or_false(column), "INTEGER")))
        elif not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
            continue
        elif group == "column":  # a number above each of its quantiles: a rule's points, not a slope
            for (threshold,) in con.execute(_quantiles(name)).fetchall():
                above = column > exp.Literal.number(_written(threshold))
                feature = Feature(f"{group}: {name} > {_written(threshold)}", group, when=when(above))
                columns.append((feature, _cast(_or_false(above), "INTEGER")))
        else:
            columns.append((Feature(f"{group}: {name}", group), _cast(_or_zero(column), "DOUBLE")))
    label = column_ref("label")
    features = [value.as_(ident(f"x{i}")) for i, (_, value) in enumerate(columns)]
    everything = sqlglot.select(_cast(label, "INTEGER").as_(ident("label")), exp.Star(except_=[label]), *features)
    table = con.execute(everything.from_(table_ref("base")).sql(dialect="duckdb")).to_arrow_table()
    return table, [f for f, _ in columns]


def _as_written(name: str, condition: exp.Expr) -> str:
    """A declared column's condition as a model's `when` writes it: names without quotes (a declared
    column's name is one the model language can write)."""
    bare = exp.column(exp.to_identifier(name, quoted=False))
    return condition.transform(lambda n: bare.copy() if n == column_ref(name) else n).sql(dialect="duckdb")


QUANTILES = (0.2, 0.4, 0.6, 0.8)  # a declared number's features: above each of these quantiles of its values


def _quantiles(name: str) -> str:
    """The column's distinct values at `QUANTILES` of `base`, below its largest (above which nothing is)."""
    column = column_ref(name)
    at = exp.Array(expressions=[exp.Literal.number(q) for q in QUANTILES])
    values = exp.Anonymous(this="quantile_disc", expressions=[column, at])
    largest = sqlglot.select(exp.Max(this=column)).from_(table_ref("base")).subquery()
    picked = sqlglot.select(exp.Explode(this=values).as_(ident("q"))).from_(table_ref("base")).subquery(ident("p"))
    return (
        sqlglot.select(column_ref("q"))
        .distinct()
        .from_(picked)
        .where(column_ref("q").is_(exp.null()).not_().and_(column_ref("q") < largest))
        .order_by(column_ref("q"))
        .sql(dialect="duckdb")
    )


def _written(value: float) -> str:
    """A threshold as a rule writes it: 600, not 600.0."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _or_false(value: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=value, expressions=[exp.false()])


def _frequent_values(name: str, at_least: int) -> str:
    """The column's values that at least `at_least` rows of `base` hold, the most held first (at most
    MOST_VALUES)."""
    rows = exp.Count(this=exp.Star())
    return (
        sqlglot.select(column_ref(name).as_(ident("v")))
        .from_(table_ref("base"))
        .where(column_ref(name).is_(exp.null()).not_())
        .group_by(exp.Literal.number(1))
        .having(rows >= at_least)
        .order_by(rows.desc(), column_ref("v"))
        .limit(MOST_VALUES)
        .sql(dialect="duckdb")
    )


def _at_capacity(
    scores: np.ndarray[Any, Any], y: np.ndarray[Any, Any], dates: np.ndarray[Any, Any], capacity: dict[dt.date, int]
) -> tuple[float | None, float | None]:
    """Precision of each test date's top `capacity` snapshots by score, over all test dates; the base rate."""
    if not len(y):
        return None, None
    chosen = hits = 0
    for day in sorted(set(dates.tolist())):  # a loop over dates, not rows
        mine = dates == day
        k = min(int(capacity.get(day, 0)), int(mine.sum()))
        if k:
            top = np.argsort(-scores[mine], kind="stable")[:k]
            chosen, hits = chosen + k, hits + int(y[mine][top].sum())
    return (hits / chosen if chosen else None), float(y.mean())


def _calibration(scores: np.ndarray[Any, Any], y: np.ndarray[Any, Any], bins: int = 10) -> list[dict[str, float]]:
    """Snapshots in `bins` groups of predicted probability: count, mean predicted, observed rate."""
    if not len(y):
        return []
    order = np.argsort(scores, kind="stable")
    return [
        {"snapshots": float(len(part)), "predicted": float(scores[part].mean()), "observed": float(y[part].mean())}
        for part in np.array_split(order, min(bins, len(order)))
        if len(part)
    ]
