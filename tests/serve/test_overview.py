"""The overview (SPEC §8): the stage funnel in the journey's order, with the stage names as the model writes
them and the accounts no stage held last; pipeline by badge × motion charted in accounts and in open
pipeline; the contacts per lead status in the funnel's order."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from tests.serve.conftest import WEEKS, in_process
from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.serve.app import create_app
from whynow.store import Store

# Not alphabetical, capitalised and spaced as a model may write them, and no catch-all last stage.
JOURNEY = """journey:
  - stage: Post-sale
    when: is_customer
  - stage: In deal
    when: has_open_opportunity
  - stage: MQA
    when: mqa
  - stage: Aware
    when: days_since_last_activity <= 90
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("overview")
    generate_demo_data(folder, seed=11, accounts=80)
    text = reference_model_path().read_text()
    start, end = text.index("\njourney:\n") + 1, text.index("\nbadges:\n") + 1
    model = load_model_text(text[:start] + JOURNEY + "\n" + text[end:])
    run(model, str(folder), WEEKS[1], store=folder / "whynow.duckdb", fresh=True, send_alerts=False)
    return folder / "whynow.duckdb"


def _chart(html: str, name: str) -> dict:
    found = re.search(rf'<script type="application/json" id="spec-{name}">(.*?)</script>', html, re.S)
    assert found, name
    return json.loads(found.group(1))


def test_the_funnel_follows_the_journey_with_its_stage_names(store: Path) -> None:
    client = in_process(create_app(Store(store)))
    funnel = client.get("/api/overview").json()["funnel"]
    assert [f["stage"] for f in funnel] == ["Post-sale", "In deal", "MQA", "Aware", None]
    assert funnel[-1]["accounts"] > 0  # accounts no stage held, last
    page = client.get("/")
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>(?:<a [^>]*>)?([^<]*)(?:</a>)?</td><td class=\"n\" data-value=\"(\d+)\"", page.text)
    shown = [(stage, int(n)) for stage, n in rows if stage in {"Post-sale", "In deal", "MQA", "Aware", "unqualified"}]
    assert shown == [(f["stage"] or "unqualified", f["accounts"]) for f in funnel]
    drawn = _chart(page.text, "funnel")["data"][0]
    assert drawn["y"] == ["Post-sale", "In deal", "MQA", "Aware", "unqualified"]
    assert drawn["x"] == [f["accounts"] for f in funnel]


def test_pipeline_is_charted_in_accounts_and_in_open_pipeline(store: Path) -> None:
    client = in_process(create_app(Store(store)))
    cells = [c for c in client.get("/api/overview").json()["pipeline"] if c["badge"] is not None]
    html = client.get("/").text
    for name, measure in (("pipeline", "accounts"), ("open-pipeline", "open_pipeline")):
        chart = _chart(html, name)
        drawn = {(y, trace["name"]): x for trace in chart["data"] for y, x in zip(trace["y"], trace["x"], strict=True)}
        assert drawn == {(c["badge_label"], c["motion"]): c[measure] for c in cells}, name
        axis = chart["layout"]["yaxis"]  # top to bottom as the table lists the badges
        assert axis["categoryarray"] == list(dict.fromkeys(c["badge_label"] for c in cells))
        assert axis["autorange"] == "reversed"
    assert sum(c["open_pipeline"] for c in cells) > 0


def test_the_lead_status_funnel_counts_the_contacts_in_the_funnels_order(store: Path) -> None:
    client = in_process(create_app(Store(store)))
    shown = client.get("/api/overview").json()["lead_statuses"]
    order = ["new", "nurture", "mql", "sql", "recycled", "disqualified"]  # SPEC §4.5, every one even at 0
    assert [f["lead_status"] for f in shown] == order
    con = duckdb.connect(str(store), read_only=True)
    try:
        counted = dict(con.execute("SELECT lead_status, count(*) FROM contact_status GROUP BY ALL").fetchall())
    finally:
        con.close()
    assert {f["lead_status"]: f["contacts"] for f in shown if f["contacts"]} == counted
    page = client.get("/").text
    rows = re.findall(r'<tr data-status="([a-z]+)"><td>\1</td><td class="n" data-value="(\d+)"', page)
    assert [(status, int(n)) for status, n in rows] == [(f["lead_status"], f["contacts"]) for f in shown]
    drawn = _chart(page, "lead-statuses")["data"][0]
    assert (drawn["type"], drawn["y"], drawn["x"]) == ("funnel", order, [f["contacts"] for f in shown])
