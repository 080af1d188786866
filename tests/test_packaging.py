"""What `pip install` gets (#24): a range for every dependency, and constraints.txt pinning inside it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

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
