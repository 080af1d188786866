"""What in the data leaves a model's rules silent: the warnings of `whynow run` and `whynow check --data`.

A run on data the model does not fit scores every account 0 and surfaces nothing, and nothing says why.
These checks name the cause, one line each, without stopping the run (exit 0):

* the data has no activities, or none inside the engagement lookback at the as-of date (with the date of
  the newest one, for `--as-of`);
* an engagement rule matches no activity inside the lookback;
* a badge can never fire because a signal it needs has no rows in its window;
* a column the model declares (`columns:`) is empty in every row of its table.

    data_gaps(model, tables, as_of) -> list[str]   one aggregate query per table the checks read

`tables` are the validated inputs (`Validated.tables`); each is read as it stood at the horizon, so a run
warns about what it sees, and `check --data --as-of D` about what a run at D would see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
from sqlglot import exp

from whynow.data.contract import TABLES
from whynow.model.check import CompiledModel, CompiledSignal
from whynow.model.compile import COMPARE, compile_predicate
from whynow.pipeline.context import Context
from whynow.pipeline.horizon import at_horizon
from whynow.pipeline.signals import signal_conditions

# The value a signal takes for an entity with no rows (count and count_distinct 0, exists false, the rest NULL).
_EMPTY: dict[str, exp.Expr] = {"count": exp.Literal.number(0), "count_distinct": exp.Literal.number(0)}
_EMPTY["exists"] = exp.false()


def data_gaps(model: CompiledModel, tables: Mapping[str, ir.Table], as_of: dt.date) -> list[str]:
    """The warnings for `model` on `tables` as of `as_of`, in the order of the list above. Each query reads
    as little as it can: the lookback's rows for the rules, a signal's window for the signal, and the rows
    of an empty signal's `where` only when its window has none."""
    ctx = Context(model, as_of, tables["accounts"]._find_backend().name)
    at = {name: at_horizon(ctx, name, table) for name, table in tables.items()}
    queries: dict[str, dict[str, ir.Scalar]] = {"activities": {"newest": at["activities"].occurred_at.max()}}
    for table, column in _declared(model):
        queries.setdefault(table, {})[f"filled {column}"] = _filled(at[table][column])
    found = {table: _one(at[table], {"rows": at[table].count(), **values}) for table, values in queries.items()}
    recent = at["activities"].filter(
        at["activities"].occurred_at >= ctx.window_start(model.spec.engagement.lookback_days)
    )
    rules = {
        f"rule {i}": compile_predicate(model.conditions[("engagement", "rules", i, "when")], recent).sum()
        for i in range(len(model.spec.engagement.rules))
    }
    found["activities"] |= _one(recent, {"in lookback": recent.count(), **rules})
    signals: dict[str, dict[str, Any]] = {}
    for name, signal in model.signals.items():
        rows = at[signal.table]
        inside = signal_conditions(ctx, signal, rows)
        window = rows.filter(*inside) if inside else rows
        signals[name] = {"rows": _one(window, {"n": window.count()})["n"]}
        if not signals[name]["rows"]:  # the newest row the window missed, for --as-of
            matching = rows.filter(compile_predicate(signal.where, rows)) if signal.where is not None else rows
            time = matching[TABLES[signal.table].time_column]
            signals[name]["newest"] = _one(matching, {"newest": time.max()})["newest"]
    return [
        *_activity_lines(model, found["activities"], as_of),
        *_badge_lines(model, signals, as_of),
        *_empty_column_lines(model, found),
    ]


def _one(table: ir.Table, values: Mapping[str, ir.Scalar]) -> dict[str, Any]:
    """One aggregate row of `table`, as a dict."""
    row: dict[str, Any] = table.aggregate(**values).to_pyarrow().to_pylist()[0]
    return row


def _declared(model: CompiledModel) -> Iterator[tuple[str, str]]:
    for table, columns in model.spec.columns.items():
        for column in columns:
            yield table, column


def _filled(column: ir.Column) -> ir.Scalar:
    """How many rows hold a value: not NULL, and for text not blank."""
    if column.type().is_string():
        return (column.strip().length() > 0).fill_null(False).sum()
    return column.count()


def _activity_lines(model: CompiledModel, found: Mapping[str, Any], as_of: dt.date) -> Iterator[str]:
    """Only for a model with engagement rules: without them, activities matter to signals alone."""
    lookback = model.spec.engagement.lookback_days
    if not model.spec.engagement.rules:
        return
    if not found["rows"]:
        yield (
            f"the data has no activities before {as_of + dt.timedelta(days=1)}: every engagement is 0 and no "
            "contact is engaged; add an activities table (or check --as-of)"
        )
        return
    if not found["in lookback"]:
        newest = found["newest"].date()
        yield (
            f"no activity falls inside the engagement lookback ({lookback} days before {as_of}); the newest is "
            f"from {newest}, so every engagement is 0: run with --as-of {newest} to score the data as of then"
        )
        return
    for i, rule in enumerate(model.spec.engagement.rules):
        if not found[f"rule {i}"]:
            yield (
                f"{_where(model, ('engagement', 'rules', i))}engagement rule '{rule.name}' ({rule.when}) matches no "
                f"activity in the lookback ({lookback} days to {as_of}): it adds nothing; compare it with the "
                "activity types in the data (a model from `whynow init --data` lists them with counts)"
            )


def _badge_lines(model: CompiledModel, found: Mapping[str, Mapping[str, Any]], as_of: dt.date) -> Iterator[str]:
    """A badge whose condition cannot be true while a signal it reads has no rows in its window."""
    empty = {name for name in model.signals if not found[name]["rows"]}
    for i, badge in enumerate(model.spec.badges.definitions):
        condition = model.conditions[("badges", "definitions", i, "when")]
        needed = sorted(name for name in condition.names & empty if _never_true(condition.tree, {name}, model))
        if not needed:
            continue
        signal = model.signals[needed[0]]
        newest = found[signal.name]["newest"]
        if signal.within_days is None or newest is None:
            what = f"no row of {_rows_of(signal)} before {as_of + dt.timedelta(days=1)}"
            advice = "check the signal's from: and where: against the data"
        else:
            what = f"no row in its {signal.within_days} days to {as_of} (the newest row of {_rows_of(signal)} is "
            what += f"from {_day(newest)})"
            advice = f"a run with --as-of {_day(newest)} would see it"
        where = _where(model, ("badges", "definitions", i, "when"), ("badges", "definitions", i))
        yield (
            f"{where}badge '{badge.id}' cannot fire as of {as_of}: it needs"
            f" signal '{signal.name}', which has {what}; {advice}"
        )


def _rows_of(signal: CompiledSignal) -> str:
    return signal.table + (f" where {signal.where.text}" if signal.where is not None else "")


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _empty_column_lines(model: CompiledModel, found: Mapping[str, Mapping[str, Any]]) -> Iterator[str]:
    for table, column in _declared(model):
        rows = found[table]["rows"]
        if rows and not found[table][f"filled {column}"]:
            yield (
                f"{_where(model, ('columns', table, column))}{table}.{column}, declared under columns:, is empty in "
                f"all {rows:,} rows of {table}: every rule that reads it sees NULL; fill it in the export or "
                "remove it"
            )


def _where(model: CompiledModel, *paths: tuple[str | int, ...]) -> str:
    """`file:line: ` of the first of `paths` the model has a line for."""
    line = next((model.lines[path] for path in paths if path in model.lines), None)
    return f"{model.file}:{line}: " if line else ""


@dataclass(frozen=True)
class _Folded:
    """A condition's node folded with some signals at their empty value: a constant (`value`, None for
    NULL) when `known`, else depending on the row."""

    known: bool
    value: Any = None


_UNKNOWN = _Folded(False)


def _never_true(tree: exp.Expr, signals: set[str], model: CompiledModel) -> bool:
    """Whether `tree`, with `signals` at their empty value (no rows), is never true whatever the row: FALSE
    or NULL once folded, through AND (any part never true) and OR (every part never true)."""
    if isinstance(tree, exp.Paren):
        return _never_true(tree.this, signals, model)
    if isinstance(tree, exp.And):
        return _never_true(tree.left, signals, model) or _never_true(tree.right, signals, model)
    if isinstance(tree, exp.Or):
        return _never_true(tree.left, signals, model) and _never_true(tree.right, signals, model)
    folded = _fold(tree, signals, model)
    return folded.known and folded.value is not True


def _fold(node: exp.Expr, signals: set[str], model: CompiledModel) -> _Folded:
    """Constant folding of the few node kinds that decide most conditions; anything else is unknown."""
    if isinstance(node, exp.Paren):
        return _fold(node.this, signals, model)
    if isinstance(node, exp.Column) and node.name in signals:
        empty = _EMPTY.get(model.signals[node.name].measure.kind, exp.null())
        return _fold(empty, signals, model)
    if isinstance(node, exp.Null):
        return _Folded(True, None)
    if isinstance(node, exp.Boolean):
        return _Folded(True, node.this)
    if isinstance(node, exp.Literal):
        return _Folded(True, node.this if node.is_string else float(node.this))
    if isinstance(node, exp.Not):
        inner = _fold(node.this, signals, model)
        return _Folded(True, None if inner.value is None else not inner.value) if inner.known else _UNKNOWN
    if isinstance(node, exp.Is):  # IS NULL; IS NOT NULL is Not(Is)
        inner = _fold(node.this, signals, model)
        return _Folded(True, inner.value is None) if inner.known and isinstance(node.expression, exp.Null) else _UNKNOWN
    if isinstance(node, exp.Coalesce):
        for part in [node.this, *node.expressions]:
            folded = _fold(part, signals, model)
            if not folded.known:
                return _UNKNOWN
            if folded.value is not None:
                return folded
        return _Folded(True, None)
    if isinstance(node, (exp.Between, exp.In)):  # NULL BETWEEN … and NULL IN (…) are NULL
        tested = _fold(node.this, signals, model)
        return _Folded(True, None) if tested.known and tested.value is None else _UNKNOWN
    if isinstance(node, (exp.And, exp.Or, exp.NullSafeEQ, exp.NullSafeNEQ)):  # the last two are true of NULLs
        return _UNKNOWN
    if isinstance(node, exp.Binary):  # comparisons and arithmetic: NULL in, NULL out
        left, right = _fold(node.left, signals, model), _fold(node.right, signals, model)
        if (left.known and left.value is None) or (right.known and right.value is None):
            return _Folded(True, None)
        kind: Any = type(node)
        compare = COMPARE.get(kind)
        if left.known and right.known and compare is not None:
            try:
                return _Folded(True, compare(left.value, right.value))
            except TypeError:
                return _UNKNOWN
    return _UNKNOWN
