"""`whynow learn` judges its proposal (SPEC §9, #23): the proposed model is replayed beside the current one
on the test dates, and `--write` refuses a proposal that is worse there unless `--force`.

Two small worlds. In the planted one (tests/learn/test_learn.py's) an opportunity follows Software and a
demo request, never company size, while the model gives Big company as many points as Software: learn's
proposal drops it and surfaces better accounts. In the drifting one, big companies bought during the
training dates and software companies during the test dates: the current model (Software first) is right
on the test dates, and the proposal learned from the past (Big company first) is worse there."""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.learn.test_learn import END, START, _points, _world
from tests.learn.test_learn import MODEL as PLANTED_MODEL
from whynow.cli import app

runner = CliRunner()
# Every account holds the badge, so each date surfaces the capacity's 20 best by rank_by: lift at capacity
# is the ranking's.
PLANTED = PLANTED_MODEL.replace("when: engagement >= 30", "when: fit >= 0")
DRIFT_START, DRIFT_END = dt.date(2026, 9, 4), dt.date(2026, 10, 9)  # six weekly runs; the last two test
DRIFT = """model: drift
fit:
  account:
    - {name: Software, when: "industry = 'Software'", points: 20}
    - {name: Big company, when: employees >= 1000, points: 5}
  contact: []
engagement:
  rules:
    - {name: Page view, when: "type = 'page_view'", points: 1}
leads:
  mql_when: engagement >= 10000
buying_committee:
  roles:
    decision_maker: seniority IN ('C-Level', 'VP')
accounts:
  target_when: fit >= 0
  mqa_when: engaged_contacts >= 40
badges:
  definitions:
    - {id: fits, archetype: change, label: Fits, when: fit >= 0, play: Call, why: "{account} fits"}
capacity: {default_per_rep: 20, unassigned: 0, rank_by: fit + engagement}
"""


def _drifting_world(folder: Path, accounts: int = 160, seed: int = 7) -> None:
    rng = random.Random(seed)
    rows: dict[str, list[str]] = {name: [] for name in ("accounts", "contacts", "activities", "opportunities")}
    runs = [DRIFT_START + dt.timedelta(weeks=w) for w in range(6)]
    for a in range(accounts):
        account = f"A{a:03d}"
        software, big = rng.random() < 0.5, rng.random() < 0.5
        rows["accounts"].append(f"{account},Co {a},{'Software' if software else 'Retail'},{5000 if big else 50},R1")
        rows["contacts"].append(f"C{a:03d},{account},Pat,Doe")
        for w, run in enumerate(runs):
            if rng.random() < 0.3:
                day = dt.datetime.combine(run - dt.timedelta(days=1), dt.time(10), tzinfo=dt.UTC)
                rows["activities"].append(f"X{len(rows['activities'])},C{a:03d},{account},page_view,{day.isoformat()}")
            odds = -3.0 + 3.0 * (big if w < 4 else software)  # what buys changes at the first test date
            if rng.random() < 1 / (1 + math.exp(-odds)):
                created = run + dt.timedelta(days=3)
                rows["opportunities"].append(
                    f"O{len(rows['opportunities'])},{account},{created},{created + dt.timedelta(days=2)},10,true,false"
                )
    heads = {
        "accounts": "account_id,name,industry,employees,owner_id",
        "contacts": "contact_id,account_id,first_name,last_name",
        "activities": "activity_id,contact_id,account_id,type,occurred_at",
        "opportunities": "opportunity_id,account_id,created_at,closed_at,amount,is_closed,is_won",
    }
    for name, lines in rows.items():
        (folder / f"{name}.csv").write_text("\n".join([heads[name], *lines]) + "\n")
    (folder / "reps.csv").write_text("rep_id,name,capacity\nR1,Rita,20\n")


def _learn(model: Path, data: Path, first: dt.date, last: dt.date, *more: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        ["learn", "--model", str(model), "--data", str(data), "--from", str(first), "--to", str(last),
         "--window", "7", *more],
        terminal_width=200,
    )  # fmt: skip
    return result.exit_code, result.stdout, result.stderr


def _figure(stdout: str, row: str) -> tuple[float, float]:
    """The current model's and the proposal's values in a row of the judged table."""
    line = next(line for line in stdout.splitlines() if line.strip("│ ").startswith(row))
    current, proposed = (float(cell.split()[0]) for cell in line.strip("│ ").split("│")[1:3])
    return current, proposed


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("planted")
    _world(folder)
    return folder


def test_a_proposal_that_surfaces_better_accounts_is_judged_better_and_written(planted: Path, tmp_path: Path) -> None:
    model = tmp_path / "planted.yaml"
    model.write_text(PLANTED)
    code, stdout, stderr = _learn(model, planted, START, END, "--write", str(tmp_path / "new.yaml"))
    assert code == 0, stderr
    points = _points((tmp_path / "new.yaml").read_text())
    assert points["Big company"] == 0 < points["Software"] and points["Unsubscribe"] < 0 < points["Demo request"]
    current, proposed = _figure(stdout, "lift at capacity")
    assert proposed > current > 1  # the proposal surfaces accounts that buy more often
    auc_now, auc_proposed = _figure(stdout, "AUC of the ranking")
    assert auc_proposed > auc_now
    assert f"the proposal is better on the test data ({proposed:.3f} against {current:.3f}" in stdout
    assert "MQAs at 2026-11-06" in stdout and "lead status new at 2026-11-06" in stdout  # the counts, side by side
    assert "an opaque model would reach AUC 0." in stdout  # the gradient-boosted baseline


@pytest.fixture(scope="module")
def drifting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("drifting")
    _drifting_world(folder)
    return folder


def test_a_proposal_worse_on_the_test_dates_is_refused_in_one_line_unless_forced(
    drifting: Path, tmp_path: Path
) -> None:
    model, new = tmp_path / "drift.yaml", tmp_path / "new.yaml"
    model.write_text(DRIFT)
    code, stdout, stderr = _learn(model, drifting, DRIFT_START, DRIFT_END, "--write", str(new))
    assert code == 1 and not new.exists()
    [line] = stderr.strip().splitlines()
    assert line.startswith(f"error: {new} not written: the proposal is worse on the test data by lift at capacity:")
    current, proposed = _figure(stdout, "lift at capacity")
    assert proposed < current
    assert f"{proposed:.3f} against {current:.3f} for the current model; --force writes it anyway" in line
    code, _, stderr = _learn(model, drifting, DRIFT_START, DRIFT_END, "--write", str(new), "--force")
    assert code == 0, stderr
    assert _points(new.read_text())["Big company"] > _points(new.read_text())["Software"]  # what it learned, written


def test_a_proposal_is_refused_by_the_measure_chosen() -> None:
    from whynow.learn.honest import Interval
    from whynow.learn.judge import Judgement, Side

    better_auc_worse_lift = Judgement(
        Side(Interval(0.70, 0.65, 0.75), lift=2.0), Side(Interval(0.72, 0.67, 0.77), lift=1.5), END
    )
    assert better_auc_worse_lift.refusal("auc") is None
    assert "by lift at capacity: 1.500 against 2.000" in (better_auc_worse_lift.refusal("lift") or "")
    surfaces_nothing = Judgement(Side(None, lift=2.0), Side(None, lift=None), END)
    assert "none against 2.000" in (surfaces_nothing.refusal("lift") or "")


def test_the_contact_level_has_no_lift_to_judge_by(tmp_path: Path) -> None:
    model = tmp_path / "leads.yaml"
    model.write_text(PLANTED)
    result = runner.invoke(
        app, ["learn", "--model", str(model), "--data", str(tmp_path), "--level", "contact", "--label", "converted",
              "--judge", "lift"],
    )  # fmt: skip
    assert result.exit_code == 2 and "use --judge auc" in result.stderr
