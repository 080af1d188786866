"""Conditions (SPEC §4): a user's SQL boolean expression, parsed with sqlglot and checked.

The check walks the tree against an allow-list of node types and functions and against the names of
the condition's scope, and infers a type for every node, so that a typo, a forbidden construct or a
comparison of text with a number is caught at load time with the position of the offending text.
A checked condition compiles to Ibis in `compile.py` and reads as English in `describe.py`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

from whynow.data.contract import ColumnType
from whynow.model.scope import Scope, unknown_name_hint

# sqlglot node → the function name users write. SPEC §4: this short list and nothing else.
FUNCTIONS: dict[type[exp.Expression], str] = {
    exp.Lower: "lower",
    exp.Upper: "upper",
    exp.Coalesce: "coalesce",
    exp.Abs: "abs",
    exp.Least: "least",
    exp.Greatest: "greatest",
    exp.Length: "length",
}
COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}
ARITHMETIC: dict[type[exp.Expression], str] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}
_STRUCTURE = (exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.And, exp.Or,
              exp.Not, exp.In, exp.Between, exp.Like, exp.ILike, exp.Is, exp.Neg)  # fmt: skip
ALLOWED: tuple[type[exp.Expression], ...] = (*_STRUCTURE, *COMPARISONS, *ARITHMETIC, *FUNCTIONS)
_STATEMENT_MODULES = ("ddl", "dml")
_REQUIRED = re.compile(r"Required keyword: '\w+' missing for <class '[\w.]+\.(\w+)'>")
_DUCKDB = Dialect.get_or_raise("duckdb")
# The words and symbols of the language (SPEC §4); a name or a literal is any other token. DuckDB reads more
# (`==`, `!x`, `@x`, `~~`, `ifnull(…)`), which would make a condition mean less than it says on other backends.
_KEYWORDS = frozenset(
    {"(", ")", ",", "=", "<>", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/"}
    | {"AND", "OR", "NOT", "IN", "BETWEEN", "LIKE", "ILIKE", "IS", "NULL", "TRUE", "FALSE"}
)
_VALUE_TOKENS = frozenset({TokenType.VAR, TokenType.STRING, TokenType.NUMBER})

MAX_LENGTH = 50_000  # characters: a long list belongs in a column or a signal, not in a condition
MAX_IN_VALUES = 1_000  # an IN list compiles to one comparison per value, on every row
MAX_DEPTH = 200  # Python recursion (ours and Ibis's) stays well inside its limit

# Never in a model's text: C0/C1 controls but tab, newline and carriage return (a NUL ends a DuckDB string),
# lone surrogates (no UTF-8 for them) and the bidirectional controls that make text read differently from
# how it runs ("Trojan Source", CVE-2021-42574). Text literals refuse tab and newlines as well.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_IN_LITERAL = re.compile(rf"[\t\n\r]|{_UNSAFE.pattern}")


def unsafe_character(text: str) -> str | None:
    """The first character of `text` that a model may not hold, or None.

    >>> unsafe_character("Software"), unsafe_character("a\\x00b")
    (None, '\\x00')
    """
    found = _UNSAFE.search(text)
    return found.group(0) if found else None


def describe_character(char: str) -> str:
    """An invisible character, named so the user can find it: "the control character U+0007"."""
    code = f"U+{ord(char):04X}"
    category = unicodedata.category(char)
    if category == "Cc":
        return f"the control character {code}"
    if category == "Cs":
        return f"the invalid character {code} (half of a surrogate pair)"
    if category == "Cf":
        return f"the invisible control character {code}"
    return f"the character {code}"


# "null" is the type of a bare NULL literal: it fits anywhere.
ValueType = Literal["text", "integer", "number", "boolean", "date", "timestamp", "null"]
_NUMERIC = frozenset({"integer", "number"})
_TEMPORAL = frozenset({"date", "timestamp"})
Expect = Literal["boolean", "number"]


@dataclass(frozen=True)
class ConditionIssue:
    """One thing wrong in a condition, with the character span [start, end] it concerns."""

    message: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Condition:
    """A checked condition: its text, its sqlglot tree, the names it uses and its value type."""

    text: str
    tree: exp.Expression
    names: frozenset[str]
    type: ValueType
    # ids of the tree's nodes that are NULL whatever the row (`NULL`, `coalesce(NULL)`): they take the
    # type of their neighbours when compiled.
    untyped: frozenset[int] = frozenset()


class ConditionInvalid(Exception):
    """Raised by `check_condition`; carries every issue found in the condition."""

    def __init__(self, issues: list[ConditionIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(i.message for i in issues))


def check_condition(text: str, scope: Scope, expect: Expect = "boolean") -> Condition:
    """Parse and check `text` against `scope`; raise `ConditionInvalid` with every issue.

    >>> from whynow.model.scope import Scope
    >>> check_condition("employees >= 200", Scope("t", {"employees": "integer"})).names
    frozenset({'employees'})
    """
    if not isinstance(text, str) or not text.strip():
        raise ConditionInvalid([ConditionIssue("the condition is empty; write a SQL expression such as x >= 1")])
    if len(text) > MAX_LENGTH:
        raise ConditionInvalid(
            [
                ConditionIssue(
                    f"the condition is {len(text)} characters long; at most {MAX_LENGTH} are allowed: "
                    "mark such rows with a column (columns:) or a signal instead"
                )
            ]
        )
    tree, tokens = _parse(text)
    if _depth(tree) > MAX_DEPTH:
        raise ConditionInvalid(
            [ConditionIssue(f"the condition nests more than {MAX_DEPTH} levels; use IN (…) for long lists of values")]
        )
    issues = list(_forbidden(tree, text)) or list(_forbidden_tokens(tokens, tree, text))
    if issues:
        raise ConditionInvalid(issues)
    issues = list(_unknown_names(tree, text, scope))
    if issues:
        raise ConditionInvalid(issues)
    checker = _TypeChecker(text, scope)
    value_type = checker.infer(tree)
    if not checker.issues:
        checker.expect(tree, value_type, expect)
    if checker.issues:
        raise ConditionInvalid(checker.issues)
    names = frozenset(c.name for c in tree.find_all(exp.Column))
    return Condition(text, tree, names, value_type, frozenset(checker.untyped))


def _depth(tree: exp.Expression) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node.iter_expressions())
    return deepest


def _parse(text: str) -> tuple[exp.Expression, list[Token]]:
    try:
        tokens = _DUCKDB.tokenize(text)
        trees = _DUCKDB.parser().parse(tokens, text)
    except ParseError as e:
        first = e.errors[0] if e.errors else {}
        col = first.get("col")
        description = str(first.get("description") or "cannot parse this condition")
        required = _REQUIRED.search(description)
        if required:
            description = f"{required.group(1).upper()} is incomplete: something is missing around it"
        start = max(0, int(col) - 1) if isinstance(col, int) and first.get("line") == 1 else None
        raise ConditionInvalid([ConditionIssue(f"syntax error: {description}", start, start)]) from None
    except TokenError:
        quote = max(text.rfind("'"), text.rfind('"'))
        at = quote if quote >= 0 else None
        raise ConditionInvalid(
            [ConditionIssue("syntax error: unterminated quote or unreadable text", at, at)]
        ) from None
    except SqlglotError as e:
        raise ConditionInvalid([ConditionIssue(f"syntax error: {e}")]) from None
    except RecursionError:
        raise ConditionInvalid([ConditionIssue("the condition is nested too deeply")]) from None
    statements = [t for t in trees if t is not None]
    if len(statements) != 1:
        at = text.find(";")
        raise ConditionInvalid(
            [ConditionIssue("a condition is one expression; ';' and statements are not allowed", at, at)]
        )
    tree = statements[0]
    assert isinstance(tree, exp.Expression)
    return tree, tokens


def span(node: exp.Expression, text: str) -> tuple[int | None, int | None]:
    """The character span of `node` in `text`, from the positions sqlglot keeps on tokens."""
    starts: list[int] = []
    ends: list[int] = []
    for n in node.walk():
        meta = n.meta if isinstance(n, exp.Expression) else {}
        if "start" in meta and "end" in meta:
            starts.append(int(meta["start"]))
            ends.append(int(meta["end"]))
    if isinstance(node, exp.Func):
        # Function names carry no position for built-ins; find the name just before the arguments.
        name = node.sql_name().lower()
        before = min(starts) if starts else len(text)
        at = text.lower().rfind(name, 0, before)
        if at >= 0:
            starts.append(at)
            ends.append(at + len(name) - 1)
    if not starts:
        return None, None
    start, end = min(starts), max(ends)
    if isinstance(node, exp.Literal) and node.is_string and start > 0 and text[start - 1] == "'":
        start, end = start - 1, min(end + 1, len(text) - 1)  # include the quotes
    return start, end


def _is_statement(node: exp.Expression) -> bool:
    return isinstance(node, exp.Query | exp.Command) or type(node).__module__.rsplit(".", 1)[-1] in (_STATEMENT_MODULES)


def _forbidden(tree: exp.Expression, text: str) -> Iterator[ConditionIssue]:
    """Every node outside the allow-list; a forbidden node's children are not reported again."""
    allowed_functions = ", ".join(FUNCTIONS.values())
    stack = [tree]
    while stack:
        node = stack.pop()
        issue = _forbidden_node(node, tree, text, allowed_functions)
        if issue is not None:
            yield issue
            continue
        stack.extend(reversed(list(node.iter_expressions())))


def _forbidden_node(
    node: exp.Expression, tree: exp.Expression, text: str, allowed_functions: str
) -> ConditionIssue | None:
    if isinstance(node, exp.Subquery) or (isinstance(node, exp.Query) and node is not tree):
        return ConditionIssue("sub-queries are not allowed in a condition", *_keyword_span(node, text))
    if _is_statement(node):
        return ConditionIssue(
            f"statements ({node.key.upper()}) are not allowed; a condition is one expression",
            *_keyword_span(node, text),
        )
    if isinstance(node, ALLOWED):
        if isinstance(node, exp.Column) and (node.table or node.args.get("db")):
            return ConditionIssue(
                f"write the column name alone: '{node.name}' instead of '{node.sql()}'", *span(node, text)
            )
        if isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier) and node.this.quoted:
            return ConditionIssue(
                f'"{node.name}" is a quoted name; write names without quotes ({node.name}), '
                f"and text takes single quotes ('{node.name}')",
                *span(node, text),
            )
        if isinstance(node, exp.Literal) and node.is_string and _UNSAFE_IN_LITERAL.search(node.this):
            found = _UNSAFE_IN_LITERAL.search(node.this)
            what = describe_character(found.group(0)) if found else "a control character"
            return ConditionIssue(f"text literals may not hold {what}; remove it", *span(node, text))
        if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
            return ConditionIssue("IN takes a list of values, not a sub-query", *span(node, text))
        if isinstance(node, exp.In) and not node.expressions:
            return ConditionIssue("IN () is empty; list at least one value", *span(node, text))
        if isinstance(node, exp.In) and len(node.expressions) > MAX_IN_VALUES:
            return ConditionIssue(
                f"IN (…) lists {len(node.expressions)} values; at most {MAX_IN_VALUES} values are allowed: "
                "mark such rows with a column (columns:) or a signal instead",
                *span(node, text),
            )
        if isinstance(node, exp.Between) and node.args.get("symmetric") is not None:
            return ConditionIssue("BETWEEN SYMMETRIC is not supported; put the lower bound first", *span(node, text))
        if isinstance(node, exp.Is) and not isinstance(node.expression, exp.Null):
            return ConditionIssue("only IS NULL and IS NOT NULL are allowed", *span(node, text))
        if isinstance(node, exp.Like | exp.ILike) and node.args.get("escape"):
            return ConditionIssue("LIKE … ESCAPE is not supported", *span(node, text))
        return None
    if isinstance(node, exp.Func) and not isinstance(node, _KEYWORD_FUNCTIONS):
        name, start, end = _function_name(node, text)
        return ConditionIssue(f"function '{name}' is not allowed; use one of {allowed_functions}", start, end)
    what = "'*'" if isinstance(node, exp.Star) else f"'{node.key.upper()}'"
    return ConditionIssue(
        f"{what} is not allowed in a condition; use names, literals, comparisons, AND/OR/NOT, IN, "
        f"BETWEEN, LIKE, IS NULL, + - * / and {allowed_functions}",
        *span(node, text),
    )


def _forbidden_tokens(tokens: Sequence[Token], tree: exp.Expression, text: str) -> Iterator[ConditionIssue]:
    """What the tree cannot show: comments, and words or symbols outside the language — DuckDB's aliases
    (`ifnull` for coalesce, `@` for abs, `==`, `!`) parse to allowed nodes."""
    allowed_functions = ", ".join(FUNCTIONS.values())
    names = {int(c.this.meta["start"]) for c in tree.find_all(exp.Column) if "start" in c.this.meta}
    for i, token in enumerate(tokens):
        if token.comments:
            at = _comment_start(text, tokens)
            yield ConditionIssue(
                "comments (-- or /* */) are not allowed in a condition; write a YAML # comment on the line above",
                at,
                None if at is None else at + 1,
            )
            return
        called = i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.L_PAREN
        if called and token.token_type == TokenType.VAR and token.text.lower() not in FUNCTIONS.values():
            yield ConditionIssue(
                f"function '{token.text}' is not allowed; use one of {allowed_functions}", token.start, token.end
            )
        elif not (
            token.token_type in _VALUE_TOKENS
            or token.start in names
            or token.text.upper() in _KEYWORDS
            or _leading_point(token, tokens[i + 1] if i + 1 < len(tokens) else None)
        ):
            yield ConditionIssue(
                f"'{token.text}' is not part of the condition language; use names, literals, = <> != < <= > >=, "
                f"AND/OR/NOT, IN, BETWEEN, LIKE, ILIKE, IS [NOT] NULL, + - * / and {allowed_functions}",
                token.start,
                token.end,
            )


def _leading_point(token: Token, following: Token | None) -> bool:
    """The point of `.5`, which sqlglot reads as its own token."""
    return (
        token.token_type == TokenType.DOT
        and following is not None
        and following.token_type == TokenType.NUMBER
        and following.start == token.end + 1
    )


def _comment_start(text: str, tokens: Sequence[Token]) -> int | None:
    """Where the first comment starts: a `--` or `/*` outside every token (a literal may hold either)."""
    for found in re.finditer(r"--|/\*", text):
        if not any(t.start <= found.start() <= t.end for t in tokens):
            return found.start()
    return None


# sqlglot models these SQL keywords as functions; users know them as keywords.
_KEYWORD_FUNCTIONS = (exp.Case, exp.Cast, exp.Extract, exp.If)
_WORD_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*$")


def _function_name(node: exp.Expression, text: str) -> tuple[str, int | None, int | None]:
    """The function's name as the user wrote it (`substr`, not sqlglot's SUBSTRING), and its span."""
    start, _ = span(node, text)
    first_arg = min((int(n.meta["start"]) for n in node.walk() if n is not node and "start" in n.meta), default=None)
    if first_arg is not None:
        paren = text.rfind("(", 0, first_arg)
        match = _WORD_BEFORE.search(text[: max(paren, 0)])
        if paren >= 0 and match:
            return match.group(1), match.start(1), match.end(1) - 1
    name = node.name if isinstance(node, exp.Anonymous) else node.key
    if isinstance(node, exp.Func) and not isinstance(node, exp.Anonymous):
        name = node.sql_name().lower()
    return name, start, None if start is None else start + len(name) - 1


def _keyword_span(node: exp.Expression, text: str) -> tuple[int | None, int | None]:
    """Statements and sub-queries: point at their keyword (SELECT, DROP …)."""
    keyword = "select" if isinstance(node, exp.Subquery | exp.Query) else node.key
    at = text.lower().find(keyword.lower())
    return (at, at + len(keyword) - 1) if at >= 0 else span(node, text)


def _unknown_names(tree: exp.Expression, text: str, scope: Scope) -> Iterator[ConditionIssue]:
    for column in tree.find_all(exp.Column):
        if column.name in scope.hidden:
            yield ConditionIssue(scope.hidden[column.name], *span(column, text))
        elif column.name not in scope.names:
            hint = unknown_name_hint(column.name, scope)
            yield ConditionIssue(f"unknown name '{column.name}' in {scope.title}{hint}", *span(column, text))


class _TypeChecker:
    """Infers each node's type from the scope, collecting mismatches with their positions."""

    def __init__(self, text: str, scope: Scope) -> None:
        self.text = text
        self.scope = scope
        self.issues: list[ConditionIssue] = []
        self.untyped: set[int] = set()

    def fail(self, node: exp.Expression, message: str) -> ValueType:
        self.issues.append(ConditionIssue(message, *span(node, self.text)))
        return "null"

    def expect(self, node: exp.Expression, got: ValueType, want: Expect) -> None:
        ok = got in ("boolean", "null") if want == "boolean" else got in (*_NUMERIC, "null")
        if not ok:
            what = "true or false" if want == "boolean" else "a number"
            self.fail(node, f"this must be {what}, but it is {_article(got)}")

    def infer(self, node: exp.Expression | None) -> ValueType:
        kind = self.infer_kind(node)
        if kind == "null" and node is not None:
            self.untyped.add(id(node))
        return kind

    def infer_kind(self, node: exp.Expression | None) -> ValueType:
        if node is None:  # e.g. DuckDB reads a lone `@` as abs() of nothing
            self.issues.append(ConditionIssue("the expression is incomplete: an operand is missing"))
            return "null"
        if isinstance(node, exp.Paren):
            return self.infer(node.this)
        if isinstance(node, exp.Column):
            kind: ColumnType | None = self.scope.type_of(node.name)
            return kind or "null"
        if isinstance(node, exp.Literal):
            return "text" if node.is_string else ("integer" if node.is_int else "number")
        if isinstance(node, exp.Boolean):
            return "boolean"
        if isinstance(node, exp.Null):
            return "null"
        if isinstance(node, exp.And | exp.Or):
            for side in (node.this, node.expression):
                self.expect(side, self.infer(side), "boolean")
            return "boolean"
        if isinstance(node, exp.Not):
            self.expect(node.this, self.infer(node.this), "boolean")
            return "boolean"
        if isinstance(node, exp.Is):
            self.infer(node.this)
            return "boolean"
        if isinstance(node, tuple(COMPARISONS)):
            compared = self.comparable(node, [node.this, node.expression])
            if compared == "boolean":
                self.boolean_comparison(node, [node.this, node.expression])
            return "boolean"
        if isinstance(node, exp.In):
            if self.comparable(node, [node.this, *node.expressions]) == "boolean":
                self.fail(node, "IN needs numbers, text or dates; test true/false values with = or AND/OR/NOT")
            return "boolean"
        if isinstance(node, exp.Between):
            if self.comparable(node, [node.this, node.args["low"], node.args["high"]]) == "boolean":
                self.fail(node, "BETWEEN needs numbers, text or dates, not true/false values")
            return "boolean"
        if isinstance(node, exp.Like | exp.ILike):
            for side in (node.this, node.expression):
                if self.infer(side) not in ("text", "null"):
                    self.fail(side, "LIKE compares text; this is not text")
            return "boolean"
        if isinstance(node, exp.Neg):
            return self.numeric(node.this)
        if isinstance(node, tuple(ARITHMETIC)):
            left, right = self.numeric(node.this), self.numeric(node.expression)
            if isinstance(node, exp.Div) or "number" in (left, right):
                return "number"
            return "integer" if left == right == "integer" else "number"
        if isinstance(node, exp.Lower | exp.Upper):
            return "text" if self.textual(node.this) else "null"
        if isinstance(node, exp.Length):
            self.textual(node.this)
            return "integer"
        if isinstance(node, exp.Abs):
            return self.numeric(node.this)
        if isinstance(node, exp.Coalesce | exp.Least | exp.Greatest):
            return self.comparable(node, [node.this, *node.expressions])
        return self.fail(node, f"'{node.key}' is not supported")

    def boolean_comparison(self, node: exp.Expression, operands: list[exp.Expression]) -> None:
        """True/false values compare only with = and <>, and only as plain names or literals: an Ibis
        backend may print `(a BETWEEN b AND c) = TRUE` without its parentheses."""
        if not isinstance(node, exp.EQ | exp.NEQ):
            self.fail(node, "true/false values compare only with = and <>")
            return
        for operand in operands:
            inner = operand.unnest() if isinstance(operand, exp.Paren) else operand
            if not isinstance(inner, exp.Column | exp.Boolean | exp.Null):
                self.fail(operand, "compare a true/false expression with AND, OR and NOT, not with = or <>")
                return

    def numeric(self, node: exp.Expression) -> ValueType:
        kind = self.infer(node)
        if kind not in (*_NUMERIC, "null"):
            return self.fail(node, f"arithmetic needs numbers; this is {_article(kind)}")
        return kind

    def textual(self, node: exp.Expression) -> bool:
        kind = self.infer(node)
        if kind not in ("text", "null"):
            self.fail(node, f"this function needs text; this is {_article(kind)}")
            return False
        return True

    def comparable(self, parent: exp.Expression, nodes: list[exp.Expression]) -> ValueType:
        """Check that the values can be compared with one another; return their common type."""
        kinds = [self.infer(n) for n in nodes]
        if any(k in _TEMPORAL for k in kinds):
            # Text beside a date or timestamp must be an ISO literal; it is then read as one.
            for i, (node, kind) in enumerate(zip(nodes, kinds, strict=True)):
                if kind == "text" and _iso_literal(node):
                    kinds[i] = "date"
                elif kind == "text" and isinstance(node, exp.Literal):
                    self.fail(node, f"'{node.this}' is not a date; write an ISO date such as '2026-11-20'")
                    return "null"
                elif kind == "text":
                    self.fail(node, "cannot compare text with a date; compare a date with an ISO literal")
                    return "null"
        known = [k for k in kinds if k != "null"]
        if not known:
            return "null"
        first = known[0]
        for node, kind in zip(nodes, kinds, strict=True):
            if kind == "null" or _compatible(first, kind, node):
                continue
            self.fail(node, f"cannot compare {_article(first)} with {_article(kind)}")
            return "null"
        if all(k in _NUMERIC for k in known):
            return "integer" if all(k == "integer" for k in known) else "number"
        temporal = [k for k in known if k in _TEMPORAL]
        return temporal[0] if temporal else first


def _compatible(first: ValueType, kind: ValueType, node: exp.Expression) -> bool:
    if first == kind or (first in _NUMERIC and kind in _NUMERIC):
        return True
    # A date or timestamp compares with another date/timestamp, or with a literal like '2026-11-20'.
    return first in _TEMPORAL and kind in _TEMPORAL


def _iso_literal(node: exp.Expression) -> bool:
    """A text literal that reads as an ISO date or timestamp ('2026-11-20', '2026-11-20 14:05')."""
    if not (isinstance(node, exp.Literal) and node.is_string):
        return False
    try:
        dt.datetime.fromisoformat(node.this.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _article(kind: ValueType) -> str:
    return {
        "text": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true/false",
        "date": "a date",
        "timestamp": "a timestamp",
        "null": "NULL",
    }[kind]
