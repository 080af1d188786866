"""The compiled plan (`whynow.plan`, issue #21): the SQL a run executes is compiled once per model, engine
and inputs, with the as-of date bound at run time, and cached between runs and processes."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pytest
import sqlglot
from typer.testing import CliRunner

import whynow.plan
from whynow.cli import app
from whynow.data.backends import spark_compiler
from whynow.demo import DEMO_AS_OF, generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.check import CompiledModel
from whynow.model.load import load_model, load_model_text
from whynow.outputs.queries import output_queries
from whynow.pipeline import Context, run_pipeline
from whynow.plan import GLOT, bind, compile_plan, plan_for, plan_key
from whynow.run import RunResult, run
from whynow.sql import DIALECTS, unbound_inputs

WEEKS = (DEMO_AS_OF - dt.timedelta(weeks=1), DEMO_AS_OF)
SAME_EACH_RUN = ("account_status", "contact_status", "call_list", "score_breakdown", "evidence", "opportunities")


@pytest.fixture(scope="module")
def model() -> CompiledModel:
    return load_model(reference_model_path())


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("company")
    generate_demo_data(folder, as_of=DEMO_AS_OF, accounts=16)
    return folder


def _inputs(model: CompiledModel) -> dict[str, tuple[str, ibis.Schema]]:
    return {name: (name, table.schema()) for name, table in unbound_inputs(model).items()}


def _two_weeks(model: CompiledModel, data: Path, store: Path) -> list[RunResult]:
    return [run(model, str(data), as_of, store=store) for as_of in WEEKS]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "pyspark"])
def test_a_bound_plan_is_the_sql_the_date_compiles_to(model: CompiledModel, dialect: str) -> None:
    """Binding the date gives, statement for statement, the SQL of the pipeline built at that date."""
    as_of = dt.date(2026, 11, 20)
    if dialect == "pyspark":
        spark_compiler()  # loads the options Ibis' Spark compiler reads
    ctx = Context(model, as_of, dialect)
    inputs = unbound_inputs(model)
    literal: dict[str, str] = {}

    def kept(table: ir.Table, name: str) -> ir.Table:
        literal[name] = str(ibis.to_sql(table, dialect=dialect)).strip()
        return ibis.table(table.schema(), name=f"whynow_{name}")

    tables = run_pipeline(ctx, inputs, keep=kept)
    for name, table in output_queries(ctx, {**inputs, **tables}).items():
        literal[f"output {name}"] = str(ibis.to_sql(table, dialect=dialect)).strip()

    plan = compile_plan(model, dialect, _inputs(model))
    bound = {(s.name if s.relation else f"output {s.name}"): sql for s, sql in plan.bound(as_of)}
    assert list(bound) == list(literal)
    assert any("WHYNOW_WINDOW_START(" in s.sql.upper() for s in plan.steps)  # the date is a parameter
    for name, sql in literal.items():  # the same SQL, but for where the pretty printer breaks lines
        assert _plain(bound[name], dialect) == _plain(sql, dialect), name


def _plain(sql: str, dialect: str) -> str:
    return sqlglot.parse_one(sql, dialect=dialect).sql(dialect=dialect)


def test_bind_writes_each_parameter_as_the_dates_literal() -> None:
    sql = "SELECT WHYNOW_AS_OF(), whynow_window_start(30), WHYNOW_WINDOW_START_DATE(7), WHYNOW_HORIZON_US()"
    assert bind(sql, dt.date(2026, 3, 1), "duckdb") == (
        "SELECT MAKE_DATE(2026, 3, 1), MAKE_TIMESTAMPTZ(2026, 1, 31, 0, 0, 0.0, 'UTC'), MAKE_DATE(2026, 2, 23), "
        "1772409600000000"
    )  # 2026-03-02 00:00 UTC in microseconds since 1970


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compile_leaves_no_parameter_unbound(dialect: str) -> None:
    result = CliRunner().invoke(
        app, ["compile", "--model", str(reference_model_path()), "--dialect", dialect, "--as-of", "2026-11-20"]
    )
    assert result.exit_code == 0, result.output
    assert "whynow_window_start" not in result.output.lower()
    assert "whynow_as_of" not in result.output.lower()
    assert "-- output badge_state" in result.output


def test_a_run_from_the_cache_compiles_nothing_and_writes_the_same(
    model: CompiledModel, company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHYNOW_CACHE", str(tmp_path / "plans"))
    compiled = _two_weeks(model, company, tmp_path / "first.duckdb")
    cached = sorted((tmp_path / "plans").glob("*.json"))
    assert len(cached) == 2  # the first run of a history has no last state; the second does

    whynow.plan._MEMORY.clear()  # as a new process finds it: only the files

    def refuse(*_: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(whynow.plan, "compile_plan", refuse)
    again = _two_weeks(model, company, tmp_path / "second.duckdb")
    for before, after in zip(compiled, again, strict=True):
        for name in SAME_EACH_RUN:
            assert before.outputs[name].equals(after.outputs[name]), name
        assert before.outputs["account_status"].num_rows == 16


def test_an_unreadable_cached_plan_is_compiled_again(
    model: CompiledModel, company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHYNOW_CACHE", str(tmp_path / "plans"))
    first = run(model, str(company), WEEKS[0], store=tmp_path / "first.duckdb")
    (file,) = (tmp_path / "plans").glob("*.json")
    file.write_text('{"version": 1, "dialect": "duckdb", "steps": [{"na', encoding="utf-8")  # a half-written file
    whynow.plan._MEMORY.clear()
    again = run(model, str(company), WEEKS[0], store=tmp_path / "second.duckdb")
    assert again.outputs["account_status"].equals(first.outputs["account_status"])
    assert whynow.plan.Plan.from_json(file.read_text(encoding="utf-8")).steps  # written whole again


def test_a_cache_that_cannot_be_written_costs_only_time(
    model: CompiledModel, company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("WHYNOW_CACHE", str(blocked / "plans"))
    whynow.plan._MEMORY.clear()
    result = run(model, str(company), WEEKS[0], store=tmp_path / "store.duckdb")
    assert result.outputs["account_status"].num_rows == 16
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_the_cache_keeps_the_plans_used_last(
    model: CompiledModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHYNOW_CACHE", str(tmp_path))
    monkeypatch.setattr(whynow.plan, "KEPT_PLANS", 2)
    whynow.plan._MEMORY.clear()
    inputs = _inputs(model)
    keys = [plan_key(model, dialect, inputs) for dialect in ("duckdb", "postgres")]
    for dialect in ("duckdb", "postgres"):
        plan_for(model, dialect, inputs)
    for key in keys:  # written a while ago (file times are only as fine as the kernel's clock tick)
        os.utime(tmp_path / f"{key}.json", (1_000_000_000, 1_000_000_000))
    whynow.plan._MEMORY.clear()
    plan_for(model, "duckdb", inputs)  # read again: used last
    plan_for(model, "pyspark", inputs)  # a third plan: the one used longest ago goes
    kept = {p.stem for p in tmp_path.glob("*.json")}
    assert kept == {keys[0], plan_key(model, "pyspark", inputs)}


def test_the_plan_is_the_models_the_engines_and_the_inputs(model: CompiledModel) -> None:
    inputs = _inputs(model)
    key = plan_key(model, "duckdb", inputs)
    assert plan_key(model, "duckdb", dict(inputs)) == key
    assert plan_key(model, "postgres", inputs) != key
    other = load_model_text(model.text.replace("half_life_days: 30", "half_life_days: 31"), "changed")
    assert other.hash != model.hash
    assert plan_key(other, "duckdb", inputs) != key
    wider = dict(inputs)
    relation, schema = wider["accounts"]
    wider["accounts"] = (relation, ibis.schema({**dict(schema.items()), "segment": "string"}))
    assert plan_key(model, "duckdb", wider) != key
    assert plan_key(model, "duckdb", {**inputs, "accounts": ("typed_accounts", schema)}) != key


def test_a_plan_reads_back_as_it_was_written(model: CompiledModel) -> None:
    plan = plan_for(model, GLOT.get("duckdb", "duckdb"), _inputs(model))
    assert whynow.plan.Plan.from_json(plan.to_json()) == plan
