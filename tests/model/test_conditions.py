"""Conditions: what they match (compiled to Ibis on DuckDB), and what the checker rejects and says."""

from __future__ import annotations

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import condition_trees, conditions
from whynow.model.compile import compile_predicate, compile_value
from whynow.model.conditions import ConditionInvalid, check_condition
from whynow.model.scope import Scope

SCOPE = Scope(
    "account fit rules",
    {
        "industry": "text",
        "employees": "integer",
        "region": "text",
        "is_customer": "boolean",
        "score": "number",
        "url": "text",
        "renewal_date": "date",
    },
)
ACCOUNTS = ibis.memtable(
    {
        "id": ["A1", "A2", "A3", "A4"],
        "industry": ["Software", "Retail", None, "software"],
        "employees": [500, 20, None, 10000],
        "region": ["NA", "EMEA", "NA", None],
        "is_customer": [True, False, None, False],
        "score": [80.5, 10.0, None, 59.999],
        "url": ["/compare/x", "/pricing", None, "/COMPARE"],
        "renewal_date": ["2026-12-01", "2027-06-01", None, "2026-11-20"],
    }
).mutate(renewal_date=ibis._.renewal_date.cast("date"))


def matching(text: str) -> list[str]:
    condition = check_condition(text, SCOPE)
    rows = ACCOUNTS.filter(compile_predicate(condition, ACCOUNTS)).order_by("id")
    return rows.id.to_pyarrow().to_pylist()


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param("industry IN ('Software', 'Healthcare')", ["A1"], id="in-list-is-case-sensitive"),
        pytest.param("lower(industry) = 'software'", ["A1", "A4"], id="lower"),
        pytest.param("employees BETWEEN 200 AND 10000", ["A1", "A4"], id="between-inclusive"),
        pytest.param("employees >= 200 OR region = 'NA'", ["A1", "A3", "A4"], id="or"),
        pytest.param("NOT is_customer", ["A2", "A4"], id="not-boolean-null-is-not-true"),
        pytest.param("industry <> 'Retail'", ["A1", "A4"], id="null-never-matches"),
        pytest.param("industry != 'Retail'", ["A1", "A4"], id="bang-equals"),
        pytest.param("url LIKE '%compare%'", ["A1"], id="like"),
        pytest.param("url ILIKE '%compare%'", ["A1", "A4"], id="ilike"),
        pytest.param("url NOT LIKE '%compare%'", ["A2", "A4"], id="not-like-flag"),
        pytest.param("industry IS NULL", ["A3"], id="is-null"),
        pytest.param("industry IS NOT NULL AND region IS NULL", ["A4"], id="is-not-null"),
        pytest.param("employees / 40 = 0.5", ["A2"], id="real-division"),
        pytest.param("employees * 2 - 1 > 999", ["A4"], id="arithmetic"),
        pytest.param("abs(score - 60) < 1", ["A4"], id="abs"),
        pytest.param("coalesce(region, 'none') = 'none'", ["A4"], id="coalesce"),
        pytest.param("least(employees, 100) = 100", ["A1", "A3", "A4"], id="least-ignores-null"),
        pytest.param("greatest(score, 70) = 70", ["A2", "A3", "A4"], id="greatest-ignores-null"),
        pytest.param("length(region) = 4", ["A2"], id="length"),
        pytest.param("renewal_date < '2027-01-01'", ["A1", "A4"], id="date-vs-text-literal"),
        pytest.param("employees > -1000 AND NOT (region IN ('EMEA'))", ["A1"], id="negative-and-not-in"),
        pytest.param("TRUE", ["A1", "A2", "A3", "A4"], id="literal-true"),
        pytest.param("is_customer = FALSE", ["A2", "A4"], id="boolean-equals-literal"),
        pytest.param("coalesce(NULL, industry) = 'Retail'", ["A2"], id="null-takes-neighbour-type"),
        pytest.param("NULL", [], id="null-is-false"),
        pytest.param("industry = NULL", [], id="equals-null-is-never-true"),
        pytest.param("industry <> NULL", [], id="not-equals-null-is-never-true"),
        pytest.param("NOT (industry = NULL)", [], id="not-of-null-comparison-is-null"),
        pytest.param("employees < 99999999999999999999", ["A1", "A2", "A4"], id="literal-beyond-int64"),
    ],
)
def test_condition_matches(condition: str, expected: list[str]) -> None:
    assert matching(condition) == expected


def test_rank_by_value_keeps_null() -> None:
    condition = check_condition("score + employees", SCOPE, expect="number")
    values = ACCOUNTS.order_by("id").select(v=compile_value(condition, ACCOUNTS)).v.to_pyarrow().to_pylist()
    assert values == [580.5, 30.0, None, 10059.999]


@pytest.mark.parametrize(
    ("condition", "message", "caret"),
    [
        pytest.param(
            "industy = 'x'",
            "unknown name 'industy' in account fit rules — did you mean 'industry'?",
            "industy",
            id="unknown-name-did-you-mean",
        ),
        pytest.param("Industry = 'x'", "did you mean 'industry'?", "Industry", id="wrong-case"),
        pytest.param(
            "foo(employees) > 1", "function 'foo' is not allowed; use one of lower, upper", "foo", id="unknown-function"
        ),
        pytest.param(
            "substr(industry, 1, 2) = 'So'",
            "function 'substr' is not allowed",
            "substr",
            id="known-but-forbidden-function",
        ),
        pytest.param(
            "employees > (SELECT max(employees) FROM accounts)", "sub-queries are not allowed", "SELECT", id="subquery"
        ),
        pytest.param("industry IN (SELECT 1)", "IN takes a list of values, not a sub-query", None, id="in-subquery"),
        pytest.param(
            "employees > 1; DROP TABLE accounts", "';' and statements are not allowed", ";", id="second-statement"
        ),
        pytest.param("DROP TABLE accounts", "statements (DROP) are not allowed", "DROP", id="statement"),
        pytest.param("CASE WHEN employees > 1 THEN TRUE END", "'CASE' is not allowed", None, id="case"),
        pytest.param("a.industry = 'x'", "write the column name alone", "a.industry", id="qualified-column"),
        pytest.param("industry = 5", "cannot compare text with a whole number", "5", id="text-vs-number"),
        pytest.param(
            "employees", "this must be true or false, but it is a whole number", "employees", id="not-boolean"
        ),
        pytest.param("industry + 1 > 2", "arithmetic needs numbers; this is text", "industry", id="text-arithmetic"),
        pytest.param("employees LIKE '%1%'", "LIKE compares text", "employees", id="like-on-number"),
        pytest.param("is_customer IS TRUE", "only IS NULL and IS NOT NULL are allowed", None, id="is-true"),
        pytest.param(
            "(employees > 1) = TRUE",
            "compare a true/false expression with AND, OR and NOT",
            None,
            id="boolean-expression-compared",
        ),
        pytest.param(
            "is_customer > FALSE", "true/false values compare only with = and <>", None, id="boolean-ordering"
        ),
        pytest.param(
            "is_customer BETWEEN FALSE AND TRUE", "BETWEEN needs numbers, text or dates", None, id="boolean-between"
        ),
        pytest.param("is_customer IN (TRUE)", "IN needs numbers, text or dates", None, id="boolean-in"),
        pytest.param("industry = 'x' AND", "syntax error", None, id="dangling-and"),
        pytest.param("industry = 'x", "syntax error: unterminated quote", None, id="unterminated-quote"),
        pytest.param("   ", "the condition is empty", None, id="empty"),
        pytest.param("renewal_date < 'soon'", "'soon' is not a date; write an ISO date", "'soon'", id="non-iso-date"),
        pytest.param(
            "industry < renewal_date", "cannot compare text with a date", "industry", id="text-column-vs-date"
        ),
        pytest.param(
            "employees BETWEEN SYMMETRIC 3 AND 1", "BETWEEN SYMMETRIC is not supported", None, id="between-symmetric"
        ),
        pytest.param("region IN ()", "IN () is empty", None, id="empty-in"),
        pytest.param(" OR ".join(["employees = 1"] * 300), "nests more than 200 levels; use IN", None, id="too-deep"),
    ],
)
def test_condition_rejected(condition: str, message: str, caret: str | None) -> None:
    with pytest.raises(ConditionInvalid) as raised:
        check_condition(condition, SCOPE)
    issue = raised.value.issues[0]
    assert message in issue.message
    if caret is not None:
        assert issue.start is not None and issue.end is not None
        assert condition[issue.start : issue.end + 1] == caret


def test_every_unknown_name_is_reported() -> None:
    with pytest.raises(ConditionInvalid) as raised:
        check_condition("industy = 'x' OR regoin = 'NA'", SCOPE)
    assert [i.message.split("'")[1] for i in raised.value.issues] == ["industy", "regoin"]


def test_names_are_collected() -> None:
    assert check_condition("employees > 1 AND lower(region) = 'na'", SCOPE).names == {"employees", "region"}


def test_rank_by_must_be_numeric() -> None:
    with pytest.raises(ConditionInvalid, match="must be a number"):
        check_condition("industry", SCOPE, expect="number")


@settings(max_examples=500, deadline=None)
@given(st.one_of(conditions, condition_trees, st.text(max_size=40)))
def test_checker_never_crashes(text: str) -> None:
    """Random strings and random ASTs: the checker accepts, or raises its own error — nothing else."""
    try:
        condition = check_condition(text, SCOPE)
    except ConditionInvalid as e:
        assert e.issues and all(isinstance(i.message, str) and i.message for i in e.issues)
        return
    # Anything accepted compiles to Ibis and runs on DuckDB.
    ACCOUNTS.filter(compile_predicate(condition, ACCOUNTS)).count().to_pyarrow()
