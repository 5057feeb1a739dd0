"""Named errors for GS1 identifiers, element strings and Digital Link URIs.

Callers catch one type, :class:`GS1Error`; the subclasses say what kind of input
was wrong and carry the offending AI, value and a human-readable ``reason`` that
an API may show in a problem document (nothing secret is ever put in them).
"""

from __future__ import annotations


class GS1Error(ValueError):
    """Base class: some GS1 input was rejected. ``reason`` says why, in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidAIValueError(GS1Error):
    """The value of one Application Identifier breaks its rule (length, characters, check digit, date)."""

    def __init__(self, ai: str, value: str, reason: str) -> None:
        super().__init__(f"AI ({ai}) value {value!r}: {reason}")
        self.ai = ai
        self.value = value
        self.detail = reason


class CheckDigitError(InvalidAIValueError):
    """A GS1 mod-10 check digit is wrong; ``expected`` is the digit that would be right."""

    def __init__(self, ai: str, value: str, expected: int) -> None:
        super().__init__(ai, value, f"check digit should be {expected}")
        self.expected = expected


class UnknownAIError(GS1Error):
    """An Application Identifier that this package does not support (or that does not exist)."""

    def __init__(self, ai: str) -> None:
        super().__init__(f"unknown or unsupported Application Identifier ({ai})")
        self.ai = ai


class AIAssociationError(GS1Error):
    """A combination of AIs is not allowed: a repeat with another value, a missing
    requisite AI or two mutually exclusive AIs."""


class InvalidElementStringError(GS1Error):
    """An element string (FNC1/GS form or bracketed HRI form) could not be split into AIs."""


class InvalidDigitalLinkError(GS1Error):
    """A GS1 Digital Link URI is malformed (scheme, host, path, key/qualifier order, query)."""

    def __init__(self, uri: str, reason: str) -> None:
        super().__init__(f"invalid GS1 Digital Link URI: {reason}")
        self.uri = uri
        self.detail = reason


class InvalidRegistrationCodeError(GS1Error):
    """A China special-equipment registration code cannot be mapped to a GIAI."""


class IdentifierError(GS1Error):
    """An identifier given as an EPC URI, EPC class URI or Digital Link is malformed (or is
    no URI at all); ``identifier`` is the text as given and ``reason`` says why."""

    def __init__(self, identifier: str, reason: str) -> None:
        super().__init__(reason)
        self.args = (f"{identifier!r}: {reason}",)
        self.identifier = identifier
