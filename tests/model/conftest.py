"""A small demo company, generated once per session, for the tests that run models end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from whynow.demo import DEMO_AS_OF, generate_demo_data

DEMO_ACCOUNTS = 20  # enough for every table to have rows; small enough for many runs


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "data"
    generate_demo_data(folder, as_of=DEMO_AS_OF, accounts=DEMO_ACCOUNTS)
    return folder
