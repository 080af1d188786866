"""What `pip install` gets (#24): a range for every dependency that constraints.txt pins inside, a wheel that
carries every file whynow reads at run time, and `--version` from the installed package's metadata."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from email.parser import HeaderParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import whynow
from tests.test_startup import ENGINE, MODEL_CHECK

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def dependencies() -> list[tuple[str, Requirement]]:
    """Each requirement of the package with where pyproject.toml names it: `dependencies` or an extra's name."""
    named = [("dependencies", text) for text in PROJECT["dependencies"]]
    named += [(extra, text) for extra, texts in PROJECT["optional-dependencies"].items() for text in texts]
    requirements = [(where, Requirement(text)) for where, text in named]
    return [(where, requirement) for where, requirement in requirements if requirement.name != "whynow"]


def build_requirements() -> list[tuple[str, Requirement]]:
    return [("build-system", Requirement(text)) for text in PYPROJECT["build-system"]["requires"]]


def constraint_lines() -> list[tuple[int, str]]:
    """constraints.txt's lines that say something, numbered as an editor numbers them."""
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    return [(number, line.split("#")[0].strip()) for number, line in enumerate(lines, 1) if line.split("#")[0].strip()]


def pins() -> dict[str, Version]:
    """constraints.txt as package → its one exact version."""
    pinned = {}
    for _, text in constraint_lines():
        requirement = Requirement(text)
        pinned[canonicalize_name(requirement.name)] = Version(next(iter(requirement.specifier)).version)
    return pinned


def ids(named: tuple[str, Requirement]) -> str:
    return f"{named[0]}: {named[1]}"


def test_constraints_pin_one_exact_version_per_package() -> None:
    seen: dict[str, int] = {}
    for number, text in constraint_lines():
        requirement = Requirement(text)
        specifiers = list(requirement.specifier)
        exact = len(specifiers) == 1 and specifiers[0].operator == "=="
        assert exact and not requirement.extras and requirement.marker is None, (
            f"constraints.txt:{number}: '{text}' is not NAME==VERSION"
        )
        name = canonicalize_name(requirement.name)
        assert name not in seen, f"constraints.txt:{number}: {name} is pinned already on line {seen.get(name)}"
        seen[name] = number


@pytest.mark.parametrize("named", dependencies(), ids=ids)
def test_every_dependency_has_a_lower_bound_and_stops_before_the_next_major(named: tuple[str, Requirement]) -> None:
    where, requirement = named
    operators = {specifier.operator for specifier in requirement.specifier}
    assert operators & {">=", ">", "==", "~="}, f"pyproject.toml [{where}]: {requirement} has no lower bound"
    assert operators & {"<", "<=", "==", "~="}, f"pyproject.toml [{where}]: {requirement} has no upper bound"
    pin = pins().get(canonicalize_name(requirement.name))
    assert pin is not None, f"constraints.txt has no line for {requirement.name}"
    next_major = Version(f"{pin.major + 1}")
    assert next_major not in requirement.specifier, (
        f"pyproject.toml [{where}]: {requirement} lets in {requirement.name} {next_major}, the next major after the "
        f"{pin} that constraints.txt pins; end the range below it"
    )


@pytest.mark.parametrize("named", [*build_requirements(), *dependencies()], ids=ids)
def test_constraints_pin_every_dependency_inside_its_range(named: tuple[str, Requirement]) -> None:
    where, requirement = named
    pin = pins().get(canonicalize_name(requirement.name))
    assert pin is not None, f"constraints.txt has no line for {requirement.name}, which pyproject.toml [{where}] names"
    assert requirement.specifier.contains(pin, prereleases=True), (
        f"constraints.txt pins {requirement.name}=={pin}, outside pyproject.toml [{where}]: {requirement}"
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    """The wheel `pip wheel` builds from a copy of this checkout with this environment's setuptools: no network,
    and nothing written into the checkout."""
    backend = next(requirement for _, requirement in build_requirements() if requirement.name == "setuptools")
    try:
        installed: str | None = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed is None or Version(installed) not in backend.specifier:
        pytest.skip(f"this environment has setuptools {installed}, not {backend}: `make` installs it (constraints.txt)")
    source = tmp_path_factory.mktemp("checkout")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    built = subprocess.run([*command, "--quiet", str(source), "-w", str(out)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = out.glob("whynow-*.whl")
    with zipfile.ZipFile(path) as opened:
        yield opened


def test_the_wheel_carries_every_file_of_the_package(wheel: zipfile.ZipFile) -> None:
    """Templates, static files, the example model and the CRM mappings are read at run time: a wheel without
    one installs fine and fails on first use."""
    tracked = subprocess.run(["git", "ls-files", "src/whynow"], cwd=ROOT, capture_output=True, text=True, check=True)
    expected = {path.removeprefix("src/") for path in tracked.stdout.splitlines()}
    carried = {name for name in wheel.namelist() if not name.startswith("whynow-")}
    for needed in ("whynow/examples/model.yaml", "whynow/crm/salesforce.yaml", "whynow/serve/templates/base.html"):
        assert needed in carried
    assert expected - carried == set(), "the wheel lacks these: add them to [tool.setuptools.package-data]"
    assert carried - expected == set(), "the wheel carries files that are not in the repository"


def test_the_wheel_metadata_lists_the_ranges_and_the_command(wheel: zipfile.ZipFile) -> None:
    version = PROJECT["version"]
    metadata = HeaderParser().parsestr(wheel.read(f"whynow-{version}.dist-info/METADATA").decode())
    assert (metadata["Name"], metadata["Version"], metadata["Requires-Python"]) == ("whynow", version, ">=3.11")
    listed = {str(Requirement(text)) for text in metadata.get_all("Requires-Dist") or []}
    declared = {str(requirement) for requirement in map(Requirement, PROJECT["dependencies"])}
    for extra, texts in PROJECT["optional-dependencies"].items():
        declared |= {str(Requirement(f'{text}; extra == "{extra}"')) for text in texts}
    assert listed == declared
    entry_points = wheel.read(f"whynow-{version}.dist-info/entry_points.txt").decode()
    assert "whynow = whynow.cli:main" in entry_points


def test_the_version_is_the_one_pyproject_declares() -> None:
    assert whynow.__version__ == PROJECT["version"] == importlib.metadata.version("whynow")


@pytest.mark.parametrize("command", [[sys.executable, "-m", "whynow"], ["whynow"]], ids=["python -m whynow", "whynow"])
def test_version_prints_the_package_version_without_loading_the_engine(command: list[str]) -> None:
    if command == ["whynow"]:
        script = Path(sys.executable).with_name("whynow")
        assert script.exists(), f"no `whynow` command beside {sys.executable}: install the package (make)"
        command = [str(script)]
    # Python lists each module it imports on stderr, so the test sees what --version loaded.
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, env=env)
    timings = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    errors = "\n".join(line for line in done.stderr.splitlines() if line not in timings)
    assert (done.returncode, done.stdout) == (0, f"whynow {importlib.metadata.version('whynow')}\n"), errors
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in timings}
    assert "whynow" in imported
    assert imported & {*ENGINE, *MODEL_CHECK} == set()
