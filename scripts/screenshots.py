"""The README's screenshots: the overview, a queue and an account page of a store, in headless Chromium.

    .venv/bin/python scripts/screenshots.py [STORE] [FOLDER]     (default: whynow-demo/whynow.duckdb, docs/screenshots)

Starts `whynow serve` on a free port of 127.0.0.1, opens each page in Debian's chromium (through
playwright's executable_path; scripts/ensure-chromium.sh installs it) and saves a PNG of what shows first.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
from playwright.sync_api import sync_playwright

from whynow.serve.app import running

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


def main() -> int:
    store = Path(sys.argv[1] if len(sys.argv) > 1 else "whynow-demo/whynow.duckdb")
    folder = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(store), read_only=True)
    rep, account = con.execute(
        "SELECT route_to, account_id FROM account_status WHERE as_of = (SELECT max(as_of) FROM runs) "
        "AND queue = 'surfaced' AND archetype = 'competitive' ORDER BY engagement DESC LIMIT 1"
    ).fetchone()
    con.close()
    with running(store) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        for path, name in (("/", "overview"), (f"/queues?rep={rep}", "queue"), (f"/accounts/{account}", "account")):
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(folder / f"{name}.png"))
            print(f"{folder / name}.png  ({path})")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
