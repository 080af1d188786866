"""Thresholds move with the points (SPEC §9, #23): when learn proposes new points, each threshold over fit,
engagement or a score built from them keeps the share of snapshots on its side, and a condition that would
lose every member says so."""

from __future__ import annotations

import datetime as dt
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

from whynow.learn.propose import Feature, propose
from whynow.model.load import load_model_text

LEADS = """model: leads
fit:
  account: []
  contact:
    - {name: Director, when: "title = 'Director'", points: 20}
    - {name: Big company, when: "department = 'IT'", points: 20}
    - {name: Came back, when: "first_name = 'Pat'", points: 20}
engagement:
  rules:
    - {name: Page view, when: "type = 'page_view'", points: 1}
leads:
  mql_when: fit >= 40  # sales-ready
  nurture_when: recent_activities >= 2
"""
CONTACT_FIT = [Feature(f"fit: {name}", "fit", i, "contact") for i, name in enumerate(("Director", "Big", "Back"))]
# The three rules each contact holds: 4 in 10 reach fit 40 under 20 points a rule.
HELD = [[1, 1, 1]] + [[1, 1, 0]] + [[0, 1, 1]] * 2 + [[1, 0, 0]] * 2 + [[0, 1, 0]] * 2 + [[0, 0, 0]] * 2


def _contacts(held: list[list[int]]) -> np.ndarray:
    return np.array([[*row, 0] for row in held], dtype=float)  # no page views: engagement 0


def _lines(proposal: str) -> list[str]:
    return [line for line in proposal.splitlines() if line.startswith(("#   ", "# warning", "# not moved"))]


def test_a_lead_status_threshold_keeps_its_share_of_contacts_when_the_points_change() -> None:
    """Director now weighs three times the others (20, 7, 7): `fit >= 40` would keep 2 contacts of the 4; at
    20 it keeps 4 in 10 as before, and the proposal says so."""
    model = load_model_text(LEADS, "leads.yaml")
    features = [*CONTACT_FIT, Feature("engagement: Page view", "engagement", 0)]
    proposal, diff = propose(model, LEADS, features, [3.0, 1.0, 1.0, 0.0], _contacts(HELD))
    spec = load_model_text(proposal, "proposal.yaml").spec
    assert [r.points for r in spec.fit.contact] == [20, 7, 7]
    assert "  mql_when: fit >= 20  # sales-ready" in proposal.splitlines()  # the comment kept
    assert [line for line in _lines(proposal) if line.startswith("#   leads.")] == [
        "#   leads.mql_when: fit >= 40 → fit >= 20 (40.0% of contacts before, 40.0% after)"
    ]
    # Page view, the one engaging rule, is proposed at 0: nurture_when (recent_activities >= 2) would hold for
    # nobody, and no threshold can make up for it.
    assert any(line.startswith("# warning: no engagement rule") and "leads.nurture_when" in line
               for line in _lines(proposal))  # fmt: skip
    new_fit = _contacts(HELD)[:, :3] @ np.array([20, 7, 7])
    old_fit = _contacts(HELD)[:, :3] @ np.array([20, 20, 20])
    assert abs(int((new_fit >= 20).sum()) - int((old_fit >= 40).sum())) <= 1
    assert "+  mql_when: fit >= 20  # sales-ready" in diff


ACCOUNTS = """model: accounts
fit:
  account:
    - {name: Software, when: "industry = 'Software'", points: 20}
    - {name: Big, when: employees >= 1000, points: 20}
engagement:
  rules:
    - {name: Demo request, when: "type = 'demo_request'", points: 30}
leads:
  mql_when: engagement >= 30
accounts:
  target_when: "TRUE"
  mqa_when: fit + engagement >= 50 AND engaged_contacts >= 1
journey:
  - {stage: engaged, when: engaged_contacts >= 3}
  - {stage: warm, when: "50 <= fit + engagement"}
  - {stage: cold}
badges:
  definitions:
    - {id: mid, archetype: change, label: Mid, when: fit BETWEEN 20 AND 30, play: Call, why: "{account} fits"}
"""
ACCOUNT_FEATURES = [
    Feature("fit: Software", "fit", 0),
    Feature("fit: Big", "fit", 1),
    Feature("engagement: Demo request", "engagement", 0),
]
# Software held, Big held, Demo request points (two demos: 60).
SNAPSHOTS = [[1, 1, 60], [1, 0, 30], [0, 1, 30], [1, 1, 0], [0, 0, 60], [1, 0, 0], [0, 1, 0], [0, 0, 30], [0, 0, 0],
             [1, 0, 60]]  # fmt: skip


def _account_proposal() -> str:
    """Software now 30, Big 10 and a demo 12 points instead of 30 (the largest weight, 1.5, is worth 30)."""
    model = load_model_text(ACCOUNTS, "accounts.yaml")
    proposal, _ = propose(model, ACCOUNTS, ACCOUNT_FEATURES, [1.5, 0.5, 0.02], np.array(SNAPSHOTS, dtype=float))
    assert [r.points for r in load_model_text(proposal, "p.yaml").spec.fit.account] == [30, 10]
    return proposal


def _threshold(proposal: str, pattern: str) -> float:
    found = re.search(pattern, proposal)
    assert found, proposal
    return float(found.group(1))


def test_an_mqa_threshold_over_fit_plus_engagement_keeps_its_share_of_accounts() -> None:
    proposal = _account_proposal()
    rows = np.array(SNAPSHOTS, dtype=float)
    old = rows @ np.array([20, 20, 1])
    new = rows @ np.array([30, 10, 12 / 30])
    moved = _threshold(proposal, r"mqa_when: fit \+ engagement >= (\S+) AND engaged_contacts >= 1\n")
    assert abs(int((new >= moved).sum()) - int((old >= 50).sum())) <= 1  # 5 in 10 both times
    assert moved == 30
    warm = _threshold(proposal, r'when: "(\S+) <= fit \+ engagement"')  # written the other way round
    assert warm == moved
    assert (
        "#   accounts.mqa_when: fit + engagement >= 50 AND engaged_contacts >= 1 → "
        "fit + engagement >= 30 AND engaged_contacts >= 1 (50.0% of account-dates before, 50.0% after)"
    ) in _lines(proposal)


def test_each_end_of_a_between_keeps_its_side() -> None:
    """`fit BETWEEN 20 AND 30` held for the 5 accounts with one rule (fit 20); under 30 and 10 points those
    are at 30 or 10: the low end moves to 10, the high end still splits the same and stays."""
    proposal = _account_proposal()
    low = _threshold(proposal, r"when: fit BETWEEN (\S+) AND")
    high = _threshold(proposal, r"when: fit BETWEEN \S+ AND (\S+),")
    old = np.array(SNAPSHOTS, dtype=float)[:, :2] @ np.array([20, 20])
    new = np.array(SNAPSHOTS, dtype=float)[:, :2] @ np.array([30, 10])
    assert (low, high) == (10, 30)
    assert int(((new >= low) & (new <= high)).sum()) == int(((old >= 20) & (old <= 30)).sum()) == 5
    assert (
        "#   badge mid: fit BETWEEN 20 AND 30 → fit BETWEEN 10 AND 30 (fit >= 10: 70.0% of account-dates before, "
        "70.0% after; fit <= 30: 80.0% of account-dates before, 80.0% after)"
    ) in _lines(proposal)


def test_conditions_that_do_not_compare_fit_or_engagement_are_left_as_written() -> None:
    proposal = _account_proposal()
    assert '  target_when: "TRUE"' in proposal.splitlines()
    assert "  - {stage: engaged, when: engaged_contacts >= 3}" in proposal.splitlines()
    assert "AND engaged_contacts >= 1\n" in proposal  # the rest of the condition as written
    assert not any("engaged_contacts >= 3" in line or "target" in line for line in _lines(proposal))


def test_a_contact_threshold_the_account_snapshots_cannot_measure_is_named_not_silently_kept() -> None:
    """The demo's points change, so a contact's engagement does; the account snapshots hold no contact's."""
    proposal = _account_proposal()
    assert "  mql_when: engagement >= 30" in proposal.splitlines()
    assert [line for line in _lines(proposal) if "mql_when" in line] == [
        "# not moved: leads.mql_when: it compares the engagement of contacts, which the account-dates learned from "
        "do not hold; check it by hand"
    ]


def test_a_status_that_would_lose_every_member_says_so() -> None:
    """Only Came back keeps points, and nobody came back: every contact's fit is 0 under the proposal, so no
    threshold keeps the 40% that reached 40 — the proposal warns that no contact would be an MQL."""
    model = load_model_text(LEADS, "leads.yaml")
    held = [[row[0], row[1], 0] for row in HELD]
    proposal, diff = propose(model, LEADS, CONTACT_FIT, [0.0, 0.0, 1.0], _contacts(held))
    assert [r.points for r in load_model_text(proposal, "p.yaml").spec.fit.contact] == [0, 0, 20]
    assert (
        "# warning: leads.mql_when: fit >= 40 held for 20.0% of the contacts under the current points and holds for "
        "none under the proposed ones; it would have no members"
    ) in _lines(proposal)
    assert "+# warning: leads.mql_when: fit >= 40 held for 20.0%" in "\n".join(diff)


X_EDUCATION = Path(__file__).resolve().parents[3] / "shared" / "data" / "x-education-leads" / "Leads.csv"


@pytest.mark.skipif(not X_EDUCATION.exists(), reason=f"X Education's leads are not at {X_EDUCATION}")
def test_x_educations_proposal_still_qualifies_mqls(tmp_path: Path) -> None:
    """#23: the contact-level proposal on X Education's 9,240 leads (as `make trial` runs it) qualified 0 MQLs
    against 599 today; with mql_when moved with the points it qualifies about as many, and it ranks the
    held-out leads with an AUC of at least 0.91."""
    import pyarrow.compute as pc

    from whynow.learn.learn import learn_contacts
    from whynow.run import run

    trial = Path(__file__).resolve().parents[2] / "examples" / "trials" / "x_education"
    runpy.run_path(str(trial / "prepare.py"))["prepare"](X_EDUCATION, tmp_path / "data")
    text = (trial / "model.yaml").read_text()
    day = dt.date(2026, 11, 20)
    learned = learn_contacts(load_model_text(text, "model.yaml"), text, str(tmp_path / "data"), "converted", day)
    mqls = {}
    for name, model in (("current", text), ("proposal", learned.proposal)):
        result = run(load_model_text(model, f"{name}.yaml"), str(tmp_path / "data"), day, store=tmp_path / f"{name}.db")
        mqls[name] = pc.sum(pc.equal(result.outputs["contact_status"]["lead_status"], "mql")).as_py() or 0
    assert mqls["current"] == 599
    assert 0.8 * mqls["current"] <= mqls["proposal"] <= 1.25 * mqls["current"], (mqls, learned.diff)
    assert any(line.startswith("+#   leads.mql_when: fit >= 50 → fit >= ") for line in learned.diff)
    # #23, point 5: replayed on the held-out leads, the proposal (the columns' rules added) ranks at least as
    # well as a plain L1 logistic regression on the same columns (0.912).
    judged = learned.judgement
    assert judged is not None and judged.proposed.auc is not None and judged.proposed.auc.auc >= 0.91


def test_a_proposal_that_stops_every_activity_from_engaging_says_so() -> None:
    """#23: engaged contacts are those with an activity of a rule worth points. A proposal that puts the only
    such rule at 0 empties engaged_contacts, and with it the MQA and the journey stage that read it; no
    threshold can move to make up for it, so the proposal says so in a warning line."""
    model = load_model_text(ACCOUNTS, "accounts.yaml")
    x = np.array(SNAPSHOTS, dtype=float)
    proposal, _ = propose(model, ACCOUNTS, ACCOUNT_FEATURES, [1.5, 0.5, 0.0], x)
    assert [r.points for r in load_model_text(proposal, "p.yaml").spec.engagement.rules] == [0]
    warnings = [line for line in proposal.splitlines() if line.startswith("# warning: no engagement rule")]
    assert warnings == [
        "# warning: no engagement rule earns points under the proposal (Demo request 30 → 0): no contact is "
        "engaged, nobody is an account's top contact, and accounts.mqa_when, journey engaged read engaged "
        "contacts; compare the replay's counts below, or keep a rule's points above 0"
    ]
    kept, _ = propose(model, ACCOUNTS, ACCOUNT_FEATURES, [1.5, 0.5, 0.02], x)  # the demo still worth 12
    assert "no longer engage" not in kept and "no engagement rule earns points" not in kept
