"""`whynow learn --label wrong_fit` (SPEC §13, "What it teaches") on a world where sales turns down exactly
the Retail accounts: every account is surfaced at every weekly run (a badge for everyone, capacity for
all), the six Retail accounts are called wrong fit after the last run, two others working and one not now.
The rule only the wrong-fit accounts match, `Retail`, must come first, pushing towards wrong fit."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from whynow.cli import app
from whynow.errors import DataError
from whynow.feedback import give
from whynow.learn.report import print_learned
from whynow.learn.verdicts import read_verdicts
from whynow.learn.wrong_fit import learn_wrong_fit, wrong_fit_verdicts
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.store import Store

START, END = dt.date(2026, 10, 2), dt.date(2026, 10, 30)  # five weekly runs; the last two are the test
AFTER = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)  # when sales gave its verdicts
MODEL = """
model: disputed
fit:
  account:
    - {name: Retail, when: "industry = 'Retail'", points: 15}
    - {name: Software, when: "industry = 'Software'", points: 10}
    - {name: Big company, when: employees >= 1000, points: 10}
  contact: []
engagement:
  rules:
    - {name: Page view, when: "type = 'page_view'", points: 5}
leads:
  mql_when: engagement >= 10000
buying_committee:
  roles:
    decision_maker: seniority IN ('C-Level', 'VP')
accounts:
  target_when: fit >= 0
  mqa_when: engaged_contacts >= 40
badges:
  definitions:
    - {id: fits, archetype: change, label: Fits, when: fit >= 0, play: Call, why: "{account} fits"}
capacity: {default_per_rep: 40, unassigned: 0, rank_by: fit + engagement}
"""
RETAIL = [f"A{a:02d}" for a in range(6)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 accounts of rep R1: A00…A05 in Retail, the rest in Software, Finance or Health; sizes and page views
    at random, so they tell nothing."""
    folder = tmp_path_factory.mktemp("disputed")
    rng = random.Random(5)
    accounts, activities = (
        ["account_id,name,industry,employees,owner_id"],
        ["activity_id,contact_id,account_id,type,occurred_at"],
    )
    for a in range(30):
        industry = "Retail" if a < 6 else rng.choice(["Software", "Finance", "Health"])
        accounts.append(f"A{a:02d},Co {a},{industry},{rng.choice([50, 5000])},R1")
        for week in range(5):
            if rng.random() < 0.5:
                day = START + dt.timedelta(weeks=week, days=-1)
                activities.append(f"X{len(activities)},C{a:02d},A{a:02d},page_view,{day}T10:00:00Z")
    (folder / "accounts.csv").write_text("\n".join(accounts) + "\n")
    (folder / "activities.csv").write_text("\n".join(activities) + "\n")
    (folder / "contacts.csv").write_text(
        "contact_id,account_id,first_name,last_name\n" + "".join(f"C{a:02d},A{a:02d},Pat,Doe\n" for a in range(30))
    )
    (folder / "reps.csv").write_text("rep_id,name,capacity\nR1,Rita,40\n")
    return folder


def _model():
    return load_model_text(MODEL, "disputed.yaml")


def _store(world: Path, store: Path, verdicts: dict[str, str]) -> Path:
    run(_model(), str(world), END, store=store)
    for account, verdict in verdicts.items():
        give(Store(store), account, "R1", verdict, now=AFTER)
    return store


SALES_SAYS = {**dict.fromkeys(RETAIL, "wrong_fit"), "A10": "working", "A11": "working", "A12": "not_now"}


def test_the_rule_only_wrong_fit_accounts_match_is_the_strongest_push_towards_wrong_fit(
    world: Path, tmp_path: Path
) -> None:
    store = _store(world, tmp_path / "user.duckdb", SALES_SAYS)
    verdicts = wrong_fit_verdicts(read_verdicts(str(store), named=True), str(store))
    learned = learn_wrong_fit(_model(), str(world), START, END, verdicts)
    assert (learned.snapshots, learned.positives) == (30 * 5, 6 * 5)  # every account surfaced at every date
    weights = {f.name: w for f, w in zip(learned.features, learned.coefficients, strict=True)}
    strongest = max(weights, key=lambda name: abs(weights[name]))
    assert strongest == "fit: Retail" and weights["fit: Retail"] > 0, weights
    assert learned.auc == 1.0  # Retail tells them apart on the test dates too
    assert learned.diff == [] and learned.proposal == _model().text  # no points proposed
    out = io.StringIO()
    print_learned(Console(file=out, width=200), learned)
    text = out.getvalue()
    assert "150 surfaced account-dates, 30 of accounts whose latest verdict" in text
    assert "Sales disagrees most with fit: Retail: it gives 15 points" in text
    assert "No points proposed" in text and "Proposed points" not in text


def test_no_feedback_or_no_wrong_fit_verdict_is_one_clear_error(world: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"none\.duckdb: no sales feedback to learn wrong fit from; give verdicts"):
        wrong_fit_verdicts(read_verdicts(str(tmp_path / "none.duckdb"), named=False), str(tmp_path / "none.duckdb"))
    # A01 was called wrong fit, then working: no account's latest verdict is wrong fit.
    store = _store(world, tmp_path / "kind.duckdb", {"A10": "working", "A01": "wrong_fit"})
    give(Store(store), "A01", "R1", "working", now=AFTER + dt.timedelta(hours=1))
    with pytest.raises(DataError, match="2 accounts have a verdict, none of them wrong_fit as its latest"):
        wrong_fit_verdicts(read_verdicts(str(store), named=True), str(store))


def test_the_command_errors_in_one_line_without_feedback_and_refuses_write(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.yaml").write_text(MODEL)
    learn = ["learn", "--model", "model.yaml", "--data", str(world), "--from", str(START), "--to", str(END)]
    result = CliRunner().invoke(app, [*learn, "--label", "wrong_fit"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: whynow.duckdb: no sales feedback to learn wrong fit from; give verdicts with `whynow feedback "
        "ACCOUNT_ID --rep R --verdict wrong_fit`, or name the store that holds them with --feedback"
    ]
    refused = CliRunner().invoke(app, [*learn, "--label", "wrong_fit", "--write", "new.yaml"])
    assert refused.exit_code == 2 and "proposes no points" in refused.stderr
    _store(world, tmp_path / "sales.duckdb", SALES_SAYS)
    learned = CliRunner().invoke(app, [*learn, "--label", "wrong_fit", "--feedback", "sales.duckdb"])
    assert learned.exit_code == 0, learned.stderr
    assert "latest verdict in sales.duckdb is wrong fit" in learned.stdout
    assert "Sales disagrees most with fit: Retail" in learned.stdout
