"""How whynow shows what it found, wherever it shows it: the terminal, the dashboard, the backtest report,
the evidence and the narratives print a value the same way.

    format_value(value, spec="") -> str    one value as text: numbers rounded half away from zero, booleans as
                                           yes/no, dates as YYYY-MM-DD, NULL as `unknown`
    script_json(value) -> Markup           a chart's plotly.js figure for a `<script type="application/json">`
                                           block, drawn by APP_JS (static/app.js): no page runs inline script
    plotly_js() -> Path                    plotly.js, served by the dashboard and copied beside a report
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from importlib import resources
from pathlib import Path
from typing import Any

import markupsafe

APP_JS = Path(str(resources.files("whynow") / "serve" / "static" / "app.js"))  # draws the charts of every page


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
