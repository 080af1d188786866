"""Every output of two weekly runs of a small demo company, as they were before the engine's redesign
(issue #21): each store table and each `--out` file, compared with golden copies under tests/golden/outputs/.

The store is dumped as text, rows in the order of all their columns; the CSV files are compared byte for
byte and must hold the same rows as the store; the Parquet files hold the same values and types. Only what
differs from run to run is replaced: the run ids (by run-1, run-2 in date order) and the runs' clock times.
A change here is a change of what every user's store and files hold: review the diff (`--update-golden`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from whynow.demo import DEMO_AS_OF, generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.load import load_model
from whynow.run import run

ACCOUNTS = 24  # small enough to read the diff; big enough for badges, grace, queues and call lists
WEEKS = (DEMO_AS_OF - dt.timedelta(weeks=1), DEMO_AS_OF)
CLOCK = ("started_at", "finished_at")  # when a run ran: the one thing that differs between equal runs
GOLDEN_FILES = Path(__file__).parent / "golden" / "outputs"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo company run weekly into one store, each run's outputs in out-<date>/ as CSV and Parquet."""
    folder = tmp_path_factory.mktemp("golden")
    generate_demo_data(folder / "data", as_of=DEMO_AS_OF, accounts=ACCOUNTS)
    model = load_model(reference_model_path())
    store = folder / "whynow.duckdb"
    for as_of in WEEKS:
        run(model, str(folder / "data"), as_of, store=store, out=folder / f"csv-{as_of}", fmt="csv")
        # The Parquet files of the same run: a second store, so that the first one's history is untouched.
        run(model, str(folder / "data"), as_of, store=folder / "parquet.duckdb", out=folder / f"parquet-{as_of}")
    return folder


def _run_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    ids = con.sql("SELECT run_id FROM runs ORDER BY as_of").fetchall()
    return {run_id: f"run-{i}" for i, (run_id,) in enumerate(ids, start=1)}


def _dump(con: duckdb.DuckDBPyConnection, table: str, names: dict[str, str]) -> str:
    """One table as text, a line per row in sorted order, run ids and clock times replaced."""
    described = con.sql(f'DESCRIBE "{table}"').fetchall()
    columns = [row[0] for row in described]
    lines = []
    for row in con.sql(f'SELECT * FROM "{table}"').fetchall():
        cells = []
        for column, value in zip(columns, row, strict=True):
            cells.append("<clock>" if column in CLOCK else names[value] if column == "run_id" else repr(value))
        lines.append(",".join(cells))
    header = [f"## {table} ({len(lines)} rows)", ",".join(f"{row[0]} {row[1]}" for row in described)]
    return "\n".join(header + sorted(lines)) + "\n"


def _replace_run_ids(text: str, names: dict[str, str]) -> str:
    for run_id, name in names.items():
        text = text.replace(run_id, name)
    return text


def test_the_store_holds_the_golden_rows(runs: Path, golden) -> None:
    with duckdb.connect(str(runs / "whynow.duckdb"), read_only=True) as con:
        names = _run_names(con)
        tables = [row[0] for row in con.sql("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        text = "".join(_dump(con, table, names) for table in tables)
    golden("outputs/store.txt", text)


def test_the_csv_files_are_the_golden_bytes(runs: Path, golden) -> None:
    """Each file's bytes (run ids and clock times replaced) by digest: row order, quoting and number formats."""
    with duckdb.connect(str(runs / "whynow.duckdb"), read_only=True) as con:
        names = _run_names(con)
    lines = []
    for as_of in WEEKS:
        for file in sorted((runs / f"csv-{as_of}").iterdir()):
            text = _replace_run_ids(file.read_text(encoding="utf-8"), names)
            if file.name == "runs.csv":  # the clock: "2026-11-13 19:30:00.123456Z" and the like
                text = re.sub(r"\d{4}-\d{2}-\d{2}[ T][0-9:.]+Z?", "<clock>", text)
            digest = hashlib.sha256(text.encode()).hexdigest()
            lines.append(f"{as_of} {file.name} {text.count(chr(10)) - 1} rows sha256 {digest}\n")
    golden("outputs/files.txt", "".join(lines))


@pytest.mark.parametrize("as_of", WEEKS, ids=str)
def test_the_csv_files_hold_the_rows_of_the_store(runs: Path, as_of: dt.date) -> None:
    """What a digest cannot show: the files of a run hold that run's rows of the store, in the same order."""
    with duckdb.connect(str(runs / "whynow.duckdb"), read_only=True) as con:
        for file in sorted((runs / f"csv-{as_of}").iterdir()):
            table = file.stem
            stored = con.sql(f"SELECT * FROM \"{table}\" WHERE as_of = DATE '{as_of}'").to_arrow_table()
            types = pacsv.ConvertOptions(column_types=stored.schema, strings_can_be_null=True)  # NULL: an empty field
            from_csv = pacsv.read_csv(file, convert_options=types)
            assert from_csv.column_names == stored.column_names, table
            key = [c for c in stored.column_names if c not in CLOCK]
            differ = sorted(map(str, from_csv.select(key).to_pylist())) != sorted(
                map(str, stored.select(key).to_pylist())
            )
            assert not differ, f"{file.name} does not hold the store's rows of {as_of}"


@pytest.mark.parametrize("week", [1, 2])
def test_the_parquet_files_hold_what_the_csv_files_hold(runs: Path, week: int) -> None:
    as_of = WEEKS[week - 1]
    csv_files = {f.stem: f for f in (runs / f"csv-{as_of}").iterdir()}
    parquet_files = {f.stem: f for f in (runs / f"parquet-{as_of}").iterdir()}
    assert set(parquet_files) == set(csv_files)
    for name, file in parquet_files.items():
        table = pq.read_table(file)
        types = pacsv.ConvertOptions(column_types=table.schema, strings_can_be_null=True)
        from_csv = pacsv.read_csv(csv_files[name], convert_options=types)
        keep = [c for c in table.column_names if c not in ("run_id", *CLOCK)]
        assert table.select(keep).equals(from_csv.select(keep)), name
