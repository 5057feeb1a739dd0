"""A raw HTTP/1.1 exchange over one loopback socket, for requests an HTTP library will not
send as they are: declared and streamed (chunked) bodies of any size, any Host, Origin
or Content-Type, and servers that answer before the body is complete.

`exchange` stops sending as soon as the server answers (or closes), so an oversize body
costs only what the server chose to read. It never raises for what the server does: a
reset or a silence comes back as a `WireResponse` with `status` None and the reason.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SEND_SLICE = 64 * 1024
"""Bytes per send between checks for an early answer."""
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
"""The longest answer read; a well-formed error is a few hundred bytes."""


@dataclass
class WireResponse:
    """What came back: `status` None when no complete status line arrived (see `failure`)."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    failure: str | None = None
    sent_bytes: int = 0
    elapsed_s: float = 0.0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        return json.loads(self.body)

    def describe(self) -> str:
        if self.status is None:
            return f"no answer ({self.failure}) after sending {self.sent_bytes} bytes"
        return f"{self.status} {self.content_type} {self.body[:300]!r}"


def _answered(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _send_all(sock: socket.socket, data: bytes) -> tuple[int, bool]:
    """Send `data` in slices; (bytes sent, whether the server answered or hung up early)."""
    sent = 0
    for start in range(0, len(data), SEND_SLICE):
        if start and _answered(sock):
            return sent, True
        piece = data[start:start + SEND_SLICE]
        try:
            sock.sendall(piece)
        except OSError:
            return sent, True
        sent += len(piece)
    return sent, False


def _read_response(sock: socket.socket, deadline: float) -> tuple[bytes, str | None]:
    received = bytearray()
    while len(received) < MAX_RESPONSE_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return bytes(received), "timed out"
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            return bytes(received), "timed out"
        except OSError as exc:
            return bytes(received), f"{type(exc).__name__}: {exc}"
        if not data:
            return bytes(received), None
        received += data
        if _complete(bytes(received)):
            return bytes(received), None
    return bytes(received), None


def _split(raw: bytes) -> tuple[int | None, dict[str, str], bytes]:
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return None, {}, b""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None, {}, b""
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers, rest


def _dechunk(data: bytes) -> bytes | None:
    """The body of a complete chunked encoding, or None while incomplete."""
    out = bytearray()
    position = 0
    while True:
        end = data.find(b"\r\n", position)
        if end < 0:
            return None
        size = int(data[position:end].split(b";")[0] or b"0", 16)
        if size == 0:
            return bytes(out)
        start = end + 2
        if len(data) < start + size + 2:
            return None
        out += data[start:start + size]
        position = start + size + 2


def _complete(raw: bytes) -> bool:
    status, headers, rest = _split(raw)
    if status is None:
        return False
    if "content-length" in headers:
        return len(rest) >= int(headers["content-length"])
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return _dechunk(rest) is not None
    return status in (204, 304) or 100 <= status < 200


def exchange(port: int, method: str, path: str, *, headers: Mapping[str, str] | None = None,
             body: bytes | None = None, chunks: Iterable[bytes] | None = None,
             host: str = "127.0.0.1", timeout_s: float = 30.0) -> WireResponse:
    """Send one request to `host:port` and read the answer (at most `timeout_s` in all).

    `body` goes with Content-Length, `chunks` with Transfer-Encoding: chunked (each item
    one chunk); `headers` are sent as given (a `Host` there replaces the default one).
    """
    started = time.monotonic()
    deadline = started + timeout_s
    given = dict(headers or {})
    lines = [f"{method} {path} HTTP/1.1"]
    if not any(name.lower() == "host" for name in given):
        lines.append(f"Host: {host}:{port}")
    lines.append("Connection: close")
    if body is not None and not any(name.lower() == "content-length" for name in given):
        lines.append(f"Content-Length: {len(body)}")
    if chunks is not None:
        lines.append("Transfer-Encoding: chunked")
    lines += [f"{name}: {value}" for name, value in given.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except OSError as exc:
        return WireResponse(None, failure=f"connect: {exc}", elapsed_s=time.monotonic() - started)
    with sock:
        sent, early = _send_all(sock, head)
        if not early and body:
            more, early = _send_all(sock, body)
            sent += more
        if not early and chunks is not None:
            for chunk in chunks:
                if not chunk:
                    continue
                if _answered(sock):
                    break
                more, early = _send_all(sock, f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += more
                if early or time.monotonic() > deadline:
                    break
            else:
                more, _ = _send_all(sock, b"0\r\n\r\n")
                sent += more
        raw, failure = _read_response(sock, deadline)
    status, response_headers, rest = _split(raw)
    if status is None:
        return WireResponse(None, failure=failure or "closed without a status line",
                            sent_bytes=sent, elapsed_s=time.monotonic() - started)
    if response_headers.get("transfer-encoding", "").lower() == "chunked":
        rest = _dechunk(rest) or rest
    return WireResponse(status, response_headers, rest, failure, sent,
                        time.monotonic() - started)
