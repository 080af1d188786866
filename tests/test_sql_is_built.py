"""whynow's SQL is built with sqlglot or Ibis, not formatted text (the project's rule): a name goes into a
statement as a quoted identifier and a value as a parameter or a literal sqlglot escapes, never by string
interpolation. An f-string that writes a statement's keyword anywhere in the package is a statement built
by hand."""

from __future__ import annotations

import re
from pathlib import Path

import whynow

KEYWORDS = "SELECT|FROM|WHERE|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|ATTACH|COPY"
FORMATTED_SQL = re.compile(rf"""\bf(["'])(?:(?!\1).)*\b({KEYWORDS})\b""")
FORMATTED_BLOCK = re.compile(rf"""\bf(\"\"\"|\'\'\')(?:(?!\1).)*?\b({KEYWORDS})\b""", re.DOTALL)  # over lines


def test_no_statement_of_whynow_is_formatted_text() -> None:
    folder = Path(whynow.__file__).parent
    found = [
        f"{path.relative_to(folder)}:{number}: {line.strip()}"
        for path in sorted(folder.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if FORMATTED_SQL.search(line)
    ]
    found += [
        f"{path.relative_to(folder)}: {match.group(0)[:60]!r}"
        for path in sorted(folder.rglob("*.py"))
        for match in FORMATTED_BLOCK.finditer(path.read_text())
    ]
    assert not found, found
    assert FORMATTED_SQL.search('sql = f"SELECT {columns} FROM t"')  # what it finds
    assert FORMATTED_SQL.search("f'x = 1 WHERE {clause}'")
    assert FORMATTED_BLOCK.search('con.execute(f"""\n    SELECT {columns}\n    FROM t\n""")')
