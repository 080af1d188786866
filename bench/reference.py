"""Run the hand-written DuckDB script (reference.sql) on a folder of Parquet tables at an as-of date.

    python bench/reference.py --data bench/.data/1000000 --as-of 2026-11-20 --out /tmp/hand

It writes account_status.parquet and contact_status.parquet into --out: the columns of SPEC §5 that do not
depend on badges, capacity or narratives.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from string import Template

import duckdb

SCRIPT = Path(__file__).with_name("reference.sql")
OUTPUTS = ("account_status", "contact_status")


def _path(path: Path) -> str:
    """A path as it sits inside a SQL string literal."""
    return str(path.resolve()).replace("'", "''")


def render(data: Path, as_of: dt.date, out: Path) -> str:
    """The script with its placeholders filled."""
    horizon = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return Template(SCRIPT.read_text(encoding="utf-8")).substitute(
        data=_path(data), out=_path(out), as_of=as_of.isoformat(), horizon=horizon.isoformat(sep=" ")
    )


def run_reference(data: Path, as_of: dt.date, out: Path, threads: int | None = None) -> list[Path]:
    """Run the script; return the files it wrote."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute(render(data, as_of, out))
    finally:
        con.close()
    return [out / f"{name}.parquet" for name in OUTPUTS]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the reference model with the hand-written DuckDB SQL.")
    parser.add_argument("--data", type=Path, required=True, help="the folder of <table>.parquet files")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write the outputs into")
    args = parser.parse_args(argv)
    run_reference(args.data, args.as_of, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
