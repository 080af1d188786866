"""Narratives (SPEC §4.8): how each kind of value prints, how each form renders, and whole templates as a
golden file."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whynow.model.scope import Scope
from whynow.model.templates import check_template
from whynow.pipeline.narrative import render, render_table
from whynow.presentation import format_value


@pytest.mark.parametrize(
    ("value", "spec", "text"),
    [
        pytest.param(2.675, "", "2.68", id="half-away-from-zero-on-the-shortest-form"),
        pytest.param(-2.675, "", "-2.68", id="negative-half-away"),
        pytest.param(12.5, "", "12.5", id="no-trailing-zero"),
        pytest.param(30.0, "", "30", id="whole-float"),
        pytest.param(30, "", "30", id="integer"),
        pytest.param(59.605, "", "59.61", id="two-decimals"),
        pytest.param(-0.001, "", "0", id="minus-zero"),
        pytest.param(1e21, "", "1000000000000000000000", id="no-exponent"),
        pytest.param(1750000.6, ",.0f", "1,750,001", id="format-spec"),
        pytest.param(True, "", "yes", id="true"),
        pytest.param(False, "", "no", id="false"),
        pytest.param(None, "", "unknown", id="null"),
        pytest.param(None, ",.0f", "unknown", id="null-ignores-the-spec"),
        pytest.param(dt.date(2026, 11, 20), "", "2026-11-20", id="date"),
        pytest.param(dt.datetime(2026, 11, 20, 13, 5, tzinfo=dt.UTC), "", "2026-11-20 13:05", id="timestamp"),
        pytest.param(
            dt.datetime(2026, 11, 20, 14, 5, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            "",
            "2026-11-20 13:05",
            id="timestamp-to-utc",
        ),
        pytest.param("Series B", ">10", "  Series B", id="text-with-spec"),
        pytest.param(1e27, "", "1000000000000000000000000000", id="huge-float"),
        pytest.param(10**40, "", "1" + "0" * 40, id="huge-int"),
        pytest.param(1750000.5, ",.0f", "1,750,001", id="spec-rounds-half-away"),
        pytest.param(-0.004, ",.2f", "0.00", id="spec-never-prints-minus-zero"),
        pytest.param(12, "d", "12", id="integer-spec"),
    ],
)
def test_values_print_as_narratives_print_them(value, spec, text):
    assert format_value(value, spec) == text


SCOPE = Scope(
    "account narratives",
    {"account": "text", "open_pipeline": "number", "days_to_renewal": "integer", "competitor": "text",
     "engaged_contacts": "integer", "views": "integer", "health": "number", "is_customer": "boolean",
     "renewal_date": "date"},
)  # fmt: skip


@pytest.mark.parametrize(
    ("template", "values", "text"),
    [
        # {name|text}: the text where the value is NULL or empty text, never for 0 or false
        pytest.param(
            "researching {competitor|a competitor}",
            {"competitor": None},
            "researching a competitor",
            id="fallback-for-null",
        ),
        pytest.param(
            "researching {competitor|a competitor}",
            {"competitor": ""},
            "researching a competitor",
            id="fallback-for-empty-text",
        ),
        pytest.param(
            "researching {competitor|a competitor}", {"competitor": "Acme"}, "researching Acme", id="fallback-unused"
        ),
        pytest.param(
            "researching {competitor}", {"competitor": None}, "researching unknown", id="no-fallback-null-is-unknown"
        ),
        pytest.param(
            "{open_pipeline:,.0f|an unknown amount}",
            {"open_pipeline": None},
            "an unknown amount",
            id="fallback-after-spec",
        ),
        pytest.param(
            "{open_pipeline:,.0f|an unknown amount}",
            {"open_pipeline": 1750000.6},
            "1,750,001",
            id="spec-before-fallback",
        ),
        pytest.param("{views|none} views", {"views": 0}, "0 views", id="fallback-not-for-zero"),
        pytest.param("{is_customer|not known}", {"is_customer": False}, "no", id="fallback-not-for-false"),
        pytest.param("{health|no} score", {"health": float("nan")}, "no score", id="fallback-for-nan"),
        pytest.param("{competitor|}", {"competitor": None}, "", id="empty-fallback"),
        # [ … ]: left out whole when a placeholder inside is NULL, empty text, 0 or false
        pytest.param(
            "{account} is growing[, {views} add-on page views]",
            {"account": "Acme", "views": 0},
            "Acme is growing",
            id="segment-left-out-for-zero",
        ),
        pytest.param(
            "{account} is growing[, {views} add-on page views]",
            {"account": "Acme", "views": 12},
            "Acme is growing, 12 add-on page views",
            id="segment-printed",
        ),
        pytest.param("a[, {health}]", {"health": 0.0}, "a", id="segment-left-out-for-zero-float"),
        pytest.param("a[, {competitor}]", {"competitor": None}, "a", id="segment-left-out-for-null"),
        pytest.param("a[, {competitor}]", {"competitor": ""}, "a", id="segment-left-out-for-empty-text"),
        pytest.param("a[, customer: {is_customer}]", {"is_customer": False}, "a", id="segment-left-out-for-false"),
        pytest.param(
            "a[, customer: {is_customer}]", {"is_customer": True}, "a, customer: yes", id="segment-printed-for-true"
        ),
        pytest.param("a[, {health}]", {"health": float("inf")}, "a", id="segment-left-out-for-infinity"),
        pytest.param("a[, {health}]", {"health": -0.5}, "a, -0.5", id="segment-printed-for-negative"),
        pytest.param("a[, {competitor}]", {"competitor": "0"}, "a, 0", id="text-zero-is-a-value"),
        pytest.param(
            "a[, {renewal_date}]", {"renewal_date": dt.date(2026, 11, 20)}, "a, 2026-11-20", id="date-is-a-value"
        ),
        pytest.param(
            "a[ {views} views of {competitor}]",
            {"views": 3, "competitor": None},
            "a",
            id="any-placeholder-leaves-it-out",
        ),
        pytest.param(
            "a[ researching {competitor|a competitor}]",
            {"competitor": None},
            "a researching a competitor",
            id="printed-fallback-counts-as-a-value",
        ),
        pytest.param("a[ {views|no} views]", {"views": 0}, "a", id="zero-leaves-it-out-despite-a-fallback"),
        pytest.param("a[ (as planned)]", {}, "a (as planned)", id="segment-without-placeholder-prints"),
        pytest.param("[[{views}]] [{views}]]]", {"views": 2}, "[2] 2]", id="brackets"),
        pytest.param("{{{views}}}", {"views": 2}, "{2}", id="braces"),
        # {name:plural:one:many}: the word, not the number
        pytest.param(
            "{engaged_contacts} {engaged_contacts:plural:person:people}",
            {"engaged_contacts": 1},
            "1 person",
            id="plural-one",
        ),
        pytest.param(
            "{engaged_contacts} {engaged_contacts:plural:person:people}",
            {"engaged_contacts": 2},
            "2 people",
            id="plural-many",
        ),
        pytest.param("{days_to_renewal:plural:day:days}", {"days_to_renewal": -1}, "day", id="plural-minus-one"),
        pytest.param("{health:plural:point:points}", {"health": 1.0}, "point", id="plural-one-float"),
        pytest.param("{health:plural:point:points}", {"health": 1.5}, "points", id="plural-fraction"),
        pytest.param("{health:plural:point:points}", {"health": 0}, "points", id="plural-zero"),
        pytest.param("{health:plural:point:points}", {"health": None}, "points", id="plural-null"),
        pytest.param("day{views:plural::s}", {"views": 3}, "days", id="plural-suffix"),
        pytest.param("[{views} {views:plural:day:days} ago]", {"views": 0}, "", id="plural-in-a-segment-zero"),
        pytest.param("[in {health:plural:a day:days}]", {"health": None}, "", id="plural-null-leaves-its-segment-out"),
        # After rendering: runs of spaces become one, no space before , . ; : and none at either end
        pytest.param(
            "  {account}   renews  ,  soon .  ", {"account": "Acme"}, "Acme renews, soon.", id="spaces-tidied"
        ),
        pytest.param("{competitor} ; {competitor} :", {"competitor": "  x  "}, "x; x:", id="values-tidied-too"),
        pytest.param("[{views} ] now", {"views": 0}, "now", id="left-out-segment-leaves-no-gap"),
        pytest.param("{account:>10}.", {"account": "Acme"}, "Acme.", id="padding-tidied"),
        pytest.param("a\tb\n c", {}, "a\tb\n c", id="only-spaces-are-tidied"),
    ],
)
def test_each_form_renders_as_spec_says(template, values, text):
    assert render(check_template(template, SCOPE), values) == text


def test_templates_render_as_the_golden_file_says(golden):
    cases = [
        ("{account} renews in {days_to_renewal} days", {"account": "Acme", "days_to_renewal": 45}),
        ("{account} has {open_pipeline:,.0f} in open pipeline", {"account": "Acme", "open_pipeline": 1750000.6}),
        ("{account} is comparing us to {competitor}", {"account": "Beta", "competitor": None}),
        ("{{literal braces}} around {account}", {"account": "Gamma"}),
        (
            "{account} is growing: {engaged_contacts} {engaged_contacts:plural:person:people} engaged"
            "[, {views} add-on page {views:plural:view:views}]",
            {"account": "Acme", "engaged_contacts": 1, "views": 0},
        ),
        (
            "{account} is growing: {engaged_contacts} {engaged_contacts:plural:person:people} engaged"
            "[, {views} add-on page {views:plural:view:views}]",
            {"account": "Beta", "engaged_contacts": 5, "views": 1},
        ),
        ("{account} is researching {competitor|a competitor}", {"account": "Beta", "competitor": None}),
        (
            "{account} renews on {renewal_date}[, in {days_to_renewal} {days_to_renewal:plural:day:days}]",
            {"account": "Gamma", "renewal_date": dt.date(2026, 11, 20), "days_to_renewal": 0},
        ),
        (
            "{account} is at risk[: health {health}][, researching {competitor}]",
            {"account": "Delta", "health": 31.5, "competitor": None},
        ),
    ]
    text = "".join(f"{t}\n  → {render(check_template(t, SCOPE), values)}\n" for t, values in cases)
    golden("narratives.txt", text)


# `render_table` renders a badge's rows at once in Arrow; it must give each row what `render` gives it.
_SCOPE = Scope(
    "t",
    {"account": "text", "people": "integer", "views": "integer", "score": "number", "rival": "text",
     "hot": "boolean", "since": "date"},
)  # fmt: skip
_TEMPLATES = [
    "{account} is growing: {people} {people:plural:person:people} engaged[, {views} views] [({rival|no rival}).]",
    "[{hot} hot ]{score:,.1f} points, {score} again[ since {since}] — {rival|unknown rival}:{views:>4}",
    "  {account|someone}  ,  [{people:plural:one:many} ]{people|none} ;[ {score}] .",
]
_VALUES = {
    "account": st.one_of(st.none(), st.sampled_from(["", "Acme", "Beta, Inc", "  spaced  "])),
    "people": st.one_of(st.none(), st.integers(-3, 3), st.integers(-(2**63), 2**63 - 1)),
    "views": st.one_of(st.none(), st.sampled_from([0, 1, 7, 1200])),
    "score": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([2.675, -0.0, 1.0])),
    "rival": st.one_of(st.none(), st.sampled_from(["", "Rival", "Gong"])),
    "hot": st.one_of(st.none(), st.booleans()),
    "since": st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1))),
}
_TYPES = {"account": pa.string(), "people": pa.int64(), "views": pa.int64(), "score": pa.float64(),
          "rival": pa.string(), "hot": pa.bool_(), "since": pa.date32()}  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries(_VALUES), min_size=1, max_size=25))
def test_rendering_a_badges_rows_at_once_gives_each_row_what_rendering_it_alone_gives(rows):
    table = pa.Table.from_pylist(rows, schema=pa.schema(list(_TYPES.items())))
    for text in _TEMPLATES:
        template = check_template(text, _SCOPE)
        assert render_table(template, table).to_pylist() == [render(template, row) for row in rows], text
