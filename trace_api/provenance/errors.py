"""Errors of the provenance package; callers catch `ProvenanceError`."""

from __future__ import annotations


class ProvenanceError(Exception):
    """Base class of provenance errors."""
