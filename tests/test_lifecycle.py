"""The lead lifecycle over weekly runs (SPEC §4.5): a sales-ready contact that goes cold is `recycled`, stays
so for `recycle_days` from its `status_since`, then falls back to nurture or new; a recycled or disqualified
contact that is sales-ready again has re-engaged; `status_since` is carried while a status lasts and reset
when it changes.

The company: one account, three people. Ann asks for a demo in the first week and goes quiet; Bob is
disqualified (unsubscribed) and later asks for a demo again; Cy browses now and then. A demo request is
worth 10 points for 10 days (`lookback_days: 10`): ten points make an MQL, any points nurture.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from whynow.model.load import load_model_text
from whynow.run import run

MODEL = """\
model: lifecycle
engagement:
  lookback_days: 10
  rules:
    - {name: Demo request, when: "type = 'demo_request'", points: 10, hand_raiser: true}
    - {name: Page view, when: "type = 'page_view'", points: 1}
buying_committee: {engaged_within_days: 10}
leads:
  disqualify_when: unsubscribed
  mql_when: engagement >= 10
  nurture_when: engagement > 0
  recycle_days: 14
"""
WEEKS = [dt.date(2026, 11, 2) + dt.timedelta(weeks=n) for n in range(6)]  # Mondays, Nov 2 … Dec 7


def _company(folder: Path, week: int) -> Path:
    """The data as of week `week` (0-based): every activity up to that week's Monday; Bob unsubscribed
    until week 3, when he asks for a demo."""
    folder.mkdir(parents=True, exist_ok=True)
    activities = [
        ["X1", "2026-10-28 09:00:00", "demo_request", "C1"],  # Ann, once
        ["X2", "2026-10-30 09:00:00", "page_view", "C3"],
        ["X3", "2026-11-20 09:00:00", "page_view", "C3"],
        ["X4", "2026-11-27 09:00:00", "page_view", "C3"],
        ["X5", "2026-11-22 09:00:00", "demo_request", "C2"],  # Bob, back
    ]
    seen = [a for a in activities if dt.datetime.fromisoformat(a[1]).date() < WEEKS[week]]
    rows = {
        "accounts": [["account_id", "name", "domain", "owner_id"], ["A1", "Acme", "acme.example", "R1"]],
        "contacts": [
            ["contact_id", "account_id", "first_name", "last_name", "unsubscribed"],
            ["C1", "A1", "Ann", "Lee", ""],
            ["C2", "A1", "Bob", "Roe", "true" if week < 3 else ""],
            ["C3", "A1", "Cy", "Dee", ""],
        ],
        "activities": [["activity_id", "occurred_at", "type", "contact_id"], *seen],
    }
    for name, table in rows.items():
        with (folder / f"{name}.csv").open("w", newline="") as out:
            csv.writer(out).writerows(table)
    return folder


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, pa.Table]]:
    """Six weekly runs into one store: each week's contact_status and changes."""
    model = load_model_text(MODEL, "model.yaml")
    root = tmp_path_factory.mktemp("lifecycle")
    store = root / "store.duckdb"
    found = []
    for n, day in enumerate(WEEKS):
        outputs = run(model, str(_company(root / f"week{n}", n)), day, store=store).outputs
        found.append({name: outputs[name] for name in ("contact_status", "changes")})
    return found


def _status(week: dict[str, pa.Table], contact: str) -> tuple[str, dt.date]:
    row = next(r for r in week["contact_status"].to_pylist() if r["contact_id"] == contact)
    return row["lead_status"], row["status_since"]


def _logged(week: dict[str, pa.Table], contact: str) -> list[tuple[str, str, str | None]]:
    return [
        (r["old"], r["new"], r["reason"])
        for r in week["changes"].to_pylist()
        if r["entity_id"] == contact and r["change"] == "status_changed"
    ]


def test_a_sales_ready_contact_that_goes_cold_is_recycled_for_recycle_days_then_new(weeks) -> None:
    ann = [_status(week, "C1") for week in weeks]
    assert ann[0] == ("mql", WEEKS[0])  # the demo request of Oct 28 counts for 10 days
    assert ann[1] == ("recycled", WEEKS[1])  # cold: sales-ready last week
    assert ann[2] == ("recycled", WEEKS[1])  # 7 days since, fewer than 14: still recycled, since kept
    assert ann[3] == ("new", WEEKS[3])  # Nov 23 is not before Nov 9 + 14: back to what the data says
    assert _logged(weeks[1], "C1") == [("mql", "recycled", "recycled")]
    assert _logged(weeks[2], "C1") == []
    assert _logged(weeks[3], "C1") == [("recycled", "new", None)]


def test_a_disqualified_contact_that_asks_again_has_reengaged(weeks) -> None:
    bob = [_status(week, "C2") for week in weeks]
    assert bob[:3] == [("disqualified", WEEKS[0])] * 3  # the stretch keeps its first day
    assert bob[3] == ("mql", WEEKS[3])
    assert _logged(weeks[3], "C2") == [("disqualified", "mql", "reengaged")]
    assert bob[4] == ("mql", WEEKS[3])
    assert bob[5] == ("recycled", WEEKS[5])  # the demo request of Nov 22 is past its 10 days on Dec 7
    assert _logged(weeks[5], "C2") == [("mql", "recycled", "recycled")]


def test_status_since_is_carried_while_the_status_lasts_and_reset_when_it_changes(weeks) -> None:
    cy = [_status(week, "C3") for week in weeks]
    # page views on Oct 30, Nov 20, Nov 27: nurture while one is within 10 days
    assert [s for s, _ in cy] == ["nurture", "new", "new", "nurture", "nurture", "new"]
    assert [d for _, d in cy] == [WEEKS[0], WEEKS[1], WEEKS[1], WEEKS[3], WEEKS[3], WEEKS[5]]
    assert all(reason is None for week in weeks for _, _, reason in _logged(week, "C3"))  # never sales-ready


def test_a_store_written_before_status_since_existed_is_read_and_each_stretch_starts_anew(tmp_path) -> None:
    import duckdb

    model = load_model_text(MODEL, "model.yaml")
    store = tmp_path / "store.duckdb"
    run(model, str(_company(tmp_path / "w0", 0)), WEEKS[0], store=store)
    with duckdb.connect(str(store)) as db:  # as an earlier whynow wrote it
        db.execute("ALTER TABLE contact_status DROP COLUMN status_since")
    later = run(model, str(_company(tmp_path / "w1", 1)), WEEKS[1], store=store).outputs
    week = {"contact_status": later["contact_status"], "changes": later["changes"]}
    assert _status(week, "C1") == ("recycled", WEEKS[1])  # the previous status is still read
    assert _status(week, "C2") == ("disqualified", WEEKS[1])  # its stretch's first day unknown: starts now
