"""The demo data: the same data for a seed, the contract's columns and types in Parquet and in CSV, nothing
after the as-of date, the shape of a real company, and the signals the reference model's badges need."""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from whynow.data.contract import TABLES
from whynow.data.source import open_source
from whynow.data.validate import validate_source
from whynow.demo import DEMO_AS_OF, generate_demo_data

AS_OF = date(2026, 11, 20)
HORIZON = datetime(2026, 11, 21, tzinfo=UTC)  # SPEC §2: the as-of date + 1 day, 00:00 UTC
ACCOUNTS = 60
ARROW = {"text": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
         "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC")}  # fmt: skip
VOCABULARY = {  # SPEC §3's suggested activity types
    "page_view", "email_open", "email_click", "form_submit", "content_download", "webinar_registered",
    "webinar_attended", "event_attended", "demo_request", "contact_sales", "trial_signup", "ad_click",
    "meeting_booked", "unsubscribe",
}  # fmt: skip


def read(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns] + (["segment"] if table == "accounts" else [])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The demo company as CSV files, which read back as text: what a user's export looks like."""
    folder = tmp_path_factory.mktemp("demo")
    return folder, generate_demo_data(folder, as_of=AS_OF, accounts=ACCOUNTS, fmt="csv")


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The same company (same seed) as Parquet files, the default."""
    folder = tmp_path_factory.mktemp("parquet")
    return folder, generate_demo_data(folder, as_of=AS_OF, accounts=ACCOUNTS)


@pytest.fixture(scope="module")
def account_of(demo: tuple[Path, dict[str, int]]) -> dict[str, str]:
    """account_id and normalised domain (SPEC §3: any case, no leading www.) -> account_id."""
    accounts = read(demo[0], "accounts")
    return {a["account_id"]: a["account_id"] for a in accounts} | {a["domain"]: a["account_id"] for a in accounts}


def resolve(row: dict[str, str], account_of: dict[str, str]) -> str | None:
    return account_of.get(row["account_id"]) or account_of.get(row["domain"].lower().removeprefix("www."))


def test_the_same_seed_writes_the_same_data_and_another_seed_other_data(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate_demo_data(tmp_path / name, seed=seed, as_of=AS_OF, accounts=40)
        generate_demo_data(tmp_path / f"{name}-csv", seed=seed, as_of=AS_OF, accounts=40, fmt="csv")
    for table in TABLES:
        assert pq.read_table(tmp_path / "a" / f"{table}.parquet").equals(
            pq.read_table(tmp_path / "b" / f"{table}.parquet")
        )
        assert (tmp_path / "a-csv" / f"{table}.csv").read_bytes() == (tmp_path / "b-csv" / f"{table}.csv").read_bytes()
    other = pq.read_table(tmp_path / "c" / "activities.parquet")
    assert not pq.read_table(tmp_path / "a" / "activities.parquet").equals(other)


def test_parquet_files_have_the_canonical_columns_with_the_contract_types(
    parquet: tuple[Path, dict[str, int]],
) -> None:
    folder, written = parquet
    assert list(written) == list(TABLES)
    for name, table in TABLES.items():
        schema = pq.read_schema(folder / f"{name}.parquet")
        assert schema.names == columns(name)
        assert [schema.field(c.name).type for c in table.columns] == [ARROW[c.type] for c in table.columns], name
        assert pq.read_metadata(folder / f"{name}.parquet").num_rows == written[name]
    assert pq.read_schema(folder / "accounts.parquet").field("segment").type == pa.string()


def test_csv_files_have_the_canonical_columns_in_order(demo: tuple[Path, dict[str, int]]) -> None:
    folder, written = demo
    assert list(written) == list(TABLES)
    for name in TABLES:
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as file:
            assert next(csv.reader(file)) == columns(name)
        assert len(read(folder, name)) == written[name]


def test_parquet_and_csv_hold_the_same_company(
    demo: tuple[Path, dict[str, int]], parquet: tuple[Path, dict[str, int]]
) -> None:
    assert demo[1] == parquet[1]
    for name in ("accounts", "activities", "opportunities"):
        rows = pq.read_table(parquet[0] / f"{name}.parquet").to_pylist()
        for row, text in zip(rows, read(demo[0], name), strict=True):
            for column, value in row.items():
                if isinstance(value, bool):
                    assert text[column] == str(value).lower()
                elif isinstance(value, datetime):
                    assert at(text[column]) == value
                elif isinstance(value, float):
                    assert float(text[column]) == value
                else:
                    assert text[column] == ("" if value is None else str(value)), (name, column)


def test_the_data_loads_without_a_bad_row(
    demo: tuple[Path, dict[str, int]], parquet: tuple[Path, dict[str, int]]
) -> None:
    for folder, written in (demo, parquet):
        validated = validate_source(open_source(folder))
        assert {name: counts["read"] for name, counts in validated.counts.items()} == written
        assert not validated.rejected
        assert validated.counts["activities"]["unmatched"] > 0


def test_a_folder_never_holds_a_table_in_both_formats(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    generate_demo_data(tmp_path, accounts=5, fmt="csv")
    generate_demo_data(tmp_path, accounts=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{t}.parquet" for t in TABLES] + ["notes.txt"])
    generate_demo_data(tmp_path, accounts=5, fmt="csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{t}.csv" for t in TABLES] + ["notes.txt"])
    with pytest.raises(ValueError, match="parquet"):
        generate_demo_data(tmp_path, accounts=5, fmt="json")


def test_values_read_as_their_contract_types(demo: tuple[Path, dict[str, int]]) -> None:
    folder, _ = demo
    for name, table in TABLES.items():
        for row in read(folder, name):
            for column in table.columns:
                value = row[column.name]
                if column.type == "boolean":
                    assert value in ("true", "false", ""), (name, column.name, value)
                elif value and column.type == "timestamp":
                    assert value.endswith("Z") and at(value).tzinfo is not None
                elif value and column.type == "date":
                    date.fromisoformat(value)
                elif value and column.type in ("integer", "number"):
                    float(value)


def test_nothing_happens_after_the_as_of_date(demo: tuple[Path, dict[str, int]]) -> None:
    folder, _ = demo
    for name, table in TABLES.items():
        stamps = [row[c.name] for row in read(folder, name) for c in table.columns if c.type == "timestamp"]
        assert all(at(stamp) < HORIZON for stamp in stamps if stamp), name
    assert min(at(row["occurred_at"]) for row in read(folder, "activities")) >= HORIZON - timedelta(days=366)
    assert DEMO_AS_OF == AS_OF


def test_the_sales_team_has_aes_and_csms_with_capacities(demo: tuple[Path, dict[str, int]]) -> None:
    reps = read(demo[0], "reps")
    assert len(reps) == 20 and {r["role"] for r in reps} == {"AE", "CSM"}
    assert len({r["team"] for r in reps}) >= 4
    assert 0 < sum(not r["capacity"] for r in reps) <= 4 and 0 < sum(not r["slack_user_id"] for r in reps) < 10
    ids = {r["rep_id"] for r in reps}
    accounts = read(demo[0], "accounts")
    assert {a["owner_id"] for a in accounts if a["owner_id"]} <= ids and {a["csm_id"] for a in accounts} <= ids | {""}


def test_the_company_has_the_shape_of_a_real_one(demo: tuple[Path, dict[str, int]]) -> None:
    """About 10 people an account, 10 % customers, a few busy accounts and many quiet ones, a fifth anonymous."""
    folder, written = demo
    assert 7 <= written["contacts"] / ACCOUNTS <= 13
    assert 100 <= written["activities"] / ACCOUNTS <= 700  # about 250; a small company varies
    customers = [a for a in read(folder, "accounts") if a["is_customer"] == "true"]
    assert 0.06 <= len(customers) / ACCOUNTS <= 0.16
    activities = read(folder, "activities")
    per_account = sorted(Counter(row["account_id"] for row in activities if row["account_id"]).values(), reverse=True)
    assert statistics.median(per_account) < statistics.mean(per_account) / 2  # skewed: most accounts are quiet
    assert sum(per_account[: ACCOUNTS // 10]) > 0.4 * sum(per_account)
    assert {row["type"] for row in activities} <= VOCABULARY and len({row["type"] for row in activities}) >= 12
    contacts = read(folder, "contacts")
    assert {c["seniority"] for c in contacts} == {"C-Level", "VP", "Director", "Manager", "Individual Contributor"}
    assert len({c["title"] for c in contacts}) > 50 and len({c["department"] for c in contacts}) >= 9


def test_opportunities_follow_buying_signals(demo: tuple[Path, dict[str, int]]) -> None:
    """A new deal is created after its account's people engaged (a buying episode), not out of the blue."""
    folder, _ = demo
    activity: dict[str, list[datetime]] = {}
    for row in read(folder, "activities"):
        if row["contact_id"]:
            activity.setdefault(row["account_id"], []).append(at(row["occurred_at"]))
    deals = [o for o in read(folder, "opportunities") if o["type"] == "new_business"]
    assert deals
    for deal in deals:
        created = at(deal["created_at"])
        before = [t for t in activity.get(deal["account_id"], []) if created - timedelta(days=60) <= t <= created]
        assert len(before) >= 3, deal["opportunity_id"]


def test_some_prospect_researches_a_competitor_hard_this_fortnight(
    demo: tuple[Path, dict[str, int]], account_of: dict[str, str]
) -> None:
    """The reference model's `switching` badge: competitor intent >= 70 within 14 days, on a prospect."""
    folder, _ = demo
    prospects = {a["account_id"] for a in read(folder, "accounts") if a["is_customer"] == "false"}
    researching = {
        resolve(row, account_of)
        for row in read(folder, "intent")
        if row["topic_category"] == "competitor"
        and row["competitor"]
        and float(row["score"]) >= 70
        and at(row["observed_at"]) >= HORIZON - timedelta(days=14)
    }
    assert researching & prospects


def test_some_account_was_funded_within_90_days(demo: tuple[Path, dict[str, int]], account_of: dict[str, str]) -> None:
    folder, _ = demo
    funded = [
        row
        for row in read(folder, "change_events")
        if row["kind"] == "funding" and (AS_OF - at(row["occurred_at"]).date()).days <= 90
    ]
    assert funded and all(resolve(row, account_of) for row in funded)
    assert all(row["detail"].startswith(("Seed", "Series")) for row in funded)


def test_some_activity_is_anonymous_and_some_matches_no_account(
    demo: tuple[Path, dict[str, int]], account_of: dict[str, str]
) -> None:
    folder, _ = demo
    activities = read(folder, "activities")
    anonymous = [row for row in activities if not row["contact_id"]]
    unmatched = [row for row in anonymous if resolve(row, account_of) is None]
    assert 0.15 < len(anonymous) / len(activities) < 0.27
    assert 0.003 < len(unmatched) / len(activities) < 0.03
    assert any(row["domain"].startswith("www.") or row["domain"].isupper() for row in anonymous)


def test_some_customers_renew_within_120_days(demo: tuple[Path, dict[str, int]]) -> None:
    folder, _ = demo
    customers = [a for a in read(folder, "accounts") if a["is_customer"] == "true"]
    renewing = [a for a in customers if 0 <= (date.fromisoformat(a["renewal_date"]) - AS_OF).days <= 120]
    assert renewing and all(a["csm_id"] and a["arr"] and a["health_score"] for a in customers)
