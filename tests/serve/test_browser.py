"""The dashboard in real headless Chromium (Debian's `chromium`, driven by playwright through
`executable_path`; `scripts/ensure-chromium.sh` installs it): every page opens without a console error,
the numbers on screen equal the store's, the overview leads to an account page, the account list filters,
the rep picker leads to a rep's queue, each surfaced account lists who to call, a contact badge shows on its
account's page, no table is wider than its card at 1280 px, and text from the data stays text. Screenshots
are saved under test-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serve.conftest import BACKTEST_ID, XSS, Demo, Server
from whynow.examples import reference_model_path
from whynow.model.load import load_model
from whynow.presentation import format_value

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("WHYNOW_REQUIRE_BACKENDS"):
            pytest.fail("no chromium: `make test` installs it (scripts/ensure-chromium.sh)")
        pytest.skip("no chromium: run the suite with `make test`")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server: Server, request: pytest.FixtureRequest):
    """A fresh page that records console errors and dialogs; both must stay empty."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    tab.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert problems == []


def _numbers(page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def test_the_overview_shows_the_stores_numbers_and_draws_its_charts(page, demo: Demo) -> None:
    page.goto("/")
    as_of = demo.sql("SELECT max(as_of) FROM runs")[0][0]
    rows = demo.sql(
        "SELECT count(*) AS n FROM account_status WHERE as_of = ? GROUP BY badge, motion "
        "ORDER BY badge IS NULL, n DESC, badge",
        [as_of],
    )
    assert _numbers(page, "#pipeline tbody td:nth-child(4)") == [format_value(n, ",") for (n,) in rows]
    total = demo.sql("SELECT count(*) FROM account_status WHERE as_of = ?", [as_of])[0][0]
    assert page.locator("#pipeline-total").inner_text() == format_value(total, ",")
    stages = dict(demo.sql("SELECT stage, count(*) FROM account_status WHERE as_of = ? GROUP BY ALL", [as_of]))
    for row in page.locator("#funnel tbody tr").all():
        stage, shown = row.locator("td").all_inner_texts()
        assert shown == format_value(stages.get(stage, 0), ",")
    surfaced = demo.sql("SELECT count(*) FROM account_status WHERE as_of = ? AND queue = 'surfaced'", [as_of])[0][0]
    assert f"{surfaced} surfaced" in page.locator("#surfaced-held").inner_text()
    for chart in ("pipeline", "open-pipeline", "funnel", "over-time"):
        page.locator(f"#chart-{chart} svg.main-svg").first.wait_for()  # plotly.js drew it
    journey = [stage.stage for stage in load_model(reference_model_path()).spec.journey]
    assert page.locator("#funnel tbody td:first-child").all_inner_texts() == journey  # the journey's order


def test_from_the_overview_to_an_account_page(page, demo: Demo) -> None:
    page.goto("/")
    first = page.locator("#pipeline tbody tr").first
    label = first.locator("td").first.inner_text()
    first.locator("a").click()
    page.wait_for_url("**/accounts?*badge=*")
    badges = set(page.locator("#accounts tbody .badge").all_inner_texts())
    assert badges == {label}
    account = page.locator("#accounts tbody tr").first
    account_id = account.get_attribute("data-account")
    account.locator("td a").first.click()
    page.wait_for_url(f"**/accounts/{account_id}*")
    why = demo.sql(
        "SELECT why FROM account_status WHERE account_id = ? AND as_of = (SELECT max(as_of) FROM runs)", [account_id]
    )[0][0]
    assert page.locator("#why").inner_text() == why
    evidence = demo.sql(
        "SELECT count(*) FROM evidence WHERE entity_type = 'account' AND entity_id = ? "
        "AND as_of = (SELECT max(as_of) FROM runs)",
        [account_id],
    )[0][0]
    assert page.locator("#evidence li").count() == evidence
    assert page.locator("#committee tbody tr").count() > 0


def test_the_account_list_filters(page, demo: Demo) -> None:
    page.goto("/accounts")
    as_of = demo.sql("SELECT max(as_of) FROM runs")[0][0]
    (stage,) = demo.sql(
        "SELECT stage FROM account_status WHERE as_of = ? GROUP BY stage ORDER BY count(*) DESC LIMIT 1",
        [as_of],
    )[0]
    page.select_option("select[name=stage]", stage)
    page.select_option("select[name=mqa]", "false")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**stage=*")
    wanted = demo.sql("SELECT count(*) FROM account_status WHERE as_of = ? AND stage = ? AND NOT mqa", [as_of, stage])[
        0
    ][0]
    assert page.locator("#total").get_attribute("data-total") == str(wanted)
    assert set(_numbers(page, "#accounts tbody td:nth-child(7)")) == (
        {stage} if wanted else {"No account matches these filters."}
    )
    assert page.locator("#accounts tbody .tag").count() == 0  # no MQA among them


def test_every_page_opens_without_errors(page, demo: Demo) -> None:
    for path in ("/queues", "/accounts", f"/accounts/{demo.xss_account}", "/changes", "/runs", "/model", "/backtests",
                 "/api/docs"):  # fmt: skip
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.locator("h1").count() == 1


def test_a_queue_shows_capacity_and_a_script_named_account_as_text(page, demo: Demo) -> None:
    (rep,) = demo.sql(
        "SELECT route_to FROM account_status WHERE account_id = ? AND as_of = (SELECT max(as_of) FROM runs)",
        [demo.xss_account],
    )[0]
    page.goto(f"/queues?rep={rep}")
    used = demo.sql(
        "SELECT count(*) FROM account_status WHERE route_to = ? AND queue = 'surfaced' "
        "AND as_of = (SELECT max(as_of) FROM runs)",
        [rep],
    )[0][0]
    assert page.locator(".capacity").first.get_attribute("data-used") == str(used)
    link = page.locator(f"li[data-account='{demo.xss_account}'] a").first
    assert link.inner_text() == XSS  # the name as text: no script ran (no dialog), nothing was dropped
    link.click()
    page.wait_for_url(f"**/accounts/{demo.xss_account}")
    assert page.locator("#account-name").inner_text().startswith(XSS)


def test_each_surfaced_account_lists_who_to_call_as_its_call_list_holds(page, server: Server) -> None:
    page.goto("/queues")
    answer = httpx.get(server.url + "/api/queues", timeout=30).json()
    surfaced = [a for q in answer["queues"] for a in q["surfaced"]]
    # Most have someone to call; an account with no engaged contact and no contact badge has no one (§4.11).
    assert sum(bool(a["call_list"]) for a in surfaced) > len(surfaced) / 2
    for a in surfaced:
        entry = page.locator(f"ol.surfaced > li[data-account='{a['account_id']}']")
        assert entry.locator(".who-to-call").count() == (1 if a["call_list"] else 0), a["account_id"]
        people = entry.locator(".who-to-call li.person")
        assert [p.get_attribute("data-contact") for p in people.all()] == [c["contact_id"] for c in a["call_list"]]
        if not a["call_list"]:
            continue
        first = a["call_list"][0]
        shown = people.first.inner_text()
        assert (first["name"] or first["contact_id"]) in shown
        assert (first["why"] if first["reason"] == "badge" else "engaged: ") in shown


def test_a_contact_badge_shows_on_its_accounts_page(page, demo: Demo) -> None:
    contact, account, why = demo.sql(
        "SELECT contact_id, account_id, why FROM contact_status WHERE badge IS NOT NULL "
        "AND as_of = (SELECT max(as_of) FROM runs) ORDER BY engagement DESC, contact_id LIMIT 1"
    )[0]
    page.goto(f"/accounts/{account}")
    row = page.locator(f"#contact-badges tr[data-contact='{contact}']")
    assert row.is_visible()
    assert why in row.inner_text()
    assert page.locator("#who-to-call li.person").count() > 0


def test_a_recorded_backtest_opens_from_its_list_with_its_charts_drawn(page, demo: Demo) -> None:
    page.goto("/backtests")
    page.locator(f"#backtests a[href='/backtests/{BACKTEST_ID}']").click()
    page.wait_for_url(f"**/backtests/{BACKTEST_ID}")
    for chart in ("lift", "surfaced", "precision"):
        page.locator(f"#chart-{chart} svg.main-svg").first.wait_for()
    rows = page.locator("#figures tbody tr")
    stored = demo.sql("SELECT count(*) FROM backtest_figures WHERE backtest_id = ?", [BACKTEST_ID])[0][0]
    assert rows.count() == stored and "overall: surfaced" in rows.first.inner_text()


def test_the_rep_picker_leads_to_a_reps_queue(page, browser, server: Server, demo: Demo) -> None:
    (rep,) = demo.sql(
        "SELECT route_to FROM account_status WHERE account_id = ? AND as_of = (SELECT max(as_of) FROM runs)",
        [demo.xss_account],
    )[0]
    page.goto("/queues")
    assert page.locator("section.queue").count() > 1
    page.select_option("#rep-picker select[name=rep]", str(rep))  # a choice sends the form (static/app.js)
    page.wait_for_url(lambda url: url.endswith(f"/queues?rep={rep}"))
    assert [q.get_attribute("data-rep") for q in page.locator("section.queue").all()] == [rep]
    assert page.locator("#rep-picker select[name=rep]").input_value() == rep
    assert page.locator("#csv").get_attribute("href") == f"/queues.csv?rep={rep}"
    page.select_option("#rep-picker select[name=rep]", "")  # all reps again
    page.wait_for_url(lambda url: url.endswith("/queues?rep="))
    assert page.locator("section.queue").count() > 1
    # Without script, the form's button does the same.
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto("/queues")
        tab.select_option("#rep-picker select[name=rep]", str(rep))
        tab.click("#rep-picker button[type=submit]")
        tab.wait_for_url(lambda url: url.endswith(f"/queues?rep={rep}"))
        assert [q.get_attribute("data-rep") for q in tab.locator("section.queue").all()] == [rep]
    finally:
        context.close()


# Each table against the room inside its card (a <section>), and each card against its own width.
OVERFLOWS = """() => {
  const found = [];
  for (const table of document.querySelectorAll("main table")) {
    const card = table.closest("section") || table.parentElement;
    const style = getComputedStyle(card);
    const room = card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (table.scrollWidth > room + 0.5) found.push(`table#${table.id}: ${table.scrollWidth} px in ${room} px`);
  }
  for (const card of document.querySelectorAll("main section")) {
    if (card.scrollWidth > card.clientWidth) found.push(`section ${card.id || card.querySelector("h2")?.textContent}`);
  }
  if (document.documentElement.scrollWidth > window.innerWidth) found.push("the page scrolls sideways");
  return found;
}"""


def test_no_table_overflows_its_card_at_1280_px(browser, server: Server, demo: Demo) -> None:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    try:
        tab = context.new_page()
        tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, path in (("overview", "/"), ("queues", "/queues"), ("accounts", "/accounts"),
                           ("account", f"/accounts/{demo.xss_account}")):  # fmt: skip
            response = tab.goto(path)
            assert response is not None and response.status == 200, path
            if path == "/":
                for chart in ("pipeline", "open-pipeline", "funnel", "over-time"):
                    tab.locator(f"#chart-{chart} svg.main-svg").first.wait_for()
            tab.screenshot(path=str(ARTIFACTS / f"1280px-{name}.png"), full_page=True)
            assert tab.evaluate(OVERFLOWS) == [], path
    finally:
        context.close()
    assert problems == []
