"""The store (SPEC §5, §10): every run's outputs, the runs and the models, in a DuckDB file (the default) or a
PostgreSQL database. `store.py`: `Store`, where a store is and the doors to its parts; `database.py`: the
connections to its engine; `read.py`: its read side, one connection per use; `write.py`: its writer, one
transaction per write."""

from whynow.store.database import Database, Row
from whynow.store.read import Previous, Reading
from whynow.store.store import DEFAULT_STORE, Store
from whynow.store.write import StaleState, write_files

__all__ = ["DEFAULT_STORE", "Database", "Previous", "Reading", "Row", "StaleState", "Store", "write_files"]
