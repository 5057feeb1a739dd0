"""Errors of the provenance package; callers catch `ProvenanceError`."""

from __future__ import annotations


class ProvenanceError(Exception):
    """Base class of provenance errors."""


class IdentifierError(ProvenanceError, ValueError):
    """An identifier given to a trace or recall is malformed; `reason` says why."""

    def __init__(self, identifier: str, reason: str) -> None:
        super().__init__(f"{identifier!r}: {reason}")
        self.identifier = identifier
        self.reason = reason
