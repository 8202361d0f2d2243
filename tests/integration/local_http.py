"""A real HTTP server on a loopback address, in a thread: pages to fetch, callbacks to receive."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """What a route answers: status, headers, body (bytes or chunks), a pause between chunks."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    pause: float = 0.0


Route = Callable[[Seen], Reply]


def page(body: bytes | str, content_type: str = "text/html; charset=utf-8") -> Reply:
    """A 200 with a Content-Length."""
    data = body.encode() if isinstance(body, str) else body
    return Reply(200, {"Content-Type": content_type, "Content-Length": str(len(data))}, data)


def redirect(location: str, status: int = 302) -> Reply:
    """A redirect to `location`."""
    return Reply(status, {"Location": location, "Content-Length": "0"})


class LocalHTTPServer:
    """ThreadingHTTPServer on `host`, port chosen by the OS; routes by path, requests recorded."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            # HTTP/1.0: the connection closes after each reply, so a body without a
            # Content-Length is read to the end of the stream.
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                owner._handle(self, "GET")

            def do_POST(self) -> None:
                owner._handle(self, "POST")

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """Absolute URL of `path` on this server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, reply: Reply | Route) -> None:
        """Answer `path` with a fixed reply or a function of the request."""
        self.routes[path] = reply if callable(reply) else (lambda _seen, r=reply: r)

    def requests_to(self, path: str) -> list[Seen]:
        """Requests received for `path`."""
        with self._lock:
            return [s for s in self.seen if s.path == path]

    def __enter__(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _handle(self, handler: http.server.BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        seen = Seen(method, handler.path.split("?", 1)[0], dict(handler.headers.items()), body)
        with self._lock:
            self.seen.append(seen)
        route = self.routes.get(seen.path)
        reply = route(seen) if route else Reply(404, {"Content-Length": "0"})
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            chunks = [reply.body] if isinstance(reply.body, bytes) else reply.body
            for chunk in chunks:
                handler.wfile.write(chunk)
                handler.wfile.flush()
                if reply.pause:
                    time.sleep(reply.pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up on purpose (size cap, timeout)


def internal_server() -> LocalHTTPServer:
    """A server on 127.0.0.2, an "internal" address the SSRF guard must refuse; the test is
    skipped where that address cannot be bound."""
    try:
        return LocalHTTPServer("127.0.0.2")
    except OSError as exc:
        pytest.skip(f"cannot bind 127.0.0.2 here: {exc}")
