"""The Queues page's reads (SPEC §4.9, §8): each rep's surfaced and held accounts with who to call, a rep's
queue, and the queue as CSV — over one request's read-only connection (`query.reading`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from whynow.errors import did_you_mean
from whynow.links import crm_url, link_columns
from whynow.serve import calls as who_to_call
from whynow.serve import schemas as s
from whynow.serve.query import NotFound, Reader, page_count
from whynow.store import Row


def queues(r: Reader, f: s.QueueFilter) -> s.Queues:
    """Each route target's surfaced accounts in order and its held accounts, with capacity used/total, a
    page of targets at a time: every rep of the run and every other route target by id, then the unassigned
    queue when it holds any."""
    as_of = r.as_of(f.as_of)
    compiled = r.model(as_of)[2]
    capacity = compiled.spec.capacity
    reps = {str(p["rep_id"]): p for p in r.query("SELECT * FROM reps WHERE as_of = ?", [as_of])}
    everyone = _targets(r, as_of, None)
    targets = _targets(r, as_of, f.rep, everyone)
    shown = targets[(f.page - 1) * f.per_page : f.page * f.per_page]
    named = [t for t in shown if t is not None]
    columns = ", ".join(
        f'"{c}"' for c in dict.fromkeys(["route_to", "queue", *s.QUEUE_COLUMNS, *link_columns(compiled, "account")])
    )
    conditions = [f"route_to IN ({', '.join('?' * len(named))})"] if named else []
    if None in shown:
        conditions.append("route_to IS NULL")
    rows = r.query(
        f"SELECT {columns} FROM account_status WHERE as_of = ? AND queue IS NOT NULL "
        f"AND ({' OR '.join(conditions) or 'FALSE'}) "
        "ORDER BY queue_rank NULLS LAST, account_id",
        [as_of, *named],
    )
    calls = who_to_call.call_lists(r, compiled, as_of, [str(row["account_id"]) for row in rows])

    def item(row: Row) -> s.QueueItem:
        return s.QueueItem(
            **{k: row[k] for k in s.QUEUE_COLUMNS},
            crm_url=crm_url(compiled, "account", row),
            call_list=calls.get(str(row["account_id"]), []),
        )

    queues = []
    for target in shown:
        mine = [row for row in rows if row["route_to"] == target]
        info: Mapping[str, Any] = reps.get(target or "", {})
        total = info.get("capacity")
        if total is None:
            total = capacity.unassigned if target is None else capacity.default_per_rep
        surfaced = [item(row) for row in mine if row["queue"] == "surfaced"]
        queues.append(
            s.Queue(
                rep_id=target,
                name=info.get("name"),
                team=info.get("team"),
                capacity=int(total),
                used=len(surfaced),
                surfaced=surfaced,
                held=[item(row) for row in mine if row["queue"] == "held"],
            )
        )
    return s.Queues(
        as_of=as_of,
        total=len(targets),
        reps=[s.Rep.model_validate({"rep_id": t, "name": reps.get(t, {}).get("name")}) for t in everyone if t],
        page=f.page,
        per_page=f.per_page,
        pages=page_count(len(targets), f.per_page),
        queues=queues,
    )


def _targets(r: Reader, as_of: dt.date, rep: str | None, everyone: list[str | None] | None = None) -> list[str | None]:
    """The queues of a run: every rep and every other route target by id, then None (the unassigned queue)
    when it holds any; only `rep`'s when given, NotFound when the run has no such rep. `everyone`: the
    queues of the run, when they were read already."""
    if everyone is None:
        reps = {str(p["rep_id"]) for p in r.query("SELECT rep_id FROM reps WHERE as_of = ?", [as_of])}
        routed = r.query(
            "SELECT DISTINCT route_to, route_to IS NULL AS unassigned FROM account_status "
            "WHERE as_of = ? AND queue IS NOT NULL",
            [as_of],
        )
        everyone = [*sorted({str(t["route_to"]) for t in routed if not t["unassigned"]} | reps)]
        if any(t["unassigned"] for t in routed):
            everyone.append(None)
    if rep is None:
        return everyone
    if rep not in everyone:
        known = [t for t in everyone if t is not None]
        raise NotFound(f"no rep {rep} in the run of {as_of}{did_you_mean(rep, known)}")
    return [rep]


def queue_choice(r: Reader, f: s.QueueChoice) -> s.QueueChoice:
    """`f` with its run's as-of date, once the run and the rep are found: a download's 404 comes before
    any byte of it."""
    as_of = r.as_of(f.as_of)
    _targets(r, as_of, f.rep)
    return f.model_copy(update={"as_of": as_of})


def queue_batches(r: Reader, f: s.QueueChoice) -> pa.RecordBatchReader:
    """Every queued account of a run (or of one rep) in the Queues page's order, in batches as they are
    read (the CSV download): by rep, the unassigned last; surfaced in rank order, then held with the reason."""
    where, params = "a.as_of = ? AND a.queue IS NOT NULL", list[object]([r.as_of(f.as_of)])
    if f.rep is not None:
        where += " AND a.route_to = ?"
        params.append(f.rep)
    sql = (
        "SELECT a.route_to AS rep, p.name AS rep_name, a.queue, a.queue_rank, a.account_id, a.name, a.badge, "
        "a.badge_label, a.archetype, a.motion, a.play, a.why, a.badge_expires_on, a.held_reason "
        f"FROM account_status a LEFT JOIN reps p ON p.rep_id = a.route_to AND p.as_of = a.as_of WHERE {where} "
        "ORDER BY a.route_to NULLS LAST, CASE WHEN a.queue = 'surfaced' THEN 0 ELSE 1 END, "
        "a.queue_rank NULLS LAST, a.account_id"
    )
    return r.batches(sql, params)
