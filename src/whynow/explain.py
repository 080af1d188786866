"""`whynow explain ACCOUNT_ID`: why an account scores, qualifies and stands where it does, read back from
a run's outputs through the store's read side (never recomputed), so every number traces to rules and rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlglot import exp

from whynow.errors import DataError, did_you_mean
from whynow.model.check import CompiledModel
from whynow.model.compile import COMPARE
from whynow.model.describe import describe_condition
from whynow.model.load import load_model_text
from whynow.pipeline.calls import call_reason
from whynow.presentation import id_and_name
from whynow.store import Reading, Store

Row = Mapping[str, Any]
_HOLDS: Mapping[type[Any], Callable[[Any, Any], Any]] = COMPARE


def explain_account(store: Store, account_id: str, as_of: dt.date | None = None) -> list[str]:
    """The explanation as lines of text, read through one connection."""
    with store.reading() as r:
        return _explain(r, account_id, as_of)


def _explain(r: Reading, account_id: str, as_of: dt.date | None) -> list[str]:
    as_of = as_of or r.latest_as_of()
    if as_of is None:
        raise DataError(f"{r.name}: the store has no runs yet; run `whynow run` first")
    accounts = r.rows("account_status", as_of, account_id=account_id)
    if not accounts:
        known = [str(row["account_id"]) for row in r.rows("account_status", as_of)]
        raise DataError(f"no account {account_id} in the run of {as_of} in {r.name}{did_you_mean(account_id, known)}")
    account = accounts[0]
    run = r.rows("runs", as_of)[0]
    text = r.model_text(str(run["model_hash"]))
    # Explaining needs no alert secret: the model is loaded to be shown, its secrets unread (SPEC §8).
    model = load_model_text(text or "", f"the model of {as_of} ({run['model']})", display=True)
    contacts = sorted(r.rows("contact_status", as_of, account_id=account_id), key=lambda c: str(c["contact_id"]))
    breakdown = r.breakdown(as_of, account_id)
    lines = [
        f"Account {id_and_name(account_id, str(account['name'] or ''))} — as of {as_of}, model {run['model']} "
        f"(run {str(run['run_id'])[:12]})",
        f"  owner {account['owner_id'] or 'none'} · "
        + (f"tier {_show(account['tier'])} · " if account["tier"] is not None else "")  # no tier: not "unknown"
        + f"stage {account['stage']} · target {_yes(account['target'])} · MQA {_yes(account['mqa'])} · "
        f"SQA {_yes(account['sqa'])}",
        "",
    ]
    lines += _badge(model, r, as_of, account)
    lines += _feedback(model, r, account_id)
    lines += _people(model, r, as_of, account)
    lines += _fit(account, [b for b in breakdown if b["entity_type"] == "account" and b["part"] == "fit"])
    lines += _engagement(model, account, contacts, breakdown)
    lines += _committee(model, account, contacts, breakdown)
    lines += _mqa(model, account)
    lines += _stage(model, account)
    return lines


def _badge(model: CompiledModel, r: Reading, as_of: dt.date, account: Row) -> Iterator[str]:
    """The badge story: candidates that held, the winner and why it won, evidence, the history."""
    account_id = str(account["account_id"])
    candidates = [str(c["badge"]) for c in r.rows("badge_candidates", as_of, entity_type="account",
                                                    entity_id=account_id)]  # fmt: skip
    if account["badge"] is None:
        yield "Badge: none" + (
            f" (held today: {', '.join(candidates)})" if candidates else " — no definition held today"
        )
    else:
        yield (
            f"Badge: {account['badge_label']} ({account['badge']}, {account['archetype']}) since "
            f"{account['badge_since']}, expires on {account['badge_expires_on']} unless sustained"
        )
        yield f"  why: {account['why']}"
        yield f"  {account['motion']}: {account['play']}"
        queue = account["queue"]
        if queue == "surfaced":
            yield f"  surfaced to {account['route_to'] or 'the unassigned queue'} at #{account['queue_rank']}"
        elif queue == "held":
            yield f"  held ({account['held_reason']}), routed to {account['route_to'] or 'nobody'}"
        yield "  " + why_it_won(model, str(account["badge"]), candidates)
        for row in r.rows("evidence", as_of, entity_type="account", entity_id=account_id):
            if row["source_table"] is None:
                yield f"  evidence: {row['signal']} = {row['value']}"
            else:
                yield f"    {row['source_table']} {row['source_id']} at {row['occurred_at']}"
    history = r.history("account_status", account_id, as_of)
    if len(history) > 1:
        yield "  history: " + "; ".join(
            f"{h['as_of']} {h['badge'] or '—'} ({h['queue'] or 'no queue'})" for h in history
        )
    yield ""


FEEDBACK_SHOWN = 10


def _feedback(model: CompiledModel, r: Reading, account_id: str) -> Iterator[str]:
    """The sales feedback given on the account (SPEC §13), newest first, with how long each verdict holds."""
    from whynow.feedback import describe, holds_until

    given = r.feedback(account=account_id)
    if not given:
        return
    yield "Sales feedback:"
    for row in given[:FEEDBACK_SHOWN]:
        until = holds_until(row, model.spec.feedback)
        yield f"  {describe(row)}" + (f" (holds the account at runs as of before {until})" if until else "")
    if len(given) > FEEDBACK_SHOWN:
        yield f"  … and {len(given) - FEEDBACK_SHOWN} earlier (whynow feedback --list)"
    yield ""


def _people(model: CompiledModel, r: Reading, as_of: dt.date, account: Row) -> Iterator[str]:
    """Who to call (SPEC §4.11) and the contacts' own badges: the people behind the account's story."""
    account_id = str(account["account_id"])
    calls = r.call_lists(as_of, [account_id]).get(account_id, [])
    if calls:
        yield "Who to call:"
        yield from call_lines(calls, "  ")
        yield ""
    badged = r.contact_badges(as_of, account_id)
    if badged:
        labels = {d.id: d.label for d in model.spec.badges.definitions}
        yield "Contacts' own badges:"
        for c in badged:
            yield (
                f"  {c['name'] or c['contact_id']} ({c['contact_id']}): {labels.get(str(c['badge']), c['badge'])} "
                f"({c['badge']}, {c['archetype']}) since {c['badge_since']}, expires on {c['badge_expires_on']}"
            )
            yield f"    why: {c['why']}"
        yield ""


def call_lines(calls: Sequence[Row], indent: str) -> Iterator[str]:
    """A call list as text: each person with title and role, then why to call them (`call_reason`)."""
    for c in calls:
        who = ", ".join(str(c[k]) for k in ("title", "committee_role") if c[k] and c[k] != "other")
        head = f"{indent}{c['rank']}. {c['name'] or c['contact_id']}" + (f" ({who})" if who else "")
        if c["email"]:
            head += f" <{c['email']}>"
        yield head
        yield f"{indent}   {call_reason(c)}"


def why_it_won(model: CompiledModel, winner: str, candidates: Sequence[str]) -> str:
    """Why a badge is the one an entity shows: the only candidate, precedence over the others, or grace."""
    if winner not in candidates:
        return "not a candidate today: still in its grace period"
    others = [c for c in candidates if c != winner]
    if not others:
        return "the only definition that held today"
    definitions = {d.id: d for d in model.spec.badges.definitions}
    archetype = definitions[winner].archetype
    beaten = ", ".join(f"{c} ({definitions[c].archetype})" for c in others if c in definitions)
    same = [c for c in others if c in definitions and definitions[c].archetype == archetype]
    precedence = list(model.spec.badges.precedence)
    rule = "earlier in the file than" if same else f"its archetype {archetype} ranks first in {precedence} over"
    return f"won over {beaten}: {rule} the others"


def _fit(account: Row, rows: Sequence[Row]) -> Iterator[str]:
    yield f"Fit {_show(account['fit'])} (grade {account['fit_grade']})"
    for row in sorted(rows, key=lambda r: -float(r["points"])):
        yield f"  {_signed(row['points']):>8}  {row['rule']}"
    total = sum(float(r["points"]) for r in rows)
    if total != account["fit"]:
        yield f"  = {_show(total)}, clamped to {_show(account['fit'])}"
    if not rows:
        yield "  no fit rule holds"
    yield ""


def _engagement(model: CompiledModel, account: Row, contacts: Sequence[Row], breakdown: Sequence[Row]) -> Iterator[str]:
    weight = model.spec.engagement.anonymous_weight
    anonymous = [b for b in breakdown if b["entity_type"] == "account" and b["part"] == "anonymous"]
    from_contacts = sum(float(c["engagement"]) for c in contacts)
    from_anonymous = sum(float(b["points"]) for b in anonymous)
    yield (
        f"Engagement {_show(account['engagement'])} = contacts {_show(from_contacts)} + {_show(weight)} × "
        f"anonymous {_show(from_anonymous)}"
    )
    for contact in contacts:
        rules = _of(breakdown, contact, "engagement")
        if not rules:
            continue
        yield f"  {contact['name'] or '(no name)'} ({contact['contact_id']}): {_show(contact['engagement'])}"
        yield from _rules(rules)
    if anonymous:
        yield f"  anonymous activity: {_show(from_anonymous)}"
        yield from _rules(anonymous)
    yield ""


def _rules(rows: Sequence[Row]) -> Iterator[str]:
    for row in sorted(rows, key=lambda r: -abs(float(r["points"]))):
        rows_word = "row" if row["rows"] == 1 else "rows"
        capped = ", capped" if row["capped"] else ""
        yield f"    {_signed(row['points']):>10}  {row['rule']} ({row['rows']} {rows_word}{capped})"


def _of(breakdown: Sequence[Row], contact: Row, part: str) -> Sequence[Row]:
    return [
        b
        for b in breakdown
        if b["entity_type"] == "contact" and b["entity_id"] == contact["contact_id"] and b["part"] == part
    ]


def _committee(model: CompiledModel, account: Row, contacts: Sequence[Row], breakdown: Sequence[Row]) -> Iterator[str]:
    roles = list(model.spec.buying_committee.roles)
    engaged_roles = ", ".join(f"{role} {account.get(f'engaged_{role}', 0)}" for role in roles) or "no roles defined"
    yield (
        f"Buying committee: {account['engaged_contacts']} engaged of {len(contacts)} contacts, "
        f"{account['activities']} recent activities; engaged by role: {engaged_roles}"
    )
    for contact in contacts:
        fit_rules = ", ".join(f"{r['rule']} {_signed(r['points'])}" for r in _of(breakdown, contact, "fit"))
        yield f"  {_person(contact)}" + (f" ({fit_rules})" if fit_rules else "")
    yield ""


def mqa_criterion(model: CompiledModel, account: Row) -> tuple[str, str, list[str]]:
    """(where the criterion comes from, its text, each comparison with the account's value)."""
    tier = account.get("tier")
    override = model.condition("accounts", "mqa_when_tier", tier) if tier is not None else None
    criteria = override or model.condition("accounts", "mqa_when")
    assert criteria is not None
    return f"mqa_when_tier {tier}" if override else "mqa_when", criteria.text, list(comparisons(criteria.tree, account))


def _mqa(model: CompiledModel, account: Row) -> Iterator[str]:
    source, text, checks = mqa_criterion(model, account)
    yield f"MQA: {_yes(account['mqa'])} — target {_yes(account['target'])}, and {source}: {text}"
    for line in checks:
        yield f"  {line}"
    yield ""


def stage_steps(model: CompiledModel, account: Row) -> list[tuple[str, str, str]]:
    """(stage, its condition in plain language, the account's values) of each journey stage checked, in
    order, up to the one the account stands at."""
    steps = []
    for i, stage in enumerate(model.spec.journey):
        condition = model.condition("journey", i, "when")
        if condition is None:
            steps.append((stage.stage, "otherwise", ""))
        else:
            steps.append((stage.stage, describe_condition(condition), "; ".join(comparisons(condition.tree, account))))
        if stage.stage == account["stage"]:
            break
    return steps


def _stage(model: CompiledModel, account: Row) -> Iterator[str]:
    yield f"Stage {account['stage']}: the first journey stage whose condition holds"
    for stage, text, values in stage_steps(model, account):
        yield f"  {stage:<12} {text}" + (f" — {values}" if values else "")


def comparisons(tree: exp.Expression, row: Row) -> Iterator[str]:
    """Each comparison of a measure with a number, and each true/false name, with the account's value."""
    for node in tree.walk():
        if type(node) in _HOLDS and isinstance(node.this, exp.Column) and isinstance(node.expression, exp.Literal):
            name, threshold = node.this.name, node.expression
            if name not in row:
                yield f"{node.sql()}: not in the outputs"
                continue
            value = row[name]
            limit = threshold.this if threshold.is_string else float(threshold.this)
            held = value is not None and _HOLDS[type(node)](value, limit)
            yield f"{node.sql()}: {_show(value)} against {_show(limit)} — {_yes(held)}"
        elif isinstance(node, exp.Column) and not isinstance(node.parent, tuple(_HOLDS)):
            if node.name not in row:
                yield f"{node.name}: not in the run's outputs"
            elif isinstance(row[node.name], bool):
                yield f"{node.name}: {_yes(row[node.name])}"


def _person(contact: Row) -> str:
    state = "engaged" if contact["engaged"] else "not engaged"
    return (
        f"{contact['name'] or '(no name)'} ({contact['contact_id']}): {contact['committee_role']}, {state}, "
        f"lead status {contact['lead_status']}{_since(contact)}, fit {_show(contact['fit'])}, "
        f"engagement {_show(contact['engagement'])}"
    )


def _since(contact: Row) -> str:
    """ " since D" where the run knows when the status began (a store written before SPEC §4.5's
    `status_since` does not)."""
    since = contact.get("status_since")
    return f" since {since}" if since is not None else ""


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _show(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{round(value, 2):g}" if abs(value) < 1e15 else f"{value:.0f}"
    return str(value)


def _signed(value: Any) -> str:
    number = float(value)
    return ("+" if number >= 0 else "") + _show(number)
