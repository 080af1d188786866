"""Benchmark data (issue #5): the SPEC §3 tables for a number of activities, as Parquet files written by DuckDB.

Every value is a function of its row number and the seed (DuckDB's `hash`), so the same seed gives the same
data whatever the number of threads, and 50M activities stream to disk set-based, without a Python loop over
rows. Scale: one account per 500 activities, ten contacts per account (50M ≈ 100k accounts, 1M contacts).

    python bench/generate.py --activities 10_000_000 --out /tmp/bench10m [--seed 7] [--as-of 2026-11-20]

The shape follows the demo company's vocabulary (whynow.demo.vocabulary), tuned so that every rule of the
reference model does real work:

* contacts per account and activities per contact are Zipf-like (a few of each do most of it); a third of the
  accounts are active now, a sixth went quiet in the last 4 months, half longer ago, so the journey has every
  stage;
* a fifth of the activities are anonymous, resolved by account_id, by domain (`www.`, upper case), by domain
  after an unknown account_id, or not at all; a few name an unknown contact, or an account of their own that
  SPEC §3 says to ignore; about 1-2 % lie after the as-of date;
* intent arrives weekly (Mondays 06:00 UTC, so rows tie and the id decides `latest`); change events, a
  technology stack with competitors' products (in use, dropped, not yet seen), open / won / lost deals (some
  closed after the as-of date, so open then), reps with and without a capacity of their own;
* a few orphans (contacts and deals of unknown accounts), accounts that share a domain, NULLs where the
  contract allows them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from whynow.demo import vocabulary as v

AS_OF = dt.date(2026, 11, 20)
SEED = 7
ACTIVITIES_PER_ACCOUNT = 500
CONTACTS_PER_ACCOUNT = 10
TABLES = ("accounts", "contacts", "activities", "intent", "change_events", "technographics", "opportunities", "reps")

# Activity variants: type, channel, the column the values fill, its values, weight for known people, weight
# for anonymous visitors (per mille-ish; normalised). "chat" matches no rule of the reference model, "blank"
# is a page view without a URL (only the "Any page view" rule holds).
_Variant = tuple[str, str, str | None, tuple[str, ...], int, int]
VARIANTS: dict[str, _Variant] = {
    "browse": ("page_view", "web", "url", v.ACTIONS["browse"][2], 300, 550),
    "pricing": ("page_view", "web", "url", v.ACTIONS["pricing"][2], 50, 130),
    "compare": ("page_view", "web", "url", (), 15, 20),  # /compare/<the account's rival>-vs-us
    "customers": ("page_view", "web", "url", v.ACTIONS["customers"][2], 30, 100),
    "expansion": ("page_view", "web", "url", v.ACTIONS["expansion"][2], 15, 40),
    "blank": ("page_view", "web", None, (), 5, 10),
    "email_open": ("email_open", "email", "campaign", v.NEWSLETTERS, 250, 0),
    "email_click": ("email_click", "email", "campaign", v.NEWSLETTERS, 80, 0),
    "ad_click": ("ad_click", "paid_social", "campaign", v.ACTIONS["ad_click"][2], 50, 140),
    "unsubscribe": ("unsubscribe", "email", "campaign", v.NEWSLETTERS, 3, 0),
    "webinar_registered": ("webinar_registered", "webinar", "campaign", v.WEBINARS, 30, 0),
    "webinar_attended": ("webinar_attended", "webinar", "campaign", v.WEBINARS, 25, 0),
    "event_attended": ("event_attended", "event", "campaign", v.ACTIONS["event_attended"][2], 10, 0),
    "content_download": ("content_download", "web", "asset", v.ASSETS, 50, 10),
    "form_submit": ("form_submit", "web", "asset", v.ASSETS, 20, 0),
    "trial_signup": ("trial_signup", "web", "url", ("/signup",), 8, 0),
    "demo_request": ("demo_request", "web", "url", ("/demo",), 4, 0),
    "contact_sales": ("contact_sales", "web", "url", ("/contact-sales",), 2, 0),
    "meeting_booked": ("meeting_booked", "sales", "campaign", v.ACTIONS["meeting_booked"][2], 4, 0),
    "chat": ("chat_started", "web", None, (), 9, 0),
}
NAME_WORDS = tuple(word for _, words in v.INDUSTRIES.values() for word in words)
# Weights of each value; NULL_SHARE the weight of a NULL beside them (the contract allows it there).
SENIORITY: Mapping[str, float] = v.SENIORITY
DEPARTMENTS: Mapping[str, float] = {department: share for department, (share, _) in v.DEPARTMENTS.items()}
INDUSTRIES: Mapping[str, float] = {industry: share for industry, (share, _) in v.INDUSTRIES.items()} | {"Other": 6}
REGIONS: Mapping[str, float] = v.REGIONS
NULL_SHARE = {"seniority": 3, "department": 2, "industry": 2, "region": 2}
CHANGE_KINDS: Mapping[str, float] = {
    "funding": 25,
    "new_executive": 25,
    "hiring_surge": 20,
    "acquisition": 10,
    "expansion": 10,
    "layoffs": 10,
}
RIVALS = tuple(v.RIVALS)


@dataclass(frozen=True)
class Scale:
    """How many rows of each table a number of activities brings."""

    activities: int
    accounts: int
    contacts: int
    reps: int
    intent: int
    change_events: int
    technographic_slots: int  # 8 candidate technologies per account, about 3 of them kept
    opportunities: int

    @classmethod
    def of(cls, activities: int) -> Scale:
        """>>> Scale.of(50_000_000).accounts, Scale.of(50_000_000).contacts
        (100000, 1000000)
        """
        accounts = max(10, round(activities / ACTIVITIES_PER_ACCOUNT))
        return cls(
            activities=activities,
            accounts=accounts,
            contacts=accounts * CONTACTS_PER_ACCOUNT,
            reps=max(8, -(-accounts // 100)),
            intent=activities // 20,
            change_events=accounts * 3 // 2,
            technographic_slots=accounts * 8,
            opportunities=accounts // 4,
        )


def generate(
    folder: Path, activities: int, *, seed: int = SEED, as_of: dt.date = AS_OF, threads: int | None = None
) -> dict[str, int]:
    """Write the eight tables as `<table>.parquet` into `folder`; return the rows written per table."""
    scale = Scale.of(activities)
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        for macro in _macros(scale, seed, as_of):
            con.execute(macro)
        queries = _queries(scale, as_of)
        written = {}
        for table in TABLES:
            path = folder / f"{table}.parquet"
            found = con.execute(f"COPY ({queries[table]}) TO {_quote(str(path))} (FORMAT parquet)").fetchone()
            written[table] = int(found[0]) if found else 0
        return written
    finally:
        con.close()


# ---- SQL text from constants (the only values spliced in are this module's own) -------------------------


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_quote(value) for value in values) + "]"


def _pick(values: Sequence[str], u: str) -> str:
    """One of `values`, uniformly, from a uniform number `u` in [0, 1)."""
    return f"{_list(values)}[1 + floor({u} * {len(values)})::BIGINT]"


def _weighted(weights: Mapping[str, float], u: str, null: float = 0) -> str:
    """One of the keys, with the given weights (and NULL with weight `null`), from a uniform `u` in [0, 1)."""
    total = sum(weights.values()) + null
    branches, cumulative = [], 0.0
    items = list(weights.items())
    for key, weight in items if null else items[:-1]:
        cumulative += weight / total
        branches.append(f"WHEN {u} < {cumulative:.9f} THEN {_quote(key)}")
    last = "NULL" if null else _quote(items[-1][0])
    return f"CASE {' '.join(branches)} ELSE {last} END"


def _index(weights: Sequence[float], u: str) -> str:
    """The 0-based index of a weight, drawn with those weights (zero weights never drawn)."""
    total = sum(weights)
    branches, cumulative = [], 0.0
    last = max(i for i, w in enumerate(weights) if w > 0)
    for i, weight in enumerate(weights):
        if weight > 0 and i != last:
            cumulative += weight / total
            branches.append(f"WHEN {u} < {cumulative:.9f} THEN {i}")
    return f"CASE {' '.join(branches)} ELSE {last} END"


def _coprime(size: int) -> int:
    """A multiplier that permutes 0..size-1 (n × it mod size), scattering neighbours."""
    step = max(1, int(size * 0.6180339887))
    while math.gcd(step, size) != 1:
        step += 1
    return step


def _width(count: int) -> int:
    return max(5, len(str(max(count - 1, 0))))


def _epoch(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


def _macros(scale: Scale, seed: int, as_of: dt.date) -> list[str]:
    a, c = scale.accounts, scale.contacts
    account_step, contact_step = _coprime(a), _coprime(c)
    return [
        # a uniform number in [0, 1) from a row number and a salt: 53 bits of DuckDB's hash
        f"CREATE MACRO u(i, salt) AS (hash(i, salt, {int(seed)}) >> 11)::DOUBLE / 9007199254740992.0",
        f"CREATE MACRO account_key(n) AS 'A' || lpad(n::VARCHAR, {_width(a)}, '0')",
        f"CREATE MACRO contact_key(j) AS 'C' || lpad(j::VARCHAR, {_width(c)}, '0')",
        f"CREATE MACRO rep_key(k) AS 'R' || lpad(k::VARCHAR, {_width(scale.reps)}, '0')",
        # contact j works at account account_of(j): contacts come in runs per account, the runs Zipf-like in
        # length (size ∝ rank^-1/2), the accounts' order scattered by a permutation
        f"CREATE MACRO account_of(j) AS (least(floor({a} * pow(j / {c}, 2))::BIGINT, {a - 1}) * {account_step}) % {a}",
        # a Zipf-like contact (activity per contact ∝ rank^-1/2) and account (intent, deals)
        f"CREATE MACRO zipf_contact(x) AS (least(floor({c} * pow(x, 2))::BIGINT, {c - 1}) * {contact_step}) % {c}",
        f"CREATE MACRO zipf_account(x) AS (least(floor({a} * pow(x, 1.5))::BIGINT, {a - 1}) * {account_step}) % {a}",
        f"CREATE MACRO stem(n) AS {_pick(v.STEMS, 'u(n, 11)')}",
        "CREATE MACRO base_domain(n) AS lower(stem(n)) || '-' || n::VARCHAR || '.com'",
        # 1 % of accounts have no domain; 0.5 % share the previous account's (domain matches go to the lower id)
        "CREATE MACRO domain_of(n) AS CASE WHEN u(n, 12) < 0.01 THEN NULL "
        "WHEN n > 0 AND u(n, 13) < 0.005 THEN base_domain(n - 1) ELSE base_domain(n) END",
        # how long an account has been quiet: its year of activity ended that many days ago (a third active
        # now, a sixth within 4 months, half longer ago: aware, engaged and unqualified accounts all occur)
        "CREATE MACRO quiet_days(n) AS CASE WHEN u(n, 14) < 0.35 THEN 0 WHEN u(n, 14) < 0.5 THEN floor(u(n, 15) * 120) "
        "ELSE 120 + floor(u(n, 15) * 280) END",
        f"CREATE MACRO rival(n) AS {_pick(RIVALS, 'u(n, 16)')}",
        f"CREATE MACRO horizon_minus(seconds) AS to_timestamp({_epoch(as_of + dt.timedelta(days=1))} - seconds)",
        # how an event row names its account (SPEC §3): by id, by domain as spelled, or by nothing known
        "CREATE MACRO spelled_account(n, x, key) AS CASE WHEN x < 0.70 THEN account_key(n) "
        "WHEN x >= 0.90 AND x < 0.95 THEN 'AX' || key END",
        "CREATE MACRO spelled_domain(n, x, key) AS CASE WHEN x < 0.70 THEN NULL WHEN x < 0.80 THEN domain_of(n) "
        "WHEN x < 0.85 THEN 'www.' || domain_of(n) WHEN x < 0.90 THEN upper(domain_of(n)) "
        "WHEN x < 0.95 THEN domain_of(n) ELSE 'visitor-' || key || '.example.net' END",
    ]


def _queries(scale: Scale, as_of: dt.date) -> dict[str, str]:
    return {
        "accounts": _accounts(scale, as_of),
        "contacts": _contacts(scale, as_of),
        "activities": _activities(scale),
        "intent": _intent(scale, as_of),
        "change_events": _change_events(scale),
        "technographics": _technographics(scale, as_of),
        "opportunities": _opportunities(scale),
        "reps": _reps(scale),
    }


def _reps_split(scale: Scale) -> tuple[int, int]:
    account_executives = max(1, scale.reps * 4 // 5)
    return account_executives, scale.reps - account_executives


def _accounts(scale: Scale, as_of: dt.date) -> str:
    aes, csms = _reps_split(scale)
    countries = " ".join(
        f"WHEN {_quote(region)} THEN {_pick(names, 'u(n, 24)')}" for region, names in v.COUNTRIES.items()
    )
    return f"""
    SELECT account_key(n) AS account_id,
        stem(n) || ' ' || {_pick(NAME_WORDS, "u(n, 20)")} AS name,
        domain_of(n) AS domain, industry, employees,
        CASE WHEN employees IS NOT NULL AND u(n, 22) >= 0.1
             THEN round(employees * (80000 + 270000 * u(n, 23)), -5) END::DOUBLE AS annual_revenue,
        region, CASE region {countries} END AS country,
        CASE WHEN employees >= 5000 THEN 1 WHEN employees >= 500 THEN 2 WHEN employees IS NOT NULL THEN 3 END::BIGINT
            AS tier,
        CASE WHEN u(n, 25) >= 0.03 THEN rep_key(floor(u(n, 26) * {aes})::BIGINT) END AS owner_id,
        CASE WHEN customer THEN rep_key({aes} + floor(u(n, 27) * {csms})::BIGINT) END AS csm_id,
        customer AS is_customer,
        CASE WHEN customer THEN DATE '{as_of}' + (floor(u(n, 28) * 385)::INTEGER - 20) END AS renewal_date,
        CASE WHEN customer THEN round(coalesce(employees, 100) * (15 + 45 * u(n, 29)), -3) END::DOUBLE AS arr,
        CASE WHEN customer THEN round(10 + 90 * u(n, 30), 1) END::DOUBLE AS health_score,
        CASE WHEN u(n, 31) < 0.05 THEN true END AS target,
        CASE WHEN u(n, 32) < 0.03 THEN true END AS sales_accepted,
        CASE WHEN employees >= 2000 THEN 'Enterprise' WHEN employees >= 200 THEN 'Mid-Market'
             WHEN employees IS NOT NULL THEN 'SMB' END AS segment
    FROM (
        SELECT n, {_weighted(INDUSTRIES, "u(n, 17)", NULL_SHARE["industry"])} AS industry,
            CASE WHEN u(n, 18) >= 0.02 THEN floor(10 * pow(3000, u(n, 19)))::BIGINT END AS employees,
            {_weighted(REGIONS, "u(n, 21)", NULL_SHARE["region"])} AS region,
            u(n, 33) < 0.12 AS customer
        FROM range({scale.accounts}) t(n)
    )"""


def _contacts(scale: Scale, as_of: dt.date) -> str:
    chiefs = list(v.C_LEVEL.items())
    titles = _list([title for title, _ in chiefs])
    chief_departments = _list([department for _, department in chiefs])
    return f"""
    SELECT contact_key(j) AS contact_id,
        CASE WHEN u(j, 40) < 0.003 THEN 'AX' || contact_key(j) ELSE account_key(account_of(j)) END AS account_id,
        first_name, last_name,
        CASE WHEN x < 0.03 THEN NULL
             WHEN x < 0.055 THEN mailbox || '@gmail.com'
             WHEN x < 0.065 THEN mailbox || '@Yahoo.com'
             WHEN x < 0.07 THEN upper(mailbox) || '@HOTMAIL.COM'
             ELSE mailbox || '@' || coalesce(domain_of(account_of(j)), 'example.com') END AS email,
        CASE seniority WHEN 'C-Level' THEN {titles}[chief + 1]
                       WHEN 'VP' THEN 'VP of ' || department
                       WHEN 'Director' THEN 'Director of ' || department
                       WHEN 'Manager' THEN department || ' Manager'
                       ELSE department || ' Specialist' END AS title,
        CASE WHEN seniority = 'C-Level' THEN {chief_departments}[chief + 1] ELSE department END AS department,
        seniority,
        horizon_minus(floor(u(j, 45) * 700 * 86400)) AS created_at,
        CASE WHEN u(j, 46) < 0.03 THEN true WHEN u(j, 46) < 0.5 THEN false END AS unsubscribed,
        CASE WHEN u(j, 47) < 0.02 THEN true END AS sales_accepted
    FROM (
        SELECT j, first_name, last_name, u(j, 48) AS x, floor(u(j, 49) * {len(chiefs)})::BIGINT AS chief,
            {_weighted(SENIORITY, "u(j, 50)", NULL_SHARE["seniority"])} AS seniority,
            {_weighted(DEPARTMENTS, "u(j, 51)", NULL_SHARE["department"])} AS department,
            lower(coalesce(first_name, 'x') || '.' || replace(coalesce(last_name, 'y'), '''', '')) AS mailbox
        FROM (
            SELECT j, CASE WHEN u(j, 41) >= 0.005 THEN {_pick(v.FIRST, "u(j, 42)")} END AS first_name,
                CASE WHEN u(j, 43) >= 0.01 THEN {_pick(v.LAST, "u(j, 44)")} END AS last_name
            FROM range({scale.contacts}) t(j)
        )
    )"""


def _activities(scale: Scale) -> str:
    names = list(VARIANTS)
    kinds = [VARIANTS[name] for name in names]
    known = _index([kind[4] for kind in kinds], "u_kind")
    anonymous = _index([kind[5] for kind in kinds], "u_kind")

    def column(wanted: str) -> str:
        branches = []
        for i, (name, (_, _, filled, values, _, _)) in enumerate(zip(names, kinds, strict=True)):
            if filled != wanted:
                continue
            if name == "compare":
                value = f"'{v.SITE}/compare/' || lower(rival(n)) || '-vs-us'"
            else:
                value = _pick(values, "u_value")
                value = f"'{v.SITE}' || {value}" if wanted == "url" else value
            branches.append(f"WHEN {i} THEN {value}")
        return f"CASE variant {' '.join(branches)} END"

    with_topic = [i for i, kind in enumerate(kinds) if kind[2] == "asset" or kind[1] == "webinar"]
    return f"""
    SELECT 'ACT' || lpad(i::VARCHAR, {_width(scale.activities)}, '0') AS activity_id,
        horizon_minus(floor((quiet_days(n) + 368 * pow(u_age, 1.4) - 3) * 86400)) AS occurred_at,
        {_list([kind[0] for kind in kinds])}[variant + 1] AS type,
        CASE WHEN anonymous THEN NULL
             WHEN u_spell < 0.002 THEN 'CX' || contact_key(j)
             ELSE contact_key(j) END AS contact_id,
        CASE WHEN NOT anonymous THEN
                 CASE WHEN u_spell >= 0.98 THEN account_key((n + 1) % {scale.accounts})
                      WHEN u_spell >= 0.90 THEN account_key(n) END
             WHEN u_spell < 0.45 THEN account_key(n)
             WHEN u_spell >= 0.85 AND u_spell < 0.90 THEN 'AX' || contact_key(j) END AS account_id,
        CASE WHEN NOT anonymous THEN NULL
             WHEN u_spell < 0.40 THEN NULL
             WHEN u_spell < 0.45 THEN domain_of((n + 1) % {scale.accounts})
             WHEN u_spell < 0.65 THEN domain_of(n)
             WHEN u_spell < 0.75 THEN 'www.' || domain_of(n)
             WHEN u_spell < 0.85 THEN upper(domain_of(n))
             WHEN u_spell < 0.90 THEN domain_of(n)
             ELSE 'visitor-' || (i % 997)::VARCHAR || '.example.net' END AS domain,
        {column("url")} AS url,
        {column("asset")} AS asset,
        CASE WHEN variant IN ({", ".join(map(str, with_topic))}) THEN {_pick(v.TOPICS, "u_value")} END AS topic,
        {column("campaign")} AS campaign,
        {_list([kind[1] for kind in kinds])}[variant + 1] AS channel
    FROM (
        SELECT *, account_of(j) AS n, CASE WHEN anonymous THEN {anonymous} ELSE {known} END AS variant
        FROM (
            SELECT i, zipf_contact(u(i, 1)) AS j, u(i, 2) < 0.2 AS anonymous, u(i, 3) AS u_spell,
                u(i, 4) AS u_kind, u(i, 5) AS u_age, u(i, 6) AS u_value
            FROM range({scale.activities}) t(i)
        )
    )"""


def _intent(scale: Scale, as_of: dt.date) -> str:
    monday = as_of - dt.timedelta(days=as_of.weekday())
    monday_6am = _epoch(monday) + 6 * 3600
    return f"""
    SELECT to_timestamp({monday_6am} - week * 7 * 86400) AS observed_at, topic,
        floor(101 * pow(u(k, 74), 1.2))::DOUBLE AS score,
        CASE WHEN u(k, 75) >= 0.01 THEN 'INT' || lpad(k::VARCHAR, {_width(scale.intent)}, '0') END AS intent_id,
        spelled_account(n, x, k::VARCHAR) AS account_id, spelled_domain(n, x, k::VARCHAR) AS domain,
        CASE WHEN u(k, 76) < 0.05 THEN contact_key(zipf_contact(u(k, 77))) END AS contact_id,
        topic_category,
        CASE WHEN topic_category = 'competitor' AND u(k, 78) >= 0.05 THEN topic END AS competitor,
        {_pick(("Bombora", "G2", "TrustRadius"), "u(k, 79)")} AS source
    FROM (
        SELECT k, n, x, week, topic_category,
            CASE topic_category WHEN 'category' THEN {_pick(v.TOPICS, "u(k, 80)")}
                                WHEN 'competitor' THEN CASE WHEN u(k, 81) < 0.7 THEN rival(n)
                                                            ELSE {_pick(RIVALS, "u(k, 82)")} END
                                ELSE 'Beacon' END AS topic
        FROM (
            SELECT k, zipf_account(u(k, 70)) AS n, u(k, 71) AS x,
                CASE WHEN u(k, 72) < 0.01 THEN -1 ELSE floor(52 * u(k, 73))::BIGINT END AS week,
                {_weighted({"category": 55, "competitor": 30, "product": 15}, "u(k, 83)")} AS topic_category
            FROM range({scale.intent}) t(k)
        )
    )"""


def _change_events(scale: Scale) -> str:
    executives = ("CRO", "CMO", "CFO", "CIO", "VP Sales", "VP Marketing")
    return f"""
    SELECT horizon_minus(floor((368 * u(e, 91) - 3) * 86400)) AS occurred_at, kind,
        'EV' || lpad(e::VARCHAR, {_width(scale.change_events)}, '0') AS event_id,
        spelled_account(n, x, e::VARCHAR) AS account_id, spelled_domain(n, x, e::VARCHAR) AS domain,
        CASE WHEN u(e, 92) < 0.03 THEN NULL
             WHEN kind = 'funding' THEN {_pick(("Seed", "Series A", "Series B", "Series C", "Series D"), "u(e, 93)")}
             WHEN kind = 'new_executive' THEN 'New ' || {_pick(executives, "u(e, 93)")} || ': '
                 || {_pick(v.FIRST, "u(e, 94)")} || ' ' || {_pick(v.LAST, "u(e, 95)")}
             WHEN kind = 'hiring_surge' THEN (15 + floor(u(e, 93) * 100))::BIGINT::VARCHAR || ' open roles'
             WHEN kind = 'acquisition' THEN 'Acquired ' || {_pick(v.STEMS, "u(e, 93)")} || ' Analytics'
             WHEN kind = 'expansion' THEN 'New office in ' || {_pick(("London", "Austin", "Berlin"), "u(e, 93)")}
             ELSE 'Headcount reduced by ' || (5 + floor(u(e, 93) * 15))::BIGINT::VARCHAR || '%' END AS detail,
        CASE WHEN kind IN ('funding', 'acquisition') THEN round(1 + 99 * u(e, 96)) * 1000000 END::DOUBLE AS amount
    FROM (
        SELECT e, floor({scale.accounts} * u(e, 90))::BIGINT AS n, u(e, 97) AS x,
            {_weighted(CHANGE_KINDS, "u(e, 98)")} AS kind
        FROM range({scale.change_events}) t(e)
    )"""


def _technographics(scale: Scale, as_of: dt.date) -> str:
    tools = list(v.TOOLS)
    rivals = list(v.RIVALS.items())  # vendor, product
    return f"""
    SELECT technology, vendor, category, spelled_account(n, x, k::VARCHAR) AS account_id,
        spelled_domain(n, x, k::VARCHAR) AS domain,
        CASE WHEN u(k, 104) < 0.05 THEN NULL ELSE slot >= 6 END AS is_competitor,
        CASE WHEN u(k, 105) < 0.75 THEN DATE '{as_of}' - (30 + floor(u(k, 106) * 670))::INTEGER
             WHEN u(k, 105) < 0.80 THEN DATE '{as_of}' + (1 + floor(u(k, 106) * 30))::INTEGER END AS first_seen,
        CASE WHEN u(k, 107) < 0.25 THEN DATE '{as_of}' - floor(u(k, 108) * 250)::INTEGER
             WHEN u(k, 107) < 0.27 THEN DATE '{as_of}' + (1 + floor(u(k, 108) * 30))::INTEGER END AS last_seen
    FROM (
        SELECT k, n, slot, x,
            CASE WHEN slot = 0 THEN CASE WHEN u(k, 101) < 0.65 THEN 'Salesforce' ELSE 'HubSpot' END
                 WHEN slot < 6 THEN {_list([t for t, _, _ in tools])}[tool + 1]
                 ELSE {_list([product for _, product in rivals])}[rival + 1] END AS technology,
            CASE WHEN slot = 0 THEN CASE WHEN u(k, 101) < 0.65 THEN 'Salesforce' ELSE 'HubSpot' END
                 WHEN slot < 6 THEN {_list([vendor for _, vendor, _ in tools])}[tool + 1]
                 ELSE {_list([vendor for vendor, _ in rivals])}[rival + 1] END AS vendor,
            CASE WHEN slot = 0 THEN 'CRM' WHEN slot < 6 THEN {_list([c for _, _, c in tools])}[tool + 1]
                 ELSE 'ABM' END AS category
        FROM (
            SELECT k, k // 8 AS n, k % 8 AS slot, u(k, 100) AS x,
                floor(u(k, 102) * {len(tools)})::BIGINT AS tool, floor(u(k, 103) * {len(rivals)})::BIGINT AS rival
            FROM range({scale.technographic_slots}) t(k)
            WHERE u(k, 109) < CASE WHEN k % 8 = 0 THEN 0.85 WHEN k % 8 < 6 THEN 0.4 ELSE 0.1 END
        )
    )"""


def _opportunities(scale: Scale) -> str:
    aes, _ = _reps_split(scale)
    stages = ("Discovery", "Evaluation", "Proposal", "Negotiation")
    types = {"new_business": 60, "renewal": 25, "expansion": 15}
    return f"""
    SELECT 'OPP' || lpad(o::VARCHAR, {_width(scale.opportunities)}, '0') AS opportunity_id,
        CASE WHEN u(o, 111) < 0.01 THEN 'AX' || o::VARCHAR ELSE account_key(n) END AS account_id,
        created_at, closed_at,
        CASE WHEN closed AND won THEN 'Closed Won' WHEN closed THEN 'Closed Lost'
             ELSE {_pick(stages, "u(o, 112)")} END AS stage,
        CASE WHEN u(o, 113) >= 0.05 THEN round(5000 + 495000 * pow(u(o, 114), 2), -2) END::DOUBLE AS amount,
        closed AS is_closed, closed AND won AS is_won,
        {_weighted(types, "u(o, 115)")} AS type,
        rep_key(floor(u(o, 116) * {aes})::BIGINT) AS owner_id
    FROM (
        SELECT o, n, created_at, u(o, 119) < 0.4 AS won,
            CASE WHEN dated THEN created_at + to_days((5 + floor(u(o, 117) * 150))::INTEGER) END AS closed_at,
            dated OR u(o, 118) < 0.03 AS closed
        FROM (
            SELECT o, zipf_account(u(o, 110)) AS n, u(o, 120) < 0.65 AS dated,
                horizon_minus(floor((400 * u(o, 121) - 5) * 86400)) AS created_at
            FROM range({scale.opportunities}) t(o)
        )
    )"""


def _reps(scale: Scale) -> str:
    aes, _ = _reps_split(scale)
    teams = ("Enterprise", "NA East", "NA West", "EMEA", "APAC & LATAM")
    return f"""
    SELECT rep_key(k) AS rep_id, first || ' ' || last AS name,
        lower(first || '.' || replace(last, '''', '')) || '@beaconhq.com' AS email,
        CASE WHEN k < {aes} THEN 'AE' ELSE 'CSM' END AS role,
        CASE WHEN k < {aes} THEN {_pick(teams, "u(k, 132)")} ELSE 'Customer Success' END AS team,
        CASE WHEN u(k, 133) >= 0.1 THEN 10 + floor(u(k, 134) * 30)::BIGINT END AS capacity,
        'U' || lpad(k::VARCHAR, 8, '0') AS slack_user_id
    FROM (SELECT k, {_pick(v.FIRST, "u(k, 130)")} AS first, {_pick(v.LAST, "u(k, 131)")} AS last
          FROM range({scale.reps}) t(k))"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the benchmark's data (SPEC §3 tables) as Parquet.")
    parser.add_argument("--activities", type=int, required=True, help="activity rows, e.g. 10_000_000")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write <table>.parquet into")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF, help="YYYY-MM-DD")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    written = generate(args.out, args.activities, seed=args.seed, as_of=args.as_of)
    for table, rows in written.items():
        print(f"{table:<15} {rows:>12,}")
    print(f"wrote {sum(written.values()):,} rows to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
