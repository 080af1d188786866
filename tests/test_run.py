"""A run (SPEC §3, §5, §6): the model's declared columns against the data, the outputs with every column,
the run summary's counts, the store replaced per as-of date and left as it was when a run fails."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.data.builders import write_csv
from whynow.data.source import open_source
from whynow.errors import DataError
from whynow.model.load import load_model_text
from whynow.run import check_declared_columns, run

ACCOUNTS = "account_id,name\nA1,Acme\n"

SEGMENT_MODEL = "model: t\ncolumns:\n  accounts:\n    segment: text\n"


def test_a_declared_column_in_the_data_passes(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name,segment\nA1,Acme,Enterprise\n")
    model = load_model_text(SEGMENT_MODEL, "model.yaml")
    assert check_declared_columns(model, open_source(tmp_path)) is None


def test_a_declared_column_missing_from_the_data_names_the_column_and_the_file(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name,tier\nA1,Acme,1\n")
    model = load_model_text(SEGMENT_MODEL, "model.yaml")
    with pytest.raises(DataError) as error:
        check_declared_columns(model, open_source(tmp_path))
    message = str(error.value)
    assert message.startswith("model.yaml:4: the model declares accounts.segment")
    assert "accounts.csv has no column 'segment'" in message


def test_a_declared_column_missing_from_the_data_hints_at_a_near_miss(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name,Segment\nA1,Acme,SMB\n")
    model = load_model_text(SEGMENT_MODEL, "model.yaml")
    with pytest.raises(DataError, match="did you mean 'Segment'"):
        check_declared_columns(model, open_source(tmp_path))


PERSONA_MODEL = "model: t\ncolumns:\n  contacts:\n    persona: text\n"


def test_a_declared_column_of_a_table_absent_from_the_source_names_the_table_and_the_folder(tmp_path):
    write_csv(tmp_path, "accounts", ACCOUNTS)
    model = load_model_text(PERSONA_MODEL, "model.yaml")
    with pytest.raises(DataError) as error:
        check_declared_columns(model, open_source(tmp_path))
    message = str(error.value)
    assert message.startswith("model.yaml:4: the model declares contacts.persona")
    assert f"{tmp_path} has no contacts table" in message


# --- whole runs ---------------------------------------------------------------------------------

MODEL = """
model: run-test
columns: {accounts: {segment: text}}
fit:
  account: [{name: Big, when: employees >= 100, points: 60}]
engagement:
  lookback_days: 30
  rules: [{name: Page, when: "type = 'page_view'", points: 1}]
buying_committee:
  roles: {buyer: "seniority = 'VP'"}
signals:
  surge: {from: intent, within_days: 14, measure: max(score)}
  views: {from: activities, within_days: 7, measure: count, level: contact}
"""
DATA = {
    "accounts": "account_id,name,domain,employees,segment\nA1,Acme,acme.com,500,mid\nA2,Beta,beta.io,5,smb\n",
    "contacts": "contact_id,account_id,first_name,last_name,seniority\nC1,A1,Ann,Lee,VP\nC2,A9,Orphan,One,\n",
    "activities": (
        "activity_id,occurred_at,type,contact_id,domain\n"
        "X1,2026-11-19 10:00:00,page_view,C1,\n"  # used
        "X2,2026-11-21 00:00:00,page_view,C1,\n"  # after the horizon
        "X3,2026-08-01 00:00:00,page_view,C1,\n"  # before the lookback and every activities window: old
        "X4,2026-11-19 10:00:00,page_view,,nowhere.org\n"  # unmatched
        "X5,2026-11-19 10:00:00,page_view,C2,\n"  # its contact is an orphan
        "X6,2026-11-18 10:00:00,page_view,,WWW.ACME.COM\n"  # anonymous, used
    ),
    "intent": "observed_at,topic,score,account_id\n2026-11-15,CRM,80,A1\n2026-09-01,CRM,90,A1\n",
}
AS_OF = dt.date(2026, 11, 20)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for table, text in DATA.items():
        write_csv(folder, table, text)
    return folder


def whole_run(tmp_path: Path, source: Path, **options):
    model = load_model_text(MODEL, "model.yaml")
    return run(model, str(source), options.pop("as_of", AS_OF), store=tmp_path / "store.duckdb", **options)


def test_outputs_have_every_spec_column_in_order(tmp_path, source):
    result = whole_run(tmp_path, source)
    accounts = result.outputs["account_status"].column_names
    assert accounts[:16] == [
        "as_of", "account_id", "name", "owner_id", "tier", "fit", "fit_grade", "engagement", "engaged_contacts",
        "activities", "anonymous_activities", "committee_roles_engaged", "target", "mqa", "sqa", "stage",
    ]  # fmt: skip
    assert accounts[16:28] == [
        "badge", "archetype", "badge_label", "motion", "play", "why", "badge_since", "badge_expires_on", "route_to",
        "queue", "queue_rank", "held_reason",
    ]  # fmt: skip
    assert accounts[28:] == [
        "has_open_opportunity", "open_pipeline", "days_since_last_activity", "days_to_renewal", "mql_contacts",
        "top_contact_id", "engaged_buyer", "surge", "segment",
    ]  # fmt: skip
    assert result.outputs["contact_status"].column_names == [
        "as_of", "contact_id", "account_id", "name", "fit", "fit_grade", "engagement", "lead_status", "status_since",
        "committee_role", "engaged", "badge", "archetype", "why", "badge_since", "badge_expires_on", "hand_raised",
        "recent_activities", "days_since_last_activity", "views",
    ]  # fmt: skip
    assert result.outputs["score_breakdown"].column_names == [
        "as_of", "entity_type", "entity_id", "part", "rule", "points", "rows", "capped"
    ]  # fmt: skip
    runs = result.outputs["runs"].column_names
    assert runs[:6] == ["run_id", "as_of", "model", "model_hash", "started_at", "finished_at"]
    assert {"activities_read", "activities_after_horizon", "accounts_used"} <= set(runs)


def test_the_run_summary_counts_every_row_once(tmp_path, source):
    summary = whole_run(tmp_path, source).summary
    assert summary["activities"] == {
        "read": 6, "after_horizon": 1, "outside_windows": 1, "unmatched": 1, "orphaned": 1, "rejected": 0, "used": 2
    }  # fmt: skip
    assert summary["contacts"]["orphaned"] == 1
    # intent: the 2026-09-01 row is outside the only intent signal's 14-day window
    assert summary["intent"] == {
        "read": 2, "after_horizon": 0, "outside_windows": 1, "unmatched": 0, "orphaned": 0, "rejected": 0, "used": 1
    }  # fmt: skip


def test_values_reach_the_outputs(tmp_path, source):
    rows = {r["account_id"]: r for r in whole_run(tmp_path, source).outputs["account_status"].to_pylist()}
    assert rows["A1"]["fit"] == 60 and rows["A1"]["surge"] == 80 and rows["A1"]["segment"] == "mid"
    assert rows["A1"]["engagement"] == 2  # X1 by C1 and X6 anonymous (weight 1), no decay
    assert rows["A1"]["engaged_buyer"] == 1 and rows["A1"]["top_contact_id"] == "C1"
    assert rows["A2"]["fit"] == 0 and rows["A2"]["surge"] is None


def test_files_in_both_formats(tmp_path, source):
    result = whole_run(tmp_path, source, out=tmp_path / "csv", fmt="csv")
    assert sorted(p.name for p in result.files) == [
        "account_status.csv", "call_list.csv", "changes.csv", "contact_status.csv", "evidence.csv",
        "opportunities.csv", "reps.csv", "runs.csv", "score_breakdown.csv",
    ]  # fmt: skip
    accounts = pacsv.read_csv(tmp_path / "csv" / "account_status.csv")
    assert accounts.num_rows == 2
    whole_run(tmp_path, source, out=tmp_path / "pq")
    assert pq.read_table(tmp_path / "pq" / "contact_status.parquet").num_rows == 2


def test_rerunning_an_as_of_date_replaces_its_rows(tmp_path, source):
    whole_run(tmp_path, source)
    whole_run(tmp_path, source)
    whole_run(tmp_path, source, as_of=dt.date(2026, 11, 27))
    with duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True) as con:
        per_date = con.execute("SELECT as_of, count(*) FROM account_status GROUP BY as_of ORDER BY as_of").fetchall()
        runs = con.execute("SELECT count(*) FROM runs").fetchone()
    assert per_date == [(dt.date(2026, 11, 20), 2), (dt.date(2026, 11, 27), 2)]
    assert runs == (2,)


def test_a_failed_run_leaves_the_store_as_it_was(tmp_path, source):
    whole_run(tmp_path, source)
    store = tmp_path / "store.duckdb"
    with duckdb.connect(str(store), read_only=True) as con:
        before = con.execute("SELECT * FROM account_status ORDER BY account_id").fetchall()
    (source / "accounts.csv").write_text("account_id,name,employees,segment\nA1,Acme,many,mid\n")
    with pytest.raises(DataError, match="employees 'many'"):
        whole_run(tmp_path, source)
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("SELECT * FROM account_status ORDER BY account_id").fetchall() == before


def test_skip_writes_the_rejected_rows(tmp_path, source):
    (source / "accounts.csv").write_text("account_id,name,employees,segment\nA1,Acme,500,mid\nA2,Beta,lots,smb\n")
    result = whole_run(tmp_path, source, on_bad_rows="skip", out=tmp_path / "out", fmt="csv")
    rejected = pacsv.read_csv(tmp_path / "out" / "rejected.csv").to_pylist()
    assert [(r["table"], r["row"]) for r in rejected] == [("accounts", 2)]
    assert "employees 'lots'" in rejected[0]["reason"]
    assert result.summary["accounts"]["rejected"] == 1 and result.summary["accounts"]["used"] == 1


def test_a_run_that_fails_while_writing_is_rolled_back(tmp_path, source, monkeypatch):
    whole_run(tmp_path, source)
    from whynow.store import write

    real = write._replace
    written: list[str] = []

    def fail_on_the_third(con, name, table, as_of):
        written.append(name)
        if len(written) == 3:
            raise OSError("disk full")
        real(con, name, table, as_of)

    monkeypatch.setattr(write, "_replace", fail_on_the_third)
    with pytest.raises(OSError, match="disk full"):
        whole_run(tmp_path, source, as_of=dt.date(2026, 11, 27))
    with duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True) as con:
        dates = con.execute("SELECT DISTINCT as_of FROM account_status").fetchall()
        runs = con.execute("SELECT count(*) FROM runs").fetchone()
    assert dates == [(AS_OF,)] and runs == (1,)


def test_fresh_starts_a_new_history_only_when_the_run_succeeds(tmp_path, source, monkeypatch):
    whole_run(tmp_path, source, as_of=dt.date(2026, 11, 27))
    with pytest.raises(DataError, match="is before it"):
        whole_run(tmp_path, source)  # 11-20 after 11-27: refused
    from whynow.store import Store, write

    def broken(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(write, "_replace", broken)
        with pytest.raises(OSError):
            whole_run(tmp_path, source, fresh=True)
    assert Store(tmp_path / "store.duckdb").latest_as_of() == dt.date(2026, 11, 27)  # nothing lost
    result = whole_run(tmp_path, source, fresh=True)
    assert result.runs_removed == 1
    assert Store(tmp_path / "store.duckdb").latest_as_of() == AS_OF


def test_a_rerun_replaces_every_dated_output_and_links_changes_to_its_run(tmp_path, source):
    whole_run(tmp_path, source)
    result = whole_run(tmp_path, source)
    with duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True) as con:
        counts = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("account_status", "reps", "opportunities", "evidence", "badge_candidates", "changes", "runs")
            if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchone()[0]
        }
        linked = con.execute("SELECT count(*) FROM changes WHERE run_id NOT IN (SELECT run_id FROM runs)").fetchone()
    assert counts["account_status"] == 2 and counts["runs"] == 1
    assert counts["changes"] == result.outputs["changes"].num_rows
    assert linked == (0,)
    assert set(result.outputs["changes"].column("run_id").to_pylist()) == {result.run_id}
