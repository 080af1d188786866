"""`whynow backtest` (SPEC §9) on a tiny hand-made history whose figures are computed by hand below.

Six accounts of rep R1 (capacity 2), weekly runs on 2026-11-06, -13 and -20, a 30-day window. Intent
of 70 or more on an as-of date gives a badge that day: `research` (competitive) for competitor intent,
else `surge` (change).

    run     surfaced (badge)                 outcome in [H, H + 30 days)
    11-06   A1 surge, A2 surge               A1: O1 on 11-10 (won, 100); A3: O2 on 11-25 (lost, 50)
    11-13   A3 research                      A3: O2
    11-20   A4 surge, A5 surge               A3: O2
    A5 has O3 open since 2026-10-01 at every date: it counts nowhere, surfaced or not.

Units (target account-dates without an open opportunity): A1, A2, A3, A4, A6 × 3 runs = 15; outcomes:
A1@11-06, A3@11-06, A3@11-13, A3@11-20 = 4, so the base rate is 4/15.
Surfaced units: A1@11-06 (hit), A2@11-06, A3@11-13 (hit), A4@11-20: precision 2/4, lift 0.5 / (4/15) = 1.875,
win rate 1/2, pipeline 150, median days (4, 12) = 8.
surge: A1@11-06 (hit), A2@11-06, A4@11-20: 1/3, lift 1.25, won 1/1, pipeline 100, 4 days.
research: A3@11-13 (hit): 1/1, lift 3.75, won 0/1, pipeline 50, 12 days.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from whynow.learn.backtest import backtest, measure, opportunities, replay, run_dates
from whynow.model.load import load_model_text
from whynow.outputs.previous import RESOLVES

DATES = (dt.date(2026, 11, 6), dt.date(2026, 11, 20))
MODEL = """
model: {name}
fit: {{account: [], contact: []}}
engagement:
  rules:
    - {{name: Demo request, when: "type = 'demo_request'", points: 10}}
leads:
  mql_when: engagement >= 10000
buying_committee:
  roles:
    decision_maker: seniority IN ('C-Level', 'VP')
signals:
  surge_today: {{from: intent, within_days: 1, measure: max(score)}}
  research_today: {{from: intent, where: "topic_category = 'competitor'", within_days: 1, measure: max(score)}}
accounts:
  target_when: fit >= 0
  mqa_when: engaged_contacts >= 40
badges:
  definitions:
{research}    - {{id: surge, archetype: change, label: Intent surge, when: surge_today >= 70, expires_after_days: 1,
       play: Category education, why: "{{account}} is surging"}}
capacity: {{default_per_rep: 2, unassigned: 0, rank_by: fit + engagement}}
"""
RESEARCH = """    - {id: research, archetype: competitive, label: Comparing, when: research_today >= 70,
       expires_after_days: 1, play: Differentiation one-pager, why: "{account} compares"}
"""
FILES = {
    "accounts.csv": (
        "account_id,name,owner_id\nA1,Acme,R1\nA2,Beta,R1\nA3,Core,R1\nA4,Dune,R1\nA5,Edge,R1\nA6,Fern,R1\n"
    ),
    "contacts.csv": "contact_id,account_id,first_name,last_name\nC1,A1,Ann,Lee\n",
    "reps.csv": "rep_id,name,capacity\nR1,Rita,2\n",
    "intent.csv": (
        "intent_id,account_id,observed_at,topic,topic_category,score\n"
        "I1,A1,2026-11-06,CRM,category,80\nI2,A2,2026-11-06,CRM,category,90\n"
        "I3,A3,2026-11-13,Acme,competitor,85\n"
        "I4,A4,2026-11-20,CRM,category,75\nI5,A5,2026-11-20,CRM,category,95\n"
    ),
    "opportunities.csv": (
        "opportunity_id,account_id,created_at,closed_at,amount,is_closed,is_won\n"
        "O1,A1,2026-11-10,2026-11-12,100,true,true\n"
        "O2,A3,2026-11-25,2026-12-01,50,true,false\n"
        "O3,A5,2026-10-01,,70,false,false\n"
    ),
}


def _model(name: str = "with-research", research: bool = True):
    return load_model_text(MODEL.format(name=name, research=RESEARCH if research else ""), f"{name}.yaml")


def _figures(result, model: str) -> dict[tuple[str, str], dict[str, object]]:
    return {(f["group"], f["name"]): f for f in result.figures.to_pylist() if f["model"] == model}


def test_a_badge_that_precedes_opportunities_has_the_precision_and_lift_computed_by_hand(world: Path) -> None:
    result = backtest([_model()], str(world), *DATES, every=7, window=30)
    figures = _figures(result, "with-research")
    overall = figures[("overall", "surfaced")]
    assert (overall["account_dates"], overall["outcomes"], overall["won"]) == (4, 2, 1)
    assert overall["precision"] == pytest.approx(0.5)
    assert overall["base_rate"] == pytest.approx(4 / 15)
    assert overall["lift"] == pytest.approx(1.875)
    assert overall["win_rate"] == pytest.approx(0.5)
    assert (overall["pipeline"], overall["median_days"]) == (150, 8)
    assert overall["surfaced_per_run"] == pytest.approx(4 / 3) and overall["capacity_per_run"] == 2
    surge = figures[("badge", "surge")]
    assert (surge["account_dates"], surge["outcomes"], surge["won"], surge["pipeline"], surge["median_days"]) == (
        3, 1, 1, 100, 4)  # fmt: skip
    assert surge["precision"] == pytest.approx(1 / 3) and surge["lift"] == pytest.approx(1.25)
    research = figures[("badge", "research")]
    assert (research["precision"], research["lift"], research["win_rate"]) == (1, pytest.approx(3.75), 0)
    assert figures[("archetype", "change")]["account_dates"] == 3
    assert figures[("archetype", "competitive")]["account_dates"] == 1
    assert ("mqa", "MQA") not in figures  # no MQA in this world: no row rather than a division by zero
    per_run = result.per_run.to_pylist()
    assert [(r["as_of"], r["surfaced"], r["capacity"], r["outcomes"]) for r in per_run] == [
        (dt.date(2026, 11, 6), 2, 2, 1),
        (dt.date(2026, 11, 13), 1, 2, 1),
        (dt.date(2026, 11, 20), 1, 2, 0),  # A5 was surfaced too, but its open opportunity takes it out
    ]


def test_an_opportunity_already_open_at_the_as_of_date_is_not_an_outcome(world: Path, tmp_path: Path) -> None:
    runs = replay(_model(), str(world), run_dates(*DATES, 7), tmp_path / "store.duckdb")
    a5 = [u for u in runs.units.to_pylist() if u["account_id"] == "A5"]
    assert [u["has_open_opportunity"] for u in a5] == [True, True, True]
    assert a5[-1]["queue"] == "surfaced"
    # A new opportunity for A5 inside the window does not make an outcome: A5 had one open already.
    deals = pa.table({
        "account_id": ["A5"], "created_at": pa.array([dt.datetime(2026, 11, 22, tzinfo=dt.UTC)]),
        "amount": [500.0], "is_won": [True],
    })  # fmt: skip
    figures = measure([runs], deals, 30, run_dates(*DATES, 7)).figures.to_pylist()
    assert [(f["name"], f["outcomes"]) for f in figures if f["group"] == "overall"] == [("surfaced", 0)]


def test_rows_after_a_date_change_no_run_only_outcomes(world: Path, tmp_path: Path) -> None:
    later = tmp_path / "later"
    shutil.copytree(world, later)
    with (later / "intent.csv").open("a") as f:
        f.write("I9,A2,2026-11-21,CRM,category,99\n")  # after the last run
    with (later / "opportunities.csv").open("a") as f:
        f.write("O9,A2,2026-11-26,,400,false,false\n")  # in A2's window of 11-06, after every run
    dates = run_dates(*DATES, 7)
    runs_before = replay(_model(), str(world), dates, tmp_path / "a.duckdb")
    runs_after = replay(_model(), str(later), dates, tmp_path / "b.duckdb")
    assert runs_after.units.equals(runs_before.units)
    surge_before, surge_after = (
        _figures(measure([runs], opportunities(_model(), str(data)), 30, dates), "with-research")[("badge", "surge")]
        for runs, data in ((runs_before, world), (runs_after, later))
    )
    assert (surge_before["outcomes"], surge_after["outcomes"]) == (1, 2)  # A2@11-06 now has an outcome
    assert surge_after["pipeline"] == 500


def test_against_puts_two_models_side_by_side(world: Path) -> None:
    result = backtest([_model(), _model("surge-only", research=False)], str(world), *DATES, every=7, window=30)
    one, other = _figures(result, "with-research"), _figures(result, "surge-only")
    assert ("badge", "research") in one and ("badge", "research") not in other
    assert other[("badge", "surge")]["account_dates"] == 4  # A3@11-13 is a surge without the research badge
    assert other[("badge", "surge")]["precision"] == pytest.approx(2 / 4)
    assert one[("overall", "surfaced")]["precision"] == other[("overall", "surfaced")]["precision"]


def test_run_dates_refuse_a_backwards_range() -> None:
    from whynow.errors import DataError

    with pytest.raises(DataError, match="before --from"):
        run_dates(DATES[1], DATES[0], 7)


def test_the_command_prints_both_models_their_difference_and_writes_the_report(world: Path, tmp_path: Path) -> None:
    import csv
    import io
    import subprocess
    import sys

    for name, research in (("with-research", True), ("surge-only", False)):
        (tmp_path / f"{name}.yaml").write_text(MODEL.format(name=name, research=RESEARCH if research else ""))
    result = subprocess.run(
        [sys.executable, "-m", "whynow", "backtest", "--model", str(tmp_path / "with-research.yaml"),
         "--against", str(tmp_path / "surge-only.yaml"), "--data", str(world), "--from", "2026-11-06",
         "--to", "2026-11-20", "--window", "30", "--report", str(tmp_path / "report"),
         "--store", str(tmp_path / "kept.duckdb")],
        capture_output=True, text=True, timeout=300, env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Backtest over 3 runs (2026-11-06 … 2026-11-20), outcomes within 30 days" in result.stdout
    assert "with-research" in result.stdout and "surge-only" in result.stdout
    surge = next(line for line in result.stdout.splitlines() if line.strip("│ ").startswith("surge"))
    assert "33%" in surge and "50%" in surge and "+17 pts" in surge  # precision 1/3 → 2/4 on the surge badge
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report" / "figures.csv").read_text())))
    assert {(r["model"], r["group"], r["name"]) for r in rows} >= {
        ("with-research", "badge", "research"),
        ("surge-only", "badge", "surge"),
        ("with-research", "overall", "surfaced"),
    }
    import duckdb

    recorded_id = result.stdout.split("Recorded as backtest ")[1].split()[0]
    with duckdb.connect(str(tmp_path / "kept.duckdb"), read_only=True) as con:
        assert con.execute("SELECT backtest_id, runs, window_days FROM backtests").fetchall() == [(recorded_id, 3, 30)]
        stored = con.execute(
            'SELECT model, "group", name FROM backtest_figures ORDER BY position'
        ).fetchall()  # the figures as the CSV has them, in its order
        assert "runs" not in {t for (t,) in con.execute("SHOW TABLES").fetchall()}  # no run goes into that store
    assert stored == [(r["model"], r["group"], r["name"] or None) for r in rows]
    html = (tmp_path / "report" / "report.html").read_text()
    assert '<script src="plotly.min.js"></script>' in html and (tmp_path / "report" / "plotly.min.js").exists()
    assert 'id="spec-lift"' in html


def test_runs_that_share_the_prepared_data_equal_cold_runs(tmp_path: Path) -> None:
    """The backtest reads, checks and resolves the data once for all its dates (the run summary's tallies
    too); each run still writes exactly what `whynow run` writes at that date: every table of the store,
    the run summary's counts included, on a generated company with orphans, unmatched rows and late rows.
    A backtest's own store keeps only the tables the next run reads, each as cold runs wrote it."""
    import duckdb
    from bench.generate import generate

    from whynow.examples import reference_model_path
    from whynow.model.load import load_model
    from whynow.run import run

    data = tmp_path / "company"
    generate(data, 3_000)
    model = load_model(reference_model_path())
    dates = run_dates(dt.date(2026, 11, 6), dt.date(2026, 11, 20), 7)
    replay(model, str(data), dates, tmp_path / "shared.duckdb", resolving_only=False)  # all, as `whynow run`
    replay(model, str(data), dates, tmp_path / "trimmed.duckdb")  # a backtest's: what the next run reads
    for i, day in enumerate(dates):
        run(model, str(data), day, store=tmp_path / "cold.duckdb", fresh=i == 0)

    def contents(store: Path, as_of: dt.date | None = None) -> dict[str, list[tuple[object, ...]]]:
        """Every table's rows (of one as-of date where a table has one, when given)."""
        with duckdb.connect(str(store), read_only=True) as con:
            tables = [t for (t,) in con.execute("SHOW TABLES").fetchall()]
            found = {}
            for table in tables:
                columns = [c for (c, *_) in con.execute(f"DESCRIBE {table}").fetchall()]
                kept = ", ".join(f'"{c}"' for c in columns if c not in ("run_id", "started_at", "finished_at"))
                where = f"WHERE as_of = DATE '{as_of}'" if as_of and "as_of" in columns else ""
                found[table] = con.execute(f"SELECT {kept} FROM {table} {where} ORDER BY ALL").fetchall()
            return found

    shared, cold = contents(tmp_path / "shared.duckdb"), contents(tmp_path / "cold.duckdb")
    assert shared.keys() == cold.keys() and {"account_status", "runs", "evidence"} <= shared.keys()
    assert len({row[0] for row in shared["runs"]}) == len(dates)
    assert any(row for row in shared["runs"] if row[-1])  # summary counts are there to compare
    for table in cold:
        assert shared[table] == cold[table], table
    # A backtest's store holds only what the next run resolves against, of the last run alone, as cold runs
    # wrote it.
    trimmed = contents(tmp_path / "trimmed.duckdb", dates[-1])
    assert trimmed.keys() >= RESOLVES and "score_breakdown" not in trimmed and "call_list" not in trimmed
    assert len(trimmed["runs"]) == 1
    last = contents(tmp_path / "cold.duckdb", dates[-1])
    for table in trimmed:
        assert trimmed[table] == last[table], table


def test_a_history_where_every_account_has_a_deal_open_says_there_is_nothing_to_measure(
    world: Path, tmp_path: Path
) -> None:
    """As on a CRM whose every account always has an open deal: no account-date counts, and the table says why
    instead of printing empty."""
    import io

    from rich.console import Console

    from whynow.learn.report import print_backtest

    dates = run_dates(*DATES, 7)
    runs = replay(_model(), str(world), dates, tmp_path / "store.duckdb")
    column = runs.units.schema.get_field_index("has_open_opportunity")
    runs.units = runs.units.set_column(column, "has_open_opportunity", pa.array([True] * runs.units.num_rows))
    result = measure([runs], opportunities(_model(), str(world)), 30, dates)
    assert result.figures.num_rows == 0
    out = io.StringIO()
    print_backtest(Console(file=out, width=200), result)
    assert "Nothing to measure: at no date was an account surfaced or MQA without an open opportunity" in out.getvalue()
