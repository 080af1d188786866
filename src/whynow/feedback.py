"""Sales feedback (SPEC §13): a rep's verdict on an account they were shown, kept and listed.

    give(store, account, rep, verdict, ...) -> Row   check it, then append it in a short transaction
    feedback_lines(store, rep) -> [str]              `whynow feedback --list`
    holds_until(row, days) -> date | None            the first as-of date a verdict no longer holds

Every door — `whynow feedback`, the dashboard's buttons and `POST /api/feedback`, a Slack alert's buttons —
goes through `give`, so a verdict is checked one way: the account must be in the store's last run, the rep
among its reps. What a verdict does to the next run is the pipeline's (pipeline/capacity.py: the hold;
finish.py: the change log's `feedback` entry).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

import pyarrow as pa

from whynow.errors import DataError
from whynow.model.schema import Feedback
from whynow.store import Row, Store

Verdict = Literal["working", "not_now", "wrong_fit"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
Source = Literal["cli", "dashboard", "slack", "api"]
NOTE_CHARS = 2000  # a note longer than this is refused, not cut: the rep's words are kept whole or not at all
LABELS = {"working": "working", "not_now": "not now", "wrong_fit": "wrong fit"}

SCHEMA = pa.schema(
    [
        ("given_at", pa.timestamp("us", tz="UTC")),
        ("account_id", pa.string()),
        ("rep_id", pa.string()),
        ("verdict", pa.string()),
        ("note", pa.string()),
        ("badge", pa.string()),  # the account's badge when the verdict was given (NULL: none)
        ("source", pa.string()),  # cli | dashboard | slack | api
        ("given_by", pa.string()),  # the rep, or the token's or Slack user's name
    ]
)


def give(
    store: Store,
    account_id: str,
    rep_id: str,
    verdict: str,
    *,
    note: str | None = None,
    source: Source = "cli",
    given_by: str | None = None,
    now: dt.datetime | None = None,
) -> Row:
    """Record one verdict and return it as written. A `DataError` (nothing written) for an unknown verdict,
    a note over NOTE_CHARS, an account not in the store's last run, or a rep not among its reps."""
    if verdict not in VERDICTS:
        raise DataError(f"verdict {verdict!r}: give one of {', '.join(VERDICTS)}")
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_CHARS:
        raise DataError(f"the note is {len(note):,} characters; keep it to {NOTE_CHARS:,}")
    last = store.latest_as_of()
    if last is None:
        raise DataError(f"{store.name}: no run yet, so no account to give feedback on; run `whynow run` first")
    found = store.rows("account_status", last, account_id=account_id)
    if not found:
        raise DataError(
            f"account {account_id!r} is not in the last run of {store.name} (as of {last}); "
            "`whynow queue` lists the accounts shown to each rep"
        )
    reps = {str(r["rep_id"]) for r in store.last_reps()}
    if rep_id not in reps:
        raise DataError(f"rep {rep_id!r} is not among the reps of the last run of {store.name} (as of {last})")
    row: Row = {
        "given_at": now or dt.datetime.now(dt.UTC),
        "account_id": account_id,
        "rep_id": rep_id,
        "verdict": verdict,
        "note": note,
        "badge": found[0]["badge"],
        "source": source,
        "given_by": given_by or rep_id,
    }
    store.give_feedback(pa.Table.from_pylist([row], schema=SCHEMA))
    return row


def holds_until(row: Row, days: Feedback) -> dt.date | None:
    """The first as-of date at which a verdict no longer holds its account (None: it holds nothing)."""
    length = {"not_now": days.not_now_days, "wrong_fit": days.wrong_fit_days}.get(str(row["verdict"]))
    given = row["given_at"]
    if not length or not isinstance(given, dt.datetime):
        return None
    return given.astimezone(dt.UTC).date() + dt.timedelta(days=length)


def describe(row: Row) -> str:
    """One verdict in a line: when, who, what, about which badge, and the note."""
    given = row["given_at"]
    when = given.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if isinstance(given, dt.datetime) else given
    by = "" if row["given_by"] == row["rep_id"] else f", given by {row['given_by']}"
    badge = f" on {row['badge']}" if row["badge"] else " (no badge)"
    note = f": {row['note']}" if row["note"] else ""
    verdict = LABELS.get(str(row["verdict"]), str(row["verdict"]))
    return f"{when}  {row['rep_id']}: {verdict}{badge} via {row['source']}{by}{note}"


def feedback_lines(store: Store, rep: str | None = None) -> list[str]:
    """`whynow feedback --list`: the feedback given, newest first, one line each."""
    rows = store.feedback(rep=rep)
    if not rows:
        return [f"no feedback{f' by {rep}' if rep else ''} in {store.name}"]
    return [f"{row['account_id']}  {describe(row)}" for row in rows]


def feedback_days(store: Store) -> Feedback:
    """The `feedback` section of the model of the store's last run (the defaults without one); read only to
    show, so no secret of the model is read."""
    from whynow.model.load import load_model_text

    last = store.last_model()
    if last is None:
        return Feedback()
    return load_model_text(last[1], f"the model of the last run ({last[0]})", display=True).spec.feedback


def effect(verdict: str, until: dt.date | None, rep_id: str, route_to: str | None) -> str:
    """What the next runs do with a verdict just kept, in words: the CLI and the dashboard say it alike."""
    if verdict == "working":
        return "it changes nothing in the queues"
    if until is None:
        return "it holds nothing (the model's feedback days are 0)"
    if route_to != rep_id:
        return f"it holds nothing while the account is routed to {route_to or 'nobody'}"  # logged only
    return f"runs as of before {until} hold it out of the queue"


def given_line(row: Row, days: Feedback, route_to: str | None) -> str:
    """What `whynow feedback` says once a verdict is kept."""
    said = effect(str(row["verdict"]), holds_until(row, days), str(row["rep_id"]), route_to)
    return f"kept: {row['account_id']} {LABELS[str(row['verdict'])]} by {row['rep_id']}; {said}"


def route_target(store: Store, account_id: str) -> str | None:
    """The rep the account is routed to in the store's last run (None: nobody)."""
    last = store.latest_as_of()
    found = store.rows("account_status", last, account_id=account_id) if last is not None else []
    return str(found[0]["route_to"]) if found and found[0]["route_to"] is not None else None
