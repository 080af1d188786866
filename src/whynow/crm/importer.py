"""What every CRM import shares (SPEC §11): one in-memory DuckDB connection, the merged mapping and the report.

    Importer.start(crm, folder, objects, mapping_file)   one import's connection, mapping and report
      read.py     read_csv / read_tree: the export's files (or the API's pages) as text frames
      shape.py    shape: a frame's fields as typed whynow columns, by the mapping
      checks.py   values that do not read, copies of one record, `require`: rows set aside as unplaced
      rules.py    the CRM's own rules (placing leads, persons, closed deals) as joins
      write.py    write: the contract's files, all at once, or nothing
      report.py   ImportReport: what was read, written, set aside and not mapped

Everything is set-based on one connection: the mapping becomes column expressions, and the CRM's own rules
are joins. Python loops over objects, fields and rules, never over rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import ibis
import ibis.expr.types as ir
from ibis.backends.duckdb import Backend as DuckDBBackend

from whynow.crm import mapping as maps
from whynow.crm.mapping import CrmMapping, ObjectMapping, ObjectSpec, dump
from whynow.crm.report import ImportReport, Unplaced
from whynow.data.contract import IBIS_TYPES, ColumnType

CRM_TABLES = ("accounts", "contacts", "activities", "opportunities", "reps")  # the tables an import writes
CRM_NAMES = {"salesforce": "Salesforce", "hubspot": "HubSpot"}  # as the CRMs spell themselves


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
        self.api: str | None = None  # read through the CRM's API: how (the report's format of each object)
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

    def view(self) -> str:
        self._views += 1
        return f"crm_{self._views}"

    def object_mapping(self, obj: str) -> ObjectMapping:
        return self.mapping.get(obj, ObjectMapping())

    def unplaced(self, obj: str, file: str, reason: str, rows: int) -> None:
        if rows:
            self.report.unplaced.append(Unplaced(obj, file, reason, rows))

    def merged(self, obj: str, file: str, reason: str, rows: int) -> None:
        if rows:
            self.report.merged.append(Unplaced(obj, file, reason, rows))


def count_rows(table: ir.Table) -> int:
    return int(table.count().to_pyarrow().as_py())


def typed_null(kind: ColumnType) -> ir.Value:
    return ibis.null(IBIS_TYPES[kind])
