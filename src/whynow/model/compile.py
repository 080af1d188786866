"""Compile a checked condition (a sqlglot tree) to an Ibis expression over a table.

No SQL text is ever assembled: each allowed node maps to the Ibis operation of the same meaning, so
the condition runs unchanged on DuckDB, PostgreSQL and Spark (SPEC §4, §10).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
from sqlglot import exp

from whynow.model.conditions import Condition

_COMPARE: dict[type[exp.Expression], Callable[[Any, Any], Any]] = {
    exp.EQ: operator.eq,
    exp.NEQ: operator.ne,
    exp.LT: operator.lt,
    exp.LTE: operator.le,
    exp.GT: operator.gt,
    exp.GTE: operator.ge,
}
_ARITHMETIC: dict[type[exp.Expression], Callable[[Any, Any], Any]] = {
    exp.Add: operator.add,
    exp.Sub: operator.sub,
    exp.Mul: operator.mul,
    exp.Div: operator.truediv,  # SPEC §4: `/` is real division on every backend
}
_UNARY: dict[type[exp.Expression], Callable[[Any], Any]] = {
    exp.Lower: lambda v: v.lower(),
    exp.Upper: lambda v: v.upper(),
    exp.Length: lambda v: v.length(),
    exp.Abs: lambda v: v.abs(),
    exp.Neg: operator.neg,
}
_VARIADIC: dict[type[exp.Expression], Callable[..., Any]] = {
    exp.Coalesce: ibis.coalesce,
    exp.Least: ibis.least,
    exp.Greatest: ibis.greatest,
}


def compile_predicate(condition: Condition, table: ir.Table) -> ir.BooleanValue:
    """The condition as a boolean column over `table`, NULL read as false (SPEC §4).

    >>> import ibis
    >>> from whynow.model.conditions import check_condition
    >>> from whynow.model.scope import Scope
    >>> t = ibis.memtable({"employees": [50, 500, None]})
    >>> cond = check_condition("employees >= 200", Scope("t", {"employees": "integer"}))
    >>> t.select(big=compile_predicate(cond, t)).to_pyarrow()["big"].to_pylist()
    [False, True, False]
    """
    value = _compile(condition.tree, table)
    return ibis.coalesce(value, ibis.literal(False))


def compile_value(condition: Condition, table: ir.Table) -> ir.Value:
    """The expression's value over `table` (for `rank_by`); NULL stays NULL."""
    return _compile(condition.tree, table)


def _compile(node: exp.Expression, t: ir.Table) -> Any:
    if isinstance(node, exp.Paren):
        return _compile(node.this, t)
    if isinstance(node, exp.Column):
        return t[node.name]
    if isinstance(node, exp.Literal):
        if node.is_string:
            return ibis.literal(node.this, type="string")
        return ibis.literal(int(node.this)) if node.is_int else ibis.literal(float(node.this))
    if isinstance(node, exp.Boolean):
        return ibis.literal(bool(node.this))
    if isinstance(node, exp.Null):
        return ibis.null()
    if isinstance(node, exp.And):
        return _boolean(_compile(node.this, t)) & _boolean(_compile(node.expression, t))
    if isinstance(node, exp.Or):
        return _boolean(_compile(node.this, t)) | _boolean(_compile(node.expression, t))
    if isinstance(node, exp.Not):
        return ~_boolean(_compile(node.this, t))
    if isinstance(node, exp.Is):
        return _compile(node.this, t).isnull()
    if type(node) in _COMPARE:
        left, right = _aligned(_compile(node.this, t), _compile(node.expression, t))
        return _COMPARE[type(node)](left, right)
    if isinstance(node, exp.In):
        left = _compile(node.this, t)
        items = [_aligned(left, _compile(e, t))[1] for e in node.expressions]
        return left.isin(items)
    if isinstance(node, exp.Between):
        value = _compile(node.this, t)
        low = _aligned(value, _compile(node.args["low"], t))[1]
        high = _aligned(value, _compile(node.args["high"], t))[1]
        return value.between(low, high)
    if isinstance(node, exp.Like | exp.ILike):
        value, pattern = _compile(node.this, t), _compile(node.expression, t)
        matched = value.ilike(pattern) if isinstance(node, exp.ILike) else value.like(pattern)
        # sqlglot marks NOT LIKE with a flag on the node, not a Not node (STACK.md)
        return ~matched if node.args.get("negate") else matched
    if type(node) in _ARITHMETIC:
        left, right = _aligned(_compile(node.this, t), _compile(node.expression, t))
        return _ARITHMETIC[type(node)](left, right)
    if type(node) in _UNARY:
        value = _compile(node.this, t)
        return value if value.type().is_null() else _UNARY[type(node)](value)
    if type(node) in _VARIADIC:
        args = [_compile(a, t) for a in (node.this, *node.expressions)]
        return _VARIADIC[type(node)](*args)
    raise TypeError(f"unchecked condition node {node.key}")  # check_condition rejects these first


def _boolean(value: Any) -> Any:
    """A bare NULL in a boolean position (`NOT NULL`, `x AND NULL`) is a boolean NULL."""
    return value.cast("boolean") if value.type().is_null() else value


def _aligned(left: Any, right: Any) -> tuple[Any, Any]:
    """A text literal compared with a date or timestamp is read as one ('2026-11-20'); a bare NULL takes
    the other side's type (`employees + NULL`)."""
    if left.type().is_null() and right.type().is_null():
        return left.cast("float64"), right.cast("float64")
    for a, b, swap in ((left, right, False), (right, left, True)):
        if b.type().is_null() and not a.type().is_null():
            b = b.cast(a.type())
            return (b, a) if swap else (a, b)
        if a.type().is_temporal() and b.type().is_string():
            b = b.cast(a.type())
            return (b, a) if swap else (a, b)
    return left, right
