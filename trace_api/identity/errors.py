"""Errors of the identity package (enterprise identifiers); callers catch ``IdentityError``."""

from __future__ import annotations


class IdentityError(ValueError):
    """Base class of every error raised by ``trace_api.identity``."""


class InvalidUSCCError(IdentityError):
    """A string is not a valid Unified Social Credit Code (GB 32100-2015).

    ``reason`` is one of ``"length"``, ``"character"``, ``"registration_authority"``,
    ``"division"`` or ``"check_character"``; ``position`` is the 1-based position of the
    offending character when there is one; for a check-character mismatch ``expected`` holds
    the check character the first 17 characters call for.
    """

    def __init__(self, code: str, reason: str, detail: str, *, position: int | None = None,
                 expected: str | None = None) -> None:
        self.code = code
        self.reason = reason
        self.position = position
        self.expected = expected
        super().__init__(f"invalid Unified Social Credit Code {code!r}: {detail}")
