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
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from whynow.model.templates import Placeholder, Segment, Template
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables, person_name
from whynow.presentation import format_array, format_value

WHY_KEYS = ["entity_type", "entity_id"]

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
    templates: Mapping[str, Template], state: pa.Table, values: Mapping[str, pa.Table], previous: pa.Table | None
) -> pa.Table:
    """Each active badge's `why`, one row per entity (entity_type, entity_id, why): `values` (a level's
    `*_narratives` rows) rendered with their badge's template, a badge's rows at a time (`render_table`); a
    badge of `state` (the run's badge state) that did not hold today keeps its `previous` narrative (the
    last run's entity_type, entity_id and why; SPEC §4.8: the reason it was given, not today's blanks)."""
    rendered = []
    for level, rows in values.items():
        for badge in pc.unique(rows["badge_id"]).to_pylist():
            mine = rows.filter(pc.equal(rows["badge_id"], badge))
            rendered.append(
                pa.table({
                    "entity_type": pa.repeat(pa.scalar(level, pa.string()), mine.num_rows),
                    "entity_id": pc.cast(mine["entity_key"], pa.string()),
                    "why": render_table(templates[badge], mine),
                })
            )  # fmt: skip
    held = (
        pa.concat_tables(rendered) if rendered else pa.table({k: pa.array([], pa.string()) for k in [*WHY_KEYS, "why"]})
    )
    waiting = state.filter(pc.invert(state["candidate"])).select(WHY_KEYS)
    waiting = waiting.join(held, keys=WHY_KEYS, join_type="left anti")  # today's narrative wins
    if previous is not None:
        waiting = waiting.join(previous.select([*WHY_KEYS, "why"]), keys=WHY_KEYS, join_type="left outer")
        kept = pc.fill_null(waiting["why"], "")
    else:
        kept = pa.repeat(pa.scalar("", pa.string()), waiting.num_rows)
    waiting = pa.table({"entity_type": waiting["entity_type"], "entity_id": waiting["entity_id"], "why": kept})
    return pa.concat_tables([waiting.cast(held.schema), held])


def why_of(
    whys: pa.Table, entity_type: pa.Array | pa.ChunkedArray | str, entity_id: pa.Array | pa.ChunkedArray
) -> pa.Array:
    """Each entity's narrative from `narrate`'s rows (NULL without an active badge), looked up in Arrow."""
    keys = pc.binary_join_element_wise(whys["entity_type"], whys["entity_id"], "\x1f")
    wanted = pc.binary_join_element_wise(entity_type, entity_id, "\x1f")
    return pc.take(whys["why"], pc.index_in(wanted, value_set=keys))


def render_table(template: Template, rows: pa.Table) -> pa.Array:
    """`render` for every row of `rows` at once, in Arrow: each placeholder's distinct values formatted
    once, the parts joined column-wise, then tidied. The same text as `render` gives each row."""
    if rows.num_rows == 0:
        return pa.array([], pa.string())
    text = _parts_table(template.parts, rows)
    text = pc.replace_substring_regex(text, _SPACES.pattern, " ")
    text = pc.replace_substring_regex(text, r" +([,.;:])", r"\1")  # _SPACES_BEFORE_PUNCTUATION, in RE2
    return pc.utf8_trim(text, " ")


def _parts_table(parts: Sequence[str | Placeholder | Segment], rows: pa.Table) -> pa.Array:
    pieces = [_part_table(part, rows) for part in parts]
    return pc.binary_join_element_wise(*pieces, pa.array([""] * rows.num_rows, pa.string()))


def _part_table(part: str | Placeholder | Segment, rows: pa.Table) -> pa.Array:
    if isinstance(part, str):
        return pa.array([part] * rows.num_rows, pa.string())
    if isinstance(part, Placeholder):
        return _placeholder_table(part, _column(rows, part.name))
    left_out = pa.array([False] * rows.num_rows)
    for inner in part.parts:
        if isinstance(inner, Placeholder):
            left_out = pc.or_(left_out, _leaves_out_table(inner, _column(rows, inner.name)))
    return pc.if_else(left_out, "", _parts_table(part.parts, rows))


def _column(rows: pa.Table, name: str) -> pa.Array:
    if name not in rows.column_names:
        return pa.nulls(rows.num_rows, pa.string())
    return rows[name].combine_chunks()


def _placeholder_table(placeholder: Placeholder, values: pa.Array) -> pa.Array:
    if placeholder.plural:
        one, many = placeholder.plural
        if not _numeric(values.type):
            return pa.array([many] * len(values), pa.string())
        is_one = pc.or_(pc.equal(values, 1), pc.equal(values, -1))
        return pc.if_else(pc.fill_null(is_one, False), one, many)
    formatted = format_array(values, placeholder.format_spec)
    if placeholder.fallback is None:
        return formatted
    return pc.if_else(_blank_table(values), placeholder.fallback, formatted)


def _leaves_out_table(placeholder: Placeholder, values: pa.Array) -> pa.Array:
    """`_leaves_out` of every value."""
    blank = _blank_table(values)
    if pa.types.is_boolean(values.type):
        falsy = pc.fill_null(pc.invert(values), False)
    elif _numeric(values.type):
        falsy = pc.fill_null(pc.equal(values, 0), False)
    else:
        falsy = pa.array([False] * len(values))
    leaves = pc.and_(blank, pa.scalar(placeholder.fallback is None))
    return pc.or_(leaves, pc.and_(pc.invert(blank), falsy))


def _blank_table(values: pa.Array) -> pa.Array:
    """`_blank` of every value: NULL, empty text, NaN or an infinity."""
    blank = pc.is_null(values, nan_is_null=True)
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        blank = pc.or_(blank, pc.fill_null(pc.equal(values, ""), False))
    elif pa.types.is_floating(values.type):
        blank = pc.or_(blank, pc.fill_null(pc.invert(pc.is_finite(values)), False))
    return blank


def _numeric(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))


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
