"""A DuckDB store takes one writer, or readers (SPEC §8): opening a store another process holds waits for
it to let go, for up to BUSY_WAIT_S seconds, then fails naming that process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

import whynow.store.database
from whynow.errors import DataError
from whynow.store import Store


@contextmanager
def _held(path: Path, seconds: float) -> Iterator[subprocess.Popen[bytes]]:
    """Another process opens the store for writing, says so, and keeps it `seconds`."""
    code = f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('open', flush=True); time.sleep({seconds})"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"open\n"
        yield holder
    finally:
        holder.kill()
        holder.communicate()  # reaps it and closes its pipe


@pytest.fixture
def store(tmp_path: Path) -> Store:
    path = tmp_path / "store.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE runs AS SELECT DATE '2026-11-06' AS as_of").close()
    return Store(path)


def test_a_busy_store_fails_after_the_wait_naming_who_holds_it(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whynow.store.database, "BUSY_WAIT_S", 0.5)
    with _held(Path(store.location), 30) as holder:
        started = time.monotonic()
        with pytest.raises(DataError) as error:
            store.latest_as_of()
        assert time.monotonic() - started >= 0.5
    assert str(error.value).startswith(f"{store.location}: the store is busy: process {holder.pid} (")
    assert "waited 0.5 s" in str(error.value)


def test_a_store_let_go_within_the_wait_opens(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whynow.store.database, "BUSY_WAIT_S", 20)
    with _held(Path(store.location), 1.0):
        started = time.monotonic()
        assert str(store.latest_as_of()) == "2026-11-06"  # read once the writer let go
        assert time.monotonic() - started >= 0.5


def test_a_writer_waits_for_a_reader_of_the_same_process(store: Store) -> None:
    """The dashboard reads a page in one thread while it writes a verdict in another (SPEC §13): DuckDB
    refuses a second connection of another kind in the same process, so the writer waits for the reader."""
    reader = duckdb.connect(str(store.location), read_only=True)
    closing = threading.Timer(0.5, reader.close)
    closing.start()
    started = time.monotonic()
    store.connect().close()  # a writer's connection, opened once the reader closed
    assert time.monotonic() - started >= 0.4
    closing.join()
