"""Benchmark whynow against the hand-written DuckDB SQL for the reference model, per scale (issue #5), and
check the speed goals of issue #21.

    python bench/bench.py                                 # the small measures, 1M and 10M activities
    python bench/bench.py --with-50m                      # and 50M
    python bench/bench.py --activities 2_000_000 ...      # only these scales
    python bench/bench.py --small-only                    # only the small measures: no data, in seconds

Per scale the data is generated once (bench/generate.py) and cached under bench/.data/. Then, in turns, (a)
the whole `whynow run` on that folder, into a fresh store with its output files, and (b) the hand script
(bench/reference.py) run in their own processes, each timed for wall time, CPU time (user + sys) and peak
resident memory; the median of a few runs is kept. The two outputs must agree on every column both write
(bench/compare.py). The table is printed and written as Markdown to bench/results.md with the machine.

Before the scales, the small measures, each in its own process and the median of a few runs: a whole
`whynow run` of tests/fixtures/explain into a fresh store, `whynow --help`, and `whynow check` of the reference
model. Last, a Goals table sets every measure against its goal in issue #21: met, not met, or not measured
(a measure this run did not take, e.g. 50M without --with-50m).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

if __package__ in (None, ""):  # run as a script (python bench/bench.py): import `bench` from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb
from rich.console import Console
from rich.table import Table

import whynow
from bench import generate
from bench.compare import Comparison, compare

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / ".data"
RESULTS = BENCH / "results.md"
DEFAULT_SCALES = (1_000_000, 10_000_000)
LARGE = 50_000_000
MODEL = resources.files("whynow.examples") / "model.yaml"
EXPLAIN = REPO / "tests" / "fixtures" / "explain"  # the small company of tests/test_explain.py
EXPLAIN_AS_OF = dt.date(2026, 11, 20)  # the as-of date tests/test_explain.py runs it at
SMALL_RUNS = 5
GOAL_SCALES = (10_000_000, LARGE)  # the scales whose wall-time ratio issue #21 sets a goal for

console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)


@dataclass(frozen=True)
class Measure:
    """One run of one implementation in its own process."""

    wall: float  # seconds
    cpu: float  # user + sys seconds
    peak_mb: float  # peak resident set size, MB


@dataclass
class Result:
    """One scale: the data, both implementations' medians, and whether their outputs agree."""

    activities: int
    rows: int
    accounts: int
    contacts: int
    data_mb: float
    generated_s: float | None  # None: the cached data was used
    runs: int
    whynow: Measure
    hand: Measure
    comparison: Comparison

    @property
    def ratio(self) -> float:
        return self.whynow.wall / self.hand.wall


def label(activities: int) -> str:
    """>>> label(1_000_000), label(50_000_000), label(20_000), label(2_500_000)
    ('1M', '50M', '20k', '2.5M')
    """
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if activities >= size:
            return f"{activities / size:g}{suffix}"
    return str(activities)


def default_runs(activities: int) -> int:
    """Median of 3 up to 2M activities, of 2 up to 20M, a single run above."""
    return 3 if activities <= 2_000_000 else 2 if activities <= 20_000_000 else 1


def ensure_data(folder: Path, activities: int, seed: int, as_of: dt.date) -> tuple[dict[str, int], float | None]:
    """The scale's data in `folder`, generated unless an identical generation is cached there."""
    stamp = {
        "activities": activities,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "generator": hashlib.sha256((BENCH / "generate.py").read_bytes()).hexdigest(),
        "duckdb": duckdb.__version__,  # the data are a function of DuckDB's hash
    }
    marker = folder / "generated.json"
    if marker.exists():
        cached = json.loads(marker.read_text(encoding="utf-8"))
        if cached.get("stamp") == stamp:
            return cached["rows"], None
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    rows = generate.generate(folder, activities, seed=seed, as_of=as_of)
    elapsed = time.perf_counter() - started
    marker.write_text(json.dumps({"stamp": stamp, "rows": rows}, indent=2), encoding="utf-8")
    return rows, elapsed


# Linux counts a child's peak memory from the process it was forked from (the copy before exec), so a command
# started straight from a large process (the bench, holding data or fake CRMs) would "peak" at that process's
# size. A small Python starts each command and reports its rusage (wait4) in a JSON file instead.
_APART = """import json, os, subprocess, sys, time
started = time.perf_counter()
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    json.dump([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status)], out)
"""


def measure(command: Sequence[str], log: Path) -> Measure:
    """Run a command in its own process, started by a small one: its wall time, CPU time and peak RSS."""
    report = log.with_suffix(".rusage.json")
    with log.open("wb") as output:
        subprocess.run([sys.executable, "-c", _APART, str(report), *command], stdout=output, stderr=subprocess.STDOUT)
    wall, cpu, peak_kib, code = json.loads(report.read_text(encoding="utf-8"))
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(command)} exited with {code}:\n{tail}")
    return Measure(wall, cpu, peak_kib * 1024 / 1e6)  # Linux reports ru_maxrss in KiB


MEMORY_LIMIT: str | None = None  # --memory-limit for whynow run, set by main()


def whynow_command(data: Path, as_of: dt.date, work: Path) -> list[str]:
    store, out = work / "store.duckdb", work / "out"
    limit = ["--memory-limit", MEMORY_LIMIT] if MEMORY_LIMIT else []
    return [sys.executable, "-m", "whynow", "run", "--model", str(MODEL), "--data", str(data),
            "--as-of", as_of.isoformat(), "--store", str(store), "--out", str(out), *limit]  # fmt: skip


def hand_command(data: Path, as_of: dt.date, work: Path) -> list[str]:
    return [sys.executable, str(BENCH / "reference.py"), "--data", str(data), "--as-of", as_of.isoformat(),
            "--out", str(work / "out")]  # fmt: skip


def median(measures: Sequence[Measure]) -> Measure:
    return Measure(
        statistics.median(m.wall for m in measures),
        statistics.median(m.cpu for m in measures),
        statistics.median(m.peak_mb for m in measures),
    )


def bench_scale(activities: int, runs: int, seed: int, as_of: dt.date, data_root: Path) -> Result:
    """Generate (or reuse) one scale's data, time both implementations in turns, compare their outputs."""
    folder = data_root / f"{activities}-seed{seed}-{as_of.isoformat()}"
    console.print(f"[bold]{label(activities)}[/] activities: data in {folder}")
    rows, generated = ensure_data(folder, activities, seed, as_of)
    if generated is not None:
        console.print(f"  generated {sum(rows.values()):,} rows in {generated:.1f} s")
    timings: dict[str, list[Measure]] = {"whynow": [], "hand": []}
    commands = {"whynow": whynow_command, "hand": hand_command}
    with tempfile.TemporaryDirectory(prefix="whynow-bench-") as tmp:
        for run in range(runs):
            for name, command in commands.items():
                work = Path(tmp) / f"{name}-{run}"
                work.mkdir()
                timings[name].append(measure(command(folder, as_of, work), Path(tmp) / f"{name}-{run}.log"))
                m = timings[name][-1]
                console.print(
                    f"  run {run + 1}/{runs} {name:<6} {m.wall:8.2f} s wall {m.cpu:8.2f} s CPU {m.peak_mb:8.0f} MB"
                )
        comparison = compare(Path(tmp) / "whynow-0" / "out", Path(tmp) / "hand-0" / "out")
    data_mb = sum(f.stat().st_size for f in folder.glob("*.parquet")) / 1e6
    return Result(
        activities,
        sum(rows.values()),
        rows["accounts"],
        rows["contacts"],
        data_mb,
        generated,
        runs,
        median(timings["whynow"]),
        median(timings["hand"]),
        comparison,
    )


def whynow_executable() -> list[str]:
    """The `whynow` command as a user types it: the console script beside this interpreter, else `-m whynow`."""
    script = Path(sys.executable).with_name("whynow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "whynow"]


def explain_command(work: Path) -> list[str]:
    """A whole `whynow run` of tests/fixtures/explain, as tests/test_explain.py runs it, into a fresh store."""
    return [*whynow_executable(), "run", "--model", str(EXPLAIN / "model.yaml"), "--data", str(EXPLAIN),
            "--as-of", EXPLAIN_AS_OF.isoformat(), "--store", str(work / "store.duckdb")]  # fmt: skip


def explain_cold_command(work: Path) -> list[str]:
    """The same run with an empty plan cache: it compiles its plan first (what a model's first run pays)."""
    return ["env", f"WHYNOW_CACHE={work / 'plans'}", *explain_command(work)]


def help_command(work: Path) -> list[str]:
    """`whynow --help`: start-up and the command list."""
    return [*whynow_executable(), "--help"]


def check_command(work: Path) -> list[str]:
    """`whynow check` of the reference model: start-up, loading and validating the model, printing it."""
    return [*whynow_executable(), "check", str(MODEL)]


# The small measures, by name: how each is run in a fresh working folder
SMALL: dict[str, Callable[[Path], list[str]]] = {
    "explain": explain_command,
    "explain_cold": explain_cold_command,
    "help": help_command,
    "check": check_command,
}


def bench_small(runs: int) -> dict[str, Measure]:
    """Time each small measure in its own process, in turns, `runs` times; the median of each."""
    console.print(f"[bold]small measures[/]: {', '.join(SMALL)}, median of {runs} runs")
    timings: dict[str, list[Measure]] = {name: [] for name in SMALL}
    with tempfile.TemporaryDirectory(prefix="whynow-bench-small-") as tmp:
        for run in range(runs):
            for name, command in SMALL.items():
                work = Path(tmp) / f"{name}-{run}"
                work.mkdir()
                timings[name].append(measure(command(work), Path(tmp) / f"{name}-{run}.log"))
                m = timings[name][-1]
                console.print(
                    f"  run {run + 1}/{runs} {name:<7} {m.wall:8.2f} s wall {m.cpu:8.2f} s CPU {m.peak_mb:8.0f} MB"
                )
    return {name: median(measures) for name, measures in timings.items()}


GOAL_HEADERS = ("measure", "goal", "measured", "verdict")
MET, NOT_MET, NOT_MEASURED = "met", "not met", "not measured"
STRETCH_MET = "met, stretch too"
RATIO_GOAL, RATIO_STRETCH = 2.0, 1.3  # whynow's wall time over the hand script's
PEAK_GOAL_MB = 1_000.0  # 1 GB, as DuckDB counts it
EXPLAIN_GOAL_S = 1.0
START_GOAL_S = 0.4  # `whynow --help` and `whynow check`


def verdict(value: float, goal: float, stretch: float | None = None) -> str:
    """Met when the value is at most the goal (and says so when it meets the stretch goal too).

    >>> verdict(1.2, 2.0, 1.3), verdict(1.3, 2.0, 1.3), verdict(2.0, 2.0), verdict(2.01, 2.0, 1.3)
    ('met, stretch too', 'met, stretch too', 'met', 'not met')
    """
    if value > goal:
        return NOT_MET
    return STRETCH_MET if stretch is not None and value <= stretch else MET


def goal_rows(
    results: Sequence[Result], small: Mapping[str, Measure], memory_limit: str | None = None
) -> list[list[str]]:
    """Every goal of issue #21 as [measure, goal, measured, verdict]; a measure this run did not take says why."""
    by_scale = {r.activities: r for r in results}
    rows: list[list[str]] = []
    for activities in GOAL_SCALES:
        name = f"`whynow run` / `bench/reference.sql`, wall, at {label(activities)}"
        goal = f"≤ {RATIO_GOAL:g}× (stretch {RATIO_STRETCH:g}×)"
        result = by_scale.get(activities)
        if result is None:
            hint = "; add --with-50m" if activities == LARGE else ""
            rows.append([name, goal, f"— (no {label(activities)} run{hint})", NOT_MEASURED])
        elif not result.comparison.agree:
            rows.append([name, goal, f"{result.ratio:.2f}× (outputs differ)", NOT_MET])
        else:
            rows.append([name, goal, f"{result.ratio:.2f}×", verdict(result.ratio, RATIO_GOAL, RATIO_STRETCH)])
    name, goal = f"peak memory of `whynow run` at {label(LARGE)}, DuckDB's default limit", "≤ 1 GB"
    large = by_scale.get(LARGE)
    if large is None:
        rows.append([name, goal, f"— (no {label(LARGE)} run; add --with-50m)", NOT_MEASURED])
    elif memory_limit:
        rows.append([name, goal, f"— (ran with --memory-limit {memory_limit})", NOT_MEASURED])
    else:
        rows.append([name, goal, f"{large.whynow.peak_mb:,.0f} MB", verdict(large.whynow.peak_mb, PEAK_GOAL_MB)])
    for key, name, limit in (
        ("explain", "a whole `whynow run` of `tests/fixtures/explain`, wall", EXPLAIN_GOAL_S),
        ("explain_cold", "the same, its plan not yet cached, wall", EXPLAIN_GOAL_S),
        ("help", "`whynow --help`, wall", START_GOAL_S),
        ("check", "`whynow check` on the reference model, wall", START_GOAL_S),
    ):
        goal, m = f"≤ {limit:g} s", small.get(key)
        if m is None:
            rows.append([name, goal, "—", NOT_MEASURED])
        else:
            rows.append([name, goal, f"{m.wall:.2f} s", verdict(m.wall, limit)])
    return rows


HEADERS = (
    "scale",
    "rows",
    "whynow wall s",
    "whynow CPU s",
    "whynow peak MB",
    "hand wall s",
    "hand CPU s",
    "hand peak MB",
    "ratio (wall)",
    "agree",
)


def cells(result: Result) -> list[str]:
    w, h = result.whynow, result.hand
    known = any(d.known for d in result.comparison.differences)
    agree = ("yes" + (" (known differences)" if known else "")) if result.comparison.agree else "NO"
    return [
        label(result.activities),
        f"{result.rows:,}",
        f"{w.wall:.2f}",
        f"{w.cpu:.2f}",
        f"{w.peak_mb:,.0f}",
        f"{h.wall:.2f}",
        f"{h.cpu:.2f}",
        f"{h.peak_mb:,.0f}",
        f"{result.ratio:.1f}×",
        agree,
    ]


def machine() -> str:
    """CPU model, cores and memory from /proc, and the versions that were measured."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "unknown memory"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    return (
        f"{model}, {os.cpu_count()} cores, {memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, whynow {whynow.__version__}"
    )


def load_average() -> float:
    """The 1-minute load average: other work on the machine slows both implementations."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def markdown(
    results: Sequence[Result],
    seed: int,
    as_of: dt.date,
    machine_line: str,
    started: dt.datetime,
    loads: tuple[float, float],
    small: Mapping[str, Measure] | None = None,
    small_runs: int = SMALL_RUNS,
) -> str:
    """The Markdown of bench/results.md: the scale table (when a scale ran), the small measures and the goals."""
    small = small or {}
    lines = [
        "# whynow against hand-written DuckDB SQL",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC by bench/bench.py on: {machine_line}.",
        f"1-minute load average {loads[0]:.2f} at the start, {loads[1]:.2f} at the end.",
    ]
    if results:
        lines += [
            "",
            "| " + " | ".join(HEADERS) + " |",
            "|" + "|".join(["---"] + ["---:"] * (len(HEADERS) - 2) + [":---:"]) + "|",
        ]
        lines += ["| " + " | ".join(cells(r)) + " |" for r in results]
        lines += ["", *scale_notes(results, seed, as_of)]
    lines += [
        "",
        "## Goals (issue #21)",
        "",
        "| " + " | ".join(GOAL_HEADERS) + " |",
        "|---|---:|---:|:---:|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in goal_rows(results, small, MEMORY_LIMIT)]
    lines += [
        "",
        "* The ratios and the peak memory are those of the table above; a measure this run did not take says",
        "  'not measured'. 1 GB is 1,000 MB, as DuckDB counts it.",
    ]
    if small:
        lines += [
            "* The small measures run the `whynow` console script, each in its own process, in turns; the median",
            f"  of {small_runs} runs: a whole `whynow run` of `tests/fixtures/explain` as of {EXPLAIN_AS_OF} into a",
            "  fresh store (no `--out`), with its compiled plan in the bench's plan cache (`WHYNOW_CACHE`); the",
            "  same with an empty cache (explain_cold: it compiles the plan first, as a model's first run does);",
            "  `whynow --help`, and `whynow check src/whynow/examples/model.yaml`.",
        ]
        lines += [
            f"  {name}: {m.wall:.2f} s wall, {m.cpu:.2f} s CPU, {m.peak_mb:,.0f} MB peak." for name, m in small.items()
        ]
    differences = [(r, line) for r in results for line in r.comparison.describe()]
    if differences:
        lines += ["", "## Differences", ""]
        lines += [f"* {label(r.activities)}: {line.strip()}" for r, line in differences]
    return "\n".join(lines) + "\n"


def scale_notes(results: Sequence[Result], seed: int, as_of: dt.date) -> list[str]:
    """What the scale table measured: the data, the two commands, how they were timed."""
    lines = [
        f"* Data: `bench/generate.py`, seed {seed}, as of {as_of}; rows are all eight input tables together:",
    ]
    lines += [
        f"  {label(r.activities)} = {r.activities:,} activities, {r.accounts:,} accounts, {r.contacts:,} contacts, "
        f"{r.data_mb:,.0f} MB of Parquet."
        for r in results
    ]
    lines += [
        "* whynow: the whole `whynow run --model src/whynow/examples/model.yaml` into a fresh store with `--out`"
        + (f" and `--memory-limit {MEMORY_LIMIT}`:" if MEMORY_LIMIT else " (DuckDB's default memory limit):"),
        "  reading and validating every table, the run summary, scoring, badges, capacity, narratives, evidence,",
        "  the change log, the store's transaction and the output files.",
        "* hand: `bench/reference.sql`, the reference model hard-coded in DuckDB SQL, one pass over activities;",
        "  it computes only the columns of account_status and contact_status that do not depend on badges,",
        "  capacity or narratives, and writes them as two Parquet files.",
        "* Each runs in its own process (Python start-up included), the two in turns: wall time, CPU time",
        "  (user + sys) and peak resident memory of that process (wait4's rusage); the median of "
        + ", ".join(f"{r.runs} runs at {label(r.activities)}" for r in results)
        + ".",
        "* ratio: whynow's wall time over the hand script's. agree: both outputs hold the same rows and agree on",
        "  every column both write (floats within 1e-6; text, integers, booleans and dates exactly).",
    ]
    return lines


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark whynow against hand-written DuckDB SQL and check the "
                                     "speed goals of issue #21.")  # fmt: skip
    parser.add_argument("--activities", type=int, action="append", help="a scale to run (repeatable); "
                        "replaces the default 1M and 10M")  # fmt: skip
    parser.add_argument("--with-50m", action="store_true", help="also run 50M activities")
    parser.add_argument("--small-only", action="store_true", help="only the small measures (the explain fixture's "
                        "run, --help, check): no data, no scales; writes --results only when it is given")  # fmt: skip
    parser.add_argument("--runs", type=int, help="runs per implementation (default: 3 up to 2M, 2 up to 20M, else 1)")
    parser.add_argument("--small-runs", type=int, default=SMALL_RUNS, help=f"runs per small measure (default: "
                        f"{SMALL_RUNS})")  # fmt: skip
    parser.add_argument("--seed", type=int, default=generate.SEED)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=generate.AS_OF, help="YYYY-MM-DD")
    parser.add_argument("--data-dir", type=Path, default=DATA, help="where generated data is cached")
    parser.add_argument("--results", type=Path, help=f"the Markdown file to write (default: {RESULTS.relative_to(REPO)}"
                        ", none with --small-only)")  # fmt: skip
    parser.add_argument("--memory-limit", help="run whynow with this --memory-limit (e.g. 1GB)")
    args = parser.parse_args(argv)
    if args.small_only and (args.activities or args.with_50m):
        parser.error("--small-only runs no scale: drop --activities and --with-50m")
    if args.small_runs < 1 or (args.runs is not None and args.runs < 1):
        parser.error("--runs and --small-runs need at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    global MEMORY_LIMIT
    MEMORY_LIMIT = args.memory_limit
    scales: list[int] = [] if args.small_only else list(args.activities or DEFAULT_SCALES)
    if args.with_50m and LARGE not in scales:
        scales.append(LARGE)
    started, load_at_start = dt.datetime.now(dt.UTC), load_average()
    machine_line = machine()
    console.print(f"Machine: {machine_line}; load average {load_at_start:.2f}")
    # The bench's own plan cache: the first run of each measure compiles its plan, the median is of cached runs
    os.environ["WHYNOW_CACHE"] = tempfile.mkdtemp(prefix="whynow-bench-plans-")
    small = bench_small(args.small_runs)
    results = [bench_scale(n, args.runs or default_runs(n), args.seed, args.as_of, args.data_dir) for n in scales]
    if results:
        table = Table(title="whynow against hand-written DuckDB SQL (median of runs)")
        for header in HEADERS:
            table.add_column(header, justify="left" if header in ("scale", "agree") else "right")
        for result in results:
            table.add_row(*cells(result))
        console.print(table)
        for result in results:
            for line in result.comparison.describe():
                console.print(f"{label(result.activities)}: {line}", markup=False)
    goals = Table(title="Goals of issue #21")
    for header in GOAL_HEADERS:
        goals.add_column(header, justify="left" if header == "measure" else "right")
    for row in goal_rows(results, small, MEMORY_LIMIT):
        goals.add_row(*row)
    console.print(goals)
    loads = (load_at_start, load_average())
    target = args.results or (None if args.small_only else RESULTS)
    if target is not None:
        text = markdown(results, args.seed, args.as_of, machine_line, started, loads, small, args.small_runs)
        target.write_text(text, encoding="utf-8")
        console.print(f"wrote {target}")
    return 0 if all(r.comparison.agree for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
