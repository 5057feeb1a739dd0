"""Running rules over `AuditInputs`: `run_rules(inputs, rules) -> list[Finding]`."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from trace_api.audit.inputs import AuditInputs
from trace_api.audit.model import Finding, Rule
from trace_api.audit.rules import ALL_RULES

log = logging.getLogger(__name__)


def run_rules(inputs: AuditInputs, rules: Iterable[Rule] = ALL_RULES) -> list[Finding]:
    """Every finding of `rules` on `inputs`, in a stable order (rule order, then log
    position, subject, message); identical findings are reported once."""
    findings: list[Finding] = []
    for rule in rules:
        seen: set[tuple[object, ...]] = set()
        for finding in sorted(rule.check(inputs), key=Finding.sort_key):
            identity = finding.sort_key()
            if identity in seen:
                continue
            seen.add(identity)
            findings.append(finding)
    log.debug("audit ran %d events, %d findings", len(inputs.events), len(findings))
    return findings
