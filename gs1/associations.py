"""Rules between AIs in one message: repeats, requisites (``req=``) and exclusions (``ex=``)."""

from __future__ import annotations

from collections.abc import Sequence

from gs1.ai_table import lookup_ai, matches_pattern
from gs1.errors import AIAssociationError


def verify_associations(pairs: Sequence[tuple[str, str]]) -> None:
    """Check the AI combination in ``pairs`` (``(ai, value)``, supported AIs only).

    Raises :class:`AIAssociationError` when an AI repeats with a different value,
    when an AI's ``req=`` groups are not all satisfied (each by at least one
    alternative whose AIs are all present), or when two AIs exclude each other.
    Identical repeats are allowed, as in the GS1 Barcode Syntax Engine.
    """
    seen: dict[str, str] = {}
    for ai, value in pairs:
        if ai in seen and seen[ai] != value:
            raise AIAssociationError(f"AI ({ai}) appears twice with different values")
        seen[ai] = value
    present = list(seen)

    def is_present(pattern: str) -> bool:
        return any(matches_pattern(ai, pattern) for ai in present)

    for ai in present:
        rule = lookup_ai(ai)
        for group in rule.requires:
            if not any(all(is_present(p) for p in alternative) for alternative in group):
                wanted = " or ".join("+".join(f"({p})" for p in alt) for alt in group)
                raise AIAssociationError(f"AI ({ai}) requires {wanted}")
        for pattern in rule.excludes:
            clash = [other for other in present if other != ai and matches_pattern(other, pattern)]
            if clash:
                raise AIAssociationError(f"AI ({ai}) may not appear with ({clash[0]})")
