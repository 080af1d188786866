"""CRM value formats (SPEC §11): Salesforce ids, dates in every exported style, domains, the mapping file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whynow.crm import formats
from whynow.crm.mapping import ObjectMapping, glob_regex, load, merge, parse
from whynow.crm.salesforce import OBJECTS
from whynow.errors import DataError

UTC = dt.UTC


def _values(expression_of, values: list[str | None]) -> list[object]:
    """One column of text through an expression, evaluated by DuckDB."""
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    t = ibis.memtable({"v": values}, schema={"v": "string"})
    return con.execute(t.select(out=expression_of(t.v)))["out"].tolist()


# Ids from the data-cloud-workshop sample (SFDC-Assets/data-cloud-workshop, BSD-3-Clause): the 18-character
# form is what Salesforce exports; its first 15 characters are the same record's 15-character id.
@pytest.mark.parametrize(
    "full", ["001Ec00000FzlUdIAJ", "003Ec00000Cz30UIAR", "00QEc00000BBaeXMAT", "005Ec000004oBPNIA2"]
)
def test_a_15_character_id_gets_the_suffix_salesforce_gives_it(full: str) -> None:
    assert formats.sf_id18(full[:15]) == full
    assert _values(formats.sf_id18_expr, [full[:15], full]) == [full, full]


_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=_ALNUM, min_size=15, max_size=15), min_size=1, max_size=8))
def test_the_id_expression_agrees_with_the_reference(ids: list[str]) -> None:
    """The set-based checksum is the same function as the plain one, and ids differing only in letter case
    (different records in Salesforce) get different 18-character ids."""
    out = _values(formats.sf_id18_expr, ids)
    assert out == [formats.sf_id18(i) for i in ids]
    for one, other in zip(ids, out, strict=True):
        if one.lower() != one and one.lower() in ids:
            assert other != out[ids.index(one.lower())]


def test_other_values_are_left_as_they_are() -> None:
    assert _values(formats.sf_id18_expr, ["AccountRef1", "0015g00000AbCdEfGh1", "001-c00000FzlUd", None]) == [
        "AccountRef1",
        "0015g00000AbCdEfGh1",
        "001-c00000FzlUd",
        None,
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-22T16:14:25.000+0000", dt.datetime(2024, 1, 22, 16, 14, 25, tzinfo=UTC)),  # Data Loader
        ("2020-12-22T21:16:01Z", dt.datetime(2020, 12, 22, 21, 16, 1, tzinfo=UTC)),  # sObject tree
        ("2024-01-22T18:14:25+02:00", dt.datetime(2024, 1, 22, 16, 14, 25, tzinfo=UTC)),  # offset → UTC
        ("2020-12-30 3:15:52", dt.datetime(2020, 12, 30, 3, 15, 52, tzinfo=UTC)),  # connector, one-digit hour
        ("2024-11-10", dt.datetime(2024, 11, 10, tzinfo=UTC)),
        ("02/24/26 02:18 AM", dt.datetime(2026, 2, 24, 2, 18, tzinfo=UTC)),  # spreadsheet re-save
        ("02/24/26 02:18 PM", dt.datetime(2026, 2, 24, 14, 18, tzinfo=UTC)),
        ("5/7/24 10:26", dt.datetime(2024, 5, 7, 10, 26, tzinfo=UTC)),  # HubSpot UI export
        ("02/03/24", dt.datetime(2024, 2, 3, tzinfo=UTC)),
        ("11/10/2024", dt.datetime(2024, 11, 10, tzinfo=UTC)),
        ("11/10/2024 9:05 PM", dt.datetime(2024, 11, 10, 21, 5, tzinfo=UTC)),
    ],
)
def test_every_exported_date_style_reads(text: str, expected: dt.datetime) -> None:
    (value,) = _values(lambda v: formats.parse(v, "timestamp"), [text])
    assert value.to_pydatetime() == expected


@pytest.mark.parametrize("text", ["13/45/24", "2024-13-01", "24/02/2026", "yesterday", "2024-01-01Tinfinity"])
def test_what_is_no_date_reads_as_nothing(text: str) -> None:
    """A day-first date is not guessed at: SPEC §11 reads spreadsheet dates month first."""
    (value,) = _values(lambda v: formats.parse(v, "timestamp"), [text])
    assert value is None or str(value) == "NaT"


def test_each_value_is_told_its_style() -> None:
    values = ["2024-11-10", "02/03/24", "5/7/24 10:26", "13/45/2024 9", None]
    found = _values(formats.style_of, values)
    labels = [None if i is None or i != i else formats.DATE_STYLES[int(i)].label for i in found]
    assert labels == ["ISO 8601 date (2024-11-10)", "MM/DD/YY", "MM/DD/YY HH:MM", None, None]


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("https://www.Example.com/about", "example.com"),
        ("www.WalkerHensonandCompton.com", "walkerhensonandcompton.com"),
        ("http://1688.com/at/nunc/commodo.aspx", "1688.com"),
        ("example.com:8080", "example.com"),
        ("  ", None),
    ],
)
def test_a_website_becomes_its_domain(text: str, domain: str | None) -> None:
    assert _values(formats.web_domain, [text]) == [domain]


def test_an_email_gives_its_domain() -> None:
    assert _values(formats.email_domain, ["Ann@WWW.Acme.io", "no-at-sign", None]) == ["acme.io", None, None]


def test_value_patterns_match_any_letter_case_and_nothing_more() -> None:
    import re

    assert re.search(glob_regex("Closed Won").removeprefix("(?i)"), "closed won", re.I)
    assert not re.search(glob_regex("Closed Won").removeprefix("(?i)"), "Closed Won Later", re.I)
    assert re.search(glob_regex("Customer*").removeprefix("(?i)"), "Customer - Direct", re.I)


def test_a_users_mapping_comes_first_and_can_drop_a_field() -> None:
    base = parse("Task:\n  columns:\n    Type: type\n    TaskSubtype: type\n", "base", OBJECTS)
    mine = parse("Task:\n  columns:\n    Type__c: type\n    tasksubtype: null\n", "mine", OBJECTS)
    merged = merge(base, mine)["Task"]
    assert merged.fields_of("type") == ["Type__c", "Type"]


def test_mapping_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(
        "Account:\n  columns:\n    Tier__c: tier\n  defaults:\n    employees: many\nLeads:\n  columns: {}\n"
    )
    with pytest.raises(DataError) as raised:
        load(path, OBJECTS)
    message = str(raised.value)
    assert f"{path}:5: Account: 'many' is not a whole number, as employees must be" in message
    assert f"{path}:6: unknown object 'Leads' — did you mean 'Lead'?" in message


def test_an_object_mapping_lists_its_columns_once_in_order() -> None:
    m = ObjectMapping(columns={"A": "x", "B": "y", "C": "x"}, defaults={"z": 1, "y": 2})
    assert m.targets() == ["x", "y", "z"]
    assert m.fields_of("x") == ["A", "C"]
