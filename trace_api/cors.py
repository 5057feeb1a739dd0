"""CORS for the public reads a scan page on another origin needs (issue 15), and nothing else.

A regulator may host the scan page bundle on its own origin and read the platform's
public data: `Access-Control-Allow-Origin: *`, never with credentials, on

- GET/HEAD `/v1/public/*` (the consumer lookup and recall status),
- GET/HEAD `/v1/events/{eventHashId}/proof` and `/v1/master-data/{recordHashId}[/proof]`
  (public proof bundles and master-data records),
- POST `/v1/chain/rpc` (the read-only JSON-RPC proxy), with its preflight: OPTIONS asking
  for POST with at most the `Content-Type` header is answered 204.

Every answer on those routes carries the header, problem documents and 413 / 429 included
(the page must be able to say why it failed), so this middleware is the outermost. No
other route gets CORS: a page elsewhere can never read an authenticated answer, and `*`
with no credentials means a browser never sends cookies or an Authorization header it holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_ORIGIN = (b"access-control-allow-origin", b"*")
PREFLIGHT_MAX_AGE_S = 600
"""Browsers cache a preflight answer this long (Chromium caps it at 7,200 s)."""

_PUBLIC_GET = re.compile(r"/v1/public/.+|/v1/events/.+/proof|/v1/master-data/.+")
_RPC_PATH = "/v1/chain/rpc"
_PREFLIGHT_HEADERS = [
    ALLOW_ORIGIN,
    (b"access-control-allow-methods", b"POST"),
    (b"access-control-allow-headers", b"content-type"),
    (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_S).encode()),
    (b"content-length", b"0"),
]


def cors_allowed(method: str, path: str) -> bool:
    """True when a request of `method` to `path` is one a page on any origin may read."""
    if method in ("GET", "HEAD"):
        return _PUBLIC_GET.fullmatch(path) is not None
    return method == "POST" and path == _RPC_PATH


def _requested_headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, set[str]]:
    method, asked = None, set()
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"access-control-request-method":
            method = value.decode("latin-1").strip().upper()
        elif lowered == b"access-control-request-headers":
            asked |= {part.strip().lower() for part in value.decode("latin-1").split(",")
                      if part.strip()}
    return method, asked


class PublicCorsMiddleware:
    """ASGI middleware: `Access-Control-Allow-Origin: *` on the public reads (module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if method == "OPTIONS" and path == _RPC_PATH:
            asked_method, asked_headers = _requested_headers(scope["headers"])
            if asked_method == "POST" and asked_headers <= {"content-type"}:
                await send({"type": "http.response.start", "status": 204,
                            "headers": _PREFLIGHT_HEADERS})
                await send({"type": "http.response.body", "body": b""})
                return
        if not cors_allowed(method, path):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(name, value) for name, value in message.get("headers", [])
                           if name.lower() != ALLOW_ORIGIN[0]]
                message = {**message, "headers": [*headers, ALLOW_ORIGIN]}
            await send(message)

        await self.app(scope, receive, send_with_cors)
