"""Walking up a Digital Link's qualifier path until something is known about it.

GS1-Conformant Resolver standard 1.1: when a resolver has no entry for the full
key + qualifier path, it answers for the next less specific one, dropping qualifiers
from the right (`/01/G/10/L/21/S` -> `/01/G/10/L` -> `/01/G`). A serial nobody
recorded therefore still shows its lot and product; only a request where no level
is known is unknown (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gs1 import DigitalLink


def walk_up_candidates(link: DigitalLink) -> list[DigitalLink]:
    """The link and each less specific form of it, most specific first; data attributes
    and extra parameters are dropped (they qualify nothing a resolver looks up)."""
    bare = replace(link, data_attributes=(), extra_params=())
    return [replace(bare, qualifiers=bare.qualifiers[:count])
            for count in range(len(bare.qualifiers), -1, -1)]


def resolve_level(link: DigitalLink, is_known: Callable[[DigitalLink], bool]) -> DigitalLink | None:
    """The most specific form of `link` (see `walk_up_candidates`) that `is_known`, or None."""
    for candidate in walk_up_candidates(link):
        if is_known(candidate):
            return candidate
    return None
