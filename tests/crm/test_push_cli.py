"""`whynow push` (SPEC §12) from the command line: the printed mapping and fields, a dry run, and a push into
the fake HubSpot portal whose token appears in no output."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("hubspot")

from tests.fakes.hubspot import HubSpotPortal
from whynow.cli import app
from whynow.model.load import load_model_text
from whynow.run import run

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "explain"
PUSH = (
    "push:\n  hubspot:\n    token: ${HUBSPOT_TOKEN}\n    api_base: ${HUBSPOT_API_BASE}\n"
    "    account: {whynow_badge: badge_label}\n    contact: {}\n"
)


@pytest.fixture
def setup(tmp_path: Path, portal: HubSpotPortal, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HUBSPOT_TOKEN", portal.token)
    monkeypatch.setenv("HUBSPOT_API_BASE", portal.url)
    model = tmp_path / "model.yaml"
    model.write_text((FIXTURE / "model.yaml").read_text() + PUSH)
    store = tmp_path / "store.duckdb"
    result = run(load_model_text(model.read_text(), "model.yaml"), str(FIXTURE), dt.date(2026, 11, 20), store=store)
    for account in result.outputs["account_status"]["account_id"].to_pylist():
        portal.add("companies", record_id=account, name=account)
    return model, store


def test_the_default_mapping_and_the_fields_to_create_are_printed(setup) -> None:
    model, _ = setup
    mapping = CliRunner().invoke(app, ["push", "salesforce", "--print-mapping"])
    assert mapping.exit_code == 0 and "Whynow_Why__c:1000: why" in mapping.stdout
    fields = CliRunner().invoke(app, ["push", "hubspot", "--model", str(model), "--print-fields"])
    assert fields.exit_code == 0 and '"name": "whynow_badge"' in fields.stdout


def test_a_dry_run_sends_nothing_and_a_push_sends_once(setup, portal: HubSpotPortal) -> None:
    model, store = setup
    args = ["push", "hubspot", "--model", str(model), "--store", str(store)]
    dry = CliRunner().invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0 and "companies: 2 records: 2 changed (would be sent), 0 unchanged (skipped)" in dry.stdout
    assert portal.received == []
    sent = CliRunner().invoke(app, args)
    assert sent.exit_code == 0
    assert "companies: 2 records: 2 changed, 2 sent, 2 confirmed, 0 failed, 0 unchanged (skipped)" in sent.stdout
    again = CliRunner().invoke(app, args)
    assert "companies: 2 records: 0 changed, 0 sent, 0 confirmed, 0 failed, 2 unchanged (skipped)" in again.stdout
    assert portal.token not in dry.stdout + sent.stdout + again.stdout


def test_without_model_the_push_uses_the_model_of_the_stores_last_run(setup, portal: HubSpotPortal) -> None:
    _, store = setup
    sent = CliRunner().invoke(app, ["push", "hubspot", "--store", str(store)])
    assert sent.exit_code == 0, sent.output
    assert "companies: 2 records: 2 changed, 2 sent, 2 confirmed" in sent.stdout
    assert len(portal.requests_to("POST", "/crm/v3/objects/companies/batch/update")) == 1


def test_a_push_before_any_run_says_to_run_first(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["push", "hubspot", "--store", str(tmp_path / "none.duckdb")])
    assert done.exit_code == 1 and "no run yet, so nothing to push; run `whynow run` first" in done.output
