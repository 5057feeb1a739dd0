"""Capture: an EPCIS 2.0 document in, durable signed records out (issue 7, item 4).

`capture_document` returns only after one transaction committed the log leaves, the
`api_events` / `api_event_epcs` rows, the provenance graph rows and the capture job, so a
202 is never sent for anything that could still be lost, and under `rollback` a failure
at any point stores nothing.

Steps: read the document (envelope decode, document-level validation, limits) →
validate, hash, judge who may write it (`authority.py`) and recover signers in the worker
pool → decide each event (rejected, duplicate, accepted) → server-sign for custodial
enterprises → one submit transaction.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from psycopg.errors import UniqueViolation

from anchoring.core.entry import LogEntry, encode_entry
from anchoring.errors import StoreError
from anchoring.store import Receipt
from anchoring.store.db import Cursor
from trace_api.capture import jobs
from trace_api.capture.analysis import ChunkTask, event_hash_digest
from trace_api.capture.authority import WriteAuthority
from trace_api.capture.document import SIGNATURES_MEMBER, read_document
from trace_api.capture.pool import signature_pool
from trace_api.capture.results import (
    BEHAVIOURS,
    INVALID_EPCIS,
    INVALID_SIGNATURE,
    NOT_YOUR_RECORD,
    REJECTION_ERRORS,
    Behaviour,
    CaptureJob,
    EventResult,
)
from trace_api.context import ApiContext
from trace_api.enterprises.service import CUSTODY_CUSTODIAL, capture_identity, sign_records
from trace_api.epcis import EPCISValidationError, ValidationIssue
from trace_api.epcis.errors import escape_pointer_token
from trace_api.errors import PROBLEM_TYPE_BASE, DomainError, InvalidInput, TooLarge
from trace_api.provenance.ingest import insert_graph_rows, with_leaf_index
from trace_api.records.repository import RecordRow, existing_leaves, insert_records

log = logging.getLogger(__name__)

RACE_RETRIES = 3
"""Attempts when a concurrent capture recorded the same event between our duplicate check
and our commit (the unique constraint refuses the second; we re-check and report it)."""



@dataclass
class _Accepted:
    index: int
    hash_id: str
    signature: bytes | None
    columns: tuple[Any, ...]
    epcs: Sequence[tuple[str, str]]
    body: bytes
    graph: tuple[Any, Sequence[Any], Sequence[Any]]
    """(event row, link rows, node-event rows) with a placeholder leaf index."""


def capture_document(ctx: ApiContext, enterprise_id: str, document: bytes | dict[str, Any],
                     *, behaviour: str = "rollback") -> CaptureJob:
    """Validate, sign-check and durably record an EPCIS document for `enterprise_id`.

    Returns the finished job once everything accepted is committed. Raises domain errors:
    InvalidInput for an invalid document (every issue with event index and JSON pointer)
    or, under `rollback`, for any rejected event (invalid, unsigned, wrongly signed);
    NotAllowed if the enterprise is suspended or, under `rollback`, when every rejected
    event is one it does not speak for (`not-your-record`); TooLarge beyond the capture
    limits.
    """
    if behaviour not in BEHAVIOURS:
        raise InvalidInput("invalid-capture-behaviour", "Unknown capture error behaviour",
                           f"GS1-Capture-Error-Behaviour must be rollback or proceed, not {behaviour!r}")
    identity = capture_identity(ctx, enterprise_id)
    body = document if isinstance(document, bytes) else msgspec.json.encode(document)
    limit = ctx.settings.capture_file_size_limit
    if len(body) > limit:
        raise too_large(len(body), limit)
    parsed = read_document(body, capture_limit=ctx.settings.capture_limit)
    self_custody = identity.custody != CUSTODY_CUSTODIAL
    task = ChunkTask(
        enterprise_id=enterprise_id, context=parsed.context, ignore_fields=parsed.ignore_fields,
        chain_id=ctx.deployment.chain_id, trace_anchor=ctx.deployment.trace_anchor,
        expected_submitter=identity.signing_address if self_custody else None,
        signatures=parsed.signatures if self_custody else {},
        events=parsed.events,
        authority=WriteAuthority(company_prefixes=identity.company_prefixes,
                                 glns=identity.glns, nested_prefixes=identity.nested_prefixes),
    )
    analysed = ctx.shared(signature_pool).analyse(task)
    rejected, candidates = _judge(analysed, identity.signing_address,
                                  parsed.signatures if self_custody else None)
    if rejected and behaviour == "rollback":
        raise _rollback_problem(rejected)
    capture_id = uuid.uuid4().hex
    for attempt in range(1, RACE_RETRIES + 1):
        try:
            return _record(ctx, identity.signing_address, enterprise_id, capture_id, behaviour,
                           rejected, candidates, custodial=not self_custody)
        except StoreError as exc:
            if attempt == RACE_RETRIES or not is_unique_violation(exc):
                raise
            log.info("capture %s raced a concurrent capture of the same event; retrying",
                     capture_id)
    raise AssertionError("unreachable")


def too_large(size: int, limit: int) -> TooLarge:
    """`capture-too-large` for a body over the file size limit."""
    return TooLarge("capture-too-large", "Capture document too large",
                    f"the body has {size} bytes; the limit is {limit} "
                    "(GS1-EPCIS-Capture-File-Size-Limit)",
                    extensions={"fileSizeLimit": limit})


def _judge(analysed: list[tuple[Any, ...]], submitter: str,
           signatures: dict[str, str] | None) -> tuple[list[EventResult], list[_Accepted]]:
    """Split analysed events into rejected results and candidates (valid, well signed).

    `signatures` is the document's map for a self-custody enterprise, None for custodial.
    """
    rejected: list[EventResult] = []
    candidates: list[_Accepted] = []
    for item in analysed:
        if item[0] == "invalid":
            _, index, issues = item
            pointer, message = issues[0]
            more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
            rejected.append(EventResult(index, None, "rejected", reason=message + more,
                                        pointer=pointer, problem=INVALID_EPCIS))
            continue
        if item[0] == "refused":
            _, index, hash_id, pointer, reason = item
            rejected.append(EventResult(index, hash_id, "rejected", reason=reason,
                                        pointer=pointer, problem=NOT_YOUR_RECORD))
            continue
        _, index, hash_id, (signer_kind, signer), columns, epcs, body, graph = item
        signature: bytes | None = None
        if signatures is not None:
            problem = _signature_problem(hash_id, signer_kind, signer, submitter)
            if problem is not None:
                rejected.append(EventResult(index, hash_id, "rejected", reason=problem[1],
                                            pointer=problem[0], problem=INVALID_SIGNATURE))
                continue
            signature = bytes.fromhex(signatures[hash_id][2:])
        candidates.append(_Accepted(index, hash_id, signature, columns, epcs, body, graph))
    return rejected, candidates


def _signature_problem(hash_id: str, kind: str, value: str,
                       submitter: str) -> tuple[str, str] | None:
    if kind == "address" and value == submitter:
        return None  # the common case: no pointer to build
    at = "/" + escape_pointer_token(SIGNATURES_MEMBER)
    if kind == "none":
        return at, f"no signature for {hash_id} in {SIGNATURES_MEMBER}"
    at += "/" + escape_pointer_token(hash_id)
    if kind == "error":
        return at, f"malformed signature: {value}"
    return at, (f"the signature recovers to {value}, not the enterprise's signing address "
                f"{submitter} (wrong key, chain id or TraceAnchor contract)")


_ROLLBACK_TITLES = {INVALID_EPCIS: "Invalid EPCIS document",
                    INVALID_SIGNATURE: "Unsigned or wrongly signed events",
                    NOT_YOUR_RECORD: "Not the enterprise's record to write"}


def _rollback_problem(rejected: list[EventResult]) -> DomainError:
    """The one error a rollback answers with: the kind all rejections share (NotAllowed when
    they are all `not-your-record`), else `invalid-epcis`; every event's error has its own
    `type`."""
    ordered = sorted(rejected, key=lambda result: result.index)
    kinds = {result.problem or INVALID_EPCIS for result in ordered}
    kind = kinds.pop() if len(kinds) == 1 else INVALID_EPCIS
    issues = [ValidationIssue(result.pointer or "", result.reason or "rejected", result.index)
              for result in ordered]
    errors = [
        {**issue.as_dict(), "type": PROBLEM_TYPE_BASE + (result.problem or INVALID_EPCIS)}
        for issue, result in zip(issues, ordered, strict=True)]
    return REJECTION_ERRORS[kind](
        kind, _ROLLBACK_TITLES[kind],
        f"{len(rejected)} event(s) rejected; under rollback nothing was stored. "
        + str(EPCISValidationError(issues)),
        extensions={"errors": errors})


def _record(ctx: ApiContext, submitter: str, enterprise_id: str, capture_id: str,
            behaviour: Behaviour, rejected: list[EventResult], candidates: list[_Accepted],
            *, custodial: bool) -> CaptureJob:
    """Decide duplicates against the database, sign if custodial, and commit everything."""
    store = ctx.log_store
    with store.db.transaction(write=False) as cursor:
        recorded = existing_leaves(cursor, enterprise_id, (c.hash_id for c in candidates))
    first_in_document: dict[str, _Accepted] = {}
    fresh: list[_Accepted] = []
    repeats: list[_Accepted] = []
    for candidate in candidates:
        if candidate.hash_id in recorded or candidate.hash_id in first_in_document:
            repeats.append(candidate)
        else:
            first_in_document[candidate.hash_id] = candidate
            fresh.append(candidate)
    signatures = _signatures_for(ctx, enterprise_id, fresh, custodial=custodial)
    received_at_ms = time.time_ns() // 1_000_000
    submitter_bytes = bytes.fromhex(submitter[2:])
    salts = secrets.token_bytes(32 * len(fresh))  # one CSPRNG call, a fresh 32 bytes each
    encoded = [
        encode_entry(LogEntry(event_hash=event_hash_digest(candidate.hash_id),
                              submitter=submitter_bytes, signature=signature,
                              received_at_ms=received_at_ms, salt=salts[32 * n:32 * n + 32]))
        for n, (candidate, signature) in enumerate(zip(fresh, signatures, strict=True))
    ]
    job_holder: list[CaptureJob] = []

    def write_rows(cursor: Cursor, receipts: list[Receipt]) -> None:
        leaf_of = dict(recorded)
        rows: list[RecordRow] = []
        graph_events: list[tuple[Any, ...]] = []
        graph_links: list[tuple[Any, ...]] = []
        graph_nodes: list[tuple[Any, ...]] = []
        for candidate, entry, receipt in zip(fresh, encoded, receipts, strict=True):
            leaf = receipt.leaf_index
            leaf_of[candidate.hash_id] = leaf
            rows.append(RecordRow(
                (leaf, candidate.hash_id, enterprise_id, submitter, entry,
                 received_at_ms, capture_id, *candidate.columns, candidate.body.decode("utf-8")),
                candidate.epcs,
            ))
            # The workers made the graph rows before the leaf was known.
            event_row, links, nodes = candidate.graph
            graph_events.append((leaf, *event_row[1:]))
            graph_links.extend(with_leaf_index(links, leaf))
            graph_nodes.extend(with_leaf_index(nodes, leaf))
        insert_records(cursor, rows)
        insert_graph_rows(cursor, graph_events, graph_links, graph_nodes)
        results = [*rejected,
                   *(EventResult(c.index, c.hash_id, "accepted", leaf_of[c.hash_id])
                     for c in fresh),
                   *(EventResult(c.index, c.hash_id, "duplicate", leaf_of[c.hash_id])
                     for c in repeats)]
        job = CaptureJob(capture_id, enterprise_id, behaviour, received_at_ms,
                         tuple(sorted(results, key=lambda result: result.index)))
        jobs.insert_job(cursor, job)
        job_holder.append(job)

    store.submit_encoded(encoded, within=write_rows)
    job = job_holder[-1]
    log.info("capture %s: enterprise=%s events=%d accepted=%d duplicate=%d rejected=%d",
             capture_id, enterprise_id, len(job.results), len(fresh), len(repeats),
             len(rejected))
    return job


def _signatures_for(ctx: ApiContext, enterprise_id: str, fresh: list[_Accepted], *,
                    custodial: bool) -> list[bytes]:
    """One 65-byte signature per fresh event: the server's for custodial enterprises, else
    the ones the enterprise sent (already checked to recover to its address)."""
    if not fresh:
        return []
    if custodial:
        digests = [event_hash_digest(candidate.hash_id) for candidate in fresh]
        return list(sign_records(ctx, enterprise_id, digests))
    return [candidate.signature for candidate in fresh]  # type: ignore[misc]


def is_unique_violation(error: BaseException) -> bool:
    """True when a `StoreError` was caused by a unique constraint (SQLite or PostgreSQL):
    a concurrent writer recorded the same row first."""
    cause = error.__cause__
    if isinstance(cause, sqlite3.IntegrityError):
        return True
    return isinstance(cause, UniqueViolation)
