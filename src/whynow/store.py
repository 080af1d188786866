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
_DATED = ("account_status", "contact_status", "score_breakdown", "rejected", "runs")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Store:
    """One DuckDB store file."""

    def __init__(self, path: str | Path = DEFAULT_STORE) -> None:
        self.path = Path(path)

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as e:
            raise DataError(f"{self.path}: cannot open the store: {str(e).splitlines()[0]}") from None

    def write_run(self, as_of: dt.date, outputs: Mapping[str, pa.Table], model: tuple[str, str, str]) -> None:
        """Replace the as-of date's rows of every output with `outputs`, and remember the model
        (hash, name, text), all in one transaction."""
        con = self.connect()
        try:
            con.execute("BEGIN TRANSACTION")
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
            if name in _DATED:
                con.execute(f"DELETE FROM {target} WHERE as_of = ?", [as_of])
            con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM incoming")
        finally:
            con.unregister("incoming")


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
