"""CRM links (SPEC §5): `crm_url` fills a model's template from a record's row, every value URL-encoded whole."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from whynow.data.contract import TABLES
from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path
from whynow.links import crm_url, link_columns
from whynow.model.check import CompiledModel
from whynow.model.links import LINKED
from whynow.model.load import load_model_text
from whynow.outputs.queries import ACCOUNT_HEAD, CONTACT_HEAD
from whynow.run import run
from whynow.store import Store

AS_OF = dt.date(2026, 11, 6)
LINKS = (
    "links:\n"
    "  account: https://crm.example/r/Account/{account_id}/view?owner={owner_id}\n"
    "  contact: https://crm.example/r/{contact_id}#{email}\n"
    "  opportunity: https://crm.example/deals/{opportunity_id}?stage={stage}\n"
)


def _model(links: str = LINKS, columns: str = "columns:\n  contacts: {email: text}\n") -> CompiledModel:
    return load_model_text(f"model: m\n{columns}{links}", "m.yaml")


@pytest.mark.parametrize(
    ("account_id", "path"),
    [
        pytest.param("001Ec00000FzlUdIAJ", "001Ec00000FzlUdIAJ", id="salesforce"),
        pytest.param("EU/A1&B2", "EU%2FA1%26B2", id="slash-and-ampersand"),
        pytest.param("../../admin", "..%2F..%2Fadmin", id="dot-segments"),
        pytest.param("a?b#c%d e+f", "a%3Fb%23c%25d%20e%2Bf", id="query-fragment-percent-space-plus"),
        pytest.param("Société-1", "Soci%C3%A9t%C3%A9-1", id="not-ascii"),
        pytest.param(10234, "10234", id="a-number"),
    ],
)
def test_each_value_is_url_encoded_whole(account_id: object, path: str) -> None:
    url = crm_url(_model(), "account", {"account_id": account_id, "owner_id": "R/1&x"})
    assert url == f"https://crm.example/r/Account/{path}/view?owner=R%2F1%26x"


@pytest.mark.parametrize("missing", [None, math.nan, ""], ids=["null", "nan", "empty"])
def test_a_null_or_empty_value_means_no_link(missing: object) -> None:
    assert crm_url(_model(), "account", {"account_id": "A1", "owner_id": missing}) is None
    assert crm_url(_model(), "contact", {"contact_id": missing, "email": "a@b.example"}) is None


def test_without_links_there_is_no_link_and_no_column_to_read() -> None:
    model = _model(links="", columns="")
    assert crm_url(model, "account", {"account_id": "A1"}) is None
    assert link_columns(model, "account") == link_columns(model, "opportunity") == ()


def test_a_row_without_a_column_the_template_needs_is_a_bug_not_a_missing_link() -> None:
    model = _model()
    assert link_columns(model, "contact") == ("contact_id", "email")
    with pytest.raises(KeyError, match="email"):
        crm_url(model, "contact", {"contact_id": "C1"})  # a call list row: pass the contact_status row instead


def test_the_carried_columns_are_columns_of_the_table_and_of_its_output() -> None:
    """What a template may name is what every reader of the store has: account_status, contact_status and
    opportunities carry these canonical columns (and the declared ones)."""
    for level, (table, columns) in LINKED.items():
        assert all(TABLES[table].column(c) is not None for c in columns), level
    assert set(LINKED["account"][1]) <= set(ACCOUNT_HEAD)
    assert set(LINKED["contact"][1]) <= set(CONTACT_HEAD)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    company = tmp_path_factory.mktemp("company")
    generate_demo_data(company, seed=5, accounts=20, as_of=dt.date(2026, 11, 20))
    text = reference_model_path().read_text(encoding="utf-8")
    text = text.replace("fit:\n", "columns:\n  contacts: {email: text}\n" + LINKS + "fit:\n", 1)
    store = Store(tmp_path_factory.mktemp("store") / "store.duckdb")
    run(load_model_text(text, "model.yaml"), str(company), AS_OF, store=store.location)
    return store


@pytest.mark.parametrize(
    ("level", "table"),
    [("account", "account_status"), ("contact", "contact_status"), ("opportunity", "opportunities")],
)
def test_every_output_row_fills_its_levels_template(store: Store, level: str, table: str) -> None:
    """The store's own rows hold every column a template may name: each record gets its link, unless a value
    it needs is NULL (an account without an owner here)."""
    model = _model()
    rows = store.rows(table, AS_OF)
    linked = [crm_url(model, level, row) for row in rows]  # type: ignore[arg-type]
    assert rows and any(linked)
    for row, url in zip(rows, linked, strict=True):
        has_nulls = any(row[c] is None for c in link_columns(model, level))  # type: ignore[arg-type]
        assert (url is None) if has_nulls else (url or "").startswith("https://crm.example/"), row
