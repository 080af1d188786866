"""`whynow init`: a starter model from the data (profile.py reads it, draft.py writes the model).

    start_model(data, out) -> Started   profile, draft, one run of the draft to tune its thresholds, write

The draft is run once on the data, as of its newest activity, into a throwaway store; its thresholds
(grades, nurture and MQL engagement, MQA) are then set from that run's distribution, and the model is
checked again before it is written. An existing file is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from whynow.data.backends import close
from whynow.data.source import open_source
from whynow.data.validate import validate_source
from whynow.errors import UsageError
from whynow.model.load import load_model_text
from whynow.starter.draft import Tuned, draft, tune
from whynow.starter.profile import Profile, profile_data


@dataclass(frozen=True)
class Started:
    """What `init` wrote, and from what."""

    path: Path
    profile: Profile
    as_of: dt.date


def start_model(data: str, out: Path) -> Started:
    """Profile `data`, draft a model, tune it with a run, and write it to `out` (refused when it exists)."""
    if out.exists():
        raise UsageError(f"{out} already exists; whynow init never overwrites a file: give another --out")
    from whynow.run import run

    source = open_source(data)
    try:
        validated = validate_source(source, "error", {}, count_links=False)
        profile = profile_data(validated.tables, str(data))
    finally:
        close(source.con)
    as_of = profile.as_of
    name = _name(data)
    first = load_model_text(draft(profile, Tuned(as_of), name), str(out))
    with tempfile.TemporaryDirectory(prefix="whynow-init-") as folder:
        ran = run(first, data, as_of, store=Path(folder) / "init.duckdb")
    tuned = tune(as_of, ran.outputs["account_status"], ran.outputs["contact_status"])
    text = draft(profile, tuned, name)
    load_model_text(text, str(out))  # the tuned model checks too, before anything is written
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("x", encoding="utf-8") as file:  # "x": never over a file made since the check above
        file.write(text)
    return Started(out, profile, as_of)


def _name(data: str) -> str:
    stem = Path(data.rstrip("/")).stem if "://" not in data else data.split("/")[-1].split("?")[0]
    return "starter-" + (re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "model")
