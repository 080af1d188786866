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

import datetime
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import sqlglot
from ibis.backends.duckdb import Backend as DuckDBBackend

from whynow.crm import formats
from whynow.crm import mapping as maps
from whynow.crm.formats import email_domain
from whynow.crm.mapping import CrmMapping, ObjectMapping, ObjectSpec, dump, glob_regex, value_text
from whynow.data.backends import keep
from whynow.data.contract import IBIS_TYPES, TABLE_NAMES, TABLES, ColumnType
from whynow.data.source import ROW, csv_header, csv_problem, read_text_csv
from whynow.errors import DataError
from whynow.options import FileFormat
from whynow.statements import call, column_ref, named, row_number, table_ref, temp_table

CRM_TABLES = ("accounts", "contacts", "activities", "opportunities", "reps")  # the tables an import writes
CRM_NAMES = {"salesforce": "Salesforce", "hubspot": "HubSpot"}  # as the CRMs spell themselves
_SHOWN = 3  # ids or row numbers quoted in an error


@dataclass
class Frame:
    """One CRM object as read from one file: text columns plus `_row`."""

    object: str
    table: ir.Table
    file: str
    format: str  # "CSV", "CSV with a byte-order mark", "sObject tree JSON"
    source: str | None = None  # the temporary table it was read into, let go of once shaped

    def field(self, name: str) -> str | None:
        """The file's own spelling of a field, found in any letter case. `BillingAddress.country` names a key
        of a JSON compound field (Salesforce's addresses): its column is the compound field's."""
        folded = name.lower()
        found = next((c for c in self.table.columns if c != ROW and c.lower() == folded), None)
        if found is None and "." in name:
            return self.field(name.split(".", 1)[0])
        return found

    def read(self, table: ir.Table, name: str) -> ir.Value:
        """A field's values in `table` (a view of this frame): the column, or the key of a compound field."""
        column = self.field(name)
        assert column is not None, name
        if column.lower() == name.lower():
            return table[column]
        key = name.split(".", 1)[1]
        compound = _blank_null(table[column])
        whole = compound.startswith("{").fill_null(False) & _json_valid(compound)  # else: no value, not an error
        return ibis.ifelse(whole, _json_key(compound, f"$.{_quoted(key)}"), ibis.null(dt.string))


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
    merged: list[Unplaced] = field(default_factory=list)  # rows that are another row: not written, not lost
    unmapped: dict[str, list[str]] = field(default_factory=dict)  # file -> fields not mapped
    styles: list[Style] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)  # files in the folder that are not a known object
    kept: list[str] = field(default_factory=list)  # files of --out an import leaves alone (intent.csv …)
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
        self.con.raw_sql("SET enable_progress_bar = false")  # the command's report is the output
        self.report = report
        self.objects = objects
        self.mapping = mapping
        self.ids = ids  # Salesforce: 15-character ids to 18
        self.deleted = deleted  # fields that flag a record deleted in the CRM (IsDeleted, _fivetran_deleted)
        self._views = 0
        report.mapping = dump(mapping)

    @classmethod
    def start(
        cls,
        crm: str,
        folder: Path,
        objects: Mapping[str, ObjectSpec],
        mapping_file: Path | None,
        ids: Callable[[ir.StringValue], ir.StringValue] | None = None,
        deleted: tuple[str, ...] = (),
    ) -> Importer:
        """An import of `folder` with the CRM's built-in mapping, and the user's file laid over it."""
        base = maps.builtin(crm, objects)
        mapping = maps.merge(base, maps.load(mapping_file, objects)) if mapping_file else base
        report = ImportReport(crm, str(folder), mapping_file=str(mapping_file) if mapping_file else None)
        return cls(report, objects, mapping, ids=ids, deleted=deleted)

    # ---- reading ------------------------------------------------------------------------------------

    def view(self) -> str:
        self._views += 1
        return f"crm_{self._views}"

    def read_csv(self, file: Path, obj: str, names: list[str] | None = None) -> Frame:
        """A CSV export; `names` overrides the header (HubSpot's repeated labels, read by position)."""
        expect_file(file, f"the {CRM_NAMES[self.report.crm]} {obj} export")
        header = csv_header(file, f"{self.report.crm} {obj} export")
        if len(header) == 1 and ";" in header[0]:
            raise DataError(f"{file}: the header is one column holding ';': save the file as CSV with commas")
        if names is None:
            folded = [h.lower() for h in header if h.strip()]  # blank names: a spreadsheet's trailing columns
            repeated = sorted({h for h in header if h.strip() and folded.count(h.lower()) > 1})
            if repeated:
                raise DataError(
                    f"{file}: the column {', '.join(repeated)} appears twice in the header (field names are "
                    "read in any letter case); keep one"
                )
        try:
            view = self.view()
            table = read_text_csv(self.con, file, view, names or header)
        except duckdb.Error as e:
            raise DataError(f"{file}: cannot read it as a CSV file: {csv_problem(e)}") from None
        with file.open("rb") as handle:
            bom = handle.read(3) == b"\xef\xbb\xbf"
        fmt = "CSV, UTF-8 with a byte-order mark" if bom else "CSV, UTF-8"
        return self._frame(obj, table, file.name, fmt, source=view)

    def read_tree(self, file: Path) -> list[Frame]:
        """`sf data export tree` JSON (`{"records": [{"attributes": {"type", "referenceId"}, …}]}`): one frame
        per sObject type. A record's id is its Id, else its referenceId; `@Ref` references lose the `@`."""
        view = self.view()
        try:  # as JSON text, so that every value reads as the export wrote it (never re-typed by DuckDB)
            self.con.con.execute(_tree_statement(file, view))
            keys = self.con.con.execute(_keys_statement(view))
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

    def _frame(self, obj: str, table: ir.Table, file: str, fmt: str, source: str | None = None) -> Frame:
        frame = Frame(obj, table, file, fmt, source)
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
        # 1. each field that feeds a column, as text: trimmed, empty as NULL, the mapping's values applied
        feeds: list[tuple[str, str, str]] = []  # (its column here, the whynow column, the field's name)
        texts: dict[str, ir.Value] = {}
        for column in mapping.targets():
            for name in mapping.fields_of(column):
                actual = frame.field(name)
                if actual is None:
                    continue
                used.add(actual)
                text = _blank_null(frame.read(t, name))
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
            key: self._date_styles(frame, x, key, actual)
            for key, _, actual in feeds
            if kinds[key] in ("date", "timestamp")
        }
        parsed = {f"_p{key}": _or_null(x[key], kind, found.get(key)) for key, kind in kinds.items() if kind != "text"}
        y = keep(x.mutate(**parsed))
        checks = [(actual, kinds[key], y[key], y[f"_p{key}"]) for key, _, actual in feeds if kinds[key] != "text"]
        mapped = [column in mapping.values for key, column, _ in feeds if kinds[key] != "text"]
        self._check(frame, y, checks, mapped)
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
                if self.ids is not None and column.endswith("_id"):
                    text = self.ids(text)
                if column == "domain":
                    text = formats.web_domain(text)
                if column == "type" and spec.table == "activities":
                    text = _slug(text)
                values[column] = text
                continue
            choices = [_plausible(y[f"_p{key}"], kind) for key in keys]
            if default is not None:
                choices.append(formats.parse(ibis.literal(value_text(default)), kind))
            value = ibis.coalesce(*choices) if len(choices) > 1 else choices[0]
            values[column] = value.fill_null(False) if kind == "boolean" else value  # SPEC §3: blank is false
        if spec.table is not None:  # the contract's columns that no field feeds: NULL, of their type
            for canonical in TABLES[spec.table].columns:
                values.setdefault(canonical.name, typed_null(canonical.type))
        for helper, kind in spec.extra.items():  # and the importer's own, even where a mapping drops their field
            values.setdefault(helper, typed_null(kind))
        self.report.unmapped[frame.file + ("" if frame.format.startswith("CSV") else f" ({frame.object})")] = [
            c for c in t.columns if c != ROW and c not in used
        ]
        shaped = keep(y.select(ROW, **values))
        if id_column is not None and spec.table is not None and TABLES[spec.table].id_column == id_column:
            self._unique(frame, shaped, id_column)
        for done in (x, y):  # memory: an export's largest tables are read, parsed and shaped once each
            self.con.drop_table(done.get_name(), force=True)
        if frame.source is not None:
            self.con.drop_table(frame.source, force=True)
        return shaped

    def _unique(self, frame: Frame, shaped: ir.Table, id_column: str) -> None:
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
        mapping = self.object_mapping(frame.object)
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

    def _without_deleted(self, frame: Frame) -> ir.Table:
        """The frame without records the CRM flags as deleted (counted as unplaced, with the flag's name)."""
        t = frame.table
        for name in self.deleted:
            actual = frame.field(name)
            if actual is None:
                continue
            gone = formats.parse(_blank_null(t[actual]), "boolean").fill_null(False)
            crm = CRM_NAMES[self.report.crm]
            self.unplaced(frame.object, frame.file, f"deleted in {crm} ({actual})", count_rows(t.filter(gone)))
            t = t.filter(~gone)
        return t

    def _date_styles(self, frame: Frame, x: ir.Table, key: str, name: str) -> list[int]:
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
                self._bad(frame, x, key, name, "timestamp", found["first"], found["rows"])
        used = [int(found["style"]) for found in counts]
        for found in counts:
            label = formats.DATE_STYLES[int(found["style"])].label
            self.report.styles.append(Style(frame.file, name, label, int(found["rows"])))
        return used

    def _bad(self, frame: Frame, t: ir.Table, key: str, name: str, kind: ColumnType, first: int, rows: int) -> None:
        sample = t.filter(t[ROW] == first).select(v=t[key]).to_pyarrow().to_pylist()[0]["v"]
        more = rows - 1
        raise DataError(
            f"{frame.file} row {first}, column {name}: {sample!r} is not {_WORDS[kind]}"
            + (f" ({more} more rows like it)" if more else "")
            + "; fix the value, or map another field in a mapping file"
        )

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
            if kind == "boolean":
                aggregates[f"spell{i}"] = text.collect(distinct=True).sort()
                aggregates[f"blank{i}"] = text.isnull().any()
            if kind in ("date", "timestamp"):
                aggregates[f"early{i}"] = (parsed.notnull() & _plausible(parsed, kind).isnull()).sum()
        found = t.aggregate(**aggregates).to_pyarrow().to_pylist()[0]
        for i, (name, kind, text, _) in enumerate(checks):
            if found[f"bad{i}"]:
                self._bad(frame, t, text.get_name(), name, kind, int(found[f"first{i}"]), int(found[f"bad{i}"]))
            if found.get(f"early{i}"):
                self.report.notes.append(
                    f"{frame.file}: {found[f'early{i}']} values of {name} are before {EARLIEST:%Y} (an epoch slip?); "
                    "read as empty, so the column's next field or default is used"
                )
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
            count = count_rows(kept.filter(missing))
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

    def merged(self, obj: str, file: str, reason: str, rows: int) -> None:
        if rows:
            self.report.merged.append(Unplaced(obj, file, reason, rows))

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
        for name, table in tables.items():
            _no_duplicates(name, table)
        if out.exists() and not out.is_dir():
            raise DataError(f"--out {out} is a file; give a folder to write the tables to")
        if out.resolve() == Path(report.folder).resolve():
            raise DataError(
                f"--out {out} is the export folder itself; give another folder, so the export stays as it is"
            )
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DataError(f"--out {out}: cannot create its folder ({e.strerror})") from None
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
            for name in CRM_TABLES:  # an earlier import's tables that this one does not replace would mix in;
                for ext in ("csv", "parquet"):  # intent, change events and technographics come from elsewhere
                    (out / f"{name}.{ext}").unlink(missing_ok=True)
            report.kept = [
                p.name
                for n in TABLE_NAMES
                if n not in CRM_TABLES
                for p in (out / f"{n}.csv", out / f"{n}.parquet")
                if p.exists()
            ]
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


@ibis.udf.scalar.builtin(name="json_extract_string")  # type: ignore[untyped-decorator]
def _json_key(text: str, path: str) -> str:  # type: ignore[empty-body]
    """A key of JSON held as text (a compound address field)."""


@ibis.udf.scalar.builtin(name="json_valid")  # type: ignore[untyped-decorator]
def _json_valid(text: str) -> bool:  # type: ignore[empty-body]
    """Whether text is well-formed JSON."""


def _tree_statement(file: Path, view: str) -> str:
    """CREATE OR REPLACE TEMP TABLE view AS the file's records, each as JSON, numbered (`_record`, `_row`)."""
    records = call("from_json", call("json_extract", column_ref("json"), "$.records"), '["JSON"]')
    objects = call("read_json_objects", str(file), maximum_object_size=1073741824)
    each = sqlglot.select(named(call("unnest", records), "r")).from_(objects)
    numbered = sqlglot.select(named(row_number(), ROW), named(column_ref("r"), "_record")).from_(each.subquery())
    return temp_table(view, numbered)


def _keys_statement(view: str) -> str:
    """The keys the records of `view` hold, each once, in order."""
    keys = named(call("unnest", call("json_keys", column_ref("_record"))), "k")
    return sqlglot.select(keys).distinct().from_(table_ref(view)).order_by(column_ref("k")).sql(dialect="duckdb")


def _quoted(key: str) -> str:
    """A JSON key as a path step: `"Tier__c"`."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def only_written_people(imp: Importer, activities: ir.Table, frame: Frame, contacts: ir.Table | None) -> ir.Table:
    """Activities whose person is not among the written contacts lose that person, so that their account
    decides (SPEC §3: a set contact_id wins, and one naming no contact is unmatched); counted in the report."""
    if contacts is None:
        marked = keep(activities.mutate(_stranger=activities.contact_id.notnull()))
    else:
        written_ids = contacts.select(_person=contacts.contact_id)
        joined = activities.left_join(written_ids, activities.contact_id == written_ids._person)
        stranger = joined.contact_id.notnull() & joined._person.isnull()
        marked = keep(joined.mutate(_stranger=stranger).drop("_person"))
    count = count_rows(marked.filter(marked._stranger))
    if count:
        imp.report.notes.append(
            f"{frame.file}: {count} {frame.object} rows name a person who is not in the export (or was not "
            "placed); they are kept at the account they name, without the person"
        )
    return marked.mutate(contact_id=ibis.ifelse(marked._stranger, ibis.null(dt.string), marked.contact_id)).drop(
        "_stranger"
    )


def person_of(placed: ir.Table) -> ir.Table:
    """Each contact or lead id → itself where it was placed at an account, NULL where it was not."""
    placed_as = ibis.ifelse(placed.account_id.notnull(), placed.contact_id, ibis.null(dt.string))
    return placed.select(person_id=placed.contact_id, contact_id=placed_as)


def place(
    people: ir.Table,
    accounts: ir.Table,
    by_company: bool,
    ids_of: Callable[[ir.StringValue], ir.StringValue] | None = None,
) -> ir.Table:
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
        t = t.mutate(_key=t.company if ids_of is None else ids_of(t.company)).left_join(ids, "_key").drop("_key_right")
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
        won, lost = stages.won or [], stages.lost or []
        patterns = won if which == "won" else [*won, *lost]
        hit: ir.BooleanValue = ibis.literal(False)
        for pattern in patterns:
            hit = hit | deals.stage.re_search(glob_regex(pattern)).fill_null(False)
        deals = deals.mutate(**{column: ibis.coalesce(deals[column], hit)})  # a stage table's answer first
    deals = keep(
        deals.mutate(closed_at=ibis.ifelse(deals.is_closed, deals.closed_at, ibis.null(deals.closed_at.type())))
    )
    done = deals.filter(deals.is_closed)
    closed = (
        done.group_by("stage", "is_won")
        .aggregate(rows=done.count(), undated=done.closed_at.isnull().sum())
        .order_by(ibis.desc("rows"), "stage")
        .to_pyarrow()
        .to_pylist()
    )
    if closed:
        shown = ", ".join(f"{r['stage']} ({'won' if r['is_won'] else 'lost'}, {r['rows']})" for r in closed[:8])
        more = f" and {len(closed) - 8} more" if len(closed) > 8 else ""
        imp.report.notes.append(f"{frame.file}: closed stages: {shown}{more}; every other stage is open")
    undated = sum(int(r["undated"]) for r in closed)
    if undated:
        imp.report.notes.append(
            f"{frame.file}: {undated} closed deals have no close date: written closed without closed_at, so a "
            "run sees them neither open nor won"
        )
    return deals


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


def _no_duplicates(name: str, table: ir.Table) -> None:
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


def expect_file(path: Path, what: str) -> None:
    """A folder named like an export file (`Account.csv/`) is an error, where reading it would fail."""
    if path.is_dir():
        raise DataError(
            f"{path} is a folder where a file was expected ({what}); move the folder out of the export, "
            "or put the exported file in its place"
        )


def count_rows(table: ir.Table) -> int:
    return int(table.count().to_pyarrow().as_py())


EARLIEST = datetime.datetime(1990, 1, 1, tzinfo=datetime.UTC)  # a CRM date before this is a slip, not a date


def _plausible(value: ir.Value, kind: ColumnType) -> ir.Value:
    """A date or time before 1990 as NULL (HubSpot's seconds-for-milliseconds slip gives 1970-01-19)."""
    if kind == "timestamp":
        return ibis.ifelse(value < ibis.literal(EARLIEST), typed_null(kind), value)
    if kind == "date":
        return ibis.ifelse(value < ibis.literal(EARLIEST.date()), typed_null(kind), value)
    return value


def _or_null(text: ir.Value, kind: ColumnType, found: Sequence[int] | None = None) -> ir.Value:
    """A field's text as `kind`; NULL where the field is empty (a blank boolean too, so that the next field
    of the column is read)."""
    return ibis.ifelse(text.isnull(), typed_null(kind), formats.parse(text, kind, found))


def _blank_null(text: ir.Value) -> ir.StringValue:
    """A field's text, trimmed; NULL where empty."""
    return text.cast(dt.string).strip().nullif("")


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


def _contract_order(name: str, table: ir.Table) -> list[str]:
    """The contract's columns first, in its order, then any extra columns the mapping adds."""
    contract = [c.name for c in TABLES[name].columns if c.name in table.columns]
    return contract + [c for c in table.columns if c not in contract and not c.startswith("_")]


def typed_null(kind: ColumnType) -> ir.Value:
    return ibis.null(IBIS_TYPES[kind])
