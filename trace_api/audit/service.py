"""Findings service: choose records, gather chain facts, run the rules, filter the findings.

Scope and context: the records a query selects (enterprise, identifier, event time) are
the *scope*; findings are reported only on them. Rules also need neighbouring records
(the shipment before a receipt, the pallet a lot travelled in), so the audit adds as
*context* every record naming an identifier the scope names, and the records naming the
containers those were packed in (two hops). An unfiltered regulator query scopes the
whole database (bounded by `AuditConfig.max_events`; the report says when it was cut).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from trace_api.audit.config import AuditConfig, load_audit_config
from trace_api.audit.engine import run_rules
from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.inputs import AuditInputs
from trace_api.audit.integrity_check import make_integrity_check
from trace_api.audit.model import Finding, Rule, Severity
from trace_api.audit.rules import ALL_RULES
from trace_api.audit.sources import (
    EventFilter,
    anchor_heads,
    enterprise_history,
    iter_events,
    recall_history,
)
from trace_api.context import ApiContext
from trace_api.enterprises.service import record_domain
from trace_api.proofs.cache import inclusion_proofs
from trace_api.provenance.trace import trace_graph

log = logging.getLogger(__name__)

CONTEXT_CHUNK = 500
"""Identifiers per context query (keeps `IN (...)` lists well under driver limits)."""


@dataclass(frozen=True, kw_only=True)
class FindingsQuery:
    """What `/v1/audit/findings` asks: rules (None: all), minimum severity, scope."""

    rules: Sequence[Rule] = ALL_RULES
    min_severity: Severity = Severity.LOW
    enterprise_id: str | None = None
    leaf_indexes: Sequence[int] | None = None
    """Only these records (e.g. the events of one identifier's trace)."""
    from_ms: int | None = None
    to_ms: int | None = None


@dataclass(frozen=True)
class FindingsReport:
    findings: list[Finding]
    scanned: int
    truncated: bool


def now_ms() -> int:
    return int(time.time() * 1000)


def trace_leaf_indexes(ctx: ApiContext, identifier: str) -> list[int]:
    """Leaves of every event on the identifier's backward and forward trace (helper
    "provenance"). Raises its IdentifierError / UnknownIdentifierError."""
    with ctx.engine.connect() as connection:
        result = trace_graph(connection, identifier, "both")
    return sorted({event.facts.leaf_index for event in result.events})


def _context_events(ctx: ApiContext, scope: Sequence[AuditEvent]) -> list[AuditEvent]:
    """Records naming what the scope names, then what names their containers (two hops)."""
    have = {event.leaf_index for event in scope}
    found: list[AuditEvent] = []
    uris = sorted({ref.uri for event in scope for ref in event.view.objects})
    for _hop in range(2):
        fresh: list[AuditEvent] = []
        for start in range(0, len(uris), CONTEXT_CHUNK):
            for event in iter_events(ctx.engine, EventFilter(epcs=uris[start:start + CONTEXT_CHUNK])):
                if event.leaf_index not in have:
                    have.add(event.leaf_index)
                    fresh.append(event)
        found.extend(fresh)
        uris = sorted({ref.uri for event in fresh if event.view.event_type == "AggregationEvent"
                       for ref in event.view.objects_in("parent")})
        if not uris:
            break
    return found


def build_inputs(ctx: ApiContext, events: Sequence[AuditEvent], *, at_ms: int,
                 config: AuditConfig, verify: bool) -> AuditInputs:
    """AuditInputs for `events` with the mirror's chain facts (and crypto checks if `verify`)."""
    integrity = None
    if verify:
        integrity = make_integrity_check(ctx.shared(record_domain), ctx.shared(inclusion_proofs))
    return AuditInputs(
        events=events, now_ms=at_ms, config=config,
        enterprise_history=enterprise_history(ctx.mirror_engine, {e.enterprise_id for e in events}),
        recalls=recall_history(ctx.mirror_engine),
        anchors=anchor_heads(ctx.mirror_engine, [event.leaf_index for event in events]),
        integrity=integrity,
    )


def audit_records(ctx: ApiContext, scope: Sequence[AuditEvent], *, rules: Sequence[Rule] = ALL_RULES,
                  at_ms: int | None = None, with_context: bool = True) -> list[Finding]:
    """Findings of `rules` on the records `scope` (context added, see module docstring)."""
    config = ctx.shared(load_audit_config)
    context = _context_events(ctx, scope) if with_context else []
    verify = any(rule.name == "integrity_failure" for rule in rules)
    inputs = build_inputs(ctx, [*scope, *context], at_ms=at_ms if at_ms is not None else now_ms(),
                          config=config, verify=verify)
    in_scope = {event.leaf_index for event in scope}
    in_scope_enterprises = {event.enterprise_id for event in scope}
    return [
        finding for finding in run_rules(inputs, rules)
        if finding.leaf_index in in_scope
        or (finding.leaf_index is None and finding.enterprise_id in in_scope_enterprises)
    ]


_RULE_RANK = {rule.name: position for position, rule in enumerate(ALL_RULES)}


def most_severe_first(findings: Iterable[Finding]) -> list[Finding]:
    """Severity descending, then rule order, log position, subject, message."""
    return sorted(findings, key=lambda f: (-f.severity, _RULE_RANK.get(f.rule, 0), *f.sort_key()[1:]))


def find(ctx: ApiContext, query: FindingsQuery, *, at_ms: int | None = None) -> FindingsReport:
    """The findings `query` asks for, most severe first, then in rule and log order."""
    config = ctx.shared(load_audit_config)
    where = EventFilter(enterprise_id=query.enterprise_id, from_ms=query.from_ms,
                        to_ms=query.to_ms, leaf_indexes=query.leaf_indexes)
    selected = iter_events(ctx.engine, where)
    scope = list(islice(selected, config.max_events))
    truncated = next(selected, None) is not None
    whole_database = (query.enterprise_id is None and query.leaf_indexes is None
                      and query.from_ms is None and query.to_ms is None and not truncated)
    found = audit_records(ctx, scope, rules=query.rules, at_ms=at_ms,
                          with_context=not whole_database)
    kept = most_severe_first([finding for finding in found if finding.severity >= query.min_severity])
    log.info("audit scanned %d records, %d findings%s", len(scope), len(kept),
             " (truncated)" if truncated else "")
    return FindingsReport(findings=kept, scanned=len(scope), truncated=truncated)


def findings_for_trace(ctx: ApiContext, leaf_indexes: Iterable[int], *,
                       at_ms: int | None = None) -> list[Finding]:
    """Findings on the events of one trace (pass `e.facts.leaf_index` of a TraceResult's
    events), most severe first. Only those events are judged; their neighbours are context."""
    scope = list(iter_events(ctx.engine, EventFilter(leaf_indexes=sorted(set(leaf_indexes)))))
    return most_severe_first(audit_records(ctx, scope, at_ms=at_ms))
