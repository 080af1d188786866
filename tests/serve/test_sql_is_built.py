"""The dashboard's SQL is built with sqlglot, not formatted text (the project's rule): a name goes into a
statement as a quoted identifier and a value as a parameter, never by string interpolation. An f-string
that writes a SELECT, FROM or WHERE in the serve package is a statement built by hand."""

from __future__ import annotations

import re
from pathlib import Path

import whynow.serve

FORMATTED_SQL = re.compile(r"""\bf(["'])(?:(?!\1).)*\b(SELECT|FROM|WHERE)\b""")


def test_no_statement_of_the_dashboard_is_formatted_text() -> None:
    folder = Path(whynow.serve.__file__).parent
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(folder.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if FORMATTED_SQL.search(line)
    ]
    assert not found, found
    assert FORMATTED_SQL.search('sql = f"SELECT {columns} FROM t"')  # what it finds
    assert FORMATTED_SQL.search("f'x = 1 WHERE {clause}'")
