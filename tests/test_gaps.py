"""Runs that say what went wrong: `whynow run` and `whynow check --data` warn, one line each and exit 0,
when the data leave a model's rules silent (whynow.gaps)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from whynow.cli import app
from whynow.gaps import _never_true
from whynow.model.load import load_model_text

runner = CliRunner()

MODEL = """\
model: gaps
columns: {accounts: {segment: text}}
engagement:
  lookback_days: 30
  rules:
    - {name: Email opened, when: "type = 'email_open'", points: 2}
    - {name: Webinar, when: "type = 'webinar'", points: 10}
signals:
  funding_days_ago: {from: change_events, where: "kind = 'funding'", measure: days_since, within_days: 60}
badges:
  definitions:
    - id: funding
      archetype: change
      when: funding_days_ago <= 60
      label: Funded
      play: Congratulate
      expires_after_days: 30
      why: "Funded {funding_days_ago} days ago"
"""
ACCOUNTS = "account_id,name,segment\nA1,Acme,\nA2,Beta,\n"
CONTACTS = "contact_id,account_id,email\nC1,A1,c1@acme.com\n"
BOTH_RULES = "X1,C1,webinar,2026-11-10T09:00:00Z\nX2,C1,email_open,2026-11-10T09:00:00Z\n"  # each rule matches
FILLED = "account_id,name,segment\nA1,Acme,smb\n"  # the declared column holds a value
FUNDING = "event_id,account_id,kind,occurred_at\nE1,A1,funding,2026-11-01T00:00:00Z\n"


def source(folder: Path, activities: str, accounts: str = ACCOUNTS, events: str | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "accounts.csv").write_text(accounts)
    (folder / "contacts.csv").write_text(CONTACTS)
    (folder / "activities.csv").write_text("activity_id,contact_id,type,occurred_at\n" + activities)
    if events is not None:
        (folder / "change_events.csv").write_text(events)
    return folder


def run(tmp_path: Path, data: Path, *args: str, model: str = MODEL) -> tuple[int, list[str]]:
    path = tmp_path / "model.yaml"
    path.write_text(model)
    store = tmp_path / "store.duckdb"
    result = runner.invoke(app, ["run", "--model", str(path), "--data", str(data), "--store", str(store), *args])
    assert result.exit_code == 0, result.output
    return result.exit_code, [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


def test_an_engagement_rule_that_matches_no_row_is_named(tmp_path: Path) -> None:
    data = source(tmp_path / "d", "X1,C1,email_open,2026-11-10T09:00:00Z\n", events=FUNDING)
    _, warnings = run(tmp_path, data, "--as-of", "2026-11-20")
    assert len(warnings) == 2, warnings  # the rule, and the empty segment column
    rule = "model.yaml:7: engagement rule 'Webinar' (type = 'webinar') matches no activity in the lookback (30 days"
    assert rule + " to 2026-11-20)" in warnings[0]
    assert "Email opened" not in " ".join(warnings)


def test_no_activity_in_the_lookback_suggests_the_newest_date(tmp_path: Path) -> None:
    data = source(
        tmp_path / "d",
        "X1,C1,email_open,2023-05-02T09:00:00Z\nX2,C1,webinar,2023-06-14T09:00:00Z\n",
        accounts=FILLED,
        events=FUNDING,
    )
    _, warnings = run(tmp_path, data, "--as-of", "2026-11-20")
    assert warnings == [
        "warning: no activity falls inside the engagement lookback (30 days before 2026-11-20); the newest is "
        "from 2023-06-14, so every engagement is 0: run with --as-of 2023-06-14 to score the data as of then"
    ]
    _, then = run(tmp_path, data, "--as-of", "2023-06-14", "--fresh")
    assert not any("no activity falls inside" in w for w in then), then


def test_no_activities_at_all(tmp_path: Path) -> None:
    data = source(tmp_path / "d", "", accounts=FILLED, events=FUNDING)
    _, warnings = run(tmp_path, data, "--as-of", "2026-11-20")
    assert warnings == [
        "warning: the data has no activities before 2026-11-21: every engagement is 0 and no contact is engaged; "
        "add an activities table (or check --as-of)"
    ]


def test_a_badge_whose_signal_has_no_rows(tmp_path: Path) -> None:
    data = source(tmp_path / "d", BOTH_RULES)
    _, warnings = run(tmp_path, data, "--as-of", "2026-11-20")
    assert (
        "model.yaml:14: badge 'funding' cannot fire as of 2026-11-20: it needs signal 'funding_days_ago', which has "
        "no row of change_events where kind = 'funding' before 2026-11-21; check the signal's from: and where: "
        "against the data" in warnings[0]
    )


def test_a_badge_whose_signal_is_outside_its_window_names_the_newest_row(tmp_path: Path) -> None:
    old = "event_id,account_id,kind,occurred_at\nE1,A1,funding,2025-01-07T00:00:00Z\n"
    data = source(
        tmp_path / "d",
        BOTH_RULES,
        accounts=FILLED,
        events=old,
    )
    _, warnings = run(tmp_path, data, "--as-of", "2026-11-20")
    assert warnings == [
        "warning: " + str(tmp_path / "model.yaml") + ":14: badge 'funding' cannot fire as of 2026-11-20: it needs "
        "signal 'funding_days_ago', which has no row in its 60 days to 2026-11-20 (the newest row of change_events "
        "where kind = 'funding' is from 2025-01-07); a run with --as-of 2025-01-07 would see it"
    ]


def test_a_declared_column_that_is_empty_everywhere(tmp_path: Path) -> None:
    data = source(tmp_path / "d", BOTH_RULES, events=FUNDING)
    _, warnings = run(tmp_path, data, "--as-of", "2026-11-20")
    assert warnings == [
        "warning: " + str(tmp_path / "model.yaml") + ":2: accounts.segment, declared under columns:, is empty in "
        "all 2 rows of accounts: every rule that reads it sees NULL; fill it in the export or remove it"
    ]


def test_data_the_model_fits_gives_no_warning(tmp_path: Path) -> None:
    data = source(
        tmp_path / "d",
        BOTH_RULES,
        accounts="account_id,name,segment\nA1,Acme,smb\nA2,Beta,\n",
        events=FUNDING,
    )
    _, warnings = run(tmp_path, data, "--as-of", "2026-11-20")
    assert warnings == []


def test_check_with_data_warns_as_a_run_at_its_as_of_would(tmp_path: Path) -> None:
    data = source(tmp_path / "d", "X1,C1,email_open,2023-05-02T09:00:00Z\n", events=FUNDING)
    model = tmp_path / "model.yaml"
    model.write_text(MODEL)
    result = runner.invoke(app, ["check", str(model), "--data", str(data), "--as-of", "2026-11-20"])
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2, warnings  # the rules' warnings would say the same again
    assert "no activity falls inside the engagement lookback" in warnings[0] and "--as-of 2023-05-02" in warnings[0]
    assert "accounts.segment, declared under columns:, is empty" in warnings[1]
    assert "Model 'gaps' is valid" in result.stdout


SCOPE_MODEL = """\
model: never
signals:
  funding_days_ago: {from: change_events, where: "kind = 'funding'", measure: days_since}
  hires: {from: change_events, where: "kind = 'hire'", measure: count}
  hiring: {from: change_events, where: "kind = 'hire'", measure: exists}
badges:
  definitions:
    - {id: b, archetype: change, label: B, play: P, when: "WHEN", expires_after_days: 30, why: "x"}
"""


@pytest.mark.parametrize(
    ("condition", "never"),
    [
        ("funding_days_ago <= 60", True),  # NULL <= 60 is NULL
        ("funding_days_ago <= 60 and fit > 10", True),
        ("fit > 10 and (funding_days_ago < 5 or funding_days_ago > 100)", True),
        ("funding_days_ago <= 60 or fit > 10", False),
        ("coalesce(funding_days_ago, 0) <= 60", False),
        ("funding_days_ago is null", False),
        ("not funding_days_ago <= 60", True),  # NOT NULL is NULL
        ("hires >= 3", True),  # a count of no rows is 0
        ("hires < 3", False),
        ("hiring", True),  # exists of no rows is false
        ("not hiring", False),
        ("hires + 2 >= 3", False),  # arithmetic beyond NULL is not folded: no claim
        ("funding_days_ago BETWEEN 0 AND 60", True),
        ("funding_days_ago IN (1, 2, 3) and fit > 1", True),
        ("hires BETWEEN 0 AND 2", False),  # 0 is between: no claim
    ],
)
def test_never_true_claims_only_what_holds(condition: str, never: bool) -> None:
    model = load_model_text(SCOPE_MODEL.replace("WHEN", condition), "model.yaml")
    tree = model.conditions[("badges", "definitions", 0, "when")].tree
    signals = {"funding_days_ago", "hires", "hiring"}
    assert _never_true(tree, signals, model) is never


# A grammar of badge conditions over the three empty signals and one ordinary measure, `fit`.
_COMPARED = st.sampled_from(["funding_days_ago", "hires", "fit", "coalesce(funding_days_ago, 0)", "hires + 1"])
_ATOMS = st.one_of(
    st.builds(
        lambda a, op, n: f"{a} {op} {n}",
        _COMPARED,
        st.sampled_from(["<", "<=", "=", ">=", ">", "<>"]),
        st.integers(-2, 3),
    ),
    st.sampled_from(["hiring", "funding_days_ago IS NULL", "hires BETWEEN 1 AND 2", "fit IN (1, 2)", "NULL", "TRUE"]),
)
_CONDITIONS = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a} AND {b})", inner, inner),
        st.builds(lambda a, b: f"({a} OR {b})", inner, inner),
        st.builds(lambda a: f"NOT ({a})", inner),
    ),
    max_leaves=5,
)


@settings(max_examples=150, deadline=None)
@given(_CONDITIONS)
def test_a_badge_called_unable_to_fire_is_never_true_for_any_fit(condition: str) -> None:
    """Soundness: when `_never_true` says a condition cannot hold with the signals empty, DuckDB finds no
    value of `fit` (NULL, or -3 to 3) that makes it TRUE; with the signals at their values for no rows."""
    model = load_model_text(SCOPE_MODEL.replace("WHEN", condition.replace('"', "")), "model.yaml")
    tree = model.conditions[("badges", "definitions", 0, "when")].tree
    if not _never_true(tree, {"funding_days_ago", "hires", "hiring"}, model):
        return
    empty = "SELECT NULL::INTEGER AS funding_days_ago, 0 AS hires, FALSE AS hiring"
    fits = "SELECT unnest([NULL, -3, -2, -1, 0, 1, 2, 3])::DOUBLE AS fit"
    held = duckdb.sql(f"SELECT count(*) FROM ({empty}), ({fits}) WHERE ({condition}) IS TRUE").fetchone()
    assert held == (0,), condition
