"""Rate limiting: a token bucket per credential, or per client address without one.

Each bucket holds up to `rate_limit_burst` requests and refills at
`rate_limit_per_minute / 60` per second; an empty bucket answers 429 with `Retry-After`
(whole seconds until the next token). Credentials are told apart by the SHA-256 of the
presented header, so the limiter needs no database and holds no secret. Failed sign-ins
are also charged to the client address (see `trace_api.auth.dependencies`), so cycling
through made-up keys does not escape the limit.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Mapping
from typing import Any

from trace_api.problems import Problem, problem_response

EXEMPT_PATHS = frozenset({"/healthz"})
"""Readiness probes must not be starved by traffic (or starve it)."""
MAX_BUCKETS = 100_000
"""Above this many tracked clients, full (idle) buckets are dropped."""


class TokenBuckets:
    """Thread-safe token buckets keyed by an opaque client key."""

    def __init__(self, *, per_minute: int, burst: int) -> None:
        self.rate_per_s = per_minute / 60.0
        self.capacity = float(max(burst, 1))
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated)

    @property
    def enabled(self) -> bool:
        return self.rate_per_s > 0

    def take(self, key: str) -> float | None:
        """Take one token; None if granted, else seconds until one is available."""
        if not self.enabled:
            return None
        now = time.monotonic()
        with self._lock:
            tokens, updated = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - updated) * self.rate_per_s)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._prune(now)
            return (1.0 - tokens) / self.rate_per_s

    def _prune(self, now: float) -> None:
        self._buckets = {
            key: (tokens, updated) for key, (tokens, updated) in self._buckets.items()
            if tokens + (now - updated) * self.rate_per_s < self.capacity
        }


def too_many_requests(wait_s: float) -> Problem:
    retry_after = max(1, math.ceil(wait_s))
    return Problem(429, "too-many-requests", "Too many requests",
                   f"rate limit reached; retry after {retry_after} s",
                   headers={"Retry-After": str(retry_after)})


def client_key(scope: Mapping[str, Any]) -> str:
    """`cred:<sha256 of the credential header>` if one is presented, else `ip:<address>`."""
    for name, value in scope.get("headers", ()):
        if name in (b"authorization", b"x-api-key") and value:
            return "cred:" + hashlib.sha256(value).hexdigest()
    return address_key(scope)


def address_key(scope: Mapping[str, Any]) -> str:
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


class RateLimitMiddleware:
    """ASGI middleware answering 429 (problem+json, `Retry-After`) when a bucket is empty."""

    def __init__(self, app: Any, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        wait_s = self.buckets.take(client_key(scope))
        if wait_s is None:
            await self.app(scope, receive, send)
            return
        response = problem_response(too_many_requests(wait_s), scope.get("path"))
        await response(scope, receive, send)
