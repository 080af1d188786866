"""The store (SPEC §5): a DuckDB file that keeps every run's outputs, the runs and the models.

A run's outputs are written in one transaction: a failed run leaves the store as it was, and writing
an as-of date again replaces that date's rows (idempotent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from whynow.errors import DataError

DEFAULT_STORE = "whynow.duckdb"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Store:
    """One DuckDB store file."""

    def __init__(self, path: str | Path = DEFAULT_STORE, *, forget: bool = False) -> None:
        """`forget`: read as if the store held no history (a `--fresh` run, before it replaces it)."""
        self.path = Path(path)
        self.forget = forget

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as e:
            raise DataError(f"{self.path}: cannot open the store: {str(e).splitlines()[0]}") from None

    def write_run(self, as_of: dt.date, outputs: Mapping[str, pa.Table], model: tuple[str, str, str]) -> None:
        """Replace the as-of date's rows of every output with `outputs`, and remember the model
        (hash, name, text), all in one transaction; a forgetting store first removes every earlier run
        in that same transaction, so a failed `--fresh` run loses nothing."""
        con = self.connect()
        try:
            con.execute("BEGIN TRANSACTION")
            if self.forget:  # every table of the store is whynow's history: outputs, state, changes, models
                for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
                    con.execute(f"DROP TABLE IF EXISTS {_quote(table)}")
            con.execute("CREATE TABLE IF NOT EXISTS models (hash VARCHAR PRIMARY KEY, name VARCHAR, text VARCHAR)")
            con.execute("INSERT INTO models VALUES (?, ?, ?) ON CONFLICT DO NOTHING", list(model))
            for name, table in outputs.items():
                self._replace(con, name, table, as_of)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def latest_as_of(self) -> dt.date | None:
        """The as-of date of the store's last run, or None for an empty store."""
        if self.forget or not self.path.exists():
            return None
        with self.connect(read_only=True) as con:
            if not _has_table(con, "runs"):
                return None
            found = con.execute("SELECT max(as_of) FROM runs").fetchone()
        return found[0] if found else None

    def previous(self, as_of: dt.date, table: str, columns: str = "*") -> pa.Table | None:
        """A table's rows of the last run before `as_of` (the state a run resolves against), or None."""
        if self.forget or not self.path.exists():
            return None
        with self.connect(read_only=True) as con:
            if not _has_table(con, "runs") or not _has_table(con, table):
                return None
            found = con.execute("SELECT max(as_of) FROM runs WHERE as_of < ?", [as_of]).fetchone()
            if not found or found[0] is None:
                return None
            return con.execute(f"SELECT {columns} FROM {_quote(table)} WHERE as_of = ?", [found[0]]).to_arrow_table()

    def count_runs(self) -> int:
        """How many runs the store holds (what `--fresh` will remove)."""
        if not self.path.exists():
            return 0
        with self.connect(read_only=True) as con:
            found = con.execute("SELECT count(*) FROM runs").fetchone() if _has_table(con, "runs") else (0,)
        return int(found[0]) if found else 0

    def rows(self, table: str, as_of: dt.date, **equal: str) -> list[dict[str, object]]:
        """The rows of one output at an as-of date whose columns equal the given values."""
        if not self.path.exists():
            raise DataError(f"{self.path}: no store here yet; run `whynow run` first")
        with self.connect(read_only=True) as con:
            if not _has_table(con, table):
                return []
            where = "".join(f" AND {_quote(column)} = ?" for column in equal)
            result = con.execute(f"SELECT * FROM {_quote(table)} WHERE as_of = ?{where}", [as_of, *equal.values()])
            names = [d[0] for d in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def breakdown(self, as_of: dt.date, account_id: str) -> list[dict[str, object]]:
        """The score_breakdown rows of an account and of its contacts."""
        with self.connect(read_only=True) as con:
            result = con.execute(
                "SELECT b.* FROM score_breakdown b WHERE b.as_of = ? AND ((b.entity_type = 'account' AND "
                "b.entity_id = ?) OR (b.entity_type = 'contact' AND b.entity_id IN (SELECT contact_id FROM "
                "contact_status WHERE as_of = ? AND account_id = ?)))",
                [as_of, account_id, as_of, account_id],
            )
            names = [d[0] for d in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def history(self, table: str, account_id: str, until: dt.date) -> list[dict[str, object]]:
        """An account's rows of every run up to `until`, oldest first."""
        with self.connect(read_only=True) as con:
            result = con.execute(
                f"SELECT * FROM {_quote(table)} WHERE account_id = ? AND as_of <= ? ORDER BY as_of", [account_id, until]
            )
            names = [d[0] for d in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def model_text(self, model_hash: str) -> str | None:
        """The text of a model that ran (the store keeps every one)."""
        with self.connect(read_only=True) as con:
            found = con.execute("SELECT text FROM models WHERE hash = ?", [model_hash]).fetchone()
        return str(found[0]) if found else None

    @staticmethod
    def _replace(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, as_of: dt.date) -> None:
        con.register("incoming", table)
        try:
            target = _quote(name)
            con.execute(f"CREATE TABLE IF NOT EXISTS {target} AS SELECT * FROM incoming LIMIT 0")
            have = {row[0] for row in con.execute(f"DESCRIBE {target}").fetchall()}
            for column, kind, *_ in con.execute("DESCRIBE SELECT * FROM incoming").fetchall():
                if column not in have:  # a model with a new signal or column adds it; old rows read NULL
                    con.execute(f"ALTER TABLE {target} ADD COLUMN {_quote(column)} {kind}")
            if "as_of" in table.column_names:  # re-running an as-of date replaces its rows (idempotent)
                con.execute(f"DELETE FROM {target} WHERE as_of = ?", [as_of])
            con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM incoming")
        finally:
            con.unregister("incoming")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return bool(found and found[0])


def write_files(outputs: Mapping[str, pa.Table], folder: Path, fmt: str) -> list[Path]:
    """Each output as `<folder>/<name>.parquet` (or .csv), this run's rows only."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in outputs.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
        else:
            pq.write_table(table, path)
        written.append(path)
    return written
