"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import datetime as dt

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


# --- The model language, fuzzed (issue #19) -------------------------------------------------------------
# `typed_conditions` writes conditions that mostly load (names of a scope, used at their types) with edge
# values that must not crash a run; `hostile_conditions` hides something outside the language inside a
# legal condition; `narrative_templates` writes `why` templates, good and bad.

ALLOWED_FUNCTIONS = ("lower", "upper", "coalesce", "abs", "least", "greatest", "length")
_EDGE_INTEGERS = st.sampled_from([0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63)]) | st.integers(
    -(10**6), 10**6
)
_EDGE_FLOATS = st.sampled_from(["0.0", "1e308", "-1e308", "1e-320", "1e999", "2.675", "0.5", ".5", "1.", "1e3"])
# Text a model may hold (no control characters, lone surrogates or bidi controls), with SQL's and YAML's
# special characters, accents, CJK, emoji and a zero-width space.
_TEXT_ALPHABET = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs"),
    exclude_characters="\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
) | st.sampled_from(list("%_'\\\"é中😀\u200b ;-*/{}[]|:"))
_text_values = st.text(_TEXT_ALPHABET, max_size=8)
_iso_dates = st.dates(min_value=dt.date(1, 1, 1)).map(lambda d: f"'{d.isoformat()}'")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _by_type(names: dict[str, str | None], *types: str) -> list[str]:
    return sorted(n for n, t in names.items() if t in types)


def typed_conditions(names: dict[str, str | None], kind: str = "boolean", leaves: int = 6) -> st.SearchStrategy[str]:
    """Conditions over `names` (name → type) of the given result type: boolean, or number for `rank_by`."""
    numeric_names = _by_type(names, "integer", "number")
    text_names = _by_type(names, "text")
    boolean_names = _by_type(names, "boolean")
    temporal_names = _by_type(names, "date", "timestamp")
    numeric_leaf = st.one_of(
        _EDGE_INTEGERS.map(str),
        _EDGE_FLOATS,
        st.just("NULL"),
        *([st.sampled_from(numeric_names)] * 3 if numeric_names else []),
    )
    text_leaf = st.one_of(
        _text_values.map(_sql_text), st.just("NULL"), *([st.sampled_from(text_names)] * 2 if text_names else [])
    )

    def numeric_extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda s: f"-({s})"),
            inner.map(lambda s: f"abs({s})"),
            st.tuples(st.sampled_from(["least", "greatest", "coalesce"]), st.lists(inner, min_size=1, max_size=3)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"
            ),
            text_leaf.map(lambda s: f"length({s})"),
        )

    numbers = st.recursive(numeric_leaf, numeric_extend, max_leaves=leaves)
    texts = st.one_of(
        text_leaf,
        st.tuples(st.sampled_from(["lower", "upper"]), text_leaf).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(text_leaf, text_leaf).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
    )
    comparisons = st.sampled_from(["=", "<>", "!=", "<", "<=", ">", ">="])
    atoms = [
        st.tuples(numbers, comparisons, numbers).map(" ".join),
        st.tuples(texts, comparisons, texts).map(" ".join),
        st.tuples(texts, st.sampled_from(["LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"]), text_leaf).map(" ".join),
        st.tuples(numbers, st.lists(numbers, min_size=1, max_size=4)).map(lambda t: f"{t[0]} IN ({', '.join(t[1])})"),
        st.tuples(texts, st.lists(texts, min_size=1, max_size=4)).map(lambda t: f"{t[0]} NOT IN ({', '.join(t[1])})"),
        st.tuples(numbers, numbers, numbers).map(lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}"),
        st.tuples(st.one_of(numbers, texts), st.sampled_from(["IS NULL", "IS NOT NULL"])).map(" ".join),
        st.sampled_from(["TRUE", "FALSE", "NULL"]),
    ]
    if boolean_names:
        atoms.append(st.sampled_from(boolean_names))
        atoms.append(st.tuples(st.sampled_from(boolean_names), st.sampled_from(["= TRUE", "<> FALSE"])).map(" ".join))
    if temporal_names:
        atoms.append(st.tuples(st.sampled_from(temporal_names), comparisons, _iso_dates).map(" ".join))
        atoms.append(
            st.tuples(st.sampled_from(temporal_names), _iso_dates, _iso_dates).map(
                lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}"
            )
        )

    def boolean_extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda s: f"NOT ({s})"),
        )

    booleans = st.recursive(st.one_of(*atoms), boolean_extend, max_leaves=3)
    return numbers if kind == "number" else booleans


_INJECTIONS = [
    "read_csv('/etc/passwd') IS NOT NULL",
    "read_text('/etc/passwd') IS NOT NULL",
    "read_parquet('s3://bucket/x.parquet') IS NOT NULL",
    "length(read_blob('/etc/shadow')) > 0",
    "getenv('HOME') = 'x'",
    "current_setting('home_directory') = 'x'",
    "version() = 'x'",
    "pg_sleep(10) IS NULL",
    "glob('/*') IS NOT NULL",
    "system('rm -rf /') = 0",
    "(SELECT 1) = 1",
    "EXISTS (SELECT * FROM duckdb_settings())",
    "1 IN (SELECT 1 FROM read_csv_auto('/etc/passwd'))",
    "1 = 1; ATTACH '/tmp/x.db'",
    "1 = 1; INSTALL httpfs",
    "1 = 1; COPY accounts TO '/tmp/x.csv'",
    "1 = 1; PRAGMA version",
    "CAST('1' AS INTEGER) = 1",
    "'1'::INTEGER = 1",
    "1 = 1 -- comment",
    "1 = /* comment */ 1",
    "\"industry\" = 'x'",
    "$1 = 1",
    "? = 1",
    ":x = 1",
    "ifnull(NULL, 1) = 1",
    "nvl(NULL, 1) = 1",
    "lcase('A') = 'a'",
    "len('a') = 1",
    "@-1 = 1",
    "1 == 1",
    "!(1 = 2)",
    "'a' ~~ 'a'",
    "'a' ^@ 'a'",
    "[1, 2] = [1, 2]",
    "{'a': 1} IS NOT NULL",
    "list_transform([1], x -> x) IS NOT NULL",
    "COLUMNS(*) IS NOT NULL",
    "accounts.industry = 'x'",
    "e'\\x41' = 'A'",
    "$$x$$ = 'x'",
    "x'41' IS NOT NULL",
    "CASE WHEN TRUE THEN 1 END = 1",
    "1 = 1 UNION SELECT 1",
    "1 IS DISTINCT FROM 2",
    "'a' SIMILAR TO 'a'",
    "'a' || 'b' = 'ab'",
    "1 % 2 = 1",
    "2 ** 2 = 4",
    "~1 = 1",
    "now() IS NOT NULL",
    "random() < 2",
    "current_date IS NOT NULL",
    "filter IS NULL",
    "lower\u200b('A') = 'a'",
    "ＬＯＷＥＲ('A') = 'a'",
    "lower('A') \uff1d 'a'",
    "lower('A') = 'a' \u037e DROP TABLE accounts",
]
_UNICODE_TRICKS = [
    ("i", "\u0456"),  # Cyrillic і
    ("e", "\u0435"),  # Cyrillic е
    ("o", "\u03bf"),  # Greek ο
    ("y", "\u0443"),  # Cyrillic у
    ("", "\u200b"),  # zero width space
    ("", "\u202e"),  # right-to-left override
    ("", "\ufeff"),  # byte order mark
]


def hostile_conditions(names: list[str]) -> st.SearchStrategy[str]:
    """A legal-looking condition with something outside the language: files, functions, statements,
    comments, quoted names, or a name spelled with look-alike or invisible characters."""
    legal = st.sampled_from(names).map(lambda n: f"{n} IS NOT NULL")
    injected = st.tuples(legal, st.sampled_from(["AND", "OR"]), st.sampled_from(_INJECTIONS)).map(
        lambda t: f"{t[0]} {t[1]} {t[2]}" if ";" not in t[2] and "UNION" not in t[2] else f"{t[0]} AND {t[2]}"
    )

    def spoof(pair: tuple[str, tuple[str, str], int]) -> str:
        name, (plain, fake), at = pair
        if plain and plain in name:
            spoofed = name.replace(plain, fake, 1)
        else:
            spoofed = name[: at % (len(name) + 1)] + fake + name[at % (len(name) + 1) :]
        return f"{spoofed} IS NOT NULL"

    tricked = st.tuples(st.sampled_from(names), st.sampled_from(_UNICODE_TRICKS), st.integers(0, 20)).map(spoof)
    return st.one_of(st.sampled_from(_INJECTIONS), injected, tricked)


_FORMAT_SPECS = [":,.0f", ":.2f", ":d", ":,d", ":x", ":c", ":>10", ":<5", ":^3", ":=+8", ":%", ":e", ":g", ":s",
                 ":,", ":_", ":0>4", ":.3", ":z.1f", ":#x", ":n", ":plural:person:people"]  # fmt: skip


def narrative_templates(names: list[str]) -> st.SearchStrategy[str]:
    """`why` templates: placeholders with format specs (some far too wide), fallbacks, segments, plurals,
    stray braces and brackets, around plain words."""
    specs = st.one_of(
        st.just(""),
        st.sampled_from(_FORMAT_SPECS),
        st.integers(0, 3_000_000_000).map(lambda n: f":>{n}"),
        st.integers(0, 3_000_000_000).map(lambda n: f":.{n}f"),
        st.text(st.sampled_from(list("<>=^+-#0123456789,._xdfegsc%z!{")), max_size=6).map(lambda s: f":{s}"),
    )
    placeholder = st.tuples(
        st.sampled_from([*names, "", "account[0]", "account.__class__", "nope", "0"]),
        st.sampled_from(["", "", "!r", "!s"]),
        specs,
        st.sampled_from(["", "", "|a competitor", "|", "|x{y}"]),
    ).map(lambda t: "{" + t[0] + t[1] + t[2] + t[3] + "}")
    words = st.text(st.sampled_from(list("ab ,.;:[]{}|")), max_size=4)
    piece = st.one_of(placeholder, words, placeholder.map(lambda p: f"[, {p}]"))
    return st.lists(piece, max_size=5).map("".join)


_SPECS_BY_TYPE = {
    "integer": ["", ":,d", ":d", ":x", ":>8", ":,.2f", ":.0%", ":e", ":+", ":_"],
    "number": ["", ":,.0f", ":.2f", ":,", ":.1%", ":e", ":g", ":>12", ":.3", ":z.1f"],
}


def typed_narratives(names: dict[str, str | None]) -> st.SearchStrategy[str]:
    """`why` templates that load: each placeholder with a format spec that fits its type, a fallback, inside
    an optional segment or not, among words."""

    def placeholder(name: str) -> st.SearchStrategy[str]:
        specs = _SPECS_BY_TYPE.get(str(names[name]), ["", ":>10", ":<5", ":^7", ":.3"])
        return st.tuples(st.sampled_from(specs), st.sampled_from(["", "", "|unknown yet"])).map(
            lambda t: "{" + name + t[0] + t[1] + "}"
        )

    one = st.sampled_from(sorted(n for n, t in names.items() if t is not None)).flatmap(placeholder)
    words = st.text(st.sampled_from(list("ab ,.;:")), max_size=4)
    piece = st.one_of(one, words, one.map(lambda p: f"[, {p}]"), st.just("[[x]]"))
    return st.lists(piece, max_size=5).map("".join)
