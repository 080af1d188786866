"""learn's features are read with statements built by sqlglot (#21): a column named like a keyword, and text
values holding a quote, a double quote, a backslash, a `$` or a new line, are features of their own."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from whynow.learn.learn import _encode
from whynow.learn.propose import Feature
from whynow.model.load import load_model_text

MODEL = """model: odd
fit:
  account:
    - {name: Big, when: "employees > 100", points: 10}
engagement:
  rules: []
buying_committee:
  roles:
    buyer: "TRUE"
accounts:
  target_when: "TRUE"
  mqa_when: engaged_contacts >= 1
badges:
  definitions:
    - {id: hot, archetype: change, label: Hot, when: fit >= 10, play: Call, why: "{account} fits"}
"""
ODD = ["it's", 'say "hi"', "back\\slash", "$1", "new\nline"]


def test_text_values_and_names_with_sql_characters_are_features_of_their_own() -> None:
    base = pa.table(
        {
            "account_id": [f"A{i}" for i in range(5)],
            "label": [True, False, True, False, None],
            "fit 0": [1, 0, 1, 0, 1],
            "region": ODD,
            "select": [1.5, None, 2.0, 0.0, 3.0],
            "order": [True, None, False, True, True],
        }
    )
    con = duckdb.connect()
    try:
        table, features = _encode(
            con,
            base,
            [Feature("fit: Big", "fit", 0)],
            ["region", "select", "order"],
            load_model_text(MODEL, "m"),
            "account",
        )
    finally:
        con.close()
    by_value = sorted(ODD)  # every value held once: ordered by the value
    assert [f.name for f in features] == [
        "fit: Big",
        *(f"signal: region = {v}" for v in by_value),
        "signal: select",
        "signal: order",
    ]
    assert table.column_names == [
        "label", "account_id", "fit 0", "region", "select", "order", *(f"x{i}" for i in range(8))
    ]  # fmt: skip
    assert table.column("label").to_pylist() == [1, 0, 1, 0, None]
    rows = table.to_pylist()
    for row in rows:
        assert [row[f"x{1 + i}"] for i in range(5)] == [int(row["region"] == v) for v in by_value]
    assert [r["x6"] for r in rows] == [1.5, 0.0, 2.0, 0.0, 3.0]
    assert [r["x7"] for r in rows] == [1, 0, 0, 1, 1]
