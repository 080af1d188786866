"""CSV a spreadsheet opens: text that would run as a formula gets a quote in front; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pytest

from whynow.spreadsheet import neutralise_formulas, stream_csv


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+1+cmd|'/C calc'!A0", "'+1+cmd|'/C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Acme Corp", "Acme Corp"),
        ("Smith-Jones = partners", "Smith-Jones = partners"),
        ("'already quoted", "'already quoted"),
        ("", ""),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return", "plain", "inside", "quote", "empty"],
)
def test_text_that_would_run_as_a_formula_gets_a_quote_in_front(name: str, shown: str) -> None:
    table = pa.table({"name": [name]})
    assert neutralise_formulas(table)["name"].to_pylist() == [shown]


def test_numbers_dates_and_nulls_are_left_as_they_are() -> None:
    batch = pa.record_batch(
        {
            "name": [None, "-Leaf"],
            "fit": [-5.0, 2.5],
            "rank": pa.array([-1, 2], pa.int64()),
            "mqa": [True, False],
            "since": pa.array([0, 1], pa.date32()),
        }
    )
    neutral = neutralise_formulas(batch)
    assert isinstance(neutral, pa.RecordBatch) and neutral.schema == batch.schema
    assert neutral.to_pydict() == {**batch.to_pydict(), "name": [None, "'-Leaf"]}


def test_a_table_of_several_chunks_stays_a_table() -> None:
    table = pa.concat_tables([pa.table({"name": ["=1"]}), pa.table({"name": ["ok"]})])
    neutral = neutralise_formulas(table)
    assert isinstance(neutral, pa.Table) and neutral["name"].to_pylist() == ["'=1", "ok"]


def test_the_csv_quotes_each_neutralised_cell_and_leaves_numbers_bare() -> None:
    schema = pa.schema([("name", pa.string()), ("fit", pa.float64())])
    batches = [
        pa.record_batch({"name": ["=1+1"], "fit": [-5.0]}, schema=schema),
        pa.record_batch({"name": ["Acme"], "fit": [3.5]}, schema=schema),
    ]
    text = b"".join(stream_csv(schema, batches)).decode()
    assert text == '"name","fit"\n"\'=1+1",-5\n"Acme",3.5\n'
    assert list(csv.reader(io.StringIO(text))) == [["name", "fit"], ["'=1+1", "-5"], ["Acme", "3.5"]]


def test_no_rows_is_the_header_alone() -> None:
    schema = pa.schema([("account_id", pa.string()), ("fit", pa.float64())])
    assert b"".join(stream_csv(schema, [])) == b'"account_id","fit"\n'
