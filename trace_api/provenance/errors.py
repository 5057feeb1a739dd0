"""Errors of the provenance package; callers catch `ProvenanceError`."""

from __future__ import annotations

from trace_api.gs1.errors import IdentifierError as GS1IdentifierError


class ProvenanceError(Exception):
    """Base class of provenance errors."""


# A malformed identifier is a GS1 keying error: trace_api.gs1.keys raises it for every caller.
IdentifierError = GS1IdentifierError
