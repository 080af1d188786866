"""What `whynow run` prints (SPEC §6): the run summary per table, then counts by lead status, stage
and MQA, and the top accounts — read from the run's outputs, never recomputed.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.table import Table

from whynow.outputs.contract import KINDS
from whynow.run import RunResult

if TYPE_CHECKING:
    from whynow.crm.report import ImportReport

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


def run_counts(result: RunResult) -> dict[str, Any]:
    """A run's counts for a machine: rows per table and kind, accounts and contacts, lead statuses, stages,
    MQAs and targets, active badges by id, the removed runs of --fresh, and its warnings."""
    accounts, contacts = result.outputs["account_status"], result.outputs["contact_status"]
    return {
        "rows": result.summary,
        "accounts": accounts.num_rows,
        "contacts": contacts.num_rows,
        "lead_status": _tally(contacts["lead_status"]),
        "stages": _tally(accounts["stage"]),
        "mqa": pc.sum(pc.fill_null(accounts["mqa"], False)).as_py() or 0,
        "target": pc.sum(pc.fill_null(accounts["target"], False)).as_py() or 0,
        "badges": _tally(accounts["badge"]),
        "runs_removed": result.runs_removed,
        "warnings": result.warnings,
    }


def _tally(column: pa.ChunkedArray) -> dict[str, int]:
    counts = pc.value_counts(column.drop_null()).to_pylist()
    return {c["values"]: c["counts"] for c in sorted(counts, key=lambda c: (-c["counts"], str(c["values"])))}


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
    console.print("Lead status: " + (_counts(contacts, "lead_status") or "no contacts"), markup=False)
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


def print_import_report(console: Console, report: ImportReport) -> None:
    """What `whynow import` prints (SPEC §11): rows read and written, rows not placed (with the reason),
    the formats found, the columns not mapped, the files not read, and the mapping used."""
    crm = {"salesforce": "Salesforce", "hubspot": "HubSpot"}.get(report.crm, report.crm)
    source = f"{crm} through its API at {report.api}" if report.api else f"the {crm} export {report.folder}"
    console.print(f"Imported {source} into {report.out} ({report.format} files).", markup=False)
    read = Table(title="Read", title_justify="left")
    for column in ("file", "object", "rows", "format"):
        read.add_column(column, justify="right" if column == "rows" else "left")
    for file, obj, fmt, rows in report.read:
        read.add_row(file, obj, str(rows), fmt)
    console.print(read)
    written = Table(title="Written", title_justify="left")
    written.add_column("table")
    written.add_column("rows", justify="right")
    for table, rows in report.written.items():
        written.add_row(table, str(rows))
    console.print(written)
    if report.unplaced:
        console.print(f"Not placed, so not written: {report.dropped} rows", markup=False)
        for u in report.unplaced:
            console.print(f"  {u.file}: {u.rows} {u.object} rows: {u.reason}", markup=False)
    else:
        console.print("Not placed: none.", markup=False)
    for m in report.merged:
        console.print(f"  merged, not lost: {m.file}: {m.rows} {m.object} rows: {m.reason}", markup=False)
    if report.styles:
        console.print("Formats found", markup=False)
        for s in report.styles:
            count = f" ({s.rows} values)" if s.rows else ""
            console.print(f"  {s.file} {s.field}: {s.style}{count}", markup=False)
    unmapped = {file: fields for file, fields in report.unmapped.items() if fields}
    if unmapped:
        total = sum(len(fields) for fields in unmapped.values())
        console.print(f"Not mapped: {total} columns (add them in a mapping file to use them)", markup=False)
        for file, fields in unmapped.items():
            console.print(f"  {file}: {', '.join(fields)}", markup=False)
    if report.not_read:
        console.print(f"Not read (not an object whynow imports): {', '.join(report.not_read)}", markup=False)
    if report.kept:
        console.print(f"Left as they were in {report.out}: {', '.join(report.kept)} (not a CRM table)", markup=False)
    for note in report.notes:
        console.print(note, markup=False)
    used = (
        f"the built-in mapping with {report.mapping_file} laid over it"
        if report.mapping_file
        else "the built-in mapping"
    )
    console.print(
        f"Mapping: {used}; the mapping used is in {report.out}/import-mapping.yaml "
        f"(whynow import {report.crm} --print-mapping shows the built-in one).",
        markup=False,
    )
    console.print(f"Next: whynow run --model MODEL --data {report.out}", markup=False)
