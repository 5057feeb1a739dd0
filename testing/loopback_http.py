"""Servers on 127.0.0.1 inside the test process.

`serve(app)` runs an ASGI app (the log's HTTP API, the scan page's stand-in API) with
uvicorn in a thread. `serve_json(answer)` is a tiny JSON server for a peer a test
controls: a JWKS URL that fails, then recovers, or serves garbage; a stand-in node that
records what the API's proxy forwards; each test states only what its peer answers.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn

from testing.processes import free_port

UVICORN_START_TIMEOUT_S = 10.0


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run the ASGI `app` with uvicorn in a thread on a free port; yield its base URL
    (`http://127.0.0.1:PORT`); the server is told to exit and joined on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + UVICORN_START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass(frozen=True)
class PeerRequest:
    """What the server received: method, path (with query) and body."""

    method: str
    path: str
    body: bytes


Answer = Callable[[PeerRequest], tuple[int, bytes]]
"""Turns a request into an HTTP status and an `application/json` body."""


@contextlib.contextmanager
def serve_json(answer: Answer) -> Iterator[str]:
    """Serve `answer` for GET and POST on a free loopback port; yield the base URL
    (`http://127.0.0.1:PORT`); the server is shut down and its socket closed on exit."""

    class Handler(BaseHTTPRequestHandler):
        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, body = answer(PeerRequest(self.command, self.path, self.rfile.read(length)))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _respond

        def log_message(self, *_args: object) -> None:
            return  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
