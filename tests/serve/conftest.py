"""A small demo store and a real `whynow serve` on 127.0.0.1 for the dashboard's tests.

The store holds two weekly runs of a 300-account demo company; one surfaced account is named
`<script>alert(1)</script>` in the input data, and the second run uses a model with one rule changed, so
the Model page has a diff. A backtest of the reference model over the two weeks is recorded in it
(`BACKTEST_ID`), as `whynow backtest --store` records one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from whynow.demo import DEMO_AS_OF, generate_demo_data
from whynow.examples import reference_model_path
from whynow.learn.backtest import backtest, recorded
from whynow.model.load import load_model, load_model_text
from whynow.run import run
from whynow.serve.app import running
from whynow.store import Store

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.testclient import TestClient

XSS = "<script>alert(1)</script>"
WEEKS = (DEMO_AS_OF - dt.timedelta(weeks=1), DEMO_AS_OF)
TOKEN = "s3cret-token-for-the-tests-0123456789"
BACKTEST_ID = "bt-demo"


@dataclass(frozen=True)
class Demo:
    folder: Path
    store: Path
    xss_account: str  # the account named XSS

    def sql(self, query: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        """A query over the store by hand, to compare with what the dashboard shows."""
        con = duckdb.connect(str(self.store), read_only=True)
        try:
            return con.execute(query, params or []).fetchall()
        finally:
            con.close()


def make_demo(folder: Path, store: Path | str) -> Demo:
    generate_demo_data(folder, seed=5, accounts=300)
    model = load_model(reference_model_path())
    first = run(model, str(folder), WEEKS[0], store=store, fresh=True, send_alerts=False)
    surfaced = first.outputs["account_status"].filter(pc.equal(first.outputs["account_status"]["queue"], "surfaced"))
    target = str(surfaced.sort_by([("queue_rank", "ascending"), ("account_id", "ascending")])["account_id"][0])
    accounts = pq.read_table(folder / "accounts.parquet")
    names = pc.if_else(pc.equal(accounts["account_id"], target), XSS, accounts["name"])
    pq.write_table(
        accounts.set_column(accounts.schema.get_field_index("name"), "name", names), folder / "accounts.parquet"
    )
    run(model, str(folder), WEEKS[0], store=store, fresh=True, send_alerts=False)
    text = reference_model_path().read_text()
    changed = text.replace("points: 25", "points: 26", 1)
    assert changed != text
    run(load_model_text(changed, "changed.yaml"), str(folder), WEEKS[1], store=store, send_alerts=False)
    replayed = backtest([model], str(folder), *WEEKS, every=7, window=30)
    Store(store).record(recorded(replayed, BACKTEST_ID, dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)))
    return Demo(folder, Path(str(store)), target)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("demo")
    return make_demo(folder, folder / "whynow.duckdb")


@dataclass(frozen=True)
class Server:
    url: str


@contextlib.contextmanager
def serving(store: Path | str, host: str = "127.0.0.1", token: str | None = None) -> Iterator[Server]:
    """`whynow serve` in its own process, until the block ends."""
    with running(store, host, token) as url:
        yield Server(url)


@pytest.fixture(scope="session")
def server(demo: Demo) -> Iterator[Server]:
    with serving(demo.store) as running:
        yield running


def in_process(app: FastAPI, address: str = "192.0.2.1") -> TestClient:
    """A client at `address` calling `app` in this process (Host 127.0.0.1), for what a test must control
    inside the app: its clock, a failing query."""
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():  # starlette 1 asks for httpx2 in place of httpx; the client is the same
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient

    return TestClient(
        app,
        base_url="http://127.0.0.1",
        raise_server_exceptions=False,
        follow_redirects=False,
        client=(address, 50000),
    )
