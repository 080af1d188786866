"""The demo data (SPEC §6 `whynow demo`): a realistic synthetic company — reps, accounts, people and a
year of signals — written as the data contract's CSV files (§3), the same files for the same seed.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from pathlib import Path

from whynow.data.contract import TABLES

Cell = str | int | float | date | datetime | None  # bool is an int
Row = dict[str, Cell]

_SITE = "https://www.beaconhq.com"  # the demo company, Beacon, sells account-based marketing software
_REPS = (  # rep_id, name, role, team; AEs get 8-12 accounts of capacity, R05 none of their own
    ("R01 Maya Chen AE Enterprise R02 Jonas Weber AE Enterprise R03 Priya Raman AE East R04 Tom Okafor AE East "
     "R05 Lucia Alvarez AE East R06 Sam Whitfield AE West R07 Hana Sato AE West R08 Diego Costa AE West "
     "R09 Grace Mensah CSM Success R10 Owen Byrne CSM Success")
)  # fmt: skip
_STEMS = (
    "Northwind Contoso Fabrikam Globex Initech Tailspin Wingtip Litware Proseware Adatum Lamna Alpine Bluefin "
    "Cobalt Driftwood Evergreen Foxglove Granite Harbor Ironclad Juniper Kestrel Lumen Meridian Nimbus Oakridge "
    "Pinnacle Quarry Redwood Summit Tidewater Vantage Willow Zephyr Aster Cinder Halcyon Larkspur Mosaic "
    "Orchard Polaris Riverbend Sable Trellis Upland Verity Wayfarer Yarrow Brightline Copperleaf Fairmont "
    "Greystone Highgate Keystone Lakeshore Norfield Silverpine Stonebridge"
).split()
_INDUSTRIES = {  # industry: (share, words for company names)
    "Software": (22, "Labs Systems Software Cloud"),
    "Financial Services": (14, "Capital Financial Bank Partners"),
    "Healthcare": (13, "Health Medical Clinics Care"),
    "Manufacturing": (14, "Industries Manufacturing Works Robotics"),
    "Retail": (12, "Retail Stores Outfitters Market"),
    "Education": (7, "Learning Academy University"),
    "Logistics": (8, "Logistics Freight Shipping"),
    "Media": (6, "Media Studios Publishing"),
    "Professional Services": (4, "Consulting Advisors Group"),
}
_COUNTRIES = {
    "NA": "United States,United States,United States,Canada",
    "EMEA": "United Kingdom,Germany,France,Netherlands,Sweden,Spain",
    "APAC": "Australia,Japan,Singapore,India",
    "LATAM": "Brazil,Mexico,Chile,Colombia",
}
_FIRST = (
    "Alex Sam Jordan Taylor Morgan Casey Riley Jamie Avery Quinn Dana Robin Priya Wei Mateo Sofia Liam Emma "
    "Noah Olivia Lucas Mia Ethan Aisha Kenji Ingrid Rafael Chloe Omar Elena Marcus Nora Felix Leah Ivan Zara"
).split()
_LAST = (
    "Kim Patel Garcia Smith Johnson Nguyen Mueller Rossi Tanaka Silva Cohen Novak Larsen Dubois Okoye Brown "
    "Martin Lopez Singh Walker Hughes Fischer Moreau Berg Costa Reyes Park Ali O'Brien Schmidt Jensen Murphy"
).split()
_C_LEVEL = {"CEO": "Executive", "CRO": "Sales", "CMO": "Marketing", "CFO": "Finance", "CIO": "IT", "COO": "Operations"}
_SENIORITY = {"C-Level": 7, "VP": 12, "Director": 20, "Manager": 26, "Individual Contributor": 35}
_DEPARTMENTS = {
    "Revenue Operations": 14, "Marketing": 20, "Sales": 20, "IT": 12, "Finance": 8,
    "Procurement": 6, "Legal": 4, "Operations": 10, "Security": 6,
}  # fmt: skip
_RIVALS = {"Acme": "Acme Intent Cloud", "Demandly": "Demandly", "Scorely": "Scorely ABM", "Signalwise": "Signalwise"}
_TOPICS = ("Account-Based Marketing", "Lead Scoring", "Intent Data", "Revenue Operations", "Sales Intelligence")
_NEWSLETTERS = ("Newsletter: The RevOps Brief", "Nurture: MQA playbook", "Product update: Q3 release")
_WEBINARS = ("Webinar: Intent data 101", "Webinar: Building an MQA model", "Webinar: Capacity-first routing")
_ASSETS = ("State of RevOps 2026 report", "ABM buyer's guide", "Lead scoring template")
_ACTIONS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {  # action: type, channel, column, its values
    "browse": ("page_view", "web", "url", ("/", "/product", "/integrations/salesforce", "/blog/what-is-an-mqa",
                                           "/blog/intent-data-101", "/blog/buying-committees")),
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
}  # fmt: skip
_MIXES: dict[str, dict[str, int]] = {  # action weights: a year's background, a buying episode …
    "background": {"email_open": 40, "email_click": 10, "browse": 22, "ad_click": 10, "pricing": 4,
                   "webinar_registered": 5, "webinar_attended": 3, "content_download": 5, "event_attended": 1},
    "episode": {"pricing": 18, "browse": 12, "customers": 10, "compare": 6, "webinar_attended": 8,
                "content_download": 10, "form_submit": 4, "email_click": 12, "trial_signup": 3,
                "demo_request": 3, "contact_sales": 2, "meeting_booked": 3, "event_attended": 3},
    "expanding": {"expansion": 30, "browse": 20, "customers": 10, "email_click": 15, "pricing": 10,
                  "webinar_attended": 10, "meeting_booked": 5},
    "anonymous": {"browse": 50, "pricing": 15, "customers": 10, "compare": 5, "ad_click": 15, "expansion": 5},
}  # fmt: skip
# Percent of accounts per story; a story decides which reference-model badges an account should earn.
# Customers first; "cold" is last because it fills whatever the rounding leaves.
_STORIES = {"at_risk": 4, "expanding": 5, "steady": 11, "switching": 6, "comparing": 4, "funded": 6,
            "new_leader": 5, "surging": 6, "hand_raiser": 5, "warm": 28, "cold": 20}  # fmt: skip
_CUSTOMER = ("at_risk", "expanding", "steady")
_HOT = ("switching", "comparing", "funded", "new_leader", "surging", "hand_raiser", "expanding")


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
    episodes: list[int] = field(default_factory=list)  # days ago each buying episode began

    @property
    def temperature(self) -> str:
        return "hot" if self.story in _HOT else "cold" if self.story == "cold" else "warm"

    @property
    def people(self) -> list[str]:
        return [str(p["contact_id"]) for p in self.contacts]


def generate_demo_data(
    folder: Path, *, seed: int = 7, as_of: date = date(2026, 11, 20), accounts: int = 240
) -> dict[str, int]:
    """Write the demo company's tables as CSV files into `folder`; return the rows written per table.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = generate_demo_data(Path(tmp), accounts=30)
    >>> written["accounts"], written["reps"], list(written) == list(TABLES)
    (30, 10, True)
    """
    rng = random.Random(seed)
    reps = [_rep(rng, *_REPS.split()[i : i + 5]) for i in range(0, 50, 5)]
    ids = count(1)
    stories = _deal(rng, accounts, _STORIES)
    taken: set[str] = set()
    companies = [_company(rng, n, story, as_of, taken, ids) for n, story in enumerate(stories, 1)]
    rows: dict[str, list[Row]] = {
        "accounts": [c.row for c in companies],
        "contacts": [p for c in companies for p in c.contacts],
        "activities": _numbered(_activities(rng, as_of, companies), "activity_id", "ACT", "occurred_at"),
        "intent": _numbered([r for c in companies for r in _intent(rng, as_of, c)], "intent_id", "INT", "observed_at"),
        "change_events": _numbered([r for c in companies for r in _changes(rng, as_of, c)], "event_id", "EV", "occurred_at"),
        "technographics": [r for c in companies for r in _technographics(rng, as_of, c)],
        "opportunities": _numbered([r for c in companies for r in _deals(rng, as_of, c)], "opportunity_id", "OPP", "created_at"),
        "reps": reps,
    }  # fmt: skip
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
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)


def _at(rng: random.Random, as_of: date, days_ago: int) -> datetime:
    """A business-hours moment that many days before `as_of`, kept inside the year up to `as_of`."""
    day = as_of - timedelta(days=min(max(days_ago, 0), 364))
    return datetime.combine(day, time(rng.randint(7, 20), rng.randint(0, 59), rng.randint(0, 59)), UTC)


def _deal(rng: random.Random, n: int, shares: dict[str, int]) -> list[str]:
    """n stories in the given percent shares, each at least once while n allows, shuffled."""
    stories = [story for story, share in shares.items() for _ in range(max(1, round(n * share / 100)))]
    stories = (stories + [list(shares)[-1]] * n)[:n]
    rng.shuffle(stories)
    return stories


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _spelled(rng: random.Random, company: _Company) -> Row:
    """How a vendor row names its account: by id, or by a domain as it comes (www., capitals)."""
    if rng.random() < 0.5:
        return {"account_id": company.id}
    odd = rng.random()
    return {"domain": "www." + company.domain if odd < 0.2 else company.domain.upper() if odd < 0.35 else company.domain}


def _rep(rng: random.Random, rep_id: str, first: str, last: str, role: str, team: str) -> Row:
    capacity = None if rep_id == "R05" else rng.randint(8, 12) if role == "AE" else 15
    slack = "U" + "".join(rng.choices("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", k=8)) if rng.random() < 0.7 else None
    email = f"{first}.{last}@beaconhq.com".lower()
    team = "Customer Success" if team == "Success" else team
    return {"rep_id": rep_id, "name": f"{first} {last}", "email": email, "role": role, "team": team,
            "capacity": capacity, "slack_user_id": slack}  # fmt: skip


def _company(rng: random.Random, n: int, story: str, as_of: date, taken: set[str], ids: Iterator[int]) -> _Company:
    icp = story != "cold" and rng.random() < 0.7  # accounts with a story lean towards the ideal profile
    industry = rng.choice(("Software", "Financial Services", "Healthcare")) if icp else _pick(
        rng, {k: v[0] for k, v in _INDUSTRIES.items()})  # fmt: skip
    employees = round(10 ** rng.uniform(2.3, 4) if icp else 10 ** rng.uniform(1, 4.3))
    name = f"{rng.choice(_STEMS)} {rng.choice(_INDUSTRIES[industry][1].split())}"
    while name in taken:
        name = f"{rng.choice(_STEMS)} {rng.choice(_INDUSTRIES[industry][1].split())}" + f" {n}" * (n > 500)
    domain = next(d for d in (_slug(name.split()[0]) + ".com", _slug(name) + ".com", f"{_slug(name)}{n}.com")
                  if d not in taken)  # fmt: skip
    taken.update((name, domain))
    c = _Company(f"A{n:04d}", domain, story, employees, rng.choice(list(_RIVALS)))
    region = rng.choice(("NA", "NA", "EMEA")) if icp else _pick(rng, {"NA": 50, "EMEA": 30, "APAC": 12, "LATAM": 8})
    tier = 1 if employees >= 5000 else 2 if employees >= 500 else 3
    owners = ("R01", "R02") if tier == 1 else ("R03", "R04", "R05", "R06", "R07", "R08")
    revenue = round(employees * rng.uniform(80_000, 350_000), -5) if rng.random() < 0.9 else None
    c.row = {"account_id": c.id, "name": name, "domain": domain, "industry": industry, "employees": employees,
             "annual_revenue": revenue, "region": region, "country": rng.choice(_COUNTRIES[region].split(",")),
             "tier": tier, "owner_id": rng.choice(owners) if rng.random() > 0.03 else None,
             "is_customer": story in _CUSTOMER, "target": True if rng.random() < 0.05 else None,
             "sales_accepted": True if rng.random() < 0.03 else None,
             "segment": "Enterprise" if employees >= 2000 else "Mid-Market" if employees >= 200 else "SMB"}  # fmt: skip
    if story in _CUSTOMER:
        _customer(rng, c, as_of)
    c.contacts = [_contact(rng, c, next(ids), as_of, pair) for pair in _names(rng, employees)]
    c.episodes = _episodes(rng, c)
    return c


def _customer(rng: random.Random, c: _Company, as_of: date) -> None:
    """Customer terms: a renewal a year after the deal was won (some this year), ARR and health."""
    c.won_days_ago = rng.randint(20, 240) if rng.random() < 0.4 else None
    renews_in = 365 - c.won_days_ago if c.won_days_ago is not None else rng.randint(0, 365)
    health = rng.uniform(20, 48) if c.story == "at_risk" else rng.uniform(45, 100)
    c.row.update(csm_id=rng.choice(("R09", "R10")), renewal_date=as_of + timedelta(days=renews_in),
                 arr=min(max(round(c.employees * rng.uniform(15, 60), -3), 12_000), 600_000),
                 health_score=round(health, 1))  # fmt: skip


def _names(rng: random.Random, employees: int) -> list[tuple[str, str]]:
    people = min(10, 2 + len(str(employees)) + rng.randint(0, 3))  # 3-10, more at larger companies
    return [divmod(k, len(_LAST)) for k in rng.sample(range(len(_FIRST) * len(_LAST)), people)]  # type: ignore[misc]


def _contact(rng: random.Random, c: _Company, number: int, as_of: date, pair: tuple[int, int]) -> Row:
    first, last = _FIRST[pair[0]], _LAST[pair[1]]
    seniority = _pick(rng, _SENIORITY)
    if seniority == "C-Level":
        title, department = next(iter(rng.sample(sorted(_C_LEVEL.items()), 1)))
        title = {"CEO": "Chief Executive Officer", "CFO": "Chief Financial Officer"}.get(title, title)
    else:
        department = _pick(rng, _DEPARTMENTS)
        title = {"VP": f"VP of {department}", "Director": f"Director, {department}", "Manager": f"{department} Manager",
                 }.get(seniority, f"{department} {rng.choice(('Analyst', 'Specialist', 'Associate'))}")  # fmt: skip
    mailbox = f"{_slug(first)}.{_slug(last)}"
    email = f"{mailbox}{rng.randint(1, 99)}@gmail.com" if rng.random() < 0.03 else f"{mailbox}@{c.domain}"
    return {"contact_id": f"C{number:05d}", "account_id": c.id, "first_name": first, "last_name": last,
            "email": email, "title": title, "department": department, "seniority": seniority,
            "created_at": _at(rng, as_of, rng.randint(0, 364)), "unsubscribed": rng.random() < 0.04,
            "sales_accepted": True if rng.random() < 0.02 else None}  # fmt: skip
