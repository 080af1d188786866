"""What sales feedback teaches a backtest (SPEC §13, §9), on the hand-made history of test_backtest.py:

    run     surfaced (badge)                 outcome in [H, H + 30 days)
    11-06   A1 surge, A2 surge               A1: O1 (won); A3: O2 (lost)
    11-13   A3 research                      A3: O2
    11-20   A4 surge, A5 surge (A5 has an opportunity open: it counts nowhere)

Base rate 4/15. Verdicts, given in the user's store after every run date (as feedback is, at real time):
A1 working; A2 not now, then wrong fit; A3 wrong fit, then working; A6 (never surfaced) wrong fit; A4
none. So, by each account's latest verdict: working A1@11-06 (hit, won), A3@11-13 (hit, lost): precision
1, lift 3.75, win rate 1/2; wrong_fit A2@11-06: precision 0, lift 0; none A4@11-20: precision 0.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.learn.test_backtest import DATES, MODEL, RESEARCH, _model
from whynow.cli import app
from whynow.feedback import give
from whynow.learn.backtest import backtest, recorded, replay, run_dates
from whynow.learn.report import print_backtest
from whynow.learn.verdicts import read_verdicts
from whynow.run import run
from whynow.store import Store

runner = CliRunner()


def _at(day: int, month: int = 12, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def _user_store(world: Path, store: Path, *verdicts: tuple[str, str, dt.datetime]) -> Path:
    """The user's own store: one run (feedback is given on the accounts of its last run), then the verdicts,
    each by R1 at its time."""
    run(_model(), str(world), DATES[1], store=store)
    for account, verdict, now in verdicts:
        give(Store(store), account, "R1", verdict, now=now)
    return store


def _verdict_rows(result) -> dict[str, dict[str, object]]:
    return {f["name"]: f for f in result.figures.to_pylist() if f["group"] == "verdict"}


GIVEN_LATER = (
    ("A1", "working", _at(1)),
    ("A2", "not_now", _at(1)),
    ("A2", "wrong_fit", _at(2)),
    ("A3", "wrong_fit", _at(1)),
    ("A3", "working", _at(3)),
    ("A6", "wrong_fit", _at(1)),
)


def test_each_verdict_has_its_precision_and_lift_against_the_same_base_rate(world: Path, tmp_path: Path) -> None:
    store = _user_store(world, tmp_path / "user.duckdb", *GIVEN_LATER)
    verdicts = read_verdicts(str(store), named=True)
    assert verdicts is not None and verdicts.accounts() == 4
    result = backtest([_model()], str(world), *DATES, every=7, window=30, feedback=verdicts)
    rows = _verdict_rows(result)
    assert list(rows) == ["working", "wrong_fit", "none"]  # no surfaced account's latest verdict is not_now
    working, wrong_fit, none = rows["working"], rows["wrong_fit"], rows["none"]
    assert (working["account_dates"], working["outcomes"], working["won"]) == (2, 2, 1)
    assert working["precision"] == 1 and working["lift"] == pytest.approx(3.75)
    assert working["win_rate"] == pytest.approx(0.5) and working["pipeline"] == 150
    assert [wrong_fit[k] for k in ("account_dates", "outcomes", "precision", "lift")] == [1, 0, 0, 0]
    assert wrong_fit["win_rate"] is None  # no outcome to win
    assert (none["account_dates"], none["precision"], none["lift"]) == (1, 0, 0)
    assert [r["base_rate"] for r in rows.values()] == pytest.approx([4 / 15] * 3)
    overall = next(f for f in result.figures.to_pylist() if f["group"] == "overall")
    assert (overall["account_dates"], overall["outcomes"]) == (4, 2)  # given after every date: nothing held
    assert (result.feedback, result.verdicts) == (str(store), 4)
    printed = io.StringIO()
    print_backtest(Console(file=printed, width=200), result)
    lines = {line.strip("│ ").split("│")[0].strip(): line for line in printed.getvalue().splitlines() if "│" in line}
    assert "100%" in lines["verdict working"] and "3.75" in lines["verdict working"]
    assert "0%" in lines["verdict wrong fit"] and "0%" in lines["no verdict"]
    assert list(lines)[-3:] == ["verdict working", "verdict wrong fit", "no verdict"]  # after the badges
    from whynow.serve.schemas import BacktestFigure

    kept = recorded(result, "b1", _at(4))["backtest_figures"].to_pylist()  # `--store`: the dashboard reads them
    assert [BacktestFigure.model_validate(row).group for row in kept][-3:] == ["verdict"] * 3


def test_without_feedback_there_is_no_verdict_row(world: Path) -> None:
    result = backtest([_model()], str(world), *DATES, every=7, window=30)
    assert _verdict_rows(result) == {} and result.feedback is None


def test_a_verdict_holds_only_from_the_first_run_whose_horizon_is_after_it(world: Path, tmp_path: Path) -> None:
    """A2 is badged on 11-06 and 11-13. Its wrong-fit verdict of 11-10 is after the 11-06 run's horizon: that
    run surfaces A2 as if no one had said anything; the 11-13 run holds it, as the real run would have. A1's
    verdict of 11-06 23:59 is before its horizon and holds it that day; A4's, given at the horizon of the
    last run, reaches no run at all."""
    with (world / "intent.csv").open("a") as f:
        f.write("I6,A2,2026-11-13,CRM,category,80\n")
    store = _user_store(
        world,
        tmp_path / "user.duckdb",
        ("A2", "wrong_fit", _at(10, 11)),
        ("A1", "not_now", _at(6, 11, 23, 59)),
        ("A4", "wrong_fit", _at(21, 11, 0)),
    )
    verdicts = read_verdicts(str(store), named=True)
    assert verdicts is not None
    replayed = tmp_path / "replayed.duckdb"
    replay(_model(), str(world), run_dates(*DATES, 7), replayed, feedback=verdicts, resolving_only=False)

    def queue(account: str, day: int) -> tuple[object, object]:
        (row,) = Store(replayed).rows("account_status", dt.date(2026, 11, day), account_id=account)
        return row["queue"], row["held_reason"]

    assert queue("A2", 6) == ("surfaced", None)
    assert queue("A2", 13) == ("held", "wrong fit (sales feedback)")
    assert queue("A1", 6) == ("held", "not now (sales feedback)")
    assert queue("A4", 20) == ("surfaced", None)
    assert {row["account_id"] for row in Store(replayed).feedback()} == {"A1", "A2"}  # A4's never got in


def test_a_backtest_without_feedback_holds_nothing_whatever_the_user_store_says(world: Path, tmp_path: Path) -> None:
    """The same verdicts, not given to the backtest: its runs are the model's alone."""
    with (world / "intent.csv").open("a") as f:
        f.write("I6,A2,2026-11-13,CRM,category,80\n")
    replayed = tmp_path / "replayed.duckdb"
    replay(_model(), str(world), run_dates(*DATES, 7), replayed, resolving_only=False)  # every run kept
    (row,) = Store(replayed).rows("account_status", dt.date(2026, 11, 13), account_id="A2")
    assert row["queue"] == "surfaced"


def test_a_named_feedback_store_that_is_not_there_is_an_error_a_default_one_is_not(tmp_path: Path) -> None:
    from whynow.errors import DataError

    with pytest.raises(DataError, match="no store there"):
        read_verdicts(str(tmp_path / "missing.duckdb"), named=True)
    assert read_verdicts(str(tmp_path / "missing.duckdb"), named=False) is None
    assert not (tmp_path / "missing.duckdb").exists()  # looking created nothing


def test_the_command_reads_the_default_store_s_feedback_and_prints_and_writes_the_verdict_rows(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _user_store(world, tmp_path / "whynow.duckdb", *GIVEN_LATER)  # ./whynow.duckdb, where `whynow feedback` writes
    (tmp_path / "model.yaml").write_text(MODEL.format(name="with-research", research=RESEARCH))
    backtest_args = ["backtest", "--model", "model.yaml", "--data", str(world), "--from", str(DATES[0]),
                     "--to", str(DATES[1])]  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*backtest_args, "--window", "30", "--report", "report"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.stderr
    assert "Sales feedback from whynow.duckdb: 4 accounts with a verdict" in result.stdout
    assert "no verdict" in result.stdout and "wrong fit" in result.stdout
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report" / "figures.csv").read_text())))
    assert [(r["name"], r["precision"]) for r in rows if r["group"] == "verdict"] == [
        ("working", "1"), ("wrong_fit", "0"), ("none", "0")
    ]  # fmt: skip
    assert "Sales feedback from whynow.duckdb: 4 accounts" in (tmp_path / "report" / "report.html").read_text()
    ignored = runner.invoke(app, [*backtest_args, "--window", "30", "--no-feedback"], env={"COLUMNS": "250"})
    assert ignored.exit_code == 0, ignored.stderr
    assert "verdict" not in ignored.stdout and "Sales feedback" not in ignored.stdout
