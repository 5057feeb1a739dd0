"""What the audit produces: `Finding`s of named `Rule`s, each with a `Severity`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trace_api.audit.inputs import AuditInputs


class Severity(IntEnum):
    """Ordered: a filter `severity=high` returns high and critical findings."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """`low` | `medium` | `high` | `critical` (any case); raises ValueError otherwise."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}") from None


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One thing a rule found wrong, tied to the record that shows it.

    `subject` is the identifier concerned (canonical Digital Link URI or the URI as
    written); `details` are JSON values that back the message (times, quantities, ...).
    """

    rule: str
    severity: Severity
    message: str
    event_hash_id: str | None = None
    leaf_index: int | None = None
    enterprise_id: str | None = None
    subject: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[Any, ...]:
        return (self.rule, -1 if self.leaf_index is None else self.leaf_index,
                self.subject or "", self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.label,
            "message": self.message,
            "eventHashId": self.event_hash_id,
            "leafIndex": self.leaf_index,
            "enterpriseId": self.enterprise_id,
            "subject": self.subject,
            "details": dict(self.details),
        }


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A named audit rule: what it checks (`summary`) and how (`check`)."""

    name: str
    severity: Severity
    family: str
    summary: str
    check: Callable[[AuditInputs], Iterable[Finding]]
