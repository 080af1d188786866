"""`Store`, what the rest of whynow holds of a store (SPEC §5, §10): where it is — a DuckDB file (the default)
or a PostgreSQL database (`postgresql://USER:PASSWORD@HOST/DATABASE[?schema=SCHEMA]`) — and the doors to its
parts: a connection (`database.py`), the read side over a read-only connection opened per use (`reading`,
`read.py`), and the writer, one transaction per write (`write.py`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pyarrow as pa

from whynow.data.backends import hide_password, is_postgres
from whynow.store import write
from whynow.store.database import Database, DuckDB, Postgres, Row
from whynow.store.read import FEEDBACK, Previous, Reading

DEFAULT_STORE = "whynow.duckdb"


class Store:
    """One store: a DuckDB file or a PostgreSQL database."""

    def __init__(self, location: str | Path = DEFAULT_STORE, *, forget: bool = False) -> None:
        """`forget`: read as if the store held no history (a `--fresh` run, before it replaces it)."""
        self.location = str(location)
        self.postgres = is_postgres(self.location)
        self.name = hide_password(self.location) if self.postgres else self.location
        self.forget = forget

    def exists(self) -> bool:
        """Whether there is a store to read (a PostgreSQL store exists once its database answers)."""
        return self.postgres or Path(self.location).exists()

    def connect(self, read_only: bool = False, wait_s: float | None = None) -> Database:
        """A connection; `wait_s`: how long to wait for a DuckDB file another process holds (default
        BUSY_WAIT_S)."""
        if self.postgres:
            return Postgres(self.location, read_only)
        return DuckDB(Path(self.location), read_only, wait_s)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Reading]:
        """The read side over one read-only connection, closed when the block ends. A store not there yet,
        or a forgetting one, reads as holding nothing."""
        exists = self.exists()
        if self.forget or not exists:
            yield Reading(self.name, None, missing=not exists)
            return
        with contextlib.closing(self.connect(read_only=True)) as db:
            yield Reading(self.name, db)

    # --- the writer ----------------------------------------------------------------------------------------

    def write_run(
        self,
        as_of: dt.date,
        outputs: Mapping[str, pa.Table],
        model: tuple[str, str, str],
        alerts: pa.Table | None = None,
        resolved_against: tuple[object, ...] | None = None,
    ) -> None:
        """Replace the as-of date's rows of every output with `outputs`, remember the model (hash, name,
        text) and add the `alerts` whose keys the outbox does not hold yet, all in one transaction; a
        forgetting store first removes every earlier run in that same transaction (the outbox stays:
        an alert already sent is not sent again), so a failed `--fresh` run loses nothing.

        `resolved_against`: `last_run()` as the run saw it before reading the store's state; when another
        run has committed since, nothing is written and `StaleState` is raised."""
        with write.transaction(self.connect()) as db:
            write.write_run(db, self.name, as_of, outputs, model, alerts, resolved_against, forget=self.forget)

    def record(self, tables: Mapping[str, pa.Table]) -> None:
        """Add the rows of each table (created, or widened, as needed) in one transaction: a recorded
        backtest (SPEC §9) is all there or not at all."""
        with write.transaction(self.connect()) as db:
            write.record(db, tables)

    def record_alert(self, key: str, **fields: object) -> None:
        """Write one alert's delivery state, in a transaction of its own (so each outcome is kept as
        soon as it is known)."""
        with contextlib.closing(self.connect()) as db:
            write.record_alert(db, key, **fields)

    def give_feedback(self, rows: pa.Table) -> None:
        """Add verdicts to the append-only `feedback` table (SPEC §13) in a short transaction of their own: a
        dashboard reader never blocks it for long, and a run holding the store is waited for like any writer."""
        with write.transaction(self.connect()) as db:
            write.record(db, {FEEDBACK: rows})

    def retry_failed(self) -> int:
        """Put every failed alert back to pending, its attempts kept; how many."""
        with contextlib.closing(self.connect()) as db:
            return write.retry_failed(db)

    # --- reads of one thing, each over a connection of its own (`Reading` says what each reads) --------------

    def last_run(self) -> tuple[object, ...]:
        with self.reading() as r:
            return r.last_run()

    def latest_as_of(self) -> dt.date | None:
        with self.reading() as r:
            return r.latest_as_of()

    def count_runs(self) -> int:
        with self.reading() as r:
            return r.count_runs()

    def previous(self, as_of: dt.date, reads: Mapping[str, tuple[str, str]]) -> Previous:
        """The last run before `as_of`, read in one connection (`Reading.previous`)."""
        with self.reading() as r:
            return r.previous(as_of, reads)

    def last_model(self) -> tuple[str, str] | None:
        with self.reading() as r:
            return r.last_model()

    def model_text(self, model_hash: str) -> str | None:
        with self.reading() as r:
            return r.model_text(model_hash)

    def rows(self, table: str, as_of: dt.date, **equal: str) -> list[Row]:
        with self.reading() as r:
            return r.rows(table, as_of, **equal)

    def breakdown(self, as_of: dt.date, account_id: str) -> list[Row]:
        with self.reading() as r:
            return r.breakdown(as_of, account_id)

    def history(self, table: str, account_id: str, until: dt.date) -> list[Row]:
        with self.reading() as r:
            return r.history(table, account_id, until)

    def changes(self, since: dt.date | None = None, account: str | None = None) -> list[Row]:
        with self.reading() as r:
            return r.changes(since, account)

    def call_lists(self, as_of: dt.date, account_ids: Sequence[str]) -> dict[str, list[Row]]:
        with self.reading() as r:
            return r.call_lists(as_of, account_ids)

    def contact_badges(self, as_of: dt.date, account_id: str) -> list[Row]:
        with self.reading() as r:
            return r.contact_badges(as_of, account_id)

    def last_reps(self) -> list[Row]:
        with self.reading() as r:
            return r.last_reps()

    def alerts(self, status: str | None = None) -> list[Row]:
        with self.reading() as r:
            return r.alerts(status)

    def active_badges(self) -> set[tuple[object, object, object, object]]:
        with self.reading() as r:
            return r.active_badges()

    def contacts_in(self, statuses: Sequence[str]) -> set[tuple[object, object]]:
        with self.reading() as r:
            return r.contacts_in(statuses)

    def feedback(self, account: str | None = None, rep: str | None = None) -> list[Row]:
        with self.reading() as r:
            return r.feedback(account, rep)

    def feedback_table(self, until: dt.datetime) -> pa.Table | None:
        with self.reading() as r:
            return r.feedback_table(until)
