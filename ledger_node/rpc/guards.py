"""What a request must look like before the node reads it (issue 13: a web page in a
browser on the node's host must not be able to drive the RPC).

- `Host` (DNS rebinding): a page on evil.example whose name resolves to 127.0.0.1 sends
  `Host: evil.example`. Only loopback names and addresses, the listen host and the
  configured virtual hosts (`run --rpc-vhost`, as geth's `--http.vhosts`; `*` allows any)
  pass; a request without Host (HTTP/1.0, no browser) passes, as in geth.
- `Origin`: browsers send it on cross-origin requests and WebSocket handshakes. A request
  whose Origin is not one of the configured CORS origins (`run --cors-origin`) is refused,
  whether or not the browser would have let the page read the answer: the request itself
  is what changes state. Clients outside browsers send no Origin.
- `Content-Type`: only `application/json` (optionally `; charset=utf-8`), so no "simple"
  cross-origin form or text/plain POST is ever executed (HTTP 415).

Refusals are HTTP 403 / 415 with a JSON-RPC error body, and a WebSocket handshake that
fails a check is refused before it is accepted (the client sees HTTP 403).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Collection
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from ledger_node.errors import INVALID_REQUEST

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
JSON_MEDIA_TYPE = "application/json"
ALLOWED_CHARSETS = frozenset({"utf-8", "utf8"})  # RFC 8259 §8.1: JSON exchanged is UTF-8


def host_name(host_header: str) -> str:
    """The host of a Host header value, without port, brackets or trailing dot, lowercased."""
    host = host_header.strip().lower()
    if host.startswith("["):  # [v6]:port
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def is_loopback(host: str) -> bool:
    """True for loopback names and addresses (127.0.0.0/8, ::1)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_allowed(host_header: str | None, allowed: Collection[str]) -> bool:
    """True if a request with this Host header may be served (see module doc)."""
    if host_header is None or "*" in allowed:
        return True
    host = host_name(host_header)
    return is_loopback(host) or host in allowed


def origin_allowed(origin: str | None, cors_origins: Collection[str]) -> bool:
    """True if a request with this Origin header may be served: none, or a CORS origin."""
    if origin is None:
        return True
    return "*" in cors_origins or origin.rstrip("/") in cors_origins


def content_type_allowed(content_type: str | None) -> bool:
    """True for `application/json` with no parameter or a UTF-8 charset parameter."""
    if content_type is None:
        return False
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if media_type != JSON_MEDIA_TYPE:
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() != "charset" or value.strip().strip('"') not in ALLOWED_CHARSETS:
            return False
    return True


def error_body(code: int, message: str) -> bytes:
    """A JSON-RPC error response with a null id, as bytes."""
    return json.dumps(
        {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}},
        separators=(",", ":"),
    ).encode()


class RequestGuard:
    """ASGI middleware: refuses HTTP requests and WebSocket handshakes whose Host or Origin
    is not allowed (HTTP 403), before any other part of the app sees them."""

    def __init__(
        self, app: ASGIApp, *, allowed_hosts: Collection[str], cors_origins: Collection[str]
    ) -> None:
        self.app = app
        self.allowed_hosts = frozenset(h.lower().rstrip(".") for h in allowed_hosts)
        self.cors_origins = frozenset(o.rstrip("/") for o in cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        problem = None
        host = headers.get("host")
        # RFC 9112 §3.2: more than one Host header is an error in itself.
        if host == _REPEATED or not host_allowed(host, self.allowed_hosts):
            problem = "invalid host specified"
        elif not origin_allowed(headers.get("origin"), self.cors_origins):
            problem = "origin not allowed"
        if problem is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": problem})
        else:
            await _send_error(send, 403, problem)


_REPEATED = "\x00repeated"  # marks a header sent more than once (never a real value)


def _headers(scope: Scope) -> dict[str, str]:
    result: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        result[name] = _REPEATED if name in result else raw_value.decode("latin-1")
    return result


async def _send_error(send: Send, status: int, message: str) -> None:
    body = error_body(INVALID_REQUEST, message)
    start: dict[str, Any] = {
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})
