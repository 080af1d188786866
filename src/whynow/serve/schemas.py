"""What the dashboard and the JSON API show (SPEC §8): the filters they take and the shapes they answer,
as pydantic models. `/api/openapi.json` is generated from them, and the pages render the same objects.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Value = str | float | int | bool | dt.date | dt.datetime | None
SortColumn = Literal[
    "account_id",
    "name",
    "owner_id",
    "tier",
    "fit",
    "fit_grade",
    "engagement",
    "engaged_contacts",
    "stage",
    "badge",
    "motion",
    "badge_since",
    "badge_expires_on",
    "route_to",
    "queue_rank",
    "open_pipeline",
]


class Query(BaseModel):
    """Query parameters: unknown ones are refused (a typo is an error, not a silently ignored filter); an
    empty one (a form's "any") is left unset."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


# Past the last page of any store (100 million rows at one a page), and small enough that the row to start
# from, (page - 1) × per_page, is a 64-bit OFFSET in DuckDB and PostgreSQL: a larger page is a 422, not a 500.
PAGE_MAX = 100_000_000


class Paging(Query):
    page: int = Field(1, ge=1, le=PAGE_MAX, description="Which page, from 1.")
    per_page: int = Field(50, ge=1, le=500, description="Rows per page.")


class AccountFilter(Paging):
    """The accounts list's filters, shared by `/accounts`, `/accounts.csv` and `/api/accounts`."""

    as_of: dt.date | None = Field(None, description="Which run, by its as-of date (default: the last).")
    badge: str | None = Field(None, description="Badge id; `none` for accounts without a badge.")
    motion: str | None = Field(None, description="Motion of the badge.")
    stage: str | None = Field(None, description="Journey stage.")
    rep: str | None = Field(None, description="Rep id: accounts the rep owns or is routed.")
    grade: str | None = Field(None, description="Fit grade.")
    mqa: bool | None = Field(None, description="Only MQAs (true) or only non-MQAs (false).")
    queue: Literal["surfaced", "held"] | None = Field(None, description="Only surfaced, or only held accounts.")
    q: str | None = Field(None, max_length=200, description="Text in the account's id or name.")
    sort: SortColumn = Field("engagement", description="Column to sort by.")
    order: Literal["asc", "desc"] = Field("desc", description="Sort order; ties by account id.")


class ChangeFilter(Paging):
    since: dt.date | None = Field(None, description="Only changes from this as-of date on.")
    until: dt.date | None = Field(None, description="Only changes up to this as-of date.")
    entity_type: Literal["account", "contact", "model"] | None = None
    change: str | None = Field(None, description="Kind of change, e.g. badge_assigned.")
    entity_id: str | None = Field(None, description="Only this account's, contact's or model's changes.")


class ModelQuery(Query):
    old: str | None = Field(None, description="Hash (or its first characters) of the older model to compare.")
    new: str | None = Field(None, description="Hash (or its first characters) of the newer model (default: last).")


class AsOfQuery(Query):
    as_of: dt.date | None = Field(None, description="Which run, by its as-of date (default: the last).")


class AccountQuery(AsOfQuery):
    id: str | None = Field(
        None, description="The account id, where the path has none: for `.` and `..`, which a URL path cannot hold."
    )
    people: int = Field(50, ge=1, le=100, description="Contacts per page of the committee, engaged first.")
    people_page: int = Field(1, ge=1, le=PAGE_MAX, description="Which page of the committee.")


class QueueChoice(AsOfQuery):
    """Which queues: `/queues.csv` takes these, `/queues` and `/api/queues` page them too."""

    rep: str | None = Field(None, description="Only this rep's queue.")


class QueueFilter(Paging, QueueChoice):
    per_page: int = Field(20, ge=1, le=500, description="Queues (reps) per page.")


class AccountRow(BaseModel):
    account_id: str
    name: str | None
    owner_id: str | None
    tier: int | None
    fit: float | None
    fit_grade: str | None
    engagement: float | None
    engaged_contacts: int | None
    mqa: bool | None
    sqa: bool | None
    stage: str | None
    badge: str | None
    badge_label: str | None
    archetype: str | None
    motion: str | None
    play: str | None
    why: str | None
    badge_since: dt.date | None
    badge_expires_on: dt.date | None
    route_to: str | None
    queue: str | None
    queue_rank: int | None
    held_reason: str | None
    has_open_opportunity: bool | None
    open_pipeline: float | None


ACCOUNT_COLUMNS = tuple(AccountRow.model_fields)


class Facets(BaseModel):
    """The values each filter can take in the run, for the filter form."""

    badges: list[str]
    motions: list[str]
    stages: list[str]
    reps: list[str]
    grades: list[str]


class AccountPage(BaseModel):
    as_of: dt.date
    total: int = Field(description="Accounts matching the filters, on every page.")
    page: int
    per_page: int
    pages: int
    accounts: list[AccountRow]
    facets: Facets


class PipelineCell(BaseModel):
    badge: str | None
    badge_label: str | None
    archetype: str | None
    motion: str | None
    accounts: int
    with_open_opportunity: int
    open_pipeline: float


class StageCount(BaseModel):
    stage: str | None = Field(
        description="The stage as the model writes it, in the journey's order; null: the accounts no stage held "
        "(a journey whose last stage has a condition), last."
    )
    accounts: int


LEAD_STATUSES = ("new", "nurture", "mql", "sql", "recycled", "disqualified")  # the funnel's order (SPEC §4.5)


class LeadStatusCount(BaseModel):
    lead_status: str = Field(description="new, nurture, mql, sql, recycled or disqualified, in that order.")
    contacts: int


class RunPoint(BaseModel):
    as_of: dt.date
    accounts: int
    mqa: int
    badged: int
    surfaced: int
    held: int


class TeamPipeline(BaseModel):
    team: str
    opportunities: int = Field(description="Opened after the account was first surfaced or became MQA.")
    amount: float
    median_days_from_surfaced: float | None
    median_days_from_mqa: float | None


class HeldReason(BaseModel):
    reason: str
    accounts: int


class Overview(BaseModel):
    as_of: dt.date
    model: str
    accounts: int
    pipeline: list[PipelineCell]
    funnel: list[StageCount]
    lead_statuses: list[LeadStatusCount] = Field(
        description="The contacts of the run per lead status, every status in the funnel's order."
    )
    over_time: list[RunPoint]
    held_reasons: list[HeldReason]
    teams: list[TeamPipeline]


class CallEntry(BaseModel):
    """One person to call about a badged account: the store's `call_list` row, less the as_of
    and account_id its account says."""

    rank: int = Field(description="Place on the account's call list, from 1.")
    contact_id: str
    name: str | None
    title: str | None
    committee_role: str | None
    email: str | None
    reason: Literal["badge", "engaged"] = Field(
        description="`badge`: the person has a contact badge of their own (badge, badge_label, why); `engaged`: "
        "an engaged contact without one (recent_activities, days_since_last_activity)."
    )
    badge: str | None = Field(description="The person's own contact badge, when reason is `badge`.")
    badge_label: str | None
    why: str | None = Field(description="The narrative of the person's own badge.")
    recent_activities: int | None = Field(description="The person's activities within the lookback.")
    days_since_last_activity: int | None = Field(description="Days from the person's last activity to as_of.")
    crm_url: str | None = Field(description="The person's CRM page (the model's `links.contact`); null without it.")


CALL_COLUMNS = tuple(c for c in CallEntry.model_fields if c != "crm_url")


class ContactBadge(BaseModel):
    """A contact of the account with a badge of their own: the contact's story."""

    contact_id: str
    name: str | None
    committee_role: str | None
    engagement: float | None
    lead_status: str | None
    badge: str
    badge_label: str | None = Field(description="The badge's label, from the model's definition.")
    archetype: str | None
    why: str | None = Field(description="The contact badge's narrative.")
    badge_since: dt.date | None
    badge_expires_on: dt.date | None
    crm_url: str | None = Field(description="The contact's CRM page (the model's `links.contact`); null without it.")


class QueueItem(BaseModel):
    account_id: str
    name: str | None
    badge: str | None
    badge_label: str | None
    archetype: str | None
    motion: str | None
    play: str | None
    why: str | None
    badge_expires_on: dt.date | None
    queue_rank: int | None
    held_reason: str | None
    crm_url: str | None = Field(description="The account's CRM page (the model's `links.account`); null without it.")
    call_list: list[CallEntry] = Field(
        description="Who to call, in rank order: empty when the account has no one to call."
    )


QUEUE_COLUMNS = tuple(c for c in QueueItem.model_fields if c not in ("crm_url", "call_list"))


class Queue(BaseModel):
    rep_id: str | None = Field(description="The route target; null for the unassigned queue.")
    name: str | None
    team: str | None
    capacity: int
    used: int
    surfaced: list[QueueItem]
    held: list[QueueItem]


class Rep(BaseModel):
    rep_id: str
    name: str | None


class Queues(BaseModel):
    as_of: dt.date
    total: int = Field(description="Queues in the run: every rep and route target, and the unassigned queue.")
    reps: list[Rep] = Field(description="Every rep and route target of the run, by id: the choices of `rep`.")
    page: int
    per_page: int
    pages: int
    queues: list[Queue]


class Change(BaseModel):
    as_of: dt.date
    entity_type: str
    entity_id: str
    change: str
    old: str | None
    new: str | None
    reason: str | None


class ChangePage(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int
    kinds: list[str]
    changes: list[Change]


class TableCounts(BaseModel):
    table: str
    read: int | None
    after_horizon: int | None
    outside_windows: int | None
    unmatched: int | None
    orphaned: int | None
    rejected: int | None
    used: int | None


class Run(BaseModel):
    run_id: str
    as_of: dt.date
    model: str
    model_hash: str
    started_at: dt.datetime
    finished_at: dt.datetime
    accounts: int
    mqa: int
    badged: int
    surfaced: int
    held: int
    changes: int
    tables: list[TableCounts]


class Runs(BaseModel):
    runs: list[Run]


class ModelVersion(BaseModel):
    hash: str
    name: str
    first_as_of: dt.date
    last_as_of: dt.date
    runs: int


class ModelView(BaseModel):
    name: str
    hash: str
    rules: list[str] = Field(description="Every rule in plain language.")
    text: str = Field(description="The model file as it ran.")
    versions: list[ModelVersion]
    old: str | None = Field(description="The version the diff starts from (null: nothing to compare).")
    diff: list[str] = Field(description="Unified diff of the model files, old to this one.")


class RuleRow(BaseModel):
    rule: str
    points: float
    rows: int
    capped: bool


class Person(BaseModel):
    contact_id: str
    name: str | None
    committee_role: str | None
    engaged: bool | None
    lead_status: str | None
    status_since: dt.date | None = Field(
        default=None, description="The first run of the lead status's current stretch."
    )
    fit: float | None
    fit_grade: str | None
    engagement: float | None
    badge: str | None
    fit_rules: list[RuleRow]
    engagement_rules: list[RuleRow]


class Evidence(BaseModel):
    badge: str | None
    signal: str
    value: str | None
    source_table: str | None
    source_id: str | None
    occurred_at: dt.datetime | None


class HistoryPoint(BaseModel):
    as_of: dt.date
    badge: str | None
    badge_label: str | None
    queue: str | None
    queue_rank: int | None
    stage: str | None
    mqa: bool | None
    fit: float | None
    engagement: float | None


class Check(BaseModel):
    """One condition and how the account stands against it."""

    name: str
    condition: str
    holds: bool
    values: list[str] = Field(description="Each comparison with the account's value.")


class FeedbackRequest(BaseModel):
    """A rep's verdict on an account of the last run, as `POST /api/feedback` takes it."""

    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(description="An account of the store's last run.")
    rep_id: str = Field(description="A rep of the last run: the account's route target for the verdict to hold it.")
    verdict: str = Field(
        description="`working` (on it), `not_now` (right account, wrong time) or `wrong_fit` (should not have "
        "been shown); anything else is refused with a one-line message.",
        json_schema_extra={"enum": ["working", "not_now", "wrong_fit"]},
    )
    note: str | None = Field(None, description="Why, in the rep's words (up to 2,000 characters).")


class Refusal(BaseModel):
    detail: str = Field(description="Why, in one line.")


class FeedbackEntry(BaseModel):
    """One verdict as the store's `feedback` table keeps it, and until when it holds its account."""

    given_at: dt.datetime = Field(description="When it was given (UTC).")
    account_id: str
    rep_id: str
    verdict: str = Field(description="working, not_now or wrong_fit.")
    note: str | None
    badge: str | None = Field(description="The account's badge when the verdict was given; null: none.")
    source: str = Field(description="Where it was given: cli, dashboard, slack or api.")
    given_by: str = Field(description="The rep, or the name of the token's holder (`token`).")
    holds_until: dt.date | None = Field(
        description="The first as-of date whose run no longer holds the account for it (the model's "
        "feedback days after the UTC date given); null: it holds nothing (working, or 0 days)."
    )


class FeedbackGiven(FeedbackEntry):
    """What `POST /api/feedback` answers: the row as written, and what the next run does with it."""

    kept: str = Field(description="What the page shows, e.g. `Not now — kept; runs before 2026-12-05 hold it`.")


class AccountDetail(BaseModel):
    as_of: dt.date
    model: str
    account: AccountRow
    crm_url: str | None = Field(description="The account's CRM page (the model's `links.account`); null without it.")
    call_list: list[CallEntry] = Field(
        description="Who to call, in rank order: empty when the account has no one to call."
    )
    contact_badges: list[ContactBadge] = Field(
        description="The account's contacts with a badge of their own, the most engaged first."
    )
    columns: dict[str, Value] = Field(description="Every column of the account's account_status row.")
    why_it_won: str | None = Field(description="Why this badge and not another that held today.")
    candidates: list[str] = Field(description="Every badge definition that held today.")
    history: list[HistoryPoint]
    evidence: list[Evidence]
    roles_engaged: dict[str, int]
    contacts: int = Field(description="The account's contacts (the committee lists one page of them).")
    people_page: int
    people_pages: int
    contacts_engagement: float = Field(description="The sum of the engagement of all the account's contacts.")
    committee: list[Person] = Field(description="Contacts, engaged first, then by engagement.")
    fit_rules: list[RuleRow]
    anonymous_rules: list[RuleRow]
    anonymous_weight: float
    mqa: Check
    stages: list[Check] = Field(description="The journey stages checked in order, up to the account's.")
    changes: list[Change]
    feedback: list[FeedbackEntry] = Field(description="The sales feedback given on the account, newest first.")


class BacktestSummary(BaseModel):
    backtest_id: str
    recorded_at: dt.datetime
    first_date: dt.date
    last_date: dt.date
    runs: int
    window: int = Field(description="Days after a run in which an opportunity is its outcome.")
    models: list[str] = Field(description="The models replayed, the first the one compared against.")


class BacktestFigure(BaseModel):
    model: str
    group: Literal["overall", "mqa", "archetype", "badge", "verdict"]
    name: str | None
    runs: int
    surfaced_per_run: float | None
    capacity_per_run: float | None
    account_dates: int
    outcomes: int
    precision: float | None
    base_rate: float | None
    lift: float | None
    won: int
    win_rate: float | None
    pipeline: float | None
    median_days: float | None


class BacktestRun(BaseModel):
    model: str
    as_of: dt.date
    surfaced: int
    capacity: int | None
    outcomes: int
    precision: float | None
    base_rate: float | None


class Backtests(BaseModel):
    backtests: list[BacktestSummary] = Field(description="Recorded by `whynow backtest --store`, newest first.")


class BacktestView(BaseModel):
    backtest: BacktestSummary
    figures: list[BacktestFigure]
    per_run: list[BacktestRun]
