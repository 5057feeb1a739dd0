"""Rate limiting: a token bucket per client address, and per credential once it verified.

Each bucket holds up to `rate_limit_burst` requests and refills at
`rate_limit_per_minute / 60` per second; an empty bucket answers 429 with `Retry-After`
(whole seconds until the next token).

Whose bucket pays (issue 13: made-up `Authorization` values must not buy fresh buckets):

- `RateLimitMiddleware` charges the bucket of the presented credential only if that
  credential already has one, else the client address's bucket. Only
  `trace_api.auth.dependencies` creates credential buckets, and only after the credential
  verified (`charge_verified`); a credential that fails loses its bucket and the failure
  costs the address (`charge_failure`). So anonymous callers, callers of public routes
  that never look at credentials, and callers with invalid credentials all share their
  address's bucket; a verified credential has its own, wherever it calls from.
- Credentials are told apart by the SHA-256 of the presented token, so the limiter needs
  no database and holds no secret.

The table of buckets is bounded (`rate_limit_max_buckets`): it is kept in least recently
used order and a new bucket past the bound drops the least recently used one. A dropped
bucket that had refilled was identical to having none; one that had not gives its
client a fresh start, the price of a bound (an attacker who controls more addresses than
the bound could have had fresh buckets anyway).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from cachetools import LRUCache

from trace_api.problems import Problem, problem_response

EXEMPT_PATHS = frozenset({"/healthz"})
"""Readiness probes must not be starved by traffic (or starve it)."""
MAX_BUCKETS = 100_000
"""Default bound of the table: ~100 bytes per bucket, ~10 MB at most."""
CHARGED_STATE = "rate_limit_charged"
"""Request state (`scope["state"]`) naming the bucket the middleware charged."""


class TokenBuckets:
    """Thread-safe token buckets keyed by an opaque client key, at most `max_buckets`."""

    def __init__(self, *, per_minute: int, burst: int, max_buckets: int = MAX_BUCKETS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_buckets < 1:
            raise ValueError(f"max_buckets must be >= 1, got {max_buckets}")
        self.rate_per_s = per_minute / 60.0
        self.capacity = float(max(burst, 1))
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (tokens, updated); a new key past the bound drops the least recently used.
        self._buckets: LRUCache[str, tuple[float, float]] = LRUCache(maxsize=max_buckets)

    @property
    def enabled(self) -> bool:
        return self.rate_per_s > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def tracked(self, key: str) -> bool:
        """Whether `key` has a bucket now (it may be dropped at any later time)."""
        return key in self._buckets

    def take(self, key: str) -> float | None:
        """Take one token from `key`'s bucket (created full if missing); None if granted,
        else the seconds until one is available."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            tokens, updated = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - updated) * self.rate_per_s)
            granted = tokens >= 1.0
            if granted:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
        return None if granted else (1.0 - tokens) / self.rate_per_s

    def forget(self, key: str) -> None:
        """Drop `key`'s bucket, if any."""
        with self._lock:
            self._buckets.pop(key, None)


def too_many_requests(wait_s: float) -> Problem:
    retry_after = max(1, math.ceil(wait_s))
    return Problem(429, "too-many-requests", "Too many requests",
                   f"rate limit reached; retry after {retry_after} s",
                   headers={"Retry-After": str(retry_after)})


def credential_key(scope: Mapping[str, Any]) -> str | None:
    """`cred:<sha256 of the token>` for the credential a request presents, else None.

    The token is the `X-API-Key` value if present (the auth dependency reads it first),
    else what follows the scheme in `Authorization`; the same API key sent either way
    has one bucket.
    """
    headers = {name: value for name, value in scope.get("headers", ()) if value}
    token = headers.get(b"x-api-key")
    if token is None and b"authorization" in headers:
        _scheme, _space, token = headers[b"authorization"].strip().partition(b" ")
        token = token.strip() or headers[b"authorization"]
    return None if token is None else "cred:" + hashlib.sha256(token).hexdigest()


def address_key(scope: Mapping[str, Any]) -> str:
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


def charged_key(scope: Mapping[str, Any]) -> str | None:
    """The bucket the middleware charged for this request, if it ran."""
    state = scope.get("state")
    return state.get(CHARGED_STATE) if isinstance(state, dict) else None


def charge_verified(buckets: TokenBuckets, scope: Mapping[str, Any]) -> None:
    """After a credential verified: charge its bucket (creating it) unless the middleware
    already did for this request; raises 429 (`Problem`) if it is empty."""
    key = credential_key(scope)
    if key is None or charged_key(scope) == key:
        return
    wait_s = buckets.take(key)
    if wait_s is not None:
        raise too_many_requests(wait_s)


def charge_failure(buckets: TokenBuckets, scope: Mapping[str, Any]) -> None:
    """After a credential failed: drop its bucket and charge the address (unless the
    middleware already did for this request); raises 429 (`Problem`) if it is empty."""
    key = credential_key(scope)
    if key is not None:
        buckets.forget(key)
    address = address_key(scope)
    if charged_key(scope) == address:
        return
    wait_s = buckets.take(address)
    if wait_s is not None:
        raise too_many_requests(wait_s)


class RateLimitMiddleware:
    """ASGI middleware answering 429 (problem+json, `Retry-After`) when a bucket is empty."""

    def __init__(self, app: Any, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        credential = credential_key(scope)
        key = credential if credential is not None and self.buckets.tracked(credential) \
            else address_key(scope)
        scope.setdefault("state", {})[CHARGED_STATE] = key
        wait_s = self.buckets.take(key)
        if wait_s is None:
            await self.app(scope, receive, send)
            return
        response = problem_response(too_many_requests(wait_s), scope.get("path"))
        await response(scope, receive, send)
