"""The demo data (SPEC §6 `whynow demo`): a realistic synthetic company — reps, accounts, people and a
year of signals — written as the data contract's CSV files (§3), the same files for the same seed.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from pathlib import Path

from whynow.data.contract import TABLES

Cell = str | int | float | date | datetime | None  # bool is an int
Row = dict[str, Cell]

# fmt: off
_SITE = "https://www.beaconhq.com"  # the demo's own company, Beacon, sells account-based marketing software
_REPS = (  # rep_id, name, role, team; R05 has no capacity of her own, so the model's default applies
    ("R01", "Maya Chen", "AE", "Enterprise"), ("R02", "Jonas Weber", "AE", "Enterprise"),
    ("R03", "Priya Raman", "AE", "East"), ("R04", "Tom Okafor", "AE", "East"), ("R05", "Lucia Alvarez", "AE", "East"),
    ("R06", "Sam Whitfield", "AE", "West"), ("R07", "Hana Sato", "AE", "West"), ("R08", "Diego Costa", "AE", "West"),
    ("R09", "Grace Mensah", "CSM", "Customer Success"), ("R10", "Owen Byrne", "CSM", "Customer Success"),
)
_STEMS = (
    "Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Tailspin", "Wingtip", "Litware", "Proseware",
    "Adatum", "Lamna", "Alpine", "Bluefin", "Cobalt", "Driftwood", "Evergreen", "Foxglove", "Granite", "Harbor",
    "Ironclad", "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Oakridge", "Pinnacle", "Quarry", "Redwood",
    "Summit", "Tidewater", "Vantage", "Willow", "Zephyr", "Aster", "Cinder", "Halcyon", "Larkspur", "Mosaic",
    "Orchard", "Polaris", "Riverbend", "Sable", "Trellis", "Upland", "Verity", "Wayfarer", "Yarrow",
    "Brightline", "Copperleaf", "Fairmont", "Greystone", "Highgate", "Keystone", "Lakeshore", "Norfield",
)
_FIRST = (
    "Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Dana", "Robin",
    "Priya", "Wei", "Mateo", "Sofia", "Liam", "Emma", "Noah", "Olivia", "Lucas", "Mia", "Ethan", "Aisha",
    "Kenji", "Ingrid", "Rafael", "Chloe", "Omar", "Elena", "Marcus", "Nora", "Felix", "Leah", "Ivan", "Zara",
)
_LAST = (
    "Kim", "Patel", "Garcia", "Smith", "Johnson", "Nguyen", "Mueller", "Rossi", "Tanaka", "Silva", "Cohen",
    "Novak", "Larsen", "Dubois", "Okoye", "Brown", "Martin", "Lopez", "Singh", "Walker", "Hughes", "Fischer",
    "Moreau", "Berg", "Costa", "Reyes", "Park", "Ali", "O'Brien", "Schmidt", "Jensen", "Murphy",
)
_INDUSTRIES = {  # industry: percent of accounts, words for company names
    "Software": (22, ("Labs", "Systems", "Software", "Cloud")),
    "Financial Services": (14, ("Capital", "Financial", "Bank", "Partners")),
    "Healthcare": (13, ("Health", "Medical", "Clinics", "Care")),
    "Manufacturing": (14, ("Industries", "Manufacturing", "Works", "Robotics")),
    "Retail": (12, ("Retail", "Stores", "Outfitters", "Market")), "Education": (7, ("Learning", "Academy")),
    "Logistics": (8, ("Logistics", "Freight", "Shipping")), "Media": (6, ("Media", "Studios", "Publishing")),
    "Professional Services": (4, ("Consulting", "Advisors", "Group")),
}
_REGIONS = {"NA": 50, "EMEA": 30, "APAC": 12, "LATAM": 8}
_COUNTRIES = {
    "NA": ("United States", "United States", "United States", "Canada"),
    "EMEA": ("United Kingdom", "Germany", "France", "Netherlands", "Sweden", "Spain"),
    "APAC": ("Australia", "Japan", "Singapore", "India"), "LATAM": ("Brazil", "Mexico", "Chile", "Colombia"),
}
_SENIORITY = {"C-Level": 7, "VP": 12, "Director": 20, "Manager": 26, "Individual Contributor": 35}
_C_LEVEL = {  # title: department
    "Chief Executive Officer": "Executive", "Chief Revenue Officer": "Sales", "Chief Marketing Officer": "Marketing",
    "Chief Financial Officer": "Finance", "Chief Information Officer": "IT", "Chief Operating Officer": "Operations",
}
_DEPARTMENTS = {
    "Revenue Operations": 14, "Marketing": 20, "Sales": 20, "IT": 12, "Finance": 8, "Procurement": 6, "Legal": 4,
    "Operations": 10, "Security": 6,
}
_TOOLS = (  # technology, vendor, category
    ("Marketo", "Adobe", "Marketing Automation"), ("HubSpot Marketing Hub", "HubSpot", "Marketing Automation"),
    ("Outreach", "Outreach", "Sales Engagement"), ("Gong", "Gong", "Conversation Intelligence"),
    ("Snowflake", "Snowflake", "Data Warehouse"), ("Slack", "Salesforce", "Collaboration"),
)
_RIVALS = {"Acme": "Acme Intent Cloud", "Demandly": "Demandly", "Scorely": "Scorely ABM", "Signalwise": "Signalwise"}
_TOPICS = ("Account-Based Marketing", "Lead Scoring", "Intent Data", "Revenue Operations", "Sales Intelligence")
_NEWSLETTERS = ("Newsletter: The RevOps Brief", "Nurture: MQA playbook", "Product update: Q3 release")
_WEBINARS = ("Webinar: Intent data 101", "Webinar: Building an MQA model", "Webinar: Capacity-first routing")
_ASSETS = ("State of RevOps 2026 report", "ABM buyer's guide", "Lead scoring template")
_ACTIONS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {  # action: type, channel, column, its values
    "browse": ("page_view", "web", "url", ("/", "/product", "/integrations/salesforce", "/blog/what-is-an-mqa")),
    "pricing": ("page_view", "web", "url", ("/pricing", "/pricing#faq")),
    "compare": ("page_view", "web", "url", ("/compare/{rival}-vs-us",)),
    "customers": ("page_view", "web", "url", ("/customers/contoso", "/customers/tailspin", "/customers/lumen")),
    "expansion": ("page_view", "web", "url", ("/add-ons", "/add-ons/intent-data", "/enterprise")),
    "email_open": ("email_open", "email", "campaign", _NEWSLETTERS),
    "email_click": ("email_click", "email", "campaign", _NEWSLETTERS),
    "unsubscribe": ("unsubscribe", "email", "campaign", _NEWSLETTERS),
    "ad_click": ("ad_click", "paid_social", "campaign", ("LinkedIn ABM retargeting", "G2 category ad")),
    "webinar_registered": ("webinar_registered", "webinar", "campaign", _WEBINARS),
    "webinar_attended": ("webinar_attended", "webinar", "campaign", _WEBINARS),
    "event_attended": ("event_attended", "event", "campaign", ("RevOps Summit 2026", "Pipeline Live London")),
    "content_download": ("content_download", "web", "asset", _ASSETS),
    "form_submit": ("form_submit", "web", "asset", _ASSETS),
    "trial_signup": ("trial_signup", "web", "url", ("/signup",)),
    "demo_request": ("demo_request", "web", "url", ("/demo",)),
    "contact_sales": ("contact_sales", "web", "url", ("/contact-sales",)),
    "meeting_booked": ("meeting_booked", "sales", "campaign", ("Discovery call", "Product demo")),
}
_MIXES = {  # action weights: a person's year in the background, a buying episode, a growing customer …
    "background": {"email_open": 40, "email_click": 10, "browse": 22, "ad_click": 10, "pricing": 4,
                   "webinar_registered": 5, "webinar_attended": 3, "content_download": 5, "event_attended": 1},
    "episode": {"pricing": 18, "browse": 12, "customers": 10, "compare": 6, "webinar_attended": 8,
                "content_download": 10, "form_submit": 4, "email_click": 12, "trial_signup": 2,
                "demo_request": 1, "meeting_booked": 1, "event_attended": 3},
    "expanding": {"expansion": 30, "browse": 20, "customers": 10, "email_click": 15, "pricing": 10,
                  "webinar_attended": 10, "meeting_booked": 5},
    "anonymous": {"browse": 50, "pricing": 15, "customers": 10, "compare": 5, "ad_click": 15, "expansion": 5},
}
# Percent of accounts per story; the story decides which of the reference model's badges an account
# should earn. Customers' stories first; "cold" last, as it takes whatever rounding leaves.
_STORIES = {"at_risk": 4, "expanding": 5, "steady": 11, "switching": 6, "comparing": 4, "funded": 6,
            "new_leader": 5, "surging": 6, "hand_raiser": 5, "warm": 28, "cold": 20}
# fmt: on
_CUSTOMER = ("at_risk", "expanding", "steady")
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
    episodes: list[int] = field(default_factory=list)  # days ago each buying episode ended

    @property
    def temperature(self) -> str:
        return "hot" if self.story in _HOT else "cold" if self.story == "cold" else "warm"

    @property
    def people(self) -> list[str]:
        return [str(p["contact_id"]) for p in self.contacts]


_Maker = Callable[[random.Random, date, _Company], list[Row]]
_Deal = tuple[str, int, int | None, bool, int]  # type, created and closed (days ago), won, amount
_OPEN_STAGES = ("Discovery", "Evaluation", "Proposal", "Negotiation")


def generate_demo_data(
    folder: Path, *, seed: int = 7, as_of: date = date(2026, 11, 20), accounts: int = 240
) -> dict[str, int]:
    """Write the demo company's tables as CSV files into `folder`; return the rows written per table.

    The same seed gives the same files. Every timestamp lies in the year that ends on `as_of`; only
    renewal dates lie ahead of it.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = generate_demo_data(Path(tmp), accounts=30)
    >>> written["accounts"], written["reps"], list(written) == list(TABLES)
    (30, 10, True)
    """
    rng = random.Random(seed)
    reps = [_rep(rng, *rep) for rep in _REPS]
    taken: set[str] = set()
    numbers = count(1)
    stories = _cast_stories(rng, accounts, _STORIES)
    companies = [_company(rng, n, story, as_of, taken, numbers) for n, story in enumerate(stories, 1)]

    def each(make: _Maker) -> list[Row]:
        return [row for company in companies for row in make(rng, as_of, company)]

    rows = {
        "accounts": [c.row for c in companies],
        "contacts": [p for c in companies for p in c.contacts],
        "activities": _numbered(_unmatched(rng, as_of, each(_engagement)), "activity_id", "ACT", "occurred_at"),
        "intent": _numbered(each(_intent), "intent_id", "INT", "observed_at"),
        "change_events": _numbered(each(_changes), "event_id", "EV", "occurred_at"),
        "technographics": each(_technographics),
        "opportunities": _numbered(each(_opportunities), "opportunity_id", "OPP", "created_at"),
        "reps": reps,
    }
    folder.mkdir(parents=True, exist_ok=True)
    return {name: _write(folder, name, rows[name]) for name in TABLES}


def _write(folder: Path, table: str, rows: list[Row]) -> int:
    columns = [c.name for c in TABLES[table].columns] + (["segment"] if table == "accounts" else [])
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows([_cell(row.get(column)) for column in columns] for row in rows)
    return len(rows)


def _cell(value: Cell) -> str:
    """SPEC §3 in a CSV file: true/false, ISO dates, UTC timestamps with a Z, an empty field for NULL."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _numbered(rows: list[Row], id_column: str, prefix: str, time_column: str) -> list[Row]:
    """Rows in time order with ids that follow it, as a system of record numbers them."""
    rows.sort(key=lambda row: str(row[time_column]))
    for number, row in enumerate(rows, 1):
        row[id_column] = f"{prefix}{number:06d}"
    return rows


def _at(rng: random.Random, as_of: date, days_ago: int) -> datetime:
    """A working-hours moment that many days before `as_of`, kept within the year that ends on it."""
    day = as_of - timedelta(days=min(max(days_ago, 0), 364))
    return datetime.combine(day, time(rng.randint(7, 20), rng.randint(0, 59), rng.randint(0, 59)), UTC)


def _cast_stories(rng: random.Random, n: int, shares: dict[str, int]) -> list[str]:
    """n stories in the given percent shares, each at least once while n allows, shuffled."""
    stories = [story for story, share in shares.items() for _ in range(max(1, round(n * share / 100)))]
    stories = (stories + [list(shares)[-1]] * n)[:n]
    rng.shuffle(stories)
    return stories


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _resolvable(rng: random.Random, company: _Company) -> Row:
    """How a vendor's row names its account (SPEC §3): by id, or by a domain as it comes (www., capitals)."""
    if rng.random() < 0.5:
        return {"account_id": company.id}
    spelling = rng.random()
    domain = company.domain
    return {"domain": f"www.{domain}" if spelling < 0.2 else domain.upper() if spelling < 0.35 else domain}


def _rep(rng: random.Random, rep_id: str, name: str, role: str, team: str) -> Row:
    capacity = None if rep_id == "R05" else rng.randint(8, 12) if role == "AE" else 15
    slack = "U" + "".join(rng.choices("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", k=8)) if rng.random() < 0.7 else None
    email = name.lower().replace(" ", ".") + "@beaconhq.com"
    return {"rep_id": rep_id, "name": name, "email": email, "role": role, "team": team, "capacity": capacity,
            "slack_user_id": slack}  # fmt: skip


def _company(rng: random.Random, n: int, story: str, as_of: date, taken: set[str], numbers: Iterator[int]) -> _Company:
    icp = rng.random() < (0.3 if story in ("cold", "warm") else 0.7)  # a story leans towards the ideal profile
    industries = ("Software", "Financial Services", "Healthcare") if icp else tuple(_INDUSTRIES)
    industry = rng.choices(industries, [_INDUSTRIES[i][0] for i in industries])[0]
    name = f"{rng.choice(_STEMS)} {rng.choice(_INDUSTRIES[industry][1])}"
    while name in taken:
        name = f"{rng.choice(_STEMS)} {rng.choice(_INDUSTRIES[industry][1])}" + f" {n}" * (n > 400)
    stem = _slug(name.split()[0])
    domain = next(d for d in (f"{stem}.com", f"{_slug(name)}.com", f"{_slug(name)}{n}.io") if d not in taken)
    taken.update((name, domain))
    employees = round(10 ** rng.uniform(2.3, 4) if icp else 10 ** rng.uniform(1, 4.3))  # 10 to 20,000
    company = _Company(f"A{n:04d}", domain, story, employees, rng.choice(list(_RIVALS)))
    company.row = _account(rng, company, name, industry, rng.choice(("NA", "EMEA")) if icp else "")
    if story in _CUSTOMER:
        _customer(rng, company, as_of)
    company.contacts = [_contact(rng, company, next(numbers), as_of, *person) for person in _names(rng, employees)]
    company.episodes = _episodes(rng, company)
    return company


def _account(rng: random.Random, company: _Company, name: str, industry: str, region: str) -> Row:
    region = region or _pick(rng, _REGIONS)
    employees = company.employees
    tier = 1 if employees >= 5000 else 2 if employees >= 500 else 3
    owners = ("R01", "R02") if tier == 1 else ("R03", "R04", "R05", "R06", "R07", "R08")
    revenue = int(round(employees * rng.uniform(80_000, 350_000), -5)) if rng.random() < 0.9 else None
    return {"account_id": company.id, "name": name, "domain": company.domain, "industry": industry,
            "employees": employees, "annual_revenue": revenue, "region": region,
            "country": rng.choice(_COUNTRIES[region]), "tier": tier,
            "owner_id": rng.choice(owners) if rng.random() > 0.03 else None,
            "is_customer": company.story in _CUSTOMER, "target": True if rng.random() < 0.05 else None,
            "sales_accepted": True if rng.random() < 0.03 else None,
            "segment": "Enterprise" if employees >= 2000 else "Mid-Market" if employees >= 200 else "SMB"}  # fmt: skip


def _customer(rng: random.Random, company: _Company, as_of: date) -> None:
    """Customer terms: a renewal a year after the deal was won (for some, this year), ARR and health."""
    company.won_days_ago = rng.randint(20, 290) if rng.random() < 0.4 else None
    won = company.won_days_ago
    renews_in = 365 - won if won is not None else rng.randint(0, 365)
    health = rng.uniform(20, 48) if company.story == "at_risk" else rng.uniform(50, 100)
    arr = min(max(int(round(company.employees * rng.uniform(15, 60), -3)), 12_000), 600_000)
    company.row |= {"csm_id": rng.choice(("R09", "R10")), "renewal_date": as_of + timedelta(days=renews_in),
                    "arr": arr, "health_score": round(health, 1)}  # fmt: skip


def _names(rng: random.Random, employees: int) -> list[tuple[str, str]]:
    """3 to 10 different people, more at larger companies."""
    people = min(10, 1 + len(str(employees)) + rng.randint(0, 4))
    pairs = rng.sample(range(len(_FIRST) * len(_LAST)), people)
    return [(_FIRST[k // len(_LAST)], _LAST[k % len(_LAST)]) for k in pairs]


def _contact(rng: random.Random, company: _Company, number: int, as_of: date, first: str, last: str) -> Row:
    seniority = _pick(rng, _SENIORITY)
    department = _pick(rng, _DEPARTMENTS)
    titles = {"VP": f"VP of {department}", "Director": f"Director, {department}", "Manager": f"{department} Manager"}
    title = titles.get(seniority, f"{department} {rng.choice(('Analyst', 'Specialist', 'Associate'))}")
    if seniority == "C-Level":
        title, department = rng.choice(list(_C_LEVEL.items()))
    mailbox = f"{_slug(first)}.{_slug(last)}"
    email = f"{mailbox}{rng.randint(1, 99)}@gmail.com" if rng.random() < 0.03 else f"{mailbox}@{company.domain}"
    return {"contact_id": f"C{number:05d}", "account_id": company.id, "first_name": first, "last_name": last,
            "email": email, "title": title, "department": department, "seniority": seniority,
            "created_at": _at(rng, as_of, rng.randint(0, 364)), "unsubscribed": rng.random() < 0.04,
            "sales_accepted": True if rng.random() < 0.02 else None}  # fmt: skip


def _episodes(rng: random.Random, company: _Company) -> list[int]:
    """Days ago each buying episode ended: hot accounts' in the last days, new customers' before the deal."""
    older = rng.choices(
        (0, 1, 2), {"cold": (70, 30, 0), "warm": (30, 50, 20), "hot": (50, 40, 10)}[company.temperature]
    )[0]
    episodes = [rng.randint(10, 350) for _ in range(older)]
    if company.temperature == "hot" or (company.story in ("funded", "new_leader") and rng.random() < 0.5):
        episodes.append(rng.randint(0, 3))
    if company.won_days_ago is not None:
        episodes.append(company.won_days_ago + rng.randint(55, 70))
    return episodes


def _activity(rng: random.Random, as_of: date, days_ago: int, action: str, rival: str) -> Row:
    kind, channel, column, values = _ACTIONS[action]
    value = rng.choice(values).replace("{rival}", rival.lower())
    row: Row = {"occurred_at": _at(rng, as_of, days_ago), "type": kind, "channel": channel}
    row[column] = _SITE + value if column == "url" else value
    if column == "asset" or channel == "webinar":
        row["topic"] = rng.choice(_TOPICS)
    return row


def _engagement(rng: random.Random, as_of: date, company: _Company) -> list[Row]:
    """A company's year of activity: its people's background, buying episodes, the story's recent moves,
    and anonymous visits (about 15 % of all) resolved by account id or by domain."""
    low, high = {"cold": (0, 3), "warm": (1, 6), "hot": (2, 8)}[company.temperature]
    moves = [
        (person, _pick(rng, _MIXES["background"]), _days_ago(rng, company))
        for person in company.people
        for _ in range(rng.randint(low, high))
    ]
    mix = _MIXES["expanding" if company.story == "expanding" else "episode"]
    for ended in company.episodes:
        for person in rng.sample(company.people, min(len(company.people), rng.randint(2, 5))):
            moves += [(person, _pick(rng, mix), ended + rng.randint(0, 8)) for _ in range(rng.randint(2, 5))]
    moves += _story_moves(rng, company)
    moves += [(str(p["contact_id"]), "unsubscribe", rng.randint(0, 364)) for p in company.contacts if p["unsubscribed"]]
    known = [
        _activity(rng, as_of, days, action, company.rival) | {"contact_id": person, "account_id": company.id}
        for person, action, days in moves
    ]
    anonymous = [
        _activity(rng, as_of, _days_ago(rng, company), _pick(rng, _MIXES["anonymous"]), company.rival)
        | _resolvable(rng, company)
        for _ in range(round(len(known) * 0.18))
    ]
    return known + anonymous


def _days_ago(rng: random.Random, company: _Company) -> int:
    """When a hot account's activity happened skews recent; others' spreads over the year."""
    return int(rng.expovariate(1 / 90)) if company.temperature == "hot" else rng.randint(0, 364)


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


def _unmatched(rng: random.Random, as_of: date, rows: list[Row]) -> list[Row]:
    """About 1 % more visits from domains that are no account's (SPEC §3: unmatched, counted)."""
    domains = ("comcast.net", "verizon.net", "btinternet.com", "orange.fr", "stealth-startup.io")
    return rows + [
        _activity(rng, as_of, rng.randint(0, 364), _pick(rng, _MIXES["anonymous"]), "acme")
        | {"domain": rng.choice(domains)}
        for _ in range(len(rows) // 100)
    ]


def _intent(rng: random.Random, as_of: date, company: _Company) -> list[Row]:
    """Weekly third-party research: background noise, then the story's surge or competitor research."""
    low, high = {"cold": (0, 6), "warm": (3, 14), "hot": (6, 20)}[company.temperature]
    topics = [(topic, "category") for topic in _TOPICS] + [("Beacon", "product"), (company.rival, "competitor")]
    weeks = [(rng.randint(0, 51), *rng.choice(topics), rng.randint(5, 65)) for _ in range(rng.randint(low, high))]
    if company.story == "surging":  # rising over three weeks, to the reference model's category_surge >= 75
        topic = rng.choice(_TOPICS)
        weeks += [
            (week, topic, "category", rng.randint(floor, floor + 15)) for week, floor in ((2, 55), (1, 65), (0, 80))
        ]
    if company.story == "switching" or (company.story == "at_risk" and rng.random() < 0.5):
        weeks += [(week, company.rival, "competitor", rng.randint(70, 95)) for week in (0, 1)]
    if company.story == "comparing":
        weeks += [(0, company.rival, "competitor", rng.randint(40, 69))]
    rows: list[Row] = []
    for week, topic, category, score in weeks:  # delivered on Mondays
        monday = as_of - timedelta(days=as_of.weekday() + 7 * week)
        row: Row = {"observed_at": datetime.combine(monday, time(6), UTC), "topic": topic, "score": score,
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
        target = f"{rng.choice(_STEMS)} {rng.choice(('Analytics', 'Data', 'AI'))}"
        return {"detail": f"Acquired {target}", "amount": rng.randint(5, 200) * 1_000_000}
    if kind == "new_executive":
        role = rng.choice(("CRO", "CMO", "CFO", "CIO", "VP Sales", "VP Marketing"))
        return {"detail": f"New {role}: {rng.choice(_FIRST)} {rng.choice(_LAST)}"}
    if kind == "hiring_surge":
        return {"detail": f"{rng.randint(15, 120)} open roles in {rng.choice(('Sales', 'Engineering', 'Marketing'))}"}
    if kind == "expansion":
        return {"detail": f"New office in {rng.choice(('London', 'Austin', 'Singapore', 'Berlin', 'Toronto'))}"}
    return {"detail": f"Headcount reduced by {rng.randint(5, 20)}%"}


def _technographics(rng: random.Random, as_of: date, company: _Company) -> list[Row]:
    """The stack: a CRM, a few tools, maybe a competitor's product (in use, or dropped months ago)."""
    crm = rng.choices((("Salesforce", "Salesforce"), ("HubSpot", "HubSpot"), None), (55, 30, 15))[0]
    stack = ([(*crm, "CRM")] if crm else []) + rng.sample(_TOOLS, rng.randint(1, 3))
    if rng.random() < (0.7 if company.story == "switching" else 0.12):
        stack.append((_RIVALS[company.rival], company.rival, "ABM"))
    rows: list[Row] = []
    for technology, vendor, category in stack:
        first = as_of - timedelta(days=rng.randint(30, 364)) if rng.random() < 0.8 else None
        last = as_of - timedelta(days=rng.randint(0, 20)) if rng.random() < 0.3 else None  # NULL: still in use
        rival = vendor in _RIVALS
        if rival and company.story != "switching" and rng.random() < 0.25:  # a competitor they dropped
            first, last = as_of - timedelta(days=rng.randint(250, 364)), as_of - timedelta(days=rng.randint(60, 200))
        row: Row = {"technology": technology, "vendor": vendor, "category": category, "is_competitor": rival}
        rows.append(row | {"first_seen": first, "last_seen": last} | _resolvable(rng, company))
    return rows


def _opportunities(rng: random.Random, as_of: date, company: _Company) -> list[Row]:
    """CRM deals: open or lost after a prospect's buying episodes, won for this year's new customers,
    renewals due within 90 days and expansions for customers."""
    size = min(max(int(round(company.employees * rng.uniform(20, 60), -3)), 8_000), 400_000)
    deals: list[_Deal] = []
    if company.won_days_ago is not None:
        deals.append(("new_business", company.won_days_ago + rng.randint(20, 50), company.won_days_ago, True, size))
    for ended in company.episodes if company.story not in _CUSTOMER else []:
        created = ended - rng.randint(3, 30)
        if created >= 0 and rng.random() < 0.4:
            closed = created - rng.randint(20, 120)
            deals.append(("new_business", created, closed if closed >= 0 else None, False, size))
    renewal, arr = company.row.get("renewal_date"), company.row.get("arr")
    if isinstance(renewal, date) and isinstance(arr, int) and (renewal - as_of).days <= 90:
        deals.append(("renewal", rng.randint(0, 30), None, False, arr))
    if company.story == "expanding" and rng.random() < 0.5:
        deals.append(("expansion", rng.randint(0, 20), None, False, int(round(size / 3, -3))))
    return [_opportunity(rng, as_of, company, deal) for deal in deals]


def _opportunity(rng: random.Random, as_of: date, company: _Company, deal: _Deal) -> Row:
    kind, created, closed, won, amount = deal
    stage = "Closed Won" if won else "Closed Lost" if closed is not None else rng.choice(_OPEN_STAGES)
    return {"account_id": company.id, "created_at": _at(rng, as_of, created),
            "closed_at": None if closed is None else _at(rng, as_of, closed), "stage": stage, "amount": amount,
            "is_closed": closed is not None, "is_won": won, "type": kind,
            "owner_id": company.row.get("csm_id" if kind == "renewal" else "owner_id")}  # fmt: skip
