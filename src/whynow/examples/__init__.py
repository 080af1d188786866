"""The reference model (SPEC §4), shipped with the package so `whynow demo` runs anywhere."""

from __future__ import annotations

from pathlib import Path


def reference_model_path() -> Path:
    """The path of the packaged reference model, `examples/model.yaml`."""
    return Path(__file__).with_name("model.yaml")
