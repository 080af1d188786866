"""The model in plain language: case table of condition → English, and the reference model as golden."""

from __future__ import annotations

import pytest
import sqlglot
from typer.testing import CliRunner

from whynow.cli import app
from whynow.examples import reference_model_path
from whynow.model.describe import describe_condition


@pytest.mark.parametrize(
    ("condition", "english"),
    [
        ("industry IN ('Software', 'Financial Services')", "industry is one of Software, Financial Services"),
        ("industry NOT IN ('Retail')", "industry is none of Retail"),
        ("employees BETWEEN 200 AND 10000", "employees is between 200 and 10000"),
        ("employees >= 200", "employees is at least 200"),
        ("employees > 200", "employees is more than 200"),
        ("employees <= 200", "employees is at most 200"),
        ("employees < 200", "employees is less than 200"),
        ("region = 'NA'", "region is 'NA'"),
        ("region <> 'NA'", "region is not 'NA'"),
        ("url LIKE '%/pricing%'", "url contains '/pricing'"),
        ("url LIKE '/blog%'", "url starts with '/blog'"),
        ("email LIKE '%@gmail.com'", "email ends with '@gmail.com'"),
        ("url NOT LIKE '%/pricing%'", "url does not contain '/pricing'"),
        ("url ILIKE '%PRICING%'", "url contains 'PRICING' (any case)"),
        ("url LIKE '%a%b%'", "url matches '%a%b%'"),
        ("domain IS NULL", "domain is unknown"),
        ("domain IS NOT NULL", "domain is set"),
        ("NOT is_customer", "not is_customer"),
        ("a > 1 AND (b > 2 OR c > 3)", "a is more than 1 and (b is more than 2 or c is more than 3)"),
        ("lower(email) = 'x'", "lower(email) is 'x'"),
        ("fit + engagement > 100", "fit + engagement is more than 100"),
    ],
)
def test_condition_in_words(condition: str, english: str) -> None:
    assert describe_condition(sqlglot.parse_one(condition, read="duckdb")) == english


def test_check_prints_the_reference_model(golden) -> None:
    result = CliRunner().invoke(app, ["check", str(reference_model_path())], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert "Account fit: +25 when industry is one of Software, Financial Services, Healthcare" in result.stdout
    assert "Badge 'Switching pain' (competitive, expires 21 days after its signals stop)" in result.stdout
    golden("check_reference_model.txt", result.stdout.replace(str(reference_model_path()), "MODEL"))


def test_check_prints_every_rule() -> None:
    """Every rule, signal, stage and badge of the reference model appears in the check output."""
    from whynow.model.load import load_model

    spec = load_model(reference_model_path()).spec
    output = CliRunner().invoke(app, ["check", str(reference_model_path())]).stdout
    names = [r.name for r in (*spec.fit.account, *spec.fit.contact, *spec.engagement.rules)]
    names += [f"Signal '{s}'" for s in spec.signals] + [f"stage {j.stage}" for j in spec.journey]
    names += [f"Badge '{b.label}'" for b in spec.badges.definitions] + list(spec.buying_committee.roles)
    missing = [n for n in names if n not in output]
    assert missing == []
