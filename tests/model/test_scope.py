"""The names each place of a model can use: every one has a meaning, the reference lists exactly them, and
an unknown name is answered with the closest legal ones and where they are all listed."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from whynow.cli import app
from whynow.data.contract import COLUMN_MEANINGS, OPPORTUNITY_HORIZON_COLUMNS, TABLES
from whynow.model.scope import PLACES, SIGNAL_TABLES, build_scopes, reference_heading, reference_link

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "model.md"


def test_every_canonical_column_has_a_meaning() -> None:
    for name, table in TABLES.items():
        expected = {c.name for c in table.columns}
        if name == "opportunities":
            expected |= set(OPPORTUNITY_HORIZON_COLUMNS)
        assert set(COLUMN_MEANINGS[name]) == expected, name
        assert all(meaning.strip() for meaning in COLUMN_MEANINGS[name].values()), name


def _section(heading: str) -> str:
    """The text under one `### heading` of the reference, up to the next heading."""
    text = REFERENCE.read_text(encoding="utf-8")
    start = text.index(f"\n### {heading}\n")
    end = text.find("\n#", start + 1)
    return text[start:end]


def _listed(section: str) -> dict[str, tuple[str, str]]:
    """name → (type, meaning) of a section's table rows that name one name."""
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \| (.+) \|$", section, flags=re.MULTILINE)
    return {name: (kind, meaning) for name, kind, meaning in rows}


SCOPES = build_scopes({}, {}, {}, [])


@pytest.mark.parametrize("place", PLACES, ids=lambda p: p.scope)
def test_the_reference_lists_exactly_the_names_each_place_accepts(place) -> None:
    scope = getattr(SCOPES, place.scope)
    section = _section(reference_heading(scope.title))
    listed = _listed(section)
    assert set(listed) == set(scope.names)
    assert all(listed[name][0] == scope.names[name] for name in listed)
    assert all(meaning.strip() for _, meaning in listed.values())
    if "account measures" in place.parts:
        assert "`engaged_<role>`" in section
    for part, row in (("accounts", "columns: accounts"), ("account signals", "level: account")):
        assert (row in section) == (part in place.parts), (place.scope, row)


@pytest.mark.parametrize("table", SIGNAL_TABLES)
def test_the_reference_lists_what_each_signal_table_offers(table: str) -> None:
    scope = SCOPES.signal_tables[table]
    section = _section(reference_heading(scope.title))
    assert set(_listed(section)) == set(scope.names)
    assert f"columns: {table}" in section


def test_a_condition_cannot_see_an_opportunitys_future_and_the_reference_says_so() -> None:
    listed = _listed(_section("Signals from opportunities"))
    assert {"open", "won"} <= set(listed)
    assert not {"is_closed", "is_won", "closed_at", "stage"} & set(listed)
    assert "backtests stay honest" in _section("Signals from opportunities")


def test_a_place_knows_target_as_what_it_is_there() -> None:
    """Inside target_when `target` is the data's column; after it, the result of target_when."""
    assert _listed(_section("`target_when`"))["target"][1].startswith("The account is marked as a target")
    assert "target_when" in _listed(_section("Account conditions"))["target"][1]
    assert "mqa" not in _listed(_section("`target_when`"))
    assert "mqa" not in _listed(_section("MQA conditions"))
    assert "mqa" in _listed(_section("`sqa_when`"))


def _anchors() -> set[str]:
    headings = re.findall(r"^#+ (.+)$", REFERENCE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_place_s_link_lands_on_its_heading() -> None:
    titles = [getattr(SCOPES, p.scope).title for p in PLACES] + [s.title for s in SCOPES.signal_tables.values()]
    anchors = _anchors()
    assert "names-a-condition-can-use" in anchors
    for title in titles:
        assert reference_link(title).partition("#")[2] in anchors, title


def _check(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "model.yaml"
    path.write_text(textwrap.dedent(text))
    result = CliRunner().invoke(app, ["check", str(path)], env={"COLUMNS": "300"})
    return result.exit_code, " ".join(result.stderr.split())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "model: t\nfit:\n  account:\n    - {name: r, when: industy = 'x', points: 1}\n",
            "unknown name 'industy' in account fit rules — did you mean 'industry'? "
            "Every name account fit rules can use: docs/model.md#account-fit-rules",
            id="one-close-name",
        ),
        pytest.param(
            "model: t\naccounts:\n  mqa_when: engaged_contact >= 4\n",
            "unknown name 'engaged_contact' in MQA conditions — did you mean 'engaged_contacts'? "
            "Every name MQA conditions can use: docs/model.md#mqa-conditions",
            id="a-measure",
        ),
        pytest.param(
            "model: t\nengagement:\n  rules:\n    - {name: r, when: page = 'x', points: 1}\n",
            "unknown name 'page' in engagement rules; every name engagement rules can use: "
            "docs/model.md#engagement-rules",
            id="nothing-close",
        ),
        pytest.param(
            "model: t\nsignals:\n  s: {from: change_events, where: knd = 'funding', measure: count}\n",
            "did you mean 'kind'? Every name signals from change_events can use: "
            "docs/model.md#signals-from-change_events",
            id="signal-where",
        ),
        pytest.param(
            "model: t\nbadges:\n  definitions:\n    - {id: b, archetype: change, label: B, when: fit > 1, play: p, "
            "why: '{acount} grew'}\n",
            "unknown placeholder '{acount}' in account narratives — did you mean 'account', 'country' or "
            "'account_id'? "
            "Every name account narratives can use: docs/model.md#account-narratives",
            id="placeholder-with-several-close-names",
        ),
    ],
)
def test_an_unknown_name_is_answered_with_the_closest_names_and_where_all_are_listed(
    tmp_path: Path, text: str, message: str
) -> None:
    code, stderr = _check(tmp_path, text)
    assert code == 1
    assert message in stderr
    assert "Traceback" not in stderr
