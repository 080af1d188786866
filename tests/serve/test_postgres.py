"""The dashboard reads a PostgreSQL store the same way (SPEC §8, §10): its queries, built with sqlglot or
written once in DuckDB's dialect, are rendered in each engine's. The same company on both stores gives the
same answers: the same rows, in the same order (NULLs last either way), the same pages and downloads."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import httpx
import ibis
import pytest

from tests.serve.conftest import BACKTEST_ID, Demo, Server, make_demo, serving
from tests.test_backends import _unavailable


@pytest.fixture(scope="module")
def on_postgres(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = os.environ.get("WHYNOW_TEST_POSTGRES")
    if not url:
        _unavailable("no PostgreSQL (WHYNOW_TEST_POSTGRES is not set)")
    assert url is not None
    schema = f"serve_{uuid.uuid4().hex[:8]}"
    store = f"{url}?schema={schema}"
    try:
        make_demo(tmp_path_factory.mktemp("pg-demo"), store)  # the same company and runs as `demo`
        with serving(store) as running:
            yield running
    finally:
        con = ibis.connect(url)
        con.raw_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.disconnect()


def _answers(server: Server, demo: Demo) -> dict[str, object]:
    paths = {
        "overview": "/api/overview",
        "accounts": "/api/accounts?per_page=500&sort=fit&order=asc",
        "filtered": "/api/accounts?mqa=true&q=a&sort=name",
        "nulls_last": "/api/accounts?per_page=500&sort=badge_since&order=desc",
        "a_page": "/api/accounts?per_page=7&page=3&sort=queue_rank&order=asc&badge=none",
        "searched": "/api/accounts?q=%25&per_page=500",  # `%` is text to find, not a pattern
        "searched_": "/api/accounts?q=_&per_page=500",
        "searched_case": "/api/accounts?q=A00&per_page=500",
        "account": f"/api/accounts/{demo.xss_account}?people=100",
        "queues": "/api/queues?per_page=500",
        "changes": "/api/changes?per_page=500&entity_type=account",
        "changes_page": "/api/changes?per_page=9&page=2&until=2026-11-20",
        "model": "/api/model",
        "backtests": "/api/backtests",
        "backtest": f"/api/backtests/{BACKTEST_ID}",
    }
    answers: dict[str, object] = {}
    for name, path in paths.items():
        response = httpx.get(server.url + path, timeout=60)
        assert response.status_code == 200, (path, response.text)
        answers[name] = response.json()
    for path in ("/accounts.csv?sort=badge_since&order=desc", "/queues.csv"):
        response = httpx.get(server.url + path, timeout=60)
        assert response.status_code == 200, (path, response.text)
        answers[path] = response.text
    runs = httpx.get(server.url + "/api/runs", timeout=60).json()["runs"]
    answers["runs"] = [
        {k: v for k, v in run.items() if k not in ("run_id", "started_at", "finished_at")} for run in runs
    ]
    return answers


def test_a_postgresql_store_answers_as_the_duckdb_store_does(on_postgres: Server, server: Server, demo: Demo) -> None:
    on_duckdb = _answers(server, demo)
    assert _answers(on_postgres, demo) == on_duckdb
    assert on_duckdb["overview"]["teams"]  # the median of days, translated for PostgreSQL, is there
