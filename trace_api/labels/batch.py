"""Batches of serialised labels: a GTIN + lot + serial range, each with its authenticator.

The API records each range as an EPCIS commissioning event (not done here); this
module only turns the request into Labels, lazily, so a 10,000-label batch is
never held as images in memory.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from gs1 import DEFAULT_STEM, link_for_item, normalise_gtin
from gs1.keys import verify_lot
from trace_api.labels.authenticator import attach_authenticator
from trace_api.labels.content import Label, make_label
from trace_api.labels.errors import BatchTooLargeError, InvalidSerialRangeError

MAX_BATCH_LABELS = 10_000  # ~500 A4 sheets; bigger runs are split so a request stays bounded
_RANGE = re.compile(r"^\s*(\d{1,18})\s*(?:-\s*(\d{1,18}))?\s*$")


def parse_serial_range(text: str) -> range:
    """Parse ``"1-1000"`` (inclusive) or ``"42"`` into a range of serial numbers.

    Raises :class:`InvalidSerialRangeError` for malformed or descending ranges.
    """
    match = _RANGE.match(text)
    if match is None:
        raise InvalidSerialRangeError(f"serial range {text!r} is not N or N-M (digits)")
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) is not None else first
    if last < first:
        raise InvalidSerialRangeError(f"serial range {text!r} runs backwards")
    return range(first, last + 1)


@dataclass(frozen=True)
class BatchRequest:
    """What to print: every serial in ``serials`` of ``gtin`` in ``lot``."""

    gtin: str
    lot: str
    serials: range
    expiry: dt.date | None = None
    product_name: str | None = None
    serial_width: int = 0  # zero-pad serials to this many digits (0: no padding)
    stem: str = DEFAULT_STEM

    def verify(self) -> None:
        """Raise a GS1Error/LabelError for a bad GTIN or lot, or an oversize batch."""
        normalise_gtin(self.gtin)
        verify_lot(self.lot)
        if len(self.serials) > MAX_BATCH_LABELS:
            raise BatchTooLargeError(len(self.serials), MAX_BATCH_LABELS)
        if len(str(self.serials[-1]).zfill(self.serial_width)) > 20:
            raise InvalidSerialRangeError("serials longer than 20 characters (AI 21 limit)")


def batch_labels(request: BatchRequest, *, key: bytes | None) -> Iterator[Label]:
    """Yield one Label per serial, in order, authenticated under ``key`` (None: no
    authenticator); verifies the request before yielding anything."""
    request.verify()
    for number in request.serials:
        link = link_for_item(
            request.gtin,
            lot=request.lot,
            serial=str(number).zfill(request.serial_width),
            expiry=request.expiry,
            stem=request.stem,
        )
        if key is not None:
            link = attach_authenticator(key, link)
        yield make_label(link, product_name=request.product_name)
