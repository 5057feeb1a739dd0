"""The lookup's `evidence`: what the scan page needs to verify what it shows by itself.

For each timeline entry (same order): the stored event body, its public proof bundle
(the same JSON as `GET /v1/events/{id}/proof`, from the shared proof cache) and
`memberBlock`, the block at the record's receive time where the page asks
`MemberRegistry` whether the signer was a member. The product's current master-data
record (`trace_api.products.master_data`) with its bundle and member block. The
registered records of every enterprise the events and the master data name (submitters,
the producer, the holders of the GLNs the events name as places, sources or destinations),
which the page checks against the metadata hash
on chain. Nothing here is a verdict: every item is checked by the reader.

Bounds: at most `TIMELINE_MAX_EVENTS` events (the timeline's own cap, each body within
the capture limits), one master-data record, and at most one enterprise per event
submitter and per GLN those events name, plus the producer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from web3.exceptions import BlockNotFound, Web3Exception

from anchoring.core.event_hash.digital_link import canonical_identifier
from gs1.keys import gln_of
from trace_api.chain_gateway import gateway
from trace_api.consumer import schemas as out
from trace_api.consumer.sources import (
    TimelineEvent,
    enterprise_records,
    location_holders,
    member_blocks,
)
from trace_api.context import ApiContext
from trace_api.products.master_data import current_record, product_subject
from trace_api.products.service import Product
from trace_api.proofs.service import bundles_for_entries
from trace_api.records.models import StoredRecord
from trace_api.records.repository import LOOKUP_BATCH, records_where

log = logging.getLogger(__name__)

MEMBER_BLOCKS_REMEMBERED = 100_000
"""Receive seconds whose (final) member block is remembered per app: ~1 MB."""


def member_block_memo(ctx: ApiContext) -> dict[int, int]:
    """The app's memo of settled member blocks (`ctx.shared(member_block_memo)`)."""
    return {}


def _records(ctx: ApiContext, leaves: Sequence[int]) -> dict[int, StoredRecord]:
    found: dict[int, StoredRecord] = {}
    wanted = sorted(set(leaves))
    for start in range(0, len(wanted), LOOKUP_BATCH):
        chunk = wanted[start:start + LOOKUP_BATCH]
        placeholders = ", ".join("?" for _ in chunk)
        for record in records_where(ctx.log_store.db, f"e.leaf_index IN ({placeholders})",
                                    chunk, len(chunk)):
            found[record.leaf_index] = record
    return found


def _settled(ctx: ApiContext,
             mirrored: dict[int, tuple[int | None, bool]]) -> dict[int, int | None]:
    """Receive time -> member block, asking the chain where the mirror's tip was the answer:
    the tip is the member block if the chain has no later block yet, or a later one after
    that second; None (unknown) if the mirror lags or the chain does not answer."""
    answers: dict[int, int | None] = {}
    next_blocks: dict[int, int | None] = {}  # block number -> timestamp of the next (None: none)
    for moment, (number, settled) in mirrored.items():
        if settled or number is None:
            answers[moment] = number
            continue
        if number not in next_blocks:
            next_blocks[number] = _next_block_time(ctx, number)
        later = next_blocks[number]
        answers[moment] = number if later is None or later > moment // 1000 else None
    return answers


def _next_block_time(ctx: ApiContext, number: int) -> int | None:
    """Timestamp of block `number + 1` on the chain; None if there is none yet, -1 (which
    is never later than a receive time) if the chain cannot tell."""
    try:
        block = gateway(ctx).w3.eth.get_block(number + 1)
    except BlockNotFound:
        return None
    except (OSError, Web3Exception):  # chain unavailable: the hint is unknown, the lookup answers
        log.warning("member block: the chain did not answer for block %d", number + 1)
        return -1
    return int(block["timestamp"])


def _named_glns(event: dict[str, Any]) -> set[str]:
    """GLNs an event body names as its places or as a source or destination party."""
    identifiers = [place.get("id") for place in (event.get("readPoint"), event.get("bizLocation"))
                   if isinstance(place, dict)]
    for member, value_name in (("sourceList", "source"), ("destinationList", "destination")):
        entries = event.get(member)
        if isinstance(entries, list):
            identifiers += [entry.get(value_name) for entry in entries if isinstance(entry, dict)]
    glns = set()
    for identifier in identifiers:
        if isinstance(identifier, str):
            gln = gln_of(canonical_identifier(identifier))
            if gln is not None:
                glns.add(gln)
    return glns


def lookup_evidence(ctx: ApiContext, events: Sequence[TimelineEvent], product: Product | None,
                    glns: Iterable[str]) -> out.Evidence:
    """The evidence of a consumer view whose timeline is `events`, for `product` (if known),
    naming the holders of `glns` (the timeline's location GLNs) and of the GLNs the event
    bodies name."""
    stored = _records(ctx, [event.leaf_index for event in events])
    shown = [stored[event.leaf_index] for event in events if event.leaf_index in stored]
    master = current_record(ctx.log_store.db, product_subject(product.gtin)) if product else None
    proven = [(record.leaf_index, record.event_hash_id, record.entry) for record in shown]
    if master is not None:
        proven.append((master.leaf_index, master.record_hash_id, master.entry))
    bundles = [bundle.to_json() for bundle in bundles_for_entries(ctx, proven)]
    memo = ctx.shared(member_block_memo)
    if len(memo) > MEMBER_BLOCKS_REMEMBERED:
        memo.clear()
    times = [record.received_at_ms for record in shown]
    blocks = _settled(ctx, member_blocks(
        ctx.mirror_engine, times + ([master.received_at_ms] if master else []), memo))
    bodies = [json.loads(record.body) for record in shown]
    places = set(glns).union(*(_named_glns(body) for body in bodies))
    named = [record.enterprise_id for record in shown]
    named += [row.enterprise_id for row in location_holders(ctx.engine, places).values()]
    if master is not None:
        named.append(master.enterprise_id)
    registered = enterprise_records(ctx.engine, named)
    return out.Evidence(
        events=[out.EventEvidence(eventHashId=record.event_hash_id, event=body,
                                  proof=bundle, memberBlock=blocks[record.received_at_ms])
                for record, body, bundle in zip(shown, bodies, bundles, strict=False)],
        masterData=[] if master is None else [out.MasterDataEvidence(
            kind="product", recordHashId=master.record_hash_id, record=master.document,
            proof=bundles[-1], memberBlock=blocks[master.received_at_ms])],
        enterprises=[out.EnterpriseEvidence(enterpriseId=enterprise_id,
                                            record=out.EnterpriseRecord(**registered[enterprise_id]))
                     for enterprise_id in sorted(set(named)) if enterprise_id in registered],
    )
