"""An export is imported whatever its folder's and its fields' names hold (#21): the statements that read it
are built with sqlglot, every name an identifier and every path a literal, so a quote, a backslash, a new
line or a `$` stays part of the name."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from whynow.crm import import_crm

APEX = Path(__file__).parent / "fixtures" / "salesforce" / "apex-recipes"
ODD = 'Bob\'s "export" back\\slash $1 new\nline'  # every character a hand-built statement could trip on


def test_a_tree_json_export_in_a_folder_with_sql_characters_in_its_name_is_read(tmp_path: Path) -> None:
    folder = tmp_path / ODD
    shutil.copytree(APEX, folder)
    report = import_crm("salesforce", folder, tmp_path / "src")
    assert report.read == [
        ("Accounts.json", "Account", "sObject tree JSON", 2),
        ("Contacts.json", "Contact", "sObject tree JSON", 3),
        ("Opportunities.json", "Opportunity", "sObject tree JSON", 2),
    ]
    assert report.written["accounts"] == 2


def test_a_csv_export_whose_field_names_hold_sql_characters_is_read(tmp_path: Path) -> None:
    folder = tmp_path / ODD
    folder.mkdir()
    fields = ["Id", "Name", "Tier 'A'", 'Say "hi"', "Back\\slash", "$1", "New\nline"]
    with (folder / "Account.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(
            [fields, ["001Ec00000FzlUdIAJ", "Sample", "a", "b", "c", "d", "e"]]
        )
    out = tmp_path / "src"
    report = import_crm("salesforce", folder, out)
    assert report.read == [("Account.csv", "Account", "CSV, UTF-8", 1)]
    assert set(fields[2:]) <= set(report.unmapped["Account.csv"])
    with (out / "accounts.csv").open(encoding="utf-8", newline="") as f:
        assert [(r["account_id"], r["name"]) for r in csv.DictReader(f)] == [("001Ec00000FzlUdIAJ", "Sample")]
