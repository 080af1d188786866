"""A model's `links:` (SPEC §4.1): URL templates to a record's own page in the CRM, parsed and checked at load time.

    check_link(text, level, declared) -> LinkTemplate  an http(s) URL, its placeholders columns the level carries
    LinkTemplate.fill(row) -> str | None               the URL for a record's row, every value percent-encoded whole
    carried_columns(level, declared) -> tuple[str, ...]  the columns a level's template may name

A template names columns of its record in braces: `https://acme.my.salesforce.com/lightning/r/Account/{account_id}/view`.
Only columns that the level's output carries may be named (see `LINKED`), so every reader of the store — the
queue, the dashboard, the API, the alerts — can fill every template from the rows it already reads. Filling the
links of a compiled model is whynow/links.py's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args
from urllib.parse import quote, urlsplit

from whynow.data.contract import TABLES, ColumnType
from whynow.errors import did_you_mean

__all__ = ["LEVELS", "LINKED", "Level", "LinkInvalid", "LinkTemplate", "carried_columns", "check_link"]

Level = Literal["account", "contact", "opportunity"]
LEVELS: tuple[Level, ...] = get_args(Level)

# Level → (its table, the canonical columns of that table its output carries: account_status and
# contact_status (whynow/outputs/contract.py) and opportunities, the rows as read).
# The model's declared columns of the table are carried as well (SPEC §5).
LINKED: dict[Level, tuple[str, tuple[str, ...]]] = {
    "account": ("accounts", ("account_id", "name", "owner_id", "tier")),
    "contact": ("contacts", ("contact_id", "account_id")),
    "opportunity": ("opportunities", tuple(c.name for c in TABLES["opportunities"].columns)),
}
SCHEMES = ("http", "https")  # a link opens a page: never javascript:, data:, file: …
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class LinkTemplate:
    """A checked URL template: the text between placeholders and, after each piece, the column it takes."""

    text: str
    pieces: tuple[tuple[str, str | None], ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the template names, each once, in order."""
        return tuple(dict.fromkeys(column for _, column in self.pieces if column is not None))

    def fill(self, row: Mapping[str, object]) -> str | None:
        """The URL for `row`, each value percent-encoded whole (`/`, `?`, `#`, `&` included: an id cannot
        leave its place in the path); None when a value is NULL or empty. A missing key is a KeyError: the
        reader did not pass the record's row (`link_columns` says what it must hold).

        >>> LinkTemplate("", (("https://crm.example/a/", "account_id"), ("/view", None))).fill({"account_id": "A/1&2"})
        'https://crm.example/a/A%2F1%262/view'
        """
        out: list[str] = []
        for literal, column in self.pieces:
            out.append(literal)
            if column is None:
                continue
            value = row[column]
            if _is_null(value) or str(value) == "":
                return None
            out.append(quote(str(value), safe=""))
        return "".join(out)


class LinkInvalid(Exception):
    """Why a link template cannot be used: (message, start, end) per problem, offsets into the template."""

    def __init__(self, issues: list[tuple[str, int | None, int | None]]) -> None:
        self.issues = issues
        super().__init__("; ".join(message for message, _, _ in issues))


def check_link(text: str, level: Level, declared: Mapping[str, Mapping[str, ColumnType]]) -> LinkTemplate:
    """Parse a `links:` template and check it: an http(s) URL with a host, whose placeholders are columns the
    level's output carries; raises `LinkInvalid` listing every problem.

    >>> check_link("https://crm.example/r/{account_id}/view", "account", {}).columns
    ('account_id',)
    >>> check_link("https://crm.example/r/{acount_id}", "account", {})
    Traceback (most recent call last):
    ...
    whynow.model.links.LinkInvalid: unknown column '{acount_id}' for an account link — did you mean 'account_id'?
    """
    issues: list[tuple[str, int | None, int | None]] = []
    allowed = carried_columns(level, declared)
    pieces: list[tuple[str, str | None]] = []
    cursor = 0
    for match in _PLACEHOLDER.finditer(text):
        issues += _stray_braces(text, cursor, match.start())
        name = match.group(1)
        pieces.append((text[cursor : match.start()], name))
        cursor = match.end()
        problem = _placeholder_problem(name, level, allowed)
        if problem:
            issues.append((problem, match.start(), match.end() - 1))
    issues += _stray_braces(text, cursor, len(text))
    pieces.append((text[cursor:], None))
    issues += _url_problems(text)
    if not issues and len(pieces) == 1:
        id_column = LINKED[level][1][0]
        issues.append(
            (f"no placeholder: every {level} would open this one page; name a column, e.g. {{{id_column}}}", None, None)
        )
    if issues:
        raise LinkInvalid(issues)
    return LinkTemplate(text, tuple((literal, column) for literal, column in pieces if literal or column))


def carried_columns(level: Level, declared: Mapping[str, Mapping[str, ColumnType]]) -> tuple[str, ...]:
    """The columns a `level` template may name: the canonical ones its output carries, then the declared ones.

    >>> carried_columns("contact", {"contacts": {"crm_key": "text"}})
    ('contact_id', 'account_id', 'crm_key')
    """
    table, canonical = LINKED[level]
    return tuple(dict.fromkeys([*canonical, *declared.get(table, {})]))


def _placeholder_problem(name: str, level: Level, allowed: tuple[str, ...]) -> str | None:
    if name in allowed:
        return None
    table = LINKED[level][0]
    if not name.isidentifier():
        return f"'{{{name}}}' is not a column placeholder; write {{column}}, or %7B and %7D for literal braces"
    if TABLES[table].column(name) is not None:
        return (
            f"'{{{name}}}' is {_article(table)} {table} column that whynow's outputs do not carry; declare it "
            f"(columns: {table}: {{{name}: text}}) to use it in a link"
        )
    return f"unknown column '{{{name}}}' for {_article(level)} {level} link{did_you_mean(name, allowed)}"


def _stray_braces(text: str, start: int, end: int) -> list[tuple[str, int | None, int | None]]:
    return [
        (f"a lone '{text[at]}'; placeholders are {{column}}, a literal brace is %7B or %7D", at, at)
        for at in range(start, end)
        if text[at] in "{}"
    ]


def _url_problems(text: str) -> list[tuple[str, int | None, int | None]]:
    """Why `text` is not an http(s) URL whose scheme and host are fixed (placeholders only after the host)."""
    space = re.search(r"\s", text)
    if space:
        return [("a URL holds no spaces; write %20", space.start(), space.start())]
    probe = _PLACEHOLDER.sub(lambda m: "x" * len(m.group(0)), text)  # same offsets, no braces
    try:
        parts = urlsplit(probe)
        host = parts.hostname
    except ValueError as e:
        return [(f"not a URL: {e}", None, None)]
    if parts.scheme.lower() not in SCHEMES:
        shown = f"'{parts.scheme}:'" if parts.scheme else "no scheme"
        return [(f"a link must be an http:// or https:// URL, not {shown}", 0, max(0, len(parts.scheme) - 1))]
    if not host:
        return [("a link needs a host: https://crm.example.com/…", None, None)]
    host_end = probe.find("//") + 2 + len(parts.netloc)
    inside = next((m for m in _PLACEHOLDER.finditer(text) if m.start() < host_end), None)
    if inside is not None:
        return [
            (
                "the scheme and host are fixed: a placeholder may stand only in the path, query or fragment",
                inside.start(),
                inside.end() - 1,
            )
        ]
    return []


def _is_null(value: object) -> bool:
    """None, and NaN/NaT/NA as pandas writes a missing value."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
