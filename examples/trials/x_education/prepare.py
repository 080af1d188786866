"""X Education's Leads.csv (../shared/data/x-education-leads, see its SOURCE.md) as a whynow data source:
each lead a contact of an account of its own (the leads are people buying a course, not companies).

    python examples/trials/x_education/prepare.py LEADS_CSV OUT_FOLDER

The form default "Select" becomes NULL; Lead Source is lower-cased ("Google" and "google" are one);
`Converted` becomes the boolean column `converted`. `Tags` and `Lead Quality` are left out: the sales team
fills them in during or after qualification, so they leak the outcome.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

TEXT = {  # column in Leads.csv -> declared contacts column (text)
    "Lead Origin": "lead_origin",
    "Lead Source": "lead_source",
    "Last Activity": "last_activity",
    "Country": "country",
    "Specialization": "specialization",
    "How did you hear about X Education": "heard_from",
    "What is your current occupation": "occupation",
    "What matters most to you in choosing a course": "what_matters",
    "Lead Profile": "lead_profile",
    "City": "city",
    "Asymmetrique Activity Index": "activity_index",
    "Asymmetrique Profile Index": "profile_index",
    "Last Notable Activity": "last_notable_activity",
}
NUMBERS = {
    "TotalVisits": "total_visits",
    "Total Time Spent on Website": "time_on_site",
    "Page Views Per Visit": "pages_per_visit",
    "Asymmetrique Activity Score": "activity_score",
    "Asymmetrique Profile Score": "profile_score",
}
YES_NO = {
    "Do Not Email": "do_not_email",
    "Do Not Call": "do_not_call",
    "Search": "search",
    "Newspaper Article": "newspaper_article",
    "X Education Forums": "forums",
    "Newspaper": "newspaper",
    "Digital Advertisement": "digital_advertisement",
    "Through Recommendations": "recommendations",
    "A free copy of Mastering The Interview": "free_copy",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def prepare(leads: Path, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"CREATE VIEW leads AS SELECT * FROM read_csv('{leads}', header = true, all_varchar = true)")

    def cleaned(source: str) -> str:
        value = f"lower({_quote(source)})" if source == "Lead Source" else _quote(source)
        return f"nullif({value}, 'Select')"

    text = [f"{cleaned(source)} AS {name}" for source, name in TEXT.items()]
    numbers = [f"TRY_CAST({_quote(source)} AS DOUBLE) AS {name}" for source, name in NUMBERS.items()]
    flags = [f"{_quote(source)} = 'Yes' AS {name}" for source, name in YES_NO.items()]
    columns = ", ".join(['"Prospect ID" AS contact_id', '"Prospect ID" AS account_id', *text, *numbers, *flags,
                         '"Converted" = \'1\' AS converted'])  # fmt: skip
    con.execute(f"COPY (SELECT {columns} FROM leads) TO '{out / 'contacts.csv'}' (HEADER)")
    con.execute(
        f"""COPY (SELECT "Prospect ID" AS account_id, 'Lead ' || "Lead Number" AS name FROM leads)
        TO '{out / "accounts.csv"}' (HEADER)"""
    )
    rows = con.execute("SELECT count(*) FROM leads").fetchone()
    con.close()
    return int(rows[0]) if rows else 0


if __name__ == "__main__":
    written = prepare(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{written} leads written to {sys.argv[2]} (contacts.csv, accounts.csv)")
