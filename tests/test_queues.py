"""`whynow queue` and `whynow changes` over a small two-run history (read from the store)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from typer.testing import CliRunner

from whynow.cli import app

SCENARIO = Path(__file__).parent / "fixtures" / "explain"
runner = CliRunner()


def two_runs(tmp_path: Path) -> Path:
    store = tmp_path / "store.duckdb"
    model = tmp_path / "model.yaml"
    model.write_text((SCENARIO / "model.yaml").read_text())
    for day in ("2026-11-20", "2026-11-27"):
        result = runner.invoke(
            app, ["run", "--model", str(model), "--data", str(SCENARIO), "--as-of", day, "--store", str(store)]
        )
        assert result.exit_code == 0, result.stderr
        model.write_text(model.read_text().replace("points: 40, hand_raiser", "points: 45, hand_raiser"))
    return store


def test_queue_lists_surfaced_accounts_with_their_story(tmp_path):
    store = two_runs(tmp_path)
    result = runner.invoke(app, ["queue", "--store", str(store)])
    assert result.exit_code == 0, result.stderr
    assert "Queues as of 2026-11-27" in result.stdout
    assert "R1: 1 of 30 surfaced" in result.stdout  # default_per_rep 30
    assert (
        "1. A1 Acme Software — Buying group forming (change, expires 2026-12-27)" in result.stdout
    )  # sustained on 11-27


def test_queue_for_an_unknown_rep_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["queue", "--rep", "R9", "--store", str(two_runs(tmp_path))])
    assert result.exit_code == 1
    assert "no rep R9 in the run of 2026-11-27" in result.stderr


def test_changes_by_date_account_and_model_diff(tmp_path):
    store = two_runs(tmp_path)
    result = runner.invoke(app, ["changes", "--store", str(store), "--model-diff"])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.index("2026-11-20") < text.index("2026-11-27")
    assert "account A1 Acme Software: badge_assigned – → buying-group" in text  # the name beside the id
    assert "account A1 Acme Software: surfaced – → R1" in text
    assert "-    - {name: Demo request, when: \"type = 'demo_request'\", points: 40, hand_raiser: true}" in text
    only = runner.invoke(app, ["changes", "--store", str(store), "--account", "A2", "--since", "2026-11-21"]).stdout
    assert "A1" not in only


def test_queue_as_csv_makes_formula_cells_plain_text_for_a_spreadsheet(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SCENARIO, data)
    accounts = data / "accounts.csv"
    accounts.write_text(accounts.read_text().replace("Acme Software", '"=HYPERLINK(""http://evil.example"",""x"")"'))
    store = tmp_path / "store.duckdb"
    args = ["run", "--model", str(data / "model.yaml"), "--data", str(data), "--as-of", "2026-11-20"]
    assert runner.invoke(app, [*args, "--store", str(store)]).exit_code == 0
    result = runner.invoke(app, ["queue", "--store", str(store), "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["rep"], r["queue"], r["queue_rank"], r["account_id"]) for r in rows] == [("R1", "surfaced", "1", "A1")]
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[0]["badge_label"] == "Buying group forming"
    assert "\"'=HYPERLINK(" in result.stdout  # the cell is quoted as well


def test_queue_names_who_to_call_under_each_account_with_their_own_badge(tmp_path):
    from tests.pipeline.test_calls import write_company

    data = write_company(tmp_path / "data", 4)
    args = ["run", "--model", str(data / "model.yaml"), "--data", str(data), "--as-of", "2026-11-20"]
    assert runner.invoke(app, [*args, "--store", str(tmp_path / "s.duckdb")]).exit_code == 0
    result = runner.invoke(app, ["queue", "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 0, result.stderr
    assert (
        "  1. A1 Acme — Active (change, expires 2026-12-20): Acme is active\n"
        "     Land early and shape the narrative: Multi-thread\n"
        "     who to call:\n"
        "       1. Kim Ng (Buyer) <kim@acme.example>\n"
        "          Comparing: Kim Ng is comparing\n"
        "       2. Mo Diaz (Director) <mo@acme.example>\n"
        "          Hand-raiser: Mo Diaz asked for a demo\n"
        "       3. Sam Ito (Analyst)\n"
        "          Hand-raiser: Sam Ito asked for a demo\n"
        "       4. Lou Park (Ops) <lou@acme.example>\n"
        "          Hand-raiser: Lou Park asked for a demo\n"
        "  2. A2 Beta — Active"
    ) in result.stdout  # A2 has no one to call: no list under it


def test_queue_links_each_account_to_its_crm_page_when_the_model_has_links(tmp_path):
    store = two_runs(tmp_path)
    model = tmp_path / "model.yaml"
    model.write_text(model.read_text() + "links:\n  account: https://crm.example/Account/{account_id}/view\n")
    args = ["run", "--model", str(model), "--data", str(SCENARIO), "--as-of", "2026-11-27", "--store", str(store)]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["queue", "--store", str(store)])
    assert "     open in CRM: https://crm.example/Account/A1/view\n" in result.stdout
