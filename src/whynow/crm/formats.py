"""Values as CRMs write them (SPEC §11), read set-based as Ibis expressions over text columns.

    sf_id18(text)        Salesforce's 15-character ids, with the standard 3-character checksum suffix
    parse(text, kind)    a text column as a contract type, in every style CRMs export
    style_of(text)       which date style a value is written in (for the import report, and to read a
                         column in only the styles it uses)
    web_domain(text)     a website or bare host as a domain: scheme, `www.`, port and path stripped
    email_domain(text)   the domain of an email address

Dates and times: ISO 8601 (with or without an offset; an offset is converted to UTC, a naive time is
UTC), and spreadsheet styles, month first (`MM/DD/YYYY`, `M/D/YY`, with `hh:mm AM` or `HH:MM`). Booleans:
`1`/empty, `true`/`false`, `TRUE`/`FALSE`, `yes`/`no` …; an empty boolean is false (SPEC §3).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from whynow.data.contract import IBIS_TYPES, ColumnType
from whynow.data.validate import parse_text

__all__ = [
    "DATE_STYLES",
    "DateStyle",
    "email_domain",
    "parse",
    "sf_id18",
    "sf_id18_expr",
    "style_of",
    "web_domain",
]

_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SF_ID15 = r"^[a-zA-Z0-9]{15}$"


def sf_id18(value: str) -> str:
    """A 15-character Salesforce id with its checksum suffix; any other value as it is.

    Each 5-character chunk gives one suffix character: bit i is set where character i is an upper-case
    letter. The 18-character form is the same record, case-insensitively unique.

    >>> sf_id18("001Ec00000FzlUd")
    '001Ec00000FzlUdIAJ'
    >>> sf_id18("001Ec00000FzlUdIAJ"), sf_id18("@AccountRef1")
    ('001Ec00000FzlUdIAJ', '@AccountRef1')
    """
    if len(value) != 15 or not value.isascii() or not value.isalnum():
        return value
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, char in enumerate(value[chunk * 5 : chunk * 5 + 5]) if "A" <= char <= "Z")
        suffix += _SUFFIX[bits]
    return value + suffix


def sf_id18_expr(text: ir.StringValue) -> ir.StringValue:
    """`sf_id18` as a column expression (a loop over the 15 positions, never over rows)."""
    suffix: list[ir.StringValue] = []
    for chunk in range(3):
        bits: ir.IntegerValue = ibis.literal(0)
        for i in range(5):
            char = text.substr(chunk * 5 + i, 1)
            bits = bits + ibis.ifelse((char >= "A") & (char <= "Z"), 1 << i, 0)
        suffix.append(ibis.literal(_SUFFIX).substr(bits, 1))
    return ibis.ifelse(text.re_search(_SF_ID15), text.concat(*suffix), text)


@dataclass(frozen=True)
class DateStyle:
    """One way of writing dates and times: the pattern that recognises it, and how to read it."""

    label: str  # as the import report names it
    pattern: str
    formats: tuple[str, ...] = ()  # strptime formats; none: ISO 8601


_MDY4, _MDY2 = r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}", r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}"
_HM12, _HM24 = r" [0-9]{1,2}:[0-9]{2}(:[0-9]{2})? ?[AaPp][Mm]$", r" [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?$"
DATE_STYLES: tuple[DateStyle, ...] = (
    DateStyle("ISO 8601 date (2024-11-10)", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    DateStyle(
        "ISO 8601 with offset (2024-01-22T16:14:25.000+0000), converted to UTC",
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ].*([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$",
    ),
    DateStyle("ISO 8601 without offset (2020-12-30 15:25:37), read as UTC", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]"),
    DateStyle("MM/DD/YYYY hh:mm AM", _MDY4 + _HM12, ("%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M%p")),
    DateStyle("MM/DD/YY hh:mm AM", _MDY2 + _HM12, ("%m/%d/%y %I:%M %p", "%m/%d/%y %I:%M:%S %p", "%m/%d/%y %I:%M%p")),
    DateStyle("MM/DD/YYYY HH:MM", _MDY4 + _HM24, ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S")),
    DateStyle("MM/DD/YY HH:MM", _MDY2 + _HM24, ("%m/%d/%y %H:%M", "%m/%d/%y %H:%M:%S")),
    DateStyle("MM/DD/YYYY", _MDY4 + "$", ("%m/%d/%Y",)),
    DateStyle("MM/DD/YY", _MDY2 + "$", ("%m/%d/%y",)),
)


@ibis.udf.scalar.builtin(name="try_strptime")  # type: ignore[untyped-decorator]
def _try_strptime(text: str, formats: list[str]) -> datetime.datetime:  # type: ignore[empty-body]
    """DuckDB's strptime with a list of formats, NULL where none fits."""


def style_of(text: ir.StringValue) -> ir.IntegerValue:
    """The position in `DATE_STYLES` of the first style that recognises a value; NULL for none."""
    value = text.strip()
    found: ir.IntegerValue = ibis.cases(
        *[(value.re_search(style.pattern), i) for i, style in enumerate(DATE_STYLES)], else_=ibis.null(dt.int8)
    )
    return found


def _read(value: ir.StringValue, style: DateStyle) -> ir.TimestampValue:
    if style.formats:
        return _try_strptime(value, list(style.formats)).cast(IBIS_TYPES["timestamp"])
    return value.try_cast(IBIS_TYPES["timestamp"])  # DuckDB's ISO reading; an offset becomes UTC


def _timestamp(text: ir.StringValue, found: Sequence[int] | None) -> ir.TimestampValue:
    """`found`: the styles a column was seen to use (its other values are known to be in none); one style
    is read without a test per value. None: any style, each value tested."""
    value = text.strip()
    styles = [DATE_STYLES[i] for i in found] if found is not None else list(DATE_STYLES)
    if found is not None and len(styles) <= 1:  # a field of one style, or always empty
        return _read(value, styles[0]) if styles else ibis.null(IBIS_TYPES["timestamp"])
    result: ir.TimestampValue = ibis.cases(
        *[(value.re_search(style.pattern), _read(value, style)) for style in styles],
        else_=ibis.null(IBIS_TYPES["timestamp"]),
    )
    return result


def parse(text: ir.StringValue, kind: ColumnType, found: Sequence[int] | None = None) -> ir.Value:
    """Text in any style of SPEC §11 as the contract type `kind`; NULL where it does not read as one (and
    false for a blank boolean). Numbers and booleans are read as the data contract reads them. For dates,
    `found` limits the styles tried to those a column uses (see `style_of`)."""
    if kind == "timestamp":
        return _timestamp(text, found)
    if kind == "date":
        return _timestamp(text, found).date()
    return parse_text(text, kind)


def web_domain(text: ir.StringValue) -> ir.StringValue:
    """A website as a domain: `https://www.Example.com/about` → `example.com`; NULL when empty.

    The run compares domains case-insensitively without `www.` (SPEC §3); the import writes them so.
    """
    host = (
        text.strip()
        .lower()
        .re_replace(r"^[a-z][a-z0-9+.-]*://", "")
        .re_replace(r"[/?#:].*$", "")
        .re_replace(r"^www\.", "")
        .re_replace(r"\.$", "")
    )
    return ibis.ifelse(host == "", ibis.null(dt.string), host)


def email_domain(text: ir.StringValue) -> ir.StringValue:
    """The domain of an email address (`Ann@Example.com` → `example.com`); NULL without an `@`."""
    value = text.strip().lower()
    return ibis.ifelse(value.contains("@"), web_domain(value.re_extract(r"@([^@]*)$", 1)), ibis.null(dt.string))
