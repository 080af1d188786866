"""`whynow init`: a starter model from the data that checks, runs, and gives engagement to the accounts
that have recent activity — on the demo and on imported Salesforce and HubSpot exports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from whynow.cli import app
from whynow.demo import generate_demo_data

runner = CliRunner()
FIXTURES = Path(__file__).parent / "crm" / "fixtures"


def init(data: Path, model: Path) -> str:
    result = runner.invoke(app, ["init", "--data", str(data), "--out", str(model)])
    assert result.exit_code == 0, result.output
    return result.stdout


def as_of_of(stdout: str) -> str:
    return stdout.split("tuned on a run as of ")[1][:10]


def checked_and_run(tmp_path: Path, data: Path, model: Path, as_of: str) -> duckdb.DuckDBPyConnection:
    """`whynow check --data` passes without a warning, and a run writes its store."""
    check = runner.invoke(app, ["check", str(model), "--data", str(data), "--as-of", as_of])
    assert check.exit_code == 0, check.output
    assert "warning:" not in check.stderr, check.stderr
    store = tmp_path / "store.duckdb"
    args = ["run", "--model", str(model), "--data", str(data), "--as-of", as_of, "--store", str(store)]
    run = runner.invoke(app, args)
    assert run.exit_code == 0, run.output
    assert "warning:" not in run.stderr, run.stderr
    return duckdb.connect(str(store), read_only=True)


def read(data: Path, table: str) -> str:
    parquet = data / f"{table}.parquet"
    return (
        f"read_parquet('{parquet}')" if parquet.exists() else f"read_csv_auto('{data}/{table}.csv', all_varchar = true)"
    )


def recently_active(data: Path, as_of: str, days: int) -> set[str]:
    """The accounts with an activity in the `days` before the end of `as_of` (by account_id, or by contact)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(
        f"""
        SELECT DISTINCT coalesce(a.account_id, c.account_id)
        FROM {read(data, "activities")} a
        LEFT JOIN {read(data, "contacts")} c USING (contact_id)
        WHERE CAST(a.occurred_at AS TIMESTAMPTZ) >= CAST(? AS DATE) + 1 - INTERVAL {days} DAY
          AND CAST(a.occurred_at AS TIMESTAMPTZ) < CAST(? AS DATE) + 1
        """,
        [as_of, as_of],
    ).fetchall()
    known = {r[0] for r in con.execute(f"SELECT account_id FROM {read(data, 'accounts')}").fetchall()}
    return {r[0] for r in rows if r[0] in known}


def engaged_accounts(store: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in store.execute("SELECT account_id FROM account_status WHERE engagement <> 0").fetchall()}


def test_init_on_the_demo_names_its_values_and_thresholds(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    generate_demo_data(data, seed=5, accounts=60, as_of=dt.date(2026, 11, 20))
    model = tmp_path / "model.yaml"
    stdout = init(data, model)
    assert as_of_of(stdout) == "2026-11-20"  # the newest activity's day
    spec = yaml.safe_load(model.read_text())
    types = {r["when"] for r in spec["engagement"]["rules"]}
    assert "type = 'demo_request'" in types and "type = 'page_view'" in types
    demo = next(r for r in spec["engagement"]["rules"] if r["when"] == "type = 'demo_request'")
    page = next(r for r in spec["engagement"]["rules"] if r["when"] == "type = 'page_view'")
    assert demo["hand_raiser"] is True and demo["points"] > page["points"]
    assert page["cap"] > 0  # surface-level behaviour is capped
    grades = list(spec["fit"]["grades"].values())
    assert grades == sorted(grades, reverse=True) and len(set(grades)) == len(grades)
    store = checked_and_run(tmp_path, data, model, "2026-11-20")
    engaged = engaged_accounts(store)
    assert engaged and recently_active(data, "2026-11-20", 90) <= engaged | set()


def test_init_on_a_salesforce_export(tmp_path: Path) -> None:
    crm = tmp_path / "crm"
    imported = runner.invoke(
        app, ["import", "salesforce", str(FIXTURES / "salesforce" / "data-cloud-workshop"), "--out", str(crm)]
    )
    assert imported.exit_code == 0, imported.output
    model = tmp_path / "model.yaml"
    as_of = as_of_of(init(crm, model))
    text = model.read_text()
    assert "type = 'task'" in text and "type = 'campaign_member'" in text  # the export's own activity types
    store = checked_and_run(tmp_path, crm, model, as_of)
    active = recently_active(crm, as_of, 90)
    assert active and active <= engaged_accounts(store)


def test_init_on_a_hubspot_export(tmp_path: Path) -> None:
    crm = tmp_path / "crm"
    imported = runner.invoke(app, ["import", "hubspot", str(FIXTURES / "hubspot" / "connector"), "--out", str(crm)])
    assert imported.exit_code == 0, imported.output
    model = tmp_path / "model.yaml"
    as_of = as_of_of(init(crm, model))
    store = checked_and_run(tmp_path, crm, model, as_of)
    active = recently_active(crm, as_of, 90)
    assert active and active <= engaged_accounts(store)
    assert store.execute("SELECT count(*) FROM account_status").fetchone() == (
        len((crm / "accounts.csv").read_text().splitlines()) - 1,
    )


def test_init_never_overwrites_a_file(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    generate_demo_data(data, seed=5, accounts=20, as_of=dt.date(2026, 11, 20))
    model = tmp_path / "model.yaml"
    model.write_text("# my own model\n")
    result = runner.invoke(app, ["init", "--data", str(data), "--out", str(model)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"error: {model} already exists; whynow init never overwrites a file: give another --out"
    )
    assert model.read_text() == "# my own model\n"


@pytest.mark.parametrize("value", ["O'Brien & Sons", 'say "hi"', "50% off"])
def test_values_with_quotes_are_quoted_for_sql_and_yaml(tmp_path: Path, value: str) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "accounts.csv").write_text(f'account_id,name,industry\nA1,Acme,"{value.replace(chr(34), chr(34) * 2)}"\n')
    (data / "contacts.csv").write_text("contact_id,account_id\nC1,A1\n")
    (data / "activities.csv").write_text(
        f'activity_id,contact_id,type,occurred_at\nX1,C1,"{value.replace(chr(34), chr(34) * 2)}",2026-11-10T09:00:00Z\n'
    )
    model = tmp_path / "model.yaml"
    as_of = as_of_of(init(data, model))
    store = checked_and_run(tmp_path, data, model, as_of)
    assert engaged_accounts(store) == {"A1"}
    assert store.execute("SELECT fit FROM account_status").fetchone()[0] > 0  # the industry rule matched


def test_accounts_without_firmographics_are_all_targets_and_anonymous_activity_engages(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "accounts.csv").write_text("account_id,name\nA1,Acme\nA2,Beta\n")
    (data / "activities.csv").write_text(
        "activity_id,account_id,type,occurred_at\nX1,A1,web_visit,2025-01-01T09:00:00Z\nX2,A2,demo,2025-01-02T09:00:00Z\n"
    )
    model = tmp_path / "model.yaml"
    as_of = as_of_of(init(data, model))
    assert as_of == "2025-01-02"
    spec = yaml.safe_load(model.read_text())
    assert spec["fit"]["account"] == [] and spec["accounts"]["target_when"] == "TRUE"
    store = checked_and_run(tmp_path, data, model, as_of)
    assert engaged_accounts(store) == {"A1", "A2"}
    assert store.execute("SELECT count(*) FROM account_status WHERE target").fetchone() == (2,)
