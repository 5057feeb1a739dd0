"""Reading what the consumer view shows, each source in one function, only public fields.

Timeline entries carry the event's hash, type, step, time, place, enterprise name and
anchor status; sensors carry readings; names come from product master data and enterprise
registrations (companies), never from event payloads. Event bodies are read only for the
events already on the product's public timeline (`timeline_events`): the scan page must
re-hash each body it renders (issue 15), so `trace_api.consumer.evidence` sends them whole.
Enterprise records (`enterprise_records`) are the registered fields whose hash is on
chain; `member_blocks` finds the block at a record's receive time in the chain mirror.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, or_, text
from sqlmodel import Session, col, select

from gs1 import DigitalLink, format_digital_link
from gs1.keys import identify, recall_keys_covering, recall_subject
from indexer.sink.models import ChainBlock, ChainRecallHistory
from trace_api.enterprises.store import EnterpriseRow
from trace_api.provenance.access import SERVICE_STEPS, Directory, chain_events, custody_members
from trace_api.provenance.graph import BACKWARD
from trace_api.provenance.reader import IN_CHUNK
from trace_api.provenance.recalls import OPEN_STATUSES, RecallReason
from trace_api.provenance.trace import UnknownIdentifierError, trace_graph
from trace_api.records.columns import format_time_ms

TIMELINE_DEPTH = 10  # farm to shelf is ~6-8 hops (provenance.trace.MAX_DEPTH explains)
TIMELINE_MAX_NODES = 2_000  # a consumer page needs the chain, not every sibling of a big lot
TIMELINE_MAX_EVENTS = 200
SENSOR_MAX_READINGS = 2_000  # enough for a week of 5-minute readings; the chart needs no more
GIAI_AI = "8004"  # special equipment is named by its GIAI


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield list(values[start:start + IN_CHUNK])


# --- enterprises and places ------------------------------------------------------------


def enterprise_names(engine: Engine, enterprise_ids: Iterable[str]) -> dict[str, str]:
    """Registered (company) names of enterprises, by MemberRegistry id."""
    wanted = sorted(set(enterprise_ids))
    names: dict[str, str] = {}
    with Session(engine) as session:
        for chunk in _chunks(wanted):
            for row in session.exec(select(EnterpriseRow).where(col(EnterpriseRow.enterprise_id).in_(chunk))):
                names[row.enterprise_id] = row.name
    return names


def location_holders(engine: Engine, glns: Iterable[str]) -> dict[str, EnterpriseRow]:
    """GLN -> the enterprise that registered it as one of its sites (the first, by id)."""
    wanted = sorted(set(glns))
    holders: dict[str, EnterpriseRow] = {}
    with Session(engine) as session:
        for chunk in _chunks(wanted):
            # glns_json is a JSON list of 13-digit strings: '"<gln>"' matches exactly one entry.
            matches = or_(*(col(EnterpriseRow.glns_json).contains(f'"{gln}"') for gln in chunk))
            statement = select(EnterpriseRow).where(matches).order_by(col(EnterpriseRow.enterprise_id))
            for row in session.exec(statement):
                for gln in row.glns:
                    if gln in chunk:
                        holders.setdefault(gln, row)
    return holders


def location_names(engine: Engine, glns: Iterable[str]) -> dict[str, str]:
    """GLN -> name of the enterprise that registered it as one of its sites."""
    return {gln: row.name for gln, row in location_holders(engine, glns).items()}


def enterprise_records(engine: Engine, enterprise_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Enterprise id -> its registered record `{name, uscc, sectors (sorted), companyPrefixes,
    glns}`: exactly the fields whose keccak256(JCS) is `MemberRegistry.enterprise(id)
    .metadataHash` (`trace_api.enterprises.ids.metadata_hash`), so a reader checks it on chain."""
    wanted = sorted(set(enterprise_ids))
    records: dict[str, dict[str, Any]] = {}
    with Session(engine) as session:
        for chunk in _chunks(wanted):
            for row in session.exec(select(EnterpriseRow).where(col(EnterpriseRow.enterprise_id).in_(chunk))):
                records[row.enterprise_id] = {
                    "name": row.name, "uscc": row.uscc, "sectors": sorted(row.sectors),
                    "companyPrefixes": row.prefixes, "glns": row.glns}
    return records


# --- the chain at a record's receive time ----------------------------------------------


def member_blocks(mirror_engine: Engine, received_at_ms: Iterable[int],
                  known: dict[int, int]) -> dict[int, tuple[int | None, bool]]:
    """Receive time (ms) -> (the last mirrored block whose timestamp (s) <= time // 1000,
    whether that is settled). Settled: the mirror holds the next block (whose timestamp is
    then later); unsettled: the block is the mirror's tip and the chain may hold a later one
    at the same second (the caller asks the chain); (None, True) when the mirror has no
    block that early. `known` remembers answers whose next block is final (they can no
    longer change) across calls; the caller owns and bounds it."""
    answers: dict[int, tuple[int | None, bool]] = {}
    with Session(mirror_engine) as session:
        for moment in sorted(set(received_at_ms)):
            second = moment // 1000
            if second in known:
                answers[moment] = (known[second], True)
                continue
            # Timestamps never decrease with the number: scan down from the tip.
            number = session.exec(
                select(ChainBlock.number).where(ChainBlock.timestamp <= second)
                .order_by(col(ChainBlock.number).desc()).limit(1)).first()
            if number is None:
                answers[moment] = (None, True)
                continue
            following = session.get(ChainBlock, number + 1)
            answers[moment] = (int(number), following is not None)
            if following is not None and following.final:
                known[second] = int(number)
    return answers


# --- recalls ---------------------------------------------------------------------------


def recall_keys(link: DigitalLink) -> list[str]:
    """Canonical URIs whose recall covers `link`, most specific first: the full key path,
    the serial without lot (SGTIN), the lot, the GTIN (`gs1.keys.recall_keys_covering`)."""
    return list(recall_keys_covering(identify(format_digital_link(link.without_extras()))))


@dataclass(frozen=True)
class RecallState:
    """The latest chain state of one subject's recall."""

    subject: str
    recall_class: int | None
    reason_hash: str
    opened_at: str | None


def open_recall(mirror_engine: Engine, link: DigitalLink) -> RecallState | None:
    """The open recall covering `link` (most specific subject first), from the mirror."""
    subjects = [recall_subject(key) for key in recall_keys(link)]
    with Session(mirror_engine) as session:
        rows = session.exec(
            select(ChainRecallHistory)
            .where(col(ChainRecallHistory.subject).in_(subjects))
            .order_by(col(ChainRecallHistory.block_number), col(ChainRecallHistory.log_index))
        ).all()
        latest: dict[str, ChainRecallHistory] = {}
        opened: dict[str, ChainRecallHistory] = {}
        for row in rows:
            latest[row.subject] = row
            if row.change == "opened":
                opened[row.subject] = row
        for subject in subjects:
            current = latest.get(subject)
            if current is None or current.status not in OPEN_STATUSES:
                continue
            start = opened.get(subject)
            block = session.get(ChainBlock, start.block_number) if start else None
            return RecallState(
                subject=subject,
                recall_class=current.recall_class if current.recall_class is not None
                else (start.recall_class if start else None),
                reason_hash=current.reason_hash,
                opened_at=format_time_ms(block.timestamp * 1000) if block else None,
            )
    return None


def recall_reason(engine: Engine, reason_hash: str) -> str | None:
    """The public recall notice behind a reason hash (kept by the recalls package), if known."""
    with Session(engine) as session:
        row = session.get(RecallReason, reason_hash.lower())
        return None if row is None else row.reason


# --- timeline --------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    """One step of the product's chain, public fields only."""

    leaf_index: int
    event_hash_id: str
    event_type: str
    biz_step: str | None
    time_ms: int
    location: str | None  # location node key
    enterprise_id: str


def timeline_events(engine: Engine, start: DigitalLink) -> tuple[list[TimelineEvent], bool]:
    """The events of the backward trace from `start` (its own events, its lot, pallets,
    inputs back to the farm) recorded by the product's documented custody chain
    (`trace_api.provenance.access.custody_members`: the owner of the key's GS1 Company
    Prefix and the parties with confirmed hand-offs to or from it), oldest first; and
    whether the list was cut. Events by anyone else (an outsider's observation of the
    product, its sensor readings) are not shown. Equipment (a GIAI) also admits inspection
    and maintenance by parties a custody member's event names."""
    try:
        with engine.connect() as connection:
            result = trace_graph(connection, format_digital_link(start.without_extras()), BACKWARD,
                                 TIMELINE_DEPTH, max_nodes=TIMELINE_MAX_NODES)
    except UnknownIdentifierError:
        return [], False
    facts = [e.facts for e in result.events]
    directory = Directory.load(engine)
    key_ai, key_value = start.primary_key
    members = custody_members(facts, directory.owners_of_key(key_ai, key_value), directory,
                              service_steps=SERVICE_STEPS if key_ai == GIAI_AI else frozenset())
    shown = {event.leaf_index for event in chain_events(facts, members)}
    events = [
        TimelineEvent(
            leaf_index=e.facts.leaf_index, event_hash_id=e.facts.event_hash_id,
            event_type=e.facts.event_type, biz_step=e.facts.biz_step,
            time_ms=e.facts.event_time_ms,
            location=e.facts.biz_location or e.facts.read_point,
            enterprise_id=e.facts.enterprise_id,
        )
        for e in result.events if e.facts.leaf_index in shown
    ]
    cut = result.truncated or len(events) > TIMELINE_MAX_EVENTS
    return events[:TIMELINE_MAX_EVENTS], cut


# --- sensor readings -------------------------------------------------------------------


def _measurement(report_type: str) -> str:
    """`gs1:Temperature`, `https://gs1.org/voc/Temperature` -> `Temperature`."""
    for separator in (":", "/", "#"):
        report_type = report_type.rsplit(separator, 1)[-1]
    return report_type


def sensor_readings(engine: Engine, events: Sequence[TimelineEvent]) -> list[dict[str, Any]]:
    """Numeric readings from the events' `sensorElementList`, oldest first.

    Only `type`, `value`, `uom` and time leave the server; a report without its own
    `time` takes its sensor metadata's time, else the event time.
    """
    times = {event.leaf_index: event.time_ms for event in events}
    statement = text("SELECT leaf_index, body FROM api_events WHERE leaf_index IN :leaves").bindparams(
        bindparam("leaves", expanding=True))
    readings: list[tuple[str, str, float, str | None]] = []
    with engine.connect() as connection:
        for chunk in _chunks(sorted(times)):
            for leaf_index, body in connection.execute(statement, {"leaves": chunk}):
                readings.extend(_readings_of(json.loads(body), format_time_ms(times[int(leaf_index)])))
    readings.sort(key=lambda reading: reading[0])
    return [{"time": time, "type": kind, "value": value, "uom": uom}
            for time, kind, value, uom in readings[:SENSOR_MAX_READINGS]]


def _readings_of(event: dict[str, Any], event_time: str) -> Iterable[tuple[str, str, float, str | None]]:
    for element in event.get("sensorElementList") or ():
        metadata = element.get("sensorMetadata") or {}
        for report in element.get("sensorReport") or ():
            value = report.get("value")
            kind = report.get("type")
            if not isinstance(value, int | float) or isinstance(value, bool) or not isinstance(kind, str):
                continue
            time = report.get("time") or metadata.get("time") or event_time
            yield _utc(str(time)), _measurement(kind), float(value), report.get("uom")


def _utc(text_time: str) -> str:
    try:
        parsed = dt.datetime.fromisoformat(text_time)
    except ValueError:
        return text_time
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return format_time_ms(round(parsed.timestamp() * 1000))
