"""Values as CRMs write them (SPEC §11), read set-based as Ibis expressions over text columns.

    sf_id18(text)        Salesforce's 15-character ids, with the standard 3-character checksum suffix
    parse(text, kind)    a text column as a contract type, in every style CRMs export
    styles(text, kind)   how many values of a column are in each style, for the import report
    web_domain(text)     a website or bare host as a domain: scheme, `www.`, port and path stripped
    email_domain(text)   the domain of an email address

Dates and times: ISO 8601 (with or without an offset; an offset is converted to UTC, a naive time is
UTC), and spreadsheet styles, month first (`MM/DD/YYYY`, `M/D/YY`, with `hh:mm AM` or `HH:MM`). Booleans:
`1`/empty, `true`/`false`, `TRUE`/`FALSE`, `yes`/`no` …; an empty boolean is false (SPEC §3).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from whynow.data.contract import IBIS_TYPES, ColumnType
from whynow.data.validate import parse_text

__all__ = ["DATE_STYLES", "DateStyle", "email_domain", "parse", "sf_id18", "sf_id18_expr", "web_domain"]

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


def _timestamp(text: ir.StringValue) -> ir.TimestampValue:
    value = text.strip()
    cases: list[tuple[ir.BooleanValue, ir.Value]] = []
    for style in DATE_STYLES:
        parsed = (
            _try_strptime(value, list(style.formats)).cast(IBIS_TYPES["timestamp"])
            if style.formats
            else value.try_cast(IBIS_TYPES["timestamp"])  # DuckDB's ISO reading; an offset becomes UTC
        )
        cases.append((value.re_search(style.pattern), parsed))
    result: ir.TimestampValue = ibis.cases(*cases, else_=ibis.null(IBIS_TYPES["timestamp"]))
    return result


def parse(text: ir.StringValue, kind: ColumnType) -> ir.Value:
    """Text in any style of SPEC §11 as the contract type `kind`; NULL where it does not read as one (and
    false for a blank boolean). Numbers and booleans are read as the data contract reads them."""
    if kind == "timestamp":
        return _timestamp(text)
    if kind == "date":
        return _timestamp(text).date()
    return parse_text(text, kind)


def styles(text: ir.StringValue, kind: ColumnType) -> dict[str, ir.IntegerValue]:
    """For a date or time column: the count of values in each style (a style's label → count expression);
    for any other kind, nothing."""
    value = text.strip()
    out: dict[str, ir.IntegerValue] = {}
    if kind in ("date", "timestamp"):
        taken: ir.BooleanValue = ibis.literal(False)
        for style in DATE_STYLES:  # a value counts once, for the first style that recognises it
            hit = ~taken & value.re_search(style.pattern).fill_null(False)
            out[style.label] = ibis.ifelse(hit, 1, 0).sum()
            taken = taken | hit
    return out


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
