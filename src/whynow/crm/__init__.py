"""CRM imports (SPEC §11): Salesforce and HubSpot exports, as they come out of the CRM, become the data
contract's tables in a folder that `whynow run --data` reads.

    import_crm("salesforce", Path("export"), Path("src"), mapping=None, fmt="csv", strict=False) -> ImportReport
    import_api("hubspot", Path("src"), since=None) -> ImportReport   the same, read through the CRM's API (§12)
    builtin_mapping("hubspot") -> the YAML text of the built-in mapping (`whynow import --print-mapping`)
    links_block("salesforce") -> the model's `links:` section for the CRM's record pages (printed after an import)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    import datetime as dt

    from whynow.crm.report import ImportReport
    from whynow.options import FileFormat

__all__ = ["CRMS", "LINKS", "Crm", "ImportReport", "builtin_mapping", "import_api", "import_crm", "links_block"]

Crm = Literal["salesforce", "hubspot"]
CRMS: tuple[Crm, ...] = get_args(Crm)

# The record pages of each CRM (SPEC §4.1 `links`), for the ids an import writes: what the user replaces
# (the CRM's own host or account number), how to find it, and a template per level.
# Salesforce: Lightning's /lightning/r/<Object>/<Id>/view; a contact may be a Lead's id (00Q…) as well as a
# Contact's (003…: SPEC §11), and the id alone after the host opens either record.
# HubSpot: /contacts/<Hub ID>/record/<object type id>/<record id>, where 0-1 is contacts, 0-2 companies and
# 0-3 deals (developers.hubspot.com "Understanding the CRM", object type ids).
LINKS: dict[Crm, tuple[str, str, dict[str, str]]] = {
    "salesforce": (
        "YOUR-INSTANCE",
        "your My Domain:\n# the start of a record's address in Salesforce, https://YOUR-INSTANCE.lightning.force.com/",
        {
            "account": "https://YOUR-INSTANCE.lightning.force.com/lightning/r/Account/{account_id}/view",
            "contact": "https://YOUR-INSTANCE.lightning.force.com/{contact_id}",
            "opportunity": "https://YOUR-INSTANCE.lightning.force.com/lightning/r/Opportunity/{opportunity_id}/view",
        },
    ),
    "hubspot": (
        "YOUR-PORTAL-ID",
        "your HubSpot account ID (Hub ID):\n"
        "# the number after /contacts/ in the address of a record (in an EU account, app-eu1.hubspot.com)",
        {
            "account": "https://app.hubspot.com/contacts/YOUR-PORTAL-ID/record/0-2/{account_id}",
            "contact": "https://app.hubspot.com/contacts/YOUR-PORTAL-ID/record/0-1/{contact_id}",
            "opportunity": "https://app.hubspot.com/contacts/YOUR-PORTAL-ID/record/0-3/{opportunity_id}",
        },
    ),
}


def __getattr__(name: str) -> Any:
    """`ImportReport` on first use: the command line imports this package for `Crm` alone, and every
    `whynow` process pays for what it imports."""
    if name == "ImportReport":
        from whynow.crm.report import ImportReport

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


def import_api(
    crm: Crm,
    out: Path,
    mapping: Path | None = None,
    fmt: FileFormat = "csv",
    strict: bool = False,
    since: dt.date | None = None,
) -> ImportReport:
    """Read the CRM named by the environment through its API (SPEC §12) and write the contract's tables into
    `out`, shaped as an export's; `since`: only the activities and opportunities changed since that date."""
    if crm == "salesforce":
        from whynow.crm.api.salesforce import import_salesforce_api

        return import_salesforce_api(out, mapping, fmt, strict, since)
    from whynow.crm.api.hubspot import import_hubspot_api

    return import_hubspot_api(out, mapping, fmt, strict, since)


def builtin_mapping(crm: Crm) -> str:
    from whynow.crm.mapping import builtin_text

    return builtin_text(crm)


def links_block(crm: Crm) -> str:
    """The `links:` section that gives every account, contact and opportunity an "Open in CRM" link, to paste
    into the model once its placeholder is replaced.

    >>> print(links_block("hubspot").splitlines()[3])
      account: "https://app.hubspot.com/contacts/YOUR-PORTAL-ID/record/0-2/{account_id}"
    """
    placeholder, where, templates = LINKS[crm]
    lines = [
        f"# Open in CRM: paste this into the model, with {placeholder} replaced by {where}",
        "links:",
        *(f'  {level}: "{template}"' for level, template in templates.items()),
    ]
    return "\n".join(lines)
