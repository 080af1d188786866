"""The server both fake CRMs answer on: a thread on 127.0.0.1 that hands each request to the fake and writes its
answer (HTTP/1.1, keep-alive, as the clients pool connections), over TLS when given a context."""

from __future__ import annotations

import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, bytes, dict[str, str]]  # status, body, headers
Respond = Callable[[str, str, dict[str, str], bytes], Answer]  # (method, target, headers, body) -> Answer


@contextmanager
def serving(
    respond: Respond, tls: ssl.SSLContext | None = None, broken: Callable[[BaseException], None] | None = None
) -> Iterator[str]:
    """Serve `respond` until the block ends; yields the base URL. `broken` hears of each connection the server
    could not handle (a client that refused the certificate, a crash), which is otherwise printed."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK wait per answer

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, body, headers = respond(
                self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
            )
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up
                pass

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, *_: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            error = sys.exc_info()[1]
            if broken is None or error is None:
                super().handle_error(request, client_address)  # type: ignore[arg-type]
            else:
                broken(error)

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:  # the handshake happens in the handler's thread, so one slow client can't stall accept()
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    # a short poll interval: shutting the server down at the end of each test waits one interval
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls is not None else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
