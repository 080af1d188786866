"""`whynow --help` and `whynow check` start without the engine (#21): each command imports what it
uses when it runs. Which modules a command loads is tested here; how fast it starts is measured in
bench/, never timed in tests."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from whynow.examples import reference_model_path

# What the engine, the dashboard, learning and alerts bring in: none of it is needed to print help or
# check a model.
ENGINE = (
    "duckdb",
    "fastapi",
    "httpx",
    "ibis",
    "jinja2",
    "numpy",
    "pandas",
    "plotly",
    "psycopg",
    "pyarrow",
    "pyspark",
    "ruamel",
    "sklearn",
    "slack_sdk",
    "starlette",
    "uvicorn",
)
# What checking a model needs (its YAML, its conditions) and help does not.
MODEL_CHECK = ("sqlglot", "yaml")

# A fresh interpreter runs the console entry point in-process, then lists what it loaded.
PROBE = """
import json, sys
sys.argv = ["whynow", *sys.argv[1:]]
from whynow.cli import main
try:
    main()
    code = 0
except SystemExit as e:
    code = e.code or 0
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}), file=sys.stderr)
"""


def loaded(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    return set(report["modules"])


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        *([command, "--help"] for command in ("check", "run", "explain", "queue", "serve", "learn", "import")),
        ["alerts", "send", "--help"],
    ],
    ids=" ".join,
)
def test_help_loads_neither_the_engine_nor_the_model_checker(args: list[str]) -> None:
    assert loaded(*args) & {*ENGINE, *MODEL_CHECK} == set()


def test_check_loads_the_model_checker_but_not_the_engine() -> None:
    modules = loaded("check", str(reference_model_path()))
    assert modules & set(ENGINE) == set()
    assert set(MODEL_CHECK) <= modules


def test_the_package_api_resolves_on_first_use() -> None:
    import whynow

    for name in whynow.__all__:
        assert getattr(whynow, name) is not None, name
    assert set(whynow.__all__) <= set(dir(whynow))
    with pytest.raises(AttributeError):
        _ = whynow.no_such_name
