"""A store keeps any table's or column's name as a name (#21): a keyword, a quote, a space, a % or a ? in it
is written, replaced, widened and read back like any other, on DuckDB and, where WHYNOW_TEST_POSTGRES is
set, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from whynow.store import Store

TABLE = "select"  # a keyword
WHO, NOTE, LATER = "o'brien", 'say "hi" there', "100% sure?"
WEEKS = (dt.date(2026, 11, 13), dt.date(2026, 11, 20))
MODEL = ("hash", "odd names", "text")


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "duckdb":
        yield Store(tmp_path / "store.duckdb")
        return
    import psycopg

    from tests.test_backends import _unavailable

    url = os.environ.get("WHYNOW_TEST_POSTGRES")
    if not url:
        _unavailable("no PostgreSQL (WHYNOW_TEST_POSTGRES is not set)")
    assert url is not None
    schema = f"odd_{uuid.uuid4().hex[:8]}"
    try:
        yield Store(f"{url}?schema={schema}")
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE".encode())


def _run(day: dt.date, who: str, later: bool = False) -> dict[str, pa.Table]:
    """A run's outputs: its `runs` row and an output with odd names (`later`: a column more)."""
    columns: dict[str, pa.Array] = {
        "as_of": pa.array([day, day], pa.date32()),
        "account_id": pa.array(["a1", "a2"]),
        WHO: pa.array([who, "x"]),
        NOTE: pa.array(["it's", None]),
    }
    if later:
        columns[LATER] = pa.array([1.5, None])
    finished = dt.datetime.combine(day, dt.time(6), dt.UTC)
    runs = pa.table(
        {"run_id": [f"run-{day}"], "as_of": [day], "finished_at": pa.array([finished], pa.timestamp("us", "UTC"))}
    )
    return {"runs": runs, TABLE: pa.table(columns)}


def test_odd_names_are_written_and_read_back(store: Store) -> None:
    first, second = WEEKS
    store.write_run(first, _run(first, "once"), MODEL)
    store.write_run(first, _run(first, "again"), MODEL)  # the same date again: its rows are replaced
    store.write_run(second, _run(second, "later", later=True), MODEL)  # a column more: the table widens

    assert sorted(r[WHO] for r in store.rows(TABLE, first)) == ["again", "x"]
    (row,) = store.rows(TABLE, first, **{WHO: "again"})
    assert (row["account_id"], row[NOTE], row[LATER]) == ("a1", "it's", None)  # old rows read NULL

    history = store.history(TABLE, "a1", second)
    assert [(r["as_of"], r[WHO], r[LATER]) for r in history] == [(first, "again", None), (second, "later", 1.5)]

    reads = {"odd": (TABLE, f'account_id, "{WHO}" AS who, "{NOTE.replace(chr(34), chr(34) * 2)}" IS NULL AS blank')}
    previous = store.previous(second, reads)
    assert previous.run is not None and previous.run["run_id"] == f"run-{first}"
    odd = previous.get("odd")
    assert odd is not None
    assert sorted(odd.to_pylist(), key=lambda r: r["account_id"]) == [
        {"account_id": "a1", "who": "again", "blank": False},
        {"account_id": "a2", "who": "x", "blank": True},
    ]


def test_a_table_longer_than_one_copy_batch_arrives_whole(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # PostgreSQL takes a table a record batch at a time; 3-row batches for 8 rows: every row, NULL and ''
    # still told apart. (On DuckDB the batch size is not read: the same rows arrive.)
    from whynow.store import database

    monkeypatch.setattr(database, "COPY_BATCH", 3)
    day = WEEKS[0]
    notes = ["", None, "a,b", 'say "x"', "line\nbreak", "", None, "last"]
    rows = pa.table({"as_of": pa.array([day] * 8, pa.date32()), "account_id": [f"a{i}" for i in range(8)], NOTE: notes})
    store.write_run(day, {"runs": _run(day, "x")["runs"], TABLE: rows}, MODEL)
    found = {r["account_id"]: r[NOTE] for r in store.rows(TABLE, day)}
    assert found == {f"a{i}": note for i, note in enumerate(notes)}
