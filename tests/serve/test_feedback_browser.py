"""Sales feedback in real headless Chromium (SPEC §13, §8): a rep clicks "Not now" on a queue entry and the page
says it was kept, without reloading; the account page lists the verdicts, newest first, the rep's note as text;
a hostile page on another origin of the same machine cannot make the browser give a verdict, whether the
dashboard has no token (loopback) or the browser is signed in with one. The lead-status funnel is drawn in
SPEC §4.5's order. The tests that write serve a copy of the demo store."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.serve.conftest import TOKEN, XSS, Demo, Server, serving
from tests.serve.test_browser import ARTIFACTS, browser  # noqa: F401  (the module's Chromium)
from whynow.store import Store

NOTE = f"budget freeze {XSS} & <b>Q1</b>"  # a note is the rep's text: shown as text, never as HTML


@pytest.fixture
def writable(demo: Demo, tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """The dashboard over a copy of the demo store (loopback, no token), and the copy."""
    shutil.copy(demo.store, tmp_path / "whynow.duckdb")
    with serving(tmp_path / "whynow.duckdb") as running:
        yield running, tmp_path / "whynow.duckdb"


@contextlib.contextmanager
def tab(browser, base_url: str, name: str, expected: str = "") -> Iterator[object]:  # noqa: F811
    """A page of a fresh context that must raise no console error (but the `expected` one), page error or dialog
    (a script that ran)."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    try:
        yield page
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
    assert [p for p in problems if not (expected and expected in p)] == []


def surfaced(demo: Demo) -> tuple[str, str]:
    """The surfaced account named like a script, and the rep it is routed to."""
    (rep,) = demo.sql(
        "SELECT route_to FROM account_status WHERE account_id = ? AND as_of = (SELECT max(as_of) FROM runs)",
        [demo.xss_account],
    )[0]
    return demo.xss_account, str(rep)


def test_not_now_on_a_queue_entry_is_kept_and_said_without_a_reload(browser, writable, demo: Demo) -> None:  # noqa: F811
    server, store = writable
    account, rep = surfaced(demo)
    with tab(browser, server.url, "feedback-queue") as page:
        page.goto(f"/queues?rep={rep}")
        page.evaluate("window.notReloaded = true")
        form = page.locator(f"ol.surfaced > li[data-account='{account}'] form.feedback")
        assert form.is_visible() and form.get_attribute("data-rep") == rep
        assert form.locator("button").all_inner_texts() == ["Working", "Not now", "Wrong fit"]
        form.locator("input[name=note]").fill(NOTE)
        form.get_by_role("button", name="Not now").click()
        said = form.locator("output.kept")
        said.filter(has_text="kept").wait_for()
        assert said.inner_text().startswith("Not now — kept; runs as of before ")
        assert form.get_by_role("button", name="Not now").get_attribute("aria-pressed") == "true"
        assert page.evaluate("window.notReloaded") is True  # the page was not loaded again
        # Another entry's form is untouched.
        assert page.locator("ol.surfaced > li form.feedback output.kept:not(:empty)").count() == 1
    (kept,) = Store(store).feedback(account=account)
    assert (kept["rep_id"], kept["verdict"], kept["source"], kept["given_by"]) == (rep, "not_now", "dashboard", rep)
    assert kept["note"] == NOTE
    with tab(browser, server.url, "feedback-account-history") as page:
        page.goto(f"/accounts/{account}")
        cells = page.locator("#feedback-history tbody tr").first.locator("td").all_inner_texts()
    assert cells[1:6] == [rep, "not now", kept["badge"], "dashboard", NOTE]
    assert cells[6] > str(kept["given_at"].date())  # it holds runs up to a date after the day it was given


def test_the_account_page_gives_a_verdict_and_lists_the_history_newest_first(browser, writable, demo: Demo) -> None:  # noqa: F811
    server, store = writable
    account, rep = surfaced(demo)
    with tab(browser, server.url, "feedback-account") as page:
        page.goto(f"/accounts/{account}")
        assert page.locator("#feedback-history tbody").inner_text() == "No feedback given on this account."
        form = page.locator("#narrative form.feedback")
        assert form.get_attribute("data-rep") == rep  # the account's route target
        form.get_by_role("button", name="Working").click()
        form.locator("output.kept").filter(has_text="Working — kept").wait_for()
        form.locator("input[name=note]").fill(NOTE)
        form.get_by_role("button", name="Wrong fit").click()
        form.locator("output.kept").filter(has_text="Wrong fit — kept").wait_for()
        shown = [r.get_attribute("data-verdict") for r in page.locator("#feedback-history tbody tr").all()]
        assert shown == ["wrong_fit", "working"]  # listed as given, without a reload
        page.reload()
        rows = page.locator("#feedback-history tbody tr")
        assert [r.get_attribute("data-verdict") for r in rows.all()] == ["wrong_fit", "working"]
        assert rows.first.locator("td").nth(5).inner_text() == NOTE
    assert [(r["verdict"], r["source"]) for r in Store(store).feedback(account=account)] == [
        ("wrong_fit", "dashboard"),
        ("working", "dashboard"),
    ]


def test_a_bad_verdict_says_why_on_the_page(browser, writable, demo: Demo) -> None:  # noqa: F811
    server, store = writable
    account = demo.xss_account
    with tab(browser, server.url, "feedback-too-long", expected="status of 400 (Bad Request)") as page:
        page.goto(f"/accounts/{account}")
        form = page.locator("#narrative form.feedback")
        form.locator("input[name=note]").evaluate("(input, text) => { input.removeAttribute('maxlength'); "
                                                  "input.value = text; }", "x" * 2001)  # fmt: skip
        form.get_by_role("button", name="Not now").click()
        form.locator("output.kept.error").wait_for()
        assert form.locator("output.kept").inner_text() == "Not kept: the note is 2,001 characters; keep it to 2,000"
    assert Store(store).feedback() == []


# --- a hostile page on another origin of the same machine ----------------------------------------------------

HOSTILE = """<!doctype html><title>win a prize</title>
<form id="f" method="post" action="{target}/api/feedback" enctype="text/plain">
<input name='{{"account_id": "{account}", "rep_id": "{rep}", "verdict": "wrong_fit", "note": "' value='"}}'>
</form>
<script>
var body = JSON.stringify({{account_id: "{account}", rep_id: "{rep}", verdict: "wrong_fit"}});
var tries = [
  fetch("{target}/api/feedback", {{method: "POST", mode: "no-cors", credentials: "include",
    headers: {{"Content-Type": "text/plain"}}, body: body}}),
  fetch("{target}/api/feedback", {{method: "POST", credentials: "include",
    headers: {{"Content-Type": "application/json"}}, body: body}}),
];
Promise.allSettled(tries).then(function () {{ document.getElementById("f").submit(); }});
</script>"""


@contextlib.contextmanager
def hostile(target: str, account: str, rep: str) -> Iterator[str]:
    """Another origin on this machine (127.0.0.1, another port) serving a page that tries, on opening, to give a
    verdict on the dashboard at `target`: two fetches, then an auto-submitted form; its URL."""
    page = HOSTILE.format(target=target, account=account, rep=rep).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _attack(browser, context, url: str, target: str) -> int:  # noqa: F811
    """Open the hostile page; the status the dashboard answered its form with."""
    page = context.new_page()
    with page.expect_response(lambda r: r.url == f"{target}/api/feedback" and r.request.method == "POST"
                              and r.request.headers.get("content-type", "").startswith("text/plain")
                              and r.request.resource_type == "document") as answered:  # fmt: skip
        page.goto(url)
    page.wait_for_load_state()
    return int(answered.value.status)


def test_a_hostile_page_on_another_origin_cannot_give_a_verdict_on_loopback(browser, writable, demo) -> None:  # noqa: F811
    server, store = writable
    account, rep = surfaced(demo)
    context = browser.new_context()
    try:
        with hostile(server.url, account, rep) as url:
            assert _attack(browser, context, url, server.url) == 403  # the form reached it, and was refused
    finally:
        context.close()
    assert Store(store).feedback() == []


def test_a_hostile_page_cannot_give_a_verdict_with_a_signed_in_browsers_cookie(browser, demo: Demo, tmp_path) -> None:  # noqa: F811
    shutil.copy(demo.store, tmp_path / "whynow.duckdb")
    store = tmp_path / "whynow.duckdb"
    account, rep = surfaced(demo)
    with serving(store, host="0.0.0.0", token=TOKEN) as server:
        context = browser.new_context(base_url=server.url)
        try:
            page = context.new_page()
            page.goto("/login?next=/queues")
            page.fill("input[name=token]", TOKEN)
            page.click("form.login button[type=submit]")
            page.wait_for_url("**/queues")
            # A cookie knows no port: the hostile page's form carries the SameSite=Strict session (same site).
            with hostile(server.url, account, rep) as url:
                assert _attack(browser, context, url, server.url) == 403  # not 401: signed in, and still refused
            # The signed-in rep's own click is kept.
            page.goto(f"/accounts/{account}")
            page.locator("#narrative form.feedback").get_by_role("button", name="Not now").click()
            page.locator("#narrative output.kept").filter(has_text="kept").wait_for()
        finally:
            context.close()
    assert [(r["source"], r["given_by"]) for r in Store(store).feedback()] == [("dashboard", "token")]


def test_the_lead_status_funnel_is_drawn_in_its_order(browser, server: Server, demo: Demo) -> None:  # noqa: F811
    with tab(browser, server.url, "lead-funnel") as page:
        page.goto("/")
        order = ["new", "nurture", "mql", "sql", "recycled", "disqualified"]
        assert page.locator("#lead-funnel tbody td:first-child").all_inner_texts() == order
        counted = dict(demo.sql(
            "SELECT lead_status, count(*) FROM contact_status WHERE as_of = (SELECT max(as_of) FROM runs) GROUP BY ALL"
        ))  # fmt: skip
        shown = page.locator("#lead-funnel tbody td:nth-child(2)").all_inner_texts()
        assert shown == [f"{counted.get(status, 0):,}" for status in order]
        page.locator("#chart-lead-statuses svg.main-svg").first.wait_for()
        drawn = page.locator("#chart-lead-statuses .funnellayer .point").count()
        assert drawn == len(order)
