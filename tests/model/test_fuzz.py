"""The model language, fuzzed (issue #19): what loads stays inside the language and runs; what does not load
is a ModelError whose every problem is one line. Seeded (derandomized) so that CI sees the same cases."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokenizer_core import TokenType

from tests.strategies import (
    ALLOWED_FUNCTIONS,
    condition_trees,
    conditions,
    hostile_conditions,
    narrative_templates,
    typed_conditions,
    typed_narratives,
)
from whynow.demo import DEMO_AS_OF
from whynow.errors import ModelError, WhynowError
from whynow.model.check import CompiledModel
from whynow.model.conditions import ALLOWED, ConditionInvalid, check_condition
from whynow.model.load import load_model_text
from whynow.model.scope import Scope
from whynow.model.templates import TemplateInvalid, check_template
from whynow.pipeline.narrative import render
from whynow.run import open_data, run

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
# The names of a model with one account signal and one committee role, typed as its scopes see them.
BASE = load_model_text(
    "model: base\nsignals: {sig: {from: intent, measure: max(score)}}\n"
    "buying_committee: {roles: {champion: \"title = 'x'\"}}\n"
)
SCOPES = BASE.scopes
INTENT = SCOPES.signal_tables["intent"]


def names(scope: Scope) -> dict[str, str | None]:
    return dict(scope.names)


_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def model_text(model: dict[str, Any]) -> str:
    """JSON is YAML: one key a line, every string double-quoted whatever it holds; what YAML may not hold raw
    is escaped the YAML way (JSON's surrogate pairs would reach the model as two lone halves)."""
    text = json.dumps(model, ensure_ascii=False, indent=1)
    return _NOT_YAML.sub(lambda c: f"\\u{ord(c.group()):04x}", text)


def assert_one_line_problems(error: ModelError) -> None:
    for problem in error.problems:
        assert problem.file == "m.yaml"
        assert "\n" not in problem.message, problem.message
        assert problem.render().splitlines()[0].startswith("m.yaml")


# --- Loading: anything goes in, a model or a ModelError comes out ---------------------------------------

_ANY_CONDITION = st.one_of(
    conditions,
    condition_trees,
    typed_conditions(names(SCOPES.account)),
    hostile_conditions(sorted(n for n in SCOPES.account.names)),
)
_ANY_NUMBER = st.one_of(
    st.integers(-(10**13), 10**13),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 36_500, 36_501, 10**9, "ten", True, None]),
)


@st.composite
def wild_models(draw: st.DrawFn) -> dict[str, Any]:
    """A model with conditions, templates and numbers from anywhere, good and bad, in every section."""
    condition = _ANY_CONDITION
    return {
        "model": "fuzz",
        "signals": {
            "sig": {"from": "intent", "where": draw(condition), "measure": "count", "within_days": draw(_ANY_NUMBER)}
        },
        "fit": {
            "account": [{"name": "a", "when": draw(condition), "points": draw(_ANY_NUMBER)}],
            "grades": {"A": draw(_ANY_NUMBER)},
        },
        "engagement": {
            "half_life_days": draw(_ANY_NUMBER),
            "lookback_days": draw(_ANY_NUMBER),
            "rules": [{"name": "e", "when": draw(condition), "points": 1, "cap": draw(_ANY_NUMBER)}],
        },
        "accounts": {"mqa_when": draw(condition)},
        "badges": {
            "definitions": [
                {
                    "id": "b",
                    "archetype": "change",
                    "label": "B",
                    "when": draw(condition),
                    "play": "p",
                    "why": draw(narrative_templates(sorted(SCOPES.account_template.names))),
                    "expires_after_days": draw(_ANY_NUMBER),
                }
            ]
        },
        "capacity": {"rank_by": draw(condition), "default_per_rep": draw(_ANY_NUMBER)},
    }


@settings(FUZZ, max_examples=300)
@given(wild_models())
def test_a_model_loads_or_is_a_model_error_of_one_line_problems(model: dict[str, Any]) -> None:
    try:
        load_model_text(model_text(model), "m.yaml")
    except ModelError as e:
        assert_one_line_problems(e)


@settings(FUZZ, max_examples=300)
@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: ("model: t\n" + t).encode("utf-8", "replace")))
def test_any_bytes_load_or_are_a_model_error(raw: bytes) -> None:
    try:
        load_model_text(raw.decode("utf-8", "replace"), "m.yaml")
    except ModelError as e:
        assert_one_line_problems(e)


# --- Conditions: nothing outside the language is accepted -------------------------------------------------


def function_calls(text: str) -> Iterator[str]:
    """The names written before a `(`, from DuckDB's own tokenizer."""
    tokens = Dialect.get_or_raise("duckdb").tokenize(text)
    for token, following in itertools.pairwise(tokens):
        if token.token_type == TokenType.VAR and following.token_type == TokenType.L_PAREN:
            yield token.text.lower()


@settings(FUZZ, max_examples=1000)
@given(hostile_conditions(sorted(SCOPES.account.names)))
def test_conditions_that_reach_outside_the_language_are_refused(condition: str) -> None:
    with pytest.raises(ConditionInvalid):
        check_condition(condition, SCOPES.account)


@settings(FUZZ, max_examples=1000)
@given(st.one_of(conditions, condition_trees, typed_conditions(names(SCOPES.account))))
def test_an_accepted_condition_stays_inside_the_language(condition: str) -> None:
    try:
        checked = check_condition(condition, SCOPES.account)
    except ConditionInvalid as e:
        assert all("\n" not in issue.message for issue in e.issues)
        return
    for node in checked.tree.walk():
        assert isinstance(node, ALLOWED), node
        assert not node.comments
        assert not isinstance(node, exp.Identifier) or not node.quoted
    assert set(function_calls(condition)) <= set(ALLOWED_FUNCTIONS)
    assert checked.names <= set(SCOPES.account.names)


# --- Narratives: an accepted template renders any value of its placeholders' types ------------------------

_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "integer": st.integers(-(2**63), 2**63 - 1),
    "number": st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**20), 10**20),
    "text": st.text(max_size=20),
    "boolean": st.booleans(),
    "date": st.dates(),
    "timestamp": st.datetimes(timezones=st.just(dt.UTC)),
}


@settings(FUZZ, max_examples=1000)
@given(narrative_templates(sorted(SCOPES.account_template.names)), st.data())
def test_an_accepted_template_renders_every_value(template: str, data: st.DataObject) -> None:
    scope = SCOPES.account_template
    try:
        checked = check_template(template, scope)
    except TemplateInvalid as e:
        assert all("\n" not in issue.message for issue in e.issues)
        return
    values = {
        p.name: data.draw(st.none() | _VALUES[str(scope.type_of(p.name))], label=p.name) for p in checked.placeholders
    }
    text = render(checked, values)
    assert len(text) <= len(template) + 400 * len(checked.placeholders)


# --- Running: an accepted model runs on the demo data, or fails with a whynow error -----------------------


def accepted_template(text: str, scope: Scope) -> bool:
    try:
        check_template(text, scope)
    except TemplateInvalid:
        return False
    return True


@st.composite
def runnable_models(draw: st.DrawFn) -> dict[str, Any]:
    """Models built from typed conditions in every section, with numbers anywhere inside their bounds."""

    def when(scope: Scope, kind: str = "boolean") -> str:
        return draw(typed_conditions(names(scope), kind))

    def why(scope: Scope) -> str:
        return draw(typed_narratives(names(scope)).filter(lambda text: accepted_template(text, scope)))

    days = st.integers(1, 36_500)
    points = st.floats(-10_000, 10_000, allow_nan=False) | st.integers(-10_000, 10_000)
    measure = draw(
        st.sampled_from(["count", "max(score)", "min(score)", "days_since", "sum(score)"])
    )  # `sig` is a number
    lookback = draw(days)
    return {
        "model": "fuzz",
        "signals": {"sig": {"from": "intent", "where": when(INTENT), "measure": measure, "within_days": draw(days)}},
        "fit": {
            "account": [{"name": f"a{i}", "when": when(SCOPES.account_fit), "points": draw(points)} for i in range(2)],
            "contact": [{"name": "c", "when": when(SCOPES.contact_fit), "points": draw(points)}],
            "grades": {"A": draw(st.floats(-100, 100)), "B": draw(st.integers(-100, 100))},
        },
        "engagement": {
            "half_life_days": draw(st.none() | st.floats(0, 36_500)),
            "lookback_days": lookback,
            "anonymous_weight": draw(st.floats(0, 100)),
            "rules": [
                {
                    "name": f"e{i}",
                    "when": when(SCOPES.activity),
                    "points": draw(points),
                    "cap": draw(st.none() | st.floats(0, 1_000_000)),
                    "hand_raiser": draw(st.booleans()),
                }
                for i in range(2)
            ],
        },
        "leads": {"mql_when": when(SCOPES.lead), "sql_when": when(SCOPES.lead)},
        "buying_committee": {
            "engaged_within_days": draw(st.integers(1, lookback)),
            "roles": {"champion": when(SCOPES.role)},
        },
        "accounts": {
            "target_when": when(SCOPES.target),
            "mqa_when": when(SCOPES.mqa),
            "sqa_when": when(SCOPES.sqa),
            "mqa_when_tier": {draw(st.integers(0, 1000)): when(SCOPES.mqa)},
        },
        "journey": [{"stage": "hot", "when": when(SCOPES.account)}, {"stage": "cold"}],
        "badges": {
            "definitions": [
                {
                    "id": "b1",
                    "archetype": "change",
                    "label": "B1",
                    "when": when(SCOPES.account),
                    "play": "p",
                    "why": why(SCOPES.account_template),
                    "expires_after_days": draw(days),
                },
                {
                    "id": "b2",
                    "archetype": "customer",
                    "label": "B2",
                    "when": when(SCOPES.contact_badge),
                    "play": "p",
                    "for": "contact",
                    "why": why(SCOPES.contact_template),
                },
            ]
        },
        "capacity": {
            "rank_by": when(SCOPES.account, "number"),
            "default_per_rep": draw(st.integers(0, 100_000)),
            "per_role": {"AE": draw(st.integers(0, 100_000))},
            "unassigned": draw(st.integers(0, 100_000)),
        },
    }


@pytest.fixture(scope="module")
def shared_data(demo_data: Path) -> Iterator[Any]:
    """The demo data opened and validated once: the runs of a backtest share it the same way."""
    with open_data(BASE, str(demo_data)) as validated:
        yield validated


@settings(FUZZ, max_examples=12)  # a run costs 2 to 3 s (Ibis compiling the pipeline): 12 keep the file under a minute
@given(model=runnable_models())
def test_an_accepted_model_runs_on_the_demo_data(
    model: dict[str, Any], demo_data: Path, shared_data: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    try:
        compiled: CompiledModel = load_model_text(model_text(model), "m.yaml")
    except ModelError as e:
        assert_one_line_problems(e)
        event(f"refused: {e.problems[0].message[:60]}")
        return
    store = tmp_path_factory.mktemp("store") / "store.duckdb"
    try:
        result = run(compiled, str(demo_data), DEMO_AS_OF, store=store, validated=shared_data)
    except WhynowError as e:
        event(f"run refused: {str(e)[:60]}")
        return
    event("ran")
    assert result.outputs["account_status"].num_rows > 0
