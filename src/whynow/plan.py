"""The compiled plan of a run (#21): the pipeline and the outputs it feeds, compiled to SQL once per model,
engine and inputs, with the as-of date a parameter. A run binds its date and executes the statements; it
builds no Ibis expression for them. `whynow compile` prints the same statements, bound.

    plan_for(model, dialect, inputs) -> Plan   from the cache when it holds the plan, else compiled and cached
    compile_plan(model, dialect, inputs)       the pipeline over unbound tables: a step per table it keeps,
                                               then the outputs (`outputs.output_queries`)
    bind(sql, as_of, dialect) -> str           the as-of date's literals in place of the parameters
    execute(con, plan, as_of) -> outputs       each step kept as a temporary table, each output fetched as Arrow
    run_plan(ctx, inputs) -> Executed          a run's: its plan found or compiled, then executed

The date enters the SQL only through `Context`'s parameters, written `WHYNOW_AS_OF()`, `WHYNOW_HORIZON()`,
`WHYNOW_HORIZON_US()`, `WHYNOW_WINDOW_START(30)` and `WHYNOW_WINDOW_START_DATE(30)`; `bind` replaces each
with the literal Ibis would have written there, so a bound plan is the SQL a run compiled before.

The cache holds one JSON file per plan in `$WHYNOW_CACHE` (default `~/.cache/whynow/plans`), named by a
hash of whynow's own source, Ibis' and sqlglot's versions, the model, the engine and the inputs' names and
types; it keeps the 64 plans used last. A file that is missing or does not read is compiled again; a
folder that cannot be written only means the next run compiles again.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as idt
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot.expressions as sge
from ibis.backends import BaseBackend

from whynow.model.check import CompiledModel
from whynow.pipeline import Context, run_pipeline
from whynow.pipeline.context import UTC_TIMESTAMP
from whynow.pipeline.horizon import apply_horizon

PLAN_VERSION = 2  # bumped when the file's layout changes
KEPT_PLANS = 64  # the cache keeps the plans used last; a model edited often leaves no trail of old ones
GLOT = {"spark": "pyspark"}  # Ibis names Spark's compiler after PySpark
KEEP = {  # how each engine keeps a step's table for the statements after it
    "duckdb": "CREATE OR REPLACE TEMPORARY TABLE {name} AS\n{sql};",
    "postgres": "DROP TABLE IF EXISTS {name};\nCREATE TEMPORARY TABLE {name} AS\n{sql};",
    "pyspark": "CREATE OR REPLACE TEMPORARY VIEW {name} AS\n{sql};\nCACHE TABLE {name};",
    "snowflake": "CREATE OR REPLACE TEMPORARY TABLE {name} AS\n{sql};",
    "bigquery": "CREATE OR REPLACE TEMP TABLE {name} AS\n{sql};",
}
_PARAMETER = re.compile(r"\bwhynow_(as_of|horizon_us|horizon|window_start_date|window_start)\((\d*)\)", re.IGNORECASE)

Inputs = Mapping[str, tuple[str, ibis.Schema]]  # input name -> (the relation the SQL reads, its columns)


@dataclass(frozen=True)
class Step:
    """A statement of the plan: a kept table (`relation`) or an output, its SELECT and its columns."""

    name: str
    relation: str
    sql: str
    schema: dict[str, str]  # column -> Ibis type

    def ibis_schema(self) -> ibis.Schema:
        return ibis.schema(self.schema)


@dataclass(frozen=True)
class Plan:
    dialect: str
    steps: tuple[Step, ...]
    outputs: tuple[Step, ...]
    tallies: tuple[Step, ...] = ()  # the run summary's counts per table (`summary.tally_queries`): no date

    def bound(self, as_of: dt.date) -> Iterator[tuple[Step, str]]:
        """Each step, then each output, with its SELECT bound to `as_of`."""
        for step in (*self.steps, *self.outputs):
            yield step, bind(step.sql, as_of, self.dialect)

    def statements(self, as_of: dt.date) -> Iterator[tuple[Step, str]]:
        """What the plan runs at `as_of` in SQL: each step's keeping statement, then each output's query."""
        for step, sql in self.bound(as_of):
            yield step, KEEP[self.dialect].format(name=step.relation, sql=sql) if step.relation else f"{sql};"

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": PLAN_VERSION,
                "dialect": self.dialect,
                "steps": [vars(s) for s in self.steps],
                "outputs": [vars(s) for s in self.outputs],
                "tallies": [vars(s) for s in self.tallies],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        if data.get("version") != PLAN_VERSION:
            raise ValueError("another layout")
        steps = tuple(Step(**s) for s in data["steps"])
        outputs, tallies = (tuple(Step(**s) for s in data[part]) for part in ("outputs", "tallies"))
        return cls(data["dialect"], steps, outputs, tallies)


def compile_plan(model: CompiledModel, dialect: str, inputs: Inputs) -> Plan:
    """The pipeline over unbound tables named after the relations the run reads; every table it keeps
    becomes a step (`whynow_<name>`), every output a query."""
    from whynow.outputs.queries import output_queries  # the outputs read the pipeline's tables
    from whynow.summary import tally_queries

    ctx = Context(model, dt.date(2000, 1, 1), dialect, parameters=True)  # the date is never read
    glot = GLOT.get(dialect, dialect)
    if glot == "pyspark":
        from whynow.data.backends import spark_compiler

        spark_compiler()
    steps: list[Step] = []

    def kept(table: ir.Table, name: str) -> ir.Table:
        steps.append(_step(name, f"whynow_{name}", table, glot))
        return ibis.table(table.schema(), name=f"whynow_{name}")

    unbound = {name: ibis.table(schema, name=relation) for name, (relation, schema) in inputs.items()}
    tables = run_pipeline(ctx, unbound, keep=kept)
    queries = output_queries(ctx, {**unbound, **tables})
    outputs = tuple(_step(name, "", table, glot) for name, table in queries.items())
    tallies = tuple(_step(name, "", table, glot) for name, table in tally_queries(unbound, dialect).items())
    return Plan(glot, tuple(steps), outputs, tallies)


def _step(name: str, relation: str, table: ir.Table, glot: str) -> Step:
    key = (table.op(), glot)
    sql = _COMPILED.get(key)
    if sql is None:
        sql = _COMPILED[key] = str(ibis.to_sql(table, dialect=glot)).strip()
    return Step(name, relation, sql, {column: str(kind) for column, kind in table.schema().items()})


# A step's SQL by its expression (Ibis' operations compare by structure), for this process: a second model
# that differs from the first in a few rules (learn's proposal, a backtest's --against) compiles only the
# steps those rules reach; every step after reads the steps before by name, so the rest are the same.
_COMPILED: dict[tuple[ops.Node, str], str] = {}


def plan_for(model: CompiledModel, dialect: str, inputs: Inputs) -> Plan:
    """The plan of `model` on `dialect` over `inputs`: from this process' memory or the cache folder when
    either holds it, else compiled and cached."""
    folder = cache_folder()
    key = plan_key(model, dialect, inputs)
    found = _MEMORY.get((folder, key))
    if found is not None:
        return found
    file = folder / f"{key}.json" if folder else None
    plan = None
    if file is not None and file.is_file():
        try:
            plan = Plan.from_json(file.read_text(encoding="utf-8"))
            os.utime(file)  # used now: the last to go when the cache is pruned
        except (OSError, ValueError, KeyError, TypeError):
            plan = None  # compiled again below, and written over
    if plan is None:
        plan = compile_plan(model, dialect, inputs)
        if file is not None:
            _write(file, plan.to_json())
    _MEMORY[(folder, key)] = plan
    return plan


_MEMORY: dict[tuple[Path | None, str], Plan] = {}


def cache_folder() -> Path | None:
    """Where plans are cached: `$WHYNOW_CACHE`, else `$XDG_CACHE_HOME/whynow/plans`, else
    `~/.cache/whynow/plans`; `WHYNOW_CACHE=off` caches only within the process."""
    chosen = os.environ.get("WHYNOW_CACHE")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "whynow" / "plans"


def _write(file: Path, text: str) -> None:
    """The plan written beside its final name and moved there (a reader never sees half a file); then
    the cache pruned to the `KEPT_PLANS` used last."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=file.parent, suffix=".tmp", delete=False, encoding="utf-8") as f:
            f.write(text)
        os.replace(f.name, file)
        plans = sorted(file.parent.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in plans[KEPT_PLANS:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a folder that cannot be written: the next run compiles again


def plan_key(model: CompiledModel, dialect: str, inputs: Inputs) -> str:
    described = sorted((name, relation, str(schema)) for name, (relation, schema) in inputs.items())
    parts = [_source_hash(), ibis.__version__, version("sqlglot"), model.hash, dialect, repr(described)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


@functools.cache
def _source_hash() -> str:
    """A hash of whynow's own Python source: a plan compiled by other code is never used."""
    digest = hashlib.sha256()
    root = Path(__file__).parent
    for file in sorted(root.rglob("*.py")):
        digest.update(str(file.relative_to(root)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def bind(sql: str, as_of: dt.date, dialect: str) -> str:
    """`sql` with each parameter replaced by its literal for `as_of`, written as Ibis writes it."""

    def value(match: re.Match[str]) -> str:
        return _parameter_sql(match.group(1).lower(), int(match.group(2) or 0), as_of, dialect)

    return _PARAMETER.sub(value, sql)


@functools.cache
def _parameter_sql(kind: str, days: int, as_of: dt.date, dialect: str) -> str:
    """One parameter's literal, rendered once per run for all the plan's statements."""
    horizon = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    start = horizon - dt.timedelta(days=days)
    literal: tuple[Any, idt.DataType] = {
        "as_of": (as_of, idt.date),
        "horizon": (horizon, UTC_TIMESTAMP),
        "horizon_us": ((horizon - _EPOCH) // dt.timedelta(microseconds=1), idt.int64),
        "window_start": (start, UTC_TIMESTAMP),
        "window_start_date": (start.date(), idt.date),
    }[kind]
    return _literal_sql(*literal, dialect)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _literal_sql(value: Any, dtype: idt.DataType, dialect: str) -> str:
    import ibis.backends.sql.compilers as compilers

    compiler = getattr(compilers, dialect).compiler
    op = ibis.literal(value, type=dtype).op()
    assert isinstance(op, ops.Literal)
    return str(compiler.visit_Literal(op, value=op.value, dtype=op.dtype).sql(compiler.dialect))


def relations(con: BaseBackend, inputs: Mapping[str, ir.Table]) -> dict[str, tuple[str, ibis.Schema]]:
    """The relation each input is read from: a temporary table of the run as it is (typed CSV, the last
    run's state), anything else (a view of a source's casts) made a temporary view `whynow_input_<name>`."""
    found: dict[str, tuple[str, ibis.Schema]] = {}
    for name, table in inputs.items():
        op = table.op()
        if isinstance(op, ops.DatabaseTable) and op.namespace.catalog is None and op.namespace.database is None:
            found[name] = (op.name, table.schema())
            continue
        relation = f"whynow_input_{name}"
        _view(con, relation, table)
        found[name] = (relation, table.schema())
    return found


def _view(con: BaseBackend, name: str, table: ir.Table) -> None:
    """`table` as a temporary view `name` of the run's connection (a source's own database is read only)."""
    if con.name == "pyspark":
        session: Any = con._session
        session.sql(con.compile(table)).createOrReplaceTempView(name)
        return
    compiler: Any = con.compiler
    temporary = sge.Properties(expressions=[sge.TemporaryProperty()])
    create = sge.Create(
        this=sge.Table(this=sge.to_identifier(name, quoted=True)),
        kind="VIEW",
        replace=True,
        expression=compiler.to_sqlglot(table.unbind()),
        properties=temporary,
    )
    _execute(con, create.sql(compiler.dialect))


@dataclass(frozen=True)
class Executed:
    """A plan run at a date: every output query's rows, the pipeline's tables as they were kept, and the
    run summary's tallies when asked for (a backtest's runs share one validated source's)."""

    con: BaseBackend
    plan: Plan
    outputs: dict[str, pa.Table]
    tables: Kept

    def tallies(self, names: Iterable[str]) -> dict[str, pa.Table]:
        steps = {step.name: step for step in self.plan.tallies}
        return {name: _fetch_typed(self.con, steps[name].sql, steps[name]) for name in names}


def run_plan(ctx: Context, inputs: Mapping[str, ir.Table], skipped: Collection[str] = ()) -> Executed:
    """The plan of the run's model over `inputs` (on one backend), found or compiled, executed at the run's
    date; the outputs in `skipped` are not fetched."""
    con = inputs["accounts"]._find_backend()
    plan = plan_for(ctx.model, ctx.dialect, relations(con, inputs))
    outputs = execute(con, plan, ctx.as_of, skipped)
    return Executed(con, plan, outputs, Kept(con, plan, apply_horizon(ctx, inputs)))


def execute(con: BaseBackend, plan: Plan, as_of: dt.date, skipped: Collection[str] = ()) -> dict[str, pa.Table]:
    """Run `plan` at `as_of` on `con`: each step kept as a temporary table, then every output but those
    `skipped` fetched as Arrow in the types the plan gives it (as Ibis' `to_pyarrow` would)."""
    fetched: dict[str, pa.Table] = {}
    for step, sql in plan.bound(as_of):
        if step.relation:
            _keep(con, step, sql)
        elif step.name not in skipped:
            fetched[step.name] = _fetch_typed(con, sql, step)
    return fetched


def _fetch_typed(con: BaseBackend, sql: str, step: Step) -> pa.Table:
    from ibis.formats.pyarrow import PyArrowData

    return PyArrowData.convert_table(_fetch(con, sql), step.ibis_schema())


def _keep(con: BaseBackend, step: Step, sql: str) -> None:
    if con.name != "pyspark":
        _execute(con, KEEP[con.name].format(name=step.relation, sql=sql))
        return
    # Spark: the step's rows are checkpointed (a cached view would keep its whole lineage, and the plans
    # of later steps grow until Spark spends minutes printing them), in the plan's types: Spark reads the
    # literal 40.0 as a DECIMAL and 1 as an INT.
    from ibis.backends.pyspark.datatypes import PySparkType
    from pyspark.sql import functions

    session: Any = con._session
    columns = [functions.col(c).cast(PySparkType.from_ibis(k)).alias(c) for c, k in step.ibis_schema().items()]
    session.sql(sql).select(*columns).localCheckpoint(eager=True).createOrReplaceTempView(step.relation)


def _execute(con: BaseBackend, statement: str) -> None:
    if con.name == "duckdb":
        con.con.execute(statement)
    else:
        cursor = con.raw_sql(statement)
        close = getattr(cursor, "close", None)
        if close is not None:
            close()


def _fetch(con: BaseBackend, query: str) -> pa.Table:
    if con.name == "duckdb":
        result: pa.Table = con.con.execute(query).to_arrow_table()
        return result
    return con.sql(query, dialect=con.compiler.dialect).to_pyarrow()


class Kept(Mapping[str, ir.Table]):
    """The pipeline's tables after a plan ran: each step's kept table, read from the engine when asked
    for (evidence reads a few), and `others` (the inputs at the horizon) for the rest."""

    def __init__(self, con: BaseBackend, plan: Plan, others: Mapping[str, ir.Table]) -> None:
        self._con, self._others = con, others
        self._steps = {step.name: step for step in plan.steps}
        self._relations = {step.name: step.relation for step in plan.steps}
        self._read: dict[str, ir.Table] = {}

    def __getitem__(self, name: str) -> ir.Table:
        """A kept table in the plan's types: an engine may keep a column in a type of its own (PostgreSQL keeps
        a sum of counts as numeric), which would print as `6.000000000` in the evidence."""
        if name not in self._relations:
            return self._others[name]
        if name not in self._read:
            table, schema = self._con.table(self._relations[name]), self._steps[name].ibis_schema()
            self._read[name] = table if table.schema() == schema else table.cast(schema)
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self._others), **dict.fromkeys(self._relations)})

    def __len__(self) -> int:
        return len(set(self._others) | set(self._relations))
