"""What every CRM import shares (SPEC §11): reading export files, applying a mapping, the report, writing.

    Importer(crm, objects, mapping, ids=…)   one import's connection, mapping and report
      .read_csv(file, object)                a CSV export as text columns (and `_row`, its row number)
      .read_tree(file)                       `sf data export tree` JSON: one frame per sObject type
      .shape(frame)                          the object's fields as typed whynow columns, by the mapping
      .require(table, frame, columns)        rows missing a required value are set aside as unplaced
      .write(tables, out, fmt)               the contract's files, all at once, or nothing

Everything is set-based on one in-memory DuckDB connection: the mapping becomes column expressions, and
the CRM's own rules (placing leads, campaign names, closed deals) are joins. Python loops over objects,
fields and rules, never over rows.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
from ibis.backends.duckdb import Backend as DuckDBBackend

from whynow.crm import formats
from whynow.crm.formats import email_domain
from whynow.crm.mapping import CrmMapping, ObjectMapping, ObjectSpec, dump, glob_regex, value_text
from whynow.data.contract import IBIS_TYPES, TABLE_NAMES, TABLES, ColumnType
from whynow.data.source import ROW, csv_header, csv_problem, read_text_csv
from whynow.errors import DataError

FileFormat = Literal["csv", "parquet"]
_SHOWN = 3  # row numbers quoted in an error


@dataclass
class Frame:
    """One CRM object as read from one file: text columns plus `_row`."""

    object: str
    table: ir.Table
    file: str
    format: str  # "CSV", "CSV with a byte-order mark", "sObject tree JSON"

    def field(self, name: str) -> str | None:
        """The file's own spelling of a field, found in any letter case."""
        folded = name.lower()
        return next((c for c in self.table.columns if c != ROW and c.lower() == folded), None)


@dataclass(frozen=True)
class Unplaced:
    object: str
    file: str
    reason: str
    rows: int


@dataclass(frozen=True)
class Style:
    """How one field writes its dates, times or booleans."""

    file: str
    field: str
    style: str
    rows: int


@dataclass
class ImportReport:
    """What an import read, wrote, set aside and did not map (SPEC §11)."""

    crm: str
    folder: str
    out: str = ""
    format: str = "csv"
    read: list[tuple[str, str, str, int]] = field(default_factory=list)  # file, object, format, rows
    written: dict[str, int] = field(default_factory=dict)
    unplaced: list[Unplaced] = field(default_factory=list)
    unmapped: dict[str, list[str]] = field(default_factory=dict)  # file -> fields not mapped
    styles: list[Style] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)  # files in the folder that are not a known object
    notes: list[str] = field(default_factory=list)
    mapping_file: str | None = None
    mapping: str = ""  # the mapping used, as YAML

    @property
    def dropped(self) -> int:
        return sum(u.rows for u in self.unplaced)


class Importer:
    """One import: an in-memory DuckDB connection, the merged mapping, and the report being written."""

    def __init__(
        self,
        report: ImportReport,
        objects: Mapping[str, ObjectSpec],
        mapping: CrmMapping,
        ids: Callable[[ir.StringValue], ir.StringValue] | None = None,
        deleted: tuple[str, ...] = (),
    ) -> None:
        self.con: DuckDBBackend = ibis.duckdb.connect()
        self.con.raw_sql("SET TimeZone = 'UTC'")  # SPEC §2: naive timestamps are UTC
        self.report = report
        self.objects = objects
        self.mapping = mapping
        self.ids = ids  # Salesforce: 15-character ids to 18
        self.deleted = deleted  # fields that flag a record deleted in the CRM (IsDeleted, _fivetran_deleted)
        self._views = 0
        report.mapping = dump(mapping)

    # ---- reading ------------------------------------------------------------------------------------

    def view(self) -> str:
        self._views += 1
        return f"crm_{self._views}"

    def read_csv(self, file: Path, obj: str, names: list[str] | None = None) -> Frame:
        """A CSV export; `names` overrides the header (HubSpot's repeated labels, read by position)."""
        header = csv_header(file, f"{self.report.crm} {obj} export")
        if names is None:
            folded = [h.lower() for h in header]
            repeated = sorted({h for h in header if folded.count(h.lower()) > 1})
            if repeated:
                raise DataError(
                    f"{file}: the column {', '.join(repeated)} appears twice in the header (field names are "
                    "read in any letter case); keep one"
                )
        try:
            table = read_text_csv(self.con, file, self.view(), names or header)
        except duckdb.Error as e:
            raise DataError(f"{file}: cannot read it as a CSV file: {csv_problem(e)}") from None
        bom = file.open("rb").read(3) == b"\xef\xbb\xbf"
        return self._frame(obj, table, file.name, "CSV, UTF-8 with a byte-order mark" if bom else "CSV, UTF-8")

    def read_tree(self, file: Path) -> list[Frame]:
        """`sf data export tree` JSON (`{"records": [{"attributes": {"type", "referenceId"}, …}]}`): one frame
        per sObject type. A record's id is its Id, else its referenceId; `@Ref` references lose the `@`."""
        view = self.view()
        try:  # as JSON text, so that every value reads as the export wrote it (never re-typed by DuckDB)
            self.con.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT row_number() OVER () AS {ROW}, r AS _record "
                "FROM (SELECT unnest(from_json(json_extract(json, '$.records'), '[\"JSON\"]')) AS r "
                "FROM read_json_objects($1, maximum_object_size = 1073741824))",
                [str(file)],
            )
            keys = self.con.con.execute(f"SELECT DISTINCT unnest(json_keys(_record)) AS k FROM {view} ORDER BY k")
            fields = [row[0] for row in keys.fetchall() if row[0] != "attributes"]
        except duckdb.Error as e:
            raise DataError(
                f"{file}: cannot read it as sObject-tree JSON ({str(e).splitlines()[0]}); it must hold "
                '{"records": [{"attributes": {"type": …, "referenceId": …}, …}]}'
            ) from None
        raw = self.con.table(view)
        record = raw["_record"]
        children = {
            f"n{i}": _json_string(record, f"$.{_quoted(f)}.records").notnull().any() for i, f in enumerate(fields)
        }
        found = raw.aggregate(**children).to_pyarrow().to_pylist()[0] if children else {}
        nested = [f for i, f in enumerate(fields) if found[f"n{i}"]]
        if nested:
            raise DataError(
                f"{file}: records hold nested child records ({', '.join(nested)}); export with "
                "`sf data export tree --plan` so that each object has its own file"
            )
        columns: dict[str, ir.Value] = {}
        for f in fields:
            text = _json_string(record, f"$.{_quoted(f)}")
            if f.lower().endswith("id"):  # a reference to another record of the tree
                text = ibis.ifelse(text.startswith("@"), text.substr(1), text)
            columns[f] = text
        columns["_sobject"] = _json_string(record, "$.attributes.type")
        if not any(f.lower() == "id" for f in fields):
            columns["Id"] = _json_string(record, "$.attributes.referenceId")
        flat = raw.select(ROW, **columns)
        types = [
            r["_sobject"] for r in flat.select("_sobject").distinct().order_by("_sobject").to_pyarrow().to_pylist()
        ]
        frames = []
        for sobject in types:
            if sobject is None:
                raise DataError(f"{file}: a record has no attributes.type; it is not sObject-tree JSON")
            one = flat.filter(flat["_sobject"] == sobject).drop("_sobject")
            frames.append(self._frame(str(sobject), one, file.name, "sObject tree JSON"))
        return frames

    def _frame(self, obj: str, table: ir.Table, file: str, fmt: str) -> Frame:
        frame = Frame(obj, table, file, fmt)
        self.report.read.append((file, obj, fmt, int(table.count().to_pyarrow().as_py())))
        return frame

    # ---- mapping ------------------------------------------------------------------------------------

    def object_mapping(self, obj: str) -> ObjectMapping:
        return self.mapping.get(obj, ObjectMapping())

    def shape(self, frame: Frame, id_column: str | None = None) -> ir.Table:
        """The frame's fields as whynow columns (typed as the contract says), plus `_row`.

        Checks every value on the way: a date, number or boolean that does not read is a `DataError`
        naming file, row and field; the styles found go to the report. `id_column` must come from a field
        of the file (a missing Id column is an error). Columns fed by no field of this file are NULL."""
        mapping = self.object_mapping(frame.object)
        spec = self.objects[frame.object]
        t = self._without_deleted(frame)
        used = {c for c in (frame.field(name) for name in self.deleted) if c is not None}
        if id_column is not None and not any(frame.field(f) for f in mapping.fields_of(id_column)):
            wanted = " or ".join(mapping.fields_of(id_column)) or id_column
            raise DataError(
                f"{frame.file}: the {frame.object} export has no {wanted} column (the record id, for "
                f"{id_column}); export it with its Id, or map the id field in a mapping file"
            )
        values: dict[str, ir.Value] = {}
        checks: list[tuple[str, ColumnType, ir.StringValue, ir.Value]] = []
        mapped: list[bool] = []  # per check: whether the mapping's values rewrote the field first
        for column in mapping.targets():
            kind = spec.column_type(column)
            texts: list[ir.StringValue] = []
            for name in mapping.fields_of(column):
                actual = frame.field(name)
                if actual is None:
                    continue
                used.add(actual)
                text = _blank_null(t[actual])
                if column in mapping.values:
                    text = _map_values(text, mapping.values[column])
                if kind != "text":
                    checks.append((actual, kind, text, formats.parse(text, kind)))
                    mapped.append(column in mapping.values)
                texts.append(text)
            if column in mapping.defaults:
                texts.append(ibis.literal(value_text(mapping.defaults[column])))
            if not texts:  # no field of this file feeds it: NULL (not false), so that rules like `stages` apply
                values[column] = typed_null(kind)
                continue
            text = ibis.coalesce(*texts) if len(texts) > 1 else texts[0]
            if self.ids is not None and (column.endswith("_id") or column == "company"):
                text = self.ids(text)
            if column == "domain":
                text = formats.web_domain(text)
            if column == "type" and spec.table == "activities":
                text = _slug(text)
            values[column] = formats.parse(text, kind) if kind != "text" else text
        if spec.table is not None:  # the contract's columns that no field feeds: NULL, of their type
            for canonical in TABLES[spec.table].columns:
                values.setdefault(canonical.name, typed_null(canonical.type))
        self._check(frame, t, checks, mapped)
        self.report.unmapped[frame.file + ("" if frame.format.startswith("CSV") else f" ({frame.object})")] = [
            c for c in t.columns if c != ROW and c not in used
        ]
        return t.select(ROW, **values)

    def _without_deleted(self, frame: Frame) -> ir.Table:
        """The frame without records the CRM flags as deleted (counted as unplaced, with the flag's name)."""
        t = frame.table
        for name in self.deleted:
            actual = frame.field(name)
            if actual is None:
                continue
            gone = formats.parse(_blank_null(t[actual]), "boolean").fill_null(False)
            crm = {"salesforce": "Salesforce", "hubspot": "HubSpot"}.get(self.report.crm, self.report.crm)
            self.unplaced(frame.object, frame.file, f"deleted in {crm} ({actual})", _count(t.filter(gone)))
            t = t.filter(~gone)
        return t

    def _check(
        self,
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
            bad = text.notnull() & parsed.isnull()
            aggregates[f"bad{i}"] = ibis.ifelse(bad, 1, 0).sum()
            aggregates[f"first{i}"] = t[ROW].min(where=bad)
            for j, count in enumerate(formats.styles(text, kind).values()):
                aggregates[f"style{i}_{j}"] = count
            if kind == "boolean":
                aggregates[f"spell{i}"] = text.collect(distinct=True).sort()
                aggregates[f"blank{i}"] = text.isnull().any()
        found = t.aggregate(**aggregates).to_pyarrow().to_pylist()[0]
        for i, (name, kind, text, _) in enumerate(checks):
            if found[f"bad{i}"]:
                first = int(found[f"first{i}"])
                sample = t.filter(t[ROW] == first).select(v=text).to_pyarrow().to_pylist()[0]["v"]
                more = found[f"bad{i}"] - 1
                raise DataError(
                    f"{frame.file} row {first}, column {name}: {sample!r} is not {_WORDS[kind]}"
                    + (f" ({more} more rows like it)" if more else "")
                    + "; fix the value, or map another field in a mapping file"
                )
            labels = list(formats.styles(text, kind))
            for j, label in enumerate(labels):
                if found[f"style{i}_{j}"]:
                    self.report.styles.append(Style(frame.file, name, label, int(found[f"style{i}_{j}"])))
            if kind == "boolean" and not mapped[i]:
                spelled = [*(found[f"spell{i}"] or []), *(["empty"] if found[f"blank{i}"] else [])]
                self.report.styles.append(Style(frame.file, name, "/".join(spelled), 0))

    # ---- rows that cannot be placed -----------------------------------------------------------------

    def require(self, table: ir.Table, frame: Frame, columns: Iterable[str], reason: str | None = None) -> ir.Table:
        """`table` without the rows where any of `columns` is NULL; each such column's count goes to the
        report as unplaced, with the reason (default: the fields that were empty)."""
        mapping = self.object_mapping(frame.object)
        kept = table
        for column in columns:
            missing = kept[column].isnull()
            count = _count(kept.filter(missing))
            if count:
                fields = [f for f in mapping.fields_of(column) if frame.field(f)]
                why = reason or (
                    f"no {' or '.join(fields)} (for {column})"
                    if fields
                    else f"the file has no {' or '.join(mapping.fields_of(column)) or column} column (for {column})"
                )
                self.unplaced(frame.object, frame.file, why, count)
            kept = kept.filter(~missing)
        return kept

    def unplaced(self, obj: str, file: str, reason: str, rows: int) -> None:
        if rows:
            self.report.unplaced.append(Unplaced(obj, file, reason, rows))

    # ---- writing ------------------------------------------------------------------------------------

    def write(self, tables: Mapping[str, ir.Table], out: Path, fmt: FileFormat, strict: bool) -> None:
        """Write every contract table at once: into a new folder first, then moved into `out`, so a failed
        import leaves `out` as it was. `strict`: any unplaced row is an error and nothing is written."""
        report = self.report
        if strict and report.unplaced:
            lines = [f"{u.file}: {u.rows} {u.object} rows: {u.reason}" for u in report.unplaced]
            raise DataError(
                f"--strict: {report.dropped} rows could not be placed ({'; '.join(lines)}); "
                "fix the export or the mapping, or import without --strict"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".whynow-import-", dir=out.parent))
        try:
            for name, table in tables.items():
                columns = _contract_order(name, table)
                key = TABLES[name].id_column
                final = table.select(*columns).order_by(key) if key in columns else table.select(*columns)
                path = staging / f"{name}.{fmt}"
                if fmt == "csv":
                    self.con.to_csv(final, path)
                else:
                    self.con.to_parquet(final, path)
                report.written[name] = int(final.count().to_pyarrow().as_py())
            (staging / "import-mapping.yaml").write_text(report.mapping, encoding="utf-8")
            out.mkdir(parents=True, exist_ok=True)
            for name in TABLE_NAMES:  # files of an earlier import that this one does not replace would mix in
                for ext in ("csv", "parquet"):
                    (out / f"{name}.{ext}").unlink(missing_ok=True)
            for path in staging.iterdir():
                path.replace(out / path.name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        report.out, report.format = str(out), fmt


_WORDS: dict[ColumnType, str] = {
    "text": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "a true/false value (1/empty, true/false, TRUE/FALSE, yes/no)",
    "date": "a date in a style whynow reads (2024-11-10, 11/10/2024, 11/10/24)",
    "timestamp": "a date and time in a style whynow reads (2024-01-22T16:14:25.000+0000, 5/7/24 10:26, "
    "02/24/26 02:18 AM)",
}


@ibis.udf.scalar.builtin(name="json_extract_string")  # type: ignore[untyped-decorator]
def _json_string(value: dt.JSON, path: str) -> str:  # type: ignore[empty-body]
    """DuckDB's json_extract_string: the value at a JSON path as text (NULL where absent)."""


def _quoted(key: str) -> str:
    """A JSON key as a path step: `"Tier__c"`."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def person_of(placed: ir.Table) -> ir.Table:
    """Each contact or lead id → itself where it was placed at an account, NULL where it was not."""
    placed_as = ibis.ifelse(placed.account_id.notnull(), placed.contact_id, ibis.null(dt.string))
    return placed.select(person_id=placed.contact_id, contact_id=placed_as)


def place(people: ir.Table, accounts: ir.Table, by_company: bool) -> ir.Table:
    """`account_id` filled where it is empty: the account whose domain is the email's domain, else (leads)
    the account named like the company, else the one whose Id the company holds. Where several accounts
    match, the lowest account_id (SPEC §3)."""
    domains = (
        accounts.filter(accounts.domain.notnull())
        .group_by(_key=accounts.domain)
        .aggregate(_by_domain=accounts.account_id.min())
    )
    own = people.account_id if "account_id" in people.columns else ibis.null(dt.string)
    t = people.mutate(account_id=own, _key=email_domain(people.email))
    t = t.left_join(domains, "_key").drop("_key_right")
    choices = [t.account_id, t._by_domain]
    if by_company:
        names = accounts.group_by(_key=accounts.name.strip().lower()).aggregate(_by_name=accounts.account_id.min())
        t = t.mutate(_key=t.company.strip().lower()).left_join(names, "_key").drop("_key_right")
        ids = accounts.select(_key=accounts.account_id, _by_id=accounts.account_id)
        t = t.mutate(_key=t.company).left_join(ids, "_key").drop("_key_right")
        choices = [t.account_id, t._by_domain, t._by_name, t._by_id]
    placed = t.mutate(account_id=ibis.coalesce(*choices))
    return placed.drop(*[c for c in ("_key", "_by_domain", "_by_name", "_by_id") if c in placed.columns])


def close_deals(imp: Importer, frame: Frame, deals: ir.Table) -> ir.Table:
    """`is_closed` / `is_won` from the mapping's `stages` where the export has no field for them, and
    `closed_at` only on closed deals (SPEC §11: closed_at = CloseDate when IsClosed)."""
    mapping = imp.object_mapping(frame.object)
    stages = mapping.stages
    for column, which in (("is_won", "won"), ("is_closed", "closed")):
        if stages is None or any(frame.field(f) for f in mapping.fields_of(column)):
            continue
        patterns = stages.won if which == "won" else [*stages.won, *stages.lost]
        hit: ir.BooleanValue = ibis.literal(False)
        for pattern in patterns:
            hit = hit | deals.stage.re_search(glob_regex(pattern)).fill_null(False)
        deals = deals.mutate(**{column: ibis.coalesce(deals[column], hit)})  # a stage table's answer first
    return deals.mutate(closed_at=ibis.ifelse(deals.is_closed, deals.closed_at, ibis.null(deals.closed_at.type())))


def written(table: ir.Table, spec: ObjectSpec) -> ir.Table:
    """The columns that are written: the contract's and the mapping's extras, not the helper columns."""
    helpers = set(spec.extra)
    return table.select(*[c for c in table.columns if c not in helpers and c != "_row"])


def union(name: str, parts: list[ir.Table]) -> ir.Table:
    """The rows of several objects as one table: the contract's columns, then every extra column of any
    part, NULL (of the contract's type) where a part lacks it."""
    contract = [c.name for c in TABLES[name].columns]
    extras = sorted({c for p in parts for c in p.columns if c not in contract})
    schema = TABLES[name].schema
    same = [
        p.select(**{c: p[c] if c in p.columns else ibis.null(schema.get(c, dt.string)) for c in contract + extras})
        for p in parts
    ]
    return ibis.union(*same)


def _count(table: ir.Table) -> int:
    return int(table.count().to_pyarrow().as_py())


def _blank_null(text: ir.Value) -> ir.StringValue:
    """A field's text, trimmed; NULL where empty."""
    value = text.cast(dt.string).strip()
    return ibis.ifelse(value == "", ibis.null(dt.string), value)


def _map_values(text: ir.StringValue, patterns: Mapping[str, object]) -> ir.StringValue:
    """The mapping's `values:` for one column: the first pattern that matches gives the value; a value no
    pattern matches stays as it is."""
    cases = [(text.re_search(glob_regex(p)), ibis.literal(value_text(v))) for p, v in patterns.items()]  # type: ignore[arg-type]
    mapped: ir.StringValue = ibis.cases(*cases, else_=text) if cases else text
    return ibis.ifelse(text.isnull(), text, mapped)


def _slug(text: ir.StringValue) -> ir.StringValue:
    """An activity type in the contract's vocabulary style: `List Email` → `list_email`."""
    return text.lower().re_replace(r"[^a-z0-9]+", "_").re_replace(r"^_+|_+$", "")


def _contract_order(name: str, table: ir.Table) -> list[str]:
    """The contract's columns first, in its order, then any extra columns the mapping adds."""
    contract = [c.name for c in TABLES[name].columns if c.name in table.columns]
    return contract + [c for c in table.columns if c not in contract and not c.startswith("_")]


def typed_null(kind: ColumnType) -> ir.Value:
    return ibis.null(IBIS_TYPES[kind])
