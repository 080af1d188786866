"""`whynow compile`: the SQL a model compiles to, per engine (SPEC §10), for a data team to read or schedule.

It prints the plan `whynow run` executes (`whynow.plan`), built over unbound tables named after the data
contract (with the model's declared columns, typed as the contract says) and the state of the last run
(`previous_badges`, `previous_queue`, `previous_accounts`, `previous_contacts`), with the as-of date's
literals in place. Each table a stage adds becomes a temporary table of its own, so the script reads and
runs stage by stage (`CREATE … TEMPORARY TABLE whynow_account_signals AS …`; on Spark a cached temporary
view), then the outputs' queries.
What SQL does not do: the `why` narratives are rendered in Python from the `*_narratives` rows (NULL
here), and the evidence and run summary are written by the runner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import ibis
import ibis.expr.types as ir

from whynow.data.contract import IBIS_TYPES, TABLES
from whynow.model.check import CompiledModel
from whynow.options import Dialect
from whynow.outputs.previous import STATE, ibis_schema
from whynow.plan import GLOT, plan_for

DIALECTS: tuple[Dialect, ...] = ("duckdb", "postgres", "spark", "snowflake", "bigquery")


def unbound_inputs(model: CompiledModel) -> dict[str, ir.Table]:
    """The contract's tables (with the model's declared columns) and the last run's state, unbound."""
    tables: dict[str, ir.Table] = {}
    for name, spec in TABLES.items():
        declared = {c: IBIS_TYPES[t] for c, t in model.declared_columns.get(name, {}).items()}
        tables[name] = ibis.table(ibis.schema({**spec.schema, **declared}), name=name)
    for name in STATE:
        tables[name] = ibis.table(ibis.schema(ibis_schema(name)), name=name)
    return tables


def compile_model(model: CompiledModel, dialect: Dialect, as_of: dt.date) -> Iterator[str]:
    """The plan a run executes (`whynow.plan`), over the contract's tables and the last run's state, bound
    to `as_of`: a commented statement per table a stage keeps, then one per output."""
    glot = GLOT.get(dialect, dialect)
    inputs = {name: (name, table.schema()) for name, table in unbound_inputs(model).items()}
    plan = plan_for(model, glot, inputs)
    yield (
        f"-- whynow {model.name} ({model.hash[:12]}) compiled for {dialect}, as of {as_of}.\n"
        f"-- Inputs: the tables {', '.join(TABLES)} (docs/model.md#the-data-contract), and {', '.join(STATE)}:\n"
        "-- the state of the last run before the as-of date (empty tables on the first run).\n"
        "-- `why` is NULL here: whynow renders narratives from the *_narratives rows; `whynow run` also writes\n"
        "-- the evidence and the run summary."
    )
    for step, statement in plan.statements(as_of):
        yield f"-- {step.name}\n{statement}" if step.relation else f"-- output {step.name}\n{statement}"
