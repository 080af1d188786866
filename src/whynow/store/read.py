"""The store's read side (SPEC §5, §8): `Reading`, one connection opened for one use and closed after it, with
the queries that read a store's outputs back — for a run (the last run, the state it resolves against), the
alerts, `whynow explain`, `whynow queue` and `changes`, and the dashboard, which extends it (`serve/query.py`).

Its own queries are fixed text written so that both engines read them as they are, with `?` parameters, or,
where a table's or column's name is given, built with sqlglot and rendered in the engine's dialect. The
dashboard's go through `query` and `batches`: built with sqlglot, rendered in the engine's dialect, or fixed
text written once in DuckDB's dialect, which sqlglot translates for a PostgreSQL store.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from whynow.errors import DataError
from whynow.statements import column_ref, param, table_ref
from whynow.store.database import Database, Row, Sql

OUTBOX = "alerts"  # the alert outbox (SPEC §7): kept across runs and --fresh
FEEDBACK = "feedback"  # sales feedback (SPEC §13): append-only, kept by --fresh

_FEEDBACK_SQL = """
SELECT given_at, account_id, rep_id, verdict, note, badge, source, given_by,
       lag(verdict) OVER (PARTITION BY account_id ORDER BY given_at, rep_id, verdict) AS previous_verdict
FROM feedback WHERE given_at <= ? ORDER BY given_at, account_id, rep_id
"""


@dataclass(frozen=True)
class Previous:
    """The last run before a date, as a run reads it once (SPEC §4.10): its `runs` row (None: there is
    none, this run starts a history) and the tables it asked for."""

    run: Mapping[str, Any] | None = None
    tables: Mapping[str, pa.Table] = field(default_factory=dict)
    feedback: pa.Table | None = None  # the sales feedback given up to the run's start (SPEC §13), if any

    def get(self, name: str) -> pa.Table | None:
        return self.tables.get(name)


@functools.lru_cache(maxsize=256)
def _translated(sql: str, dialect: str) -> str:
    return str(sqlglot.transpile(sql, read="duckdb", write=dialect)[0])


@functools.lru_cache(maxsize=64)
def _select_list(columns: str) -> list[exp.Expr]:
    """A select list, such as `a, b = 'x' AS c`, written in DuckDB's dialect, as expressions."""
    parsed = sqlglot.parse_one("SELECT " + columns, read="duckdb")
    if not isinstance(parsed, exp.Select) or any(v for k, v in parsed.args.items() if k != "expressions"):
        raise ValueError(f"not a list of columns: {columns!r}")
    return list(parsed.expressions)


def _held(selected: list[exp.Expr], columns: set[str]) -> list[exp.Expr]:
    """The items of a select list whose columns the table has: a store written by an earlier whynow lacks
    the columns added since (the reader fills them with NULL)."""
    return [e for e in selected if all(c.name in columns for c in e.find_all(exp.Column))] or [exp.Star()]


class Reading:
    """One use's reads of a store, over one connection: read-only (`Store.reading`, the dashboard's
    `reading`), or the writer's own in its transaction. Over no connection, the store reads as holding
    nothing: one not there yet (`missing`), or one read as if it held no history (a `--fresh` run's)."""

    def __init__(self, name: str, db: Database | None, *, missing: bool = False) -> None:
        self.name = name
        self._db = db
        self.missing = missing

    @functools.cached_property
    def tables(self) -> set[str]:
        return self._db.tables() if self._db is not None else set()

    def has(self, table: str) -> bool:
        return table in self.tables

    def query(self, sql: Sql, params: Sequence[object] = ()) -> list[Row]:
        """The rows of `sql`: built with sqlglot, or text written in DuckDB's dialect."""
        db = self._connection()
        return db.query(self._in_dialect(db, sql), params)

    def batches(self, sql: Sql, params: Sequence[object] = ()) -> pa.RecordBatchReader:
        """The rows of `sql` (built with sqlglot, or text written in DuckDB's dialect), in batches read as
        they are consumed."""
        db = self._connection()
        return db.batches(self._in_dialect(db, sql), params)

    # --- the runs ------------------------------------------------------------------------------------------

    def last_run(self) -> tuple[object, ...]:
        """What identifies the store's committed history: how many runs, and the id of the last one."""
        found = self._select(
            "runs",
            "SELECT (SELECT count(*) FROM runs) AS n, (SELECT run_id FROM runs ORDER BY as_of DESC, "
            "finished_at DESC, run_id LIMIT 1) AS last",
        )
        return (int(str(found[0]["n"])), found[0]["last"]) if found else (0, None)

    def latest_as_of(self) -> dt.date | None:
        """The as-of date of the store's last run, or None for an empty store."""
        found = self._select("runs", "SELECT max(as_of) AS last FROM runs")
        return found[0]["last"] if found else None  # type: ignore[return-value]

    def count_runs(self) -> int:
        """How many runs the store holds (what `--fresh` will remove)."""
        found = self._select("runs", "SELECT count(*) AS n FROM runs")
        return int(found[0]["n"]) if found else 0  # type: ignore[call-overload]

    def previous(self, as_of: dt.date, reads: Mapping[str, tuple[str, str]]) -> Previous:
        """The last run before `as_of`: its runs row and, for each name of `reads`, the rows of (table,
        columns) of that run (a table the store does not hold is left out, and so is a column). Nothing
        before `as_of`: an empty `Previous`."""
        if not self.has("runs"):
            return Previous()
        db = self._connection()
        found = db.query_arrow(
            "SELECT * FROM runs WHERE as_of = (SELECT max(as_of) FROM runs WHERE as_of < ?) "
            "ORDER BY finished_at DESC, run_id LIMIT 1",
            [as_of],
        ).to_pylist()
        if not found:
            return Previous()
        last = found[0]["as_of"]
        tables = {
            name: db.query_arrow(
                sqlglot.select(*_held(_select_list(columns), db.columns(table)))
                .from_(table_ref(table))
                .where(_as_of_is(param())),
                [last],
            )
            for name, (table, columns) in reads.items()
            if self.has(table)
        }
        return Previous(found[0], tables)

    def last_model(self) -> tuple[str, str] | None:
        """(name, text) of the model of the store's last run."""
        found = self._select(
            "runs",
            "SELECT m.name, m.text FROM runs r JOIN models m ON m.hash = r.model_hash "
            "ORDER BY r.as_of DESC, r.finished_at DESC LIMIT 1",
        )
        return (str(found[0]["name"]), str(found[0]["text"])) if found else None

    def model_text(self, model_hash: str) -> str | None:
        """The text of a model that ran (the store keeps every one)."""
        found = self._select("models", "SELECT text FROM models WHERE hash = ?", [model_hash])
        return str(found[0]["text"]) if found else None

    # --- the outputs ---------------------------------------------------------------------------------------

    def rows(self, table: str, as_of: dt.date, **equal: str) -> list[Row]:
        """The rows of one output at an as-of date whose columns equal the given values."""
        self._must_exist()
        conditions = [_as_of_is(param()), *(column_ref(column).eq(param()) for column in equal)]
        sql = sqlglot.select(exp.Star()).from_(table_ref(table)).where(*conditions)
        return self._select(table, sql, [as_of, *equal.values()])

    def breakdown(self, as_of: dt.date, account_id: str) -> list[Row]:
        """The score_breakdown rows of an account and of its contacts."""
        return self._select(
            "score_breakdown",
            "SELECT b.* FROM score_breakdown b WHERE b.as_of = ? AND ((b.entity_type = 'account' AND "
            "b.entity_id = ?) OR (b.entity_type = 'contact' AND b.entity_id IN (SELECT contact_id FROM "
            "contact_status WHERE as_of = ? AND account_id = ?)))",
            [as_of, account_id, as_of, account_id],
        )

    def history(self, table: str, account_id: str, until: dt.date) -> list[Row]:
        """An account's rows of every run up to `until`, oldest first."""
        if not self.has(table):
            return []
        db = self._connection()
        sql = (
            sqlglot.select(exp.Star())
            .from_(table_ref(table))
            .where(exp.column("account_id").eq(param()), exp.column("as_of") <= param())
            .order_by("as_of", dialect=db.dialect)  # read in the engine's dialect: its own order of NULLs
        )
        return db.query(sql, [account_id, until])

    def changes(self, since: dt.date | None = None, account: str | None = None) -> list[Row]:
        """The change log from `since` on (of one account, if given), by as-of date."""
        self._must_exist()
        query = "SELECT as_of, entity_type, entity_id, change, old, new, reason FROM changes WHERE as_of >= ?"
        params: list[object] = [since or dt.date(1900, 1, 1)]
        if account is not None:
            query += " AND entity_type = 'account' AND entity_id = ?"
            params.append(account)
        return self._select("changes", query + " ORDER BY as_of, entity_type, entity_id, change", params)

    def call_lists(self, as_of: dt.date, account_ids: Sequence[str]) -> dict[str, list[Row]]:
        """{account_id: its call list in rank order} for these accounts at an as-of date, from the store's
        `call_list` (SPEC §4.11): the one read path of who to call for `whynow queue`, `explain`, the
        dashboard and the API. An account without a list (no badge, no one to call) is absent."""
        if not account_ids or not self.has("call_list"):
            return {}
        db = self._connection()
        found: dict[str, list[Row]] = {}
        for start in range(0, len(account_ids), 1000):  # bounded IN lists, whatever the page size
            chunk = list(account_ids[start : start + 1000])
            sql = (
                sqlglot.select(exp.Star())
                .from_("call_list")
                .where(_as_of_is(param()), exp.column("account_id").isin(*(param() for _ in chunk)))
                .order_by("account_id", "rank", dialect=db.dialect)
            )
            rows = db.query(sql, [as_of, *chunk])
            for row in rows:
                found.setdefault(str(row["account_id"]), []).append(row)
        return found

    def names(self, table: str, id_column: str, ids: Collection[str]) -> dict[str, str]:
        """{id: name} of these ids in an output that has a `name` (account_status, contact_status, reps), as
        the last run that names each one names it; an id no run names is absent. For `whynow changes`."""
        if not ids or not self.has(table):
            return {}
        db = self._connection()
        if "name" not in db.columns(table):
            return {}
        wanted = sorted(ids)
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 1000):  # bounded IN lists, however long the change log
            chunk = wanted[start : start + 1000]
            sql = (
                sqlglot.select(column_ref(id_column), exp.column("name"))
                .from_(table_ref(table))
                .where(column_ref(id_column).isin(*(param() for _ in chunk)))
                .order_by("as_of", dialect=db.dialect)
            )
            for row in db.query(sql, chunk):  # oldest first: the last run's name wins
                if row["name"] is not None:
                    found[str(row[id_column])] = str(row["name"])
        return found

    def contact_badges(self, as_of: dt.date, account_id: str) -> list[Row]:
        """An account's contacts with a badge of their own at an as-of date (the contact stories: badge, why,
        badge_since, badge_expires_on), the most engaged first."""
        return self._select(
            "contact_status",
            "SELECT contact_id, name, committee_role, engagement, lead_status, badge, archetype, why, badge_since, "
            "badge_expires_on FROM contact_status WHERE as_of = ? AND account_id = ? AND badge IS NOT NULL "
            "ORDER BY engagement DESC, contact_id",
            [as_of, account_id],
        )

    def last_reps(self) -> list[Row]:
        """The reps as the store's last run read them."""
        last = self.latest_as_of()
        return self._select("reps", "SELECT * FROM reps WHERE as_of = ?", [last]) if last else []

    # --- the alerts ----------------------------------------------------------------------------------------

    def alerts(self, status: str | None = None) -> list[Row]:
        """The outbox, newest first (of one status, if given)."""
        self._must_exist()
        if not self.has(OUTBOX):
            return []
        db = self._connection()
        order = ("as_of DESC", "channel", "entity_type", "entity_id", "change")
        sql = sqlglot.select(exp.Star()).from_(OUTBOX).order_by(*order, dialect=db.dialect)
        if status:
            sql = sql.where(exp.column("status").eq(param()))
        return db.query(sql, [status] if status else [])

    def active_badges(self) -> set[tuple[object, object, object, object]]:
        """(entity_type, entity_id, badge, badge_since) of every badge active at the store's last run."""
        last = self.latest_as_of()
        rows = self._select(
            "badge_state", "SELECT entity_type, entity_id, badge, badge_since FROM badge_state WHERE as_of = ?", [last]
        )
        return {(r["entity_type"], r["entity_id"], r["badge"], r["badge_since"]) for r in rows}

    def contacts_in(self, statuses: Sequence[str]) -> set[tuple[object, object]]:
        """(contact_id, status_since) of every contact whose lead status is one of `statuses` at the store's
        last run: a `reengaged` alert's episode (SPEC §4.5) lasts while its contact is in that stretch."""
        last = self.latest_as_of()
        sql = (
            sqlglot.select("contact_id", "status_since")
            .from_("contact_status")
            .where(_as_of_is(param()), exp.column("lead_status").isin(*(param() for _ in statuses)))
        )
        rows = self._select("contact_status", sql, [last, *statuses]) if statuses else []
        return {(r["contact_id"], r["status_since"]) for r in rows}

    # --- sales feedback (SPEC §13) -------------------------------------------------------------------------

    def feedback(self, account: str | None = None, rep: str | None = None) -> list[Row]:
        """The feedback given, newest first (about one account, by one rep, if given)."""
        if not self.has(FEEDBACK):
            return []
        db = self._connection()
        equal = {column: value for column, value in (("account_id", account), ("rep_id", rep)) if value is not None}
        sql = sqlglot.select(exp.Star()).from_(FEEDBACK).order_by("given_at DESC", "account_id", dialect=db.dialect)
        if equal:
            sql = sql.where(*(column_ref(column).eq(param()) for column in equal))
        return db.query(sql, list(equal.values()))

    def feedback_table(self, until: dt.datetime) -> pa.Table | None:
        """Every verdict given up to `until` (a run's start), each with the account's verdict before it by
        any rep (`previous_verdict`), oldest first; None where the store holds no feedback."""
        if not self.has(FEEDBACK):
            return None
        return self._connection().query_arrow(_FEEDBACK_SQL, [until])

    # ---

    def _select(self, table: str, sql: str | exp.Expr, params: Sequence[object] = ()) -> list[Row]:
        """Rows of a query over `table`, as written; none where the store or the table is not there."""
        return self._connection().query(sql, params) if self.has(table) else []

    def _must_exist(self) -> None:
        if self.missing:
            raise DataError(f"{self.name}: no store here yet; run `whynow run` first")

    def _connection(self) -> Database:
        self._must_exist()
        if self._db is None:
            raise DataError(f"{self.name}: read as holding no history (--fresh): there is nothing to query")
        return self._db

    @staticmethod
    def _in_dialect(db: Database, sql: Sql) -> Sql:
        """`sql` as `db` reads it: text in DuckDB's dialect translated for another engine; a built statement
        as it is (`db` renders it in its own dialect)."""
        if isinstance(sql, exp.Expr) or db.dialect == "duckdb":
            return sql
        return _translated(sql, db.dialect)


def _as_of_is(value: exp.Expr) -> exp.Expr:
    return exp.column("as_of").eq(value)
