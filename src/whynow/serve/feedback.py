"""Sales feedback on the dashboard (SPEC §13): `POST /api/feedback`, which the buttons of the queue and account
pages call, and the verdicts an account page lists. Every verdict is checked and kept by `whynow.feedback.give`.

Who may write, and how a cross-site request is refused:

* Off loopback every call needs the token (app.py's guard): a bearer header, or the login form's session
  cookie (HttpOnly, SameSite=Strict).
* That is not enough for a write. A cookie knows no port, so a page on another port of the same host is
  same-site and the browser sends even a SameSite=Strict cookie with its POST; and on loopback without a token
  there is nothing to withhold: any web page the rep opens can make the browser POST to 127.0.0.1:8000. So a
  verdict must also come from the dashboard's own pages (`refuse_cross_site`, before the body is read):
    - `Sec-Fetch-Site`, where the browser sends it, must be `same-origin`;
    - `Origin`, where sent, must be the dashboard's own: the request's scheme and its Host header (a reverse
      proxy in front must pass Host on, and say https with X-Forwarded-Proto);
    - the body must be `application/json`, a type no cross-site form can send, and a cross-site script only
      after a CORS preflight, which this server never grants.
  A browser's POST carries Origin or Sec-Fetch-Site; a program (curl, a script with a bearer header) sends
  neither and goes on. A refusal is 403 (415 for another body type) and writes nothing.
* The row says where it came from: `source` is `dashboard` for a browser on the dashboard's own origin, `api`
  for any other client; `given_by` is the rep where the dashboard has no token (loopback: whoever runs it is
  the rep), else `token`, the holder of the one shared token, whom the dashboard cannot tell apart.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from starlette.exceptions import HTTPException

from whynow.errors import DataError, StoreBusy
from whynow.feedback import LABELS, effect, feedback_days, give, holds_until, route_target
from whynow.model.schema import Feedback
from whynow.serve import schemas as s
from whynow.store import Reading, Row, Store


def refuse_cross_site(request: Request) -> None:
    """403 for a browser's request made by another site's page, 415 for a body other than JSON."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    if site not in (None, "same-origin"):
        raise HTTPException(403, f"refused: the request comes from another site's page (Sec-Fetch-Site: {site})")
    if origin is not None and origin.lower() != own:
        raise HTTPException(
            403, "refused: the request comes from another site's page (its Origin is not this dashboard's)"
        )
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/json":
        raise HTTPException(415, "send the verdict as JSON, with the header Content-Type: application/json")


router = APIRouter(prefix="/api", tags=["api"])


@router.post(
    "/feedback",
    status_code=201,
    response_model=s.FeedbackGiven,
    dependencies=[Depends(refuse_cross_site)],
    summary="Give a rep's verdict on an account (sales feedback); the next run listens",
    responses={
        400: {"description": "Not kept: an unknown verdict, account or rep, or a note too long", "model": s.Refusal},
        503: {"description": "Not kept: a run holds the store; try again when it has finished", "model": s.Refusal},
        403: {"description": "Refused: a browser's request from another site's page", "model": s.Refusal},
        415: {"description": "Refused: the body is not JSON", "model": s.Refusal},
    },
)
def give_feedback(request: Request, verdict: s.FeedbackRequest) -> s.FeedbackGiven:
    store: Store = request.app.state.store
    browser = "origin" in request.headers or "sec-fetch-site" in request.headers  # same-origin, once here
    try:
        row = give(
            store,
            verdict.account_id,
            verdict.rep_id,
            verdict.verdict,
            note=verdict.note,
            source="dashboard" if browser else "api",
            given_by="token" if request.app.state.needs_token else verdict.rep_id,
        )
    except StoreBusy:  # a run holds the store longer than a writer waits: nothing kept, 503 (app.py)
        raise
    except DataError as e:
        raise HTTPException(400, str(e)) from None
    days = feedback_days(store)
    entry = entry_of(row, days)
    return s.FeedbackGiven(**entry.model_dump(), kept=kept(entry, route_target(store, verdict.account_id)))


def entry_of(row: Row, days: Feedback) -> s.FeedbackEntry:
    """A `feedback` row, with the first as-of date whose run no longer holds its account for it."""
    given = row["given_at"]
    utc = given.astimezone(dt.UTC) if isinstance(given, dt.datetime) else given  # DuckDB answers in local time
    return s.FeedbackEntry.model_validate({**row, "given_at": utc, "holds_until": holds_until(row, days)})


def kept(entry: s.FeedbackEntry, route_to: str | None) -> str:
    """What the page says once a verdict is kept: what the next runs do with it (SPEC §13)."""
    label = LABELS.get(entry.verdict, entry.verdict).capitalize()
    return f"{label} — kept; {effect(entry.verdict, entry.holds_until, entry.rep_id, route_to)}"


def history(r: Reading, account_id: str, days: Feedback) -> list[s.FeedbackEntry]:
    """The verdicts given on an account, newest first, each with until when it holds the account."""
    return [entry_of(row, days) for row in r.feedback(account=account_id)]
