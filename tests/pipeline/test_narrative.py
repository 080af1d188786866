"""Narratives (SPEC §4.8): how each kind of value prints, and whole templates as a golden file."""

from __future__ import annotations

import datetime as dt

import pytest

from whynow.model.scope import Scope
from whynow.model.templates import check_template
from whynow.pipeline.narrative import format_value, render


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
    {"account": "text", "open_pipeline": "number", "days_to_renewal": "integer", "competitor": "text"},
)


def test_templates_render_as_the_golden_file_says(golden):
    cases = [
        ("{account} renews in {days_to_renewal} days", {"account": "Acme", "days_to_renewal": 45}),
        ("{account} has {open_pipeline:,.0f} in open pipeline", {"account": "Acme", "open_pipeline": 1750000.6}),
        ("{account} is comparing us to {competitor}", {"account": "Beta", "competitor": None}),
        ("{{literal braces}} around {account}", {"account": "Gamma"}),
    ]
    text = "".join(f"{t}\n  → {render(check_template(t, SCOPE), values)}\n" for t, values in cases)
    golden("narratives.txt", text)
