"""Charts as plotly.js figures in `<script type="application/json">` blocks, drawn by static/app.js: the
dashboard and the backtest report run no inline script."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import markupsafe

APP_JS = Path(str(resources.files("whynow.serve") / "static" / "app.js"))


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
