"""What a data source holds, as far as a starter model needs it: the values its rules can name, with
counts, and the distributions its points and thresholds come from.

    profile_data(tables, location) -> Profile   a few grouped queries per table, on the engine

Nothing here decides anything; `starter.draft` turns a profile into a model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from whynow.model.conditions import unsafe_character

TOP = 12  # values kept per column; the rest are counted together
TYPES = 20  # activity types that get a rule


@dataclass(frozen=True)
class Counted:
    """A column's most common values, most common first, and how many rows hold any value."""

    values: tuple[tuple[str, int], ...] = ()
    filled: int = 0

    def names(self, limit: int | None = None) -> list[str]:
        return [value for value, _ in self.values[:limit]]


@dataclass(frozen=True)
class ActivityType:
    type: str
    rows: int
    first: dt.datetime
    last: dt.datetime
    recent: int  # rows inside the lookback (LOOKBACK_DAYS to the profile's as_of)


@dataclass
class Profile:
    location: str
    rows: dict[str, int] = field(default_factory=dict)
    counted: dict[tuple[str, str], Counted] = field(default_factory=dict)  # (table, column) → values
    quantiles: dict[tuple[str, str], dict[float, float]] = field(default_factory=dict)  # (table, column) → q → v
    trues: dict[tuple[str, str], int] = field(default_factory=dict)  # boolean columns: rows that are true
    title_groups: dict[str, int] = field(default_factory=dict)  # TITLE_GROUPS name → contacts whose title matches
    activity_types: list[ActivityType] = field(default_factory=list)
    as_of: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())  # the newest activity's day
    recent: dict[str, int] = field(default_factory=dict)  # RECENT name → rows inside its window to `as_of`
    recent_kinds: Counted = field(default_factory=Counted)  # change_events kinds inside CHANGE_DAYS to `as_of`

    def values(self, table: str, column: str) -> Counted:
        return self.counted.get((table, column), Counted())

    @property
    def newest_activity(self) -> dt.datetime | None:
        return max((t.last for t in self.activity_types), default=None)


LOOKBACK_DAYS = 90  # the starter's engagement lookback
CHANGE_DAYS, INTENT_DAYS, COMPETITOR_DAYS = 90, 21, 14  # the windows of the starter's signals


COUNTED: dict[str, tuple[str, ...]] = {
    "accounts": ("industry", "region", "country", "tier", "owner_id", "csm_id", "renewal_date", "health_score"),
    "contacts": ("seniority", "department", "title", "email"),
    "intent": ("topic_category", "topic", "competitor"),
    "change_events": ("kind",),
    "technographics": ("technology",),
    "opportunities": ("stage",),
}
QUANTILES: dict[str, tuple[str, ...]] = {
    "accounts": ("employees", "annual_revenue", "health_score"),
    "intent": ("score",),
}
TRUES: dict[str, tuple[str, ...]] = {
    "accounts": ("is_customer", "target"),
    "contacts": ("unsubscribed",),
    "technographics": ("is_competitor",),
}
LEVELS = (0.25, 0.5, 0.75, 0.8)
# Titles by seniority and department, as `lower(title) LIKE` patterns, for contacts without those columns.
TITLE_GROUPS: dict[str, tuple[str, ...]] = {
    "C-level": ("%chief%", "%founder%", "ceo%", "cfo%", "cto%", "cmo%", "cro%", "coo%", "president%"),
    "VP": ("%vice president%", "vp%", "% vp%", "svp%", "evp%"),
    "Director": ("%director%", "%head of%"),
    "Manager": ("%manager%",),
    "Sales": ("%sales%", "%account executive%", "%business development%"),
    "Marketing": ("%marketing%", "%demand gen%", "%growth%"),
    "Operations": ("%operations%", "%revops%", "%revenue%"),
    "IT": ("%information%", "%technology%", "% it %", "it %", "%engineer%"),
}


def profile_data(tables: Mapping[str, ir.Table], location: str) -> Profile:
    """The profile of validated, typed tables (`Validated.tables`)."""
    found = Profile(location)
    for name, table in tables.items():
        found.rows[name] = int(table.count().to_pyarrow().as_py())
    for name, columns in COUNTED.items():
        if found.rows.get(name):
            for column in columns:
                found.counted[(name, column)] = _counted(tables[name], column)
    for name, columns in QUANTILES.items():
        if found.rows.get(name):
            for column in columns:
                found.quantiles[(name, column)] = _quantiles(tables[name], column)
    for name, columns in TRUES.items():
        if found.rows.get(name):
            table = tables[name]
            row = table.aggregate(**{c: table[c].fill_null(False).sum() for c in columns}).to_pyarrow()
            found.trues.update({(name, c): int(row[c][0].as_py() or 0) for c in columns})
    if found.rows.get("contacts"):
        title = tables["contacts"].title.lower()
        groups = {name: ibis.or_(*(title.like(p) for p in patterns)) for name, patterns in TITLE_GROUPS.items()}
        row = tables["contacts"].aggregate(**{n: g.fill_null(False).sum() for n, g in groups.items()}).to_pyarrow()
        found.title_groups = {name: int(row[name][0].as_py() or 0) for name in groups}
    if found.rows.get("activities"):
        newest = tables["activities"].occurred_at.max().to_pyarrow().as_py()
        found.as_of = newest.date()
        found.activity_types = _activity_types(tables["activities"], _horizon(found.as_of))
    _recent(found, tables)
    return found


def _horizon(as_of: dt.date) -> dt.datetime:
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def _recent(found: Profile, tables: Mapping[str, ir.Table]) -> None:
    """What the signals' windows hold at `as_of`: a signal is only proposed where it has rows to read."""
    horizon = _horizon(found.as_of)

    def inside(table: ir.Table, time: str, days: int) -> ir.Table:
        return table.filter(table[time] >= horizon - dt.timedelta(days=days), table[time] < horizon)

    if found.rows.get("intent"):
        intent = inside(tables["intent"], "observed_at", INTENT_DAYS)
        found.recent["intent"] = int(intent.count().to_pyarrow().as_py())
        competitor = inside(tables["intent"], "observed_at", COMPETITOR_DAYS)
        found.recent["competitor"] = int(competitor.competitor.count().to_pyarrow().as_py())
    if found.rows.get("change_events"):
        found.recent_kinds = _counted(inside(tables["change_events"], "occurred_at", CHANGE_DAYS), "kind")


def _counted(table: ir.Table, column: str) -> Counted:
    value = table[column].cast("string")
    grouped = table.filter(value.notnull() & (value.strip() != "")).group_by(value=value).aggregate(n=ibis._.count())
    top = grouped.order_by([ibis.desc("n"), "value"]).limit(TOP * 4).to_pyarrow().to_pylist()
    filled = int(table.filter(value.notnull() & (value.strip() != "")).count().to_pyarrow().as_py())
    usable = [(r["value"], int(r["n"])) for r in top if _nameable(r["value"])]
    return Counted(tuple(usable[:TOP]), filled)


def _nameable(value: str) -> bool:
    """A value a rule can quote: no character a condition refuses, and not absurdly long."""
    return unsafe_character(value) is None and len(value) <= 80


def _quantiles(table: ir.Table, column: str) -> dict[float, float]:
    values = table[column]
    row = table.aggregate(**{f"q{i}": values.quantile(q) for i, q in enumerate(LEVELS)}).to_pyarrow()
    return {q: float(v) for i, q in enumerate(LEVELS) if (v := row[f"q{i}"][0].as_py()) is not None}


def _activity_types(table: ir.Table, horizon: dt.datetime) -> list[ActivityType]:
    """Every activity type, most common first, with its rows inside the lookback to the horizon."""
    inside = (table.occurred_at >= horizon - dt.timedelta(days=LOOKBACK_DAYS)) & (table.occurred_at < horizon)
    grouped = table.group_by("type").aggregate(
        rows=table.count(), first=table.occurred_at.min(), last=table.occurred_at.max(), recent=inside.sum()
    )
    rows = grouped.order_by([ibis.desc("rows"), "type"]).to_pyarrow().to_pylist()
    return [
        ActivityType(r["type"], int(r["rows"]), r["first"], r["last"], int(r["recent"] or 0))
        for r in rows
        if _nameable(r["type"])
    ]
