"""The checks of a CRM import (SPEC §11, §3): values that do not read as their column's type, copies of one
record, and rows missing what places them, which are set aside as unplaced and counted, never dropped
silently."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir

from whynow.crm.importer import Importer, count_rows, typed_null
from whynow.crm.read import Frame
from whynow.crm.report import Style
from whynow.data.contract import TABLES, ColumnType
from whynow.data.source import ROW
from whynow.errors import DataError

_SHOWN = 3  # ids or row numbers quoted in an error


def unique(imp: Importer, frame: Frame, shaped: ir.Table, id_column: str) -> None:
    """Two rows of one file with one id are an error, as in the written tables (SPEC §3), and checked
    here, before any row is placed: copies that could not be placed would otherwise be counted as
    unplaced twice, and never named as copies."""
    ids = shaped.filter(shaped[id_column].notnull())
    copies = (
        ids.group_by(_id=ids[id_column]).aggregate(_n=ids.count(), _first=ids[ROW].min()).filter(lambda t: t._n > 1)
    )
    found = copies.order_by("_first").limit(_SHOWN + 2).to_pyarrow().to_pylist()
    if not found:
        return
    mapping = imp.object_mapping(frame.object)
    field = next((f for f in (frame.field(n) for n in mapping.fields_of(id_column)) if f), id_column)
    first = found[0]["_id"]
    of_first = ids.filter(ids[id_column] == first).select(ROW).to_pyarrow().to_pylist()
    rows = sorted(int(r[ROW]) for r in of_first)
    shown = ", ".join(str(r) for r in rows[:-1][:_SHOWN]) + (" …" if len(rows) > _SHOWN + 1 else "")
    more = count_rows(copies) - 1 if len(found) > 1 else 0
    others = ", ".join(str(r["_id"]) for r in found[1 : _SHOWN + 1]) + (" …" if more > _SHOWN else "")
    raise DataError(
        f"{frame.file} rows {shown} and {rows[-1]} are one {frame.object} record ({field} {first})"
        + (f"; copies of {more} more ids too ({others})" if more else "")
        + "; remove the copies (whynow cannot tell which is right)"
    )


def refuse_value(frame: Frame, t: ir.Table, key: str, name: str, kind: ColumnType, first: int, rows: int) -> None:
    """A value that does not read as its column's type: a `DataError` naming file, row, field and value."""
    sample = t.filter(t[ROW] == first).select(v=t[key]).to_pyarrow().to_pylist()[0]["v"]
    more = rows - 1
    raise DataError(
        f"{frame.file} row {first}, column {name}: {sample!r} is not {_WORDS[kind]}"
        + (f" ({more} more rows like it)" if more else "")
        + "; fix the value, or map another field in a mapping file"
    )


def check(
    imp: Importer,
    frame: Frame,
    t: ir.Table,
    checks: list[tuple[str, ColumnType, ir.StringValue, ir.Value]],
    mapped: list[bool],
) -> None:
    """One pass over the frame: every field's bad values (an error) and its styles (the report)."""
    if not checks:
        return
    aggregates: dict[str, ir.Value] = {}
    for i, (_, kind, text, parsed) in enumerate(checks):
        unread = text.notnull() & parsed.isnull()
        aggregates[f"bad{i}"] = ibis.ifelse(unread, 1, 0).sum()
        aggregates[f"first{i}"] = t[ROW].min(where=unread)
        if kind == "boolean":
            aggregates[f"spell{i}"] = text.collect(distinct=True).sort()
            aggregates[f"blank{i}"] = text.isnull().any()
        if kind in ("date", "timestamp"):
            aggregates[f"early{i}"] = (parsed.notnull() & plausible(parsed, kind).isnull()).sum()
    found = t.aggregate(**aggregates).to_pyarrow().to_pylist()[0]
    for i, (name, kind, text, _) in enumerate(checks):
        if found[f"bad{i}"]:
            refuse_value(frame, t, text.get_name(), name, kind, int(found[f"first{i}"]), int(found[f"bad{i}"]))
        if found.get(f"early{i}"):
            imp.report.notes.append(
                f"{frame.file}: {found[f'early{i}']} values of {name} are before {EARLIEST:%Y} (an epoch slip?); "
                "read as empty, so the column's next field or default is used"
            )
        if kind == "boolean" and not mapped[i]:
            spelled = [*(found[f"spell{i}"] or []), *(["empty"] if found[f"blank{i}"] else [])]
            imp.report.styles.append(Style(frame.file, name, "/".join(spelled), 0))


# ---- rows that cannot be placed -----------------------------------------------------------------


def require(
    imp: Importer, table: ir.Table, frame: Frame, columns: Iterable[str], reason: str | None = None
) -> ir.Table:
    """`table` without the rows where any of `columns` is NULL; each such column's count goes to the
    report as unplaced, with the reason (default: the fields that were empty)."""
    mapping = imp.object_mapping(frame.object)
    kept = table
    for column in columns:
        missing = kept[column].isnull()
        count = count_rows(kept.filter(missing))
        if count:
            fields = [f for f in mapping.fields_of(column) if frame.field(f)]
            why = reason or (
                f"no {' or '.join(fields)} (for {column})"
                if fields
                else f"the file has no {' or '.join(mapping.fields_of(column)) or column} column (for {column})"
            )
            imp.unplaced(frame.object, frame.file, why, count)
        kept = kept.filter(~missing)
    return kept


def no_duplicates(name: str, table: ir.Table) -> None:
    """Two rows with one id are an error (SPEC §3: which copy is right is the user's call)."""
    key = TABLES[name].id_column
    if key is None or key not in table.columns:
        return
    twice = table.group_by(key).aggregate(n=table.count()).filter(lambda t: t.n > 1).order_by(key).limit(5)
    shown = [str(r[key]) for r in twice.to_pyarrow().to_pylist()]
    if shown:
        raise DataError(
            f"the export holds two records with one id for {name}.{key} ({', '.join(shown)}); remove the copies "
            "(whynow cannot tell which is right)"
        )


_WORDS: dict[ColumnType, str] = {
    "text": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "a true/false value (1/empty, true/false, TRUE/FALSE, yes/no)",
    "date": "a date in a style whynow reads (2024-11-10, 11/10/2024, 11/10/24)",
    "timestamp": "a date and time in a style whynow reads (2024-01-22T16:14:25.000+0000, 5/7/24 10:26, "
    "02/24/26 02:18 AM)",
}


EARLIEST = datetime.datetime(1990, 1, 1, tzinfo=datetime.UTC)  # a CRM date before this is a slip, not a date


def plausible(value: ir.Value, kind: ColumnType) -> ir.Value:
    """A date or time before 1990 as NULL (HubSpot's seconds-for-milliseconds slip gives 1970-01-19)."""
    if kind == "timestamp":
        return ibis.ifelse(value < ibis.literal(EARLIEST), typed_null(kind), value)
    if kind == "date":
        return ibis.ifelse(value < ibis.literal(EARLIEST.date()), typed_null(kind), value)
    return value
