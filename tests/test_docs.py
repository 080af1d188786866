"""Documentation stays true to what ships: generated docs are current, the README's commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command
from typer.testing import CliRunner

from whynow.cli import app
from whynow.docs import model_reference
from whynow.model.schema import Model

ROOT = Path(__file__).resolve().parents[1]


def test_model_reference_is_current() -> None:
    generated = model_reference()
    assert (ROOT / "docs" / "model.md").read_text() == generated, "docs/model.md is stale: run `make docs`"


def test_every_model_section_is_documented() -> None:
    text = (ROOT / "docs" / "model.md").read_text()
    for section in Model.model_fields:
        assert f"`{section}`" in text


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_commands_exist_and_run() -> None:
    """Every `whynow <command>` the README shows is a real command, and its `check` example runs."""
    readme = (ROOT / "README.md").read_text()
    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    shown = set(re.findall(r"(?:bin/whynow|`whynow) (\w+)", readme))
    assert shown and shown <= commands, f"README shows commands that do not ship: {shown - commands}"
    examples = [m for m in re.findall(r"whynow check (\S+\.yaml)\s", readme) if (ROOT / m).exists()]
    assert examples  # the first screen's `model.yaml` is the reader's own, written by `whynow init`
    result = CliRunner().invoke(app, ["check", str(ROOT / examples[0])])
    assert result.exit_code == 0, result.stderr


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for command in get_command(app).commands:  # type: ignore[attr-defined]
        assert command in result.stdout


def test_readme_explain_excerpt_matches_the_golden_output() -> None:
    """The tour quotes `whynow explain A1`; every quoted line must still be what it prints."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("```\nFit 70") + 4
    excerpt = readme[start : readme.index("```", start)]
    golden = (ROOT / "tests" / "golden" / "explain_A1.txt").read_text()
    quoted = [line.split("  <-")[0].rstrip() for line in excerpt.splitlines() if line.strip()]
    assert quoted and all(line in golden for line in quoted), [line for line in quoted if line not in golden]
