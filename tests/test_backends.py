"""One suite on every backend (SPEC §10): the same company, run on DuckDB, PostgreSQL and Spark, gives the
same account_status and contact_status (floats to one unit of the 6th decimal), over two weekly runs so that
the second one resolves its badges against state kept on that backend.

PostgreSQL comes from `WHYNOW_TEST_POSTGRES` (`make test` starts a throwaway cluster for it); Spark runs
in local mode. Where a service is missing the test says so and is skipped, unless
`WHYNOW_REQUIRE_BACKENDS` is set (as `make test` sets it), where it fails.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.load import load_model
from whynow.run import run
from whynow.store import Store

AS_OF = (dt.date(2026, 11, 13), dt.date(2026, 11, 20))
COMPARED = ("account_status", "contact_status", "evidence")
# Numbers are rounded to 6 decimals (SPEC §4); PostgreSQL may sum a float column in another order (parallel
# workers), so the two engines' sums can round one unit apart in the 6th decimal: 14.467538 and 14.467539.
ROUNDED = 1.5e-6  # evidence: values printed as narratives do


def _unavailable(what: str) -> None:
    if os.environ.get("WHYNOW_REQUIRE_BACKENDS"):
        pytest.fail(f"{what}, and WHYNOW_REQUIRE_BACKENDS is set: run the suite with `make test`")
    pytest.skip(f"{what}: run the suite with `make test` to test this backend")


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo company as Parquet: every table, every stage of the reference model does work."""
    folder = tmp_path_factory.mktemp("company")
    generate_demo_data(folder, seed=11, accounts=40, as_of=AS_OF[-1])
    return folder


@pytest.fixture(scope="module")
def postgres(company: Path) -> Iterator[str]:
    """The company loaded into a schema of its own on the test PostgreSQL; its URL."""
    url = os.environ.get("WHYNOW_TEST_POSTGRES")
    if not url:
        _unavailable("no PostgreSQL (WHYNOW_TEST_POSTGRES is not set)")
    assert url is not None
    schema = f"crm_{uuid.uuid4().hex[:8]}"
    con = ibis.connect(url)
    con.raw_sql(f"CREATE SCHEMA {schema}")
    for file in company.glob("*.parquet"):
        con.create_table(file.stem, pq.read_table(file), database=schema)
    yield f"{url}?schema={schema}"
    con.raw_sql(f"DROP SCHEMA {schema} CASCADE")
    con.disconnect()


def _history(data: str, store: str) -> list[dict[str, pa.Table]]:
    """The weekly runs, with sales feedback on the first run's top two surfaced accounts in between: the
    second run holds them (SPEC §13) on every engine alike."""
    model = load_model(reference_model_path())
    found = []
    for day in AS_OF:
        outputs = run(model, data, day, store=store).outputs
        found.append({name: outputs[name] for name in COMPARED})
        if day == AS_OF[0]:
            _give_feedback(Store(store), outputs["account_status"], day + dt.timedelta(days=1))
    return found


def _give_feedback(store: Store, accounts: pa.Table, on: dt.date) -> None:
    from whynow.feedback import SCHEMA

    surfaced = sorted(
        (r for r in accounts.to_pylist() if r["queue"] == "surfaced"), key=lambda r: (r["queue_rank"], r["account_id"])
    )
    given_at = dt.datetime.combine(on, dt.time(12), dt.UTC)  # before the next run's horizon
    rows = [
        {"given_at": given_at, "account_id": r["account_id"], "rep_id": r["route_to"], "verdict": verdict,
         "note": None, "badge": r["badge"], "source": "api", "given_by": r["route_to"]}
        for r, verdict in zip(surfaced, ("not_now", "wrong_fit"), strict=False)
    ]  # fmt: skip
    assert len(rows) == 2, "the fixture surfaces at least two accounts"
    store.give_feedback(pa.Table.from_pylist(rows, schema=SCHEMA))


@pytest.fixture(scope="module")
def on_duckdb(company: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, pa.Table]]:
    return _history(str(company), str(tmp_path_factory.mktemp("duckdb") / "store.duckdb"))


def assert_same(expected: pa.Table, actual: pa.Table, name: str) -> None:
    """Equal rows in the same order; floats to one unit of the 6th decimal; the run's own timestamps aside."""
    assert actual.column_names == expected.column_names, name
    assert actual.num_rows == expected.num_rows, name
    for column in expected.column_names:
        want, got = expected.column(column).to_pylist(), actual.column(column).to_pylist()
        for row, (a, b) in enumerate(zip(want, got, strict=True)):
            if isinstance(a, float) and isinstance(b, float):
                assert math.isclose(a, b, abs_tol=ROUNDED), f"{name}.{column} row {row}: {a} != {b}"
            else:
                assert a == b, f"{name}.{column} row {row}: {a!r} != {b!r}"


def test_the_company_has_work_for_every_stage(on_duckdb: list[dict[str, pa.Table]]) -> None:
    """Guard against a vacuous comparison: the fixture scores, engages, badges and surfaces."""
    accounts = on_duckdb[-1]["account_status"].to_pylist()
    assert len(accounts) == 40
    assert any(a["badge"] for a in accounts)
    assert any(a["queue"] == "surfaced" for a in accounts)
    assert any(a["engagement"] and a["engagement"] > 0 for a in accounts)
    assert {a["stage"] for a in accounts} >= {"engaged", "aware"}
    assert on_duckdb[-1]["evidence"].num_rows > 0
    held = {a["held_reason"] for a in accounts}
    assert {"not now (sales feedback)", "wrong fit (sales feedback)"} <= held  # the feedback held both


def test_postgres_data_and_store_match_duckdb(postgres: str, on_duckdb: list[dict[str, pa.Table]]) -> None:
    """`--data postgresql://…` and `--store postgresql://…`: both weekly runs as on DuckDB."""
    store = f"{postgres.replace('schema=crm_', 'schema=store_')}"
    try:
        for want, got in zip(on_duckdb, _history(postgres, store), strict=True):
            for name in COMPARED:
                assert_same(want[name], got[name], f"postgres {name}")
        assert Store(store).latest_as_of() == AS_OF[-1]
        assert Store(store).count_runs() == 2
    finally:
        con = ibis.connect(postgres.split("?")[0])
        con.raw_sql(f"DROP SCHEMA IF EXISTS {store.split('schema=')[1]} CASCADE")
        con.disconnect()


def test_spark_matches_duckdb(company: Path, tmp_path: Path, on_duckdb: list[dict[str, pa.Table]]) -> None:
    """`--data spark://local[2]?path=…`: PySpark in local mode, the same two runs."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _unavailable("no Java for Spark")
    data = f"spark://local[2]?path={company}"
    with warnings.catch_warnings():  # PySpark leaves the sockets it collects Arrow through to the collector
        warnings.filterwarnings("ignore", "unclosed <socket", ResourceWarning)
        on_spark = _history(data, str(tmp_path / "store.duckdb"))
        gc.collect()
    for want, got in zip(on_duckdb, on_spark, strict=True):
        for name in COMPARED:
            assert_same(want[name], got[name], f"spark {name}")


@pytest.mark.parametrize(
    ("option", "location", "message"),
    [
        ("--data", "postgresql://ann:s3cret@127.0.0.1:1/crm", "cannot connect to PostgreSQL"),
        ("--store", "postgresql://ann:s3cret@127.0.0.1:1/crm", "cannot open the store"),
        ("--data", "spark://local[2]", "say where the tables are: ?path=FOLDER"),
        ("--data", "spark://local[2]?path=/x&memory=8g", "unknown parameter memory"),
    ],
)
def test_an_unreachable_engine_is_one_line_without_the_password(
    option: str, location: str, message: str, company: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from whynow.cli import app

    others = {"--data": str(company), "--store": str(tmp_path / "store.duckdb")}
    others[option] = location
    args = ["run", "--model", str(reference_model_path()), "--as-of", "2026-11-20"]
    result = CliRunner().invoke(app, args + [a for pair in others.items() for a in pair])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
