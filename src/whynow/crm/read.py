"""Reading a CRM export (SPEC §11): each file, or each page set fetched through the CRM's API, as a frame of
text columns, numbered by `_row`; nothing is typed or dropped here.

    read_csv(imp, file, object)      a CSV export (Data Loader, a UI export, a connector table, a Bulk API query)
    read_tree(imp, file)             `sf data export tree` JSON: one frame per sObject type
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import sqlglot

from whynow.crm.importer import CRM_NAMES, Importer
from whynow.data.source import ROW, csv_header, csv_problem, read_text_csv
from whynow.errors import DataError
from whynow.statements import call, column_ref, named, row_number, table_ref, temp_table

TREE = "sObject tree JSON"  # the format of a frame read by read_tree


@dataclass
class Frame:
    """One CRM object as read from one file: text columns plus `_row`."""

    object: str
    table: ir.Table
    file: str
    format: str  # "CSV, UTF-8", "CSV, UTF-8 with a byte-order mark", TREE, or the API it was read through
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
        compound = blank_null(table[column])
        whole = compound.startswith("{").fill_null(False) & _json_valid(compound)  # else: no value, not an error
        return ibis.ifelse(whole, _json_key(compound, f"$.{_quoted(key)}"), ibis.null(dt.string))


def read_csv(imp: Importer, file: Path, obj: str, names: list[str] | None = None) -> Frame:
    """A CSV export; `names` overrides the header (HubSpot's repeated labels, read by position)."""
    expect_file(file, f"the {CRM_NAMES[imp.report.crm]} {obj} export")
    header = csv_header(file, f"{imp.report.crm} {obj} export")
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
        view = imp.view()
        table = read_text_csv(imp.con, file, view, names or header)
    except duckdb.Error as e:
        raise DataError(f"{file}: cannot read it as a CSV file: {csv_problem(e)}") from None
    with file.open("rb") as handle:
        bom = handle.read(3) == b"\xef\xbb\xbf"
    fmt = "CSV, UTF-8 with a byte-order mark" if bom else "CSV, UTF-8"
    if imp.api is not None:  # pages fetched through the CRM's API: named after what was fetched, not a file
        return _frame(imp, obj, table, file.stem, imp.api, source=view)
    return _frame(imp, obj, table, file.name, fmt, source=view)


def read_tree(imp: Importer, file: Path) -> list[Frame]:
    """`sf data export tree` JSON (`{"records": [{"attributes": {"type", "referenceId"}, …}]}`): one frame
    per sObject type. A record's id is its Id, else its referenceId; `@Ref` references lose the `@`."""
    view = imp.view()
    try:  # as JSON text, so that every value reads as the export wrote it (never re-typed by DuckDB)
        imp.con.con.execute(_tree_statement(file, view))
        keys = imp.con.con.execute(_keys_statement(view))
        fields = [row[0] for row in keys.fetchall() if row[0] != "attributes"]
    except duckdb.Error as e:
        raise DataError(
            f"{file}: cannot read it as sObject-tree JSON ({str(e).splitlines()[0]}); it must hold "
            '{"records": [{"attributes": {"type": …, "referenceId": …}, …}]}'
        ) from None
    raw = imp.con.table(view)
    record = raw["_record"]
    children = {f"n{i}": _json_string(record, f"$.{_quoted(f)}.records").notnull().any() for i, f in enumerate(fields)}
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
    types = [r["_sobject"] for r in flat.select("_sobject").distinct().order_by("_sobject").to_pyarrow().to_pylist()]
    frames = []
    for sobject in types:
        if sobject is None:
            raise DataError(f"{file}: a record has no attributes.type; it is not sObject-tree JSON")
        one = flat.filter(flat["_sobject"] == sobject).drop("_sobject")
        frames.append(_frame(imp, str(sobject), one, file.name, TREE))
    return frames


def _frame(imp: Importer, obj: str, table: ir.Table, file: str, fmt: str, source: str | None = None) -> Frame:
    frame = Frame(obj, table, file, fmt, source)
    imp.report.read.append((file, obj, fmt, int(table.count().to_pyarrow().as_py())))
    return frame


# ---- mapping ------------------------------------------------------------------------------------


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


def expect_file(path: Path, what: str) -> None:
    """A folder named like an export file (`Account.csv/`) is an error, where reading it would fail."""
    if path.is_dir():
        raise DataError(
            f"{path} is a folder where a file was expected ({what}); move the folder out of the export, "
            "or put the exported file in its place"
        )


def blank_null(text: ir.Value) -> ir.StringValue:
    """A field's text, trimmed; NULL where empty."""
    return text.cast(dt.string).strip().nullif("")
