"""The names legal in each place a condition or template appears (SPEC §4.1, §4.4), with their types and meanings.

A scope is what a condition may name: columns of the right table, the model's declared extra columns,
built-in measures and signals. Conditions are checked, typed and compiled against these.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from whynow.data.contract import (
    COLUMN_MEANINGS,
    OPPORTUNITY_FUTURE_COLUMNS,
    OPPORTUNITY_HORIZON_COLUMNS,
    TABLES,
    ColumnType,
)

# The built-in names, each with its type and what it means: the one place they are defined. docs/model.md's
# "Names a condition can use" is generated from these (SPEC §4.4, §4.8).
Builtins = Mapping[str, tuple[ColumnType, str]]

# Contact measures (leads conditions; all of them with lead_status in contact badges).
CONTACT_BUILTINS: Builtins = {
    "fit": ("number", "The person's fit: the points of the contact fit rules they match, -100 to 100."),
    "fit_grade": ("text", "The letter of the person's fit (`fit.grades`)."),
    "engagement": (
        "number",
        "The person's engagement: the decayed points of their activity within the lookback, each rule capped.",
    ),
    "hand_raised": ("boolean", "An activity within the lookback matched a rule with `hand_raiser: true`."),
    "recent_activities": (
        "integer",
        "Engaging activities (matching a rule with positive points) within `engaged_within_days`.",
    ),
    "engaged": ("boolean", "`recent_activities >= 1`: the person is engaged."),
    "committee_role": ("text", "The first role under `buying_committee.roles` the person matches, else `other`."),
    "days_since_last_activity": (
        "integer",
        "Days from the person's last activity within the lookback to the as-of date; NULL if none.",
    ),
}
LEAD_STATUS_BUILTIN: Builtins = {
    "lead_status": ("text", "The person's lead status: disqualified, sql, mql, recycled, nurture or new."),
}

# Account measures (accounts, journey, badges, rank_by). engaged_<role> is added per role.
ACCOUNT_BUILTINS: Builtins = {
    "fit": ("number", "The account's fit: the points of the account fit rules it matches, -100 to 100."),
    "fit_grade": ("text", "The letter of the account's fit (`fit.grades`)."),
    "engagement": (
        "number",
        "Its contacts' engagement, plus `anonymous_weight` times that of its anonymous activity.",
    ),
    "engaged_contacts": ("integer", "Known contacts with an engaging activity within `engaged_within_days`."),
    "activities": ("integer", "Engaging activities of known contacts within `engaged_within_days`."),
    "anonymous_activities": ("integer", "Engaging anonymous activities within `engaged_within_days`."),
    "committee_roles_engaged": ("integer", "Distinct committee roles (not `other`) among engaged contacts."),
    "mql_contacts": ("integer", "Contacts whose lead status is mql."),
    "days_since_last_activity": (
        "integer",
        "Days from the last activity (known or anonymous, within the lookback) to the as-of date; NULL if none.",
    ),
    "days_to_renewal": ("integer", "Days from the as-of date to `renewal_date`; NULL if none."),
    "has_open_opportunity": ("boolean", "The account has an opportunity open at the as-of date."),
    "open_pipeline": ("number", "The amounts of its open opportunities added up (0 if none)."),
    "target": ("boolean", "The result of `accounts.target_when`."),
    "mqa": ("boolean", "A target meeting `mqa_when` (or its tier's `mqa_when_tier`): marketing-qualified."),
    "sqa": ("boolean", "The result of `accounts.sqa_when`: sales-qualified."),
    "top_contact": (
        "text",
        "First and last name of the engaged contact with the highest engagement; NULL if none.",
    ),
    "top_contact_id": ("text", "That contact's id."),
    "top_contact_title": ("text", "That contact's title."),
    "top_contact_department": ("text", "That contact's department."),
}

# Template-only names: the account's name, the contact's first and last name.
ACCOUNT_PLACEHOLDER_BUILTINS: Builtins = {"account": ("text", "The account's name.")}
CONTACT_PLACEHOLDER_BUILTINS: Builtins = {
    **ACCOUNT_PLACEHOLDER_BUILTINS,
    "contact": ("text", "The person's first and last name."),
}


def _types(builtins: Builtins) -> dict[str, ColumnType]:
    return {name: kind for name, (kind, _) in builtins.items()}


CONTACT_MEASURES: dict[str, ColumnType] = _types(CONTACT_BUILTINS)
LEAD_STATUS: dict[str, ColumnType] = _types(LEAD_STATUS_BUILTIN)
ACCOUNT_MEASURES: dict[str, ColumnType] = _types(ACCOUNT_BUILTINS)
ACCOUNT_PLACEHOLDERS: dict[str, ColumnType] = _types(ACCOUNT_PLACEHOLDER_BUILTINS)
CONTACT_PLACEHOLDERS: dict[str, ColumnType] = _types(CONTACT_PLACEHOLDER_BUILTINS)

# SPEC §4.7: what an opportunities condition sees instead of the exported future.
OPPORTUNITY_HIDDEN: dict[str, str] = {
    column: f"'{column}' is what the deal became after the as-of date; use `open` or `won`, which hold at the "
    "as-of date, so backtests stay honest"
    for column in OPPORTUNITY_FUTURE_COLUMNS
}


@dataclass(frozen=True)
class Scope:
    """The names a condition may use in one place, and what that place is called for the user."""

    title: str
    names: Mapping[str, ColumnType | None] = field(default_factory=dict)  # None: type unknown
    hidden: Mapping[str, str] = field(default_factory=dict)  # name → why it cannot be used here

    def type_of(self, name: str) -> ColumnType | None:
        return self.names.get(name)


def table_columns(table: str, declared: Mapping[str, Mapping[str, ColumnType]]) -> dict[str, ColumnType]:
    """The canonical columns of a table plus the model's declared extra columns for it."""
    names = {c.name: c.type for c in TABLES[table].columns}
    names.update(declared.get(table, {}))
    return names


def signal_table_columns(table: str, declared: Mapping[str, Mapping[str, ColumnType]]) -> dict[str, ColumnType]:
    """What a signal's `where` may name: opportunities hide their future and show `open`/`won` (§4.7)."""
    names = table_columns(table, declared)
    if table == "opportunities":
        for hidden in OPPORTUNITY_FUTURE_COLUMNS:
            names.pop(hidden, None)
        names.update(OPPORTUNITY_HORIZON_COLUMNS)
    return names


@dataclass(frozen=True)
class Scopes:
    """Every scope of one model, built from its declared columns, signals and committee roles."""

    account_fit: Scope
    contact_fit: Scope
    activity: Scope
    role: Scope
    lead: Scope
    target: Scope
    mqa: Scope
    sqa: Scope
    account: Scope
    contact_badge: Scope
    account_template: Scope
    contact_template: Scope
    signal_tables: Mapping[str, Scope]


# The kinds of names a place is made of. Measures and placeholders are built in; columns are the table's
# canonical ones and those the model declares; signals and engaged_<role> are the model's own.
Part = Literal[
    "account placeholders",
    "contact placeholders",
    "account measures",
    "contact measures",
    "lead_status",
    "accounts",
    "contacts",
    "activities",
    "account signals",
    "contact signals",
]
Names = dict[str, tuple[ColumnType | None, str]]  # name → (type, None: unknown; meaning)


@dataclass(frozen=True)
class Place:
    """One place a condition or template appears: the `Scopes` field that checks it, what messages call it, the
    model keys it covers and the kinds of names it takes (an earlier kind's name wins a clash)."""

    scope: str
    title: str
    keys: str
    parts: tuple[Part, ...]
    not_yet: tuple[str, ...] = ()  # measures that are not computed yet where this place is evaluated


_ACCOUNT: tuple[Part, ...] = ("account measures", "accounts", "account signals")
PLACES: tuple[Place, ...] = (
    Place("account_fit", "account fit rules", "the `when` of `fit.account` rules", ("accounts", "account signals")),
    Place("contact_fit", "contact fit rules", "the `when` of `fit.contact` rules", ("contacts",)),
    Place("activity", "engagement rules", "the `when` of `engagement.rules`", ("activities",)),
    Place("role", "buying committee roles", "each condition under `buying_committee.roles`", ("contacts",)),
    Place(
        "lead",
        "lead conditions",
        "`leads.disqualify_when`, `sql_when`, `mql_when` and `nurture_when`",
        ("contact measures", "contacts", "contact signals"),
    ),
    # SPEC §4.6: inside target_when, `target` is the accounts column; mqa and sqa do not exist yet.
    Place("target", "target_when", "`accounts.target_when`", _ACCOUNT, not_yet=("target", "mqa", "sqa")),
    Place(
        "mqa", "MQA conditions", "`accounts.mqa_when` and `accounts.mqa_when_tier`", _ACCOUNT, not_yet=("mqa", "sqa")
    ),
    Place("sqa", "sqa_when", "`accounts.sqa_when`", _ACCOUNT, not_yet=("sqa",)),
    Place(
        "account",
        "account conditions",
        "the `when` of `journey` stages and account badges; `capacity.rank_by`",
        _ACCOUNT,
    ),
    Place(
        "contact_badge",
        "contact badges",
        "the `when` of badges with `for: contact`",
        ("contact measures", "lead_status", "contacts", "contact signals"),
    ),
    Place(
        "account_template",
        "account narratives",
        "`{placeholders}` in the `why` of account badges",
        ("account placeholders", *_ACCOUNT),
    ),
    Place(
        "contact_template",
        "contact narratives",
        "`{placeholders}` in the `why` of badges with `for: contact`",
        ("contact placeholders", "contact measures", "lead_status", "contacts", "contact signals"),
    ),
)
SIGNAL_TABLES = ("activities", "intent", "change_events", "technographics", "opportunities")
SIGNAL_MEANING = "A signal of the model's (`signals:`): its measure over the rows in its window."
ENGAGED_ROLE_MEANING = "Engaged contacts whose committee role is {role}."
DECLARED_MEANING = "An extra column the model declares under `columns: {table}`."
# The names a model adds, as the reference lists them in place of the model's own: name, type, meaning.
# Keyed by the part (a table's name for its declared columns) they belong to.
ADDED_NAMES: dict[str, tuple[str, str, str]] = {
    **{
        table: (f"a column under `columns: {table}`", "as declared", DECLARED_MEANING.format(table=table))
        for table in TABLES
    },
    "account measures": (
        "`engaged_<role>`",
        "integer",
        "Engaged contacts whose committee role is `<role>`: one measure per role under `buying_committee.roles`.",
    ),
    **{
        f"{level} signals": (
            f"a signal with `level: {level}`" + (" (the default)" if level == "account" else ""),
            "its measure's",
            f"{SIGNAL_MEANING} count, count_distinct and days_since give an integer, exists a boolean, sum a "
            "number, max, min and latest the column's type.",
        )
        for level in ("account", "contact")
    },
}


def _columns(table: str, declared: Mapping[str, Mapping[str, ColumnType]], signal: bool = False) -> Names:
    meanings = COLUMN_MEANINGS[table]
    typed = signal_table_columns(table, declared) if signal else table_columns(table, declared)
    return {name: (kind, meanings.get(name, DECLARED_MEANING.format(table=table))) for name, kind in typed.items()}


def place_names(
    place: Place,
    declared: Mapping[str, Mapping[str, ColumnType]],
    account_signals: Mapping[str, ColumnType | None],
    contact_signals: Mapping[str, ColumnType | None],
    roles: list[str],
) -> Names:
    """Every name legal in one place of a model, with its type and meaning, in the order the place lists them."""
    engaged_roles: Names = {f"engaged_{r}": ("integer", ENGAGED_ROLE_MEANING.format(role=r)) for r in roles}
    parts: dict[Part, Names] = {
        "account placeholders": dict(ACCOUNT_PLACEHOLDER_BUILTINS),
        "contact placeholders": dict(CONTACT_PLACEHOLDER_BUILTINS),
        "account measures": {**ACCOUNT_BUILTINS, **engaged_roles},
        "contact measures": dict(CONTACT_BUILTINS),
        "lead_status": dict(LEAD_STATUS_BUILTIN),
        "accounts": _columns("accounts", declared),
        "contacts": _columns("contacts", declared),
        "activities": _columns("activities", declared),
        "account signals": {name: (kind, SIGNAL_MEANING) for name, kind in account_signals.items()},
        "contact signals": {name: (kind, SIGNAL_MEANING) for name, kind in contact_signals.items()},
    }
    names: Names = {}
    for part in place.parts:
        for name, typed in parts[part].items():
            if not (part.endswith("measures") and name in place.not_yet):
                names.setdefault(name, typed)
    return names


def signal_table_names(table: str, declared: Mapping[str, Mapping[str, ColumnType]]) -> Names:
    """What a signal's `where` over `table` may name, with types and meanings."""
    return _columns(table, declared, signal=True)


def build_scopes(
    declared: Mapping[str, Mapping[str, ColumnType]],
    account_signals: Mapping[str, ColumnType | None],
    contact_signals: Mapping[str, ColumnType | None],
    roles: list[str],
) -> Scopes:
    """All scopes of a model. Later names do not override earlier ones: clashes are a load-time error."""
    scopes = {
        place.scope: Scope(
            place.title,
            {n: kind for n, (kind, _) in place_names(place, declared, account_signals, contact_signals, roles).items()},
        )
        for place in PLACES
    }
    signal_tables = {
        t: Scope(
            f"signals from {t}",
            {n: kind for n, (kind, _) in signal_table_names(t, declared).items()},
            OPPORTUNITY_HIDDEN if t == "opportunities" else {},
        )
        for t in SIGNAL_TABLES
    }
    return Scopes(**scopes, signal_tables=signal_tables)


# Where each place's names are listed for users: the heading docs/model.md gives it, and its anchor on GitHub.
REFERENCE = "docs/model.md"


def reference_heading(title: str) -> str:
    """The heading of a place in the reference: a model key as code, else the title capitalised."""
    return f"`{title}`" if " " not in title else title[0].upper() + title[1:]


def reference_link(title: str) -> str:
    """Where the names of the place called `title` are listed, as a path with GitHub's anchor for its heading.

    >>> reference_link("account fit rules"), reference_link("target_when")
    ('docs/model.md#account-fit-rules', 'docs/model.md#target_when')
    """
    anchor = re.sub(r"[^\w\- ]", "", reference_heading(title).lower()).replace(" ", "-")
    return f"{REFERENCE}#{anchor}"


def unknown_name_hint(name: str, scope: Scope) -> str:
    """The closest legal names to an unknown one, then where every legal name of the place is listed.

    >>> scope = Scope("account fit rules", {"industry": "text", "employees": "integer"})
    >>> unknown_name_hint("industy", scope)
    " — did you mean 'industry'? Every name account fit rules can use: docs/model.md#account-fit-rules"
    >>> unknown_name_hint("zzz", scope)
    '; every name account fit rules can use: docs/model.md#account-fit-rules'
    """
    pool = sorted(scope.names)
    folded = [c for c in pool if c.lower() == name.lower()]
    close = folded or difflib.get_close_matches(name, pool, n=3, cutoff=0.7)
    where = f"every name {scope.title} can use: {reference_link(scope.title)}"
    if not close:
        return f"; {where}"
    quoted = [f"'{c}'" for c in close]
    listed = " or ".join(quoted) if len(quoted) < 3 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f" — did you mean {listed}? {where[0].upper()}{where[1:]}"
