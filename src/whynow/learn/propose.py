"""What `whynow learn` proposes (SPEC §9): the model file with the learned points, as text and a diff.

The coefficients, per unit of each rule's feature, are scaled so that the largest equals the model's largest
absolute rule points and rounded to integers. A declared column's feature (a text value, a yes/no column, a
number above one of its quantiles) whose points do not round to 0 becomes a fit rule of its own, appended
to the level's rules with a `when` that holds exactly where the feature did (#23: the model's few starting
rules alone cannot rank as well as the columns they leave out). Thresholds over fit or engagement — the
grades' and every one in a condition (`thresholds.py`) — move to keep the share of the training snapshots
on each side. Comments are kept (ruamel.yaml).
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from whynow.learn.thresholds import (
    Scores,
    engaging_lines,
    grade_lines,
    grade_thresholds,
    move_thresholds,
    snapshot_scores,
    with_header,
)
from whynow.model.check import CompiledModel

Level = Literal["account", "contact"]


@dataclass(frozen=True)
class Feature:
    name: str  # as shown: "fit: Target industry", "engagement: Demo request", "signal: category_surge"
    kind: Literal["fit", "engagement", "signal", "committee", "column"]
    rule: int | None = None  # the rule's index in fit.<level> or engagement.rules
    level: Level = "account"  # for a fit rule: fit.account or fit.contact
    when: str | None = None  # a declared column's 0/1 feature: the condition that holds where it is 1


def propose(
    model: CompiledModel,
    text: str,
    features: Sequence[Feature],
    coefficients: Sequence[float],
    x: np.ndarray[Any, Any] | None = None,
    level: Level | None = None,
    new_rules: bool = True,
) -> tuple[str, list[str]]:
    """The model file with new points for each rule that has a feature, and (`new_rules`) a fit rule for each
    declared column's feature whose points do not round to 0; and, given the training snapshots' features
    `x`, every threshold over fit or engagement moved with the points (grades included, see
    `thresholds.py`), each move listed in a comment on top. `level` is the snapshots' (default: that of the
    fit features, else account)."""
    from ruamel.yaml import YAML

    fit_levels = [f.level for f in features if f.kind == "fit"]
    fit_level: Level = level if level is not None else fit_levels[0] if fit_levels else "account"
    points = {
        "fit": [r.points for r in getattr(model.spec.fit, fit_level)],  # the rules whose points are proposed
        "engagement": [r.points for r in model.spec.engagement.rules],
    }
    # A fit feature is 0/1: its coefficient is the weight of the rule. An engagement feature is the rule's
    # (decayed, capped) points: the weight of one activity is the coefficient times the rule's points.
    rules = [
        (f, c * points["engagement"][f.rule or 0] if f.kind == "engagement" else c)
        for f, c in zip(features, coefficients, strict=True)
        if f.kind in ("fit", "engagement") or (new_rules and f.when is not None)
    ]
    current = [abs(p) for p in points["fit"] + points["engagement"]]
    largest = max((abs(c) for _, c in rules), default=0.0)
    if not rules or largest == 0 or not current:
        return text, []
    scale = max(current) / largest
    new_points = {feature: int(np.rint(coefficient * scale)) for feature, coefficient in rules}
    new_points = {f: p for f, p in new_points.items() if f.when is None or p != 0}
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the style of the reference model: "  rules:\n    - name: …"
    document = yaml.load(text)
    added = _add_rules(document, model, fit_level, [(f, p) for f, p in new_points.items() if f.when is not None])
    for feature, value in new_points.items():
        if feature.when is None:
            section = document["fit"][feature.level] if feature.kind == "fit" else document["engagement"]["rules"]
            assert feature.rule is not None
            section[feature.rule]["points"] = value
    # Under the thresholds' header (`with_header`), so that learning again from the proposal replaces it.
    moves = [f"#   {added} fit rule(s) added from the declared columns (--no-new-rules leaves them out)"] * (added > 0)
    if x is not None:
        scores = _scores(model, features, new_points, x, fit_level)
        moves += _moved(model, document, scores)
    proposed = {f.rule: p for f, p in new_points.items() if f.kind == "engagement"}
    moves += engaging_lines(model, [proposed.get(i, r.points) for i, r in enumerate(model.spec.engagement.rules)])
    out = io.StringIO()
    yaml.dump(document, out)
    proposal = with_header(moves, out.getvalue())
    diff = list(difflib.unified_diff(text.splitlines(), proposal.splitlines(), "model", "proposal", lineterm=""))
    return proposal, diff


def _moved(model: CompiledModel, document: Any, scores: Scores) -> list[str]:
    """The grades and every threshold over fit or engagement moved in `document`; a line per move."""
    from ruamel.yaml.comments import CommentedMap

    moves: list[str] = []
    grades = grade_thresholds(model.grades, scores.old["fit"], scores.new["fit"])
    if "fit" in scores.changed:
        moves += grade_lines(model.grades, grades, scores)
    if grades != dict(model.grades):
        shown = CommentedMap((letter, _number(threshold)) for letter, threshold in grades.items())
        shown.fa.set_flow_style()
        if "grades" in document["fit"]:
            for letter, threshold in grades.items():
                document["fit"]["grades"][letter] = _number(threshold)
        else:
            document["fit"]["grades"] = shown
    return moves + move_thresholds(model, document, scores)


def _add_rules(document: Any, model: CompiledModel, level: Level, rules: Sequence[tuple[Feature, int]]) -> int:
    """Each declared column's feature appended to `fit.<level>` as a rule (flow style, like the reference
    model's), named after the feature and unique among the level's rules."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not rules:
        return 0
    fit = document["fit"]
    section = fit.get(level)
    if section is None or not isinstance(section, CommentedSeq):
        section = fit[level] = CommentedSeq(section or [])
    section.fa.set_block_style()
    taken = {r.name for r in getattr(model.spec.fit, level)}
    for feature, value in rules:
        name = feature.name.removeprefix("column: ")
        while name in taken:
            name += " (learned)"
        taken.add(name)
        rule = CommentedMap([("name", name), ("when", feature.when), ("points", value)])
        rule.fa.set_flow_style()
        section.append(rule)
    return len(rules)


def _scores(
    model: CompiledModel, features: Sequence[Feature], new_points: dict[Feature, int], x: np.ndarray[Any, Any],
    level: Level,
) -> Scores:  # fmt: skip
    """Each snapshot's fit and engagement under the current and the proposed points, from its features: a
    rule added from a column is worth 0 now."""
    fit_rules, engagement_rules = getattr(model.spec.fit, level), model.spec.engagement.rules
    fit = [
        (j, f, fit_rules[f.rule].points if f.kind == "fit" and f.rule is not None else 0)
        for j, f in enumerate(features)
        if (f.kind == "fit" and f.rule is not None and f.level == level) or (f.when is not None and f in new_points)
    ]
    engagement = [(j, f) for j, f in enumerate(features) if f.kind == "engagement" and f.rule is not None]
    return snapshot_scores(
        level,
        x[:, [j for j, _, _ in fit]],
        ([now for _, _, now in fit], [new_points[f] for _, f, _ in fit]),
        x[:, [j for j, _ in engagement]],
        (
            [engagement_rules[f.rule or 0].points for _, f in engagement],
            [new_points[f] for _, f in engagement],
        ),
    )


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
