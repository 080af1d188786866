"""The demo company's vocabulary: reps, names, industries, titles, tools, rivals, and how often each
occurs. Data, not logic: `generate.py` draws from these tables."""

from __future__ import annotations

# fmt: off
SITE = "https://www.beaconhq.com"  # the demo's own company, Beacon, sells account-based marketing software
REPS = (  # rep_id, name, role, team, capacity (None: the model's default applies)
    ("R01", "Maya Chen", "AE", "Enterprise", 8), ("R02", "Jonas Weber", "AE", "Enterprise", 8),
    ("R03", "Aisha Bello", "AE", "Enterprise", 10), ("R04", "Daniel Kowalski", "AE", "Enterprise", 9),
    ("R05", "Priya Raman", "AE", "NA East", 12), ("R06", "Tom Okafor", "AE", "NA East", 10),
    ("R07", "Lucia Alvarez", "AE", "NA East", None), ("R08", "Sam Whitfield", "AE", "NA West", 12),
    ("R09", "Hana Sato", "AE", "NA West", 11), ("R10", "Diego Costa", "AE", "NA West", 10),
    ("R11", "Sophie Laurent", "AE", "EMEA", 12), ("R12", "Lars Eriksen", "AE", "EMEA", 10),
    ("R13", "Fatima Haddad", "AE", "EMEA", 9), ("R14", "Kenji Mori", "AE", "APAC & LATAM", 10),
    ("R15", "Camila Rocha", "AE", "APAC & LATAM", None), ("R16", "Grace Mensah", "CSM", "Customer Success", 15),
    ("R17", "Owen Byrne", "CSM", "Customer Success", 15), ("R18", "Nadia Petrova", "CSM", "Customer Success", 12),
    ("R19", "Ravi Iyer", "CSM", "Customer Success", 15), ("R20", "Ellen Brooks", "CSM", "Customer Success", None),
)
OWNERS = {  # who owns an account: tier 1 goes to Enterprise, the rest by region; customers have a CSM too
    "tier 1": ("R01", "R02", "R03", "R04"), "NA": ("R05", "R06", "R07", "R08", "R09", "R10"), "APAC": ("R14", "R15"),
    "EMEA": ("R11", "R12", "R13"), "LATAM": ("R14", "R15"), "CSM": ("R16", "R17", "R18", "R19", "R20"),
}
STEMS = (
    "Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Tailspin", "Wingtip", "Litware", "Proseware",
    "Adatum", "Lamna", "Alpine", "Bluefin", "Cobalt", "Driftwood", "Evergreen", "Foxglove", "Granite", "Harbor",
    "Ironclad", "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Oakridge", "Pinnacle", "Quarry", "Redwood",
    "Summit", "Tidewater", "Vantage", "Willow", "Zephyr", "Aster", "Cinder", "Halcyon", "Larkspur", "Mosaic",
    "Orchard", "Polaris", "Riverbend", "Sable", "Trellis", "Upland", "Verity", "Wayfarer", "Yarrow", "Brightline",
    "Copperleaf", "Fairmont", "Greystone", "Highgate", "Keystone", "Lakeshore", "Norfield",
)
PREFIXES = ("Blue", "North", "Bright", "Silver", "Iron", "Green", "Golden", "Red", "Clear", "High", "First", "New")
FIRST = (
    "Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Dana", "Robin",
    "Priya", "Wei", "Mateo", "Sofia", "Liam", "Emma", "Noah", "Olivia", "Lucas", "Mia", "Ethan", "Aisha", "Kenji",
    "Ingrid", "Rafael", "Chloe", "Omar", "Elena", "Marcus", "Nora", "Felix", "Leah", "Ivan", "Zara", "Hannah",
    "David", "Yuki", "Carlos", "Fatima", "Peter", "Anna", "Tariq", "Julia", "Ben", "Grace", "Arjun",
)
LAST = (
    "Kim", "Patel", "Garcia", "Smith", "Johnson", "Nguyen", "Mueller", "Rossi", "Tanaka", "Silva", "Cohen", "Novak",
    "Larsen", "Dubois", "Okoye", "Brown", "Martin", "Lopez", "Singh", "Walker", "Hughes", "Fischer", "Moreau",
    "Berg", "Costa", "Reyes", "Park", "Ali", "O'Brien", "Schmidt", "Jensen", "Murphy", "Wright", "Chen", "Kowalski",
    "Haddad", "Andersson", "Sato", "Mensah", "Ivanova",
)
INDUSTRIES = {  # industry: percent of accounts, words for company names
    "Software": (22, ("Labs", "Systems", "Software", "Cloud")), "Healthcare": (13, ("Health", "Medical", "Care")),
    "Financial Services": (14, ("Capital", "Financial", "Bank", "Partners")),
    "Manufacturing": (14, ("Industries", "Manufacturing", "Works", "Robotics")),
    "Retail": (12, ("Retail", "Stores", "Outfitters", "Market")), "Education": (7, ("Learning", "Academy")),
    "Logistics": (8, ("Logistics", "Freight", "Shipping")), "Media": (6, ("Media", "Studios", "Publishing")),
    "Professional Services": (4, ("Consulting", "Advisors", "Group")),
}
REGIONS = {"NA": 50, "EMEA": 30, "APAC": 12, "LATAM": 8}
COUNTRIES = {
    "NA": ("United States", "United States", "United States", "Canada"),
    "EMEA": ("United Kingdom", "Germany", "France", "Netherlands", "Sweden", "Spain"),
    "APAC": ("Australia", "Japan", "Singapore", "India"), "LATAM": ("Brazil", "Mexico", "Chile", "Colombia"),
}
SENIORITY = {"C-Level": 5, "VP": 11, "Director": 19, "Manager": 27, "Individual Contributor": 38}
C_LEVEL = {  # title: department
    "Chief Executive Officer": "Executive", "Chief Revenue Officer": "Sales", "Chief Marketing Officer": "Marketing",
    "Chief Financial Officer": "Finance", "Chief Information Officer": "IT", "Chief Operating Officer": "Operations",
    "Chief Technology Officer": "IT", "Chief Information Security Officer": "Security",
}
DEPARTMENTS = {  # department: percent of people, individual contributors' titles
    "Revenue Operations": (14, ("Revenue Operations Analyst", "Salesforce Administrator", "Sales Operations Analyst")),
    "Marketing": (20, ("Demand Generation Specialist", "Marketing Operations Analyst", "Content Marketer")),
    "Sales": (20, ("Account Executive", "Sales Development Representative", "Solutions Consultant")),
    "IT": (12, ("Systems Administrator", "Solutions Architect", "Data Engineer")),
    "Finance": (8, ("Financial Analyst", "Accountant")), "Procurement": (6, ("Procurement Specialist", "Buyer")),
    "Legal": (4, ("Corporate Counsel", "Paralegal")), "Operations": (10, ("Operations Analyst", "Business Analyst")),
    "Security": (6, ("Security Engineer", "Security Analyst")),
}
TOOLS = (  # technology, vendor, category
    ("Marketo", "Adobe", "Marketing Automation"), ("HubSpot Marketing Hub", "HubSpot", "Marketing Automation"),
    ("Outreach", "Outreach", "Sales Engagement"), ("Gong", "Gong", "Conversation Intelligence"),
    ("Snowflake", "Snowflake", "Data Warehouse"), ("Slack", "Salesforce", "Collaboration"),
    ("Salesloft", "Salesloft", "Sales Engagement"), ("ZoomInfo", "ZoomInfo", "Data Provider"),
)
RIVALS = {"Acme": "Acme Intent Cloud", "Demandly": "Demandly", "Scorely": "Scorely ABM", "Signalwise": "Signalwise"}
TOPICS = ("Account-Based Marketing", "Lead Scoring", "Intent Data", "Revenue Operations", "Sales Intelligence")
NEWSLETTERS = ("Newsletter: The RevOps Brief", "Nurture: MQA playbook", "Product update: Q3 release")
WEBINARS = ("Webinar: Intent data 101", "Webinar: Building an MQA model", "Webinar: Capacity-first routing")
ASSETS = ("State of RevOps 2026 report", "ABM buyer's guide", "Lead scoring template")
PAGES = ("browse", "pricing", "compare", "customers", "expansion")  # page views; other actions are their type
ACTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {  # action: channel, the column it fills, its values
    "browse": ("web", "url", ("/", "/product", "/product/intent", "/product/scoring", "/about",
                              "/integrations/salesforce", "/integrations/hubspot", "/blog/what-is-an-mqa", "/careers")),
    "pricing": ("web", "url", ("/pricing", "/pricing#faq")), "compare": ("web", "url", ("/compare/{rival}-vs-us",)),
    "customers": ("web", "url", ("/customers/contoso", "/customers/tailspin", "/customers/lumen")),
    "expansion": ("web", "url", ("/add-ons", "/add-ons/intent-data", "/enterprise")),
    "email_open": ("email", "campaign", NEWSLETTERS), "email_click": ("email", "campaign", NEWSLETTERS),
    "unsubscribe": ("email", "campaign", NEWSLETTERS),
    "ad_click": ("paid_social", "campaign", ("LinkedIn ABM retargeting", "G2 category ad")),
    "webinar_registered": ("webinar", "campaign", WEBINARS), "webinar_attended": ("webinar", "campaign", WEBINARS),
    "event_attended": ("event", "campaign", ("RevOps Summit 2026", "Pipeline Live London")),
    "content_download": ("web", "asset", ASSETS), "form_submit": ("web", "asset", ASSETS),
    "trial_signup": ("web", "url", ("/signup",)), "demo_request": ("web", "url", ("/demo",)),
    "contact_sales": ("web", "url", ("/contact-sales",)),
    "meeting_booked": ("sales", "campaign", ("Discovery call", "Product demo")),
}
MIXES = {  # action weights: a person's year in the background, a buying episode, a growing customer …
    "background": {"email_open": 44, "email_click": 9, "browse": 22, "ad_click": 10, "pricing": 3,
                   "webinar_registered": 4, "webinar_attended": 3, "content_download": 4, "event_attended": 1},
    "episode": {"pricing": 18, "browse": 14, "customers": 10, "compare": 3, "webinar_attended": 8,
                "content_download": 10, "form_submit": 4, "email_click": 12, "trial_signup": 2,
                "demo_request": 1, "meeting_booked": 1, "event_attended": 3},
    "expanding": {"expansion": 30, "browse": 20, "customers": 10, "email_click": 15, "pricing": 10,
                  "webinar_attended": 10, "meeting_booked": 5},
    "anonymous": {"browse": 57, "pricing": 14, "customers": 10, "compare": 1, "ad_click": 14, "expansion": 4},
}
# Percent of accounts per story; the story decides which of the reference model's badges an account
# should earn. Customers' stories first; "cold" last, as it takes whatever rounding leaves.
STORIES = {"at_risk": 1.5, "expanding": 2, "renewing": 2, "steady": 4.5, "switching": 1.5, "comparing": 1.5,
            "funded": 3, "new_leader": 3, "surging": 2, "hand_raiser": 2, "warm": 30, "cold": 47}
RATE = {"cold": 0.6, "warm": 2.8, "hot": 9.0, "customer": 11.0}  # median background activities a person a year
HOURS = (1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 18, 16, 12, 15, 17, 16, 13, 9, 6, 4, 3, 2, 2, 1)  # by hour, UTC
SPELLINGS = (50, 82.5, 92.5, 100)  # cumulative: by account_id, domain, www.domain, DOMAIN
# fmt: on
