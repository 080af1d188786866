"""The demo data (SPEC §6 `whynow demo`): a realistic synthetic company — 20 reps, 2,000 accounts, 20,000
people and a year of about 500,000 activities, intent, change events, technographics and deals — written as
the data contract's tables (§3) in Parquet or CSV files, the same data for the same seed."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import accumulate, count
from pathlib import Path
from typing import cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from whynow.data.contract import TABLES, ColumnType
from whynow.demo import vocabulary as v

DEMO_AS_OF = date(2026, 11, 20)
Cell = str | int | float | date | None  # bool is an int; a timestamp is seconds since the epoch, UTC
Row = dict[str, Cell]
# Activities as columns while they are generated: when, action, contact_id, account_id, domain.
_Events = tuple[list[int], list[str], list[str | None], list[str | None], list[str | None]]

_CUSTOMER = ("at_risk", "expanding", "renewing", "steady")
_HOT = ("switching", "comparing", "surging", "hand_raiser", "expanding")


@dataclass
class _Company:
    """One account while it is generated: its row, its people and the story behind its signals."""

    id: str
    domain: str
    story: str
    employees: int
    rival: str  # the competitor it uses, researches or compares us with
    won_days_ago: int | None = None  # a customer won this year: when its first deal closed
    row: Row = field(default_factory=dict)
    contacts: list[Row] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    reach: list[float] = field(default_factory=list)  # cumulative weights: a few people do most of the activity
    episodes: list[int] = field(default_factory=list)  # days ago each buying episode ended
    spellings: tuple[tuple[str | None, str | None], ...] = ()  # how others name it: (account_id, domain)

    @property
    def temperature(self) -> str:
        return "hot" if self.story in _HOT else "cold" if self.story == "cold" else "warm"


_OPEN_STAGES = ("Discovery", "Evaluation", "Proposal", "Negotiation")
_ARROW = {"text": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
          "date": pa.date32(), "timestamp": pa.timestamp("s", tz="UTC")}  # fmt: skip


def generate_demo_data(
    folder: Path, *, seed: int = 7, as_of: date = DEMO_AS_OF, accounts: int = 2000, fmt: str = "parquet"
) -> dict[str, int]:
    """Write the demo company's tables into `folder` as Parquet (or CSV) files; return the rows per table.

    The same seed gives the same data. Every timestamp lies in the year that ends on `as_of`; only
    renewal dates lie ahead of it. A table's file in the other format is removed.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = generate_demo_data(Path(tmp), accounts=30, fmt="csv")
    ...     files = sorted(p.name for p in Path(tmp).iterdir())
    >>> written["accounts"], written["reps"], list(written) == list(TABLES), files[:2]
    (30, 20, True, ['accounts.csv', 'activities.csv'])
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt is 'parquet' or 'csv', not {fmt!r}")
    rng = random.Random(seed)
    reps = [_rep(rng, *rep) for rep in v.REPS]
    taken: set[str] = set()
    numbers = count(1)
    stories = _cast_stories(rng, accounts, v.STORIES)
    companies = [_company(rng, n, story, as_of, taken, numbers) for n, story in enumerate(stories, 1)]

    def each(make: Callable[[random.Random, date, _Company], list[Row]]) -> list[Row]:
        return [row for company in companies for row in make(rng, as_of, company)]

    tables: dict[str, list[Row] | dict[str, list[Cell]]] = {
        "accounts": [c.row for c in companies],
        "contacts": [p for c in companies for p in c.contacts],
        "intent": _numbered(each(_intent), "intent_id", "INT", "observed_at"),
        "change_events": _numbered(each(_changes), "event_id", "EV", "occurred_at"),
        "technographics": each(_technographics),
        "opportunities": _numbered(each(_opportunities), "opportunity_id", "OPP", "created_at"),
        "reps": reps,
        "activities": _activities(rng, as_of, companies),
    }
    folder.mkdir(parents=True, exist_ok=True)
    return {name: _write(folder, name, tables[name], fmt) for name in TABLES}


def _types(table: str) -> dict[str, ColumnType]:
    """The columns written, in order: the contract's, and the accounts' extra `segment`."""
    return {c.name: c.type for c in TABLES[table].columns} | ({"segment": "text"} if table == "accounts" else {})


def _write(folder: Path, table: str, data: list[Row] | dict[str, list[Cell]], fmt: str) -> int:
    """Write a table, rows or columns (emptied on the way, to spare memory), as `<table>.parquet` or `.csv`."""
    types = _types(table)
    columns = data if isinstance(data, dict) else {column: [row.get(column) for row in data] for column in types}
    rows = max(map(len, columns.values()), default=0)
    for ext in ("csv", "parquet"):  # never both accounts.csv and accounts.parquet
        (folder / f"{table}.{ext}").unlink(missing_ok=True)
    values = (columns.pop(column, []) or [None] * rows for column in types)
    if fmt == "parquet":
        arrays = [pa.array(v, _ARROW[t]) for v, t in zip(values, types.values(), strict=True)]
        arrays = [a.cast(pa.timestamp("us", tz="UTC")) if a.type == _ARROW["timestamp"] else a for a in arrays]
        pq.write_table(pa.table(arrays, names=list(types)), folder / f"{table}.parquet")
        return rows
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(types)
        writer.writerows(zip(*(_texts(v, t) for v, t in zip(values, types.values(), strict=True)), strict=True))
    return rows


def _texts(values: list[Cell], kind: ColumnType) -> list[str]:
    """SPEC §3 in a CSV file: true/false, ISO dates, UTC timestamps with a Z, an empty field for NULL."""
    if kind == "timestamp":
        stamps = pc.strftime(pa.array(values, pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%SZ")
        return [stamp or "" for stamp in stamps.to_pylist()]
    if kind == "boolean":
        return ["" if v is None else "true" if v else "false" for v in values]
    return ["" if v is None else str(v) for v in values]


def _numbered(rows: list[Row], id_column: str, prefix: str, time_column: str) -> list[Row]:
    """Rows in time order with ids that follow it, as a system of record numbers them."""
    rows.sort(key=lambda row: cast(int, row[time_column]))
    width = max(6, len(str(len(rows))))
    for number, row in enumerate(rows, 1):
        row[id_column] = f"{prefix}{number:0{width}d}"
    return rows


@cache
def _midnight(day: date) -> int:
    return int(datetime.combine(day, time(), UTC).timestamp())


def _at(rng: random.Random, as_of: date, days_ago: int) -> int:
    """A working-hours moment that many days before `as_of`, kept within the year that ends on it."""
    return _midnight(as_of) - min(max(days_ago, 0), 364) * 86400 + rng.randrange(7 * 3600, 21 * 3600)


@cache
def _day_weights(as_of: date) -> list[float]:
    """Cumulative weights of days ago 0…364: weekends are quiet."""
    return list(accumulate(0.25 if (as_of - timedelta(days=d)).weekday() >= 5 else 1 for d in range(365)))


def _days(rng: random.Random, as_of: date, k: int, hot: bool = False) -> list[int]:
    """Days ago of k activities: an eighth on any day, the rest in 1-3 busy spells (a hot account's is now)."""
    weights = _day_weights(as_of)
    days = rng.choices(range(365), cum_weights=weights, k=k // 8)
    spells = rng.randint(1, 3)
    for spell in range(spells, 0, -1):
        start = 0 if hot and spell == spells else rng.randint(0, 330)
        end = start + rng.randint(14, 35)
        base = weights[start - 1] if start else 0
        spread = [w - base for w in weights[start:end]]
        days += rng.choices(range(start, end), cum_weights=spread, k=(k - len(days)) // spell)
    return days


def _stamps(rng: random.Random, as_of: date, days: list[int]) -> list[int]:
    hours, seconds = rng.choices(range(24), v.HOURS, k=len(days)), rng.choices(range(3600), k=len(days))
    midnight = _midnight(as_of)
    return [midnight - min(d, 364) * 86400 + h * 3600 + s for d, h, s in zip(days, hours, seconds, strict=True)]


def _cast_stories(rng: random.Random, n: int, shares: dict[str, float]) -> list[str]:
    """n stories in the given percent shares, each at least once while n allows, shuffled."""
    stories = [story for story, share in shares.items() for _ in range(max(1, round(n * share / 100)))]
    stories = (stories + [list(shares)[-1]] * n)[:n]
    rng.shuffle(stories)
    return stories


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _resolvable(rng: random.Random, company: _Company) -> Row:
    """How a vendor's row names its account (SPEC §3): by id, or by a domain as it comes (www., capitals)."""
    return dict(zip(("account_id", "domain"), rng.choices(company.spellings, cum_weights=v.SPELLINGS)[0], strict=True))


def _rep(rng: random.Random, rep_id: str, name: str, role: str, team: str, capacity: int | None) -> Row:
    slack = "U" + "".join(rng.choices("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", k=8)) if rng.random() < 0.8 else None
    email = name.lower().replace(" ", ".") + "@beaconhq.com"
    return {"rep_id": rep_id, "name": name, "email": email, "role": role, "team": team, "capacity": capacity,
            "slack_user_id": slack}  # fmt: skip


def _company(rng: random.Random, n: int, story: str, as_of: date, taken: set[str], numbers: Iterator[int]) -> _Company:
    icp = rng.random() < (0.35 if story in ("cold", "warm") else 0.7)  # a story leans towards the ideal profile
    industries = tuple(i for i in v.INDUSTRIES if (i in ("Software", "Financial Services", "Healthcare")) == icp)
    industry = rng.choices(industries, [v.INDUSTRIES[i][0] for i in industries])[0]
    words = v.INDUSTRIES[industry][1]
    name = f"{rng.choice(v.STEMS)} {rng.choice(words)}"
    while name in taken:  # another with a prefix; now and then with its number, which is unique
        name = f"{rng.choice(v.PREFIXES)} {rng.choice(v.STEMS)} {rng.choice(words)}" + f" {n}" * (rng.random() < 0.1)
    stem = _slug(name.rsplit(" ", 1)[0])
    domain = next(d for d in (f"{stem}.com", f"{_slug(name)}.com", f"{_slug(name)}{n}.io") if d not in taken)
    taken.update((name, domain))
    employees = round(10 ** (rng.uniform(2.3, 4) if icp else rng.triangular(1, 4.3, 1.5)))  # 10 to 20,000
    company = _Company(f"A{n:04d}", domain, story, employees, rng.choice(list(v.RIVALS)))
    company.spellings = (company.id, None), (None, domain), (None, f"www.{domain}"), (None, domain.upper())
    company.row = _account(rng, company, name, industry, rng.choice(("NA", "EMEA")) if icp else "")
    if story in _CUSTOMER:
        _customer(rng, company, as_of)
    people = max(2, round(len(str(employees)) ** 1.5 * rng.uniform(1.0, 2.3) + rng.uniform(0, 2)))  # 10 on average
    pairs = rng.sample(range(len(v.FIRST) * len(v.LAST)), people)  # different names
    names = [(v.FIRST[k // len(v.LAST)], v.LAST[k % len(v.LAST)]) for k in pairs]
    company.contacts = [_contact(rng, company, next(numbers), as_of, *name) for name in names]
    company.people = [str(p["contact_id"]) for p in company.contacts]
    company.reach = list(accumulate(0.35**rank for rank in range(len(company.people))))
    rng.shuffle(company.people)  # who is busiest is chance; contact order stays
    company.episodes = _episodes(rng, company)
    return company


def _account(rng: random.Random, company: _Company, name: str, industry: str, region: str) -> Row:
    region = region or rng.choices(list(v.REGIONS), list(v.REGIONS.values()))[0]
    employees = company.employees
    tier = 1 if employees >= 5000 else 2 if employees >= 500 else 3
    owners = v.OWNERS["tier 1" if tier == 1 else region]
    revenue = int(round(employees * rng.uniform(80_000, 350_000), -5)) if rng.random() < 0.9 else None
    return {"account_id": company.id, "name": name, "domain": company.domain, "industry": industry,
            "employees": employees, "annual_revenue": revenue, "region": region,
            "country": rng.choice(v.COUNTRIES[region]), "tier": tier,
            "owner_id": rng.choice(owners) if rng.random() > 0.03 else None,
            "is_customer": company.story in _CUSTOMER, "target": True if rng.random() < 0.05 else None,
            "sales_accepted": True if rng.random() < 0.03 else None,
            "segment": "Enterprise" if employees >= 2000 else "Mid-Market" if employees >= 200 else "SMB"}  # fmt: skip


def _customer(rng: random.Random, company: _Company, as_of: date) -> None:
    """Customer terms: a renewal a year after the deal was won (for some, this year), ARR and health."""
    won = company.won_days_ago = rng.randint(20, 290) if rng.random() < 0.4 and company.story != "renewing" else None
    renews_in = 365 - won if won is not None else rng.randint(7, 110 if company.story == "renewing" else 365)
    health = rng.uniform(20, 48) if company.story == "at_risk" else rng.uniform(50, 100)
    arr = min(max(int(round(company.employees * rng.uniform(15, 60), -3)), 12_000), 600_000)
    company.row |= {"csm_id": rng.choice(v.OWNERS["CSM"]), "renewal_date": as_of + timedelta(days=renews_in),
                    "arr": arr, "health_score": round(health, 1)}  # fmt: skip


def _contact(rng: random.Random, company: _Company, number: int, as_of: date, first: str, last: str) -> Row:
    seniority = rng.choices(list(v.SENIORITY), list(v.SENIORITY.values()))[0]
    department = rng.choices(list(v.DEPARTMENTS), [share for share, _ in v.DEPARTMENTS.values()])[0]
    titles = {"VP": (f"VP of {department}", f"SVP, {department}"),
              "Director": (f"Director of {department}", f"Senior Director, {department}", f"Head of {department}"),
              "Manager": (f"{department} Manager", f"Senior {department} Manager")}  # fmt: skip
    title = rng.choice(titles.get(seniority, v.DEPARTMENTS[department][1]))
    if seniority == "C-Level":
        title, department = rng.choice(list(v.C_LEVEL.items()))
    mailbox = f"{_slug(first)}.{_slug(last)}"
    email = f"{mailbox}{rng.randint(1, 99)}@gmail.com" if rng.random() < 0.03 else f"{mailbox}@{company.domain}"
    return {"contact_id": f"C{number:06d}", "account_id": company.id, "first_name": first, "last_name": last,
            "email": email, "title": title, "department": department, "seniority": seniority,
            "created_at": _at(rng, as_of, rng.randint(0, 364)), "unsubscribed": rng.random() < 0.04,
            "sales_accepted": True if rng.random() < 0.02 else None}  # fmt: skip


def _episodes(rng: random.Random, company: _Company) -> list[int]:
    """Days ago each buying episode ended: hot accounts' in the last days, new customers' before the deal."""
    older = {"cold": (80, 20, 0), "warm": (35, 50, 15), "hot": (50, 40, 10)}[company.temperature]
    episodes = [rng.randint(10, 350) for _ in range(rng.choices((0, 1, 2), older)[0])]
    if company.temperature == "hot" or (company.story in ("funded", "new_leader") and rng.random() < 0.3):
        episodes.append(rng.randint(0, 3))
    if company.won_days_ago is not None:
        episodes.append(company.won_days_ago + rng.randint(55, 70))
    return episodes


@cache
def _mix(name: str, rival: str) -> tuple[list[str], list[int]]:
    """A mix's actions (a comparison page names the rival) and their cumulative weights."""
    actions = [f"compare:{rival}" if action == "compare" else action for action in v.MIXES[name]]
    return actions, list(accumulate(v.MIXES[name].values()))


@cache
def _variants() -> dict[str, list[tuple[str | None, ...]]]:
    """Per action, the activity rows it can be: type, channel, url, asset, topic, campaign."""
    variants: dict[str, list[tuple[str | None, ...]]] = {}
    for action, (channel, column, values) in v.ACTIONS.items():
        kind = "page_view" if action in v.PAGES else action
        topics = v.TOPICS if column == "asset" or channel == "webinar" else (None,)
        for rival in v.RIVALS if action == "compare" else ("",):
            rows = variants.setdefault(f"{action}:{rival}" if rival else action, [])
            for value in values:
                text = (v.SITE if column == "url" else "") + value.replace("{rival}", rival.lower())
                url, asset, campaign = (text if column == c else None for c in ("url", "asset", "campaign"))
                rows += [(kind, channel, url, asset, topic, campaign) for topic in topics]
    return variants


def _activities(rng: random.Random, as_of: date, companies: list[_Company]) -> dict[str, list[Cell]]:
    """The year's activities in time order, numbered, as columns (no row objects: half a million rows)."""
    parts = [_engagement(rng, as_of, company) for company in companies]
    parts.append(_unmatched(rng, as_of, sum(len(part[0]) for part in parts) // 100))
    stamps = [stamp for part in parts for stamp in part[0]]
    order = sorted(range(len(stamps)), key=stamps.__getitem__)
    actions = [action for part in parts for action in part[1]]
    variants, width = _variants(), max(6, len(str(len(order))))
    picks = [rng.choice(variants[actions[i]]) for i in order]  # shared tuples: little memory
    columns: dict[str, list[Cell]] = {"activity_id": [f"ACT{n:0{width}d}" for n in range(1, len(order) + 1)]}
    columns["occurred_at"] = [stamps[i] for i in order]
    for index, name in enumerate(("contact_id", "account_id", "domain"), 2):
        values = [value for part in parts for value in part[index]]
        columns[name] = [values[i] for i in order]
    kinds = ("type", "channel", "url", "asset", "topic", "campaign")
    return columns | {name: [pick[index] for pick in picks] for index, name in enumerate(kinds)}


def _engagement(rng: random.Random, as_of: date, company: _Company) -> _Events:
    """A company's year: its people's background (heavy-tailed, in busy spells, most of it by a few of them),
    buying episodes, the story's recent moves, and anonymous visits (a fifth) resolved by id or domain."""
    people = company.people
    rate = v.RATE["customer" if company.story in _CUSTOMER else company.temperature]
    volume = round(len(people) * min(rate * rng.lognormvariate(0, 2.2), 300))  # heavy-tailed, capped
    who: list[str | None] = rng.choices(people, cum_weights=company.reach, k=volume)
    actions, weights = _mix("background", company.rival)
    what = rng.choices(actions, cum_weights=weights, k=volume)
    when = _days(rng, as_of, volume, company.temperature == "hot")
    actions, weights = _mix("expanding" if company.story == "expanding" else "episode", company.rival)
    for ended in company.episodes:
        committee = rng.sample(people, min(len(people), rng.randint(2, 6)))
        k = len(committee) * rng.randint(3, 12 if ended <= 3 else 8)
        who += rng.choices(committee, k=k)
        what += rng.choices(actions, cum_weights=weights, k=k)
        when += [ended + int(rng.random() * 12) for _ in range(k)]
    moves = _story_moves(rng, company)
    moves += [(str(p["contact_id"]), "unsubscribe", rng.randint(0, 364)) for p in company.contacts if p["unsubscribed"]]
    for person, action, days in moves:
        who.append(person)
        what.append(f"compare:{company.rival}" if action == "compare" else action)
        when.append(days)
    k = round(len(who) * rng.uniform(0.15, 0.35))
    spelled = rng.choices(company.spellings, cum_weights=v.SPELLINGS, k=k)
    actions, weights = _mix("anonymous", company.rival)
    return (
        _stamps(rng, as_of, when + rng.choices(when, k=k)),
        what + rng.choices(actions, cum_weights=weights, k=k),
        who + [None] * k,
        [company.id] * len(who) + [account for account, _ in spelled],
        [None] * len(who) + [domain for _, domain in spelled],
    )


def _story_moves(rng: random.Random, company: _Company) -> list[tuple[str, str, int]]:
    """What makes the story's badge fire these days: comparison views, a raised hand, add-on page views."""
    lead, anyone = rng.choice(company.people), rng.choice(company.people)
    if company.story in ("switching", "comparing"):
        return [(lead, "compare", rng.randint(0, 10)) for _ in range(rng.randint(2, 4))] + [(anyone, "compare", 1)]
    if company.story == "hand_raiser":
        return [(lead, rng.choice(("demo_request", "contact_sales", "meeting_booked")), rng.randint(0, 5))]
    if company.story == "expanding":
        return [(rng.choice(company.people), "expansion", rng.randint(0, 10)) for _ in range(rng.randint(3, 5))]
    return []


def _unmatched(rng: random.Random, as_of: date, k: int) -> _Events:
    """About 1 % more visits from domains that are no account's (SPEC §3: unmatched, counted)."""
    domains = ("comcast.net", "verizon.net", "btinternet.com", "orange.fr", "stealth-startup.io", "t-online.de")
    actions, weights = _mix("anonymous", "Acme")
    stamps = _stamps(rng, as_of, rng.choices(range(365), cum_weights=_day_weights(as_of), k=k))
    what = rng.choices(actions, cum_weights=weights, k=k)
    return stamps, what, [None] * k, [None] * k, [*rng.choices(domains, k=k)]


def _intent(rng: random.Random, as_of: date, company: _Company) -> list[Row]:
    """Weekly third-party research: noise, research ahead of buying episodes, the story's surge or rival."""
    low, high = {"cold": (0, 6), "warm": (3, 14), "hot": (6, 20)}[company.temperature]
    topics = [(topic, "category") for topic in v.TOPICS] + [("Beacon", "product"), (company.rival, "competitor")]
    weeks = [(rng.randint(0, 51), *rng.choice(topics), rng.randint(5, 65)) for _ in range(rng.randint(low, high))]
    for ended in company.episodes:
        if 21 <= ended <= 340 and rng.random() < 0.6:  # the research that led to the buying episode
            topic = rng.choice(v.TOPICS)
            weeks += [(week, topic, "category", rng.randint(55, 90)) for week in (ended // 7 + 1, ended // 7 + 2)]
    if company.story == "surging":  # rising over three weeks, to the reference model's category_surge >= 75
        topic = rng.choice(v.TOPICS)
        weeks += [(w, topic, "category", rng.randint(floor, floor + 15)) for w, floor in ((2, 55), (1, 65), (0, 80))]
    if company.story == "switching" or (company.story == "at_risk" and rng.random() < 0.5):
        weeks += [(week, company.rival, "competitor", rng.randint(70, 95)) for week in (0, 1)]
    if company.story == "comparing":
        weeks += [(0, company.rival, "competitor", rng.randint(40, 69))]
    rows: list[Row] = []
    for week, topic, category, score in weeks:  # delivered on Mondays
        monday = as_of - timedelta(days=as_of.weekday() + 7 * week)
        row: Row = {"observed_at": _midnight(monday) + 6 * 3600, "topic": topic, "score": score,
                    "topic_category": category, "competitor": topic if category == "competitor" else None,
                    "source": rng.choice(("Bombora", "G2", "TrustRadius")),
                    "contact_id": rng.choice(company.people) if rng.random() < 0.05 else None}  # fmt: skip
        rows.append(row | _resolvable(rng, company))
    return rows


def _changes(rng: random.Random, as_of: date, company: _Company) -> list[Row]:
    """Organisational changes: a few at random over the year, and the story's recent one."""
    kinds = ("funding", "new_executive", "hiring_surge", "acquisition", "expansion", "layoffs")
    events = [(rng.choice(kinds), rng.randint(0, 364)) for _ in range(rng.choices((0, 1, 2), (60, 30, 10))[0])]
    if company.story == "funded":
        events.append(("funding", rng.randint(3, 75)))
    if company.story == "new_leader":
        events.append(("new_executive", rng.randint(2, 50)))
    return [
        _change(rng, kind) | _resolvable(rng, company) | {"occurred_at": _at(rng, as_of, days), "kind": kind}
        for kind, days in events
    ]


def _change(rng: random.Random, kind: str) -> Row:
    if kind == "funding":
        series, millions = rng.choice((("Seed", 3), ("Series A", 12), ("Series B", 35), ("Series C", 80)))
        return {"detail": series, "amount": round(millions * rng.uniform(0.6, 1.5)) * 1_000_000}
    if kind == "acquisition":
        target = f"{rng.choice(v.STEMS)} {rng.choice(('Analytics', 'Data', 'AI'))}"
        return {"detail": f"Acquired {target}", "amount": rng.randint(5, 200) * 1_000_000}
    if kind == "new_executive":
        role = rng.choice(("CRO", "CMO", "CFO", "CIO", "VP Sales", "VP Marketing"))
        return {"detail": f"New {role}: {rng.choice(v.FIRST)} {rng.choice(v.LAST)}"}
    if kind == "hiring_surge":
        return {"detail": f"{rng.randint(15, 120)} open roles in {rng.choice(('Sales', 'Engineering', 'Marketing'))}"}
    if kind == "expansion":
        return {"detail": f"New office in {rng.choice(('London', 'Austin', 'Singapore', 'Berlin', 'Toronto'))}"}
    return {"detail": f"Headcount reduced by {rng.randint(5, 20)}%"}


def _technographics(rng: random.Random, as_of: date, company: _Company) -> list[Row]:
    """The stack: a CRM, a few tools, maybe a competitor's product (in use, or dropped months ago)."""
    crm = rng.choices((("Salesforce", "Salesforce"), ("HubSpot", "HubSpot"), None), (55, 30, 15))[0]
    stack = ([(*crm, "CRM")] if crm else []) + rng.sample(v.TOOLS, rng.randint(1, 4))
    if rng.random() < (0.7 if company.story == "switching" else 0.12):
        stack.append((v.RIVALS[company.rival], company.rival, "ABM"))
    rows: list[Row] = []
    for technology, vendor, category in stack:
        first = as_of - timedelta(days=rng.randint(30, 364)) if rng.random() < 0.8 else None
        last = as_of - timedelta(days=rng.randint(0, 20)) if rng.random() < 0.3 else None  # NULL: still in use
        rival = vendor in v.RIVALS
        if rival and company.story != "switching" and rng.random() < 0.25:  # a competitor they dropped
            first, last = as_of - timedelta(days=rng.randint(250, 364)), as_of - timedelta(days=rng.randint(60, 200))
        row: Row = {"technology": technology, "vendor": vendor, "category": category, "is_competitor": rival}
        rows.append(row | {"first_seen": first, "last_seen": last} | _resolvable(rng, company))
    return rows


def _opportunities(rng: random.Random, as_of: date, company: _Company) -> list[Row]:
    """CRM deals: after a prospect's buying episodes, won by new customers, renewals due, expansions."""
    size = min(max(int(round(company.employees * rng.uniform(20, 60), -3)), 8_000), 400_000)
    deals: list[tuple[str, int, int | None, bool, int]] = []  # type, created, closed (days ago), won, amount
    if company.won_days_ago is not None:
        deals.append(("new_business", company.won_days_ago + rng.randint(20, 50), company.won_days_ago, True, size))
    for ended in company.episodes if company.story not in _CUSTOMER else []:
        created = ended - rng.randint(3, 30)
        if created >= 0 and rng.random() < 0.4:
            lost = created - rng.randint(20, 120)
            deals.append(("new_business", created, lost if lost >= 0 else None, False, size))
    renewal, arr = company.row.get("renewal_date"), company.row.get("arr")
    if isinstance(renewal, date) and isinstance(arr, int) and (renewal - as_of).days <= 90:
        deals.append(("renewal", rng.randint(0, 30), None, False, arr))
    if company.story == "expanding" and rng.random() < 0.5:
        deals.append(("expansion", rng.randint(0, 20), None, False, int(round(size / 3, -3))))
    rows: list[Row] = []
    for kind, created, closed, won, amount in deals:
        stage = "Closed Won" if won else "Closed Lost" if closed is not None else rng.choice(_OPEN_STAGES)
        rows.append({"account_id": company.id, "created_at": _at(rng, as_of, created),
                     "closed_at": None if closed is None else _at(rng, as_of, closed), "stage": stage,
                     "amount": amount, "is_closed": closed is not None, "is_won": won, "type": kind,
                     "owner_id": company.row.get("csm_id" if kind == "renewal" else "owner_id")})  # fmt: skip
    return rows
