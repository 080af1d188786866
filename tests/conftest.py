"""Shared pytest options: `--update-golden` regenerates the golden files under tests/golden/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


def pytest_configure(config: pytest.Config) -> None:
    """Compiled plans (`whynow.plan`) are cached in a folder of the test session's own, not the user's."""
    os.environ.setdefault("WHYNOW_CACHE", tempfile.mkdtemp(prefix="whynow-plans-"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/* from the code")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with a golden file (or rewrite it with --update-golden); review changes as diffs."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
        assert path.exists(), f"no golden file {path}; run pytest --update-golden and review the diff"
        assert actual == path.read_text(encoding="utf-8")

    return check
