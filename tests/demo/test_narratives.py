"""The demo's narratives read as a person would write them (SPEC §4.8): every distinct `why` of a small demo
company, run weekly as `whynow demo` runs it, is a golden file, and none prints `unknown`, a zero count,
"0 days ago", a wrong plural or an id where a name exists."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from whynow.demo import DEMO_AS_OF, generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.load import load_model
from whynow.run import run

ACCOUNTS = 300  # every badge of the reference model fires at least once, and two runs take seconds
WEEKS = 2  # weekly, as `whynow demo` runs (3 weeks there): a badge in grace keeps the earlier run's narrative
LEVELS = ("account_status", "contact_status")

# What a person would not write. The demo's ids: A0001 (accounts), C000001 (contacts), R01 (reps), ACT…,
# INT…, EV…, OPP… (source rows); an 8-hex token is what a hashed id looks like.
UNREADABLE = {
    "unknown": re.compile(r"\bunknown\b", re.IGNORECASE),
    "a zero count": re.compile(r"(^|\s)0\s"),
    "0 days ago": re.compile(r"\b0 days ago"),
    "a plural after 1": re.compile(r"(^|\s)-?1 (days|people|times|views|add-on page views)\b"),
    "an id": re.compile(r"\b[A-Z]{1,3}\d{2,}\b|\b[0-9a-f]{8}\b"),
}


@pytest.fixture(scope="module")
def narratives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[tuple[str, str]]]:
    """(badge, why) of every badged account and contact, over the demo's weekly runs."""
    folder = tmp_path_factory.mktemp("demo")
    generate_demo_data(folder, as_of=DEMO_AS_OF, accounts=ACCOUNTS)
    model = load_model(reference_model_path())
    dates = [DEMO_AS_OF - timedelta(weeks=w) for w in reversed(range(WEEKS))]
    found: dict[str, set[tuple[str, str]]] = {level: set() for level in LEVELS}
    for as_of in dates:
        result = run(model, str(folder), as_of, store=Path(folder) / "whynow.duckdb", fresh=as_of == dates[0])
        for level in LEVELS:
            rows = result.outputs[level].select(["badge", "why"]).to_pylist()
            found[level] |= {(r["badge"], r["why"]) for r in rows if r["badge"] is not None}
    return found


def test_the_demo_narratives_are_the_golden_ones(narratives, golden):
    text = "".join(
        f"# {level}\n" + "".join(f"{badge}: {why}\n" for badge, why in sorted(narratives[level])) for level in LEVELS
    )
    golden("demo_narratives.txt", text)


def test_every_badge_of_the_reference_model_has_a_narrative_in_the_demo(narratives):
    badges = {badge for level in LEVELS for badge, _ in narratives[level]}
    assert badges == {b.id for b in load_model(reference_model_path()).spec.badges.definitions}


@pytest.mark.parametrize("what", list(UNREADABLE))
def test_no_demo_narrative_prints(narratives, what):
    pattern = UNREADABLE[what]
    bad = sorted(why for level in LEVELS for _, why in narratives[level] if pattern.search(why))
    assert not bad, f"{len(bad)} narratives print {what}: {bad[:5]}"
