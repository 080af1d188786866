"""How whynow shows what it found, wherever it shows it: the terminal, the dashboard, the backtest report,
the evidence and the narratives print a value the same way.

    format_value(value, spec="") -> str    one value as text: numbers rounded half away from zero, booleans as
                                           yes/no, dates as YYYY-MM-DD, NULL as `unknown`
    format_array(values, spec="")          each value of an Arrow array so, each distinct value formatted once
    share(value) -> str                    a fraction as a whole percentage; – for none
    id_and_name(id, name) -> str           an account, contact or rep as its id and name, the name once
    script_json(value) -> Markup           a chart's plotly.js figure for a `<script type="application/json">`
                                           block, drawn by APP_JS (static/app.js): no page runs inline script
    plotly_js() -> Path                    plotly.js, served by the dashboard and copied beside a report

A backtest's figures as `whynow backtest`, its HTML report and the dashboard's Backtest page show them:

    BACKTEST_COLUMNS, BACKTEST_HEADERS     the figures shown, in order, and each one's header
    backtest_cell(column, value) -> str    one figure: shares as whole percentages, pipeline in whole units
    backtest_charts(models, figures, per_run)    plotly.js figures: lift per badge, surfaced vs capacity and
                                           precision per run
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import markupsafe

if TYPE_CHECKING:
    import pyarrow as pa

APP_JS = Path(str(resources.files("whynow") / "serve" / "static" / "app.js"))  # draws the charts of every page

BACKTEST_COLUMNS = ("surfaced_per_run", "precision", "lift", "win_rate", "pipeline", "median_days")
BACKTEST_HEADERS = {
    "surfaced_per_run": "surfaced/run",
    "precision": "precision",
    "lift": "lift",
    "win_rate": "win rate",
    "pipeline": "pipeline",
    "median_days": "median days",
}


def format_value(value: Any, spec: str = "") -> str:
    """One value as whynow prints it. Numbers print with at most two decimals, rounded half away from zero
    on their shortest decimal form, without trailing zeros or exponent (`2.675` → `2.68`, `30.0` → `30`,
    `-0` → `0`); booleans as yes/no; dates as YYYY-MM-DD; timestamps as YYYY-MM-DD HH:MM (UTC); NULL, NaN
    and infinities as `unknown`, with or without a format `spec`.

    >>> [format_value(v) for v in (2.675, 30.0, -0.0, 12.5, 59.61, 1e21, True, None)]
    ['2.68', '30', '0', '12.5', '59.61', '1000000000000000000000', 'yes', 'unknown']
    >>> format_value(1750000.6, ",.0f")
    '1,750,001'
    """
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int | float):
        return _number(value, spec)
    elif isinstance(value, dt.datetime):
        text = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    return format(text, spec) if spec else text


def format_array(values: pa.Array | pa.ChunkedArray, spec: str = "") -> pa.Array:
    """`format_value` of every value, as a string array: each distinct value is formatted once, then
    looked up, so the work grows with the values there are, not with the rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    distinct = pc.unique(values)
    shown = pa.array([format_value(v, spec) for v in distinct.to_pylist()], pa.string())
    return pc.take(shown, pc.index_in(values, value_set=distinct, skip_nulls=False))


def _number(value: int | float, spec: str = "") -> str:
    """Half away from zero on the shortest decimal form, in a context wide enough for any float; a
    format spec (`,.0f`) rounds the same way, and never prints `-0`."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return "unknown"
    with localcontext() as context:
        context.prec = 400
        context.rounding = ROUND_HALF_UP
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if spec:
            try:
                text = format(exact, spec)
            except ValueError:  # a spec Decimal does not take (`d`): Python's own formatting
                text = format(value, spec)
        else:
            text = format(exact.quantize(Decimal("0.01")), "f")
            if "." in text:
                text = text.rstrip("0").rstrip(".")
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]  # -0, -0.00
    return text


def share(value: float | None) -> str:
    """A fraction as a whole percentage; – for none.

    >>> share(0.125), share(None)
    ('12%', '–')
    """
    return "–" if value is None else f"{value:.0%}"


def id_and_name(entity_id: str, name: str | None) -> str:
    """An account, contact or rep as its id then its name; the id alone where it has no name, or where the
    name is the id (an export that names reps only by name imports each as a rep whose id is its name).

    >>> id_and_name("R7", "Ann Lee"), id_and_name("Ann Lee", "Ann Lee"), id_and_name("R7", None)
    ('R7 Ann Lee', 'Ann Lee', 'R7')
    """
    return entity_id if not name or name == entity_id else f"{entity_id} {name}"


def plotly_js() -> Path:
    """plotly.js as the installed `plotly` package ships it."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def script_json(value: Any) -> markupsafe.Markup:
    """JSON for a `<script type="application/json">` block: `<`, `>` and `&` escaped so that no text in
    the data can close the block.

    >>> str(script_json({"name": "</script><b>"}))
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(value, default=str, separators=(",", ":"))
    return markupsafe.Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def backtest_cell(column: str, value: Any) -> str:
    """One figure of a backtest (a column of BACKTEST_COLUMNS, or `base_rate` as a precision) as its tables
    show it.

    >>> backtest_cell("precision", 0.25), backtest_cell("pipeline", 1750000.5), backtest_cell("lift", None)
    ('25%', '1,750,001', '–')
    """
    if value is None:
        return "–"
    if column in ("precision", "win_rate"):
        return share(value)
    if column == "pipeline":
        return format_value(value, ",.0f")
    return format_value(value)


def backtest_charts(
    models: Sequence[str], figures: Sequence[Mapping[str, Any]], per_run: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """plotly.js figures of a backtest from its figure and per-run rows: lift per badge, surfaced vs capacity
    and precision per run (the report and the dashboard's Backtests page)."""
    layout = {"margin": {"l": 60, "r": 20, "t": 30, "b": 60}, "height": 320, "font": {"size": 12}}
    lift = {
        "data": [
            {
                "type": "bar",
                "name": m,
                "x": [f["name"] for f in figures if f["model"] == m and f["group"] == "badge"],
                "y": [f["lift"] for f in figures if f["model"] == m and f["group"] == "badge"],
            }
            for m in models
        ],
        "layout": {**layout, "title": {"text": "Lift per badge"}, "barmode": "group"},
    }

    def over_time(column: str, title: str) -> dict[str, Any]:
        data: list[dict[str, Any]] = [
            {"type": "scatter", "mode": "lines+markers", "name": f"{m} {column}",
             "x": [str(r["as_of"]) for r in per_run if r["model"] == m],
             "y": [r[column] for r in per_run if r["model"] == m]}
            for m in models
        ]  # fmt: skip
        if column == "surfaced":
            data.append(
                {"type": "scatter", "mode": "lines", "name": "capacity", "line": {"dash": "dot"},
                 "x": [str(r["as_of"]) for r in per_run if r["model"] == models[0]],
                 "y": [r["capacity"] for r in per_run if r["model"] == models[0]]}
            )  # fmt: skip
        return {"data": data, "layout": {**layout, "title": {"text": title}}}

    return {
        "lift": lift,
        "surfaced": over_time("surfaced", "Surfaced vs capacity per run"),
        "precision": over_time("precision", "Precision per run"),
    }
