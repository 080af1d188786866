"""CRM imports (SPEC §11): Salesforce and HubSpot exports, as they come out of the CRM, become the data
contract's tables in a folder that `whynow run --data` reads.

    import_crm("salesforce", Path("export"), Path("src"), mapping=None, fmt="csv", strict=False) -> ImportReport
    builtin_mapping("hubspot") -> the YAML text of the built-in mapping (`whynow import --print-mapping`)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from whynow.crm.importer import ImportReport
    from whynow.run import FileFormat

__all__ = ["CRMS", "Crm", "ImportReport", "builtin_mapping", "import_crm"]

Crm = Literal["salesforce", "hubspot"]
CRMS: tuple[Crm, ...] = get_args(Crm)


def __getattr__(name: str) -> Any:
    """`ImportReport` on first use: the command line imports this package for `Crm` alone, and every
    `whynow` process pays for what it imports."""
    if name == "ImportReport":
        from whynow.crm.importer import ImportReport

        return ImportReport
    raise AttributeError(name)


def import_crm(
    crm: Crm, folder: Path, out: Path, mapping: Path | None = None, fmt: FileFormat = "csv", strict: bool = False
) -> ImportReport:
    """Read a CRM export folder and write the contract's tables into `out` (all of them, or nothing)."""
    if crm == "salesforce":
        from whynow.crm.salesforce import import_salesforce

        return import_salesforce(folder, out, mapping, fmt, strict)
    from whynow.crm.hubspot import import_hubspot

    return import_hubspot(folder, out, mapping, fmt, strict)


def builtin_mapping(crm: Crm) -> str:
    from whynow.crm.mapping import builtin_text

    return builtin_text(crm)
