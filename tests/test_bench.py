"""The benchmark's cross-check (issue #5): on a small generated company, whynow and the hand-written DuckDB SQL
for the reference model (bench/reference.sql) agree on every column both write — two independent readings
of SPEC §2-§4 — and the generated data make every stage of the reference model do real work. The Goals table
of issue #21 is checked on made-up measures: tests never time anything, bench/bench.py is the measurement."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from bench import bench
from bench.bench import Measure, Result, goal_rows, verdict
from bench.compare import ColumnDifference, Comparison, compare
from bench.generate import AS_OF, Scale, generate
from bench.reference import run_reference

import whynow.examples
from whynow.model.load import load_model
from whynow.run import run

MODEL = Path(whynow.examples.__file__).with_name("model.yaml")
ACTIVITIES = 20_000
# SPEC §5 columns that depend on badges, capacity or narratives: the hand script leaves them out
BADGE_AND_QUEUE = ("badge", "archetype", "badge_label", "motion", "play", "why", "badge_since", "badge_expires_on",
                   "route_to", "queue", "queue_rank", "held_reason")  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    generate(folder, ACTIVITIES)
    return folder


@pytest.fixture(scope="module")
def hand(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand script's outputs on the data."""
    return run_reference(data, AS_OF, tmp_path_factory.mktemp("hand"))[0].parent


def test_whynow_and_the_hand_script_agree_on_every_column_they_share(data, hand, tmp_path):
    run(load_model(MODEL), str(data), AS_OF, store=tmp_path / "store.duckdb", out=tmp_path / "whynow")
    comparison = compare(tmp_path / "whynow", hand)
    assert comparison.agree, "\n".join(comparison.describe())
    for table, key in (("account_status", "account_id"), ("contact_status", "contact_id")):
        written = pq.read_schema(tmp_path / "whynow" / f"{table}.parquet").names
        assert comparison.columns[table] == [c for c in written if c not in (key, *BADGE_AND_QUEUE)]


def test_the_comparison_reports_a_difference(hand, tmp_path):
    """The cross-check is not vacuous: one engagement off by 0.01 is caught and shown."""
    (tmp_path / "contact_status.parquet").write_bytes((hand / "contact_status.parquet").read_bytes())
    accounts = hand / "account_status.parquet"
    duckdb.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN account_id = (SELECT min(account_id) FROM '{accounts}') "
        f"THEN engagement + 0.01 ELSE engagement END AS engagement) FROM '{accounts}') "
        f"TO '{tmp_path}/account_status.parquet' (FORMAT parquet)"
    )
    comparison = compare(hand, tmp_path)
    assert not comparison.agree
    assert [(d.table, d.column, d.rows) for d in comparison.differences] == [("account_status", "engagement", 1)]
    assert "account_status.engagement: 1 rows differ" in comparison.describe()


def test_the_data_make_every_stage_of_the_model_work(hand):
    accounts = pq.read_table(hand / "account_status.parquet").to_pylist()
    contacts = pq.read_table(hand / "contact_status.parquet").to_pylist()
    stages = {a["stage"] for a in accounts}
    assert {"post_sale", "mqa", "engaged", "qualified", "unqualified"} <= stages
    assert {c["lead_status"] for c in contacts} == {"new", "nurture", "mql", "sql", "disqualified"}
    assert {c["committee_role"] for c in contacts} >= {"decision_maker", "champion", "blocker", "influencer"}
    assert any(a["anonymous_activities"] for a in accounts)
    for signal in ("competitor_research", "competitor_researched", "category_surge", "funding_days_ago"):
        assert any(a[signal] is not None for a in accounts), signal
    assert any(a["uses_salesforce"] for a in accounts) and any(a["has_open_opportunity"] for a in accounts)


def test_the_same_seed_gives_the_same_data_whatever_the_threads(tmp_path):
    one = generate(tmp_path / "one", 3_000, threads=1)
    two = generate(tmp_path / "two", 3_000, threads=2)
    other = generate(tmp_path / "other", 3_000, seed=8)
    assert one == two and other["activities"] == one["activities"]
    for table in one:
        assert pq.read_table(tmp_path / "one" / f"{table}.parquet") == pq.read_table(
            tmp_path / "two" / f"{table}.parquet"
        )
    assert pq.read_table(tmp_path / "one" / "activities.parquet") != pq.read_table(
        tmp_path / "other" / "activities.parquet"
    )


def test_accounts_and_contacts_scale_with_the_activities():
    assert (Scale.of(50_000_000).accounts, Scale.of(50_000_000).contacts) == (100_000, 1_000_000)
    assert Scale.of(1_000_000).accounts == 2_000


@pytest.mark.parametrize(
    ("whynow", "hand", "agree"),
    [
        (108630.885013, 108630.885012, True),  # one unit of the 6th decimal at 1e5: a sum in another order
        (0.123457, 0.123456, True),
        (108630.885014, 108630.885012, False),
        (0.123458, 0.123456, False),
    ],
)
def test_one_unit_of_the_sixth_decimal_agrees_at_any_size(tmp_path, whynow, hand, agree):
    for name, value in (("w", whynow), ("h", hand)):
        folder = tmp_path / name
        folder.mkdir()
        for table, key in (("account_status", "account_id"), ("contact_status", "contact_id")):
            row = f"SELECT 'X1' AS {key}, {value}::DOUBLE AS engagement"
            duckdb.execute(f"COPY ({row}) TO '{folder}/{table}.parquet' (FORMAT parquet)")
    assert compare(tmp_path / "w", tmp_path / "h").agree is agree


def result(activities: int, whynow_wall: float, hand_wall: float, peak_mb: float = 500.0, agree: bool = True) -> Result:
    """A made-up scale: only the walls, whynow's peak and the agreement matter to the goals."""
    differences = [] if agree else [ColumnDifference("account_status", "engagement", 1, [])]
    return Result(activities, activities, 1, 1, 1.0, None, 1, Measure(whynow_wall, 1.0, peak_mb),
                  Measure(hand_wall, 1.0, 100.0), Comparison(differences=differences))  # fmt: skip


SMALL = {"explain": Measure(0.8, 0.7, 200), "explain_cold": Measure(2.5, 2.4, 250), "help": Measure(0.39, 0.3, 90),
         "check": Measure(0.41, 0.4, 95)}  # fmt: skip


def by_goal(rows: list[list[str]]) -> dict[str, tuple[str, str]]:
    """{measure: (measured, verdict)}, with each measure's goal checked against the issue's."""
    goals = {row[0]: row[1] for row in rows}
    assert list(goals.values()) == ["≤ 2× (stretch 1.3×)"] * 2 + ["≤ 1 GB", "≤ 1 s", "≤ 1 s", "≤ 0.4 s", "≤ 0.4 s"]
    return {row[0]: (row[2], row[3]) for row in rows}


RATIO_10M = "`whynow run` / `bench/reference.sql`, wall, at 10M"
RATIO_50M = "`whynow run` / `bench/reference.sql`, wall, at 50M"
PEAK_50M = "peak memory of `whynow run` at 50M, DuckDB's default limit"
EXPLAIN = "a whole `whynow run` of `tests/fixtures/explain`, wall"
EXPLAIN_COLD = "the same, its plan not yet cached, wall"
HELP, CHECK = "`whynow --help`, wall", "`whynow check` on the reference model, wall"


def test_every_goal_is_met_not_met_or_met_with_its_stretch():
    rows = goal_rows([result(1_000_000, 9.0, 1.0), result(10_000_000, 12.0, 10.0),
                      result(50_000_000, 30.0, 10.0, peak_mb=999.4)], SMALL)  # fmt: skip
    assert by_goal(rows) == {
        RATIO_10M: ("1.20×", "met, stretch too"),
        RATIO_50M: ("3.00×", "not met"),
        PEAK_50M: ("999 MB", "met"),
        EXPLAIN: ("0.80 s", "met"),
        EXPLAIN_COLD: ("2.50 s", "not met"),
        HELP: ("0.39 s", "met"),
        CHECK: ("0.41 s", "not met"),
    }


def test_a_measure_not_taken_at_this_run_says_not_measured_and_why():
    """The default run (1M, 10M) takes no 50M; --small-only takes no scale; without small measures, none."""
    default = by_goal(goal_rows([result(1_000_000, 9.0, 1.0), result(10_000_000, 19.0, 10.0)], {}))
    assert default[RATIO_10M] == ("1.90×", "met")
    assert default[RATIO_50M] == default[PEAK_50M] == ("— (no 50M run; add --with-50m)", "not measured")
    assert default[EXPLAIN] == default[EXPLAIN_COLD] == default[HELP] == default[CHECK] == ("—", "not measured")
    small_only = by_goal(goal_rows([], SMALL))
    assert small_only[RATIO_10M] == ("— (no 10M run)", "not measured")
    assert small_only[EXPLAIN] == ("0.80 s", "met")


def test_the_peak_under_a_memory_limit_is_not_the_goals_and_differing_outputs_meet_no_ratio():
    rows = goal_rows([result(10_000_000, 10.0, 10.0, agree=False), result(50_000_000, 10.0, 10.0, peak_mb=800)],
                     SMALL, memory_limit="1GB")  # fmt: skip
    goals = by_goal(rows)
    assert goals[RATIO_10M] == ("1.00× (outputs differ)", "not met")
    assert goals[RATIO_50M] == ("1.00×", "met, stretch too")
    assert goals[PEAK_50M] == ("— (ran with --memory-limit 1GB)", "not measured")


@pytest.mark.parametrize(
    ("value", "stretch", "expected"),
    [(2.0, 1.3, "met"), (2.001, 1.3, "not met"), (1.3, 1.3, "met, stretch too"), (0.5, None, "met")],
)
def test_a_goal_is_met_at_its_bound_and_not_beyond(value, stretch, expected):
    assert verdict(value, 2.0, stretch) == expected


def test_the_results_file_of_a_small_only_run_has_the_goals_and_no_scale_table():
    started = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    text = bench.markdown([], 7, AS_OF, "a machine", started, (0.5, 0.6), SMALL, 5)
    assert "| scale |" not in text and "* Data:" not in text
    assert "## Goals (issue #21)\n\n| measure | goal | measured | verdict |\n|---|---:|---:|:---:|\n" in text
    assert "| `whynow --help`, wall | ≤ 0.4 s | 0.39 s | met |" in text
    assert "| `whynow check` on the reference model, wall | ≤ 0.4 s | 0.41 s | not met |" in text
    assert "  help: 0.39 s wall, 0.30 s CPU, 90 MB peak." in text
    assert "of 5 runs" in text


def test_the_results_file_of_a_scale_run_keeps_the_scale_table_above_the_goals():
    started = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    text = bench.markdown([result(10_000_000, 25.0, 2.5)], 7, AS_OF, "a machine", started, (0.5, 0.6), SMALL, 5)
    assert text.index("| scale |") < text.index("## Goals (issue #21)")
    assert "| 10M | 10,000,000 | 25.00 |" in text and "| 10.0× | yes |" in text
    assert "| `whynow run` / `bench/reference.sql`, wall, at 10M | ≤ 2× (stretch 1.3×) | 10.00× | not met |" in text


def test_small_only_runs_no_scale():
    assert bench.parse(["--small-only"]).small_only
    with pytest.raises(SystemExit):
        bench.parse(["--small-only", "--with-50m"])


def test_the_floor_times_every_part_of_specs_work_beyond_the_hand_script(data):
    # bench/floor.py: the parts run and the total is reported against the hand script (no time is asserted)
    floor = Path(bench.__file__).with_name("floor.py")
    done = subprocess.run([sys.executable, str(floor), "--data", str(data)], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[:5]] == ["hand", "start", "ids", "summary", "store"]
    assert lines[5].startswith("hand + (ids + summary + store, each less start) = ") and lines[5].endswith(
        "× the hand script"
    )
