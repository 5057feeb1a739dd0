"""Printable GS1 Digital Link QR labels: SVG, PNG, PDF, A4 sheets, ZIPs, authenticators.

Public surface for the API and the CLI: ``make_label``, ``render_label``,
``render_batch``, ``batch_labels``/``BatchRequest``/``parse_serial_range``,
``attach_authenticator``/``verify_authenticator`` and ``trace_api.labels.errors``.
"""

from trace_api.labels.authenticator import (
    AUTH_PARAM,
    attach_authenticator,
    compute_authenticator,
    verify_authenticator,
)
from trace_api.labels.batch import MAX_BATCH_LABELS, BatchRequest, batch_labels, parse_serial_range
from trace_api.labels.content import make_label
from trace_api.labels.errors import LabelError
from trace_api.labels.render import MEDIA_TYPES, render_batch, render_label

__all__ = [
    "AUTH_PARAM",
    "MAX_BATCH_LABELS",
    "MEDIA_TYPES",
    "BatchRequest",
    "LabelError",
    "attach_authenticator",
    "batch_labels",
    "compute_authenticator",
    "make_label",
    "parse_serial_range",
    "render_batch",
    "render_label",
    "verify_authenticator",
]
