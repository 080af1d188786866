"""`whynow explain` on a small fixture company: the whole explanation as a golden file, and its errors."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from whynow.cli import app

FIXTURE = Path(__file__).parent / "fixtures" / "explain"
runner = CliRunner()


def run_fixture(store: Path) -> None:
    result = runner.invoke(
        app, ["run", "--model", str(FIXTURE / "model.yaml"), "--data", str(FIXTURE), "--as-of", "2026-11-20",
              "--store", str(store)],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def test_explain_an_account(tmp_path: Path, golden) -> None:
    store = tmp_path / "store.duckdb"
    run_fixture(store)
    result = runner.invoke(app, ["explain", "A1", "--store", str(store)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    text = re.sub(r"\(run [0-9a-f]{12}\)", "(run RUN)", result.stdout)
    # Demo at one half-life: 40 × 0.5 = 20; three page views a day old: 3 × 2 × 0.5^0.1… = 5.6 → cap 5.
    assert "Ann Lee (C1): 20" in text
    assert "+5  Page view (3 rows, capped)" in text
    golden("explain_A1.txt", text)


def test_explain_an_unknown_account_suggests_a_near_one(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    run_fixture(store)
    result = runner.invoke(app, ["explain", "a1", "--store", str(store)])
    assert result.exit_code == 1
    assert "no account a1 in the run of 2026-11-20" in result.stderr
    assert "did you mean 'A1'?" in result.stderr


def test_explain_without_a_store_says_to_run_first(tmp_path: Path) -> None:
    result = runner.invoke(app, ["explain", "A1", "--store", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "run `whynow run` first" in result.stderr
