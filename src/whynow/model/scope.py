"""The names legal in each place a condition or template appears (SPEC §4.1, §4.4), with their types.

A scope is what a condition may name: columns of the right table, the model's declared extra columns,
built-in measures and signals. Conditions are checked, typed and compiled against these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from whynow.data.contract import (
    OPPORTUNITY_FUTURE_COLUMNS,
    OPPORTUNITY_HORIZON_COLUMNS,
    TABLES,
    ColumnType,
)

# SPEC §4.4, contact measures (leads conditions; all of them with lead_status in contact badges).
CONTACT_MEASURES: dict[str, ColumnType] = {
    "fit": "number",
    "fit_grade": "text",
    "engagement": "number",
    "hand_raised": "boolean",
    "recent_activities": "integer",
    "engaged": "boolean",
    "committee_role": "text",
    "days_since_last_activity": "integer",
}
LEAD_STATUS: dict[str, ColumnType] = {"lead_status": "text"}

# SPEC §4.4, account measures (accounts, journey, badges, rank_by). engaged_<role> is added per role.
ACCOUNT_MEASURES: dict[str, ColumnType] = {
    "fit": "number",
    "fit_grade": "text",
    "engagement": "number",
    "engaged_contacts": "integer",
    "activities": "integer",
    "anonymous_activities": "integer",
    "committee_roles_engaged": "integer",
    "mql_contacts": "integer",
    "days_since_last_activity": "integer",
    "days_to_renewal": "integer",
    "has_open_opportunity": "boolean",
    "open_pipeline": "number",
    "target": "boolean",
    "mqa": "boolean",
    "sqa": "boolean",
    "top_contact": "text",
    "top_contact_id": "text",
    "top_contact_title": "text",
    "top_contact_department": "text",
}

# SPEC §4.7: what an opportunities condition sees instead of the exported future.
OPPORTUNITY_HIDDEN: dict[str, str] = {
    column: f"'{column}' is what the deal became after the as-of date; use `open` or `won`, which hold at the "
    "as-of date (SPEC §4.7: backtests stay honest)"
    for column in OPPORTUNITY_FUTURE_COLUMNS
}

# Template-only names: the account's name, the contact's first and last name (SPEC §4.8).
ACCOUNT_PLACEHOLDERS: dict[str, ColumnType] = {"account": "text"}
CONTACT_PLACEHOLDERS: dict[str, ColumnType] = {"account": "text", "contact": "text"}


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


def build_scopes(
    declared: Mapping[str, Mapping[str, ColumnType]],
    account_signals: Mapping[str, ColumnType | None],
    contact_signals: Mapping[str, ColumnType | None],
    roles: list[str],
) -> Scopes:
    """All scopes of a model. Later names do not override earlier ones: clashes are a load-time error."""
    accounts = table_columns("accounts", declared)
    contacts = table_columns("contacts", declared)
    account_measures = dict(ACCOUNT_MEASURES)
    account_measures.update({f"engaged_{role}": "integer" for role in roles})

    def scope(title: str, *parts: Mapping[str, ColumnType | None], drop: tuple[str, ...] = ()) -> Scope:
        names: dict[str, ColumnType | None] = {}
        for part in parts:
            for name, kind in part.items():
                names.setdefault(name, kind)
        for name in drop:
            names.pop(name, None)
        return Scope(title, names)

    # SPEC §4.6: inside target_when, `target` is the accounts column; mqa and sqa do not exist yet.
    target_measures = {k: v for k, v in account_measures.items() if k not in ("target", "mqa", "sqa")}
    contact_measures = {**CONTACT_MEASURES}
    return Scopes(
        account_fit=scope("account fit rules", accounts, account_signals),
        contact_fit=scope("contact fit rules", contacts),
        activity=scope("engagement rules", table_columns("activities", declared)),
        role=scope("buying committee roles", contacts),
        lead=scope("lead conditions", contact_measures, contacts, contact_signals),
        target=scope("target_when", target_measures, accounts, account_signals),
        mqa=scope("MQA conditions", account_measures, accounts, account_signals, drop=("mqa", "sqa")),
        sqa=scope("sqa_when", account_measures, accounts, account_signals, drop=("sqa",)),
        account=scope("account conditions", account_measures, accounts, account_signals),
        contact_badge=scope("contact badges", contact_measures, LEAD_STATUS, contacts, contact_signals),
        account_template=scope("account narratives", ACCOUNT_PLACEHOLDERS, account_measures, accounts, account_signals),
        contact_template=scope(
            "contact narratives",
            CONTACT_PLACEHOLDERS,
            contact_measures,
            LEAD_STATUS,
            contacts,
            contact_signals,
        ),
        signal_tables={
            t: Scope(
                f"signals from {t}",
                signal_table_columns(t, declared),
                OPPORTUNITY_HIDDEN if t == "opportunities" else {},
            )
            for t in ("activities", "intent", "change_events", "technographics", "opportunities")
        },
    )
