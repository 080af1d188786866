"""The choices a command line offers, each written once: the CLI offers them and the engine takes them.

Nothing here imports the engine, so that `whynow --help` and `whynow check` start fast (#21).
"""

from __future__ import annotations

from typing import Literal

AlertStatus = Literal["pending", "sent", "failed", "skipped"]  # an alert in the outbox (SPEC §7)
OnBadRows = Literal["error", "skip"]  # stop at bad rows, or set them aside in `rejected` (SPEC §3)
FileFormat = Literal["parquet", "csv"]  # the format of written tables (`--out`, CRM imports)
Dialect = Literal["duckdb", "postgres", "spark", "snowflake", "bigquery"]  # what `whynow compile` writes
