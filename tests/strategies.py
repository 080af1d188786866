"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

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
