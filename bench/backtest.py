"""The cost of a 52-week backtest against one run on the same data (issue #9).

    python bench/backtest.py                       # 10M activities, 52 weekly dates
    python bench/backtest.py --activities 1_000_000 --weeks 12

The data are bench/generate.py's (cached under bench/.data/, shared with bench.py). Each command runs in
its own process, timed for wall time, CPU time and peak memory (wait4): (a) one `whynow run` at the last
date into a fresh store with its output files, as bench.py times it; (b) `whynow backtest` over the weeks
ending at that date. The ratio (b) ÷ (a) is the figure; 52 cold runs would cost about 52×. The table is
written to bench/backtest-results.md with the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import `bench` from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench import DATA, MODEL, Measure, ensure_data, label, load_average, machine, measure, whynow_command
from bench.generate import AS_OF

RESULTS = Path(__file__).resolve().parent / "backtest-results.md"


def backtest_command(data: Path, start: dt.date, end: dt.date, work: Path) -> list[str]:
    return [sys.executable, "-m", "whynow", "backtest", "--model", str(MODEL), "--data", str(data),
            "--from", start.isoformat(), "--to", end.isoformat(), "--every", "7", "--window", "90",
            "--report", str(work / "report")]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    folder = DATA / f"{args.activities}-seed{args.seed}-{AS_OF.isoformat()}"
    rows, _ = ensure_data(folder, args.activities, args.seed, AS_OF)
    start = AS_OF - dt.timedelta(days=7 * (args.weeks - 1))
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="whynow-bench-backtest-") as work:
        (Path(work) / "run").mkdir()
        one = measure(whynow_command(folder, AS_OF, Path(work) / "run"), Path(work) / "run.log")
        print(f"one run: {one.wall:.1f} s", flush=True)
        many = measure(backtest_command(folder, start, AS_OF, Path(work)), Path(work) / "backtest.log")
        print(f"backtest of {args.weeks} weeks: {many.wall:.1f} s", flush=True)
    text = markdown(args.activities, sum(rows.values()), args.weeks, start, one, many, load_before, load_average())
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    return 0


def markdown(
    activities: int, rows: int, weeks: int, start: dt.date, one: Measure, many: Measure, before: float, after: float
) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = ("scale", "rows", "one run wall s", "backtest wall s", "backtest CPU s", "backtest peak MB", "dates",
              "per date s", "ratio (wall)")  # fmt: skip
    ratio = many.wall / one.wall
    cells = (label(activities), f"{rows:,}", f"{one.wall:.2f}", f"{many.wall:.2f}", f"{many.cpu:.2f}",
             f"{many.peak_mb:,.0f}", str(weeks), f"{many.wall / weeks:.2f}", f"{ratio:.1f}×")  # fmt: skip
    table = "\n".join(["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1),
                       "| " + " | ".join(cells) + " |"])  # fmt: skip
    return f"""# A {weeks}-week backtest against one run

Measured {when} by bench/backtest.py on: {machine()}.
1-minute load average {before:.2f} at the start, {after:.2f} at the end.

{table}

* Data: `bench/generate.py`, seed 7, as of {AS_OF}; activities spread over the year before it, more of them
  recent, so the early dates of the backtest see fewer rows.
* one run: `whynow run` at {AS_OF} into a fresh store with `--out` (reading and validating every table,
  scoring, the store and the files), as bench/results.md times it.
* backtest: `whynow backtest --every 7 --window 90 --report DIR` from {start} to {AS_OF}: every date a real
  run with its badge state and capacity in a store of its own, then the figures, the HTML report and CSVs.
  The data are read, validated and resolved to accounts once, kept in time order, and the run summary's
  counts are taken once; everything that depends on the date is computed at each date, and each run
  writes to its store only what the next run reads.
* The goal of issue #9 was at most 15× one run, that of issue #23 at most 8×; 52 cold runs cost about 52×.
"""


if __name__ == "__main__":
    raise SystemExit(main())
