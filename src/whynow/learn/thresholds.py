"""Thresholds that move with the points (SPEC §9, #23): when `learn` proposes new points, every numeric
threshold over fit, engagement or a score built from them moves so that the share of snapshots on each side
stays as it was under the current points.

A threshold means something only in the points it is measured in: `fit >= 50` over rules now worth 0–30
qualifies another crowd, or nobody. Grades (`fit.grades`) and the conditions that compare fit or engagement
— lead statuses (`leads.*_when`, contact measures), account qualification (`accounts.*`), the journey and
badges (account measures, or contact measures with `for: contact`) — are recalibrated on the snapshots of
the level learned; a condition whose status would lose every member says so in a warning line.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sqlglot import exp

from whynow.model.check import CompiledModel
from whynow.model.conditions import Condition

Level = Literal["account", "contact"]
Values = np.ndarray[Any, Any]
MEASURES = frozenset({"fit", "engagement"})
FIT_LIMIT = 100  # SPEC §4.2: fit is clamped to [-100, 100] (pipeline/fit.py)
DECIMALS = 6  # SPEC §4: fit and engagement are rounded to 6 decimals before they are compared
ENTITIES: dict[Level, str] = {"contact": "contacts", "account": "account-dates"}
HEADER = "# Thresholds moved with the points by `whynow learn` (share of the training snapshots on each side kept):"
HOLDS: dict[str, Callable[[Values, float], Values]] = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
}
FLIPPED = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}  # `40 <= fit` is `fit >= 40`
OPERATORS: dict[type[exp.Expr], str] = {exp.GTE: ">=", exp.GT: ">", exp.LTE: "<=", exp.LT: "<"}
# What a score built from fit and engagement may hold (SPEC §4's arithmetic and numeric functions).
SCORE_NODES = (exp.Column, exp.Identifier, exp.Literal, exp.Paren, exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.Div,
               exp.Abs, exp.Least, exp.Greatest, exp.Coalesce)  # fmt: skip


@dataclass(frozen=True)
class Scores:
    """Each training snapshot's fit and engagement at the level learned, under the current points (`old`)
    and the proposed ones (`new`), and the measures whose points changed."""

    level: Level
    old: Mapping[str, Values]
    new: Mapping[str, Values]
    changed: frozenset[str]


def snapshot_scores(
    level: Level,
    held: Values,
    fit_points: tuple[Sequence[float], Sequence[float]],
    engaged: Values,
    engagement_points: tuple[Sequence[float], Sequence[float]],
) -> Scores:
    """Fit and engagement per snapshot, current and proposed: fit the clamped sum of the points of the rules
    held (`held`, 0/1 per fit rule); engagement the sum of each engagement rule's points (`engaged`), each
    times its rule's proposed ÷ current points (decay and caps stay as they were)."""
    old_fit, new_fit = (np.clip(held @ np.asarray(p, dtype=float), -FIT_LIMIT, FIT_LIMIT) for p in fit_points)
    old_points, new_points = (np.asarray(p, dtype=float) for p in engagement_points)
    ratio = np.divide(new_points, old_points, out=np.zeros_like(new_points), where=old_points != 0)
    old = {"fit": old_fit, "engagement": engaged.sum(axis=1)}
    new = {"fit": new_fit, "engagement": engaged @ ratio}
    changed = {
        name
        for name, (before, after) in (("fit", fit_points), ("engagement", engagement_points))
        if list(map(float, before)) != list(map(float, after))
    }
    return Scores(
        level,
        {k: np.round(v, DECIMALS) for k, v in old.items()},
        {k: np.round(v, DECIMALS) for k, v in new.items()},
        frozenset(changed),
    )


def threshold_for(old_values: Values, new_values: Values, op: str, threshold: float) -> float:
    """The threshold over `new_values` whose share of snapshots on the `op` side is nearest the share of
    `old_values` at `threshold`; among equal shares the nearest the old threshold (the old one itself when it
    still splits the same), written with as few decimals as that allows.

    >>> old, new = np.array([0, 25, 50, 75, 100.0]), np.array([0, 10, 20, 30, 40.0])
    >>> threshold_for(old, new, ">=", 80.0), threshold_for(old, new, "<", 30.0), threshold_for(old, old, ">", 60.0)
    (40.0, 20.0, 60.0)
    """
    if len(old_values) == 0 or len(new_values) == 0:
        return threshold
    share = float(HOLDS[op](old_values, threshold).mean())
    values = sorted({float(v) for v in new_values.tolist() if math.isfinite(v)})
    if not values:
        return threshold
    closed_above = op in (">=", "<")  # the share changes just above each value: intervals (v₋, v]
    edges = [-math.inf, *values, math.inf]
    intervals = [(lo, hi, closed_above) for lo, hi in itertools.pairwise(edges)]

    def shares(interval: tuple[float, float, bool]) -> float:
        lo, hi, _ = interval
        inside = hi if closed_above else lo
        if not math.isfinite(inside):
            inside = (lo + 1) if closed_above else (hi - 1)
        return float(HOLDS[op](new_values, inside).mean())

    def distance(interval: tuple[float, float, bool]) -> float:
        lo, hi, _ = interval
        return max(lo - threshold, threshold - hi, 0.0)

    best = min(intervals, key=lambda i: (abs(shares(i) - share), distance(i)))
    return _simplest(*best, toward=threshold)


def _simplest(lo: float, hi: float, closed_above: bool, toward: float) -> float:
    """The number with the fewest decimals in the interval (lo, hi] (or [lo, hi) when not `closed_above`)
    nearest `toward`: `toward` itself when it is inside."""

    def inside(c: float) -> bool:
        return lo < c <= hi if closed_above else lo <= c < hi

    if inside(toward):
        return toward
    from_above = toward >= hi
    for decimals in range(DECIMALS + 1):
        step = 10.0**-decimals
        if from_above:
            c = round(math.floor(hi / step) * step, decimals)
            c = c if inside(c) else round(c - step, decimals)
        else:
            c = round(math.ceil(lo / step) * step, decimals)
            c = c if inside(c) else round(c + step, decimals)
        if inside(c):
            return c
    return hi if from_above else lo


def grade_thresholds(grades: Sequence[tuple[str, float]], old_fit: Values, new_fit: Values) -> dict[str, float]:
    """Grade thresholds for the proposed points that keep the share of snapshots at or above each grade as
    it is under the current points (a grade's threshold otherwise means something else once the points
    change): per grade, the new fit value whose share is nearest, then the one nearest the old threshold.
    The current thresholds when the new ones would not keep the grades in order.

    >>> old, new = np.array([0, 25, 50, 75, 100.0]), np.array([0, 10, 20, 30, 40.0])
    >>> grade_thresholds((("A", 80.0), ("B", 50.0)), old, new)
    {'A': 40.0, 'B': 20.0}
    >>> grade_thresholds((("A", 80.0), ("B", 50.0)), old, old)
    {'A': 80.0, 'B': 50.0}
    """
    current = {letter: float(threshold) for letter, threshold in grades}
    proposed = {letter: threshold_for(old_fit, new_fit, ">=", float(t)) for letter, t in grades}
    values = list(proposed.values())  # model.grades is ordered from the highest threshold down
    if any(a <= b for a, b in itertools.pairwise(values)):
        return current
    return proposed


@dataclass(frozen=True)
class Comparison:
    """One threshold in a condition: `score op threshold`, with the span [start, end] of the number in the
    condition's text."""

    score: exp.Expr
    op: str
    threshold: float
    start: int
    end: int


@dataclass(frozen=True)
class Moved:
    """What recalibration did to one condition (or grade): its text before and after, and per comparison
    the share of snapshots for which it held before and holds after."""

    where: str  # leads.mql_when, badge hot, fit.grades.A
    before: str
    after: str
    shares: list[tuple[str, float, float]]  # (the comparison as now written, share before, share after)
    entities: str

    def lines(self) -> list[str]:
        """The proposal's comment lines: the move, and a warning for each comparison that loses every member."""
        each = [f"{pct(b)} of {self.entities} before, {pct(a)} after" for _, b, a in self.shares]
        if len(self.shares) > 1:
            each = [f"{text}: {share}" for (text, _, _), share in zip(self.shares, each, strict=True)]
        moved = self.after != self.before
        return [f"#   {self.where}: {self.before} → {self.after} ({'; '.join(each)})"] * moved + [
            f"# warning: {self.where}: {text} held for {pct(before)} of the {self.entities} under the current "
            "points and holds for none under the proposed ones; it would have no members"
            for text, before, after in self.shares
            if before > 0 and after == 0
        ]


def pct(share: float) -> str:
    return f"{share:.1%}"


def condition_level(model: CompiledModel, path: tuple[str | int, ...]) -> Level | None:
    """Whose fit and engagement a condition compares: a contact's in leads and `for: contact` badges, an
    account's in accounts, journey and the other badges; None where fit and engagement are not measures."""
    if path[0] == "leads":
        return "contact"
    if path[0] in ("accounts", "journey"):
        return "account"
    if path[:2] == ("badges", "definitions") and path[-1] == "when" and isinstance(path[2], int):
        return "contact" if model.spec.badges.definitions[path[2]].for_ == "contact" else "account"
    return None


def condition_name(model: CompiledModel, path: tuple[str | int, ...]) -> str:
    """How a report names the condition: leads.mql_when, accounts.mqa_when_tier.1, journey engaged, badge hot."""
    if path[0] == "journey" and isinstance(path[1], int):
        return f"journey {model.spec.journey[path[1]].stage}"
    if path[0] == "badges" and isinstance(path[2], int):
        return f"badge {model.spec.badges.definitions[path[2]].id}"
    return ".".join(map(str, path))


def comparisons(condition: Condition, measures: frozenset[str]) -> tuple[list[Comparison], list[str]]:
    """The condition's thresholds over a score of `measures` (and numbers), and the comparisons that name one
    of `measures` but cannot be recalibrated (`fit > engaged_contacts`, a threshold that is not a number)."""
    found: list[Comparison] = []
    fixed: list[str] = []
    for node in condition.tree.walk():
        sides: list[tuple[exp.Expr, str, exp.Expr]] = []
        if type(node) in OPERATORS:
            op = OPERATORS[type(node)]
            sides = [(node.this, op, node.expression), (node.expression, FLIPPED[op], node.this)]
        elif isinstance(node, exp.Between):
            sides = [(node.this, ">=", node.args["low"]), (node.this, "<=", node.args["high"])]
        else:
            continue
        if not _names(node) & measures:
            continue
        here = [
            Comparison(score, op, *number)
            for score, op, bound in sides
            if _is_score(score) and _names(score) & measures and (number := _number(bound, condition.text))
        ]
        if not here or (isinstance(node, exp.Between) and len(here) < 2):
            fixed.append(node.sql(dialect="duckdb"))
        else:
            found += here
    return found, fixed


def _names(node: exp.Expr) -> set[str]:
    return {c.name for c in node.find_all(exp.Column)}


def _is_score(node: exp.Expr) -> bool:
    return (
        all(isinstance(n, SCORE_NODES) and not (isinstance(n, exp.Literal) and n.is_string) for n in node.walk())
        and _names(node) <= MEASURES
    )


def _number(node: exp.Expr, text: str) -> tuple[float, int, int] | None:
    """A numeric literal's value and the span of its text (with its minus sign), or None."""
    sign = 1.0
    literal = node
    if isinstance(node, exp.Neg):
        sign, literal = -1.0, node.this
    if not isinstance(literal, exp.Literal) or literal.is_string or "start" not in literal.meta:
        return None
    start, end = int(literal.meta["start"]), int(literal.meta["end"])
    try:
        value = sign * float(text[start : end + 1])
    except ValueError:
        return None
    if value != sign * float(literal.name):
        return None  # the span is not the number: leave the condition as written
    if sign < 0:
        before = text[:start].rstrip()
        if not before.endswith("-"):
            return None
        start = len(before) - 1
    return value, start, end


def evaluate(score: exp.Expr, values: Mapping[str, Values]) -> Values:
    """A score built from fit and engagement (SCORE_NODES), for every snapshot; SQL's NULL of a division by
    zero is NaN, which holds for no comparison."""
    if isinstance(score, exp.Column):
        return np.asarray(values[score.name], dtype=float)
    if isinstance(score, exp.Literal):
        return np.asarray(float(score.name))
    if isinstance(score, (exp.Paren, exp.Coalesce)):  # fit and engagement are never NULL
        return evaluate(score.this, values)
    if isinstance(score, exp.Neg):
        return -evaluate(score.this, values)
    if isinstance(score, exp.Abs):
        return np.abs(evaluate(score.this, values))
    if isinstance(score, (exp.Least, exp.Greatest)):
        pick = np.minimum if isinstance(score, exp.Least) else np.maximum
        result = evaluate(score.this, values)
        for other in score.expressions:
            result = pick(result, evaluate(other, values))
        return result
    left, right = evaluate(score.this, values), evaluate(score.expression, values)
    if isinstance(score, exp.Add):
        return left + right
    if isinstance(score, exp.Sub):
        return left - right
    if isinstance(score, exp.Mul):
        return left * right
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(right == 0, np.nan, left / np.where(right == 0, 1.0, right))


def written(value: float) -> str:
    """A threshold as a model writes it: 40, 2.5, -10."""
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def recalibrate(condition: Condition, scores: Scores, level: Level, where: str) -> Moved | str:
    """The condition with each threshold over a measure whose points changed moved, or why it stays as
    written although its measure changes."""
    changing = scores.changed if level == scores.level else scores.changed - {"fit"}  # fit is per level
    found, fixed = comparisons(condition, frozenset(changing))
    entities = ENTITIES[scores.level]
    if found and level != scores.level:
        return f"it compares the engagement of {level}s, which the {entities} learned from do not hold"
    if fixed:
        return f"{', '.join(fixed)} compares what the snapshots do not hold"
    text, shares, edits = condition.text, [], []
    for comparison in found:
        old = evaluate(comparison.score, scores.old)
        new = evaluate(comparison.score, scores.new)
        moved = threshold_for(old, new, comparison.op, comparison.threshold)
        before = float(HOLDS[comparison.op](old, comparison.threshold).mean())
        after = float(HOLDS[comparison.op](new, moved).mean())
        shares.append((f"{comparison.score.sql(dialect='duckdb')} {comparison.op} {written(moved)}", before, after))
        if moved != comparison.threshold:
            edits.append((comparison.start, comparison.end, written(moved)))
    for start, end, number in sorted(edits, reverse=True):
        text = text[:start] + number + text[end + 1 :]
    return Moved(where, condition.text, text, shares, entities)


def move_thresholds(model: CompiledModel, document: Any, scores: Scores) -> list[str]:
    """Move the thresholds of every condition over fit or engagement in `document` (the model file as
    ruamel.yaml reads it, comments kept): the proposal's comment lines that say what moved, what could not,
    and which condition would lose every member."""
    lines: list[str] = []
    for path, condition in model.conditions.items():
        level = condition_level(model, path)
        if level is None:
            continue
        where = condition_name(model, path)
        moved = recalibrate(condition, scores, level, where)
        if isinstance(moved, str):
            lines.append(f"# not moved: {where}: {moved}; check it by hand")
        elif moved.after != moved.before and not _rewrite(document, path, moved.before, moved.after):
            lines.append(f"# not moved: {where}: the file's text is not the condition (a ${{…}}?); check it by hand")
        else:
            lines += moved.lines()
    return lines


# The measures that count engaging activities (those matching a rule with positive points, SPEC §4.4) or
# the contacts they engage, and the qualifications that may read them.
ENGAGING = frozenset({"engaged", "recent_activities", "engaged_contacts", "activities", "anonymous_activities",
                      "committee_roles_engaged", "top_contact", "top_contact_id", "top_contact_title",
                      "top_contact_department"})  # fmt: skip


def engaging_lines(model: CompiledModel, proposed: Sequence[float]) -> list[str]:
    """A warning line when engagement rules with positive points (whose activities engage a contact) have
    none under the `proposed` points (one per engagement rule): every measure of engaged contacts and
    engaging activities counts fewer, none when no rule is left positive, and no threshold can move to make
    up for it. The line names the conditions that read them (and those that read `mqa`/`sqa` when the
    qualification does)."""
    rules = model.spec.engagement.rules
    lost = [f"{r.name} {_number_text(r.points)} → {_number_text(new)}"
            for r, new in zip(rules, proposed, strict=True) if r.points > 0 >= new]  # fmt: skip
    if not lost:
        return []
    names = ENGAGING | {f"engaged_{role}" for role in model.spec.buying_committee.roles}
    readers = {path for path, c in model.conditions.items() if _names(c.tree) & names}
    qualified = {str(path[1]).removesuffix("_when") for path in readers if path[0] == "accounts"} & {"mqa", "sqa"}
    readers |= {path for path, c in model.conditions.items() if _names(c.tree) & qualified}
    read = ", ".join(sorted({condition_name(model, path) for path in readers}))
    read = f", and {read} read engaged contacts" if read else ""
    rules_lost = ", ".join(lost[:-1]) + " and " + lost[-1] if len(lost) > 1 else lost[0]
    if any(new > 0 for new in proposed):
        what = f"{rules_lost} no longer engage contacts: fewer are engaged or anyone's top contact{read}"
    else:
        what = f"no engagement rule earns points under the proposal ({rules_lost}): no contact is engaged, "
        what += f"nobody is an account's top contact{read}"
    return [f"# warning: {what}; compare the replay's counts below, or keep a rule's points above 0"]


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _rewrite(document: Any, path: tuple[str | int, ...], before: str, after: str) -> bool:
    """Put `after` where the file holds `before`, in the same quoting style; False when it does not."""
    try:
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        current = parent[path[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    if str(current) != before:
        return False
    parent[path[-1]] = type(current)(after) if isinstance(current, str) else after
    return True


def grade_lines(grades: Sequence[tuple[str, float]], proposed: Mapping[str, float], scores: Scores) -> list[str]:
    """The proposal's comment lines for the grades: each move with its shares, a warning for an emptied one."""
    lines: list[str] = []
    for letter, threshold in grades:
        after = proposed[letter]
        moved = Moved(
            f"fit.grades.{letter}",
            written(threshold),
            written(after),
            [
                (
                    f"fit >= {written(after)}",
                    float((scores.old["fit"] >= threshold).mean()),
                    float((scores.new["fit"] >= after).mean()),
                )
            ],
            ENTITIES[scores.level],
        )
        lines += moved.lines()
    return lines


def with_header(lines: Sequence[str], proposal: str) -> str:
    """The proposal with the lines on top, under HEADER (without the previous learn's, if it had them)."""
    kept = proposal.splitlines(keepends=True)
    if kept and kept[0].rstrip("\n") == HEADER:
        ours = ("#   ", "# warning: ", "# not moved: ")
        kept = list(itertools.dropwhile(lambda line: line.startswith(ours), kept[1:]))
    if not lines:
        return "".join(kept)
    return "\n".join([HEADER, *lines]) + "\n" + "".join(kept)
