"""Sales feedback through the dashboard's API (SPEC §13, §8), in process: `POST /api/feedback` keeps a verdict
through the same checks as `whynow feedback`, says what the next run does with it, needs the token off
loopback, and refuses a browser's request from another site's page; the account page lists the verdicts.
Each test writes to a copy of the demo store."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import pytest

from tests.serve.conftest import TOKEN, Demo, in_process
from whynow.examples import reference_model_path
from whynow.model.load import load_model
from whynow.run import run
from whynow.serve.app import COOKIE, create_app
from whynow.store import Store

if TYPE_CHECKING:
    from starlette.testclient import TestClient

OWN = "http://127.0.0.1"  # the in-process client's Host: the dashboard's own origin


@pytest.fixture
def copy(demo: Demo, tmp_path: Path) -> Path:
    """A copy of the demo store, for a test that writes."""
    shutil.copy(demo.store, tmp_path / "whynow.duckdb")
    return tmp_path / "whynow.duckdb"


def surfaced(demo: Demo) -> tuple[str, str]:
    """The first surfaced account of the last run, and the rep it is routed to."""
    account, rep = demo.sql(
        "SELECT account_id, route_to FROM account_status WHERE queue = 'surfaced' AND route_to IS NOT NULL "
        "AND as_of = (SELECT max(as_of) FROM runs) ORDER BY route_to, queue_rank LIMIT 1"
    )[0]
    return str(account), str(rep)


def post(client: TestClient, body: dict[str, object], **headers: str) -> object:
    return client.post("/api/feedback", json=body, headers=headers)


def test_a_verdict_is_kept_and_says_what_the_next_run_does(copy: Path, demo: Demo) -> None:
    account, rep = surfaced(demo)
    client = in_process(create_app(Store(copy)))
    answer = client.post("/api/feedback", json={"account_id": account, "rep_id": rep, "verdict": "not_now",
                                                "note": "  budget freeze until Q1  "})  # fmt: skip
    assert answer.status_code == 201, answer.text
    row = answer.json()
    until = dt.datetime.fromisoformat(row["given_at"]).date() + dt.timedelta(days=14)  # the reference model's
    assert row["holds_until"] == str(until)
    assert row["kept"] == f"Not now — kept; runs as of before {until} hold it out of the queue"
    assert (row["source"], row["given_by"], row["note"]) == ("api", rep, "budget freeze until Q1")
    (kept,) = Store(copy).feedback(account=account)
    assert (kept["rep_id"], kept["verdict"], kept["source"], kept["given_by"]) == (rep, "not_now", "api", rep)
    badge = demo.sql("SELECT badge FROM account_status WHERE account_id = ? ORDER BY as_of DESC LIMIT 1", [account])
    assert kept["badge"] == badge[0][0] is not None
    history = client.get(f"/api/accounts/{account}").json()["feedback"]
    assert [(f["verdict"], f["note"], f["holds_until"]) for f in history] == [("not_now", row["note"], str(until))]


def test_the_dashboards_own_page_gives_it_as_dashboard(copy: Path, demo: Demo) -> None:
    account, rep = surfaced(demo)
    client = in_process(create_app(Store(copy)))
    body = {"account_id": account, "rep_id": rep, "verdict": "working"}
    answer = client.post("/api/feedback", json=body, headers={"Origin": OWN, "Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["kept"] == "Working — kept; it changes nothing in the queues"
    assert [r["source"] for r in Store(copy).feedback()] == ["dashboard"]


def test_a_verdict_by_another_rep_holds_nothing(copy: Path, demo: Demo) -> None:
    account, rep = surfaced(demo)
    other = demo.sql("SELECT rep_id FROM reps WHERE rep_id <> ? ORDER BY rep_id LIMIT 1", [rep])[0][0]
    client = in_process(create_app(Store(copy)))
    answer = client.post("/api/feedback", json={"account_id": account, "rep_id": other, "verdict": "wrong_fit"})
    assert answer.status_code == 201
    assert answer.json()["kept"] == f"Wrong fit — kept; it holds nothing while the account is routed to {rep}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"verdict": "maybe"}, "verdict 'maybe': give one of working, not_now, wrong_fit"),
        ({"account_id": "NOPE-1"}, "account 'NOPE-1' is not in the last run of"),
        ({"rep_id": "nobody"}, "rep 'nobody' is not among the reps of the last run of"),
        ({"note": "x" * 2001}, "the note is 2,001 characters; keep it to 2,000"),
    ],
    ids=["verdict", "account", "rep", "note"],
)
def test_a_verdict_not_kept_says_why_in_one_line(copy: Path, demo: Demo, change: dict, message: str) -> None:
    account, rep = surfaced(demo)
    client = in_process(create_app(Store(copy)))
    answer = client.post("/api/feedback", json={"account_id": account, "rep_id": rep, "verdict": "not_now", **change})
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert detail.startswith(message) and "\n" not in detail
    assert Store(copy).feedback() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:9999"},  # another port of the same host: same-site, not same-origin
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # a sandboxed frame, a file:// page
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": OWN, "Sec-Fetch-Site": "same-site"},
    ],
    ids=["other-port", "other-site", "null", "cross-site", "same-site", "own-origin-but-same-site"],
)
def test_a_browsers_request_from_another_sites_page_is_refused(copy: Path, demo: Demo, headers: dict) -> None:
    account, rep = surfaced(demo)
    client = in_process(create_app(Store(copy)))  # loopback, no token: nothing else stands in the way
    answer = client.post("/api/feedback", json={"account_id": account, "rep_id": rep, "verdict": "wrong_fit"},
                         headers=headers)  # fmt: skip
    assert answer.status_code == 403
    assert answer.json()["detail"].startswith("refused: the request comes from another site's page")
    assert Store(copy).feedback() == []


def test_only_json_is_taken_so_no_cross_site_form_can_send_one(copy: Path, demo: Demo) -> None:
    account, rep = surfaced(demo)
    client = in_process(create_app(Store(copy)))
    # What an enctype="text/plain" form makes of <input name='{"account_id": …, "note": "' value='"}'>
    body = f'{{"account_id": "{account}", "rep_id": "{rep}", "verdict": "not_now", "note": "="}}'
    answer = client.post("/api/feedback", content=body, headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415 and "Content-Type: application/json" in answer.json()["detail"]
    assert Store(copy).feedback() == []


def test_off_loopback_a_verdict_needs_the_token_and_is_given_by_its_holder(copy: Path, demo: Demo) -> None:
    account, rep = surfaced(demo)
    app = create_app(Store(copy), TOKEN, loopback=False)
    body = {"account_id": account, "rep_id": rep, "verdict": "not_now"}
    stranger = in_process(app)
    assert stranger.post("/api/feedback", json=body).status_code == 401
    assert stranger.post("/api/feedback", json=body, headers={"Authorization": "Bearer guess"}).status_code == 401
    assert Store(copy).feedback() == []
    client = in_process(app)  # a program with the bearer header: no cookie, no Origin
    answer = client.post("/api/feedback", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 201, answer.text
    assert (answer.json()["source"], answer.json()["given_by"]) == ("api", "token")
    browser = in_process(app)
    assert browser.post("/login", data={"token": TOKEN, "next": "/"}).status_code == 303
    assert browser.cookies.get(COOKIE)
    # The session cookie goes with any request to this host, so another page's request must still be refused.
    refused = browser.post("/api/feedback", json=body, headers={"Origin": "http://127.0.0.1:9999"})
    assert refused.status_code == 403
    mine = browser.post("/api/feedback", json=body, headers={"Origin": OWN, "Sec-Fetch-Site": "same-origin"})
    assert mine.status_code == 201
    assert [(r["source"], r["given_by"]) for r in Store(copy).feedback()] == [("dashboard", "token"), ("api", "token")]


def test_the_next_run_holds_an_account_its_rep_said_not_now_to(copy: Path, demo: Demo) -> None:
    account, rep = surfaced(demo)
    client = in_process(create_app(Store(copy)))
    answer = client.post("/api/feedback", json={"account_id": account, "rep_id": rep, "verdict": "not_now"})
    assert answer.status_code == 201
    as_of = dt.datetime.fromisoformat(answer.json()["given_at"]).date() + dt.timedelta(days=1)  # after its horizon
    before = {str(a) for (a,) in demo.sql(
        "SELECT account_id FROM account_status WHERE as_of = (SELECT max(as_of) FROM runs) AND route_to = ? "
        "AND queue = 'surfaced'", [rep])}  # fmt: skip
    assert account in before
    result = run(load_model(reference_model_path()), str(demo.folder), as_of, store=copy, send_alerts=False)
    status = result.outputs["account_status"].to_pylist()
    mine = {str(a["account_id"]): a for a in status}
    assert (mine[account]["queue"], mine[account]["held_reason"]) == ("held", "not now (sales feedback)")
    assert mine[account]["route_to"] == rep


def test_the_openapi_schema_describes_the_verdict_and_the_answer_matches_it(copy: Path, demo: Demo) -> None:
    account, rep = surfaced(demo)
    client = in_process(create_app(Store(copy)))
    openapi = client.get("/api/openapi.json").json()
    operation = openapi["paths"]["/api/feedback"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = openapi["components"]["schemas"][body]["properties"]
    assert fields["verdict"]["enum"] == ["working", "not_now", "wrong_fit"]
    assert set(operation["responses"]) >= {"201", "400", "403", "415", "422"}
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and 'Takes a JSON body: <a href="#FeedbackRequest">' in docs.text
    answer = client.post("/api/feedback", json={"account_id": account, "rep_id": rep, "verdict": "wrong_fit"})
    schema = operation["responses"]["201"]["content"]["application/json"]["schema"]
    jsonschema.validate(answer.json(), {**schema, "components": openapi["components"]},
                        cls=jsonschema.Draft202012Validator, format_checker=jsonschema.FormatChecker())  # fmt: skip


def test_a_verdict_while_a_run_holds_the_store_is_not_kept_and_answers_busy(
    copy: Path, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run writing the store for longer than a writer waits: 503 saying so, and nothing written."""
    import whynow.store.database
    from tests.test_store_busy import _held

    account, rep = surfaced(demo)
    client = in_process(create_app(Store(copy)))
    monkeypatch.setattr(whynow.store.database, "BUSY_WAIT_S", 0.3)
    with _held(copy, 30) as holder:
        answer = post(client, {"account_id": account, "rep_id": rep, "verdict": "not_now"})
    assert answer.status_code == 503, answer.text  # type: ignore[attr-defined]
    assert f"the store is busy: process {holder.pid}" in answer.text  # type: ignore[attr-defined]
    assert Store(copy).feedback() == []
