"""What `whynow run` prints (SPEC §6): the run summary per table, then counts by lead status, stage
and MQA, and the top accounts — read from the run's outputs, never recomputed.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
from rich.console import Console
from rich.table import Table

from whynow.run import RunResult
from whynow.summary import KINDS

TOP = 5
_HEADERS = {
    "read": "read",
    "after_horizon": "late",
    "outside_windows": "old",
    "unmatched": "unmatched",
    "orphaned": "orphans",
    "rejected": "rejected",
    "used": "used",
}


def print_run_summary(console: Console, result: RunResult) -> None:
    accounts = result.outputs["account_status"]
    contacts = result.outputs["contact_status"]
    console.print(
        f"Run {result.run_id[:12]} as of {result.as_of} with model '{result.model.name}': "
        f"{accounts.num_rows} accounts, {contacts.num_rows} contacts.",
        markup=False,
    )
    rows = Table(
        title="Rows per table",
        title_justify="left",
        caption="late: after the horizon · old: outside every window · unused rows are never an error",
        caption_justify="left",
    )
    rows.add_column("table")
    for kind in KINDS:
        rows.add_column(_HEADERS[kind], justify="right")
    for table, counts in result.summary.items():
        rows.add_row(table, *(str(counts[k]) for k in KINDS))
    console.print(rows)
    console.print("Lead status: " + _counts(contacts, "lead_status"), markup=False)
    console.print("Stages:      " + _counts(accounts, "stage"), markup=False)
    mqa = sum(1 for v in accounts.column("mqa").to_pylist() if v)
    target = sum(1 for v in accounts.column("target").to_pylist() if v)
    console.print(f"MQAs:        {mqa} of {target} target accounts", markup=False)
    top = sorted(
        (r for r in accounts.select(["account_id", "name", "fit", "engagement", "stage"]).to_pylist()),
        key=lambda r: (-(r["engagement"] or 0), r["account_id"]),
    )[:TOP]
    leaders = Table(title=f"Top {len(top)} accounts by engagement", title_justify="left")
    for column in ("account", "name", "fit", "engagement", "stage"):
        leaders.add_column(column, justify="right" if column in ("fit", "engagement") else "left")
    for r in top:
        leaders.add_row(r["account_id"], r["name"] or "", f"{r['fit']:g}", f"{r['engagement']:g}", r["stage"] or "")
    console.print(leaders)
    for path in result.files:
        console.print(f"wrote {path}", markup=False)
    if result.alerts:
        from whynow.alerts.deliver import outcome_line

        console.print(outcome_line(result.alerts), markup=False)


def _counts(table: pa.Table, column: str) -> str:
    found = Counter(v for v in table.column(column).to_pylist())
    return ", ".join(f"{k if k is not None else 'none'} {n}" for k, n in sorted(found.items(), key=lambda kv: -kv[1]))
