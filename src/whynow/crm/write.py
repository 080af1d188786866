"""Writing an import (SPEC §11): every contract table at once, into a new folder moved into place, so a
failed import leaves `--out` as it was."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import ibis.expr.types as ir

from whynow.crm.checks import no_duplicates
from whynow.crm.importer import CRM_TABLES, Importer
from whynow.data.contract import TABLE_NAMES, TABLES
from whynow.errors import DataError
from whynow.options import FileFormat


def write(imp: Importer, tables: Mapping[str, ir.Table], out: Path, fmt: FileFormat, strict: bool) -> None:
    """Write every contract table at once: into a new folder first, then moved into `out`, so a failed
    import leaves `out` as it was. `strict`: any unplaced row is an error and nothing is written."""
    report = imp.report
    if strict and report.unplaced:
        lines = [f"{u.file}: {u.rows} {u.object} rows: {u.reason}" for u in report.unplaced]
        raise DataError(
            f"--strict: {report.dropped} rows could not be placed ({'; '.join(lines)}); "
            "fix the export or the mapping, or import without --strict"
        )
    for name, table in tables.items():
        no_duplicates(name, table)
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out} is a file; give a folder to write the tables to")
    if out.resolve() == Path(report.folder).resolve():
        raise DataError(f"--out {out} is the export folder itself; give another folder, so the export stays as it is")
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
                imp.con.to_csv(final, path)
            else:
                imp.con.to_parquet(final, path)
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


def _contract_order(name: str, table: ir.Table) -> list[str]:
    """The contract's columns first, in its order, then any extra columns the mapping adds."""
    contract = [c.name for c in TABLES[name].columns if c.name in table.columns]
    return contract + [c for c in table.columns if c not in contract and not c.startswith("_")]
