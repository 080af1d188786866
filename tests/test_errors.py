"""How a model problem reads: location, rule, the offending text and a caret under the spot."""

from __future__ import annotations

from whynow.errors import ModelError, ModelProblem, did_you_mean


def test_one_line_condition_gets_a_caret() -> None:
    problem = ModelProblem("m.yaml", 5, "account fit rule 'x'", "unknown name 'tir'", "tir = 1", 0, 2)
    assert problem.render().splitlines() == [
        "m.yaml:5: account fit rule 'x': unknown name 'tir'",
        "    tir = 1",
        "    ^^^",
    ]


def test_multi_line_condition_gets_the_caret_under_the_right_line() -> None:
    text = "industry = 'Software'\nAND tir = 1\n"
    problem = ModelProblem("m.yaml", 5, None, "unknown name 'tir'", text, text.index("tir"), text.index("tir") + 2)
    assert problem.render().splitlines()[1:] == ["    industry = 'Software'", "    AND tir = 1", "        ^^^"]


def test_all_problems_are_counted() -> None:
    error = ModelError([ModelProblem("m.yaml", 1, None, "a"), ModelProblem("m.yaml", 2, None, "b")])
    assert str(error).endswith("2 problems in the model; fix them and run again.")


def test_did_you_mean_prefers_a_different_case() -> None:
    assert did_you_mean("Segment", ["segment", "segments"]) == " — did you mean 'segment'?"
