"""The dashboard where real data leaves gaps (#24): a rep whose id is their name is named once on the Queues
page, and an account without a tier has no "tier unknown" on its page. The company of
tests/test_shown_on_real_data.py, after its two weekly runs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.serve.conftest import in_process
from tests.test_shown_on_real_data import two_weeks
from whynow.serve.app import create_app
from whynow.store import Store

if TYPE_CHECKING:
    from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return in_process(create_app(Store(two_weeks(tmp_path_factory.mktemp("real-data")))))


def test_the_queues_page_names_a_rep_whose_id_is_their_name_once(client: TestClient) -> None:
    page = client.get("/queues")
    assert page.status_code == 200
    headings = [" ".join(re.sub(r"<[^>]+>", "", h).split()) for h in re.findall(r"<h2>(.*?)<small>", page.text, re.S)]
    assert headings == ["Anna Snelling", "R2 Rita Lee"]
    options = re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]*)</option>", page.text)
    assert options == ["Anna Snelling", "R2 · Rita Lee"]


def test_an_account_without_a_tier_shows_no_tier(client: TestClient) -> None:
    facts = re.compile(r'<p class="facts">(.*?)</p>', re.S)
    (no_tier,) = facts.findall(client.get("/accounts/A1").text)
    assert no_tier.startswith("owner Anna Snelling · stage <strong>aware</strong>")
    assert "tier" not in no_tier
    (tiered,) = facts.findall(client.get("/accounts/A3").text)
    assert "owner R2 · tier 1 · stage" in tiered
