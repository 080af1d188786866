"""Signal measures (SPEC §4.7): `count`, `count_distinct(col)`, `sum(col)`, `max(col)`, `min(col)`,
`latest(col)`, `exists`, `days_since` — parsed, checked against the signal's table, and typed.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Literal, get_args

from whynow.data.contract import ColumnType

MeasureKind = Literal["count", "count_distinct", "sum", "max", "min", "latest", "exists", "days_since"]
MEASURE_KINDS: tuple[MeasureKind, ...] = get_args(MeasureKind)
_NEEDS_COLUMN = frozenset({"count_distinct", "sum", "max", "min", "latest"})
_PATTERN = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\(\s*([A-Za-z_][A-Za-z0-9_]*)?\s*\))?\s*$")

# What each measure gives on no rows is SPEC's; here only the result type.
_RESULT_TYPE: dict[str, ColumnType] = {
    "count": "integer",
    "count_distinct": "integer",
    "exists": "boolean",
    "days_since": "integer",
}


class MeasureSyntaxError(ValueError):
    """The measure text is not one of the forms above; the message says which forms exist."""


@dataclass(frozen=True)
class Measure:
    kind: MeasureKind
    column: str | None

    def result_type(self, column_type: ColumnType | None) -> ColumnType:
        """The signal's type: counts are integers, `exists` boolean, sums numbers, the rest the column's."""
        if self.kind in _RESULT_TYPE:
            return _RESULT_TYPE[self.kind]
        if self.kind == "sum":
            return "integer" if column_type == "integer" else "number"
        return column_type or "text"


def parse_measure(text: str) -> Measure:
    """Parse a measure.

    >>> parse_measure("max(score)")
    Measure(kind='max', column='score')
    >>> parse_measure("count")
    Measure(kind='count', column=None)
    """
    forms = "count, count_distinct(col), sum(col), max(col), min(col), latest(col), exists, days_since"
    match = _PATTERN.match(text)
    if not match:
        raise MeasureSyntaxError(f"cannot read measure '{text}'; use one of {forms}")
    kind, column = match.group(1).lower(), match.group(2)
    if kind not in MEASURE_KINDS:
        raise MeasureSyntaxError(f"unknown measure '{kind}'; use one of {forms}")
    if kind in _NEEDS_COLUMN and column is None:
        raise MeasureSyntaxError(f"measure '{kind}' needs a column, as in {kind}(score)")
    if kind not in _NEEDS_COLUMN and (column is not None or "(" in text):
        raise MeasureSyntaxError(f"measure '{kind}' takes no column")
    return Measure(typing.cast(MeasureKind, kind), column)
