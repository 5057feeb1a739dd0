"""What a capture job says: per-event outcomes (domain values, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trace_api.errors import HTTP_STATUS, DomainError, InvalidInput, NotAllowed

Behaviour = Literal["rollback", "proceed"]
BEHAVIOURS: tuple[Behaviour, ...] = ("rollback", "proceed")
"""GS1-Capture-Error-Behaviour values a client may send (EPCIS 2.0 REST binding)."""

INVALID_EPCIS = "invalid-epcis"
INVALID_SIGNATURE = "invalid-signature"
NOT_YOUR_RECORD = "not-your-record"
"""Problem kinds of a rejected event (`EventResult.problem`, the `type` of its error)."""
REJECTION_ERRORS: dict[str, type[DomainError]] = {
    INVALID_EPCIS: InvalidInput, INVALID_SIGNATURE: InvalidInput, NOT_YOUR_RECORD: NotAllowed}
"""The domain error each kind of rejection is (NotAllowed: authenticated, but not allowed
to write it)."""
PROBLEM_STATUS = {kind: HTTP_STATUS[error] for kind, error in REJECTION_ERRORS.items()}
"""The HTTP status each kind stands for (per-event errors of a capture job)."""


@dataclass(frozen=True)
class EventResult:
    """The outcome for one event of a document, in document order.

    `status`: `accepted` (recorded now at `leaf_index`), `duplicate` (already recorded by
    this enterprise at `leaf_index`, possibly earlier in the same document) or `rejected`
    (`reason`, and `pointer` into the document; nothing recorded). `problem` names the
    kind of a rejection: `invalid-epcis`, `invalid-signature` or `not-your-record`.
    """

    index: int
    event_hash_id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    leaf_index: int | None = None
    reason: str | None = None
    pointer: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class CaptureJob:
    """A finished capture job (EPCIS 2.0 REST binding `CaptureJob`, synchronous here)."""

    capture_id: str
    enterprise_id: str
    behaviour: Behaviour
    created_at_ms: int
    results: tuple[EventResult, ...]

    def count(self, status: str) -> int:
        """How many events ended with `status`."""
        return sum(1 for result in self.results if result.status == status)
