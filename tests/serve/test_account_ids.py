"""Account ids a CRM export may hold (review #19): a slash, `..`, `?`, `#`, `%`, markup, letters that are not
ASCII. Every link the dashboard builds to an account opens that account's page, which shows the id as text;
so do an alert's link and the API's URL. Against a real `whynow serve`: starlette's httpx.Client decodes a
path twice (`%252F` reaches the app as `/`), as no server does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from html import unescape

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from markupsafe import escape

from tests.serve.conftest import serving
from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.store import Store

AS_OF = dt.date(2026, 11, 6)
BASE = "http://127.0.0.1:8000"
HOSTILE = {  # the demo company's first accounts, renamed
    "A0001": "../x",
    "A0002": "a?b#c",
    "A0003": "<script>",
    "A0004": "a/b",
    "A0005": "Société-1",
    "A0006": "100% a%2Fb",
    "A0007": "a b+c&d=e",
    "A0008": "x/../../y",
    "A0009": "..",
    "A0010": ".",
    "A0011": "/lead",
    "A0012": "株式会社/",
}
ROW = re.compile(r'<td><a href="([^"]*)">[^<]*</a> <span class="id">([^<]*)</span>')  # the accounts list
LINK = re.compile(r'href="(/(?:api/)?accounts/[^"]*)"')  # any link to an account's page or JSON


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One run of the demo company with hostile account ids, a webhook on (its outbox holds the links)."""
    folder = tmp_path_factory.mktemp("hostile-ids")
    generate_demo_data(folder, seed=5, accounts=40, as_of=dt.date(2026, 11, 20))
    renamed = pa.array(list(HOSTILE.values()))
    for path in folder.glob("*.parquet"):
        table = pq.read_table(path)
        if "account_id" in table.schema.names:
            ids = table["account_id"]
            at = pc.index_in(ids, value_set=pa.array(list(HOSTILE)))
            ids = pc.if_else(pc.is_valid(at), pc.take(renamed, at), ids)
            table = table.set_column(table.schema.get_field_index("account_id"), "account_id", ids)
        pq.write_table(table, path)
    text = reference_model_path().read_text(encoding="utf-8")
    text = text.replace("alerts:\n", "alerts:\n  webhook:\n    url: http://127.0.0.1:9/unused\n", 1)
    found = Store(folder / "whynow.duckdb")
    run(load_model_text(text, "model.yaml"), str(folder), AS_OF, store=found.location, send_alerts=False)
    return found


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[httpx.Client]:
    with serving(store.location) as server, httpx.Client(base_url=server.url, timeout=30) as found:
        yield found


def _listed(client: httpx.Client) -> dict[str, str]:
    """Each account of the accounts list: its id, and the link the list gives to its page."""
    page = client.get("/accounts", params={"per_page": 500})
    assert page.status_code == 200
    return {unescape(shown): unescape(link) for link, shown in ROW.findall(page.text)}


def _opens(client: httpx.Client, link: str, account_id: str) -> str:
    """The account page at `link`: it answers, and shows the id as text."""
    page = client.get(link)
    assert page.status_code == 200, (account_id, link, page.status_code)
    assert f"<small>{escape(account_id)} · as of" in page.text, link
    return page.text


def test_every_account_opens_at_the_link_the_accounts_list_gives_and_shows_its_id_as_text(
    client: httpx.Client,
) -> None:
    listed = _listed(client)
    assert set(HOSTILE.values()) <= set(listed)
    for account_id in HOSTILE.values():
        page = _opens(client, listed[account_id], account_id)
        links = {unescape(link) for link in LINK.findall(page)}
        assert any(link.startswith("/api/") for link in links)
        for link in links:  # its history, its JSON
            if link.startswith("/api/"):
                answer = client.get(link)
                assert answer.status_code == 200 and answer.json()["account"]["account_id"] == account_id, link
            else:
                _opens(client, link, account_id)
    assert "<script>" not in client.get(listed["<script>"]).text.split("</h1>")[0]


def test_the_committee_pager_stays_on_the_account(client: httpx.Client) -> None:
    listed, paged = _listed(client), 0
    for account_id in HOSTILE.values():
        page = _opens(client, listed[account_id] + "&people=1", account_id)
        pager = re.search(r'<a rel="next" href="([^"]*)"', page)
        if pager is not None:  # an account with more than one contact
            paged += 1
            assert 'rel="prev"' in _opens(client, unescape(pager.group(1)), account_id)
    assert paged


def test_every_account_link_on_the_queues_and_changes_pages_opens_an_account(client: httpx.Client) -> None:
    for path in ("/queues?per_page=500", "/changes?per_page=500"):
        page = client.get(path)
        links = {unescape(link) for link in LINK.findall(page.text)}
        assert page.status_code == 200 and links, path
        for link in links:
            assert client.get(link).status_code == 200, (path, link)


def test_an_alerts_link_opens_its_account(client: httpx.Client, store: Store) -> None:
    alerts = store.alerts()
    assert alerts
    for alert in alerts:
        payload = json.loads(str(alert["payload"]))
        assert payload["link"].startswith(BASE + "/accounts/")
        _opens(client, payload["link"].removeprefix(BASE), payload["account"]["id"])


@pytest.mark.parametrize("account_id", list(HOSTILE.values()))
def test_the_account_path_opens_the_page_and_the_api(client: httpx.Client, account_id: str) -> None:
    from whynow.links import account_path

    _opens(client, account_path(account_id), account_id)
    api = client.get("/api" + account_path(account_id))
    assert api.status_code == 200 and api.json()["account"]["account_id"] == account_id


def test_the_routes_beside_the_account_pages_still_answer(client: httpx.Client) -> None:
    csv = client.get("/accounts.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert client.get("/api/accounts").json()["accounts"]
    assert client.get("/accounts").status_code == 200
    unknown = ("/accounts/no-such-account", "/accounts/no%2Fsuch", "/api/accounts/no%2Fsuch")
    for path in (*unknown, "/accounts/", "/api/accounts/?id=", "/accounts/a%2Fb?id=a%2Fb"):  # no id, or two
        assert client.get(path).status_code == 404, path
