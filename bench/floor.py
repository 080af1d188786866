"""What SPEC asks of every run beyond `bench/reference.sql`, each part written as plainly as DuckDB allows,
timed on the bench's data: a floor under any implementation's ratio to the hand script (README, Speed).

    python bench/floor.py --data bench/.data/10000000-seed7-2026-11-20 [--as-of 2026-11-20]

Each part runs in its own process, measured as `bench.py` measures (wall, CPU, peak memory); a process
that only starts Python and imports DuckDB (`start`) is measured too, and taken off each part's time:

* hand: `bench/reference.sql` itself, for the ratio;
* ids: `count(DISTINCT activity_id)` over every activity: duplicate ids are an error (SPEC §3);
* summary: one grouped pass over every activity by what places it (contact, or account id and domain),
  counting the rows after the horizon and before the lookback: the run summary's unmatched, orphaned,
  after-horizon and outside-window rows come from these groups (SPEC §3);
* store: the hand script's two output tables written into a fresh DuckDB file in one transaction (SPEC §5).

None of it is part of whynow.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench import hand_command, measure

LOOKBACK_DAYS = 180  # the reference model's engagement lookback (src/whynow/examples/model.yaml)
PARTS = ("ids", "summary", "store")  # each less `start`: a process that only starts and imports DuckDB


def part(name: str, data: Path, as_of: dt.date, work: Path) -> None:
    """One part, in this process."""
    activities = str(data / "activities.parquet")
    horizon = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    if name == "start":
        return
    if name == "ids":
        duckdb.execute("SELECT count(*), count(DISTINCT activity_id) FROM read_parquet(?)", [activities]).fetchall()
    elif name == "summary":
        duckdb.execute("SET TimeZone = 'UTC'")
        duckdb.execute(
            "SELECT contact_id, CASE WHEN contact_id IS NULL THEN account_id END AS account_key, "
            "CASE WHEN contact_id IS NULL THEN lower(domain) END AS domain_key, "
            "count(*) FILTER (occurred_at >= ?) AS after_horizon, count(*) FILTER (occurred_at < ?) AS before, "
            "count(*) AS n FROM read_parquet(?) GROUP BY ALL",
            [horizon, horizon - dt.timedelta(days=LOOKBACK_DAYS), activities],
        ).fetchall()
    else:
        con = duckdb.connect(str(work / "store.duckdb"))
        con.execute("BEGIN")
        con.execute(
            "CREATE TABLE account_status AS SELECT * FROM read_parquet(?)",
            [str(work / "out" / "account_status.parquet")],
        )
        con.execute(
            "CREATE TABLE contact_status AS SELECT * FROM read_parquet(?)",
            [str(work / "out" / "contact_status.parquet")],
        )
        con.execute("COMMIT")
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="SPEC's work beyond bench/reference.sql, timed part by part")
    parser.add_argument("--data", type=Path, required=True, help="a folder of the bench's Parquet tables")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 20))
    parser.add_argument("--part", choices=("start", *PARTS), help=argparse.SUPPRESS)  # run one part, in this process
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        part(args.part, args.data, args.as_of, args.work)
        return
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        found = {"hand": measure(hand_command(args.data, args.as_of, work), work / "hand.log")}
        for name in ("start", *PARTS):
            command = [sys.executable, __file__, "--data", str(args.data), "--as-of", args.as_of.isoformat()]
            found[name] = measure([*command, "--part", name, "--work", str(work)], work / f"{name}.log")
    hand, start = found["hand"].wall, found["start"].wall
    extra = sum(found[name].wall - start for name in PARTS)
    for name, m in found.items():
        print(f"{name:<8} {m.wall:7.2f} s wall  {m.cpu:7.2f} s CPU  {m.peak_mb:8,.0f} MB peak")
    total = hand + extra
    print(f"hand + ({' + '.join(PARTS)}, each less start) = {total:.2f} s = {total / hand:.2f}× the hand script")


if __name__ == "__main__":
    main()
