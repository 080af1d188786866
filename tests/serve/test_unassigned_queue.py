"""The Queues page and its download with the unassigned queue (SPEC §4.9, §8): accounts no rep owns are
routed to no one (route_to NULL) and come after every rep's queue, on a page of their own when the page
holds only them, in the download after every rep's rows; a rep's held accounts follow its surfaced ones.
The same on a DuckDB and on a PostgreSQL store, whose order of NULLs differs from DuckDB's."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import ibis
import pytest

from tests.pipeline.test_calls import ACCOUNTS, ACTIVITIES, CONTACTS, MODEL
from tests.test_backends import _unavailable
from whynow.model.check import CompiledModel
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.serve import queues as q
from whynow.serve import schemas as s
from whynow.serve.query import reading
from whynow.store import Store

AS_OF = dt.date(2026, 11, 20)
# R1 owns A1 and A3, room for one; A2 has no owner: the unassigned queue takes it.
COMPANY = ACCOUNTS.replace("A2,Beta,500,R1", "A2,Beta,500,").replace("A3,Tiny,5,R1", "A3,Tiny,500,R1")
CAPACITY = "capacity: {call_list: 10, default_per_rep: 1, unassigned: 5}"


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("unassigned")
    data = folder / "data"
    data.mkdir()
    for name, text in (("accounts", COMPANY), ("contacts", CONTACTS), ("activities", ACTIVITIES)):
        (data / f"{name}.csv").write_text(text.lstrip("\n"))
    model = load_model_text("model: t\n" + MODEL.replace("capacity: {call_list: SIZE}", CAPACITY), "model.yaml")
    if request.param == "duckdb":
        yield _run(model, data, folder / "s.duckdb")
        return
    url = os.environ.get("WHYNOW_TEST_POSTGRES")
    if not url:
        _unavailable("no PostgreSQL (WHYNOW_TEST_POSTGRES is not set)")
    assert url is not None
    schema = f"unassigned_{uuid.uuid4().hex[:8]}"
    try:
        yield _run(model, data, f"{url}?schema={schema}")
    finally:
        con = ibis.connect(url)
        con.raw_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.disconnect()


def _run(model: CompiledModel, data: Path, store: Path | str) -> Store:
    run(model, str(data), AS_OF, store=store, send_alerts=False)
    return Store(store)


def _shown(store: Store, **f: object) -> list[tuple[str | None, list[str], list[str]]]:
    with reading(store) as r:
        found = q.queues(r, s.QueueFilter.model_validate(f))
    return [(x.rep_id, [a.account_id for a in x.surfaced], [a.account_id for a in x.held]) for x in found.queues]


def test_the_unassigned_queue_comes_after_every_rep_and_pages_on_its_own(store: Store) -> None:
    assert _shown(store) == [("R1", ["A1"], ["A3"]), (None, ["A2"], [])]
    assert _shown(store, per_page=1, page=1) == [("R1", ["A1"], ["A3"])]
    assert _shown(store, per_page=1, page=2) == [(None, ["A2"], [])]  # only the unassigned queue's rows
    assert _shown(store, per_page=1, page=3) == []  # a page past the last: no queue, no row
    assert _shown(store, rep="R1") == [("R1", ["A1"], ["A3"])]


def test_the_download_lists_each_rep_surfaced_then_held_and_the_unassigned_last(store: Store) -> None:
    def rows(rep: str | None) -> list[tuple[object, ...]]:
        with reading(store) as r:
            found = q.queue_batches(r, s.QueueChoice(rep=rep)).read_all().to_pylist()
        return [(row["rep"], row["queue"], row["queue_rank"], row["account_id"]) for row in found]

    assert rows(None) == [("R1", "surfaced", 1, "A1"), ("R1", "held", None, "A3"), (None, "surfaced", 1, "A2")]
    assert rows("R1") == [("R1", "surfaced", 1, "A1"), ("R1", "held", None, "A3")]
