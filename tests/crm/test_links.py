"""After an import, `whynow import` prints the model's `links:` for the CRM's record pages (SPEC §4.1, §11): once
its placeholder is replaced, the block loads, and the ids the import wrote open their records."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from whynow.cli import app
from whynow.crm import CRMS, LINKS, Crm, links_block
from whynow.links import crm_url
from whynow.model.check import CompiledModel
from whynow.model.load import load_model_text

HUBSPOT_UI = Path(__file__).parent / "fixtures" / "hubspot" / "ui"
runner = CliRunner()


def _written(out: Path, table: str) -> list[dict[str, str]]:
    with (out / f"{table}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _pasted(printed: str, crm: Crm, value: str) -> CompiledModel:
    """The model a user gets by pasting the printed block, its placeholder replaced by `value`."""
    block = printed[printed.index("# Open in CRM") :]
    return load_model_text("model: m\n" + block.replace(LINKS[crm][0], value), "model.yaml")


@pytest.mark.parametrize("crm", CRMS)
def test_the_block_is_yaml_and_loads_once_its_placeholder_is_replaced(crm: Crm) -> None:
    placeholder, _, templates = LINKS[crm]
    block = links_block(crm)
    assert yaml.safe_load(block) == {"links": templates}
    assert all(placeholder in template for template in templates.values())
    model = _pasted(block, crm, "acme42")
    assert set(model.links) == {"account", "contact", "opportunity"}
    assert all("acme42" in link.text and placeholder not in link.text for link in model.links.values())


def test_salesforce_accounts_contacts_and_leads_open_their_records(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "Account.csv").write_text("Id,Name\n001Ec00000GGw3hIAD,Walker Henson and Compton\n", encoding="utf-8")
    (export / "Contact.csv").write_text(
        "Id,AccountId,Email\n003Ec00000Cz310IAB,001Ec00000GGw3hIAD,cheryl@walker.example\n", encoding="utf-8"
    )
    (export / "Lead.csv").write_text(  # an unconverted lead: a contact whose id is the Lead's
        "Id,Company,Email,IsConverted\n00QEc00000AbCdEfGH,Walker Henson and Compton,lee@walker.example,false\n",
        encoding="utf-8",
    )
    out = tmp_path / "src"
    result = runner.invoke(app, ["import", "salesforce", str(export), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    model = _pasted(result.stdout, "salesforce", "acme")
    (account,) = _written(out, "accounts")
    assert crm_url(model, "account", account) == (
        "https://acme.lightning.force.com/lightning/r/Account/001Ec00000GGw3hIAD/view"
    )
    contacts = {crm_url(model, "contact", c) for c in _written(out, "contacts")}
    assert contacts == {
        "https://acme.lightning.force.com/003Ec00000Cz310IAB",
        "https://acme.lightning.force.com/00QEc00000AbCdEfGH",
    }


def test_hubspot_companies_and_contacts_open_their_records(tmp_path: Path) -> None:
    out = tmp_path / "src"
    result = runner.invoke(app, ["import", "hubspot", str(HUBSPOT_UI), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip().endswith(links_block("hubspot"))  # last, after the report
    model = _pasted(result.stdout, "hubspot", "12345")
    accounts = {a["account_id"]: crm_url(model, "account", a) for a in _written(out, "accounts")}
    assert accounts["10234"] == "https://app.hubspot.com/contacts/12345/record/0-2/10234"
    contact = _written(out, "contacts")[0]
    assert crm_url(model, "contact", contact) == (
        f"https://app.hubspot.com/contacts/12345/record/0-1/{contact['contact_id']}"
    )
    deal = _written(out, "opportunities")[0]
    assert crm_url(model, "opportunity", deal) == (
        f"https://app.hubspot.com/contacts/12345/record/0-3/{deal['opportunity_id']}"
    )


def test_a_failed_import_prints_no_links(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "Account.csv").write_text("Id,Name\n001Ec00000GGw3hIAD,Walker\n", encoding="utf-8")
    (export / "Contact.csv").write_text("Id,AccountId,Email\n003Ec00000Cz310IAB,,x@nowhere.example\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "salesforce", str(export), "--out", str(tmp_path / "src"), "--strict"])
    assert result.exit_code == 1
    assert "links:" not in result.stdout
