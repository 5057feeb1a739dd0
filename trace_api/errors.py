"""Domain errors: what services, stores and rules raise when a request cannot be done.

They name the kind of failure, never an HTTP status; the API's one handler
(`problems.install_problem_handlers`) maps each class to its status and writes the
RFC 9457 document. The CLI and the workers catch the same classes and say them in
their own way, so no domain module imports anything from HTTP.

`kind` becomes the problem's stable `type` URI (documented in trace_api/README.md),
`title` a short human summary, `detail` the specific reason; `extensions` are extra
members of the problem (e.g. per-event `errors`), `retry_after_s` a hint for callers.
"""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE_BASE = "https://traceledger.dev/problems/"
"""Prefix of the problem `type` URI of each `kind` (documented in trace_api/README.md)."""


class DomainError(Exception):
    """A request the domain refuses; subclasses say which way."""

    def __init__(
        self,
        kind: str,
        title: str,
        detail: str | None = None,
        *,
        extensions: dict[str, Any] | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.kind = kind
        self.title = title
        self.detail = detail
        self.extensions = extensions or {}
        self.retry_after_s = retry_after_s


class InvalidInput(DomainError):
    """The input is malformed or breaks a rule of the standard (HTTP 400)."""


class Unprocessable(DomainError):
    """The input is well-formed but cannot be acted on as a whole (HTTP 422)."""


class NotAllowed(DomainError):
    """The caller is known but may not do this (HTTP 403)."""


class NotFound(DomainError):
    """The thing asked for does not exist, or is not the caller's to see (HTTP 404)."""


class Conflict(DomainError):
    """The request clashes with the current state (HTTP 409)."""


class TooLarge(DomainError):
    """The request or its result would exceed a bound (HTTP 413)."""


class ServerFault(DomainError):
    """The server's own state is broken (e.g. a stored key does not decrypt) (HTTP 500)."""


class Unavailable(DomainError):
    """A dependency (the node, the identity provider) did not answer (HTTP 503)."""


class UpstreamTimeout(DomainError):
    """A dependency took too long (HTTP 504)."""


HTTP_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 400,
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Unprocessable: 422,
    ServerFault: 500,
    Unavailable: 503,
    UpstreamTimeout: 504,
}
"""The one place a domain error gets its HTTP status (used by the API's handler)."""


def http_status(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500
