"""The model language (SPEC §4) as pydantic models: the single source of truth for its shape.

Every key's default and meaning lives here, as a field description; `whynow check` and the model
reference in docs/ are generated from these classes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from whynow.data.contract import ColumnType, TableName
from whynow.model.templates import MAX_FORMAT_WIDTH

Archetype = Literal["customer", "competitive", "change"]
ARCHETYPES: tuple[Archetype, ...] = ("customer", "competitive", "change")
AlertChange = Literal["surfaced", "badge_assigned", "badge_replaced", "held", "reengaged"]
SignalTable = Literal["activities", "intent", "change_events", "technographics", "opportunities"]


def _condition_text(value: Any) -> Any:
    """YAML reads `target_when: true` as a boolean; as a condition it is the SQL literal TRUE."""
    return ("true" if value else "false") if isinstance(value, bool) else value


def _not_boolean(value: Any) -> Any:
    """`points: true` is a mistake, not 1 point."""
    if isinstance(value, bool):
        raise ValueError("points must be a number, not true/false")
    return value


# Every number is bounded to what the engine represents and a model needs: dates stay inside DuckDB's
# range and Python's timedelta, sums of points inside a double's exact range (issue #19).
MAX_DAYS = 36_500  # every *_days key and the half life: 100 years
MAX_POINTS = 10_000  # points of one fit or engagement rule, either sign
MAX_CAP = 1_000_000  # an engagement rule's cap
MAX_FIT = 100  # fit is clamped to [-100, 100] (SPEC §4.2): grade thresholds lie inside
MAX_WEIGHT = 100  # anonymous_weight
MAX_QUEUE = 100_000  # a queue's size (capacity)
MAX_TIER = 1_000  # an account tier in mqa_when_tier
MAX_CALL_LIST = 100  # people on one account's call list

Condition = Annotated[str, BeforeValidator(_condition_text)]
Points = Annotated[float, BeforeValidator(_not_boolean), Field(ge=-MAX_POINTS, le=MAX_POINTS, allow_inf_nan=False)]
Threshold = Annotated[float, Field(ge=-MAX_FIT, le=MAX_FIT, allow_inf_nan=False)]
QueueSize = Annotated[int, Field(ge=0, le=MAX_QUEUE)]
Tier = Annotated[int, Field(ge=0, le=MAX_TIER)]

DEFAULT_MQA_WHEN = "engaged_contacts >= 4 OR (engaged_contacts >= 3 AND activities >= 9)"
DEFAULT_SQA_WHEN = "has_open_opportunity OR sales_accepted"
DEFAULT_MOTIONS: dict[Archetype, str] = {
    "customer": "Defend and grow",
    "competitive": "Displace or differentiate",
    "change": "Land early and shape the narrative",
}


class Section(BaseModel):
    """Every section rejects keys it does not know (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FitRule(Section):
    name: str = Field(description="The rule's name, shown in explanations and the score breakdown.")
    when: Condition = Field(description="Condition over the entity's columns (accounts: and account signals).")
    points: Points = Field(
        description=f"Points added when the condition holds; may be negative (-{MAX_POINTS:,} to {MAX_POINTS:,})."
    )


class Fit(Section):
    account: list[FitRule] = Field(default_factory=list, description="Account (firmographic) rules.")
    contact: list[FitRule] = Field(default_factory=list, description="Contact (demographic) rules.")
    grades: dict[str, Threshold] = Field(
        default_factory=lambda: {"A": 80.0, "B": 60.0, "C": 40.0},
        description="Grade letters and the fit each needs (-100 to 100, the range of fit); below every "
        "threshold, the next letter.",
    )


class EngagementRule(Section):
    name: str = Field(description="The rule's name.")
    when: Condition = Field(description="Condition over activity columns.")
    points: Points = Field(
        description=f"Points per matching activity, before decay; may be negative (-{MAX_POINTS:,} to {MAX_POINTS:,})."
    )
    cap: float | None = Field(
        default=None,
        ge=0,
        le=MAX_CAP,
        allow_inf_nan=False,
        description="Most this rule gives one contact (or one account's anonymous activity), after decay "
        f"(0 to {MAX_CAP:,}).",
    )
    hand_raiser: bool = Field(default=False, description="A match means the person asked to talk to sales.")


class Engagement(Section):
    half_life_days: float | None = Field(
        default=None,
        ge=0,
        le=MAX_DAYS,
        allow_inf_nan=False,
        description=f"Points halve every this many days (at most {MAX_DAYS:,}); absent or 0: no decay.",
    )
    lookback_days: int = Field(
        default=365, gt=0, le=MAX_DAYS, description=f"Activities older than this are ignored (1 to {MAX_DAYS:,})."
    )
    anonymous_weight: float = Field(
        default=1.0,
        ge=0,
        le=MAX_WEIGHT,
        allow_inf_nan=False,
        description=f"Weight of anonymous activity in its account's engagement (0 to {MAX_WEIGHT}).",
    )
    rules: list[EngagementRule] = Field(default_factory=list, description="Activity rules; every match counts.")


class Leads(Section):
    disqualify_when: Condition | None = Field(default=None, description="Contact is `disqualified` (checked first).")
    sql_when: Condition | None = Field(default=None, description="Contact is `sql`.")
    mql_when: Condition | None = Field(default=None, description="Contact is `mql`.")
    nurture_when: Condition | None = Field(default=None, description="Contact is `nurture`; else `new`.")
    recycle_days: int = Field(
        default=90,
        gt=0,
        le=MAX_DAYS,
        description="Days a sales-ready contact that went cold stays `recycled` before nurture or new.",
    )


class BuyingCommittee(Section):
    engaged_within_days: int = Field(
        default=30, gt=0, le=MAX_DAYS, description="Window for `engaged` contacts; at most `lookback_days`."
    )
    roles: dict[str, Condition] = Field(
        default_factory=dict, description="Role name → condition over contact columns; first match wins."
    )


class Signal(Section):
    from_: SignalTable = Field(alias="from", description="The event table the signal reads.")
    where: Condition | None = Field(default=None, description="Condition over that table's columns.")
    within_days: int | None = Field(
        default=None,
        gt=0,
        le=MAX_DAYS,
        description=f"Window on the table's time column (1 to {MAX_DAYS:,}); absent: all rows before the horizon.",
    )
    measure: str = Field(
        description="count | count_distinct(col) | sum(col) | max(col) | min(col) | latest(col) | exists | days_since"
    )
    level: Literal["account", "contact"] = Field(
        default="account", description="`contact` only for tables with contact_id (activities, intent)."
    )


class Accounts(Section):
    target_when: Condition = Field(default="true", description="The account is a target.")
    mqa_when: Condition = Field(default=DEFAULT_MQA_WHEN, description="Default MQA criteria (with `target`).")
    mqa_when_tier: dict[Tier, Condition] = Field(
        default_factory=dict,
        description=f"Tier (0 to {MAX_TIER:,}) → MQA criteria overriding `mqa_when` for that tier.",
    )
    sqa_when: Condition = Field(default=DEFAULT_SQA_WHEN, description="The account is sales-qualified.")


class JourneyStage(Section):
    stage: str = Field(description="Stage name.")
    when: Condition | None = Field(default=None, description="Condition; only the last stage may omit it.")


DEFAULT_JOURNEY: tuple[tuple[str, str | None], ...] = (
    ("post_sale", "is_customer"),
    ("opportunity", "has_open_opportunity"),
    ("mqa", "mqa"),
    ("engaged", "engaged_contacts >= 1"),
    ("aware", "days_since_last_activity <= 90"),
    ("qualified", "target"),
    ("unqualified", None),
)


class BadgeDefinition(Section):
    id: str = Field(description="Unique badge id, used in outputs and the change log.")
    archetype: Archetype = Field(description="customer | competitive | change.")
    label: str = Field(description="Short label shown to reps.")
    when: Condition = Field(
        description="Condition over account measures and signals (contact ones for `for: contact`)."
    )
    for_: Literal["account", "contact"] = Field(default="account", alias="for", description="Who gets it.")
    expires_after_days: int = Field(
        default=30,
        gt=0,
        le=MAX_DAYS,
        description=f"The badge expires this many days after its condition last held (1 to {MAX_DAYS:,}).",
    )
    play: str = Field(description="The concrete play for the rep.")
    route_to: str = Field(default="owner_id", description="Account column holding the rep id to route to.")
    why: str = Field(
        description="Narrative template: {name} prints a value ({name:,.0f} with a format spec; NULL as unknown); "
        "{name|text} prints text where the value is NULL or empty text; [ … ] is left out when a placeholder "
        "inside is NULL, empty text, 0 or false; {name:plural:one:many} prints one for 1 or -1, else many; "
        "{{ }} [[ ]] print a brace or a bracket; spaces are tidied after. A format spec's width "
        f"and precision are at most {MAX_FORMAT_WIDTH}."
    )


class Badges(Section):
    precedence: list[Archetype] = Field(
        default_factory=lambda: list(ARCHETYPES), description="The three archetypes, best first."
    )
    motions: dict[Archetype, str] = Field(
        default_factory=lambda: dict(DEFAULT_MOTIONS), description="Archetype → motion."
    )
    definitions: list[BadgeDefinition] = Field(default_factory=list, description="The why-now rules.")


class Capacity(Section):
    default_per_rep: QueueSize = Field(
        default=30, description=f"Queue size of a rep with no capacity of their own (0 to {MAX_QUEUE:,})."
    )
    per_role: dict[str, QueueSize] = Field(default_factory=dict, description=f"Role → queue size (0 to {MAX_QUEUE:,}).")
    unassigned: QueueSize = Field(
        default=0, description=f"Size of the queue of accounts with no route target (0 to {MAX_QUEUE:,})."
    )
    rank_by: Condition = Field(default="fit + engagement", description="Numeric expression ordering a queue.")
    call_list: int = Field(
        default=3,
        ge=0,
        le=MAX_CALL_LIST,
        description=f"People to call per badged account, 0 to {MAX_CALL_LIST}; 0 turns it off.",
    )


# SPEC §7's defaults; `reengaged` (SPEC §4.5) is asked for by name, so a model written before it alerts as it did.
_SLACK_ON: tuple[AlertChange, ...] = ("surfaced",)
_WEBHOOK_ON: tuple[AlertChange, ...] = ("surfaced", "badge_assigned")


class SlackAlerts(Section):
    webhook_url: str = Field(default="", description="Incoming webhook; empty turns it off.")
    bot_token: str = Field(default="", description="Bot token for DMs to reps.slack_user_id.")
    channel: str | None = Field(default=None, description="Channel for alerts without a DM recipient.")
    on: list[AlertChange] = Field(default_factory=lambda: list(_SLACK_ON), description="Changes that alert.")
    digest: bool = Field(default=False, description="One message per rep per run.")
    base_url: str = Field(
        default="https://slack.com/api/", description="Slack's Web API (a proxy or a test server may stand in)."
    )
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="Seconds to wait for Slack's answer.")


class WebhookAlerts(Section):
    url: str = Field(default="", description="Endpoint receiving the alert as JSON; empty turns it off.")
    secret: str = Field(default="", description="HMAC-SHA256 signing secret.")
    on: list[AlertChange] = Field(default_factory=lambda: list(_WEBHOOK_ON), description="Changes that alert.")
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="Seconds to wait for the endpoint's answer.")


class Alerts(Section):
    slack: SlackAlerts | None = Field(default=None, description="Slack: an incoming webhook or a bot.")
    webhook: WebhookAlerts | None = Field(default=None, description="Any HTTP endpoint, signed.")
    link: str = Field(default="http://127.0.0.1:8000", description="Base URL of `whynow serve`.")

    def turned_on(self) -> dict[str, list[str]]:
        """The channels that are on — Slack with a webhook URL or a bot token, the webhook with a URL —
        each with the change kinds it alerts on."""
        on: dict[str, list[str]] = {}
        if self.slack is not None and (self.slack.webhook_url or self.slack.bot_token):
            on["slack"] = list(self.slack.on)
        if self.webhook is not None and self.webhook.url:
            on["webhook"] = list(self.webhook.on)
        return on


class Links(Section):
    """The CRM's record pages: where a record is shown, it links to its page in the CRM."""

    account: str | None = Field(
        default=None,
        description="URL of an account's CRM page, e.g. `https://acme.lightning.force.com/lightning/r/Account/"
        "{account_id}/view`: http(s) with a fixed host; {placeholders} name account_id, name, owner_id, tier or a "
        "declared accounts column, each value URL-encoded (a NULL value: no link). Absent or empty: no link; "
        "`whynow import` prints these for Salesforce and HubSpot.",
    )
    contact: str | None = Field(
        default=None,
        description="URL of a contact's CRM page; {placeholders} name contact_id, account_id or a declared "
        "contacts column.",
    )
    opportunity: str | None = Field(
        default=None,
        description="URL of an opportunity's CRM page; {placeholders} name any opportunities column, declared "
        "ones included.",
    )


FieldMap = dict[str, str]  # CRM field (API name, `:N` its length) -> whynow column or call_list.N.COLUMN


class SalesforcePush(Section):
    """Where `whynow push salesforce` writes: an org, and the fields of its records it fills."""

    instance_url: str = Field(default="", description="The org's URL, e.g. https://acme.my.salesforce.com.")
    access_token: str = Field(
        default="", description="A session's access token, as ${NAME} (or username, password, security_token)."
    )
    username: str = Field(default="", description="An integration user's name, with password and security_token.")
    password: str = Field(default="", description="That user's password, as ${NAME}: from the environment only.")
    security_token: str = Field(default="", description="That user's security token, as ${NAME}.")
    account: FieldMap | None = Field(
        default=None, description="Account field → account_status column or call_list.N.COLUMN; absent: the default."
    )
    contact: FieldMap | None = Field(
        default=None, description="Contact (or Lead) field → contact_status column; absent: the default."
    )


class HubspotPush(Section):
    """Where `whynow push hubspot` writes: a portal, and the properties of its records it fills."""

    token: str = Field(default="", description="A private app's access token, as ${NAME}: from the environment only.")
    api_base: str = Field(default="https://api.hubapi.com", description="HubSpot's API, or a test server.")
    account: FieldMap | None = Field(
        default=None, description="Company property → account_status column or call_list.N.COLUMN; absent: the default."
    )
    contact: FieldMap | None = Field(
        default=None, description="Contact property → contact_status column; absent: the default."
    )


class Push(Section):
    """Results back into the CRM: one section per CRM; none: `whynow push` has nowhere to write."""

    salesforce: SalesforcePush | None = Field(default=None, description="A Salesforce org (Bulk API 2.0).")
    hubspot: HubspotPush | None = Field(default=None, description="A HubSpot portal (CRM v3 batch update).")


class Feedback(Section):
    """How long sales feedback holds an account (README.md#sales-feedback)."""

    not_now_days: int = Field(
        default=14,
        ge=0,
        le=MAX_DAYS,
        description="Days a `not_now` verdict holds its account out of its rep's queue (0: not at all).",
    )
    wrong_fit_days: int = Field(
        default=90,
        ge=0,
        le=MAX_DAYS,
        description="Days a `wrong_fit` verdict holds its account out of its rep's queue (0: not at all).",
    )


class Model(Section):
    """A whole model file."""

    model: str = Field(min_length=1, description="The model's name, shown in outputs and the change log.")
    columns: dict[TableName, dict[str, ColumnType]] = Field(
        default_factory=dict, description="Extra (non-canonical) columns the rules use, with their types."
    )
    fit: Fit = Field(default_factory=Fit, description="Fit rules (who): firmographic and demographic points.")
    engagement: Engagement = Field(
        default_factory=Engagement, description="Engagement rules (how engaged): decayed activity points."
    )
    leads: Leads = Field(default_factory=Leads, description="Lead status conditions over contact measures.")
    buying_committee: BuyingCommittee = Field(
        default_factory=BuyingCommittee, description="Committee roles and the engaged window."
    )
    signals: dict[str, Signal] = Field(
        default_factory=dict, description="Named, time-windowed facts from event tables."
    )
    accounts: Accounts = Field(default_factory=Accounts, description="Target, MQA and SQA conditions.")
    journey: list[JourneyStage] = Field(
        default_factory=lambda: [JourneyStage(stage=s, when=w) for s, w in DEFAULT_JOURNEY],
        description="Journey stages, first match from the top.",
    )
    badges: Badges = Field(default_factory=Badges, description="The why-now badges and their precedence.")
    capacity: Capacity = Field(default_factory=Capacity, description="Queue sizes and ranking.")
    alerts: Alerts = Field(default_factory=Alerts, description="Where alerts go (README.md#alerts).")
    links: Links = Field(
        default_factory=Links, description='The CRM\'s record pages, shown as "Open in CRM"; none: no CRM links.'
    )
    feedback: Feedback = Field(
        default_factory=Feedback, description="How long a rep's not-now or wrong-fit verdict holds an account."
    )
    push: Push = Field(default_factory=Push, description="Results written onto the CRM (README.md#into-your-crm).")
