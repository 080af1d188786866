"""Nothing a user reads points at a file they do not have.

The specification the project is built from is not in the repository, so no message, `--help` text or
document may send a reader to it; every path or link a document gives must exist in the checkout.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from whynow.cli import app

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "whynow"

# A reference to the specification ("SPEC §4.4", "SPEC.md", "SPEC's words", a bare "§4.7") or to the folder
# beside the checkout it lives in.
MISSING = re.compile(r"\bSPEC\b|§\s*\d|\.\./shared\b")
# Documents: the repository's own and those the package ships (templates, the example model, the built-in
# import mappings that `whynow import --print-mapping` prints).
DOCUMENTS = sorted(
    [
        ROOT / "README.md",
        ROOT / "CHANGELOG.md",
        *(ROOT / "docs").rglob("*.md"),
        *(ROOT / "bench").glob("*.md"),
        *PACKAGE.rglob("*.md"),
        *PACKAGE.rglob("*.html"),
        *PACKAGE.rglob("*.yaml"),
    ]
)
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)  # never reaches a page
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
BACKTICKED = re.compile(r"`([^`\s]+)`")
MARKDOWN_NAME = re.compile(r"(?<![\w/.-])([\w.-]+(?:/[\w.-]+)*\.md(?:#[\w-]+)?)")
# A backticked token names a repository path when it starts with one of these folders.
TOP_FOLDERS = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")} | {
    p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("_")
}
# Paths the project creates (a demo's store, a benchmark's cache): named in the docs, absent from a checkout.
GENERATED = tuple(
    line.rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines() if line and "*" not in line
)


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not line.startswith("#"):
            continue
        slug = github_anchor(line.lstrip("#"))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def broken(reference: str, base: Path) -> str | None:
    """Why a relative reference (path, optional #anchor) does not resolve from `base`, or None."""
    path, _, anchor = reference.partition("#")
    candidates = [base / path, ROOT / path, ROOT / "src" / path, PACKAGE / path] if path else [base]
    target = next((c for c in candidates if c.exists()), None)
    if target is None:
        return "no such file"
    if anchor and target.suffix == ".md" and anchor not in anchors_of(target):
        return f"{target.resolve().relative_to(ROOT)} has no heading #{anchor}"
    return None


def names_a_repository_path(token: str) -> bool:
    token = token.rstrip(".,;:")
    if re.search(r"://|[{}*?<>…|=$'\"\\]", token) or token.startswith(("/", "~", "-")):
        return False
    if token.startswith(GENERATED):
        return False
    return token.startswith("../") or ("/" in token and token.split("/")[0] in TOP_FOLDERS)


def document_problems(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = JINJA_COMMENT.sub("", text)
    where = path.relative_to(ROOT)
    for number, line in enumerate(text.splitlines(), start=1):
        if MISSING.search(line):
            yield f"{where}:{number}: points outside the repository: {line.strip()[:120]}"
    if path.suffix != ".md":
        return
    for target in MARKDOWN_LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        if (why := broken(target, path.parent)) is not None:
            yield f"{where}: link ({target}): {why}"
    for token in BACKTICKED.findall(text):
        if names_a_repository_path(token) and (why := broken(token.rstrip(".,;:"), path.parent)):
            yield f"{where}: `{token}`: {why}"
    for name in MARKDOWN_NAME.findall(text):  # a bare README.md or SOURCE.md: beside the document or at the root
        if "/" in name and not names_a_repository_path(name):
            continue
        if (why := broken(name, path.parent)) is not None:
            yield f"{where}: {name}: {why}"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documents_point_only_at_what_the_repository_holds(path: Path) -> None:
    problems = list(document_problems(path))
    assert not problems, "\n".join(problems)


def _pydantic_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of the package's pydantic models: their docstrings become docs/model.md and the API's schema."""
    models = {"BaseModel"}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in models:
                    bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                    if bases & models:
                        models.add(node.name)
                        grew = True
    return models


def _is_command(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A Typer command or callback: its docstring is its `--help`."""
    for decorator in node.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(call, ast.Attribute) and call.attr in ("command", "callback"):
            return True
    return False


def _internal_docstrings(tree: ast.Module, models: set[str]) -> set[int]:
    """ids of the docstring nodes only developers read: modules, plain classes, functions but commands."""
    internal: set[int] = set()
    for node in [tree, *ast.walk(tree)]:
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not (node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)):
            continue
        if isinstance(node, ast.ClassDef) and node.name in models:
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _is_command(node):
            continue
        internal.add(id(node.body[0].value))
    return internal


def test_no_message_or_field_description_refers_to_the_specification() -> None:
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))}
    models = _pydantic_classes(trees)
    problems = []
    for path, tree in trees.items():
        internal = _internal_docstrings(tree, models)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in internal:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if MISSING.search(node.value):
                problems.append(f"{where}: {node.value.strip()[:120]!r}")
            for reference in re.findall(r"\b(?:docs|bench)/[\w./-]+\.md(?:#[\w-]+)?", node.value):
                if (why := broken(reference, ROOT)) is not None:
                    problems.append(f"{where}: {reference}: {why}")
    assert not problems, "\n".join(problems)


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command's path, groups' subcommands included (Typer ships its own copy of Click's classes)."""
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_no_help_text_refers_to_the_specification() -> None:
    paths = list(_commands(get_command(app)))
    assert len(paths) > 10, paths  # the walk found the commands, groups' subcommands included
    problems = []
    for path in paths:
        result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        shown = f"whynow {' '.join(path)} --help"
        problems += [f"{shown}: {line.strip()}" for line in result.output.splitlines() if MISSING.search(line)]
    assert not problems, "\n".join(problems)
