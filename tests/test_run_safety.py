"""A run loses nothing (SPEC §3, §4.10): a source without accounts is refused, outputs never land on
inputs, concurrent runs on one store commit in date order, and input columns named like whynow's own
neither crash a run nor stand in for what it computes."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from whynow.cli import app
from whynow.errors import UsageError
from whynow.model.load import load_model
from whynow.run import refuse_writing_over_inputs, run
from whynow.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "explain"
AS_OF = dt.date(2026, 11, 20)
runner = CliRunner()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the explain fixture's company: accounts, contacts, activities and its model."""
    folder = tmp_path / "data"
    shutil.copytree(FIXTURE, folder)
    return folder


def whynow(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stderr


def store_rows(store: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table of a DuckDB store with its rows, sorted: what "the store as it was" means."""
    with duckdb.connect(str(store), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in sorted(names)}


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def run_cli(data: Path, store: Path, as_of: str, *more: str | Path) -> tuple[int, str]:
    return whynow("run", "--model", data / "model.yaml", "--data", data, "--store", store, "--as-of", as_of, *more)


# --- 1. accounts is required -----------------------------------------------------------------------------


def test_a_source_without_accounts_is_refused_and_the_store_keeps_its_badges(data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    assert run_cli(data, store, "2026-11-20")[0] == 0
    before = store_rows(store)
    (data / "accounts.csv").unlink()
    code, stderr = run_cli(data, store, "2026-11-27")
    assert code == 1
    assert stderr.strip() == (
        f"error: {data} has no accounts table (accounts.csv, accounts.parquet or a table named accounts); it is "
        "the one table every source needs: add it, or check --data"
    )
    assert store_rows(store) == before  # no run, no badge_expired for the badges of the first run


# --- 2. outputs never over inputs ------------------------------------------------------------------------


@pytest.mark.parametrize("out", [".", "sub/.."], ids=["the-data-folder", "the-data-folder-another-way"])
def test_out_as_the_data_folder_is_refused_and_nothing_is_written(data: Path, tmp_path: Path, out: str) -> None:
    (data / "reps.csv").write_text("rep_id,name,capacity\nR1,Rita,5\n")
    (data / "sub").mkdir()
    inputs = folder_bytes(data)
    store = tmp_path / "store.duckdb"
    code, stderr = run_cli(data, store, "2026-11-20", "--out", data / out, "--format", "csv")
    assert code == 2
    assert stderr.strip() == (
        f"error: --out {data / out} is the data folder {data}: whynow writes nothing over its inputs (a run's reps "
        "and opportunities files would replace them); give another folder, e.g. a folder inside it"
    )
    assert folder_bytes(data) == inputs  # reps.csv is the rep file it was, with no extra columns
    assert not store.exists()


def test_out_inside_the_data_folder_writes_there_and_the_next_run_reads_the_same_inputs(
    data: Path, tmp_path: Path
) -> None:
    inputs = folder_bytes(data)
    assert run_cli(data, tmp_path / "store.duckdb", "2026-11-20", "--out", data / "out", "--format", "csv")[0] == 0
    assert (data / "out" / "reps.csv").exists() and folder_bytes(data) == inputs
    assert run_cli(data, tmp_path / "store.duckdb", "2026-11-27", "--out", data / "out", "--format", "csv")[0] == 0


def test_the_store_may_not_be_the_duckdb_file_the_data_is_read_from(data: Path, tmp_path: Path) -> None:
    database = tmp_path / "crm.duckdb"
    with duckdb.connect(str(database)) as con:
        for table in ("accounts", "contacts", "activities"):
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{data / table}.csv', all_varchar=true)")
    before = store_rows(database)
    code, stderr = whynow(
        "run", "--model", data / "model.yaml", "--data", database, "--store", database, "--as-of", "2026-11-20"
    )
    assert code == 2
    assert stderr.strip() == (
        f"error: --store {database} is a file of the data source {database}; whynow would write into its own "
        "input: give another --store"
    )
    assert store_rows(database) == before


def test_the_store_may_not_be_a_table_file_of_the_data_folder(data: Path) -> None:
    inputs = folder_bytes(data)
    code, stderr = run_cli(data, data / "accounts.csv", "2026-11-20")
    assert code == 2 and "is a file of the data source" in stderr
    assert folder_bytes(data) == inputs


@pytest.mark.parametrize(
    ("store", "data", "refused"),
    [
        ("postgresql://ann:pw@db:5432/crm", "postgresql://bob@db:5432/crm", True),
        ("postgresql://ann@db/crm?schema=sales", "postgresql://ann@db/crm?schema=sales&sslmode=require", True),
        ("postgresql://ann@db/crm?schema=whynow", "postgresql://ann@db/crm?schema=sales", False),
        ("postgresql://ann@db/store", "postgresql://ann@db/crm", False),
        ("postgresql://ann@other/crm", "postgresql://ann@db/crm", False),
    ],
)
def test_a_postgresql_store_may_not_share_the_schema_the_data_is_read_from(
    store: str, data: str, refused: bool
) -> None:
    if refused:
        with pytest.raises(UsageError, match=r"is the schema --data reads: the store's reps and opportunities"):
            refuse_writing_over_inputs(data, store, None)
    else:
        assert refuse_writing_over_inputs(data, store, None) is None


def test_a_backtest_report_or_store_among_the_inputs_is_refused(data: Path, tmp_path: Path) -> None:
    inputs = folder_bytes(data)
    backtest = ["backtest", "--model", data / "model.yaml", "--data", data, "--from", "2026-11-06"]
    backtest += ["--to", "2026-11-20"]
    code, stderr = whynow(*backtest, "--report", data)
    assert code == 2 and f"--report {data} is the data folder {data}" in stderr
    code, stderr = whynow(*backtest, "--store", data / "accounts.csv")
    assert code == 2 and "is a file of the data source" in stderr
    assert folder_bytes(data) == inputs


def test_out_beside_the_data_folder_is_fine(data: Path, tmp_path: Path) -> None:
    code, _ = run_cli(data, tmp_path / "store.duckdb", "2026-11-20", "--out", tmp_path / "out")
    assert code == 0
    assert (tmp_path / "out" / "account_status.parquet").exists()


# --- 3. concurrent runs ----------------------------------------------------------------------------------


def test_a_run_that_another_run_overtook_resolves_again_against_what_that_run_wrote(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run B (Nov 27) reads the state; run A (Nov 20) commits before B writes; B must not commit a
    resolution against the empty state it read: it resolves again, against A."""
    model = load_model(data / "model.yaml")
    store = tmp_path / "store.duckdb"
    write_run = Store.write_run
    overtaken = []

    def overtake(self: Store, *args: object, **kwargs: object) -> None:
        if not overtaken:
            overtaken.append(True)
            run(model, str(data), AS_OF, store=store)  # commits first
        write_run(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "write_run", overtake)
    later = run(model, str(data), dt.date(2026, 11, 27), store=store)
    monkeypatch.undo()

    alone = tmp_path / "alone.duckdb"
    run(model, str(data), AS_OF, store=alone)
    expected = run(model, str(data), dt.date(2026, 11, 27), store=alone)
    assert changes_of(later) == changes_of(expected)
    assert [r["as_of"] for r in Store(store).rows("runs", dt.date(2026, 11, 27))] == [dt.date(2026, 11, 27)]


def test_an_earlier_date_that_was_overtaken_is_refused_by_runs_go_forward(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = load_model(data / "model.yaml")
    store = tmp_path / "store.duckdb"
    write_run = Store.write_run

    def overtake(self: Store, *args: object, **kwargs: object) -> None:
        monkeypatch.setattr(Store, "write_run", write_run)
        run(model, str(data), dt.date(2026, 11, 27), store=store)  # the later date commits first
        write_run(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "write_run", overtake)
    with pytest.raises(Exception, match="its last run is as of 2026-11-27, and 2026-11-20 is before it"):
        run(model, str(data), AS_OF, store=store)
    assert [r["as_of"] for r in Store(store).rows("runs", dt.date(2026, 11, 27))] == [dt.date(2026, 11, 27)]
    assert Store(store).rows("runs", AS_OF) == []


def changes_of(result: object) -> list[tuple[object, ...]]:
    table = result.outputs["changes"].drop_columns(["run_id"])  # type: ignore[attr-defined]
    return sorted(tuple(r.values()) for r in table.to_pylist())


def test_two_processes_on_one_store_commit_in_date_order(data: Path, tmp_path: Path) -> None:
    """Two real `whynow run` processes started together, Nov 20 and Nov 27: whichever way they meet, the
    store ends as the two runs in date order would leave it, or the earlier one is refused."""
    store = tmp_path / "store.duckdb"
    args = [sys.executable, "-m", "whynow", "run", "--model", str(data / "model.yaml"), "--data", str(data)]
    procs = {
        day: subprocess.Popen(
            [*args, "--store", str(store), "--as-of", day, "--no-send"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for day in ("2026-11-20", "2026-11-27")
    }
    outcome = {day: (p.wait(timeout=120), p.stderr.read().decode()) for day, p in procs.items()}  # type: ignore[union-attr]
    for p in procs.values():
        p.stdout.close()  # type: ignore[union-attr]
        p.stderr.close()  # type: ignore[union-attr]
    assert outcome["2026-11-27"][0] == 0, outcome
    assert "Traceback" not in outcome["2026-11-20"][1]
    model = load_model(data / "model.yaml")
    alone = tmp_path / "alone.duckdb"
    if outcome["2026-11-20"][0] == 0:
        run(model, str(data), AS_OF, store=alone)
    else:
        assert "runs go forward in time" in outcome["2026-11-20"][1]
    expected = run(model, str(data), dt.date(2026, 11, 27), store=alone)
    with duckdb.connect(str(store), read_only=True) as con:
        got = con.execute(
            "SELECT * EXCLUDE (run_id) FROM changes WHERE as_of = DATE '2026-11-27' AND entity_type <> 'model'"
        ).fetchall()
    wanted = [r for r in changes_of(expected) if r[1] != "model"]
    assert sorted(got, key=repr) == sorted(wanted, key=repr)


# --- 5. input columns named like whynow's own ------------------------------------------------------------


def add_columns(csv: Path, names: list[str], value: str) -> None:
    lines = csv.read_text().splitlines()
    lines[0] += "".join(f",{n}" for n in names)
    lines[1:] = [line + f",{value}" * len(names) for line in lines[1:]]
    csv.write_text("\n".join(lines) + "\n")


def test_input_columns_named_like_outputs_and_measures_are_ignored(data: Path, tmp_path: Path) -> None:
    """Every output column of account_status, contact_status, reps and opportunities that is not the
    table's own canonical column, and every measure, added to the inputs as text: the run is the run
    without them, column for column."""
    from whynow.data.contract import TABLES
    from whynow.model.scope import ACCOUNT_MEASURES, CONTACT_MEASURES

    (data / "reps.csv").write_text("rep_id,name,capacity\nR1,Rita,5\n")
    (data / "opportunities.csv").write_text("opportunity_id,account_id,created_at\nO1,A1,2026-10-01\n")
    with (data / "model.yaml").open("a") as model:  # signals, so that their names are outputs' columns too
        model.write("signals:\n  recent_views: {from: activities, within_days: 30, measure: count}\n")
        model.write("  my_views: {from: activities, within_days: 30, measure: count, level: contact}\n")
    clean = run(load_model(data / "model.yaml"), str(data), AS_OF, store=tmp_path / "clean.duckdb")
    for table, output, measures in (
        ("accounts", "account_status", ACCOUNT_MEASURES),
        ("contacts", "contact_status", CONTACT_MEASURES),
        ("reps", "reps", {}),
        ("opportunities", "opportunities", {}),
    ):
        own = {c.name for c in TABLES[table].columns}
        names = sorted((set(clean.outputs[output].column_names) | set(measures)) - own)
        add_columns(data / f"{table}.csv", names, "1")
    assert "recent_views" in clean.outputs["account_status"].column_names
    assert "my_views" in clean.outputs["contact_status"].column_names
    clashing = run(load_model(data / "model.yaml"), str(data), AS_OF, store=tmp_path / "clashing.duckdb")
    for name in ("account_status", "contact_status", "score_breakdown", "reps", "opportunities", "evidence"):
        assert clashing.outputs[name].equals(clean.outputs[name]), name


def test_the_out_files_of_a_run_with_clashing_columns_have_each_column_once(data: Path, tmp_path: Path) -> None:
    add_columns(data / "accounts.csv", ["fit", "badge", "as_of"], "x")
    code, _ = run_cli(data, tmp_path / "store.duckdb", "2026-11-20", "--out", tmp_path / "out")
    assert code == 0
    names = pq.read_schema(tmp_path / "out" / "account_status.parquet").names
    assert len(names) == len(set(names))
    assert pq.read_table(tmp_path / "out" / "account_status.parquet").column("fit").type == "double"
