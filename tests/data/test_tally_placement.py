"""The run summary places activities by looking their keys up (`summary.tally_queries`); validation counts
orphaned and unmatched rows by resolving every row (`resolve.count_orphans_and_unmatched`). SPEC §3 has one
answer: the two must agree on every mix of contact, account and domain keys."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.data.builders import validate_csv
from whynow.summary import as_tally, tally_queries

ACCOUNTS = "account_id,name,domain\nA1,Acme,acme.com\nA2,Beta,www.beta.io\nA3,Gamma,\n"
CONTACTS = "contact_id,account_id\nC1,A1\nC2,A404\nC3,A3\n"  # C2 is an orphan: account A404 does not exist
CONTACT_IDS = st.sampled_from(["", "C1", "C2", "C3", "C999"])
ACCOUNT_IDS = st.sampled_from(["", "A1", "A2", "A404"])
DOMAINS = st.sampled_from(["", "acme.com", "WWW.ACME.COM", " beta.io", "www.beta.io", "nowhere.org"])
ROWS = st.lists(st.tuples(CONTACT_IDS, ACCOUNT_IDS, DOMAINS), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS)
def test_the_summary_places_activities_as_resolution_does(rows):
    lines = [
        f'X{i},2026-11-20,page_view,{contact},{account},"{domain}"\n'
        for i, (contact, account, domain) in enumerate(rows)
    ]
    activities = "activity_id,occurred_at,type,contact_id,account_id,domain\n" + "".join(lines)
    with tempfile.TemporaryDirectory() as folder:
        validated = validate_csv(Path(folder), accounts=ACCOUNTS, contacts=CONTACTS, activities=activities)
        tally = as_tally(tally_queries(validated.tables, "duckdb")["activities"].to_pyarrow())
        validated.close()
    orphaned = pc.sum(pc.filter(tally["rows"], tally["of_orphan"])).as_py() or 0
    unmatched_mask = pc.and_(tally["no_account"], pc.invert(tally["of_orphan"]))
    unmatched = pc.sum(pc.filter(tally["rows"], unmatched_mask)).as_py() or 0
    counted = validated.counts["activities"]
    assert (orphaned, unmatched) == (counted["orphaned"], counted["unmatched"])
