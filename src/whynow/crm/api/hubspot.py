"""`whynow import hubspot --api --out SRC` (SPEC §12, "Through the API"): not written yet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from whynow.crm.report import ImportReport
from whynow.errors import DataError
from whynow.options import FileFormat


def import_hubspot_api(
    out: Path,
    mapping_file: Path | None = None,
    fmt: FileFormat = "csv",
    strict: bool = False,
    since: dt.date | None = None,
) -> ImportReport:
    raise DataError("whynow import hubspot --api is not available yet; import HubSpot's export files")
