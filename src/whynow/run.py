"""One run of whynow: open the data for a model, validate it, then (issue #3 on) score and resolve badges.

open_data(model, location) -> Validated      the source, checked against the contract and the model
"""

from __future__ import annotations

from whynow.data.source import Source, open_source
from whynow.data.validate import OnBadRows, Validated, validate_source
from whynow.errors import DataError, did_you_mean
from whynow.model.check import CompiledModel


def open_data(model: CompiledModel, location: str, on_bad_rows: OnBadRows = "error") -> Validated:
    """Open a source and validate it for a model: its declared columns must be there and typed."""
    source = open_source(location)
    check_declared_columns(model, source)
    return validate_source(source, on_bad_rows, model.declared_columns)


def check_declared_columns(model: CompiledModel, source: Source) -> None:
    """Every column the model declares under `columns:` is in the data (SPEC §4.1)."""
    problems = []
    for table, columns in model.spec.columns.items():
        raw = source.tables.get(table)
        for column in columns:
            line = model.lines.get(("columns", table, column))
            where = f"{model.file}:{line}" if line else model.file
            if raw is None:
                problems.append(
                    f"{where}: the model declares {table}.{column}, but {source.location} has no {table} table; "
                    "add the table or remove the column from columns:"
                )
            elif column not in raw.table.columns:
                problems.append(
                    f"{where}: the model declares {table}.{column}, but {raw.file} has no column '{column}'"
                    f"{did_you_mean(column, raw.table.columns)}; add it or remove it from columns:"
                )
    if problems:
        raise DataError("\n".join(problems))
