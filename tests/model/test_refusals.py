"""What a model may not hold (issue #19): each refusal is one problem line naming the file, the line and the
rule, raised as a ModelError at load time, so that `check` catches what would otherwise crash `run`."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from whynow.cli import app
from whynow.demo import DEMO_AS_OF
from whynow.errors import ModelError
from whynow.model.conditions import ConditionInvalid, check_condition
from whynow.model.load import load_model_text
from whynow.model.scope import Scope
from whynow.run import run


def check_bytes(tmp_path: Path, raw: bytes) -> tuple[int, str, Path]:
    path = tmp_path / "model.yaml"
    path.write_bytes(raw)
    result = CliRunner().invoke(app, ["check", str(path)])
    return result.exit_code, result.stderr, path


def refusal(text: str) -> str:
    """The one problem line a model's load reports."""
    with pytest.raises(ModelError) as raised:
        load_model_text(text, "m.yaml")
    assert len(raised.value.problems) == 1, raised.value
    return raised.value.problems[0].render().splitlines()[0]


@pytest.mark.parametrize(
    ("raw", "line", "message"),
    [
        pytest.param(b"model: t\n# a bell \x07 in a comment\n", 2, "control character U+0007", id="bel-in-comment"),
        pytest.param(b"model: t\nx: " + b"[" * 2000 + b"]" * 2000 + b"\n", 2, "nests deeper than", id="deep-flow"),
        pytest.param(b"model: t\nx: " + b"{a: " * 2000 + b"}" * 2000 + b"\n", 2, "nests deeper than", id="deep-map"),
        pytest.param(
            b"model: t\nx:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 400)),
            52,
            "nests deeper than",
            id="deep-block",
        ),
        pytest.param(b"model: t\na: &a [*a]\n", 2, "nests deeper than", id="recursive-alias"),
    ],
)
def test_unreadable_yaml_is_one_line_and_exit_1(tmp_path: Path, raw: bytes, line: int, message: str) -> None:
    code, stderr, path = check_bytes(tmp_path, raw)
    assert code == 1
    assert "Traceback" not in stderr
    head, summary = stderr.strip().splitlines()
    assert head.startswith(f"error: {path}:{line}: ") and message in head
    assert summary == "1 problem in the model; fix it and run again."


BADGE = "model: t\nbadges:\n  definitions:\n    - {{id: b, archetype: change, label: B, when: fit > 1, play: p, {0}}}\n"
RULE = "model: t\nfit:\n  account:\n    - {{name: a, when: {0}, points: 1}}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(RULE.format("\"industry = 'a\\0b'\""), "m.yaml:4: account fit rule 'a': ", id="nul-in-literal"),
        pytest.param(RULE.format("\"industry = 'a\\x07b'\""), "control character U+0007", id="bel-in-literal"),
        pytest.param(RULE.format("\"industry = '\\u202Eb'\""), "control character U+202E", id="bidi-in-literal"),
        pytest.param(
            'model: t\nfit:\n  account:\n    - {name: "a\\0", when: employees > 1, points: 1}\n',
            "control character U+0000",
            id="nul-in-rule-name",
        ),
        pytest.param('model: t\njourney: [{stage: "x\\0"}]\n', "control character U+0000", id="nul-in-stage"),
        pytest.param('model: t\ncapacity: {per_role: {"AE\\0": 3}}\n', "control character U+0000", id="nul-in-key"),
        pytest.param("model: t\njourney: [{stage: !!binary AA==}]\n", "!!binary", id="binary"),
        pytest.param('model: t\njourney: [{stage: "\\uD800"}]\n', "U+D800", id="lone-surrogate"),
    ],
)
def test_control_characters_are_refused(text: str, expected: str) -> None:
    assert expected in refusal(text)


def test_a_control_character_in_a_literal_is_refused_by_the_condition_check() -> None:
    with pytest.raises(ConditionInvalid, match="control character U\\+0009"):
        check_condition("industry = 'a\tb'", Scope("t", {"industry": "text"}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "model: t\nsignals:\n  s: {from: intent, within_days: 1000000000000, measure: count}\n",
            "m.yaml:3: signal 's': within_days must be at most 36500, not 1000000000000",
            id="within-days",
        ),
        pytest.param(
            BADGE.format("why: x, expires_after_days: 1000000000"),
            "m.yaml:4: badge 'b': expires_after_days must be at most 36500",
            id="expires-after-days",
        ),
        pytest.param(
            "model: t\nengagement: {lookback_days: 1000000000}\n", "lookback_days must be at most 36500", id="lookback"
        ),
        pytest.param(
            "model: t\nengagement: {half_life_days: 1e9}\n", "half_life_days must be at most 36500", id="half-life"
        ),
        pytest.param(
            "model: t\nbuying_committee: {engaged_within_days: 100000}\n",
            "engaged_within_days must be at most 36500",
            id="engaged-within",
        ),
        pytest.param(RULE.format("employees > 1").replace("1}", "1e300}"), "points must be at most 10000", id="points"),
        pytest.param(RULE.format("employees > 1").replace("1}", ".nan}"), "points must be a finite number", id="nan"),
        pytest.param(
            "model: t\nengagement: {rules: [{name: a, when: \"type = 'x'\", points: -1e6}]}\n",
            "points must be at least -10000",
            id="engagement-points",
        ),
        pytest.param(
            "model: t\nengagement: {rules: [{name: a, when: \"type = 'x'\", points: 1, cap: 1e12}]}\n",
            "cap must be at most 1000000",
            id="cap",
        ),
        pytest.param(
            "model: t\nengagement: {anonymous_weight: 1e9}\n",
            "anonymous_weight must be at most 100",
            id="anonymous-weight",
        ),
        pytest.param("model: t\nfit: {grades: {A: 1e9}}\n", "must be at most 100", id="grade"),
        pytest.param("model: t\ncapacity: {default_per_rep: 1000000000000}\n", "must be at most 100000", id="per-rep"),
        pytest.param("model: t\ncapacity: {per_role: {AE: 1000000000000}}\n", "must be at most 100000", id="per-role"),
        pytest.param("model: t\ncapacity: {unassigned: 1000000000000}\n", "must be at most 100000", id="unassigned"),
        pytest.param(
            "model: t\naccounts: {mqa_when_tier: {1000000000000000000000: engaged_contacts > 1}}\n",
            "the key must be at most 1000",
            id="tier",
        ),
    ],
)
def test_numbers_are_bounded(text: str, expected: str) -> None:
    assert expected in refusal(text)


@pytest.mark.parametrize(
    ("why", "expected"),
    [
        pytest.param("'{account:>2000000000}'", "width 2000000000", id="width"),
        pytest.param("'{fit:.900000000f}'", "precision 900000000", id="precision"),
        pytest.param("'{account:0>201}'", "width 201", id="width-after-fill"),
        pytest.param("'{engaged_contacts:c}'", "':c'", id="character-code"),
    ],
)
def test_format_specs_are_bounded(why: str, expected: str) -> None:
    started = time.monotonic()
    line = refusal(BADGE.format(f"why: {why}"))
    assert line.startswith("m.yaml:4: badge 'b': ") and expected in line
    assert time.monotonic() - started < 2


def test_a_format_width_within_the_bound_is_fine() -> None:
    model = load_model_text(BADGE.format("why: '{account:>200} {fit:,.2f}'"))
    assert model.templates["b"].placeholders[0].format_spec == ">200"


def test_long_in_lists_and_long_conditions_are_refused_quickly() -> None:
    items = ", ".join(f"'v{i}'" for i in range(20_000))
    started = time.monotonic()
    line = refusal(RULE.format(f'"industry IN ({items})"'))
    assert time.monotonic() - started < 5
    assert line.startswith("m.yaml:4: account fit rule 'a': the condition is 188902 characters long; at most 50000")
    with pytest.raises(ModelError) as raised:
        load_model_text(RULE.format(f'"industry IN ({items})"'), "m.yaml")
    assert len(str(raised.value)) < 600, "a long condition is shown around the caret, not whole"
    line = refusal(RULE.format(f'"employees IN ({", ".join(["1"] * 1001)})"'))
    assert line.startswith("m.yaml:4: account fit rule 'a': IN (…) lists 1001 values; at most 1000 values")
    load_model_text(RULE.format(f'"employees IN ({", ".join(str(i) for i in range(1000))})"'))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param("\"industry\" = 'x'", "quoted name", id="quoted-identifier"),
        pytest.param('industry = "Software"', "text takes single quotes", id="double-quoted-text"),
        pytest.param("industry = 'x' -- a note", "comments", id="line-comment"),
        pytest.param("industry = /* a note */ 'x'", "comments", id="block-comment"),
        pytest.param("ifnull(industry, 'x') = 'x'", "function 'ifnull' is not allowed", id="alias-of-coalesce"),
        pytest.param("lcase(industry) = 'x'", "function 'lcase' is not allowed", id="alias-of-lower"),
    ],
)
def test_only_the_documented_language_is_accepted(condition: str, expected: str) -> None:
    scope = Scope("t", {"industry": "text"})
    with pytest.raises(ConditionInvalid) as raised:
        check_condition(condition, scope)
    assert expected in str(raised.value)


@pytest.mark.parametrize(
    "condition",
    [
        "employees > .5 AND employees < 1. AND employees <> 1e3",
        "lower(industry) NOT LIKE 'a%' AND industry NOT ILIKE '%--%' AND industry IS NOT NULL",
        "employees NOT BETWEEN -1 AND +2 OR employees NOT IN (1, 2) OR NOT (employees != 3)",
        "COALESCE(employees, 0) >= Least(1, 2) AND Abs(-employees) < GREATEST(1, 2) AND length(industry) = 3",
        "first = 1 AND industry = '/* not a comment */ -- nor this; SELECT'",
    ],
)
def test_the_documented_language_is_still_accepted(condition: str) -> None:
    scope = Scope("t", {"industry": "text", "employees": "integer", "first": "integer"})
    assert check_condition(condition, scope).type == "boolean"


OVERFLOWING = """\
model: t
fit:
  account:
    - {name: huge, when: employees*employees*employees*employees*employees > 0, points: 5}
    - name: negated
      when: -(employees*employees*employees*employees) < abs(employees - 9223372036854775807)
      points: 1
badges:
  definitions:
    - {id: b, archetype: change, label: B, when: employees*employees*employees*employees*employees > 0, play: p,
       why: '{account}'}
capacity:
  rank_by: employees * employees * employees * employees * employees + 9223372036854775807
"""


def test_integer_arithmetic_does_not_overflow_at_run_time(tmp_path: Path, demo_data: Path) -> None:
    """SPEC §4: arithmetic is computed in DOUBLE, so a product of integer columns cannot overflow INT64."""
    model = load_model_text(OVERFLOWING, "m.yaml")
    result = run(model, str(demo_data), DEMO_AS_OF, store=tmp_path / "store.duckdb")
    fits = result.outputs["account_status"].column("fit").to_pylist()
    assert fits and all(f == 6 for f in fits)


def test_a_badge_kept_for_the_longest_window_runs(tmp_path: Path, demo_data: Path) -> None:
    model = load_model_text(
        "model: t\nengagement: {lookback_days: 36500, half_life_days: 36500}\n"
        "signals: {s: {from: intent, within_days: 36500, measure: count}}\n"
        + BADGE.split("\n", 1)[1].format("why: '{s}', expires_after_days: 36500").replace("fit > 1", "s >= 0"),
        "m.yaml",
    )
    store = tmp_path / "store.duckdb"
    run(model, str(demo_data), DEMO_AS_OF, store=store)
    later = run(model, str(demo_data), DEMO_AS_OF + dt.timedelta(days=7), store=store)
    assert later.outputs["account_status"].num_rows
