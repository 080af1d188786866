"""`whynow serve` (SPEC §8): the FastAPI app that serves the dashboard's pages and the JSON API, read-only,
from a store's outputs.

Security: it listens on 127.0.0.1 by default, and there only answers requests whose Host is a loopback
name or address (so a web page cannot reach it through DNS rebinding). On any other address it needs a token on
every page and API call: `Authorization: Bearer TOKEN`, or the HttpOnly, SameSite=Strict cookie the login
form sets, good until logout or for 12 hours; tokens are compared in constant time, and wrong ones are
throttled per client (`login.py`). Every response, an error's too, carries a Content-Security-Policy that
allows only the app's own scripts and styles.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from whynow import __version__, presentation
from whynow.errors import DataError, StoreBusy, WhynowError
from whynow.serve import api, feedback, pages, slack
from whynow.serve.login import SESSION_S, Clock, Locked, Sessions, Throttle
from whynow.serve.query import Busy, NotFound
from whynow.store import Store

COOKIE = "whynow_session"
# plotly.js adds its CSS rules through the CSSOM to an empty <style> element it creates, and on loading adds
# one <style> with maplibre's CSS (for map traces): their hashes allow these two elements and no other.
# Another plotly.js version may bring other CSS: the browser tests fail on the console error it makes.
PLOTLY_STYLES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty text
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # maplibre-gl.css as plotly.js 3 bundles it
)
CSP = (
    f"default-src 'none'; script-src 'self'; style-src 'self' {' '.join(PLOTLY_STYLES)}; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NOT_COMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "text/csv")
# No data, reachable without the token: the login form and its CSS; Slack's clicks, which cannot send the token
# and are authenticated by Slack's signature instead (serve/slack.py).
OPEN_PATHS = ("/login", "/static/", slack.PATH)
log = logging.getLogger(__name__)


def host_name(header: str) -> str:
    """The name in a Host header, without the port: `127.0.0.1:8000` → `127.0.0.1`, `[::1]:8000` → `::1`.

    >>> [host_name(h) for h in ("127.0.0.1:8000", "localhost", "[::1]:8000", "evil.example:80")]
    ['127.0.0.1', 'localhost', '::1', 'evil.example']
    """
    if header.startswith("["):
        return header[1 : header.find("]")]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def is_loopback(host: str) -> bool:
    """Whether an address to listen on is this machine's own (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def create_app(store: Store, token: str | None = None, loopback: bool = True, clock: Clock = time.monotonic) -> FastAPI:
    """The dashboard and API over `store`; with a token, every page and API call needs it; `loopback`:
    the server listens on a loopback address, so only requests for a loopback host name are answered;
    `clock` times the sessions and the waits after wrong tokens."""
    app = FastAPI(
        title="whynow",
        version=__version__,
        summary="Which accounts deserve a seller's attention today, and why — read from a whynow store.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = store
    app.state.needs_token = token is not None  # who gives a verdict: the token's holder, else the rep (feedback.py)
    sessions, throttle = Sessions(clock), Throttle(clock)

    def refusal(request: Request, token: str) -> Response | None:
        """Why a request without a session may not go on, or None: it holds the token."""
        if sessions.valid(request.cookies.get(COOKIE)):
            return None
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() == "bearer" and throttle.check(_client(request), given.strip(), token):
                return None
        except Locked as e:
            return _locked(request, e)
        return _unauthorized(request)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        path = request.url.path
        try:
            if loopback and not is_loopback(host_name(request.headers.get("host", ""))):
                response: Response = PlainTextResponse("Invalid host header", status_code=400)
            elif token is not None and not path.startswith(OPEN_PATHS) and (refused := refusal(request, token)):
                response = refused
            else:
                response = await call_next(request)
        except Exception:  # a bug: its traceback goes to the log, the answer is an error page with the headers
            log.exception("%s %s failed", request.method, path)
            response = _error(request, 500, "Something went wrong on the dashboard's side; its log has the details.")
        response.headers.update(HEADERS)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        if not path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> Response:
        return _login_page(request, 200, _local(next), open_mode=token is None)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        given, target = form.get("token", [""])[0], _local(form.get("next", ["/"])[0])
        try:
            if token is None or not throttle.check(_client(request), given, token):
                return _login_page(request, 401, target, failed=True, open_mode=token is None)
        except Locked as e:
            return _locked(request, e, target)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            sessions.open(),
            max_age=SESSION_S,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        sessions.close(request.cookies.get(COOKIE))  # the cookie opens nothing any more, wherever a copy is
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        """plotly.js as the installed `plotly` package ships it (nothing from a CDN)."""
        return FileResponse(
            presentation.plotly_js(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )

    app.include_router(api.router)
    app.include_router(feedback.router)
    app.include_router(pages.router)
    app.include_router(slack.router)
    app.mount("/static", StaticFiles(directory=str(pages.static_files())), name="static")

    @app.exception_handler(HTTPException)
    def http_error(request: Request, e: HTTPException) -> Response:
        """No such route or method: the API's JSON, or the pages' own error page."""
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": e.detail}, status_code=e.status_code, headers=e.headers)
        message = f"{e.detail}: {request.method} {request.url.path}"
        return _error(request, e.status_code, message, e.headers)

    @app.exception_handler(NotFound)
    def not_found(request: Request, e: NotFound) -> Response:
        return _error(request, 404, str(e))

    @app.exception_handler(Busy)
    def busy(request: Request, e: Busy) -> Response:
        return _error(request, 503, f"{e} The page will answer once the run has written its outputs.")

    @app.exception_handler(StoreBusy)
    def busy_writing(request: Request, e: StoreBusy) -> Response:  # a verdict waited for a run: not kept
        return _error(request, 503, f"{e} Nothing was kept; give it again once the run has written its outputs.")

    @app.exception_handler(WhynowError)
    def user_error(request: Request, e: WhynowError) -> Response:
        return _error(request, 400, str(e))

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, e: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": jsonable(e.errors())}, status_code=422)
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'][1:])}: {err['msg']}" for err in e.errors())
        return _error(request, 422, f"The address has a parameter the page cannot use — {problems}.")

    # A CSV download goes as it is: compressing megabytes costs more time than it saves on a local network.
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5, exclude_content_types=NOT_COMPRESSED)
    return app


def jsonable(errors: object) -> object:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors)


def _local(target: str) -> str:
    """A redirect target only within this site (a path, never //host or a scheme)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _client(request: Request) -> str:
    """Whom wrong tokens are counted against: the address the request came from."""
    return request.client.host if request.client else ""


def _here(request: Request) -> str:
    return _local(request.url.path + (f"?{request.url.query}" if request.url.query else ""))


def _login_page(
    request: Request, status: int, target: str, failed: bool = False, open_mode: bool = False, wait: str = ""
) -> Response:
    return pages.render(request, "login.html", status, next=target, failed=failed, open_mode=open_mode, wait=wait)


def _unauthorized(request: Request) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse(
            {"detail": "a token is required: send the header Authorization: Bearer TOKEN"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return _login_page(request, 401, _here(request))


def _locked(request: Request, e: Locked, target: str | None = None) -> Response:
    """429 Too Many Requests, saying when to try again (Retry-After)."""
    retry = {"Retry-After": str(e.seconds)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(e)}, status_code=429, headers=retry)
    response = _login_page(request, 429, target or _here(request), wait=str(e))
    response.headers.update(retry)
    return response


def _error(request: Request, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status, headers=dict(headers or {}))
    response = pages.render(request, "error.html", status, status=status, message=message)
    response.headers.update(headers or {})
    return response


def serve(location: str, host: str = "127.0.0.1", port: int = 8000, token: str | None = None) -> None:
    """Serve the dashboard until interrupted; refuses a non-loopback address without a token."""
    import uvicorn

    store = Store(location)
    if not store.exists():
        raise DataError(f"{store.name}: no store here yet; run `whynow run` (or `whynow demo`) first")
    loopback = is_loopback(host)
    if not loopback and not token:
        raise DataError(
            f"--host {host} is reachable from other machines, so the dashboard needs a token: pass --token or set "
            "WHYNOW_TOKEN (e.g. WHYNOW_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe())'))"
        )
    shown = f"[{host}]" if ":" in host else host
    print(f"whynow dashboard of {store.name} on http://{shown}:{port}/  (API: /api, docs: /api/docs; Ctrl+C stops)")
    if token:
        print(f"Sign in with the token at http://{shown}:{port}/login?next={quote('/')}", flush=True)
    uvicorn.run(
        create_app(store, token or None, loopback=loopback),
        host=host.strip("[]"),
        port=port,
        log_level="warning",
        server_header=False,
    )


@contextlib.contextmanager
def running(location: str | Path, host: str = "127.0.0.1", token: str | None = None) -> Iterator[str]:
    """`whynow serve` in a process of its own on a free port, until the block ends; its base URL on
    127.0.0.1 (for the tests, the latency bench and the README's screenshots)."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if k != "WHYNOW_TOKEN"} | ({"WHYNOW_TOKEN": token} if token else {})
    command = [sys.executable, "-m", "whynow", "serve", "--store", str(location), "--host", host, "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/static/app.css", timeout=5)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"whynow serve did not start: {process.communicate()[0].decode()}") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=30)
