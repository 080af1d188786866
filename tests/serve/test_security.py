"""The dashboard's security (SPEC §8) against a real `whynow serve`: a token off loopback on every page
and API call, compared in constant time; the login form's cookie; loopback host names only on loopback;
security headers; text from the data always shown as text; no lock held on the store between requests."""

from __future__ import annotations

import html
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import httpx
import pytest

import whynow.serve.query
from tests.serve.conftest import BACKTEST_ID, TOKEN, XSS, Demo, Server, in_process, serving
from tests.test_store_busy import _held
from whynow.serve.app import COOKIE, HEADERS, create_app
from whynow.serve.query import Busy, reading
from whynow.store import Store

if TYPE_CHECKING:
    from starlette.testclient import TestClient  # imported by in_process, as starlette 1 warns on import

PAGES = (
    "/",
    "/queues",
    "/accounts",
    "/changes",
    "/runs",
    "/model",
    "/backtests",
    f"/backtests/{BACKTEST_ID}",
    "/api/docs",
)
API = (
    "/api/runs",
    "/api/overview",
    "/api/accounts",
    "/api/queues",
    "/api/changes",
    "/api/model",
    "/api/backtests",
    "/api/openapi.json",
)


@pytest.fixture(scope="module")
def guarded(demo: Demo) -> Iterator[Server]:
    """The dashboard bound to every address (0.0.0.0), so it needs the token."""
    with serving(demo.store, host="0.0.0.0", token=TOKEN) as running:
        yield running


@pytest.mark.parametrize("path", [*PAGES, *API, "/accounts.csv", "/queues.csv", "/accounts/A0001"])
def test_off_loopback_every_page_and_api_call_needs_the_token(guarded: Server, path: str) -> None:
    refused = httpx.get(guarded.url + path, timeout=30)
    assert refused.status_code == 401
    if path.startswith("/api/"):
        assert refused.headers["www-authenticate"] == "Bearer"
    else:
        assert 'action="/login"' in refused.text  # the login form, to come back to this page
    # a wrong token is refused too, and counted: see test_wrong_tokens_lock_the_client_out_for_longer_each_time
    allowed = httpx.get(guarded.url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert allowed.status_code in (200, 404)  # A0001 may not exist: it got past the guard


def test_the_login_form_sets_an_httponly_samesite_cookie(guarded: Server) -> None:
    with httpx.Client(base_url=guarded.url, timeout=30) as browser:
        failed = browser.post("/login", data={"token": "guess", "next": "/runs"})
        assert failed.status_code == 401 and "not the one" in failed.text
        assert browser.get("/runs").status_code == 401
        signed_in = browser.post("/login", data={"token": TOKEN, "next": "/runs"})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/runs"
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
        assert browser.get("/runs").status_code == 200
        assert browser.get("/api/runs").status_code == 200
        off_site = browser.post("/login", data={"token": TOKEN, "next": "//evil.example/"})
        assert off_site.headers["location"] == "/"  # never redirects off the site
        browser.post("/logout")
        assert browser.get("/runs").status_code == 401


def test_binding_off_loopback_without_a_token_is_refused(demo: Demo) -> None:
    env_free = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "whynow", "serve", "--store", str(demo.store), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=env_free,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: --host 0.0.0.0 is reachable from other machines")
    assert "WHYNOW_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_on_loopback_only_loopback_host_names_are_answered(server: Server) -> None:
    assert httpx.get(server.url + "/runs", timeout=30).status_code == 200
    rebound = httpx.get(server.url + "/runs", headers={"Host": "attacker.example"}, timeout=30)
    assert rebound.status_code == 400  # a page of another site reaching 127.0.0.1 by DNS rebinding


def test_every_response_carries_the_security_headers(server: Server) -> None:
    for path in (*PAGES, "/api/runs", "/static/app.js"):
        headers = httpx.get(server.url + path, timeout=30).headers
        assert "script-src 'self';" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_an_account_named_like_a_script_shows_as_text_on_every_page(server: Server, demo: Demo) -> None:
    rep = demo.sql(
        "SELECT route_to FROM account_status WHERE account_id = ? AND as_of = (SELECT max(as_of) FROM runs)",
        [demo.xss_account],
    )[0][0]
    for path in (
        "/accounts?q=script",
        f"/accounts/{demo.xss_account}",
        f"/queues?rep={rep}",
        "/accounts?per_page=500",
    ):
        page = httpx.get(server.url + path, timeout=30).text
        assert html.escape(XSS, quote=False) in page, path
        assert XSS not in page, path
    csv = httpx.get(server.url + "/accounts.csv", params={"q": "script"}, timeout=30)
    assert csv.headers["content-type"].startswith("text/csv") and XSS in csv.text  # data, not a page


def test_no_lock_is_held_between_requests(server: Server, demo: Demo) -> None:
    for path in PAGES:
        httpx.get(server.url + path, timeout=30)
    writer = duckdb.connect(str(demo.store))  # what `whynow run` needs: the file to itself
    writer.close()
    assert httpx.get(server.url + "/runs", timeout=30).status_code == 200


def test_a_store_being_written_answers_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo: Demo) -> None:
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(demo.store.read_bytes())
    monkeypatch.setattr(whynow.serve.query, "WAIT_S", 0.3)
    with _held(copy, 30) as holder, pytest.raises(Busy) as busy, reading(Store(copy)):
        pass
    assert f"the store is busy: process {holder.pid}" in str(busy.value)


def test_serving_a_store_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "whynow", "serve", "--store", str(tmp_path / "none.duckdb")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert (
        result.stderr
        == f"error: {tmp_path / 'none.duckdb'}: no store here yet; run `whynow run` (or `whynow demo`) first\n"
    )


# --- in process: every error answered as a page is, paging bounds, the login's throttle and sessions ---------


@pytest.fixture(scope="module")
def app_client(demo: Demo) -> TestClient:
    return in_process(create_app(Store(demo.store)))


def _security_headers(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers.get(name, "(missing)") for name in (*HEADERS, "Cache-Control")}


SAFE = {**HEADERS, "Cache-Control": "no-store"}
PAST_ANY_STORE = "99999999999999999999"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/accounts", "page"),
        ("/api/accounts", "per_page"),
        ("/api/changes", "page"),
        ("/api/queues", "page"),
        ("/api/accounts/A0001", "people_page"),
        ("/accounts", "page"),
        ("/accounts.csv", "page"),
        ("/changes", "page"),
        ("/queues", "page"),
        ("/accounts/A0001", "people_page"),
    ],
)
def test_a_page_number_past_any_store_is_refused_saying_which(
    app_client: TestClient, path: str, parameter: str
) -> None:
    response = app_client.get(path, params={parameter: PAST_ANY_STORE})
    assert response.status_code == 422
    assert _security_headers(response) == SAFE
    if path.startswith("/api/"):
        (problem,) = response.json()["detail"]
        assert problem["loc"] == ["query", parameter] and problem["msg"].startswith("Input should be less than")
    else:
        assert 'id="error-message"' in response.text and f"{parameter}: Input should be less than" in response.text


def test_every_error_carries_the_security_headers(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert _security_headers(app_client.get("/runs")) == SAFE
    answers = {
        "no such page": app_client.get("/nowhere"),
        "no such API": app_client.get("/api/nowhere"),
        "no such account": app_client.get("/accounts/nobody"),
        "no such account (API)": app_client.get("/api/accounts/nobody"),
        "wrong method": app_client.post("/runs"),
        "bad parameter": app_client.get("/accounts", params={"mqa": "perhaps"}),
    }

    def broken(*args: object) -> None:
        raise RuntimeError("a bug in the query layer")

    monkeypatch.setattr(whynow.serve.query, "runs", broken)
    answers |= {"a bug": app_client.get("/runs"), "a bug (API)": app_client.get("/api/runs")}
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "no such page": 404,
        "no such API": 404,
        "no such account": 404,
        "no such account (API)": 404,
        "wrong method": 405,
        "bad parameter": 422,
        "a bug": 500,
        "a bug (API)": 500,
    }
    assert {name: _security_headers(answer) for name, answer in answers.items()} == dict.fromkeys(answers, SAFE)
    assert 'id="error-message"' in answers["no such page"].text and "a bug" not in answers["a bug"].text
    assert answers["a bug (API)"].json() == {
        "detail": "Something went wrong on the dashboard's side; its log has the details."
    }
    assert "RuntimeError: a bug in the query layer" in caplog.text  # the traceback is kept, in the log


def test_the_busy_answer_carries_the_security_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo: Demo
) -> None:
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(demo.store.read_bytes())
    monkeypatch.setattr(whynow.serve.query, "WAIT_S", 0.3)
    client = in_process(create_app(Store(copy)))
    with _held(copy, 30):
        page, api = client.get("/runs"), client.get("/api/runs")
    assert (page.status_code, api.status_code) == (503, 503)
    assert _security_headers(page) == _security_headers(api) == SAFE


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sign_in(client: TestClient, token: str) -> httpx.Response:
    return client.post("/login", data={"token": token, "next": "/runs"})


def test_wrong_tokens_lock_the_client_out_for_longer_each_time(demo: Demo) -> None:
    clock = Clock()
    app = create_app(Store(demo.store), TOKEN, loopback=False, clock=clock)
    guesser, colleague = in_process(app, "192.0.2.66"), in_process(app, "192.0.2.7")
    for _ in range(5):
        assert _sign_in(guesser, "guess").status_code == 401
    refused = _sign_in(guesser, TOKEN)  # locked out: not even the right token is compared
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "Too many wrong tokens" in refused.text and _security_headers(refused) == SAFE
    api = guesser.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status_code == 429 and api.headers["retry-after"] == "1" and "Too many wrong tokens" in api.text
    assert _sign_in(colleague, TOKEN).status_code == 303  # another address signs in as usual
    waits = []
    for _ in range(4):
        clock.now += int(refused.headers["retry-after"])
        assert guesser.get("/api/runs", headers={"Authorization": "Bearer guess"}).status_code == 401
        refused = _sign_in(guesser, TOKEN)
        waits.append(refused.headers["retry-after"])
    assert waits == ["2", "4", "8", "16"]
    clock.now += 16
    assert _sign_in(guesser, TOKEN).status_code == 303  # the right token, once the wait is over
    for _ in range(5):
        assert _sign_in(guesser, "guess").status_code == 401  # and the count starts again
    assert _sign_in(guesser, "guess").status_code == 429


def test_a_long_run_of_wrong_tokens_waits_at_most_fifteen_minutes(demo: Demo) -> None:
    clock = Clock()
    client = in_process(create_app(Store(demo.store), TOKEN, loopback=False, clock=clock))
    for _ in range(30):
        _sign_in(client, "guess")
        clock.now += 3600
    assert _sign_in(client, "guess").status_code == 401
    assert _sign_in(client, TOKEN).headers["retry-after"] == "900"


def test_a_cookie_captured_before_logout_opens_nothing_after_it(demo: Demo) -> None:
    clock = Clock()
    app = create_app(Store(demo.store), TOKEN, loopback=False, clock=clock)
    browser, thief = in_process(app), in_process(app, "203.0.113.9")
    signed_in = _sign_in(browser, TOKEN)
    captured = signed_in.cookies[COOKIE]
    assert browser.get("/runs").status_code == 200
    assert browser.post("/logout").status_code == 303
    thief.cookies.set(COOKIE, captured)
    assert thief.get("/runs").status_code == 401 and thief.get("/api/runs").status_code == 401
    again = _sign_in(browser, TOKEN).cookies[COOKIE]
    assert again != captured and browser.get("/runs").status_code == 200  # a new session
    assert browser.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_a_session_ends_after_twelve_hours(demo: Demo) -> None:
    clock = Clock()
    browser = in_process(create_app(Store(demo.store), TOKEN, loopback=False, clock=clock))
    assert "Max-Age=43200" in _sign_in(browser, TOKEN).headers["set-cookie"]
    clock.now += 12 * 3600 - 1
    assert browser.get("/runs").status_code == 200
    clock.now += 1
    assert browser.get("/runs").status_code == 401
