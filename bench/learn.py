"""How long `whynow learn` takes on X Education's 9,240 leads, end to end (issue #23: under 10 s).

    python bench/learn.py                      # ../shared/data/x-education-leads/Leads.csv, as `make trial`
    python bench/learn.py --leads PATH/Leads.csv

The leads are prepared as `make trial` prepares them (examples/trials/x_education/prepare.py), then
`whynow learn --level contact --label converted` runs in its own process (Python's start-up, the imports,
reading and validating the data, the model's run, the fit, the proposal and its replay, the report), timed
for wall time, CPU time and peak memory (wait4), three ways:

* cold: an empty plan cache, as the first learn after installing or upgrading whynow (both the model's
  plan and the proposal's are compiled);
* model cached: the model's plan in the cache (after a `whynow run` of the model), the proposal's compiled;
* warm: learn again (both plans in the cache; the same data give the same proposal).

The table is written to bench/learn-results.md with the machine.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import `bench` from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench import REPO, Measure, load_average, machine, measure

RESULTS = Path(__file__).resolve().parent / "learn-results.md"
LEADS = REPO.parent / "shared" / "data" / "x-education-leads" / "Leads.csv"
TRIAL = REPO / "examples" / "trials" / "x_education"
AS_OF = "2026-11-20"
GOAL_S = 10.0


def learn_command(data: Path) -> list[str]:
    return [sys.executable, "-m", "whynow", "learn", "--level", "contact", "--label", "converted", "--as-of", AS_OF,
            "--model", str(TRIAL / "model.yaml"), "--data", str(data)]  # fmt: skip


def run_command(data: Path, store: Path) -> list[str]:
    return [sys.executable, "-m", "whynow", "run", "--model", str(TRIAL / "model.yaml"), "--data", str(data),
            "--as-of", AS_OF, "--store", str(store)]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=Path, default=LEADS, help="X Education's Leads.csv")
    args = parser.parse_args(argv)
    if not args.leads.is_file():
        print(f"{args.leads} is not there: give --leads PATH/Leads.csv (see ../shared/data/x-education-leads)")
        return 1
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="whynow-bench-learn-") as folder:
        work = Path(folder)
        data = work / "data"
        runpy.run_path(str(TRIAL / "prepare.py"))["prepare"](args.leads, data)
        measures: dict[str, Measure] = {}
        for name in ("cold", "model cached", "warm"):
            os.environ["WHYNOW_CACHE"] = str(work / "cache" / name)
            if name == "model cached":
                measure(run_command(data, work / "store.duckdb"), work / "run.log")
            if name == "warm":
                os.environ["WHYNOW_CACHE"] = str(work / "cache" / "model cached")  # its plans, both compiled
            measures[name] = measure(learn_command(data), work / f"learn-{name}.log")
            print(f"learn, {name}: {measures[name].wall:.1f} s", flush=True)
        report = (work / "learn-warm.log").read_text(encoding="utf-8")
    text = markdown(measures, load_before, load_average(), report)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    return 0


def markdown(measures: dict[str, Measure], before: float, after: float, report: str) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = "| plan cache | wall s | CPU s | peak MB | goal (under 10 s) |\n|---|---:|---:|---:|:---:|"
    rows = [f"| {name} | {m.wall:.2f} | {m.cpu:.2f} | {m.peak_mb:,.0f} | {'met' if m.wall < GOAL_S else 'not met'} |"
            for name, m in measures.items()]  # fmt: skip
    figures = [line.strip() for line in report.splitlines() if "AUC" in line and ("│" in line or "Test AUC" in line)]
    shown = "\n".join(f"    {line}" for line in figures[:3])
    return f"""# `whynow learn` on X Education's 9,240 leads

Measured {when} by bench/learn.py on: {machine()}.
1-minute load average {before:.2f} at the start, {after:.2f} at the end.

{header}
{chr(10).join(rows)}

* Each: `whynow learn --level contact --label converted --as-of {AS_OF}` on the leads as `make trial`
  prepares them, in its own process: start-up, imports, reading and validating, the model's run, the fit
  (an L1 logistic regression whose strength is chosen by 3-fold cross-validated AUC), the proposal with
  rules from the declared columns, its replay on the held-out leads, and the report.
* cold: an empty plan cache (the first learn after installing whynow): both plans compiled.
  model cached: the model's plan cached by a `whynow run` before (not timed), the proposal's compiled.
  warm: learn again: both plans cached.
* The figures it printed (warm):

{shown}
"""


if __name__ == "__main__":
    sys.exit(main())
