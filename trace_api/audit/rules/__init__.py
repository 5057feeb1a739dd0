"""The audit rules, one module per family; `ALL_RULES` in a fixed order, `RULES_BY_NAME`."""

from __future__ import annotations

from trace_api.audit.model import Rule
from trace_api.audit.rules import (
    cold_chain,
    custody,
    cycles,
    equipment,
    integrity,
    membership,
    quantity,
    recalls,
)

ALL_RULES: tuple[Rule, ...] = (
    *custody.RULES, *cycles.RULES, *quantity.RULES, *membership.RULES, *integrity.RULES,
    *recalls.RULES, *cold_chain.RULES, *equipment.RULES,
)
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in ALL_RULES}
