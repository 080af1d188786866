"""The backtests' small world (tests/learn/test_backtest.py's FILES), shared by the tests that replay it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.learn.test_backtest import FILES


@pytest.fixture
def world(tmp_path: Path) -> Path:
    folder = tmp_path / "world"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text)
    return folder
