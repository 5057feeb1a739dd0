"""What a Digital Link request asks for: the linkset, one link type, or the default link.

Rules (GS1-Conformant Resolver standard 1.1 §§ on linkType and content negotiation;
RFC 9110 §12.5 for header parsing):

1. `linkType=all` (or `linkset`) -> the whole linkset (200, `application/linkset+json`).
2. `linkType=<gs1 link type>` -> a redirect (307) to the link of that type that best
   fits `Accept-Language`; a type we do not serve falls back to the default link.
3. No `linkType`, and the client prefers `application/linkset+json` or
   `application/json` over `text/html` -> the linkset (machines get data, not a page).
4. Otherwise (browsers, `*/*`, no Accept) -> 303 See Other to the default link, the scan
   page: the URI names a product, the page describes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from trace_api.resolver.linkset import LINKSET_MEDIA_TYPE, parse_link_type

_MACHINE_TYPES = (LINKSET_MEDIA_TYPE, "application/json")


class Answer(Enum):
    """The kind of response a resolver request gets."""

    LINKSET = "linkset"
    LINK_TYPE = "link-type"
    DEFAULT = "default"


@dataclass(frozen=True)
class Decision:
    """What to answer; `link_type` is set for Answer.LINK_TYPE."""

    answer: Answer
    link_type: str | None = None


def parse_quality_list(header: str | None) -> list[tuple[str, float]]:
    """`Accept` / `Accept-Language` as (value, q) pairs, best first (stable for ties).

    Malformed q-values count as q=1 (lenient, as browsers' headers are well formed and
    anything else should not turn a scan into an error); q=0 entries are dropped.
    """
    if not header:
        return []
    items: list[tuple[str, float]] = []
    for part in header.split(","):
        value, *params = (piece.strip() for piece in part.split(";"))
        if not value:
            continue
        quality = 1.0
        for param in params:
            name, _, number = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 1.0
        if quality > 0:
            items.append((value.lower(), quality))
    return sorted(items, key=lambda item: -item[1])


def _quality_of(accept: list[tuple[str, float]], media_type: str) -> float:
    """The q the client gives `media_type`, honouring `type/*` and `*/*` (most specific wins)."""
    major = media_type.split("/")[0]
    best_specificity, quality = -1, 0.0
    for value, q in accept:
        if value == media_type:
            specificity = 2
        elif value == f"{major}/*":
            specificity = 1
        elif value == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, quality = specificity, q
    return quality


def decide(link_type_param: str | None, accept_header: str | None) -> Decision:
    """Apply the rules of the module docstring to one request."""
    if link_type_param:
        link_type = parse_link_type(link_type_param)
        if link_type in ("all", "linkset"):
            return Decision(Answer.LINKSET)
        if link_type is not None:
            return Decision(Answer.LINK_TYPE, link_type)
        return Decision(Answer.DEFAULT)
    accept = parse_quality_list(accept_header)
    explicit = [value for value, _ in accept]
    html = _quality_of(accept, "text/html")
    for machine in _MACHINE_TYPES:
        # Only an explicitly named machine type counts: "*/*" alone is a browser-ish default.
        if machine in explicit and _quality_of(accept, machine) > html:
            return Decision(Answer.LINKSET)
    return Decision(Answer.DEFAULT)


def preferred_languages(accept_language: str | None) -> list[str]:
    """Language tags from `Accept-Language`, best first (`*` dropped)."""
    return [value for value, _ in parse_quality_list(accept_language) if value != "*"]
