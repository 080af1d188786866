"""Sales feedback as `whynow backtest` and `whynow learn` read it (SPEC §13, "What it teaches"): the verdicts
of the user's store, replayed into a backtest's runs as they were given, and each account's latest verdict.

    read_verdicts(location, named) -> Verdicts | None   the store's verdicts (None: it holds none)
    give_before(store, verdicts, after, as_of)          a replay's store gets the verdicts given up to a run
    LATEST                                              SQL: each account's latest verdict, by any rep

Which verdict is an account's: the latest one given on it by any rep, whenever (the store's feedback as it
is when the backtest runs) — sales' standing judgement of the account, which the backtest holds against
every date the model surfaced it ("are the accounts sales called wrong fit really worse?"). Ties at one
instant go to the verdict a run's hold would pick (pipeline/capacity.py: the later verdict name).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from whynow.errors import DataError
from whynow.feedback import SCHEMA
from whynow.store import Store

GROUPS = ("working", "not_now", "wrong_fit", "none")  # the backtest's verdict rows, in this order
LATEST = """
SELECT account_id, verdict FROM feedback
QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY given_at DESC, verdict DESC, rep_id DESC) = 1
"""  # over a table `feedback` with SCHEMA's columns


@dataclass(frozen=True)
class Verdicts:
    """The sales feedback of one store."""

    store: str  # the store's name as shown (a PostgreSQL URL without its password)
    given: pa.Table  # every verdict, SCHEMA's columns, oldest first

    def accounts(self) -> int:
        """How many accounts have a verdict."""
        return len(pc.unique(self.given["account_id"]))


def read_verdicts(location: str, *, named: bool) -> Verdicts | None:
    """Every verdict given in the store at `location`; None when it holds none. `named`: the user gave this
    store (`--feedback`), so a store that is not there is a `DataError` rather than no feedback.

    >>> read_verdicts("no-such-store.duckdb", named=False) is None
    True
    """
    store = Store(location)
    if not store.exists():
        if named:
            raise DataError(f"--feedback {store.name}: no store there; give the store `whynow feedback` wrote to")
        return None
    given = store.feedback_table(dt.datetime.now(dt.UTC))
    if given is None or not given.num_rows:
        return None
    return Verdicts(store.name, given.select(SCHEMA.names).cast(SCHEMA))


def give_before(store: Path, verdicts: Verdicts, after: dt.date | None, as_of: dt.date) -> int:
    """Add to a replay's store the verdicts given before the run's horizon (SPEC §2: as_of + 1 day) and not
    before the previous run's (`after`); how many. So each run's store holds only the feedback given up to
    its horizon: a verdict given later holds nothing in that run and reaches none of its outputs (SPEC §9:
    nothing after an as-of date reaches that date's run), and from the first run after it, it holds as it
    would have (SPEC §13)."""
    given_at = verdicts.given["given_at"]
    kind = given_at.type
    until = pc.less(given_at, pa.scalar(_horizon(as_of), kind))
    if after is not None:
        until = pc.and_(until, pc.greater_equal(given_at, pa.scalar(_horizon(after), kind)))
    rows = verdicts.given.filter(until)
    if rows.num_rows:
        Store(store).give_feedback(rows)
    return int(rows.num_rows)


def _horizon(as_of: dt.date) -> dt.datetime:
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
