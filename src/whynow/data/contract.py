"""The data contract (SPEC §3): the canonical tables, their columns and types, defined once.

Validation, source opening, the model's name checks and the docs all read these facts; nothing
restates them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    import ibis.expr.datatypes as dt

ColumnType = Literal["text", "integer", "number", "boolean", "date", "timestamp"]
COLUMN_TYPES: tuple[ColumnType, ...] = get_args(ColumnType)

TableName = Literal[
    "accounts",
    "contacts",
    "activities",
    "intent",
    "change_events",
    "technographics",
    "opportunities",
    "reps",
]

if TYPE_CHECKING:
    IBIS_TYPES: dict[ColumnType, dt.DataType]  # made on first use by __getattr__ below


@functools.cache
def _ibis_types() -> dict[ColumnType, dt.DataType]:
    """The Ibis type each contract type is read as. Timestamps are UTC instants (SPEC §2).

    Made on first use: the model checker reads the contract without Ibis (#21)."""
    import ibis.expr.datatypes as dt

    return {
        "text": dt.String(),
        "integer": dt.Int64(),
        "number": dt.Float64(),
        "boolean": dt.Boolean(),
        "date": dt.Date(),
        "timestamp": dt.Timestamp(timezone="UTC"),
    }


def __getattr__(name: str) -> Any:
    if name == "IBIS_TYPES":
        return _ibis_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# SPEC §3 "Types": columns not named here are text.
_TYPED: dict[str, ColumnType] = {
    "employees": "integer",
    "tier": "integer",
    "capacity": "integer",
    "annual_revenue": "number",
    "arr": "number",
    "health_score": "number",
    "score": "number",
    "amount": "number",
    "is_customer": "boolean",
    "target": "boolean",
    "sales_accepted": "boolean",
    "unsubscribed": "boolean",
    "is_competitor": "boolean",
    "is_closed": "boolean",
    "is_won": "boolean",
    "renewal_date": "date",
    "first_seen": "date",
    "last_seen": "date",
    "created_at": "timestamp",
    "occurred_at": "timestamp",
    "observed_at": "timestamp",
    "closed_at": "timestamp",
}


def canonical_type(column: str) -> ColumnType:
    """The contract type of a canonical column name.

    >>> canonical_type("employees"), canonical_type("owner_id"), canonical_type("closed_at")
    ('integer', 'text', 'timestamp')
    """
    return _TYPED.get(column, "text")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns in contract order and the roles some of them play."""

    name: TableName
    columns: tuple[Column, ...]
    id_column: str | None  # unique per row; duplicates are an error (SPEC §3)
    exists_from: str | None  # rows exist from this timestamp/date on (SPEC §2 horizon)
    time_column: str | None  # the column a signal's window applies to (SPEC §4.7)
    description: str

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def schema(self) -> dict[str, dt.DataType]:
        types = _ibis_types()
        return {c.name: types[c.type] for c in self.columns}


def _table(
    name: TableName,
    required: str,
    optional: str,
    *,
    id_column: str | None,
    exists_from: str | None,
    time_column: str | None,
    description: str,
) -> Table:
    cols = [Column(c, canonical_type(c), True) for c in required.split()]
    cols += [Column(c, canonical_type(c), False) for c in optional.split()]
    return Table(name, tuple(cols), id_column, exists_from, time_column, description)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        _table(
            "accounts",
            "account_id name",
            "domain industry employees annual_revenue region country tier owner_id csm_id is_customer "
            "renewal_date arr health_score target sales_accepted",
            id_column="account_id",
            exists_from=None,
            time_column=None,
            description="companies: firmographics, tier, owner rep, customer status",
        ),
        _table(
            "contacts",
            "contact_id account_id",
            "first_name last_name email title department seniority created_at unsubscribed sales_accepted",
            id_column="contact_id",
            exists_from=None,
            time_column=None,
            description="people at accounts (leads)",
        ),
        _table(
            "activities",
            "activity_id occurred_at type",
            "contact_id account_id domain url asset topic campaign channel",
            id_column="activity_id",
            exists_from="occurred_at",
            time_column="occurred_at",
            description="first-party engagement, known or anonymous",
        ),
        _table(
            "intent",
            "observed_at topic score",
            "intent_id account_id domain contact_id topic_category competitor source",
            id_column="intent_id",
            exists_from="observed_at",
            time_column="observed_at",
            description="third-party research signals",
        ),
        _table(
            "change_events",
            "occurred_at kind",
            "event_id account_id domain detail amount",
            id_column="event_id",
            exists_from="occurred_at",
            time_column="occurred_at",
            description="organisational changes: funding, new executive, hiring surge …",
        ),
        _table(
            "technographics",
            "technology",
            "account_id domain vendor category is_competitor first_seen last_seen",
            id_column=None,
            exists_from="first_seen",
            time_column="last_seen",
            description="technologies an account uses, maybe a competitor's",
        ),
        _table(
            "opportunities",
            "opportunity_id account_id created_at",
            "closed_at stage amount is_closed is_won type owner_id",
            id_column="opportunity_id",
            exists_from="created_at",
            time_column="created_at",
            description="CRM deals: new business, renewal, expansion",
        ),
        _table(
            "reps",
            "rep_id",
            "name email role team capacity slack_user_id",
            id_column="rep_id",
            exists_from=None,
            time_column=None,
            description="sellers and CSMs with their capacity",
        ),
    )
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

# SPEC §4.7: opportunities as exported carry the future in these columns; conditions see `open` and
# `won` instead, computed at the horizon.
OPPORTUNITY_FUTURE_COLUMNS = ("is_closed", "is_won", "closed_at", "stage")
OPPORTUNITY_HORIZON_COLUMNS: dict[str, ColumnType] = {"open": "boolean", "won": "boolean"}

# Tables whose rows can be resolved to an account by account_id, else by domain (SPEC §3).
ACCOUNT_RESOLVED_TABLES = ("activities", "intent", "change_events", "technographics")
# Tables with a contact_id, so signals may have `level: contact` (SPEC §4.7).
CONTACT_LEVEL_TABLES = ("activities", "intent")

# What each canonical column holds, as the docs' "Names a condition can use" tells a user (a test checks that
# every column has one). `open` and `won` are what conditions see of an opportunity instead of its future.
COLUMN_MEANINGS: dict[str, dict[str, str]] = {
    "accounts": {
        "account_id": "The account's id, unique in the table.",
        "name": "The company's name.",
        "domain": "The company's web domain: activity and signals without an account_id find the account by it.",
        "industry": "The company's industry.",
        "employees": "How many people the company employs.",
        "annual_revenue": "The company's annual revenue.",
        "region": "The sales region.",
        "country": "The country.",
        "tier": "The account's tier; `accounts.mqa_when_tier` can give a tier MQA criteria of its own.",
        "owner_id": "The rep who owns the account (a `rep_id`); badges are routed to this rep unless `route_to` "
        "names another column.",
        "csm_id": "The customer success manager (a `rep_id`).",
        "is_customer": "The account is a customer (an empty field reads as false).",
        "renewal_date": "When the customer's contract renews.",
        "arr": "The customer's annual recurring revenue.",
        "health_score": "The customer's health score.",
        "target": "The account is marked as a target in your data.",
        "sales_accepted": "Sales has accepted the account.",
    },
    "contacts": {
        "contact_id": "The person's id, unique in the table.",
        "account_id": "The account the person works at.",
        "first_name": "First name.",
        "last_name": "Last name.",
        "email": "Email address.",
        "title": "Job title.",
        "department": "Department, e.g. Marketing or Finance.",
        "seniority": "Seniority, e.g. C-Level, VP, Director or Manager.",
        "created_at": "When the person entered the CRM.",
        "unsubscribed": "The person opted out of email.",
        "sales_accepted": "Sales has accepted the person as a lead.",
    },
    "activities": {
        "activity_id": "The activity's id, unique in the table.",
        "occurred_at": "When it happened; activity after the as-of date is not seen.",
        "type": "What happened, e.g. page_view, email_click, form_submit, demo_request, meeting_booked.",
        "contact_id": "Who did it; empty for anonymous activity (a visit matched to an account by domain).",
        "account_id": "The account, for activity without a contact.",
        "domain": "The visitor's company domain, for activity without a contact or an account.",
        "url": "The page visited.",
        "asset": "The content downloaded or viewed.",
        "topic": "The subject of the content.",
        "campaign": "The marketing campaign.",
        "channel": "The channel, e.g. web, email, event or ads.",
    },
    "intent": {
        "observed_at": "When the research was observed.",
        "topic": "What was researched.",
        "score": "How strong the interest is, as the provider scores it.",
        "intent_id": "The observation's id.",
        "account_id": "The account researching.",
        "domain": "The researching company's domain, for rows without an account_id.",
        "contact_id": "The person researching, where the provider knows them (for contact-level signals).",
        "topic_category": "The kind of topic: category, competitor or product.",
        "competitor": "The competitor researched, if any.",
        "source": "The intent provider.",
    },
    "change_events": {
        "occurred_at": "When the change happened.",
        "kind": "What changed, e.g. funding, new_executive or hiring_surge.",
        "event_id": "The event's id.",
        "account_id": "The account that changed.",
        "domain": "The company's domain, for rows without an account_id.",
        "detail": "What happened, in words (e.g. the round or the new leader's title).",
        "amount": "An amount that goes with it, e.g. the funding raised.",
    },
    "technographics": {
        "technology": "A technology the account uses.",
        "account_id": "The account using it.",
        "domain": "The company's domain, for rows without an account_id.",
        "vendor": "The technology's vendor.",
        "category": "The kind of technology, e.g. CRM.",
        "is_competitor": "The technology is a competitor's product.",
        "first_seen": "When it was first seen in use; the row exists from this date.",
        "last_seen": "When it was last seen in use; empty: still in use.",
    },
    "opportunities": {
        "opportunity_id": "The deal's id, unique in the table.",
        "account_id": "The account of the deal.",
        "created_at": "When the deal was created.",
        "closed_at": "When the deal closed, as exported today.",
        "stage": "The deal's stage, as exported today.",
        "amount": "The deal's value.",
        "is_closed": "The deal is closed, as exported today.",
        "is_won": "The deal was won, as exported today.",
        "type": "The kind of deal, e.g. new business, renewal or expansion.",
        "owner_id": "The rep who owns the deal.",
        "open": "The deal was open at the as-of date: created before it and not closed before it.",
        "won": "The deal was won before the as-of date.",
    },
    "reps": {
        "rep_id": "The rep's id, unique in the table: what `owner_id` and `csm_id` name.",
        "name": "The rep's name.",
        "email": "The rep's email address.",
        "role": "The rep's role, e.g. AE or CSM; `capacity.per_role` sizes queues by it.",
        "team": "The rep's team.",
        "capacity": "How many accounts the rep's queue holds; empty: by role, else `capacity.default_per_rep`.",
        "slack_user_id": "The rep's Slack user, for alerts sent as direct messages.",
    },
}
