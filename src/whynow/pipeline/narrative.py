"""Narratives (SPEC §4.8): a badge's `why` template rendered with the entity's values.

    select_narrative_values   the stage: per entity whose badge held today, its badge and every value its
                              narrative names (`account_narratives`, `contact_narratives`)
    narrate                   those rows rendered, and a badge in grace keeping the narrative it was given

Rendering is the one place Python touches rows: only badged rows, after the set-based work.
Values print as whynow prints them everywhere (`presentation.format_value`: numbers with at most two
decimals, rounded half away from zero, `2.675` → `2.68`, `30.0` → `30`; booleans as yes/no; dates as
YYYY-MM-DD), and NULL as `unknown`, with or without a spec, unless the placeholder has a fallback.
Segments without a value are left out, plurals print a word, and the text is tidied: runs of spaces
become one, no space before , . ; : and none at either end.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from whynow.model.templates import Placeholder, Segment, Template
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables, person_name
from whynow.presentation import format_value

Whys = dict[tuple[str, str], str]  # (entity_type, entity_id) -> the badge's narrative

_SPACES = re.compile(r" {2,}")
_SPACES_BEFORE_PUNCTUATION = re.compile(r" +(?=[,.;:])")


def select_narrative_values(ctx: Context, tables: Tables) -> Tables:
    """`account_narratives` and `contact_narratives`: entity_key, badge_id and the value of every placeholder
    the model's narratives name, for each entity whose badge held today (a badge in grace keeps the
    narrative it was given: `narrate`). A contact's narrative may also name `contact` and `account`."""
    out = dict(tables)
    wanted = {p.name for template in ctx.model.templates.values() for p in template.placeholders}
    for level, source in (("account", "account_measures"), ("contact", "contact_measures")):
        key = f"{level}_id"
        measures: ir.Table = tables[source]
        if level == "contact":
            names = tables["accounts"].select(account_key="account_id", account="name")
            measures = measures.left_join(names, measures.account_id == names.account_key).drop("account_key")
            measures = measures.mutate(contact=person_name(measures.first_name, measures.last_name))
        else:
            measures = measures.mutate(account=measures.name)
        badges = tables[f"{level}_badges"]
        held = badges.filter(badges.badge.notnull() & badges.candidate).select(badge_key=key, badge_id="badge")
        rows = measures.join(held, measures[key] == held.badge_key)
        named = sorted(n for n in wanted if n in rows.columns)
        out[f"{level}_narratives"] = rows.select(
            entity_key=rows[key].cast("string"), badge_id=rows.badge_id, **{n: rows[n] for n in named}
        )
    return out


def narrate(
    templates: Mapping[str, Template],
    state: list[dict[str, Any]],
    values: Mapping[str, list[dict[str, Any]]],
    previous: Mapping[tuple[str, str], str | None],
) -> Whys:
    """Each active badge's `why`: `values` (a level's `*_narratives` rows) rendered with their badge's
    template; a badge of `state` (the run's badge state) that did not hold today keeps its `previous`
    narrative (SPEC §4.8: the reason it was given, not today's blanks)."""
    whys: Whys = {}
    for row in state:
        if not row["candidate"]:
            entity = (str(row["entity_type"]), str(row["entity_id"]))
            whys[entity] = previous.get(entity) or ""
    for level, rows in values.items():
        for row in rows:
            template = templates[row.pop("badge_id")]
            whys[(level, str(row["entity_key"]))] = render(template, row)
    return whys


def render(template: Template, values: Mapping[str, Any]) -> str:
    """The template with each placeholder replaced by its value, then tidied (SPEC §4.8).

    >>> from whynow.model.scope import Scope
    >>> from whynow.model.templates import check_template
    >>> scope = Scope("t", {"account": "text", "people": "integer", "views": "integer", "rival": "text"})
    >>> t = check_template("{account} is growing: {people} {people:plural:person:people} engaged[, {views} views]"
    ...                    " [({rival|no rival}).]", scope)
    >>> render(t, {"account": "Acme", "people": 1, "views": 0, "rival": None})
    'Acme is growing: 1 person engaged (no rival).'
    """
    text = "".join(_part(part, values) for part in template.parts)
    text = _SPACES_BEFORE_PUNCTUATION.sub("", _SPACES.sub(" ", text))
    return text.strip(" ")


def _part(part: str | Placeholder | Segment, values: Mapping[str, Any]) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, Placeholder):
        return _placeholder(part, values.get(part.name))
    if any(isinstance(p, Placeholder) and _leaves_out(p, values.get(p.name)) for p in part.parts):
        return ""
    return "".join(_part(p, values) for p in part.parts)


def _placeholder(placeholder: Placeholder, value: Any) -> str:
    if placeholder.plural:
        one, many = placeholder.plural
        return one if _is_number(value) and value in (1, -1) else many
    if placeholder.fallback is not None and _blank(value):
        return placeholder.fallback
    return format_value(value, placeholder.format_spec)


def _leaves_out(placeholder: Placeholder, value: Any) -> bool:
    """Whether this placeholder leaves its segment out: no value (a printed fallback counts as one), 0 or
    false (SPEC §4.8)."""
    if _blank(value):
        return placeholder.fallback is None
    return value is False or (_is_number(value) and value == 0)


def _blank(value: Any) -> bool:
    """NULL or empty text; NaN and infinities print as NULL does (`unknown`), so they count as NULL too."""
    return value is None or value == "" or (isinstance(value, float) and not math.isfinite(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
