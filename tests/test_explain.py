"""`whynow explain` on a small fixture company: the whole explanation as a golden file, and its errors."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from typer.testing import CliRunner

from whynow.cli import app
from whynow.explain import explain_account
from whynow.model.load import load_model
from whynow.run import run
from whynow.store import Store

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


def test_explain_names_who_to_call_and_the_contacts_own_badges(tmp_path):
    from tests.pipeline.test_calls import write_company

    data = write_company(tmp_path / "data", 3)
    run(load_model(data / "model.yaml"), str(data), dt.date(2026, 11, 20), store=tmp_path / "s.duckdb")
    text = "\n".join(explain_account(Store(tmp_path / "s.duckdb"), "A1"))
    assert (
        "Who to call:\n"
        "  1. Kim Ng (Buyer) <kim@acme.example>\n"
        "     Comparing: Kim Ng is comparing\n"
        "  2. Mo Diaz (Director) <mo@acme.example>\n"
        "     Hand-raiser: Mo Diaz asked for a demo\n"
        "  3. Sam Ito (Analyst)\n"
        "     Hand-raiser: Sam Ito asked for a demo\n"
    ) in text
    assert "Contacts' own badges:\n  Mo Diaz (C3): Hand-raiser (c-hand, change) since 2026-11-20" in text
    assert "  Ray Fox (C8): Hand-raiser (c-hand, change)" in text  # disqualified: a badge, never a call
    assert "    why: Max Roy fits" in text


def test_explain_needs_none_of_the_models_alert_secrets(tmp_path, monkeypatch):
    model = tmp_path / "model.yaml"
    model.write_text(
        (FIXTURE / "model.yaml").read_text() + "alerts:\n  webhook: {url: '${WHYNOW_TEST_HOOK}', on: [surfaced]}\n"
    )
    monkeypatch.setenv("WHYNOW_TEST_HOOK", "http://127.0.0.1:9/hook")
    store = tmp_path / "s.duckdb"
    args = ["run", "--model", str(model), "--data", str(FIXTURE), "--as-of", "2026-11-20", "--no-send"]
    assert runner.invoke(app, [*args, "--store", str(store)]).exit_code == 0
    monkeypatch.delenv("WHYNOW_TEST_HOOK")
    result = runner.invoke(app, ["explain", "A1", "--store", str(store)])
    assert result.exit_code == 0, result.stderr
    assert "Badge: Buying group forming" in result.stdout
