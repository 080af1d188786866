"""CSV that a person opens in a spreadsheet: text cells that a spreadsheet would run as a formula are
made plain text first (CSV injection), for every export of the store's outputs (the dashboard's downloads).

A name in the CRM such as `=HYPERLINK("http://evil.example", "Click")` reaches the outputs as it is; opened
from a CSV, Excel, LibreOffice and Google Sheets would run it. As OWASP's "CSV Injection" page advises,
a text cell that begins with = + - @ TAB or CR gets a single quote in front, and the cell is quoted.
Numbers stay numbers (a fit of -5 is not text), and nothing else in a cell changes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

FORMULA_START = r"^([=+\-@\t\r])"  # RE2: the first character only (no multi-line mode)
Data = TypeVar("Data", pa.RecordBatch, pa.Table)


def neutralise_formulas(data: Data) -> Data:
    """`data` with a single quote in front of each text cell that begins with = + - @ TAB or CR.

    One compute call per text column, over the whole batch or table; other columns are left as they are.

    >>> table = pa.table({"name": ["=1+1", "Acme", "-Leaf", None], "fit": [-5.0, 3.0, 0.0, 1.0]})
    >>> neutralise_formulas(table).to_pydict()
    {'name': ["'=1+1", 'Acme', "'-Leaf", None], 'fit': [-5.0, 3.0, 0.0, 1.0]}
    """
    columns = [
        pc.replace_substring_regex(column, pattern=FORMULA_START, replacement=r"'\1") if _is_text(field) else column
        for field, column in zip(data.schema, data.columns, strict=True)
    ]
    if isinstance(data, pa.RecordBatch):
        return pa.RecordBatch.from_arrays(columns, schema=data.schema)
    return pa.Table.from_arrays(columns, schema=data.schema)


def stream_csv(schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
    """CSV of `batches`, neutralised, a chunk of bytes per batch: the header first (also for no rows).

    Arrow's writer quotes every text cell ("needed" quoting), so each neutralised cell is enclosed in
    double quotes too; numbers, dates and booleans are written bare.

    >>> batch = pa.record_batch({"name": ["@SUM(A1)"], "fit": [-5]})
    >>> b"".join(stream_csv(batch.schema, [batch])).decode()
    '"name","fit"\\n"\\'@SUM(A1)",-5\\n'
    """
    text = io.BytesIO()
    pacsv.write_csv(schema.empty_table(), text, pacsv.WriteOptions(quoting_style="needed"))
    yield text.getvalue()
    for batch in batches:
        text = io.BytesIO()
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        pacsv.write_csv(neutralise_formulas(batch), text, options)
        yield text.getvalue()


def _is_text(field: pa.Field) -> bool:
    return bool(pa.types.is_string(field.type) or pa.types.is_large_string(field.type))
