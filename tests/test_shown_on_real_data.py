"""What the terminal shows where real data leaves gaps (#24): a rep whose id is their name is named once, a
held account says so in words, an account without a tier has no "tier unknown", a run without contacts
says so, and `whynow changes` names each account, contact and rep beside its id.

The company: Anna Snelling's id is her name (an export that names owners only by name), R2 is Rita Lee;
A1 has no tier. Anna has room for both her accounts on 2026-11-20 and for one on 2026-11-27, when Kim Ng
(C1, at A3) asks for a demo.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from whynow.cli import app

runner = CliRunner()

MODEL = """
model: real-data
fit:
  account: [{name: Big, when: employees >= 100, points: 10}]
engagement:
  lookback_days: 90
  rules:
    - {name: View, when: "type = 'page_view'", points: 5}
    - {name: Demo, when: "type = 'demo_request'", points: 50, hand_raiser: true}
badges:
  definitions:
    - {id: active, archetype: change, label: Active, when: fit >= 10, play: Call, why: "{account} is active"}
    - {id: c-hand, for: contact, archetype: change, label: Hand-raiser, when: hand_raised, play: Call,
       why: "{contact} asked"}
"""
ACCOUNTS = """
account_id,name,employees,owner_id,tier
A1,Acme,500,Anna Snelling,
A2,Beta,400,Anna Snelling,
A3,Gamma,300,R2,1
"""
REPS = """
rep_id,name,capacity
Anna Snelling,Anna Snelling,ROOM
R2,Rita Lee,5
"""
CONTACTS = """
contact_id,account_id,first_name,last_name
C1,A3,Kim,Ng
"""
ACTIVITIES = """
activity_id,occurred_at,type,account_id,contact_id
X1,2026-11-15,page_view,A1,
X2,2026-11-16,page_view,A2,
X3,2026-11-25,demo_request,,C1
"""


def write_company(folder: Path, room: int, contacts: bool = True) -> Path:
    """The company above as CSV files in `folder` (Anna's capacity `room`), with its model as model.yaml."""
    folder.mkdir(exist_ok=True)
    tables = {"accounts": ACCOUNTS, "reps": REPS.replace("ROOM", str(room)), "activities": ACTIVITIES}
    if contacts:
        tables["contacts"] = CONTACTS
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text.lstrip("\n"))
    (folder / "model.yaml").write_text(MODEL.lstrip("\n"))
    return folder


def run(data: Path, as_of: str, store: Path) -> str:
    args = ["run", "--model", str(data / "model.yaml"), "--data", str(data), "--as-of", as_of, "--store", str(store)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def two_weeks(tmp_path: Path) -> Path:
    store = tmp_path / "store.duckdb"
    run(write_company(tmp_path / "data", room=2), "2026-11-20", store)
    run(write_company(tmp_path / "data", room=1), "2026-11-27", store)
    return store


def shown(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_a_rep_whose_id_is_their_name_is_named_once_in_the_queue(tmp_path: Path) -> None:
    text = shown("queue", "--store", str(two_weeks(tmp_path)))
    assert "\nAnna Snelling: 1 of 1 surfaced, 1 held\n" in text
    assert "Anna Snelling Anna Snelling" not in text
    assert "\nR2 Rita Lee: 1 of 5 surfaced\n" in text  # an id and a name that differ: both
    assert "  held: A2 Beta — Active (over capacity)" in text


def test_changes_name_accounts_contacts_and_reps_and_say_held_in_words(tmp_path: Path) -> None:
    text = shown("changes", "--store", str(two_weeks(tmp_path)))
    first, second = text.split("2026-11-27\n")
    assert "  account A1 Acme: surfaced – → Anna Snelling\n" in first
    assert "  account A3 Gamma: surfaced – → R2 Rita Lee\n" in first
    assert "  account A2 Beta: held, no longer surfaced to Anna Snelling (over capacity)\n" in second
    assert "  contact C1 Kim Ng: badge_assigned – → c-hand\n" in second
    assert "– → –" not in text


def test_an_account_held_from_its_first_run_is_held_without_dashes(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    run(write_company(tmp_path / "data", room=1), "2026-11-20", store)
    text = shown("changes", "--store", str(store))
    assert "  account A2 Beta: held (over capacity)\n" in text


def test_explain_leaves_out_a_tier_the_account_has_not(tmp_path: Path) -> None:
    store = str(two_weeks(tmp_path))
    no_tier = shown("explain", "A1", "--store", store).splitlines()
    assert no_tier[1] == "  owner Anna Snelling · stage aware · target yes · MQA no · SQA no"
    assert "tier" not in no_tier[1]
    assert " · tier 1 · " in shown("explain", "A3", "--store", store).splitlines()[1]


def test_a_run_without_contacts_says_so_instead_of_an_empty_lead_status(tmp_path: Path) -> None:
    text = run(write_company(tmp_path / "data", room=2, contacts=False), "2026-11-20", tmp_path / "s.duckdb")
    assert "Lead status: no contacts\n" in text
    assert "Lead status: \n" not in text
    with_contacts = run(write_company(tmp_path / "more", room=2), "2026-11-20", tmp_path / "t.duckdb")
    assert "Lead status: new 1\n" in with_contacts
