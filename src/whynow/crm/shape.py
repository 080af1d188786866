"""Shaping a CRM object (SPEC §11): the mapping turns a frame's text fields into typed whynow columns, as
column expressions; every value is checked on the way (`checks.py`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from whynow.crm import formats
from whynow.crm.checks import check, plausible, refuse_value, unique
from whynow.crm.importer import CRM_NAMES, Importer, count_rows, typed_null
from whynow.crm.mapping import glob_regex, value_text
from whynow.crm.read import TREE, Frame, blank_null
from whynow.crm.report import Style
from whynow.data.backends import keep
from whynow.data.contract import TABLES, ColumnType
from whynow.data.source import ROW
from whynow.errors import DataError


def shape(imp: Importer, frame: Frame, id_column: str | None = None) -> ir.Table:
    """The frame's fields as whynow columns (typed as the contract says), plus `_row`.

    Checks every value on the way: a date, number or boolean that does not read is a `DataError`
    naming file, row and field; the styles found go to the report. `id_column` must come from a field
    of the file (a missing Id column is an error). Columns fed by no field of this file are NULL."""
    mapping = imp.object_mapping(frame.object)
    spec = imp.objects[frame.object]
    t = without_deleted(imp, frame)
    used = {c for c in (frame.field(name) for name in imp.deleted) if c is not None}
    if id_column is not None and not any(frame.field(f) for f in mapping.fields_of(id_column)):
        wanted = " or ".join(mapping.fields_of(id_column)) or id_column
        raise DataError(
            f"{frame.file}: the {frame.object} export has no {wanted} column (the record id, for "
            f"{id_column}); export it with its Id, or map the id field in a mapping file"
        )
    # 1. each field that feeds a column, as text: trimmed, empty as NULL, the mapping's values applied
    feeds: list[tuple[str, str, str]] = []  # (its column here, the whynow column, the field's name)
    texts: dict[str, ir.Value] = {}
    for column in mapping.targets():
        for name in mapping.fields_of(column):
            actual = frame.field(name)
            if actual is None:
                continue
            used.add(actual)
            text = blank_null(frame.read(t, name))
            if column in mapping.values:
                text = _map_values(text, mapping.values[column])
            key = f"_x{len(feeds)}"
            texts[key] = text
            feeds.append((key, column, actual))
    # Kept, and so is each step below: an expression that reused the one before would repeat it in
    # the SQL every time (the parsers read a value a dozen times), and the SQL would grow without bound.
    x = keep(t.select(ROW, **texts))
    # 2. each field read as its column's type, on its own, so that a bad value names its field; dates
    # in the styles the field was seen to use (one style: no test per value)
    kinds = {key: spec.column_type(column) for key, column, _ in feeds}
    found = {
        key: date_styles(imp, frame, x, key, actual) for key, _, actual in feeds if kinds[key] in ("date", "timestamp")
    }
    parsed = {f"_p{key}": _or_null(x[key], kind, found.get(key)) for key, kind in kinds.items() if kind != "text"}
    y = keep(x.mutate(**parsed))
    checks = [(actual, kinds[key], y[key], y[f"_p{key}"]) for key, _, actual in feeds if kinds[key] != "text"]
    mapped = [column in mapping.values for key, column, _ in feeds if kinds[key] != "text"]
    check(imp, frame, y, checks, mapped)
    # 3. each column: its first filled field, else its default; the id, domain and type conventions
    values: dict[str, ir.Value] = {}
    for column in mapping.targets():
        kind = spec.column_type(column)
        keys = [key for key, target, _ in feeds if target == column]
        default = mapping.defaults.get(column)
        if not keys and default is None:  # no field of this file feeds it: NULL (not false: `stages` apply)
            values[column] = typed_null(kind)
            continue
        if kind == "text":
            choices: list[ir.Value] = [y[key] for key in keys]
            if default is not None:
                choices.append(ibis.literal(value_text(default)))
            text = ibis.coalesce(*choices) if len(choices) > 1 else choices[0]
            if imp.ids is not None and column.endswith("_id"):
                text = imp.ids(text)
            if column == "domain":
                text = formats.web_domain(text)
            if column == "type" and spec.table == "activities":
                text = _slug(text)
            values[column] = text
            continue
        choices = [plausible(y[f"_p{key}"], kind) for key in keys]
        if default is not None:
            choices.append(formats.parse(ibis.literal(value_text(default)), kind))
        value = ibis.coalesce(*choices) if len(choices) > 1 else choices[0]
        values[column] = value.fill_null(False) if kind == "boolean" else value  # SPEC §3: blank is false
    if spec.table is not None:  # the contract's columns that no field feeds: NULL, of their type
        for canonical in TABLES[spec.table].columns:
            values.setdefault(canonical.name, typed_null(canonical.type))
    for helper, kind in spec.extra.items():  # and the importer's own, even where a mapping drops their field
        values.setdefault(helper, typed_null(kind))
    imp.report.unmapped[frame.file + (f" ({frame.object})" if frame.format == TREE else "")] = [
        c for c in t.columns if c != ROW and c not in used
    ]
    shaped = keep(y.select(ROW, **values))
    if id_column is not None and spec.table is not None and TABLES[spec.table].id_column == id_column:
        unique(imp, frame, shaped, id_column)
    for done in (x, y):  # memory: an export's largest tables are read, parsed and shaped once each
        imp.con.drop_table(done.get_name(), force=True)
    if frame.source is not None:
        imp.con.drop_table(frame.source, force=True)
    return shaped


def without_deleted(imp: Importer, frame: Frame) -> ir.Table:
    """The frame without records the CRM flags as deleted (counted as unplaced, with the flag's name)."""
    t = frame.table
    for name in imp.deleted:
        actual = frame.field(name)
        if actual is None:
            continue
        gone = formats.parse(blank_null(t[actual]), "boolean").fill_null(False)
        crm = CRM_NAMES[imp.report.crm]
        imp.unplaced(frame.object, frame.file, f"deleted in {crm} ({actual})", count_rows(t.filter(gone)))
        t = t.filter(~gone)
    return t


def date_styles(imp: Importer, frame: Frame, x: ir.Table, key: str, name: str) -> list[int]:
    """The date styles a field uses (reported with their counts); a value in none is a `DataError`."""
    style = formats.style_of(x[key])
    counts = (
        x.filter(x[key].notnull())
        .group_by(style=style)
        .aggregate(rows=x[ROW].count(), first=x[ROW].min())
        .order_by("style")
        .to_pyarrow()
        .to_pylist()
    )
    for found in counts:
        if found["style"] is None:
            refuse_value(frame, x, key, name, "timestamp", found["first"], found["rows"])
    used = [int(found["style"]) for found in counts]
    for found in counts:
        label = formats.DATE_STYLES[int(found["style"])].label
        imp.report.styles.append(Style(frame.file, name, label, int(found["rows"])))
    return used


def _or_null(text: ir.Value, kind: ColumnType, found: Sequence[int] | None = None) -> ir.Value:
    """A field's text as `kind`; NULL where the field is empty (a blank boolean too, so that the next field
    of the column is read)."""
    return ibis.ifelse(text.isnull(), typed_null(kind), formats.parse(text, kind, found))


def _map_values(text: ir.StringValue, patterns: Mapping[str, object]) -> ir.StringValue:
    """The mapping's `values:` for one column: the first pattern that matches gives the value; a value no
    pattern matches stays as it is (and NULL stays NULL: it matches nothing). A pattern without * or ? is
    compared as text, any letter case."""
    folded = text.lower()
    cases = [
        (text.re_search(glob_regex(p)) if "*" in p or "?" in p else folded == p.lower(), ibis.literal(value_text(v)))  # type: ignore[arg-type]
        for p, v in patterns.items()
    ]
    mapped: ir.StringValue = ibis.cases(*cases, else_=text) if cases else text
    return mapped


def _slug(text: ir.StringValue) -> ir.StringValue:
    """An activity type in the contract's vocabulary style: `List Email` → `list_email`."""
    return text.lower().re_replace(r"[^a-z0-9]+", "_").re_replace(r"^_+|_+$", "")
