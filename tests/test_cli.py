"""The command line, in-process: exit codes (0, 1 user error, 2 usage error) and what users read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from whynow.cli import app
from whynow.examples import reference_model_path

runner = CliRunner()
MODEL = (
    "model: t\ncolumns: {accounts: {segment: text}}\n"
    "fit:\n  account:\n    - {name: Big, when: employees > 100, points: 10}\n"
)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_check_valid_model_exits_zero() -> None:
    result = runner.invoke(app, ["check", str(reference_model_path())])
    assert result.exit_code == 0
    assert "Model 'reference-saas' is valid" in result.stdout
    assert result.stderr == ""


def test_check_missing_model_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "nope.yaml: cannot read the model" in result.stderr


def test_usage_error_exits_two() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


def test_unknown_command_exits_two() -> None:
    assert runner.invoke(app, ["frobnicate"]).exit_code == 2


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("whynow ")


def test_check_with_data_confirms_declared_columns(tmp_path: Path) -> None:
    model = write(tmp_path, "model.yaml", MODEL)
    data = tmp_path / "data"
    write(data, "accounts.csv", "account_id,name,employees,segment\nA1,Acme,500,smb\nA2,Beta,20,mid\n")
    write(data, "contacts.csv", "contact_id,account_id\nC1,A1\nC2,A9\n")
    result = runner.invoke(app, ["check", str(model), "--data", str(data)])
    assert result.exit_code == 0, result.stderr
    assert "the model's columns are all there" in result.stdout
    assert "accounts        2 read" in result.stdout
    assert "contacts        2 read, 1 orphaned" in result.stdout


def test_check_with_data_missing_declared_column(tmp_path: Path) -> None:
    model = write(tmp_path, "model.yaml", MODEL)
    data = tmp_path / "data"
    write(data, "accounts.csv", "account_id,name,employees,segmnt\nA1,Acme,500,smb\n")
    result = runner.invoke(app, ["check", str(model), "--data", str(data)])
    assert result.exit_code == 1
    flat = " ".join(result.stderr.split())
    assert f"{model}:2: the model declares accounts.segment, but {data}/accounts.csv has no column 'segment'" in flat
    assert "did you mean 'segmnt'?" in flat


def test_check_with_bad_data_is_one_clear_error(tmp_path: Path) -> None:
    model = write(tmp_path, "model.yaml", "model: t\n")
    data = tmp_path / "data"
    write(data, "accounts.csv", "account_id,name,employees\nA1,Acme,many\n")
    result = runner.invoke(app, ["check", str(model), "--data", str(data)])
    assert result.exit_code == 1
    flat = " ".join(result.stderr.split())
    assert "accounts.csv: 1 bad row in table accounts: row 1: employees 'many' does not read as a whole number" in flat
    assert "Traceback" not in result.stderr


def test_console_entry_point_reports_without_traceback(tmp_path: Path) -> None:
    """The real process: a model error is one message on stderr and exit code 1."""
    import subprocess
    import sys

    model = write(tmp_path, "model.yaml", "model: t\nfitt: {}\n")
    done = subprocess.run([sys.executable, "-m", "whynow", "check", str(model)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "unknown section 'fitt'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_memory_limit_that_is_no_amount_is_one_line_and_exit_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(data, "accounts.csv", "account_id,name\nA1,Acme\n")
    args = ["run", "--model", str(reference_model_path()), "--data", str(data), "--store", str(tmp_path / "s.duckdb")]
    result = runner.invoke(app, [*args, "--memory-limit", "lots"])
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == "error: --memory-limit 'lots' is not an amount of memory; give one such as 1GB or 512MB"
    )
    assert not (tmp_path / "s.duckdb").exists()


STATUS = ("account_status", "contact_status")


def test_a_run_under_a_memory_limit_gives_the_same_outputs_and_too_little_is_one_line(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from whynow.demo import generate_demo_data

    data = tmp_path / "data"
    generate_demo_data(data, seed=3, accounts=40, as_of=dt.date(2026, 11, 20))
    outputs = {}
    for name, extra, env in (("free", [], {}), ("capped", [], {"WHYNOW_MEMORY_LIMIT": "256MB"})):
        args = ["run", "--model", str(reference_model_path()), "--data", str(data), "--as-of", "2026-11-20"]
        args += ["--store", str(tmp_path / f"{name}.duckdb"), "--out", str(tmp_path / name), *extra]
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 0, result.stderr
        outputs[name] = {
            t: pq.read_table(tmp_path / name / f"{t}.parquet") for t in ("account_status", "contact_status")
        }
    for table in STATUS:
        assert outputs["capped"][table].num_rows > 0
        assert outputs["capped"][table].equals(outputs["free"][table])
    tiny = runner.invoke(app, [*args[:-2], "--store", str(tmp_path / "tiny.duckdb"), "--memory-limit", "1MB"])
    assert tiny.exit_code == 1
    assert tiny.stderr.startswith("error: DuckDB ran out of memory under --memory-limit 1MB (")
    assert len(tiny.stderr.strip().splitlines()) == 1 and "Traceback" not in tiny.stderr
