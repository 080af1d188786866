"""The dashboard's pages (SPEC §8): server-rendered HTML (Jinja2, autoescaped) of the query layer's objects,
the same ones `/api` answers with. Charts are plotly.js specs in `<script type="application/json">`,
drawn by /static/app.js, so the pages run no inline script."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import jinja2
import pyarrow as pa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from whynow import __version__
from whynow.links import account_path
from whynow.pipeline.calls import engaged_text
from whynow.presentation import (
    BACKTEST_COLUMNS,
    BACKTEST_HEADERS,
    backtest_cell,
    backtest_charts,
    format_value,
    script_json,
)
from whynow.serve import query, schemas
from whynow.serve import queues as queue_reads
from whynow.serve.api import store_of
from whynow.spreadsheet import stream_csv
from whynow.store import Store

router = APIRouter(include_in_schema=False)
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("whynow.serve", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["show"] = format_value
TEMPLATES.globals["engaged_text"] = engaged_text
TEMPLATES.globals["version"] = __version__
TEMPLATES.globals["account_path"] = account_path


TEMPLATES.filters["chart"] = script_json
Choice = TypeVar("Choice", schemas.AccountFilter, schemas.QueueChoice)  # what a CSV download reads


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page: the template with the request's path (for the navigation) and `values`."""
    html = TEMPLATES.get_template(template).render(
        path=request.url.path, store=store_of(request).name, query=request.query_params, **values
    )
    return HTMLResponse(html, status_code=status_code)


def with_query(request: Request, **changes: object) -> str:
    """The current URL's query string with some parameters changed (None removes one), empty ones left out;
    no parameters is no query string."""
    params = {k: v for k, v in request.query_params.items() if k not in changes and v != ""}
    params.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in changes.items() if v is not None})
    return f"?{urlencode(params)}" if params else ""


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, q: Annotated[schemas.AsOfQuery, Query()]) -> HTMLResponse:
    with query.reading(store_of(request)) as r:
        view = query.overview(r, q.as_of)
    return render(request, "overview.html", view=view, charts=_overview_charts(view), no_stage=no_stage(view))


def no_stage(view: schemas.Overview) -> str:
    """What the funnel calls the accounts no journey stage held: unqualified, unless a stage is named so."""
    return "(no stage)" if any(f.stage == "unqualified" for f in view.funnel) else "unqualified"


ARCHETYPE_COLORS = {"customer": "#0f7b53", "competitive": "#b5461f", "change": "#6d3fc0"}  # as in app.css


def _overview_charts(view: schemas.Overview) -> dict[str, Any]:
    """plotly.js figures of the overview: pipeline by badge × motion in accounts and in open pipeline (SPEC §8:
    amounts as well as counts), the funnel in the journey's order, the contacts' lead statuses in the funnel's
    order (SPEC §4.5), the runs over time."""
    font = {"family": "system-ui, sans-serif", "size": 12}
    layout = {"margin": {"l": 150, "r": 20, "t": 10, "b": 40}, "font": font, "height": 300}
    badged = [c for c in view.pipeline if c.badge is not None]
    by_motion: dict[str, list[schemas.PipelineCell]] = {}
    for cell in badged:
        by_motion.setdefault(cell.motion or "", []).append(cell)
    # Labels are categories even when they look like numbers, top to bottom in the table's order.
    badges = {"type": "category", "categoryorder": "array", "autorange": "reversed",
              "categoryarray": list(dict.fromkeys(c.badge_label for c in badged))}  # fmt: skip

    def pipeline(measure: str, title: str, shown: str, legend: bool) -> dict[str, Any]:
        return {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "name": motion,
                    "y": [c.badge_label for c in cells],
                    "x": [getattr(c, measure) for c in cells],
                    "marker": {"color": ARCHETYPE_COLORS.get(cells[0].archetype or "", "#5d6575")},
                    "hovertemplate": f"%{{y}}: %{{x:{shown}}} {title}<extra>{motion}</extra>",
                }
                for motion, cells in sorted(by_motion.items())
            ],
            "layout": {**layout, "barmode": "stack", "yaxis": badges, "showlegend": legend,
                       "height": 330 if legend else 260, "legend": {"y": -0.3, "orientation": "h"},
                       "xaxis": {"title": {"text": title}, "tickformat": shown, "rangemode": "tozero"}},
        }  # fmt: skip

    stages = [no_stage(view) if f.stage is None else f.stage for f in view.funnel]
    funnel = {
        "data": [{"type": "funnel", "y": stages, "x": [f.accounts for f in view.funnel]}],
        "layout": {**layout, "yaxis": {"type": "category", "categoryorder": "array", "categoryarray": stages}},
    }
    statuses = [f.lead_status for f in view.lead_statuses]
    lead_funnel = {
        "data": [{"type": "funnel", "y": statuses, "x": [f.contacts for f in view.lead_statuses]}],
        "layout": {**layout, "margin": {"l": 100, "r": 20, "t": 10, "b": 40},
                   "yaxis": {"type": "category", "categoryorder": "array", "categoryarray": statuses}},
    }  # fmt: skip
    dates = [str(p.as_of) for p in view.over_time]
    over_time = {
        "data": [
            {"type": "scatter", "mode": "lines+markers", "name": name, "x": dates,
             "y": [getattr(p, key) for p in view.over_time]}
            for key, name in (("mqa", "MQAs"), ("badged", "badged"), ("surfaced", "surfaced"), ("held", "held"))
        ],
        "layout": {**layout, "margin": {"l": 50, "r": 20, "t": 10, "b": 40}},
    }  # fmt: skip
    return {
        "pipeline": pipeline("accounts", "accounts", ",", legend=True),
        "open-pipeline": pipeline("open_pipeline", "open pipeline", "~s", legend=False),
        "funnel": funnel,
        "lead-statuses": lead_funnel,
        "over-time": over_time,
    }


@router.get("/queues", response_class=HTMLResponse)
def queues_page(request: Request, f: Annotated[schemas.QueueFilter, Query()]) -> HTMLResponse:
    with query.reading(store_of(request)) as r:
        view = queue_reads.queues(r, f)
    return render(
        request,
        "queues.html",
        view=view,
        rep=f.rep,
        csv_href="/queues.csv" + with_query(request, page=None, per_page=None),
        page_link=lambda n: "/queues" + with_query(request, page=n),
    )


@router.get("/queues.csv")
def queues_csv(request: Request, f: Annotated[schemas.QueueChoice, Query()]) -> StreamingResponse:
    """Every queued account (or one rep's) in the Queues page's order, as CSV for a spreadsheet."""
    store = store_of(request)
    with query.reading(store) as r:
        f = queue_reads.queue_choice(r, f)
    rep = re.sub(r"[^A-Za-z0-9._-]", "_", f.rep) if f.rep is not None else None  # a rep id is data: a safe name
    name = f"whynow-queue-{rep}-{f.as_of}.csv" if rep is not None else f"whynow-queues-{f.as_of}.csv"
    return _download(_csv(store, f, queue_reads.queue_batches), name)


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, f: Annotated[schemas.AccountFilter, Query()]) -> HTMLResponse:
    with query.reading(store_of(request)) as r:
        view = query.accounts(r, f)

    def sort_link(column: str) -> str:
        """Sorting by a column: descending first, again to flip; back to page 1."""
        order = "asc" if f.sort == column and f.order == "desc" else "desc"
        return "/accounts" + with_query(request, sort=column, order=order, page=None)

    return render(
        request,
        "accounts.html",
        view=view,
        f=f,
        csv_href="/accounts.csv" + with_query(request, page=None, per_page=None),
        sort_link=sort_link,
        page_link=lambda n: "/accounts" + with_query(request, page=n),
    )


@router.get("/accounts.csv")
def accounts_csv(request: Request, f: Annotated[schemas.AccountFilter, Query()]) -> StreamingResponse:
    """Every account the filters match (all pages), sorted, as CSV: values as the store holds them. The
    rows stream as the store reads them; a run that does not exist is a 404 before any byte."""
    store = store_of(request)
    with query.reading(store) as r:
        as_of = r.as_of(f.as_of)
    return _download(
        _csv(store, f.model_copy(update={"as_of": as_of}), query.account_batches), f"whynow-accounts-{as_of}.csv"
    )


def _download(chunks: Iterator[bytes], name: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _csv(
    store: Store, f: Choice, batches_of: Callable[[query.Reader, Choice], pa.RecordBatchReader]
) -> Iterator[bytes]:
    """The CSV of what `batches_of` reads, for a spreadsheet (`whynow.spreadsheet`): streamed batch by
    batch, on a connection of its own that closes with the last one."""
    with query.reading(store) as r:
        batches = batches_of(r, f)
        yield from stream_csv(batches.schema, batches)


@router.get("/accounts/{account_id:path}", response_class=HTMLResponse)  # the id may hold a `/` (links.py)
def account_page(request: Request, account_id: str, q: Annotated[schemas.AccountQuery, Query()]) -> HTMLResponse:
    with query.reading(store_of(request)) as r:
        view = query.account(r, account_id, q)
    here = {**request.query_params, "id": None}
    return render(
        request,
        "account.html",
        view=view,
        people_link=lambda n: account_path(view.account.account_id, **{**here, "people_page": n}),
    )


@router.get("/changes", response_class=HTMLResponse)
def changes_page(request: Request, f: Annotated[schemas.ChangeFilter, Query()]) -> HTMLResponse:
    with query.reading(store_of(request)) as r:
        view = query.changes(r, f)
    return render(request, "changes.html", view=view, f=f, page_link=lambda n: "/changes" + with_query(request, page=n))


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request) -> HTMLResponse:
    with query.reading(store_of(request)) as r:
        view = query.runs(r)
    return render(request, "runs.html", view=view)


@router.get("/backtests", response_class=HTMLResponse)
def backtests_page(request: Request) -> HTMLResponse:
    with query.reading(store_of(request)) as r:
        view = query.backtests(r)
    return render(request, "backtests.html", view=view)


@router.get("/backtests/{backtest_id}", response_class=HTMLResponse)
def backtest_page(request: Request, backtest_id: str) -> HTMLResponse:
    with query.reading(store_of(request)) as r:
        view = query.backtest(r, backtest_id)
    drawn = backtest_charts(
        view.backtest.models, [f.model_dump() for f in view.figures], [row.model_dump() for row in view.per_run]
    )
    return render(
        request,
        "backtest.html",
        view=view,
        charts=drawn,
        cell=backtest_cell,
        shown=BACKTEST_COLUMNS,
        headers=BACKTEST_HEADERS,
    )


@router.get("/model", response_class=HTMLResponse)
def model_page(request: Request, q: Annotated[schemas.ModelQuery, Query()]) -> HTMLResponse:
    with query.reading(store_of(request)) as r:
        view = query.model(r, q)
    return render(request, "model.html", view=view)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The API's reference, rendered here from its OpenAPI schema (no Swagger UI from a CDN)."""
    schema = request.app.openapi()
    return render(request, "apidocs.html", schema=schema, pretty=lambda v: json.dumps(v, indent=2))


def static_files() -> Any:
    """The folder of the dashboard's own CSS and JS."""
    return resources.files("whynow.serve") / "static"
