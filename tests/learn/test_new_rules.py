"""#23: a model's few starting rules cannot rank as well as the columns they leave out, so learn proposes a
fit rule for each declared column's value that earns points — a text value, a yes/no column, a number above
one of its quantiles — written in the model language, and judged by replaying the proposal."""

from __future__ import annotations

import datetime as dt
import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from whynow.learn.learn import learn_contacts
from whynow.learn.propose import Feature, propose
from whynow.model.load import load_model_text
from whynow.run import run

DAY = dt.date(2026, 11, 20)
MODEL = """model: leads
columns:
  contacts: {plan: text, visits: number, newsletter: boolean, converted: boolean}
fit:
  account: []
  contact:
    - {name: Anyone, when: "visits >= 0", points: 10}
engagement:
  rules:
    - {name: Page view, when: "type = 'page_view'", points: 1}
leads:
  mql_when: fit >= 10
buying_committee:
  roles:
    buyer: "TRUE"
accounts:
  target_when: "TRUE"
  mqa_when: engaged_contacts >= 1
badges:
  definitions:
    - {id: hot, archetype: change, label: Hot, when: mql_contacts >= 1, play: Call, why: "{account} fits"}
"""


@pytest.fixture(scope="module")
def leads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """800 leads whose conversion was planted on columns the model has no rule for: the 'pro' plan up, the
    plan "it's free" down, more than 10 visits up, the newsletter up."""
    folder = tmp_path_factory.mktemp("leads")
    rng = random.Random(11)
    contacts, accounts = ["contact_id,account_id,plan,visits,newsletter,converted"], ["account_id,name"]
    for i in range(800):
        plan = rng.choice(["pro", "it's free", "basic"])
        visits, newsletter = rng.randint(0, 20), rng.random() < 0.3
        odds = -1.0 + 2.5 * (plan == "pro") - 2.5 * (plan == "it's free") + 2.0 * (visits > 10) + 1.5 * newsletter
        converted = rng.random() < 1 / (1 + math.exp(-odds))
        shown = '"' + plan + '"'
        contacts.append(f"L{i},L{i},{shown},{visits},{str(newsletter).lower()},{str(converted).lower()}")
        accounts.append(f"L{i},Lead {i}")
    (folder / "contacts.csv").write_text("\n".join(contacts) + "\n")
    (folder / "accounts.csv").write_text("\n".join(accounts) + "\n")
    return folder


def test_learn_proposes_rules_for_the_planted_columns_and_the_replayed_proposal_ranks_as_well(leads: Path) -> None:
    model = load_model_text(MODEL, "leads.yaml")
    learned = learn_contacts(model, MODEL, str(leads), "converted", DAY)
    rules = {r.name: r for r in load_model_text(learned.proposal, "proposal.yaml").spec.fit.contact}
    assert rules["plan = pro"].when == "plan = 'pro'" and rules["plan = pro"].points > 0
    assert rules["plan = it's free"].when == "plan = 'it''s free'" and rules["plan = it's free"].points < 0
    assert rules["newsletter"].when == "newsletter" and rules["newsletter"].points > 0
    visits = {name: r.points for name, r in rules.items() if name.startswith("visits > ")}
    assert visits and max(visits.values()) > 0
    assert any(line.startswith("+#") and "rule(s) added from the declared columns" in line for line in learned.diff)
    judged = learned.judgement
    assert judged is not None and judged.proposed.auc is not None and judged.current.auc is not None
    assert learned.auc is not None and judged.proposed.auc.auc > judged.current.auc.auc + 0.1
    assert abs(judged.proposed.auc.auc - learned.auc) < 0.03  # each rule holds where its feature did


def test_a_proposed_rule_gives_its_points_to_the_contacts_it_names_in_a_real_run(leads: Path, tmp_path: Path) -> None:
    """Every number stays traceable: in a run of the proposal, a contact's fit is the sum of the points of
    the added rules that hold for its row."""
    model = load_model_text(MODEL, "leads.yaml")
    proposal = learn_contacts(model, MODEL, str(leads), "converted", DAY).proposal
    compiled = load_model_text(proposal, "proposal.yaml")
    result = run(compiled, str(leads), DAY, store=tmp_path / "store.duckdb")
    fits = dict(zip(*(result.outputs["contact_status"][c].to_pylist() for c in ("contact_id", "fit")), strict=True))
    rows = {line.split(",")[0]: line for line in (leads / "contacts.csv").read_text().splitlines()[1:]}
    for contact in ("L0", "L1", "L2", "L3"):
        _, _, plan, visits, newsletter, _ = rows[contact].split(",")
        row = {"plan": plan.strip('"'), "visits": int(visits), "newsletter": newsletter == "true"}
        held = 0
        for rule in compiled.spec.fit.contact:
            name = rule.name
            if name.startswith("plan = "):
                held += rule.points * (row["plan"] == name.removeprefix("plan = "))
            elif name.startswith("visits > "):
                held += rule.points * (row["visits"] > float(name.removeprefix("visits > ")))
            elif name == "newsletter":
                held += rule.points * row["newsletter"]
            else:
                held += rule.points  # Anyone: visits >= 0
        assert fits[contact] == max(-100, min(100, held)), contact


def test_no_new_rules_keeps_the_models_own_rules(leads: Path) -> None:
    model = load_model_text(MODEL, "leads.yaml")
    learned = learn_contacts(model, MODEL, str(leads), "converted", DAY, new_rules=False)
    spec = load_model_text(learned.proposal, "proposal.yaml").spec
    assert [r.name for r in spec.fit.contact] == ["Anyone"]
    assert not any("added from the declared columns" in line for line in learned.diff)


def test_an_added_rule_moves_the_thresholds_it_feeds() -> None:
    """Half the contacts hold `plan = 'pro'`, worth 0 now and 10 proposed (the model's largest points);
    everyone holds Anyone (10 now, 0 proposed). mql_when: fit >= 10 qualified everyone; it moves to keep
    them all: fit >= 0."""
    model = load_model_text(MODEL, "leads.yaml")
    features = [Feature("fit: Anyone", "fit", 0, "contact"),
                Feature("column: plan = pro", "column", when="plan = 'pro'")]  # fmt: skip
    x = np.array([[1, 1]] * 5 + [[1, 0]] * 5, dtype=float)
    proposal, diff = propose(model, MODEL, features, [0.0, 2.0], x, "contact")
    spec = load_model_text(proposal, "proposal.yaml")
    assert [(r.name, r.points) for r in spec.spec.fit.contact] == [("Anyone", 0), ("plan = pro", 10)]
    assert spec.spec.leads.mql_when == "fit >= 0", diff


def test_the_command_says_how_to_leave_the_new_rules_out(leads: Path, tmp_path: Path) -> None:
    model = tmp_path / "leads.yaml"
    model.write_text(MODEL)
    command = [sys.executable, "-m", "whynow", "learn", "--level", "contact", "--label", "converted",
               "--as-of", str(DAY), "--model", str(model), "--data", str(leads)]  # fmt: skip
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}
    with_rules = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert with_rules.returncode == 0, with_rules.stderr
    assert "fit rule(s) added from the declared columns (--no-new-rules leaves them out)" in with_rules.stdout
    assert "when: plan = 'pro'" in with_rules.stdout
    without = subprocess.run([*command, "--no-new-rules"], capture_output=True, text=True, timeout=300, env=env)
    assert without.returncode == 0, without.stderr
    assert "added from the declared columns" not in without.stdout and "when: plan = 'pro'" not in without.stdout


def test_a_model_without_engagement_rules_gets_rules_from_its_columns() -> None:
    """The weight of a column's feature is the rule's, as a fit rule's is (Maven's CRM has no engagement
    rules: the column's weight was once read as an engagement rule's, past the end of a list)."""
    text = MODEL.replace("    - {name: Page view, when: \"type = 'page_view'\", points: 1}\n", "").replace(
        "  rules:\n", "  rules: []\n"
    )
    model = load_model_text(text, "leads.yaml")
    assert model.spec.engagement.rules == []
    features = [Feature("fit: Anyone", "fit", 0, "contact"),
                Feature("column: newsletter", "column", when="newsletter")]  # fmt: skip
    proposal, _ = propose(model, text, features, [1.0, -0.5], np.array([[1, 1], [1, 0]], dtype=float), "contact")
    rules = load_model_text(proposal, "proposal.yaml").spec.fit.contact
    assert [(r.name, r.when, r.points) for r in rules] == [
        ("Anyone", "visits >= 0", 10),
        ("newsletter", "newsletter", -5),
    ]
