"""Sales feedback at the next runs (SPEC §4.9, §4.10, §13): a rep's not-now or wrong-fit verdict holds the
account out of their queue for the model's days, so the next account in line surfaces; a badge of a higher
archetype overrides it; `working`, and a verdict by another rep, hold nothing; every verdict is logged once.

The company: one rep, R1, who can work two accounts. Three accounts research a change (a `change` badge);
Acme ranks first, Bolt second, Cato third, so Cato waits. Weekly runs from two days before today; the rep
gives feedback now, between the first two runs, as a rep would: a verdict is logged by the next run to start
after it was given, so the verdicts here are given at the real time and the as-of dates are set around it.
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from whynow.feedback import SCHEMA, give
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.store import Store

MODEL = """\
model: feedback
columns:
  accounts: {rank: number, changing: boolean, renewing: boolean}
capacity: {default_per_rep: 2, rank_by: rank}
feedback: {not_now_days: 14, wrong_fit_days: 30}
badges:
  definitions:
    - {id: renewal, archetype: customer, label: Renewal, when: renewing, play: Renew, why: "{account} renews"}
    - {id: change, archetype: change, label: Change, when: changing, expires_after_days: 1, play: Call,
       why: "{account} is changing"}
"""
TODAY = dt.datetime.now(dt.UTC).date()  # the UTC date a verdict given now is given on
WEEKS = [TODAY + dt.timedelta(days=7 * n - 2) for n in range(6)]  # today - 2, + 5, + 12, + 19, + 26, + 33
GIVEN = dt.datetime(2026, 11, 4, 10, 0, tzinfo=dt.UTC)  # the property test's clock: its store has no runs
ACCOUNTS = [("A1", "Acme", 3), ("A2", "Bolt", 2), ("A3", "Cato", 1)]


def _data(folder: Path, renewing: set[str] = frozenset(), changing: set[str] | None = None) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    changing = {a for a, _, _ in ACCOUNTS} if changing is None else changing
    tables = {
        "accounts": [
            ["account_id", "name", "owner_id", "rank", "changing", "renewing"],
            *([a, name, "R1", rank, a in changing, a in renewing] for a, name, rank in ACCOUNTS),
        ],
        "reps": [["rep_id", "name"], ["R1", "Rae"], ["R2", "Ravi"]],
    }
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", newline="") as out:
            csv.writer(out).writerows(rows)
    return str(folder)


class History:
    """One store, run week by week, with feedback given in between."""

    def __init__(self, root: Path, store: str | None = None) -> None:
        self.root, self.store = root, store or str(root / "store.duckdb")
        self.model = load_model_text(MODEL, "model.yaml")

    def run(self, week: int, **data: set[str]) -> dict[str, pa.Table]:
        folder = _data(self.root / f"week{week}-{len(data)}", **data)
        return run(self.model, folder, WEEKS[week], store=self.store).outputs

    def give(self, account: str, verdict: str, rep: str = "R1", note: str | None = None) -> None:
        give(Store(self.store), account, rep, verdict, note=note)  # now, as a rep gives it


def _queue(outputs: dict[str, pa.Table]) -> dict[str, tuple[str | None, int | None, str | None]]:
    return {
        r["account_id"]: (r["queue"], r["queue_rank"], r["held_reason"]) for r in outputs["account_status"].to_pylist()
    }


def _logged(outputs: dict[str, pa.Table], *kinds: str) -> list[tuple[str, str, str | None, str | None, str | None]]:
    """This run's change log entries of these kinds: (change, entity, old, new, reason), in the log's order."""
    return [
        (r["change"], r["entity_id"], r["old"], r["new"], r["reason"])
        for r in outputs["changes"].to_pylist()
        if r["change"] in kinds
    ]


NOT_NOW, WRONG_FIT = "not now (sales feedback)", "wrong fit (sales feedback)"


def test_a_not_now_account_frees_its_place_for_the_next_in_line_until_not_now_days_pass(tmp_path: Path) -> None:
    history = History(tmp_path)
    first = history.run(0)
    assert _queue(first) == {
        "A1": ("surfaced", 1, None),
        "A2": ("surfaced", 2, None),
        "A3": ("held", None, "over capacity"),
    }
    history.give("A1", "not_now", note="budget frozen until Q2")

    week1 = history.run(1)
    assert _queue(week1) == {"A1": ("held", None, NOT_NOW), "A2": ("surfaced", 1, None), "A3": ("surfaced", 2, None)}
    assert _logged(week1, "feedback", "held", "surfaced") == [
        ("feedback", "A1", None, "not_now", "budget frozen until Q2"),
        ("held", "A1", "R1", None, NOT_NOW),
        ("surfaced", "A3", None, "R1", None),
    ]
    week2 = history.run(2)  # today + 12: the verdict of today still holds (before today + 14)
    assert _queue(week2)["A1"] == ("held", None, NOT_NOW)
    assert _logged(week2, "feedback", "held", "surfaced") == []  # logged once, by the next run only

    # today + 19: it no longer holds; Bolt and Cato keep their places (a rep keeps what they are working), so Acme
    # waits over capacity, and a held account whose reason changed logs no new `held` entry.
    week3 = history.run(3)
    assert _queue(week3)["A1"] == ("held", None, "over capacity")
    assert _logged(week3, "held", "surfaced") == []
    # today + 26: Cato's change is over; Acme, back in line, takes the place, after Bolt, who kept theirs.
    week4 = history.run(4, changing={"A1", "A2"})
    assert _queue(week4) == {"A1": ("surfaced", 2, None), "A2": ("surfaced", 1, None), "A3": (None, None, None)}


def test_feedback_holds_and_is_logged_on_a_postgresql_store(tmp_path: Path) -> None:
    import os
    import uuid

    import ibis

    from tests.test_backends import _unavailable

    url = os.environ.get("WHYNOW_TEST_POSTGRES")
    if not url:
        _unavailable("no PostgreSQL (WHYNOW_TEST_POSTGRES is not set)")
    assert url is not None
    schema = f"feedback_{uuid.uuid4().hex[:8]}"
    history = History(tmp_path, f"{url}?schema={schema}")
    try:
        history.run(0)
        history.give("A1", "not_now", note="budget frozen")
        week1 = history.run(1)
        assert _queue(week1) == {
            "A1": ("held", None, NOT_NOW),
            "A2": ("surfaced", 1, None),
            "A3": ("surfaced", 2, None),
        }
        assert _logged(week1, "feedback") == [("feedback", "A1", None, "not_now", "budget frozen")]
        assert [(r["account_id"], r["verdict"]) for r in Store(history.store).feedback()] == [("A1", "not_now")]
    finally:
        con = ibis.connect(url)
        con.raw_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.disconnect()


def test_a_wrong_fit_account_stays_out_for_wrong_fit_days(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.run(0)
    history.give("A2", "wrong_fit")
    held = [_queue(history.run(week))["A2"] for week in range(1, 6)]
    # held at today + 5 … today + 26, free at today + 33 (but over capacity: A1 and A3 keep their places)
    assert held == [("held", None, WRONG_FIT)] * 4 + [("held", None, "over capacity")]


def test_a_higher_archetype_badge_overrides_the_verdict(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.run(0)
    history.give("A1", "not_now")  # given on its `change` badge
    assert _queue(history.run(1))["A1"] == ("held", None, NOT_NOW)
    renewing = history.run(2, renewing={"A1"})  # now a customer badge: strictly higher than change
    assert _queue(renewing)["A1"] == ("surfaced", 1, None)
    assert next(r for r in renewing["account_status"].to_pylist() if r["account_id"] == "A1")["badge"] == "renewal"


def test_a_verdict_given_while_the_account_had_no_badge_holds_whatever_badge_comes(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.run(0, changing={"A2", "A3"})  # Acme has no badge yet
    history.give("A1", "not_now")
    assert _queue(history.run(1, renewing={"A1"}))["A1"] == ("held", None, NOT_NOW)


def test_working_and_another_reps_verdict_hold_nothing_but_are_logged(tmp_path: Path) -> None:
    history = History(tmp_path)
    before = _queue(history.run(0))
    history.give("A1", "working", note="demo booked")
    history.give("A2", "not_now", rep="R2")  # Bolt is routed to R1, not R2
    week1 = history.run(1)
    assert _queue(week1) == before
    assert _logged(week1, "feedback") == [
        ("feedback", "A1", None, "working", "demo booked"),
        ("feedback", "A2", None, "not_now", None),
    ]


def test_only_the_latest_verdict_by_the_route_target_counts_and_old_is_the_verdict_before(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.run(0)
    history.give("A1", "not_now")
    history.give("A1", "working")  # changed their mind
    week1 = history.run(1)
    assert _queue(week1)["A1"] == ("surfaced", 1, None)
    assert _logged(week1, "feedback") == [
        ("feedback", "A1", None, "not_now", None),
        ("feedback", "A1", "not_now", "working", None),
    ]


def test_a_verdict_given_after_a_runs_horizon_holds_nothing_in_that_run(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.run(0)
    history.give("A1", "not_now")
    yesterday = run(history.model, _data(tmp_path / "yesterday"), TODAY - dt.timedelta(days=1), store=history.store)
    assert _queue(yesterday.outputs)["A1"] == ("surfaced", 1, None)  # its day ended before the verdict
    # Logged all the same: by the next run to start after it was given, whatever its as-of date.
    assert _logged(yesterday.outputs, "feedback") == [("feedback", "A1", None, "not_now", None)]
    assert _queue(history.run(1))["A1"] == ("held", None, NOT_NOW)


def test_fresh_keeps_the_feedback(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.run(0)
    history.give("A1", "wrong_fit")
    run(history.model, _data(tmp_path / "again"), WEEKS[0], store=history.store, fresh=True)
    assert [r["verdict"] for r in Store(history.store).feedback()] == ["wrong_fit"]
    assert _queue(history.run(1))["A1"] == ("held", None, WRONG_FIT)


def test_feedback_that_cannot_be_kept_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.run(0)
    whynow = [sys.executable, "-m", "whynow", "feedback"]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*whynow, *args, "--store", str(history.store)], capture_output=True, text=True)

    unknown = cli("A9", "--rep", "R1", "--verdict", "not_now")
    assert unknown.returncode == 1 and "account 'A9' is not in the last run" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    stranger = cli("A1", "--rep", "R7", "--verdict", "not_now")
    assert stranger.returncode == 1 and "rep 'R7' is not among the reps" in stranger.stderr
    assert cli("A1", "--rep", "R1", "--verdict", "maybe").returncode == 2
    assert Store(history.store).feedback() == []

    kept = cli("A1", "--rep", "R1", "--verdict", "not_now", "--note", "call in spring")
    assert kept.returncode == 0, kept.stderr
    assert "A1 not now by R1" in kept.stdout and "before 2026-" in kept.stdout
    listed = cli("--list", "--rep", "R1")
    assert "A1" in listed.stdout and "not now on change via cli: call in spring" in listed.stdout
    row = Store(history.store).feedback()[0]
    assert (row["account_id"], row["rep_id"], row["verdict"], row["badge"], row["source"], row["given_by"]) == (
        "A1", "R1", "not_now", "change", "cli", "R1",
    )  # fmt: skip


verdicts = st.lists(
    st.tuples(st.sampled_from(["A1", "A2", "A3", "A4"]), st.sampled_from(["R1", "R2"]),
              st.sampled_from(["working", "not_now", "wrong_fit"]), st.integers(0, 40)),
    max_size=8,
    unique_by=lambda v: (v[0], v[1], v[3]),  # no two verdicts by one rep on one account at the same moment
)  # fmt: skip


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(verdicts, st.integers(0, 3))
def test_feedback_never_puts_a_rep_over_capacity_and_held_accounts_take_no_place(given_, capacity) -> None:
    """Whatever the verdicts, a rep's queue is the first `capacity` of the accounts feedback does not hold,
    ranked 1…n, and an account held by feedback has a verdict of its route target behind it."""
    folder = Path(__import__("tempfile").mkdtemp())
    accounts = [("A1", "Acme", 4), ("A2", "Bolt", 3), ("A3", "Cato", 2), ("A4", "Dune", 1)]
    rows = [["account_id", "name", "owner_id", "rank", "changing", "renewing"]]
    rows += [[a, n, "R1", r, True, False] for a, n, r in accounts]
    with (folder / "accounts.csv").open("w", newline="") as out:
        csv.writer(out).writerows(rows)
    (folder / "reps.csv").write_text(f"rep_id,name,capacity\nR1,Rae,{capacity}\nR2,Ravi,1\n")
    store = folder / "s.duckdb"
    feedback = [
        {"given_at": GIVEN - dt.timedelta(days=days), "account_id": a, "rep_id": rep, "verdict": v, "note": None,
         "badge": "change", "source": "api", "given_by": rep}
        for a, rep, v, days in given_
    ]  # fmt: skip
    if feedback:
        Store(store).give_feedback(pa.Table.from_pylist(feedback, schema=SCHEMA))
    model = load_model_text(MODEL, "m.yaml")
    status = run(model, str(folder), dt.date(2026, 11, 9), store=store).outputs["account_status"].to_pylist()

    latest: dict[str, tuple[dt.datetime, str]] = {}
    for a, rep, v, days in given_:
        when = GIVEN - dt.timedelta(days=days)
        if rep == "R1" and (a not in latest or when >= latest[a][0]):
            latest[a] = (when, v)
    window = {"not_now": 14, "wrong_fit": 30}
    as_of = dt.date(2026, 11, 9)
    holds = {a for a, (when, v) in latest.items() if v in window and when.date() + dt.timedelta(days=window[v]) > as_of}
    free = [a for a, _, _ in accounts if a not in holds]
    by_id = {r["account_id"]: r for r in status}
    assert [a for a in free if by_id[a]["queue"] == "surfaced"] == free[:capacity]
    assert [by_id[a]["queue_rank"] for a in free[:capacity]] == list(range(1, len(free[:capacity]) + 1))
    assert {a for a in by_id if (by_id[a]["held_reason"] or "").endswith("(sales feedback)")} == holds
    assert Counter(r["queue"] for r in status)["surfaced"] <= capacity
