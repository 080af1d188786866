"""Links to a record's own page, in the CRM (SPEC §4.1 `links`, §5: "Open in CRM" next to every record shown)
and in whynow (SPEC §8: the account page the dashboard, its JSON and the alerts link to).

    crm_url(model, level, row) -> str | None           the record's CRM page, or None (no template, a NULL value)
    account_path(account_id, **query) -> str           an account's page in whynow, its id percent-encoded whole
    link_columns(model, level) -> tuple[str, ...]      the columns `row` must hold for that level

The templates are the compiled model's, parsed and checked at load time by whynow/model/links.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from whynow.model.links import Level

if TYPE_CHECKING:
    from whynow.model.check import CompiledModel

__all__ = ["account_path", "crm_url", "link_columns"]


def crm_url(model: CompiledModel, level: Level, row: Mapping[str, object]) -> str | None:
    """The record's page in the CRM, for an "Open in CRM" link; None when the model has no `links.<level>`
    or a value the template needs is NULL or empty.

    `row` is the record as the store's outputs hold it: an `account_status` row for "account", a
    `contact_status` row for "contact", an `opportunities` row for "opportunity" — or any mapping holding
    `link_columns(model, level)` (a call list row holds contact_id and account_id, enough unless the template
    names a declared column). A key the template needs and `row` lacks raises KeyError.

    >>> from whynow.model.load import load_model_text
    >>> model = load_model_text("model: m\\nlinks:\\n  account: https://crm.example/a/{account_id}?n={name}\\n")
    >>> crm_url(model, "account", {"account_id": "A/1", "name": "Smith & Co"})
    'https://crm.example/a/A%2F1?n=Smith%20%26%20Co'
    >>> crm_url(model, "account", {"account_id": None, "name": "x"}) is None, crm_url(model, "contact", {}) is None
    (True, True)
    """
    template = model.links.get(level)
    return None if template is None else template.fill(row)


def link_columns(model: CompiledModel, level: Level) -> tuple[str, ...]:
    """The columns `crm_url(model, level, row)` reads from `row`; empty when the model has no such link.

    >>> from whynow.model.load import load_model_text
    >>> model = load_model_text("model: m\\nlinks: {contact: 'https://crm.example/c/{contact_id}'}\\n")
    >>> link_columns(model, "contact"), link_columns(model, "account")
    (('contact_id',), ())
    """
    template = model.links.get(level)
    return () if template is None else template.columns


# --- whynow's own account pages (SPEC §8): the dashboard, its JSON and the alerts link to them ----------

# What a URL reads as a dot segment, which a browser removes (WHATWG URL: `.`, `..`, and their %2e forms)
# before the request leaves it: such an id goes in the query string instead.
NO_SEGMENT = frozenset({"", ".", ".."})


def account_path(account_id: str, **query: object) -> str:
    """The path of an account's page, with `query` (a None or empty value left out); `/api` before it is
    the account's JSON.

    >>> account_path("Société/1?#", as_of="2026-11-06")
    '/accounts/Soci%C3%A9t%C3%A9%2F1%3F%23?as_of=2026-11-06'
    >>> account_path("..", people_page=2)
    '/accounts/?id=..&people_page=2'
    """
    params = {name: str(value) for name, value in query.items() if value is not None and value != ""}
    if account_id in NO_SEGMENT:
        return "/accounts/?" + urlencode({"id": account_id, **params})
    return f"/accounts/{quote(account_id, safe='')}" + (f"?{urlencode(params)}" if params else "")
