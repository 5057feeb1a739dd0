"""Streaming export rows: records in log order, a batch at a time, each with its anchor."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from itertools import islice

from sqlalchemy import Engine

from contracts.anchored_head import AnchoredHead
from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.export.kde import LotFacts, Row, kde_rows, lot_facts
from trace_api.audit.inputs import creates
from trace_api.audit.sources import BATCH_ROWS, EventFilter, anchor_heads, iter_events

LOT_CACHE = 100_000
"""Lots whose creating event's facts (description, lot code source) are remembered, LRU:
bounds memory however long the export."""


def records_with_anchors(engine: Engine, mirror: Engine, where: EventFilter) -> Iterator[
        tuple[AuditEvent, AnchoredHead | None]]:
    """Each matching record with its first anchoring head (None: pending), log order."""
    events = iter_events(engine, where)
    while batch := list(islice(events, BATCH_ROWS)):
        anchors = anchor_heads(mirror, [event.leaf_index for event in batch])
        for event in batch:
            yield event, anchors.get(event.leaf_index)


def export_rows(engine: Engine, mirror: Engine, where: EventFilter) -> Iterator[Row]:
    """FSMA 204 KDE rows (kde.COLUMNS order) of every matching record."""
    known: OrderedDict[str, LotFacts] = OrderedDict()
    for event, head in records_with_anchors(engine, mirror, where):
        made = creates(event)
        if made:
            facts = lot_facts(event)
            for ref in made:
                known.setdefault(ref.key, facts)  # the first event that made it
                known.move_to_end(ref.key)
            while len(known) > LOT_CACHE:
                known.popitem(last=False)
        yield from kde_rows(event, head, known)
