"""Run the scoring pipeline on a few rows: a model in YAML, tables as CSV text, an as-of date."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

from whynow.model.load import load_model_text
from whynow.pipeline import Context, Tables, run_pipeline
from whynow.run import open_data

AS_OF = dt.date(2026, 11, 20)  # horizon: 2026-11-21 00:00 UTC


def score(folder: Path, model: str, as_of: dt.date = AS_OF, **tables: str) -> Tables:
    """Write each `table="csv text"` into `folder`, load `model` (YAML text; `model: t` is added when
    missing), run every stage as of `as_of`, and return the pipeline's tables."""
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    text = textwrap.dedent(model)
    if "model:" not in text:
        text = "model: t\n" + text
    compiled = load_model_text(text, "model.yaml")
    return run_pipeline(Context(compiled, as_of), open_data(compiled, str(folder), count_links=False).tables)


def by_id(tables: Tables, table: str, key: str, *columns: str) -> dict[str, dict]:
    """{id: {column: value}} of one pipeline table."""
    rows = tables[table].select(key, *columns).to_pyarrow().to_pylist()
    return {row.pop(key): row for row in rows}


def column(tables: Tables, table: str, key: str, name: str) -> dict[str, object]:
    """{id: value} of one column."""
    return {k: v[name] for k, v in by_id(tables, table, key, name).items()}
