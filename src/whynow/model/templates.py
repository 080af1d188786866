"""Narrative templates (SPEC §4.8): `{placeholder}` and `{placeholder:format}` checked at load time.

Rendering lives in the pipeline's narrative stage; here a template is parsed, each placeholder is
checked against the names of its scope, and each format spec is tried on a value of the right type.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass

from whynow.errors import did_you_mean
from whynow.model.conditions import ConditionIssue
from whynow.model.scope import Scope

# A sample of each type to try a format spec on. Numbers format as numbers; every other value is
# printed as text first (booleans as yes/no, dates as YYYY-MM-DD), so its spec applies to text.
_SAMPLES: dict[str, object] = {"integer": 1234, "number": 1234.5}
MAX_FORMAT_WIDTH = 200  # width and precision of a format spec: `{account:>2000000000}` would take gigabytes
# Python's format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d*))?(?P<type>[a-zA-Z%]?)", re.DOTALL
)


@dataclass(frozen=True)
class Placeholder:
    name: str
    format_spec: str


@dataclass(frozen=True)
class Template:
    text: str
    placeholders: tuple[Placeholder, ...]


class TemplateInvalid(Exception):
    def __init__(self, issues: list[ConditionIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(i.message for i in issues))


def check_template(text: str, scope: Scope) -> Template:
    """Parse `text` and check its placeholders against `scope`.

    >>> from whynow.model.scope import Scope
    >>> t = check_template("{account} renews in {days:,d} days", Scope("t", {"account": "text", "days": "integer"}))
    >>> [p.name for p in t.placeholders]
    ['account', 'days']
    """
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as e:
        raise TemplateInvalid(
            [ConditionIssue(f"cannot read the template: {e}; write {{{{ for a literal brace")]
        ) from None
    issues: list[ConditionIssue] = []
    placeholders: list[Placeholder] = []
    cursor = 0
    for literal, field, spec, conversion in parts:
        cursor += len(literal)
        if field is None:
            continue
        start = text.find("{", cursor)
        end = text.find("}", start)
        cursor = end + 1
        issue = _check_placeholder(field, spec or "", conversion, scope)
        if issue:
            issues.append(ConditionIssue(issue, start, end))
        else:
            placeholders.append(Placeholder(field, spec or ""))
    if issues:
        raise TemplateInvalid(issues)
    return Template(text, tuple(placeholders))


def _check_placeholder(field: str, spec: str, conversion: str | None, scope: Scope) -> str | None:
    if not field:
        return "empty placeholder {}; name a column, measure or signal inside the braces"
    if conversion is not None:
        return f"'!{conversion}' is not supported in {{{field}}}; use a format spec after ':'"
    if not field.isidentifier():
        return f"'{field}' is not a plain name; placeholders name a column, measure or signal"
    kind = scope.type_of(field)
    if kind is None:
        return f"unknown placeholder '{{{field}}}' in {scope.title}{did_you_mean(field, scope.names)}"
    if "{" in spec:
        return f"nested placeholders are not supported in {{{field}:{spec}}}"
    too_big = _too_big(spec)
    if too_big:
        return f"format spec ':{spec}' of {field}: {too_big}"
    sample = _SAMPLES.get(kind, dt.date(2026, 1, 1).isoformat() if kind == "date" else "text")
    try:
        format(sample, spec)
    except (ValueError, TypeError) as e:
        return f"format spec ':{spec}' does not fit {field} ({kind}): {e}"
    return None


def _too_big(spec: str) -> str | None:
    """Why a format spec would print something no narrative needs, before it is tried on a value."""
    parsed = _SPEC.fullmatch(spec)
    if parsed is None:  # not a format spec at all: format() says why; only its size must not run away
        widest = max((int(n) for n in re.findall(r"\d+", spec)), default=0)
        too_wide = widest > MAX_FORMAT_WIDTH
        return f"a width or precision of {widest} is more than {MAX_FORMAT_WIDTH} characters" if too_wide else None
    for part in ("width", "precision"):
        value = int(parsed.group(part) or 0)
        if value > MAX_FORMAT_WIDTH:
            return f"{part} {value} is more than the {MAX_FORMAT_WIDTH} characters a narrative may use"
    if parsed.group("type") == "c":
        return "':c' prints the character with that code, never a narrative; use d for the number"
    return None
