"""Errors of the EPCIS package: one public base, one validation error that carries every issue.

Callers catch ``EPCISValidationError`` (or the base ``EPCISError``); each issue names where the
problem is as an RFC 6901 JSON pointer into the submitted JSON, plus the index of the event in
``epcisBody.eventList`` when the problem is inside one. ``EPCISValidationError`` is the domain
error ``InvalidInput`` (kind ``invalid-epcis``, every issue in ``errors``), so the API's one
handler answers it as an RFC 9457 problem without re-reading the body.
"""

from __future__ import annotations

from dataclasses import dataclass

from trace_api.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One reason the input is not a valid EPCIS 2.0 document or event.

    ``pointer`` is an RFC 6901 JSON pointer from the root of the submitted JSON ("" is the whole
    body); ``event_index`` is the position in ``epcisBody.eventList`` (or the query document's
    ``resultsBody.eventList``) when the pointer lies inside an event, else ``None``.
    """

    pointer: str
    message: str
    event_index: int | None = None

    def as_dict(self) -> dict[str, object]:
        """The issue as a JSON-ready mapping (``eventIndex`` only when inside an event)."""
        issue: dict[str, object] = {"pointer": self.pointer, "message": self.message}
        if self.event_index is not None:
            issue["eventIndex"] = self.event_index
        return issue


class EPCISError(Exception):
    """Base class of every error raised by ``trace_api.epcis``."""


class EPCISValidationError(EPCISError, InvalidInput):
    """The input is not valid EPCIS 2.0 JSON; ``issues`` lists every problem found (one or more).

    As a domain error: ``invalid-epcis``, "Invalid EPCIS document", the first issue as the
    detail and every issue (pointer, message, event index) in the ``errors`` extension.
    """

    def __init__(self, issues: list[ValidationIssue] | tuple[ValidationIssue, ...]) -> None:
        if not issues:
            raise ValueError("EPCISValidationError needs at least one issue")
        self.issues: tuple[ValidationIssue, ...] = tuple(issues)
        first = self.issues[0]
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__("invalid-epcis", "Invalid EPCIS document",
                         f"{first.pointer or '/'}: {first.message}{more}",
                         extensions={"errors": [issue.as_dict() for issue in self.issues]})

    @property
    def event_indexes(self) -> frozenset[int]:
        """Indexes of the events that have at least one issue."""
        return frozenset(i.event_index for i in self.issues if i.event_index is not None)


def escape_pointer_token(token: str | int) -> str:
    """One RFC 6901 reference token: ``~`` becomes ``~0`` and ``/`` becomes ``~1`` (§3)."""
    return str(token).replace("~", "~0").replace("/", "~1")
