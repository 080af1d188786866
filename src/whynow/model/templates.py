"""Narrative templates (SPEC §4.8): placeholders, fallbacks, optional segments and plurals, checked at load time.

Rendering lives in the pipeline's narrative stage; here a template is read left to right into literal
text, placeholders and segments, each placeholder is checked against the names of its scope, and each
format spec is tried on a value of the right type. Every problem names its 1-based column.

    {name}  {name:,.0f}         a value, with a Python format spec
    {name|text}                 `text` where the value is NULL or empty text
    {name:plural:one:many}      `one` for 1 or -1, else `many`
    [ … ]                       left out whole when a placeholder inside has no value, 0 or false
    {{ }} [[ ]]                 a brace, a bracket
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from whynow.model.conditions import ConditionIssue
from whynow.model.scope import Scope, unknown_name_hint

# A sample of each type to try a format spec on. Numbers format as numbers; every other value is
# printed as text first (booleans as yes/no, dates as YYYY-MM-DD), so its spec applies to text.
_SAMPLES: dict[str, object] = {"integer": 1234, "number": 1234.5}
MAX_FORMAT_WIDTH = 200  # width and precision of a format spec: `{account:>2000000000}` would take gigabytes
# Python's format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d*))?(?P<type>[a-zA-Z%]?)", re.DOTALL
)
_PLURAL = "plural"
_NOT_IN_FALLBACK = "|[]"  # a fallback is literal text (SPEC §4.8); braces are refused as nested placeholders
_ESCAPES = ("{{", "}}", "[[", "]]")  # each prints its character once; read left to right


@dataclass(frozen=True)
class Placeholder:
    """`{name:format_spec}`, `{name|fallback}` or `{name:plural:one:many}` (then `plural` is (one, many))."""

    name: str
    format_spec: str = ""
    fallback: str | None = None
    plural: tuple[str, str] | None = None


@dataclass(frozen=True)
class Segment:
    """`[ … ]`: left out whole when a placeholder inside is NULL, empty text, 0 or false (SPEC §4.8)."""

    parts: tuple[str | Placeholder, ...]


@dataclass(frozen=True)
class Template:
    text: str
    placeholders: tuple[Placeholder, ...]  # every one, segments' included, in the order written
    parts: tuple[str | Placeholder | Segment, ...]


class TemplateInvalid(Exception):
    def __init__(self, issues: list[ConditionIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(i.message for i in issues))


def check_template(text: str, scope: Scope) -> Template:
    """Read `text` and check its placeholders against `scope`.

    >>> from whynow.model.scope import Scope
    >>> t = check_template("{account} renews[ in {days:,d} days]", Scope("t", {"account": "text", "days": "integer"}))
    >>> [p.name for p in t.placeholders]
    ['account', 'days']
    """
    reader = _Reader(text, scope)
    parts = reader.read()
    if reader.issues:
        raise TemplateInvalid(reader.issues)
    placeholders = [p for part in parts for p in (part.parts if isinstance(part, Segment) else (part,))]
    return Template(text, tuple(p for p in placeholders if isinstance(p, Placeholder)), tuple(parts))


class _Reader:
    """One pass, left to right, over a template: literal text, placeholders and segments, and every issue."""

    def __init__(self, text: str, scope: Scope) -> None:
        self.text = text
        self.scope = scope
        self.issues: list[ConditionIssue] = []

    def issue(self, message: str, start: int, end: int | None = None) -> None:
        where = _column(self.text, start)
        self.issues.append(ConditionIssue(f"column {where}: {message}", start, start if end is None else end))

    def read(self) -> list[str | Placeholder | Segment]:
        text = self.text
        parts: list[str | Placeholder | Segment] = []
        segment: list[str | Placeholder] | None = None
        opened = depth = 0  # where the open segment starts; how deep a nested one went
        literal: list[str] = []

        def flush() -> None:
            if literal:
                (parts if segment is None else segment).append("".join(literal))
                literal.clear()

        i = 0
        while i < len(text):
            char = text[i]
            if text[i : i + 2] in _ESCAPES:
                literal.append(char)
                i += 1
            elif char == "{":
                end = _closing(text, i)
                placeholder = self.placeholder(i, end)
                if placeholder is not None:
                    flush()
                    (parts if segment is None else segment).append(placeholder)
                i = end
            elif char == "}":
                self.issue("this '}' closes no placeholder; write '}}' to print a brace", i)
            elif char == "[" and segment is not None:
                if depth == 0:
                    where = _column(text, opened)
                    self.issue(f"segments do not nest: this '[' is inside the one opened at column {where}", i)
                depth += 1
            elif char == "[":
                flush()
                segment, opened = [], i
            elif char == "]" and depth:
                depth -= 1
            elif char == "]" and segment is not None:
                flush()
                parts.append(Segment(tuple(segment)))
                segment = None
            elif char == "]":
                self.issue("this ']' closes no segment; write ']]' to print a bracket", i)
            else:
                literal.append(char)
            i += 1
        if segment is not None:
            self.issue("this segment is never closed; end it with ']', or write '[[' to print a bracket", opened)
        flush()
        return parts

    def placeholder(self, start: int, end: int) -> Placeholder | None:
        """The placeholder `text[start:end + 1]`, or None when an issue was found in it."""
        body = self.text[start + 1 : end]
        if "{" in body:
            nested = start + 1 + body.index("{")
            self.issue("placeholders do not nest: this '{' is inside another; write '{{' to print a brace", nested)
            return None
        if end == len(self.text):
            self.issue("this '{' opens a placeholder that never closes; end it with '}', or write '{{'", start)
            return None
        head, bar, fallback = body.partition("|")
        name, colon, spec = head.partition(":")
        fault = _check_name(name, self.scope)
        if not fault and colon and (spec == _PLURAL or spec.startswith(f"{_PLURAL}:")):
            return self.plural(start, end, name, spec, fallback if bar else None)
        after_bar = start + 2 + len(head)
        wrong = next((after_bar + i for i, c in enumerate(fallback) if c in _NOT_IN_FALLBACK), None)
        if fault or (fault := _check_format_spec(name, spec, self.scope)):
            self.issue(fault, start, end)
        elif wrong is not None:
            todo = "write brackets outside the braces" if self.text[wrong] in "[]" else "write one '|' in a placeholder"
            self.issue(f"a fallback is literal text and cannot hold '{self.text[wrong]}'; {todo}", wrong)
        else:
            return Placeholder(name, spec, fallback if bar else None)
        return None

    def plural(self, start: int, end: int, name: str, spec: str, fallback: str | None) -> Placeholder | None:
        """`{name:plural:one:many}`: two words, for a number, and no fallback (it never prints the value)."""
        words = spec.split(":")[1:]
        kind = self.scope.type_of(name)
        if fallback is not None:
            bar = self.text.index("|", start)
            self.issue(f"a plural prints a word, not the value, so it takes no fallback: remove '|{fallback}'", bar)
        elif len(words) != 2:
            count = f"{len(words)} word{'' if len(words) == 1 else 's'}"
            self.issue(f"a plural names two words, {{{name}:plural:one:many}}; this one has {count}", start, end)
        elif kind not in ("integer", "number"):
            self.issue(f"a plural counts a number; '{name}' is {kind}", start, end)
        else:
            return Placeholder(name, plural=(words[0], words[1]))
        return None


def _closing(text: str, start: int) -> int:
    """Where the placeholder opened at `start` closes, counting nested braces (refused, but skipped whole);
    the end of the text when it does not close."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return len(text)


def _column(text: str, offset: int) -> int:
    """The 1-based column of `offset` on its line of `text`."""
    return offset - text.rfind("\n", 0, offset)


def _check_name(field: str, scope: Scope) -> str | None:
    field, bang, conversion = field.partition("!")
    if bang:
        return f"'!{conversion}' is not supported in {{{field}}}; use a format spec after ':'"
    if not field:
        return "empty placeholder {}; name a column, measure or signal inside the braces"
    if not field.isidentifier():
        return f"'{field}' is not a plain name; placeholders name a column, measure or signal"
    if scope.type_of(field) is None:
        return f"unknown placeholder '{{{field}}}' in {scope.title}{unknown_name_hint(field, scope)}"
    return None


def _check_format_spec(field: str, spec: str, scope: Scope) -> str | None:
    kind = scope.type_of(field)
    too_big = _too_big(spec)
    if too_big:
        return f"format spec ':{spec}' of {field}: {too_big}"
    sample = _SAMPLES.get(str(kind), dt.date(2026, 1, 1).isoformat() if kind == "date" else "text")
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
