"""One push (SPEC §12): the store's latest run, per level, the records whose values changed since the CRM last
confirmed them, sent, and what the CRM confirmed written into the store's ledger.

    push(model, store, crm, sender, full=False, dry_run=False) -> Report

The ledger (`push_ledger`: crm, object, record_id, digest, run_id, confirmed_at) only grows: a record's last
confirmed values are its newest row. It is written after the CRM confirmed, in a transaction per level, so a
push killed at any moment loses nothing: the next push sends what was not confirmed, and sends a record
again only if it was in flight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp

from whynow.crm.push.hubspot import Sent
from whynow.crm.push.mapping import LEVELS, Crm, Level, mapping_of
from whynow.crm.push.records import LEDGER, changed, records
from whynow.errors import DataError
from whynow.model.check import CompiledModel
from whynow.statements import column_ref, param
from whynow.store import Store
from whynow.store.read import Reading

Sender = Callable[[Level, pa.Table], Sent]  # sends one level's changed records, says what the CRM confirmed
SAMPLE = 3  # changed values shown per field by --dry-run


@dataclass
class LevelReport:
    """What a push did with one level's records."""

    records: int = 0  # of the run
    changed: int = 0  # to send: their values differ from the last confirmed push (all, with --full)
    confirmed: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # record id -> the CRM's message
    samples: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)  # field -> (record, value)


@dataclass
class Report:
    crm: Crm
    as_of: dt.date
    levels: dict[Level, LevelReport] = field(default_factory=dict)
    sent: bool = True  # False: a dry run


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
        mine = report.levels[level] = LevelReport(records=sent.num_rows, changed=todo.num_rows)
        mine.samples = _samples(todo)
        if dry_run or sender is None or todo.num_rows == 0:
            continue
        outcome = sender(level, todo)
        mine.confirmed, mine.failed = len(outcome.confirmed), outcome.failed
        if outcome.confirmed:
            done = todo.filter(pc.is_in(todo["record_id"], pa.array(outcome.confirmed, pa.string())))
            store.record({LEDGER: _ledger_rows(crm, level, done, run_id)})
    return report


def _confirmed(reading: Reading, crm: Crm, level: Level) -> pa.Table | None:
    """(record_id, digest) of each record's last confirmed push to `crm` at `level`."""
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
        .where(column_ref("crm").eq(param()), column_ref("object").eq(param()))
    )
    query = sqlglot.select(column_ref("record_id"), column_ref("digest")).from_(inner.subquery("l")).where("n = 1")
    return reading.batches(query, [crm, level]).read_all()


def _ledger_rows(crm: Crm, level: Level, done: pa.Table, run_id: str) -> pa.Table:
    rows = done.num_rows
    now = dt.datetime.now(dt.UTC)
    return pa.table(
        {
            "crm": pa.repeat(pa.scalar(crm, pa.string()), rows),
            "object": pa.repeat(pa.scalar(level, pa.string()), rows),
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
