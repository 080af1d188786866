"""Configuration for schedulers: WHYNOW_MODEL, WHYNOW_DATA and WHYNOW_STORE as the flags' defaults, and
`--log-format json`, one JSON object per line, for cron, CI and orchestrators."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from whynow.cli import app
from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo")
    generate_demo_data(data, seed=4, accounts=24, as_of=dt.date(2026, 11, 20))
    return data


def env(demo: Path, store: Path) -> dict[str, str]:
    return {"WHYNOW_MODEL": str(reference_model_path()), "WHYNOW_DATA": str(demo), "WHYNOW_STORE": str(store)}


def last_run_id(store: Path) -> str:
    with duckdb.connect(str(store), read_only=True) as con:
        row = con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
    assert row is not None
    return str(row[0])


def test_the_environment_gives_model_data_and_store(tmp_path: Path, demo: Path) -> None:
    store = tmp_path / "nightly.duckdb"
    result = runner.invoke(app, ["run", "--as-of", "2026-11-20"], env=env(demo, store))
    assert result.exit_code == 0, result.output
    assert store.exists() and len(last_run_id(store)) == 32
    queue = runner.invoke(app, ["queue"], env=env(demo, store))  # reads the same store
    assert queue.exit_code == 0 and "surfaced" in queue.stdout
    check = runner.invoke(app, ["check"], env=env(demo, store))  # the model argument, and --data, from the env
    assert check.exit_code == 0 and f"Data {demo}: the model's columns are all there." in check.stdout


def test_a_flag_wins_over_the_environment(tmp_path: Path, demo: Path) -> None:
    flagged = tmp_path / "flagged.duckdb"
    args = ["run", "--as-of", "2026-11-20", "--store", str(flagged)]
    result = runner.invoke(app, args, env=env(demo, tmp_path / "env.duckdb"))
    assert result.exit_code == 0, result.output
    assert flagged.exists() and not (tmp_path / "env.duckdb").exists()


def test_help_names_the_environment_variables() -> None:
    text = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).stdout
    assert all(name in text for name in ("WHYNOW_MODEL", "WHYNOW_DATA", "WHYNOW_STORE", "WHYNOW_LOG_FORMAT"))


def lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]  # every line is one JSON object


def test_json_log_lines_of_a_run(tmp_path: Path, demo: Path) -> None:
    store = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["run", "--as-of", "2026-12-07", "--log-format", "json"], env=env(demo, store))
    assert result.exit_code == 0, result.output
    events = lines(result.stdout)
    steps = [e for e in events if e["event"] == "step"]
    assert [e["step"] for e in steps] == ["reading and validating the data", "scoring", "summarising", "writing"]
    assert all(isinstance(e["duration_s"], float) and e["duration_s"] >= 0 for e in steps)
    warnings = [e["message"] for e in events if e["event"] == "warning"]
    assert warnings and any("cannot fire as of 2026-12-07" in str(w) for w in warnings)  # 17 days after the data
    done = events[-1]
    assert done["event"] == "run" and done["command"] == "run"
    assert done["run_id"] == last_run_id(store) and done["as_of"] == "2026-12-07"
    assert done["accounts"] == 24 and done["warnings"] == warnings
    assert done["rows"]["accounts"]["read"] == 24  # type: ignore[index]
    assert sum(done["lead_status"].values()) == done["contacts"]  # type: ignore[union-attr]
    assert result.stderr == ""  # nothing for a human in between


def test_json_log_from_the_environment_and_an_error_as_a_json_line(tmp_path: Path, demo: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: bad\nfit:\n  account:\n    - {name: X, when: industy = 'A', points: 1}\n")
    variables = env(demo, tmp_path / "s.duckdb") | {"WHYNOW_LOG_FORMAT": "json"}
    result = runner.invoke(app, ["run", "--model", str(bad), "--as-of", "2026-11-20"], env=variables)
    assert result.exit_code == 1
    (event,) = lines(result.stdout)
    assert event["event"] == "error" and event["exit_code"] == 1
    assert "unknown name 'industy'" in str(event["message"])
    assert result.stderr.startswith("error: ")  # the one line a person reads, as always
