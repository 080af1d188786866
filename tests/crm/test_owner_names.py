"""Reps imported without a users file (#24): named by the owners' names the export carries, else the import
report says in one line what to add to the export. The Salesforce files are hand-written with standard API
names (`Owner.Name` as a Data Loader or Bulk API export of `SELECT … Owner.Name` heads it); the HubSpot
export is the connector fixture without its owner table."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from typer.testing import CliRunner

from whynow.cli import app
from whynow.crm.formats import sf_id18

CONNECTOR = Path(__file__).parent / "fixtures" / "hubspot" / "connector"
ANNA, BEN, CARA = "005Ec000004oBPN", "005Ec000004oBQA", "005Ec000004oBRB"
runner = CliRunner()


def export(folder: Path, accounts: str, opportunities: str) -> Path:
    folder.mkdir()
    (folder / "Account.csv").write_text(accounts.lstrip("\n"), encoding="utf-8")
    (folder / "Opportunity.csv").write_text(opportunities.lstrip("\n"), encoding="utf-8")
    return folder


def table(out: Path, name: str) -> list[dict[str, str]]:
    with (out / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def imported(folder: Path, out: Path, crm: str = "salesforce") -> str:
    """What `whynow import` prints."""
    result = runner.invoke(app, ["import", crm, str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_salesforce_owners_are_named_by_owner_name_without_a_user_export(tmp_path: Path) -> None:
    folder = export(
        tmp_path / "export",
        f"""
Id,Name,OwnerId,Owner.Name
001Ec00000GGw3h,Walker,{ANNA},Anna Snelling
001Ec00000GGw3u,Richardson,{BEN},Ben Ito
""",
        f"""
Id,AccountId,CreatedDate,StageName,OwnerId,Owner.Name
006Ec00000AAAAA,001Ec00000GGw3h,2024-01-22,Prospecting,{BEN},Ben Ito
""",
    )
    text = imported(folder, tmp_path / "src")
    reps = {r["rep_id"]: r["name"] for r in table(tmp_path / "src", "reps")}
    assert reps == {sf_id18(ANNA): "Anna Snelling", sf_id18(BEN): "Ben Ito"}
    assert "owner_name" not in table(tmp_path / "src", "accounts")[0]  # a helper, not written
    assert "known only by their Salesforce user id" not in text


def test_salesforce_owners_without_names_are_reported_with_what_to_add(tmp_path: Path) -> None:
    folder = export(
        tmp_path / "export",
        f"""
Id,Name,OwnerId,Owner.Name
001Ec00000GGw3h,Walker,{ANNA},Anna Snelling
001Ec00000GGw3u,Richardson,{BEN},
""",
        f"""
Id,AccountId,CreatedDate,StageName,OwnerId
006Ec00000AAAAA,001Ec00000GGw3h,2024-01-22,Prospecting,{CARA}
""",
    )
    text = imported(folder, tmp_path / "src")
    reps = {r["rep_id"]: r["name"] for r in table(tmp_path / "src", "reps")}
    assert reps == {sf_id18(ANNA): "Anna Snelling", sf_id18(BEN): "", sf_id18(CARA): ""}
    assert (
        "2 of 3 owners are known only by their Salesforce user id: add User.csv (Id, Name, Email) to the "
        "export, or an Owner.Name column to Account.csv, to show the reps by name\n"
    ) in text


def test_salesforce_owners_with_no_name_at_all_stay_ids_and_the_report_says_how_to_name_them(
    tmp_path: Path,
) -> None:
    folder = export(
        tmp_path / "export",
        f"Id,Name,OwnerId\n001Ec00000GGw3h,Walker,{ANNA}\n",
        f"Id,AccountId,CreatedDate,StageName,OwnerId\n006Ec00000AAAAA,001Ec00000GGw3h,2024-01-22,Prospecting,{ANNA}\n",
    )
    text = imported(folder, tmp_path / "src")
    assert not (tmp_path / "src" / "reps.csv").exists()  # as before: nothing to add to the owner ids
    assert "1 of 1 owners are known only by their Salesforce user id: add User.csv (Id, Name, Email)" in text


def test_hubspot_owner_ids_without_an_owners_file_are_reps_without_a_name(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(CONNECTOR, tmp_path / "connector"))
    (folder / "owner_data.csv").unlink()
    text = imported(folder, tmp_path / "src", "hubspot")
    reps = {r["rep_id"]: r["name"] for r in table(tmp_path / "src", "reps")}
    assert reps == {"35252170": "", "37790786": ""}  # the deals' owner ids, not named after themselves
    assert (
        "2 owners are known only by their HubSpot owner id: add the owners to the export (the connector's "
        "owner.csv, or a users export with ID, First Name, Last Name, Email) to show reps by name\n"
    ) in text
    assert "each became a rep whose id is its name" not in text
