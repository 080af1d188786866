"""`whynow queue` and `whynow changes`: the last run's queues and the change log, read from the store."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator

from whynow.errors import DataError
from whynow.model.load import load_model_text
from whynow.store import Store


def queue_lines(
    store: Store, rep: str | None = None, as_of: dt.date | None = None, limit: int | None = None
) -> Iterator[str]:
    """Each rep's surfaced accounts in order (badge, why, motion, play, expires on), capacity used/total,
    and the accounts held with their reasons."""
    as_of = as_of or store.latest_as_of()
    if as_of is None:
        raise DataError(f"{store.name}: the store has no runs yet; run `whynow run` first")
    accounts = [a for a in store.rows("account_status", as_of) if a["queue"] is not None]
    run = store.rows("runs", as_of)[0]
    capacity = load_model_text(store.model_text(str(run["model_hash"])) or "", str(run["model"])).spec.capacity
    reps = {str(r["rep_id"]): r for r in store.rows("reps", as_of)}
    targets = sorted({str(a["route_to"]) for a in accounts if a["route_to"] is not None} | set(reps))
    if rep is not None:
        if rep not in targets:
            raise DataError(f"no rep {rep} in the run of {as_of}; reps: {', '.join(targets) or 'none'}")
        targets = [rep]
    yield f"Queues as of {as_of}"
    for target in [*targets, None] if rep is None else targets:
        mine = [a for a in accounts if a["route_to"] == target]
        if target is None:
            mine = [a for a in accounts if a["route_to"] is None]
            if not mine:
                continue
        surfaced = sorted((a for a in mine if a["queue"] == "surfaced"), key=lambda a: int(str(a["queue_rank"])))
        held = [a for a in mine if a["queue"] == "held"]
        info = reps.get(target or "")
        total = info["capacity"] if info else (capacity.unassigned if target is None else capacity.default_per_rep)
        who = "unassigned" if target is None else f"{target} {info['name'] or ''}".rstrip() if info else target
        yield ""
        yield f"{who}: {len(surfaced)} of {total} surfaced" + (f", {len(held)} held" if held else "")
        shown = surfaced if limit is None else surfaced[:limit]
        for a in shown:
            yield (
                f"  {a['queue_rank']}. {a['account_id']} {a['name'] or ''} — {a['badge_label']} "
                f"({a['archetype']}, expires {a['badge_expires_on']}): {a['why']}"
            )
            yield f"     {a['motion']}: {a['play']}"
        if len(shown) < len(surfaced):
            yield f"  … and {len(surfaced) - len(shown)} more (whynow queue --rep {target})"
        if limit is None:
            for a in held:
                yield f"  held: {a['account_id']} {a['name'] or ''} — {a['badge_label']} ({a['held_reason']})"


def change_lines(
    store: Store, since: dt.date | None = None, account: str | None = None, model_diff: bool = False
) -> Iterator[str]:
    """The change log by as-of date, oldest first; with `model_diff`, each model change as a unified diff."""
    day = None
    for row in store.changes(since, account):
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
                yield from _model_diff(store, old, new or "")
            continue
        move = f"{old or '–'} → {new or '–'}"
        yield f"  {entity_type} {entity_id}: {change} {move}" + (f" ({reason})" if reason else "")


def _model_diff(store: Store, old: str | None, new: str) -> Iterator[str]:
    before = (store.model_text(old) or "") if old else ""
    after = store.model_text(new) or ""
    diff = difflib.unified_diff(
        before.splitlines(), after.splitlines(), f"model {(old or 'none')[:12]}", f"model {new[:12]}", lineterm=""
    )
    for line in diff:
        yield f"    {line}"
