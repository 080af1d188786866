"""`whynow compile`: the SQL a model compiles to, per engine (SPEC §10), for a data team to read or schedule.

The pipeline is built over unbound tables named after the data contract (with the model's declared
columns, typed as the contract says) and the badge state of the last run (`previous_badges`,
`previous_queue`). Each table a stage adds becomes a temporary table of its own, computed once as the
runner keeps it, so the script reads and runs stage by stage (`CREATE … TEMPORARY TABLE
whynow_account_signals AS …`; on Spark a cached temporary view), then the outputs.
What SQL does not do: the `why` narratives are rendered in Python from the outputs (NULL here), and
the change log, evidence and run summary are written by the runner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import ibis
import ibis.expr.types as ir

from whynow.data.backends import spark_compiler
from whynow.data.contract import IBIS_TYPES, TABLES
from whynow.model.check import CompiledModel
from whynow.options import Dialect
from whynow.outputs import account_status, call_list, contact_status, score_breakdown
from whynow.pipeline import Context, run_pipeline

DIALECTS: tuple[Dialect, ...] = ("duckdb", "postgres", "spark", "snowflake", "bigquery")
_SQLGLOT = {"spark": "pyspark"}  # Ibis names Spark's compiler after PySpark
_KEEP = {  # how each engine keeps a stage's table for the statements after it
    "duckdb": "CREATE OR REPLACE TEMPORARY TABLE {name} AS\n{sql};",
    "postgres": "DROP TABLE IF EXISTS {name};\nCREATE TEMPORARY TABLE {name} AS\n{sql};",
    "spark": "CREATE OR REPLACE TEMPORARY VIEW {name} AS\n{sql};\nCACHE TABLE {name};",
    "snowflake": "CREATE OR REPLACE TEMPORARY TABLE {name} AS\n{sql};",
    "bigquery": "CREATE OR REPLACE TEMP TABLE {name} AS\n{sql};",
}
PREVIOUS = {  # the last run's state the badge and queue stages resolve against (SPEC §4.10)
    "previous_badges": {
        "entity_type": "string",
        "entity_id": "string",
        "badge": "string",
        "badge_since": "date",
        "last_held": "date",
        "why": "string",
    },
    "previous_queue": {"account_id": "string", "was_surfaced": "boolean"},
}


def unbound_inputs(model: CompiledModel) -> dict[str, ir.Table]:
    """The contract's tables (with the model's declared columns) and the last run's state, unbound."""
    tables: dict[str, ir.Table] = {}
    for name, spec in TABLES.items():
        declared = {c: IBIS_TYPES[t] for c, t in model.declared_columns.get(name, {}).items()}
        tables[name] = ibis.table(ibis.schema({**spec.schema, **declared}), name=name)
    for name, schema in PREVIOUS.items():
        tables[name] = ibis.table(ibis.schema(schema), name=name)
    return tables


def compile_model(model: CompiledModel, dialect: Dialect, as_of: dt.date) -> Iterator[str]:
    """One commented SQL statement per output: account_status, contact_status, score_breakdown, call_list."""
    ctx = Context(model, as_of, dialect)
    glot = _SQLGLOT.get(dialect, dialect)
    if dialect == "spark":
        spark_compiler()
    views: list[str] = []

    def kept(table: ir.Table, name: str) -> ir.Table:
        views.append(f"-- {name}\n" + _KEEP[dialect].format(name=f"whynow_{name}", sql=_sql(table, glot)))
        return ibis.table(table.schema(), name=f"whynow_{name}")

    tables = run_pipeline(ctx, unbound_inputs(model), keep=kept)
    outputs = {
        "account_status": account_status(ctx, tables).order_by("account_id"),
        "contact_status": contact_status(ctx, tables).order_by("contact_id"),
        "score_breakdown": score_breakdown(ctx, tables).order_by("entity_type", "entity_id", "part", "rule"),
        "call_list": call_list(ctx, tables).order_by("account_id", "rank"),
    }
    yield (
        f"-- whynow {model.name} ({model.hash[:12]}) compiled for {dialect}, as of {as_of}.\n"
        f"-- Inputs: the tables {', '.join(TABLES)} (SPEC §3), and {', '.join(PREVIOUS)}: the badge state\n"
        "-- and queue of the last run before the as-of date (empty tables on the first run).\n"
        "-- `why` is NULL here: whynow renders narratives from these outputs; `whynow run` also writes the\n"
        "-- change log, evidence and the run summary."
    )
    yield from views
    for name, table in outputs.items():
        yield f"-- output {name}\n{_sql(table, glot)};"


def _sql(table: ir.Table, dialect: str) -> str:
    return str(ibis.to_sql(table, dialect=dialect)).strip()
