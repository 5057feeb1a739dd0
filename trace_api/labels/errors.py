"""Named errors for label rendering, batches and authenticators (one base: LabelError).

They are domain errors: the API's one handler answers a `LabelError` as 400
`invalid-label-request` and a `BatchTooLargeError` as 413 `too-many-labels`.
"""

from __future__ import annotations

from trace_api.errors import InvalidInput, TooLarge


class LabelError(InvalidInput, ValueError):
    """Base class: a label request was rejected. ``reason`` is safe to show to users."""

    def __init__(self, reason: str) -> None:
        super().__init__("invalid-label-request", "Invalid label request", reason)
        self.reason = reason


class UnsupportedFormatError(LabelError):
    """The output format is not one of svg, png, pdf."""


class InvalidSerialRangeError(LabelError):
    """A serial range such as ``1-1000`` is malformed or empty."""


class BatchTooLargeError(TooLarge, LabelError):
    """More labels were asked for than one batch may hold (an API answers 413)."""

    def __init__(self, requested: int, limit: int) -> None:
        reason = f"{requested:,} labels requested; one batch holds at most {limit:,}"
        TooLarge.__init__(self, "too-many-labels", "Too many labels", reason,
                          extensions={"requested": requested, "limit": limit})
        self.reason = reason
        self.requested = requested
        self.limit = limit


class AuthenticatorError(LabelError):
    """A label authenticator is missing or does not match (the code may be guessed or copied)."""


class MissingAuthenticatorError(AuthenticatorError):
    """The Digital Link carries no authenticator parameter."""


class AuthenticatorMismatchError(AuthenticatorError):
    """The authenticator is present but wrong for this Digital Link under the server key."""


class WeakKeyError(LabelError):
    """The authenticator key is too short to be a secret."""
