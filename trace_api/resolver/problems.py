"""GS1 input errors as domain errors with the problem kinds the API documents (shared by the
resolver, labels and consumer view; the API's one handler renders them)."""

from __future__ import annotations

from gs1.errors import (
    AIAssociationError,
    CheckDigitError,
    GS1Error,
    InvalidAIValueError,
    InvalidDigitalLinkError,
    UnknownAIError,
)
from trace_api.errors import InvalidInput, NotFound


def gs1_problem(exc: GS1Error) -> InvalidInput:
    """InvalidInput (400) naming what is wrong with a GS1 identifier (AI, value and reason)."""
    extensions: dict[str, object] = {"reason": exc.reason}
    if isinstance(exc, CheckDigitError):
        kind, title = "invalid-check-digit", "Invalid check digit"
        extensions.update(ai=exc.ai, value=exc.value, expectedCheckDigit=exc.expected)
    elif isinstance(exc, InvalidAIValueError):
        kind, title = "invalid-ai-value", "Invalid GS1 Application Identifier value"
        extensions.update(ai=exc.ai, value=exc.value)
    elif isinstance(exc, UnknownAIError):
        kind, title = "unknown-ai", "Unknown GS1 Application Identifier"
        extensions.update(ai=exc.ai)
    elif isinstance(exc, AIAssociationError):
        kind, title = "invalid-ai-combination", "Invalid combination of GS1 Application Identifiers"
    elif isinstance(exc, InvalidDigitalLinkError):
        kind, title = "invalid-digital-link", "Invalid GS1 Digital Link URI"
    else:
        kind, title = "invalid-gs1-data", "Invalid GS1 data"
    return InvalidInput(kind, title, exc.reason, extensions=extensions)


def unknown_identifier_problem(uri: str) -> NotFound:
    """NotFound (404): a valid Digital Link that nothing on the platform names, at any level."""
    return NotFound("unknown-identifier", "Unknown identifier",
                    "no record, product or lot on this platform names this code; it may be "
                    "mistyped or not genuine", extensions={"uri": uri})
