"""Check a schema-valid model against itself and SPEC §4: names, conditions, signals, templates.

The result is a `CompiledModel`: the validated spec with every condition parsed, checked and typed in
its scope, every signal's measure resolved and every narrative template parsed — what the pipeline
compiles to Ibis and what `whynow check` describes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from whynow.data.contract import (
    CONTACT_LEVEL_TABLES,
    OPPORTUNITY_HORIZON_COLUMNS,
    TABLES,
    ColumnType,
    canonical_type,
)
from whynow.errors import ModelProblem, did_you_mean
from whynow.model.conditions import Condition, ConditionInvalid, Expect, check_condition
from whynow.model.links import LEVELS, Level, LinkInvalid, LinkTemplate, check_link
from whynow.model.locate import Locator
from whynow.model.locate import Path as KeyPath
from whynow.model.measures import Measure, MeasureSyntaxError, parse_measure
from whynow.model.schema import ARCHETYPES, DEFAULT_MOTIONS, Archetype, Model, Signal
from whynow.model.scope import (
    ACCOUNT_MEASURES,
    ACCOUNT_PLACEHOLDERS,
    CONTACT_MEASURES,
    CONTACT_PLACEHOLDERS,
    LEAD_STATUS,
    Scope,
    Scopes,
    build_scopes,
    signal_table_columns,
    table_columns,
)
from whynow.model.templates import Template, TemplateInvalid, check_template


@dataclass(frozen=True)
class CompiledSignal:
    """A signal with its measure parsed and its result typed (SPEC §4.7)."""

    name: str
    table: str
    where: Condition | None
    within_days: int | None
    measure: Measure
    level: Literal["account", "contact"]
    type: ColumnType


@dataclass(frozen=True)
class CompiledModel:
    """A checked model: the spec plus every condition, signal and template, ready to compile."""

    spec: Model
    file: str
    scopes: Scopes
    conditions: Mapping[KeyPath, Condition]
    signals: Mapping[str, CompiledSignal]
    templates: Mapping[str, Template]
    motions: Mapping[Archetype, str]
    grades: tuple[tuple[str, float], ...]
    fallback_grade: str
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    links: Mapping[Level, LinkTemplate] = field(default_factory=dict)  # SPEC §5: the CRM's record pages
    text: str = ""
    hash: str = ""

    @property
    def name(self) -> str:
        return self.spec.model

    @property
    def declared_columns(self) -> dict[str, Mapping[str, ColumnType]]:
        """The model's `columns:` section, table name → column → type."""
        return declared_columns(self.spec)

    def condition(self, *path: str | int) -> Condition | None:
        """The checked condition at a YAML path, e.g. `condition("fit", "account", 0, "when")`."""
        return self.conditions.get(path)

    def with_source(self, text: str, digest: str) -> CompiledModel:
        return replace(self, text=text, hash=digest)


def declared_columns(spec: Model) -> dict[str, Mapping[str, ColumnType]]:
    return {str(table): columns for table, columns in spec.columns.items()}


def check_model(
    spec: Model,
    locator: Locator,
    problems: list[ModelProblem],
    unchecked_signals: Iterable[str] = (),
    unchecked_roles: Iterable[str] = (),
    failed_sections: Iterable[str] = (),
) -> CompiledModel:
    """Check everything that `spec` says beyond its shape; append problems, return what compiled.

    Signals and roles set aside for a schema problem (already reported) may still be named by other
    rules without a second, misleading "unknown name"; sections that failed whole (now defaults) are
    not cross-checked against the rest.
    """
    checker = _Checker(spec, locator, problems, set(unchecked_signals))
    checker.unchecked_roles = set(unchecked_roles)
    checker.failed_sections = set(failed_sections)
    return checker.run()


class _Checker:
    def __init__(
        self, spec: Model, locator: Locator, problems: list[ModelProblem], unchecked_signals: set[str]
    ) -> None:
        self.spec = spec
        self.locator = locator
        self.problems = problems
        self.unchecked_signals = unchecked_signals
        self.declared = declared_columns(spec)
        self.unchecked_roles: set[str] = set()
        self.failed_sections: set[str] = set()
        self.conditions: dict[KeyPath, Condition] = {}

    def report(self, path: KeyPath, message: str, text: str | None = None) -> None:
        self.problems.append(self.locator.problem(path, message, text))

    def condition(self, path: KeyPath, text: str | None, scope: Scope, expect: Expect = "boolean") -> None:
        if text is None:
            return
        try:
            self.conditions[path] = check_condition(text, scope, expect)
        except ConditionInvalid as e:
            for issue in e.issues:
                self.problems.append(self.locator.problem(path, issue.message, *excerpt(text, issue.start, issue.end)))

    def run(self) -> CompiledModel:
        spec = self.spec
        self.check_columns()
        roles = self.check_roles()
        signals = self.check_signals()
        unknown: dict[str, ColumnType | None] = dict.fromkeys(self.unchecked_signals)
        unknown.update(dict.fromkeys(f"engaged_{role}" for role in self.unchecked_roles))
        account_signals = {**unknown, **{s.name: s.type for s in signals.values() if s.level == "account"}}
        contact_signals = {**unknown, **{s.name: s.type for s in signals.values() if s.level == "contact"}}
        scopes = build_scopes(self.declared, account_signals, contact_signals, roles)
        for name, sig in spec.signals.items():
            scope = scopes.signal_tables[sig.from_]
            self.condition(("signals", name, "where"), sig.where, scope)
            if ("signals", name, "where") in self.conditions and name in signals:
                signals[name] = replace(signals[name], where=self.conditions[("signals", name, "where")])
        self.check_fit(scopes)
        grades, fallback = self.check_grades()
        self.check_engagement(scopes)
        for key in ("disqualify_when", "sql_when", "mql_when", "nurture_when"):
            self.condition(("leads", key), getattr(spec.leads, key), scopes.lead)
        for role, text in spec.buying_committee.roles.items():
            self.condition(("buying_committee", "roles", role), text, scopes.role)
        self.check_accounts(scopes)
        self.check_journey(scopes)
        templates = self.check_badges(scopes)
        self.condition(("capacity", "rank_by"), spec.capacity.rank_by, scopes.account, "number")
        motions = {**DEFAULT_MOTIONS, **spec.badges.motions}
        links = self.check_links()
        return CompiledModel(
            spec=spec,
            file=self.locator.file,
            scopes=scopes,
            conditions=self.conditions,
            signals=signals,
            templates=templates,
            motions=motions,
            grades=grades,
            fallback_grade=fallback,
            lines=dict(self.locator.lines),
            links=links,
        )

    def check_columns(self) -> None:
        # SPEC §4.1 "no two names clash": a declared column may not take a measure's or placeholder's name.
        taken: dict[str, Mapping[str, ColumnType]] = {
            "accounts": {**ACCOUNT_MEASURES, **ACCOUNT_PLACEHOLDERS},
            "contacts": {**CONTACT_MEASURES, **LEAD_STATUS, **CONTACT_PLACEHOLDERS},
            "opportunities": OPPORTUNITY_HORIZON_COLUMNS,
        }
        for table, columns in self.spec.columns.items():
            canonical = {c.name: c.type for c in TABLES[table].columns}
            for name, kind in columns.items():
                if name in taken.get(table, {}):
                    self.report(
                        ("columns", table, name),
                        f"'{name}' is the name of a built-in {table[:-1]} measure; rename the column in the data "
                        "and here",
                    )
                elif name in canonical and canonical[name] != kind:
                    self.report(
                        ("columns", table, name),
                        f"'{name}' is a canonical {table} column of type {canonical[name]}, not {kind}; "
                        "remove it from columns:",
                    )
                elif not name.isidentifier():
                    self.report(("columns", table, name), f"'{name}' is not a plain name (letters, digits, _)")

    def check_roles(self) -> list[str]:
        roles = list(self.spec.buying_committee.roles)
        for role in roles:
            path: KeyPath = ("buying_committee", "roles", role)
            if not role.isidentifier():
                self.report(path, f"role '{role}' must be a plain name (letters, digits, _)")
            elif role == "other":
                self.report(path, "'other' is the role of contacts no role matches; choose another name")
            elif f"engaged_{role}" in ACCOUNT_MEASURES or f"engaged_{role}" in table_columns("accounts", self.declared):
                self.report(path, f"role '{role}' would make a measure engaged_{role} that already exists")
        bc = self.spec.buying_committee
        cross_checkable = not self.failed_sections & {"engagement", "buying_committee"}
        if cross_checkable and bc.engaged_within_days > self.spec.engagement.lookback_days:
            self.report(
                ("buying_committee", "engaged_within_days"),
                f"engaged_within_days ({bc.engaged_within_days}) may not exceed engagement.lookback_days "
                f"({self.spec.engagement.lookback_days}): the engaged window lies inside the lookback",
            )
        return roles

    def check_signals(self) -> dict[str, CompiledSignal]:
        compiled: dict[str, CompiledSignal] = {}
        declared = self.declared
        taken_account = {**ACCOUNT_MEASURES, **table_columns("accounts", declared)}
        taken_contact = {**CONTACT_MEASURES, **LEAD_STATUS, **table_columns("contacts", declared)}
        for role in self.spec.buying_committee.roles:
            taken_account[f"engaged_{role}"] = "integer"
        for name, sig in self.spec.signals.items():
            path: KeyPath = ("signals", name)
            if not name.isidentifier():
                self.report(path, f"signal name '{name}' must be a plain name (letters, digits, _)")
                continue
            taken = taken_account if sig.level == "account" else taken_contact
            if name in taken or name in CONTACT_PLACEHOLDERS:
                self.report(
                    path, f"signal '{name}' has the name of a {sig.level} column, measure or placeholder; rename it"
                )
                continue
            if sig.level == "contact" and sig.from_ not in CONTACT_LEVEL_TABLES:
                self.report(
                    (*path, "level"),
                    f"level: contact needs a table with contact_id ({', '.join(CONTACT_LEVEL_TABLES)}), "
                    f"not {sig.from_}",
                )
                continue
            measured = self.check_measure(name, sig)
            if measured is not None:
                compiled[name] = measured
        return compiled

    def check_measure(self, name: str, sig: Signal) -> CompiledSignal | None:
        path: KeyPath = ("signals", name, "measure")
        try:
            measure = parse_measure(sig.measure)
        except MeasureSyntaxError as e:
            self.report(path, str(e), sig.measure)
            return None
        columns = signal_table_columns(sig.from_, self.declared)
        column_type: ColumnType | None = None
        if measure.column is not None:
            column_type = columns.get(measure.column)
            if column_type is None:
                self.report(
                    path,
                    f"{sig.from_} has no column '{measure.column}'{did_you_mean(measure.column, columns)}",
                    sig.measure,
                )
                return None
            if measure.kind == "sum" and column_type not in ("integer", "number"):
                self.report(path, f"sum needs a numeric column; {measure.column} is {column_type}", sig.measure)
                return None
        result = measure.result_type(column_type)
        return CompiledSignal(name, sig.from_, None, sig.within_days, measure, sig.level, result)

    def check_fit(self, scopes: Scopes) -> None:
        for level, scope in (("account", scopes.account_fit), ("contact", scopes.contact_fit)):
            rules = getattr(self.spec.fit, level)
            self.unique(("fit", level), [r.name for r in rules], "rule name")
            for i, rule in enumerate(rules):
                self.condition(("fit", level, i, "when"), rule.when, scope)

    def check_grades(self) -> tuple[tuple[tuple[str, float], ...], str]:
        grades = self.spec.fit.grades
        letters = list(grades)
        bad = [g for g in letters if len(g) != 1 or not ("A" <= g <= "Y")]
        if bad or not letters:
            self.report(
                ("fit", "grades"),
                "grades are single capital letters A–Y with thresholds, e.g. {A: 80, B: 60}",
            )
            return (("A", 80.0), ("B", 60.0), ("C", 40.0)), "D"
        ordered = tuple(sorted(grades.items(), key=lambda kv: -kv[1]))
        # SPEC §4.2: the letter after the last one given (D for {A, B, C}); "last" alphabetically, so that
        # {B: 60, A: 80} falls back to C rather than repeating B.
        return ordered, chr(ord(max(letters)) + 1)

    def check_engagement(self, scopes: Scopes) -> None:
        rules = self.spec.engagement.rules
        self.unique(("engagement", "rules"), [r.name for r in rules], "rule name")
        for i, rule in enumerate(rules):
            self.condition(("engagement", "rules", i, "when"), rule.when, scopes.activity)

    def check_accounts(self, scopes: Scopes) -> None:
        acc = self.spec.accounts
        self.condition(("accounts", "target_when"), acc.target_when, scopes.target)
        self.condition(("accounts", "mqa_when"), acc.mqa_when, scopes.mqa)
        for tier, text in acc.mqa_when_tier.items():
            self.condition(("accounts", "mqa_when_tier", tier), text, scopes.mqa)
        self.condition(("accounts", "sqa_when"), acc.sqa_when, scopes.sqa)

    def check_journey(self, scopes: Scopes) -> None:
        journey = self.spec.journey
        self.unique(("journey",), [s.stage for s in journey], "stage")
        for i, stage in enumerate(journey):
            if stage.when is None and i != len(journey) - 1:
                self.report(("journey", i), f"only the last stage may omit `when`; '{stage.stage}' is not last")
            self.condition(("journey", i, "when"), stage.when, scopes.account)

    def check_badges(self, scopes: Scopes) -> dict[str, Template]:
        badges = self.spec.badges
        if sorted(badges.precedence) != sorted(ARCHETYPES):
            self.report(
                ("badges", "precedence"),
                f"precedence must list each archetype exactly once ({', '.join(ARCHETYPES)}); "
                f"got {', '.join(badges.precedence)}",
            )
        self.unique(("badges", "definitions"), [d.id for d in badges.definitions], "badge id")
        accounts = table_columns("accounts", self.declared)
        templates: dict[str, Template] = {}
        for i, badge in enumerate(badges.definitions):
            path: KeyPath = ("badges", "definitions", i)
            contact = badge.for_ == "contact"
            self.condition((*path, "when"), badge.when, scopes.contact_badge if contact else scopes.account)
            if accounts.get(badge.route_to) != "text":
                text_columns = [c for c, t in accounts.items() if t == "text"]
                self.report(
                    (*path, "route_to"),
                    f"route_to must name an accounts column holding a rep id; '{badge.route_to}' is not one"
                    f"{did_you_mean(badge.route_to, text_columns)}",
                )
            scope = scopes.contact_template if contact else scopes.account_template
            try:
                templates[badge.id] = check_template(badge.why, scope)
            except TemplateInvalid as e:
                for issue in e.issues:
                    self.problems.append(
                        self.locator.problem((*path, "why"), issue.message, badge.why, issue.start, issue.end)
                    )
        return templates

    def check_links(self) -> dict[Level, LinkTemplate]:
        """SPEC §5: a template with an unknown placeholder is a load-time error; so is a URL that does not
        open a web page (`javascript:` …). An empty template (`${CRM_URL:-}`) is no link."""
        links: dict[Level, LinkTemplate] = {}
        for level in LEVELS:
            text = getattr(self.spec.links, level)
            if not text:
                continue
            try:
                links[level] = check_link(text, level, self.declared)
            except LinkInvalid as e:
                for message, start, end in e.issues:
                    self.problems.append(self.locator.problem(("links", level), message, text, start, end))
        return links

    def unique(self, path: KeyPath, names: list[str], what: str) -> None:
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                self.report((*path, i), f"{what} '{name}' is used twice; {what}s must be unique")
            seen.add(name)


SHOWN = 160  # characters of a long condition shown around the caret


def excerpt(text: str, start: int | None, end: int | None) -> tuple[str, int | None, int | None]:
    """A long condition cut to the part around the caret, so a 50,000-character IN list is not printed whole.

    >>> text, start, end = excerpt("a" * 500 + "bcd" + "e" * 500, 500, 502)
    >>> len(text), text[start : end + 1]
    (162, 'bcd')
    """
    if len(text) <= 2 * SHOWN:
        return text, start, end
    at = start or 0
    first = max(0, at - SHOWN // 2)
    last = min(len(text), first + SHOWN)
    head, tail = ("…" if first else ""), ("…" if last < len(text) else "")
    shift = len(head) - first

    def moved(offset: int | None) -> int | None:
        return None if offset is None else min(offset, last - 1) + shift

    return head + text[first:last] + tail, moved(start), moved(end)


__all__ = ["CompiledModel", "CompiledSignal", "canonical_type", "check_model"]
