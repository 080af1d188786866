"""Building SQL with sqlglot, the one way whynow writes a statement (no f-strings): a name goes in as a
quoted identifier, a value as a bound parameter or a literal sqlglot escapes.

    ident, table_ref, column_ref    a name, quoted: whatever it holds (a quote, a space, a keyword) stays a name
    param()                         a bound parameter: `?`, or `%s` in PostgreSQL's rendering
    named(value, name)              value AS "name"
    row_number()                    row_number() OVER ()
    call(function, *args, **opts)   a call with DuckDB's named options: read_csv(path, header = true)
    temp_table(name, query)         CREATE OR REPLACE TEMP TABLE (or VIEW) name AS query, in DuckDB's SQL
"""

from __future__ import annotations

from typing import Literal

from sqlglot import exp


def ident(text: str) -> exp.Identifier:
    """A table's or column's name, quoted: whatever it holds (a quote, a space, a keyword) stays a name."""
    return exp.to_identifier(text, quoted=True)


def table_ref(text: str) -> exp.Table:
    return exp.Table(this=ident(text))


def column_ref(text: str) -> exp.Column:
    return exp.column(ident(text))


def param() -> exp.Placeholder:
    """A bound parameter: `?`, or `%s` in PostgreSQL's rendering. A value never goes into the SQL text."""
    return exp.Placeholder()


def named(value: exp.Expr, name: str) -> exp.Alias:
    """value AS "name"."""
    return exp.Alias(this=value, alias=ident(name))


def row_number() -> exp.Window:
    """row_number() OVER (): the rows numbered from 1 as they are read."""
    return exp.Window(this=exp.RowNumber())


def call(function: str, *args: object, **options: object) -> exp.Anonymous:
    """`function(arg, …, option = value, …)`, as DuckDB calls a function with named parameters: a Python value
    a literal (sqlglot escapes it), an expression as it is."""
    given = [exp.convert(a) for a in args]
    return exp.Anonymous(
        this=function,
        expressions=given + [exp.EQ(this=exp.var(k), expression=exp.convert(v)) for k, v in options.items()],
    )


def temp_table(name: str, query: exp.Query, kind: Literal["TABLE", "VIEW"] = "TABLE") -> str:
    """CREATE OR REPLACE TEMP TABLE (or VIEW) name AS query, in DuckDB's SQL."""
    temporary = exp.Properties(expressions=[exp.TemporaryProperty()])
    create = exp.Create(this=table_ref(name), kind=kind, replace=True, properties=temporary, expression=query)
    return create.sql(dialect="duckdb")
