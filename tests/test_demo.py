"""The demo data: the same files for a seed, the contract's columns, nothing after the as-of date, and the
signals the reference model's badges need."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from whynow.data.contract import TABLES
from whynow.demo import generate_demo_data

AS_OF = date(2026, 11, 20)
HORIZON = datetime(2026, 11, 21, tzinfo=UTC)  # SPEC §2: the as-of date + 1 day, 00:00 UTC


def read(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("demo")
    return folder, generate_demo_data(folder, as_of=AS_OF)


@pytest.fixture(scope="module")
def account_of(demo: tuple[Path, dict[str, int]]) -> dict[str, str]:
    """account_id and normalised domain (SPEC §3: any case, no leading www.) -> account_id."""
    accounts = read(demo[0], "accounts")
    return {a["account_id"]: a["account_id"] for a in accounts} | {a["domain"]: a["account_id"] for a in accounts}


def resolve(row: dict[str, str], account_of: dict[str, str]) -> str | None:
    return account_of.get(row["account_id"]) or account_of.get(row["domain"].lower().removeprefix("www."))


def test_the_same_seed_writes_the_same_files_and_another_seed_others(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate_demo_data(tmp_path / name, seed=seed, as_of=AS_OF, accounts=40)
    for table in TABLES:
        assert (tmp_path / "a" / f"{table}.csv").read_bytes() == (tmp_path / "b" / f"{table}.csv").read_bytes()
    assert (tmp_path / "a" / "activities.csv").read_bytes() != (tmp_path / "c" / "activities.csv").read_bytes()


def test_every_table_has_the_canonical_columns_in_order(demo: tuple[Path, dict[str, int]]) -> None:
    folder, written = demo
    assert list(written) == list(TABLES)
    for name, table in TABLES.items():
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as file:
            header = next(csv.reader(file))
        assert header == [c.name for c in table.columns] + (["segment"] if name == "accounts" else [])
        assert len(read(folder, name)) == written[name]
    assert written["accounts"] == 240 and written["reps"] == 10
    assert 5_000 < written["activities"] < 40_000


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
    assert 0.08 < len(anonymous) / len(activities) < 0.25
    assert 0 < len(unmatched) < len(anonymous) / 5
    assert any(row["domain"].startswith("www.") or row["domain"].isupper() for row in anonymous)


def test_some_customers_renew_within_120_days(demo: tuple[Path, dict[str, int]]) -> None:
    folder, _ = demo
    customers = [a for a in read(folder, "accounts") if a["is_customer"] == "true"]
    renewing = [a for a in customers if 0 <= (date.fromisoformat(a["renewal_date"]) - AS_OF).days <= 120]
    assert 0.1 < len(customers) / 240 < 0.3
    assert renewing and all(a["csm_id"] and a["arr"] and a["health_score"] for a in customers)
