"""A real HTTP server on 127.0.0.1 for the alert tests: it answers from a script of responses and keeps
every request it received (no mock of httpx or slack_sdk: the clients talk to this server over TCP).

`SlackWorkspace` plays the part of Slack's Web API a bot uses: chat.postMessage keeps each message with
its metadata, conversations.open / .list / .history answer from what was posted.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)

    def params(self) -> dict[str, str]:
        """The request's arguments, from its query string and its form or JSON body."""
        found = dict(parse_qsl(urlsplit(self.path).query))
        if self.body.startswith(b"{"):
            found |= {k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(self.body).items()}
        elif self.body:
            found |= dict(parse_qsl(self.body.decode()))
        return found


class Receiver:
    """Replies in order from `script` (the last one repeats); `received` holds each request."""

    def __init__(self) -> None:
        self.script: list[Reply] = [Reply()]
        self.received: list[Received] = []
        self.url = ""
        self.answer: Callable[[Received], Reply] | None = None  # when set, replies instead of the script

    def reply(self, *replies: Reply) -> None:
        self.script = list(replies)

    def _next(self, request: Received) -> Reply:
        if self.answer is not None:
            return self.answer(request)
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


OK_JSON = {"Content-Type": "application/json; charset=utf-8"}
CHANNELS = {"revenue-alerts": "C0REVENUE"}


class SlackWorkspace:
    """Slack's Web API for a bot, kept in memory: `posted` holds each chat.postMessage by conversation.

    `hang_on` makes the Nth post (1-based) keep the message, then answer only after `hang_s` seconds;
    `history_error` makes conversations.history refuse with that error (a bot without history scopes).
    """

    def __init__(self, hang_on: int | None = None, hang_s: float = 30.0, history_error: str | None = None) -> None:
        self.posted: dict[str, list[dict[str, object]]] = {}
        self.hang_on, self.hang_s, self.history_error = hang_on, hang_s, history_error
        self._posts = itertools.count(1)
        self._lock = threading.Lock()

    def messages(self) -> list[dict[str, object]]:
        return [m for conversation in self.posted.values() for m in conversation]

    @staticmethod
    def conversation(recipient: str) -> str:
        """A user's DM id, a channel's id by its #name, or the id itself."""
        if recipient.startswith("U"):
            return "D" + recipient[1:]
        return CHANNELS.get(recipient.lstrip("#"), recipient)

    def __call__(self, request: Received) -> Reply:
        method, params = urlsplit(request.path).path.rsplit("/", 1)[-1], request.params()
        if method == "chat.postMessage":
            with self._lock:
                number = next(self._posts)
                ts = f"1763000000.{number:06d}"
                message = {"ts": ts, "text": params.get("text"), "metadata": json.loads(params.get("metadata", "{}"))}
                self.posted.setdefault(self.conversation(params["channel"]), []).append(message)
            delay = self.hang_s if number == self.hang_on else 0.0
            return Reply(200, json.dumps({"ok": True, "ts": ts}), OK_JSON, delay_s=delay)
        if method == "conversations.open":
            return self._ok({"channel": {"id": self.conversation(params["users"])}})
        if method == "conversations.list":
            return self._ok({"channels": [{"id": i, "name": n} for n, i in CHANNELS.items()]})
        if method == "conversations.history" and self.history_error:
            return Reply(200, json.dumps({"ok": False, "error": self.history_error}), OK_JSON)
        if method == "conversations.history":
            newest_first = list(reversed(self.posted.get(params["channel"], [])))[: int(params.get("limit", 100))]
            if params.get("include_all_metadata") not in ("1", "true", "True"):
                newest_first = [{k: v for k, v in m.items() if k != "metadata"} for m in newest_first]
            return self._ok({"messages": newest_first})
        return Reply(200, json.dumps({"ok": False, "error": "unknown_method"}), OK_JSON)

    @staticmethod
    def _ok(content: dict[str, object]) -> Reply:
        return Reply(200, json.dumps({"ok": True, **content}), OK_JSON)


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.do_POST()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            state.received.append(request)
            reply = state._next(request)
            time.sleep(reply.delay_s)
            body = reply.body.encode()
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a time-out test)
                pass

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
