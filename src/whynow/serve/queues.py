"""The Queues page's reads (SPEC §4.9, §8): each rep's surfaced and held accounts with who to call, a rep's
queue, and the queue as CSV — over one request's read-only connection (`query.reading`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from whynow.errors import did_you_mean
from whynow.links import crm_url, link_columns
from whynow.serve import calls as who_to_call
from whynow.serve import schemas as s
from whynow.serve.query import NotFound, Reader, equals, not_null, nulls_last, page_count, select_from
from whynow.statements import column_ref, ident, param, table_ref
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
    columns = dict.fromkeys(["route_to", "queue", *s.QUEUE_COLUMNS, *link_columns(compiled, "account")])
    route_to = column_ref("route_to")
    targeted: list[exp.Expr] = [route_to.isin(*(param() for _ in named))] if named else []
    if None in shown:
        targeted.append(route_to.is_(exp.null()))
    sql = (
        select_from("account_status", columns)
        .where(equals("as_of"), not_null(column_ref("queue")), exp.or_(*targeted) if targeted else exp.false())
        .order_by(nulls_last(column_ref("queue_rank")), nulls_last(column_ref("account_id")))
    )
    rows = r.query(sql, [as_of, *named])
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


# The download's columns of an account (of account_status, `a`), after its rep's id and name.
_DOWNLOADED = (
    "queue", "queue_rank", "account_id", "name", "badge", "badge_label", "archetype", "motion", "play", "why",
    "badge_expires_on", "held_reason",
)  # fmt: skip


def queue_batches(r: Reader, f: s.QueueChoice) -> pa.RecordBatchReader:
    """Every queued account of a run (or of one rep) in the Queues page's order, in batches as they are
    read (the CSV download): by rep, the unassigned last; surfaced in rank order, then held with the reason.
    Each account (`a`) with the rep it is routed to (`p`), if the run's reps hold them."""
    where, params = [_of("a", "as_of").eq(param()), not_null(_of("a", "queue"))], list[object]([r.as_of(f.as_of)])
    if f.rep is not None:
        where.append(_of("a", "route_to").eq(param()))
        params.append(f.rep)
    surfaced = _of("a", "queue").eq(exp.Literal.string("surfaced"))
    held_last = exp.case().when(surfaced, exp.Literal.number(0)).else_(exp.Literal.number(1))
    order = [_of("a", "route_to"), held_last, _of("a", "queue_rank"), _of("a", "account_id")]
    rep = exp.and_(_of("p", "rep_id").eq(_of("a", "route_to")), _of("p", "as_of").eq(_of("a", "as_of")))
    sql = (
        sqlglot.select(
            _of("a", "route_to").as_("rep"), _of("p", "name").as_("rep_name"), *(_of("a", c) for c in _DOWNLOADED)
        )
        .from_(exp.alias_(table_ref("account_status"), "a", table=True))
        .join(exp.alias_(table_ref("reps"), "p", table=True), on=rep, join_type="left")
        .where(*where)
        .order_by(*map(nulls_last, order))
    )
    return r.batches(sql, params)


def _of(table: str, column: str) -> exp.Column:
    """table.column, the table by its alias in the query."""
    return exp.column(ident(column), table=table)
