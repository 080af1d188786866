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

COMPARE: dict[type[exp.Expression], Callable[[Any, Any], Any]] = {  # SQL comparison → Python operator
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
    value = _Compiler(condition, table).operands("boolean", condition.tree)[0]
    return ibis.coalesce(value, ibis.literal(False))


def compile_value(condition: Condition, table: ir.Table) -> ir.Value:
    """The expression's value over `table` (for `rank_by`); NULL stays NULL."""
    value: ir.Value = _Compiler(condition, table).operands("float64", condition.tree)[0]
    return value


def _real(value: Any) -> Any:
    """Arithmetic is computed in DOUBLE: `employees * employees * employees` may not fit a 64-bit integer,
    and DuckDB stops the run on integer overflow where a double only loses digits past 2**53."""
    return value.cast("float64") if value.type().is_integer() else value


class _Compiler:
    """Compiles one checked condition; knows which of its nodes are NULL whatever the row."""

    def __init__(self, condition: Condition, table: ir.Table) -> None:
        self.untyped = condition.untyped
        self.t = table

    def compile(self, node: exp.Expression) -> Any:
        t, operands = self.t, self.operands
        if isinstance(node, exp.Paren):
            return self.compile(node.this)
        if isinstance(node, exp.Column):
            return t[node.name]
        if isinstance(node, exp.Literal):
            if node.is_string:
                return ibis.literal(node.this, type="string")
            number = int(node.this) if node.is_int else float(node.this)
            if isinstance(number, int) and abs(number) >= 2**63:
                number = float(number)  # beyond a 64-bit integer: compare as a real number
            return ibis.literal(number)
        if isinstance(node, exp.Boolean):
            return ibis.literal(bool(node.this))
        if isinstance(node, exp.Null):
            return ibis.null()
        if isinstance(node, exp.And | exp.Or):
            left, right = operands("boolean", node.this, node.expression)
            return left & right if isinstance(node, exp.And) else left | right
        if isinstance(node, exp.Not):
            return ~operands("boolean", node.this)[0]
        if isinstance(node, exp.Is):
            return operands("string", node.this)[0].isnull()
        if type(node) in COMPARE:
            if any(id(n) in self.untyped for n in (node.this, node.expression)):
                # SQL: a comparison with NULL is NULL (SPEC §4). Ibis would print `x = NULL` as `x IS NULL`.
                return ibis.null("boolean")
            return COMPARE[type(node)](*operands("float64", node.this, node.expression))
        if isinstance(node, exp.In):
            value, *items = operands("float64", node.this, *node.expressions)
            return value.isin(items)
        if isinstance(node, exp.Between):
            value, low, high = operands("float64", node.this, node.args["low"], node.args["high"])
            return value.between(low, high)
        if isinstance(node, exp.Like | exp.ILike):
            value, pattern = operands("string", node.this, node.expression)
            matched = value.ilike(pattern) if isinstance(node, exp.ILike) else value.like(pattern)
            # sqlglot marks NOT LIKE with a flag on the node, not a Not node (STACK.md)
            return ~matched if node.args.get("negate") else matched
        if type(node) in _ARITHMETIC:
            left, right = (_real(v) for v in operands("float64", node.this, node.expression))
            return _ARITHMETIC[type(node)](left, right)
        if type(node) in _UNARY:
            textual = isinstance(node, exp.Lower | exp.Upper | exp.Length)
            value = operands("string" if textual else "float64", node.this)[0]
            return _UNARY[type(node)](value if textual else _real(value))
        if type(node) in _VARIADIC:
            return _VARIADIC[type(node)](*operands("float64", node.this, *node.expressions))
        raise TypeError(f"unchecked condition node {node.key}")  # check_condition rejects these first

    def operands(self, fallback: str, *nodes: exp.Expression) -> list[Any]:
        """Compile the operands of one operation so they agree: an always-NULL operand takes the type of the
        first typed one (else `fallback`); a text literal beside a date or timestamp is read as one."""
        values = [self.compile(n) for n in nodes]
        null = [id(n) in self.untyped or v.type().is_null() for n, v in zip(nodes, values, strict=True)]
        typed = [v.type() for v, is_null in zip(values, null, strict=True) if not is_null]
        temporal = next((ty for ty in typed if ty.is_temporal()), None)
        target = temporal or (typed[0] if typed else fallback)
        out = []
        for value, is_null in zip(values, null, strict=True):
            if is_null:
                value = ibis.null(target)
            elif temporal is not None and value.type().is_string():
                value = value.cast(temporal)
            out.append(value)
        return out
