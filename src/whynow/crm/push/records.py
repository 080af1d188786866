"""What a push sends (SPEC §12): per record, each mapped field's value as the CRM takes it, and whether it
changed since the CRM last confirmed it.

    records(reading, as_of, level, fields)   one row per record of the level at that run: `record_id`, a
                                             column per field (text; NULL clears the field) and `digest`
    with_digest(sent)                        the same table with its digests made again
    changed(records, ledger, full=False)     the records whose digest differs from the last confirmed one

Values as SPEC §12 has them: text cut to the field's length, dates as ISO dates (date-times as ISO 8601 in
UTC), booleans `true`/`false`, numbers as whynow prints them, NULL as NULL. The digest is the SHA-256 of the
record's values, written by the engine (no Python loop over records): the ledger keeps it per CRM, object
and record.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp

from whynow.crm.push.mapping import Field, Level
from whynow.presentation import format_array
from whynow.statements import column_ref, ident, param, table_ref
from whynow.store.read import Reading

LEDGER = "push_ledger"  # crm, object, record_id, digest, run_id, confirmed_at: the store's table of pushes
_TABLE = {"account": "account_status", "contact": "contact_status"}


def records(reading: Reading, as_of: dt.date, level: Level, fields: list[Field]) -> pa.Table:
    """The level's records at the run of `as_of`, each field's value as it is sent, and their digest."""
    key = f"{level}_id"
    main = exp.alias_(exp.to_table(_TABLE[level]), "s", table=True)
    query = sqlglot.select(exp.alias_(exp.column(key, table="s"), "record_id")).from_(main)
    for i, field in enumerate(fields):
        if field.rank is None:
            query = query.select(exp.alias_(exp.column(ident(field.column), table="s"), f"f{i}"))
            continue
        entry = f"c{i}"  # the call list's entry `rank` of the account, joined once per mapped field
        on = exp.and_(
            exp.column("as_of", table=entry).eq(exp.column("as_of", table="s")),
            exp.column("account_id", table=entry).eq(exp.column("account_id", table="s")),
            exp.column("rank", table=entry).eq(exp.Literal.number(field.rank)),
        )
        query = query.join(exp.alias_(table_ref("call_list"), entry, table=True), on=on, join_type="left")
        query = query.select(exp.alias_(exp.column(ident(field.column), table=entry), f"f{i}"))
    query = query.where(exp.column("as_of", table="s").eq(param())).order_by(exp.column(key, table="s"))
    found = reading.batches(query, [as_of]).read_all()
    values = {field.name: _as_sent(found[f"f{i}"], field) for i, field in enumerate(fields)}
    return with_digest(pa.table({"record_id": found["record_id"], **values}))


def _as_sent(values: pa.ChunkedArray, field: Field) -> pa.Array:
    """One field's values as the CRM takes them, as text: NULL stays NULL (it clears the field)."""
    if field.type == "text":
        return pc.utf8_slice_codeunits(values, 0, field.length)
    if field.type == "boolean":
        return pc.if_else(values, "true", "false")
    if field.type == "date":
        return pc.cast(values, pa.string())
    if field.type == "timestamp":  # ISO 8601 in UTC, to the second, as both CRMs' date-time fields take it
        kind = values.type
        assert isinstance(kind, pa.TimestampType)
        seconds = pc.cast(values, pa.timestamp("s", kind.tz), safe=False)
        return pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ")
    shown = format_array(values)  # numbers and times as whynow prints them
    return pc.if_else(pc.is_null(values), pa.scalar(None, pa.string()), shown)


def with_digest(sent: pa.Table) -> pa.Table:
    """`sent` (record_id and a column per field) with `digest`: the SHA-256 of each record's values in field
    order, NULL told apart from the empty text."""
    names = [n for n in sent.column_names if n not in ("record_id", "digest")]
    return sent.drop_columns([c for c in ("digest",) if c in sent.column_names]).append_column(
        "digest", _digests(sent.select(names), names)
    )


def _digests(table: pa.Table, names: list[str]) -> pa.Array:
    con = duckdb.connect()
    try:
        con.register("sent", table.select(names))
        parts = [
            exp.func("coalesce", exp.func("concat", exp.Literal.string("="), column_ref(name)), exp.Literal.string("∅"))
            for name in names
        ]
        digest = exp.func("sha256", exp.func("concat_ws", exp.Literal.string("\x1f"), *parts)) if parts else None
        query = sqlglot.select(digest or exp.Literal.string("")).from_("sent")
        return con.execute(query.sql(dialect="duckdb")).to_arrow_table().column(0).combine_chunks()
    finally:
        con.close()


def changed(sent: pa.Table, ledger: pa.Table | None, full: bool = False) -> pa.Table:
    """The records of `sent` to send: with `full` all of them, else those whose digest is not the one the
    ledger (record_id, digest: the last confirmed push of this CRM and object) holds."""
    if full or ledger is None or ledger.num_rows == 0:
        return sent
    keys = sent.select(["record_id", "digest"]).append_column("at", pa.array(range(sent.num_rows), pa.int64()))
    kept = keys.join(ledger.select(["record_id", "digest"]), keys=["record_id", "digest"], join_type="left anti")
    at = kept["at"].combine_chunks()  # the records to send, in `sent`'s order
    return sent.take(pc.take(at, pc.array_sort_indices(at)))
