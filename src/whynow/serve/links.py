"""Links to an account's page (SPEC §8), as the dashboard, its JSON and the alerts build them: the account id
percent-encoded whole, `/` included, so that any id a CRM holds opens its own page (the routes take the
rest of the path, `{account_id:path}`, as the id)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

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
