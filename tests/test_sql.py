"""`whynow compile`: the SQL it prints, run by the engine itself on the contract's tables, gives what
`whynow run` gives (a first run: no previous state), on DuckDB and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tests.test_backends import assert_same
from whynow.cli import app
from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.load import load_model
from whynow.outputs.previous import STATE, ibis_schema
from whynow.run import open_data, run
from whynow.sql import DIALECTS, compile_model

AS_OF = dt.date(2026, 11, 20)
OUTPUTS = ("account_status", "contact_status", "call_list")


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """The contract's tables of a small company, typed, and what `whynow run` makes of them."""
    folder = tmp_path_factory.mktemp("company")
    generate_demo_data(folder, seed=5, accounts=30, as_of=AS_OF)
    model = load_model(reference_model_path())
    with open_data(model, str(folder)) as validated:
        inputs = {name: table.to_pyarrow() for name, table in validated.tables.items()}
    result = run(model, str(folder), AS_OF, store=tmp_path_factory.mktemp("store") / "store.duckdb")
    return inputs, {name: result.outputs[name].drop_columns(["why"]) for name in OUTPUTS}


def _statements(dialect: str) -> list[tuple[str | None, str]]:
    """(output name, or None for a stage's table; its SQL) of each statement, the header comment aside."""
    found: list[tuple[str | None, str]] = []
    for statement in list(compile_model(load_model(reference_model_path()), dialect, AS_OF))[1:]:  # type: ignore[arg-type]
        first, _, sql = statement.partition("\n")
        output = first.removeprefix("-- output ") if first.startswith("-- output ") else None
        found.append((output, sql))
    return found


def _empty_previous() -> dict[str, pa.Table]:
    import ibis

    return {name: ibis.schema(ibis_schema(name)).to_pyarrow().empty_table() for name in STATE}


def test_duckdb_sql_gives_what_the_run_gives(company: tuple[dict[str, pa.Table], dict[str, pa.Table]]) -> None:
    inputs, expected = company
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, table in (inputs | _empty_previous()).items():
        con.register(f"{name}_arrow", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
    results = {}
    for name, sql in _statements("duckdb"):
        if name is None:
            con.execute(sql)
        else:
            results[name] = con.execute(sql.rstrip(";")).to_arrow_table()
    for name in OUTPUTS:
        assert_same(expected[name], results[name].drop_columns(["why"]), f"compiled duckdb {name}")
    assert results["account_status"].num_rows == 30


def test_postgres_sql_gives_what_the_run_gives(company: tuple[dict[str, pa.Table], dict[str, pa.Table]]) -> None:
    url = os.environ.get("WHYNOW_TEST_POSTGRES")
    if not url:
        if os.environ.get("WHYNOW_REQUIRE_BACKENDS"):
            pytest.fail("no PostgreSQL (WHYNOW_TEST_POSTGRES), and WHYNOW_REQUIRE_BACKENDS is set")
        pytest.skip("no PostgreSQL: run the suite with `make test`")
    import ibis

    inputs, expected = company
    schema = f"compiled_{uuid.uuid4().hex[:8]}"
    con = ibis.connect(url)
    try:
        con.raw_sql(f"CREATE SCHEMA {schema}")
        con.raw_sql(f"SET search_path TO {schema}")
        con.raw_sql("SET TIME ZONE 'UTC'")
        for name, table in (inputs | _empty_previous()).items():
            con.create_table(name, table, database=schema)
        results = {}
        for name, sql in _statements("postgres"):
            if name is None:
                con.raw_sql(sql)
            else:
                results[name] = con.sql(sql.rstrip(";"), dialect="postgres").to_pyarrow()
        for name in OUTPUTS:
            assert_same(expected[name], results[name].drop_columns(["why"]), f"compiled postgres {name}")
    finally:
        con.raw_sql(f"DROP SCHEMA {schema} CASCADE")
        con.disconnect()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compile_prints_a_table_per_stage_then_the_outputs(dialect: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["compile", "--model", str(reference_model_path()), "--dialect", dialect, "--as-of", "2026-11-20"]
    )
    assert result.exit_code == 0, result.output
    assert f"compiled for {dialect}, as of 2026-11-20" in result.output
    assert "whynow_account_signals AS" in result.output
    assert result.output.index("-- output account_status") > result.output.index("-- account_measures")


def test_compile_refuses_an_unknown_dialect() -> None:
    result = CliRunner().invoke(app, ["compile", "--model", str(reference_model_path()), "--dialect", "oracle"])
    assert result.exit_code == 2
    assert "oracle" in result.output
