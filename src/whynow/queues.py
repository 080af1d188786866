"""`whynow queue` and `whynow changes`: the last run's queues and the change log, read through the store's
read side (the queues as the dashboard's query layer builds them)."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator, Mapping

from whynow.errors import DataError
from whynow.explain import call_lines
from whynow.presentation import id_and_name
from whynow.store import Reading, Row, Store


def queue_lines(
    store: Store, rep: str | None = None, as_of: dt.date | None = None, limit: int | None = None
) -> Iterator[str]:
    """Each rep's surfaced accounts in order (badge, why, motion, play, expires on, who to call), capacity
    used/total, and the accounts held with their reasons — the dashboard's queues and call lists
    (`serve/query.py`), as text."""
    from whynow.serve.query import NotFound, reading
    from whynow.serve.queues import queues
    from whynow.serve.schemas import QueueFilter

    try:
        with reading(store) as r:
            view = queues(r, QueueFilter(as_of=as_of, rep=rep, per_page=500, page=1))
            while view.page < view.pages:  # more than 500 route targets
                more = queues(r, QueueFilter(as_of=as_of, rep=rep, per_page=500, page=view.page + 1))
                view = view.model_copy(update={"page": more.page, "queues": view.queues + more.queues})
    except NotFound as e:
        raise DataError(str(e)) from None
    yield f"Queues as of {view.as_of}"
    for queue in view.queues:
        who = id_and_name(queue.rep_id, queue.name) if queue.rep_id is not None else "unassigned"
        yield ""
        yield f"{who}: {queue.used} of {queue.capacity} surfaced" + (f", {len(queue.held)} held" if queue.held else "")
        shown = queue.surfaced if limit is None else queue.surfaced[:limit]
        for a in shown:
            yield (
                f"  {a.queue_rank}. {id_and_name(a.account_id, a.name)} — {a.badge_label} "
                f"({a.archetype}, expires {a.badge_expires_on}): {a.why}"
            )
            yield f"     {a.motion}: {a.play}"
            if a.crm_url:
                yield f"     open in CRM: {a.crm_url}"
            if a.call_list:
                yield "     who to call:"
                yield from call_lines([c.model_dump() for c in a.call_list], "       ")
        if len(shown) < len(queue.surfaced):
            yield f"  … and {len(queue.surfaced) - len(shown)} more (whynow queue --rep {queue.rep_id})"
        if limit is None:
            for a in queue.held:
                yield f"  held: {id_and_name(a.account_id, a.name)} — {a.badge_label} ({a.held_reason})"


def change_lines(
    store: Store, since: dt.date | None = None, account: str | None = None, model_diff: bool = False
) -> Iterator[str]:
    """The change log by as-of date, oldest first, each account, contact and rep by id and name; with
    `model_diff`, each model change as a unified diff. All is read through one connection, closed before the
    first line."""
    with store.reading() as r:
        changes = r.changes(since, account)
        models = _models(r, changes) if model_diff else {}
        names = _names(r, changes)
    day = None
    for row in changes:
        as_of, entity_type, entity_id, change, reason = (
            row[k] for k in ("as_of", "entity_type", "entity_id", "change", "reason")
        )
        old, new = (None if row[k] is None else str(row[k]) for k in ("old", "new"))
        if as_of != day:
            day = as_of
            yield f"{as_of}"
        if change == "model_changed":
            yield f"  model {entity_id}: model_changed {(old or 'none')[:12]} → {(new or '')[:12]}"
            if model_diff:
                yield from _model_diff(models, old, new or "")
            continue
        key = (str(entity_type), str(entity_id))
        who = f"{entity_type} {id_and_name(key[1], names.get(key))}"
        because = f" ({reason})" if reason else ""
        if change in _TO_REPS:  # old and new are reps; held: old is the rep it was surfaced to
            old, new = (id_and_name(v, names.get(("rep", v))) if v else None for v in (old, new))
        if change == "held":
            yield f"  {who}: held" + (f", no longer surfaced to {old}" if old else "") + because
            continue
        yield f"  {who}: {change} {old or '–'} → {new or '–'}" + because


_TO_REPS = ("surfaced", "held")  # the changes whose old and new are reps
_NAMED = {  # where the store keeps each kind's names: table, id column
    "account": ("account_status", "account_id"),
    "contact": ("contact_status", "contact_id"),
    "rep": ("reps", "rep_id"),
}


def _names(r: Reading, changes: list[Row]) -> dict[tuple[str, str], str]:
    """{(entity type, id): name} of the accounts, contacts and reps the changes name."""
    ids: dict[str, set[str]] = {kind: set() for kind in _NAMED}
    for row in changes:
        if row["entity_type"] in ids:
            ids[str(row["entity_type"])].add(str(row["entity_id"]))
        if row["change"] in _TO_REPS:
            ids["rep"].update(str(row[k]) for k in ("old", "new") if row[k] is not None)
    return {
        (kind, entity_id): name
        for kind, (table, column) in _NAMED.items()
        for entity_id, name in r.names(table, column, ids[kind]).items()
    }


def _models(r: Reading, changes: list[Row]) -> dict[str, str]:
    """{hash: text} of each model a model_changed entry names (empty where the store has no such model)."""
    hashes = {str(row[k]) for row in changes if row["change"] == "model_changed" for k in ("old", "new") if row[k]}
    return {digest: r.model_text(digest) or "" for digest in sorted(hashes)}


def _model_diff(models: Mapping[str, str], old: str | None, new: str) -> Iterator[str]:
    before = models.get(old, "") if old else ""
    after = models.get(new, "")
    diff = difflib.unified_diff(
        before.splitlines(), after.splitlines(), f"model {(old or 'none')[:12]}", f"model {new[:12]}", lineterm=""
    )
    for line in diff:
        yield f"    {line}"
