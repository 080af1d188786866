"""Who to call (SPEC §4.11): for every account with an active account badge, up to `capacity.call_list`
of its contacts, in one ranking per account:

    1. contacts with an active contact badge   archetype precedence, the definition's place in the file,
                                               engagement descending, contact_id
    2. the other engaged contacts              engagement descending, contact_id

A disqualified contact is never on it; `call_list: 0` leaves it empty. Out comes `call_list`, one row per
account and place; the contact's narrative (`why`) is rendered with the other narratives (narrative.py).
`call_reason` words why to call a person, the one wording of the queue, explain, the dashboard and alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis

from whynow.pipeline.badges import archetype_rank, by_badge, definition_rank
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables, attach, person_name


def list_calls(ctx: Context, tables: Tables) -> Tables:
    """`call_list`: account_id, rank (1…), the contact's id, name, title, committee_role, email, reason
    ('badge' | 'engaged'), badge, badge_label, recent_activities, days_since_last_activity."""
    definitions = [d for d in ctx.model.spec.badges.definitions if d.for_ == "contact"]
    contact_badges = tables["contact_badges"].filter(lambda b: b.badge.notnull()).select("contact_id", "badge")
    people = attach(tables["contact_measures"], contact_badges, "contact_id")
    badged_accounts = tables["account_badges"].filter(lambda b: b.badge.notnull()).select(badged="account_id")
    people = people.join(badged_accounts, people.account_id == badged_accounts.badged)
    has_badge = people.badge.notnull()
    people = people.filter(
        (has_badge | people.engaged.fill_null(False)) & (people.lead_status != "disqualified").fill_null(True)
    )
    order = [
        ibis.ifelse(people.badge.notnull(), 0, 1),
        archetype_rank(ctx, definitions, people.badge),
        definition_rank(definitions, people.badge),
        people.engagement.desc(nulls_first=False),
        people.contact_id,
    ]
    ranked = people.mutate(place=ibis.row_number().over(group_by=people.account_id, order_by=order))
    listed = ranked.filter(ranked.place < ctx.model.spec.capacity.call_list)
    calls = listed.select(
        account_id=listed.account_id.cast("string"),
        rank=(listed.place + 1).cast("int64"),
        contact_id=listed.contact_id.cast("string"),
        name=person_name(listed.first_name, listed.last_name),
        title=listed.title,
        committee_role=listed.committee_role,
        email=listed.email,
        reason=ibis.ifelse(listed.badge.notnull(), "badge", "engaged"),
        badge=listed.badge,
        badge_label=by_badge(definitions, listed.badge, lambda d: ibis.literal(d.label), ibis.null("string")),
        recent_activities=listed.recent_activities,
        days_since_last_activity=listed.days_since_last_activity,
    )
    return {**tables, "call_list": calls}


def call_reason(person: Mapping[str, Any]) -> str:
    """Why to call a person on a call list: their own badge and narrative, else how they engaged lately.

    >>> call_reason({"reason": "badge", "badge_label": "Comparing", "why": "Kim Ng is comparing"})
    'Comparing: Kim Ng is comparing'
    >>> call_reason({"reason": "engaged", "recent_activities": 3, "days_since_last_activity": 1})
    'engaged: 3 recent activities, last active yesterday'
    """
    if person.get("reason") == "badge":
        label, why = person.get("badge_label") or person.get("badge") or "", person.get("why")
        return f"{label}: {why}" if why else str(label)
    return engaged_text(person.get("recent_activities"), person.get("days_since_last_activity"))


def engaged_text(count: int | None, days: int | None) -> str:
    """How an engaged person without a badge of their own engaged lately.

    >>> [engaged_text(1, 0), engaged_text(2, 9), engaged_text(0, None)]
    ['engaged: 1 recent activity, last active today', 'engaged: 2 recent activities, last active 9 days ago', \
'engaged: 0 recent activities']
    """
    count = count or 0
    text = f"engaged: {count} recent {'activity' if count == 1 else 'activities'}"
    if days is not None:
        text += ", last active " + {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")
    return text
