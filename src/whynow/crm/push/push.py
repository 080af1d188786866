"""One push (SPEC §12): the store's latest run, per level, the records whose values changed since the CRM last
confirmed them, sent, and what the CRM confirmed written into the store's ledger.

    push(model, store, crm, sender, full=False, dry_run=False) -> Report

The ledger (`push_ledger`: crm, object — the CRM's: Account, Contact, Lead, companies, contacts —, record_id,
digest, run_id, confirmed_at) only grows: a record's last confirmed values are its newest row. Rows are
written only for records the CRM confirmed, as its answers come (at least every FLUSH_S seconds, and when a
push ends however it ends), so a push killed at any moment loses nothing: the next push sends what was not
confirmed, and sends a record again only if it was in flight (sent, or confirmed in the last second).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp

from whynow.crm import Crm
from whynow.crm.push.mapping import LEVELS, Level, crm_objects, mapping_of, objects_of
from whynow.crm.push.records import LEDGER, changed, records
from whynow.crm.push.transport import Sent, Unreachable
from whynow.errors import DataError
from whynow.model.check import CompiledModel
from whynow.statements import column_ref, param
from whynow.store import Store
from whynow.store.read import Reading

Sender = Callable[[Level, pa.Table], Iterable[Sent]]  # sends a level's changed records; one Sent per request or job
SAMPLE = 3  # changed values shown per field by --dry-run
ERRORS = 5  # refused records shown per object
FLUSH_S = 1.0  # the ledger is written at least this often while the CRM confirms: what a kill sends again
FLUSH_ROWS = 50_000  # ... and whenever this many confirmed records wait for it


@dataclass
class ObjectReport:
    """What a push did with one CRM object's records (SPEC §12's report)."""

    records: int = 0  # of the run
    changed: int = 0  # their values differ from the last confirmed push (all, with --full)
    sent: int = 0
    confirmed: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # record id -> the CRM's message
    samples: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)  # field -> (record, value)

    @property
    def unchanged(self) -> int:
        return self.records - self.changed


@dataclass
class Report:
    crm: Crm
    as_of: dt.date
    objects: dict[str, ObjectReport] = field(default_factory=dict)  # by CRM object, in the order pushed
    sent: bool = True  # False: a dry run
    stopped: str | None = None  # why the push stopped before the end (the CRM could not be reached)

    def lines(self) -> list[str]:
        """The report as printed: a line per object, the first refusals, a dry run's samples."""
        head = "Dry run (nothing sent)" if not self.sent else "Pushed"
        lines = [f"{head}: the run of {self.as_of.isoformat()} into {self.crm}"]
        for name, done in self.objects.items():
            counts = f"{done.changed} changed, {done.sent} sent, {done.confirmed} confirmed, {len(done.failed)} failed"
            if not self.sent:
                counts = f"{done.changed} changed (would be sent)"
            lines.append(f"{name}: {done.records} records: {counts}, {done.unchanged} unchanged (skipped)")
            lines += [f"  {record}: {message}" for record, message in list(done.failed.items())[:ERRORS]]
            if len(done.failed) > ERRORS:
                lines.append(f"  … and {len(done.failed) - ERRORS} more refused; they are sent again next push")
            if not self.sent:
                for name_, samples in done.samples.items():
                    lines.append(f"  {name_}: " + ", ".join(f"{record} = {value!r}" for record, value in samples))
        if self.stopped:
            lines.append(f"Stopped: {self.stopped}. What the CRM confirmed is kept; the rest goes next push.")
        return lines


def push(
    model: CompiledModel, store: Store, crm: Crm, sender: Sender | None, full: bool = False, dry_run: bool = False
) -> Report:
    """Push the store's latest run into `crm` with `sender` (none with `dry_run`: nothing is sent)."""
    as_of = store.latest_as_of()
    if as_of is None:
        raise DataError(f"{store.name}: the store holds no run yet; run `whynow run` first, then push")
    mapping = mapping_of(model, crm)
    report = Report(crm, as_of, sent=not dry_run)
    with store.reading() as reading:
        run_id = str(reading.query("SELECT run_id FROM runs WHERE as_of = ? LIMIT 1", [as_of])[0]["run_id"])
        found = {level: records(reading, as_of, level, mapping[level]) for level in LEVELS if mapping[level]}
        ledger = {level: _confirmed(reading, crm, level) for level in found}
    for level, sent in found.items():
        todo = changed(sent, ledger[level], full)
        _count(report, crm, level, sent, todo)
        if dry_run or sender is None or todo.num_rows == 0:
            continue
        try:
            _send(store, report, crm, level, todo, sender, run_id)
        except Unreachable as e:
            report.stopped = str(e)
            break
    return report


def _count(report: Report, crm: Crm, level: Level, sent: pa.Table, todo: pa.Table) -> None:
    """Each object's records and changed records, and a sample of the changes."""
    every, changing = crm_objects(crm, level, sent["record_id"]), crm_objects(crm, level, todo["record_id"])
    for name in objects_of(crm, level):
        records = pc.sum(pc.equal(every, name)).as_py() or 0
        if records == 0:
            continue
        mine = todo.filter(pc.equal(changing, name))
        report.objects[name] = ObjectReport(records=records, changed=mine.num_rows, samples=_samples(mine))


def _send(store: Store, report: Report, crm: Crm, level: Level, todo: pa.Table, sender: Sender, run_id: str) -> None:
    """Send `todo`, writing what the CRM confirmed into the ledger at least every FLUSH_S seconds (and at the
    end, however the sending ends)."""
    waiting: list[str] = []
    last = time.monotonic()

    def flush() -> None:
        nonlocal waiting, last
        if waiting:
            done = todo.filter(pc.is_in(todo["record_id"], pa.array(waiting, pa.string())))
            store.record({LEDGER: _ledger_rows(crm, level, done, run_id)})
        waiting, last = [], time.monotonic()

    try:
        for outcome in sender(level, todo):
            mine = report.objects[outcome.object]
            mine.sent += outcome.sent
            mine.confirmed += len(outcome.confirmed)
            mine.failed.update(outcome.failed)
            waiting += outcome.confirmed
            if len(waiting) >= FLUSH_ROWS or time.monotonic() - last >= FLUSH_S:
                flush()
    finally:
        flush()


def _confirmed(reading: Reading, crm: Crm, level: Level) -> pa.Table | None:
    """(record_id, digest) of each record's last confirmed push to `crm` at `level`."""
    objects = objects_of(crm, level)
    if not reading.has(LEDGER):
        return None
    newest = exp.Window(
        this=exp.RowNumber(),
        partition_by=[column_ref("record_id")],
        order=exp.Order(expressions=[exp.Ordered(this=column_ref("confirmed_at"), desc=True)]),
    )
    inner = (
        sqlglot.select(column_ref("record_id"), column_ref("digest"), exp.alias_(newest, "n"))
        .from_(LEDGER)
        .where(column_ref("crm").eq(param()), column_ref("object").isin(*(param() for _ in objects)))
    )
    query = sqlglot.select(column_ref("record_id"), column_ref("digest")).from_(inner.subquery("l")).where("n = 1")
    return reading.batches(query, [crm, *objects]).read_all()


def _ledger_rows(crm: Crm, level: Level, done: pa.Table, run_id: str) -> pa.Table:
    rows = done.num_rows
    now = dt.datetime.now(dt.UTC)
    return pa.table(
        {
            "crm": pa.repeat(pa.scalar(crm, pa.string()), rows),
            "object": crm_objects(crm, level, done["record_id"]),
            "record_id": done["record_id"],
            "digest": done["digest"],
            "run_id": pa.repeat(pa.scalar(run_id, pa.string()), rows),
            "confirmed_at": pa.repeat(pa.scalar(now, pa.timestamp("us", "UTC")), rows),
        }
    )


def _samples(todo: pa.Table) -> dict[str, list[tuple[str, str | None]]]:
    """Up to SAMPLE changed records per field, with the value each would receive."""
    head = todo.slice(0, SAMPLE)
    ids = head["record_id"].to_pylist()
    names = [n for n in todo.column_names if n not in ("record_id", "digest")]
    return {name: list(zip(ids, head[name].to_pylist(), strict=True)) for name in names}
