"""whynow: which accounts deserve a seller's attention today, and why.

One badge per account or person, from three archetypes with fixed precedence, that expires unless
fresh signals sustain it and is surfaced only while the rep has capacity. The public API:

    load_model(path) -> CompiledModel        the YAML model, validated and checked (SPEC §4)
    open_data(model, src) -> Validated       the data source, validated for the model (SPEC §3, §4.1)
    open_source(src) -> Source               a folder of CSV/Parquet files or a DuckDB file (SPEC §3)
    validate_source(source) -> Validated     typed tables, rejected rows, counts
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from whynow.errors import DataError, ModelError, ModelProblem, WhynowError

if TYPE_CHECKING:
    from whynow.data.source import Source, open_source
    from whynow.data.validate import Validated, validate_source
    from whynow.model.check import CompiledModel
    from whynow.model.load import load_model, load_model_text
    from whynow.run import open_data

__version__ = "0.1.0"

# The API that reads data is imported on first use, not with the package: `whynow --help` and
# `whynow check` then start without Ibis, DuckDB and PyArrow (#21).
_LAZY = {
    "CompiledModel": "whynow.model.check",
    "Source": "whynow.data.source",
    "Validated": "whynow.data.validate",
    "load_model": "whynow.model.load",
    "load_model_text": "whynow.model.load",
    "open_data": "whynow.run",
    "open_source": "whynow.data.source",
    "validate_source": "whynow.data.validate",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


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
