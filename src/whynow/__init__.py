"""whynow: which accounts deserve a seller's attention today, and why.

One badge per account or person, from three archetypes with fixed precedence, that expires unless
fresh signals sustain it and is surfaced only while the rep has capacity. The public API:

    load_model(path) -> CompiledModel        the YAML model, validated and checked (SPEC §4)
    open_data(model, src) -> Validated       the data source, validated for the model (SPEC §3, §4.1)
    open_source(src) -> Source               a folder of CSV/Parquet files or a DuckDB file (SPEC §3)
    validate_source(source) -> Validated     typed tables, rejected rows, counts
"""

from __future__ import annotations

from whynow.data.source import Source, open_source
from whynow.data.validate import Validated, validate_source
from whynow.errors import DataError, ModelError, ModelProblem, WhynowError
from whynow.model.check import CompiledModel
from whynow.model.load import load_model, load_model_text
from whynow.run import open_data

__version__ = "0.1.0"

__all__ = [
    "CompiledModel",
    "DataError",
    "ModelError",
    "ModelProblem",
    "Source",
    "Validated",
    "WhynowError",
    "__version__",
    "load_model",
    "load_model_text",
    "open_data",
    "open_source",
    "validate_source",
]
