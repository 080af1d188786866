"""The report of one CRM import (SPEC §11): rows read and written per table, rows set aside with their reason,
the formats found, the columns not mapped. `whynow.report.print_import_report` prints it."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    api: str | None = None  # read through the CRM's API (`import --api`): the API's address, else an export folder

    @property
    def dropped(self) -> int:
        return sum(u.rows for u in self.unplaced)
