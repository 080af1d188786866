"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st
from sqlglot import exp

NAMES = ["industry", "employees", "region", "is_customer", "score", "url", "nope", "Industry"]
_literals = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda f: f"{f:.3f}"),
    st.text(alphabet="abcXYZ%_ '", max_size=6).map(lambda s: "'" + s.replace("'", "''") + "'"),
    st.sampled_from(["NULL", "TRUE", "FALSE"]),
)
_atoms = st.one_of(st.sampled_from(NAMES), _literals)
_FUNCTIONS = ["lower", "upper", "coalesce", "abs", "least", "greatest", "length", "substr", "max", "random"]


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(
        inner,
        st.sampled_from(
            [
                "=",
                "<>",
                "!=",
                "<",
                "<=",
                ">",
                ">=",
                "+",
                "-",
                "*",
                "/",
                "AND",
                "OR",
                "LIKE",
                "ILIKE",
                "NOT LIKE",
                "||",
                "%",
            ]
        ),
        inner,
    )
    return st.one_of(
        binary.map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        inner.map(lambda s: f"NOT {s}"),
        inner.map(lambda s: f"({s})"),
        inner.map(lambda s: f"{s} IS NULL"),
        inner.map(lambda s: f"{s} IS NOT NULL"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}"),
        st.tuples(inner, st.lists(inner, min_size=1, max_size=3)).map(lambda t: f"{t[0]} IN ({', '.join(t[1])})"),
        st.tuples(st.sampled_from(_FUNCTIONS), st.lists(inner, min_size=1, max_size=2)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        inner.map(lambda s: f"(SELECT {s})"),
        inner.map(lambda s: f"{s}; DROP TABLE accounts"),
        inner.map(lambda s: f"CASE WHEN {s} THEN 1 END"),
    )


conditions = st.recursive(_atoms, _extend, max_leaves=8)
"""Random condition-like SQL: mostly well formed, often forbidden or ill-typed."""


def _render(tree: exp.Expression) -> str:
    try:
        return tree.sql(dialect="duckdb")
    except Exception:  # a nonsensical tree sqlglot cannot print: the checker still gets text
        return repr(tree)


_leaf_nodes = st.one_of(
    st.sampled_from(NAMES).map(exp.column),
    st.integers(-5, 5).map(lambda n: exp.Literal.number(n)),
    st.text(alphabet="ab%", max_size=3).map(exp.Literal.string),
    st.just(exp.Null()),
    st.booleans().map(lambda b: exp.Boolean(this=b)),
    st.just(exp.Star()),
)
_BINARY = [exp.EQ, exp.NEQ, exp.GT, exp.LT, exp.And, exp.Or, exp.Add, exp.Div, exp.Like, exp.ILike, exp.Is, exp.DPipe,
           exp.Mod, exp.BitwiseAnd, exp.SimilarTo]  # fmt: skip
_UNARY = [exp.Not, exp.Neg, exp.Paren, exp.Lower, exp.Abs, exp.Length, exp.Sum, exp.Max, exp.Upper, exp.Exp]


def _extend_tree(inner: st.SearchStrategy[exp.Expression]) -> st.SearchStrategy[exp.Expression]:
    return st.one_of(
        st.builds(lambda k, a, b: k(this=a, expression=b), st.sampled_from(_BINARY), inner, inner),
        st.builds(lambda k, a: k(this=a), st.sampled_from(_UNARY), inner),
        st.builds(lambda a, xs: exp.In(this=a, expressions=xs), inner, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda a, lo, hi: exp.Between(this=a, low=lo, high=hi), inner, inner, inner),
        st.builds(lambda a, xs: exp.Coalesce(this=a, expressions=xs), inner, st.lists(inner, max_size=2)),
        st.builds(
            lambda n, xs: exp.Anonymous(this=n, expressions=xs),
            st.sampled_from(["md5", "now", "lower"]),
            st.lists(inner, max_size=2),
        ),
        st.builds(lambda a: exp.Cast(this=a, to=exp.DataType.build("text")), inner),
        st.builds(lambda a, b: exp.Case(ifs=[exp.If(this=a, true=b)]), inner, inner),
        st.builds(lambda a: exp.Subquery(this=exp.select(a)), inner),
        st.builds(lambda a: exp.Window(this=exp.Sum(this=a)), inner),
    )


condition_trees = st.recursive(_leaf_nodes, _extend_tree, max_leaves=8).map(_render)
"""Random sqlglot ASTs, allowed and forbidden nodes alike, printed as SQL."""
