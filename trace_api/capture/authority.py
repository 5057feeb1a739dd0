"""Who may write what: "one step back, one step forward" (EU 178/2002 art. 18, FSMA 204).

An enterprise records only what it speaks for (DESIGN.md decision 10):

1. **Creation** — an `ObjectEvent` with action `ADD` or bizStep `commissioning`, and the
   outputs of a `TransformationEvent` — only for identifiers under its own GS1 Company
   Prefixes. Only the owner of a GS1 key brings it into being.
2. **Everything else** (observing, shipping, receiving, aggregating, associating,
   transacting, decommissioning) only where it stands: at least one of its own
   locations (`readPoint` / `bizLocation`), or itself as a source or destination
   (`sourceList` / `destinationList` owning party, possessing party or location); and no
   `readPoint` / `bizLocation` that carries a GS1 key of someone else's (a place speaks
   only through its operator).

"Its own" for a GS1 key means: the key's company-prefix area starts with one of the
enterprise's prefixes **and** no longer prefix registered to another enterprise also
matches (longest prefix wins). A GS1 key does not say where its company prefix ends
(GS1 GS §1.4.3), so the key, not the text it was written in, is what is matched: EPC
URNs and Digital Link URIs are both reduced to their canonical Digital Link
(`anchoring.core.event_hash.digital_link.canonical_identifier`, the same conversion the
Event Hash ID uses), so `urn:epc:id:sgtin:0614141.107346.1` and
`https://id.gs1.org/01/10614141073464/21/1` are judged alike, the GTIN-14 indicator
digit and the SSCC extension digit are skipped (`trace_api.products.ownership`), and an
EPC URN whose partition is drawn elsewhere cannot move a key under another prefix.
A GLN (location `414`, party `417`) is also its own when it is one of the enterprise's
registered GLNs (premises operated under another organisation's prefix, e.g. a leased
warehouse). Identifiers that carry no GS1 key belong to nobody: they never make a
location or party one's own, and cannot be commissioned.

Pure and cheap: it runs per event in the capture worker processes (`analysis.py`), on
plain values; repeated location and party identifiers are converted once per process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from anchoring.core.event_hash.digital_link import canonical_identifier
from trace_api.products.ownership import company_prefix_area
from trace_api.records.columns import canonical_cbv

_CANONICAL_STEM = "https://id.gs1.org/"
_GLN_AIS = frozenset({"414", "417"})
"""Physical location GLN and party GLN: one number space (GS1 GS §3.7.9/§3.7.12)."""
_LOCATION_CACHE_SIZE = 16_384
"""Distinct (location or party, enterprise) verdicts remembered per worker process: an
enterprise's sites and partners repeat in every event; serials never reach this cache."""
_LISTED_MAX = 5
"""Prefixes or GLNs named in one refusal (an enterprise may register 200 GLNs)."""
# EPC URN schemes whose GS1 key is company prefix + reference digits (EPC TDS 2.0 §6.3):
# scheme -> (digits of prefix + reference, leading reference digits that precede the
# company prefix in the key: the GTIN indicator, the SSCC extension digit).
_DIGIT_SCHEMES = {"urn:epc:id:sgtin:": (13, 1), "urn:epc:class:lgtin:": (13, 1),
                  "urn:epc:idpat:sgtin:": (13, 1), "urn:epc:id:sscc:": (17, 1)}


@dataclass(frozen=True)
class WriteAuthority:
    """What one enterprise speaks for: its GS1 Company Prefixes and registered GLNs.

    `nested_prefixes` are other enterprises' prefixes that extend one of `company_prefixes`
    (e.g. `06141412` inside `0614141`): keys under them are not this enterprise's even
    though they also start with its prefix. Picklable: it travels in `ChunkTask`.
    """

    company_prefixes: tuple[str, ...]
    glns: frozenset[str] = field(default_factory=frozenset)
    nested_prefixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Longest first, so the first match is the holder (not a field: not compared).
        ordered = sorted([(p, True) for p in self.company_prefixes]
                         + [(p, False) for p in self.nested_prefixes],
                         key=lambda entry: -len(entry[0]))
        object.__setattr__(self, "_longest_first", tuple(ordered))

    def owns_area(self, area: str) -> bool:
        """True when a key's company-prefix area (`company_prefix_area`) lies under this
        enterprise's prefixes and no longer prefix of someone else's."""
        for prefix, own in self._longest_first:  # type: ignore[attr-defined]
            if area.startswith(prefix):
                return bool(own)
        return False

    def owns_key(self, key_ai: str, key_value: str) -> bool:
        """True when the GS1 key lies under this enterprise's longest matching prefix."""
        return self.owns_area(company_prefix_area(key_ai, key_value))

    def owns_gln(self, key_ai: str, key_value: str) -> bool:
        """True for a GLN (414/417) that is registered to, or under a prefix of, the enterprise."""
        return key_ai in _GLN_AIS and (key_value in self.glns or self.owns_key(key_ai, key_value))


@dataclass(frozen=True)
class Refusal:
    """Why an event is not the enterprise's to record: a pointer suffix inside the event
    (RFC 6901, e.g. `/epcList/2`, "" for the whole event) and a sentence naming the value."""

    pointer: str
    reason: str


def nested_prefixes(own: Iterable[str], everyone: Iterable[str]) -> tuple[str, ...]:
    """The prefixes of `everyone` that strictly extend one of `own` and are not `own`'s."""
    mine = set(own)
    return tuple(sorted({p for p in everyone if p not in mine
                         and any(p.startswith(o) and len(p) > len(o) for o in mine)}))


def gs1_key(identifier: str) -> tuple[str, str] | None:
    """(primary AI, key value) of an EPC URN or Digital Link URI, or None if it has no GS1 key."""
    canonical = canonical_identifier(identifier)
    if canonical is None:
        return None
    path = canonical[len(_CANONICAL_STEM):].split("/", 2)
    return path[0], path[1]


def company_area(identifier: str) -> str | None:
    """The company-prefix area of the identifier's GS1 key, or None if it has no GS1 key.

    SGTIN, LGTIN and SSCC URNs (most commissioned identifiers) are read straight from
    their digits, which spell the key whatever the partition (EPC TDS 2.0 §6.3.1); any
    other form goes through the canonical Digital Link (`gs1_key`).
    """
    for scheme, (digits, lead) in _DIGIT_SCHEMES.items():
        if identifier.startswith(scheme):
            parts = identifier[len(scheme):].split(".", 2)
            if (len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit()
                    and 6 <= len(parts[0]) <= 12 and len(parts[0]) + len(parts[1]) == digits):
                return parts[0] + parts[1][lead:]
            break
    key = gs1_key(identifier)
    return None if key is None else company_prefix_area(*key)


@lru_cache(maxsize=_LOCATION_CACHE_SIZE)
def _own_place(identifier: str, authority: WriteAuthority) -> bool | None:
    """Whether a location or party identifier is the enterprise's (None: no GS1 key)."""
    key = gs1_key(identifier)
    if key is None:
        return None
    return authority.owns_gln(*key) or authority.owns_key(*key)


def find_refusal(event: Mapping[str, Any], authority: WriteAuthority) -> Refusal | None:
    """The first reason `event` (a validated EPCIS event) is not the enterprise's, or None.

    Rule 1 (creation) decides events that create identifiers; rule 2 (place or party)
    decides the rest, including creation events that name no identifier at all.
    """
    created = _created_identifiers(event)
    if created:
        for pointer, identifier in created:
            area = company_area(identifier)
            if area is None:
                return Refusal(pointer, f"{identifier} carries no GS1 key, so no enterprise "
                                        "can show it is its own to create")
            if not authority.owns_area(area):
                return Refusal(pointer, f"{identifier} is not under your GS1 Company Prefixes "
                                        f"({_listed(authority.company_prefixes)}): only its "
                                        "owner commissions it or makes it as an output")
        return None
    return _place_or_party_refusal(event, authority)


def _created_identifiers(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    kind = event.get("type")
    if kind == "TransformationEvent":
        return _identifiers(event, "outputEPCList", "outputQuantityList")
    if kind == "ObjectEvent" and (
            event.get("action") == "ADD"
            or canonical_cbv(event.get("bizStep"), "BizStep") == "commissioning"):
        return _identifiers(event, "epcList", "quantityList")
    return []


def _identifiers(event: Mapping[str, Any], epc_member: str,
                 quantity_member: str) -> list[tuple[str, str]]:
    # Events are decoded JSON: `isinstance(..., dict)` rather than the slower ABC check.
    found: list[tuple[str, str]] = []
    for index, epc in enumerate(event.get(epc_member) or ()):
        if isinstance(epc, str):
            found.append((f"/{epc_member}/{index}", epc))
    for index, element in enumerate(event.get(quantity_member) or ()):
        epc_class = element.get("epcClass") if isinstance(element, dict) else None
        if isinstance(epc_class, str):
            found.append((f"/{quantity_member}/{index}/epcClass", epc_class))
    return found


def _place_or_party_refusal(event: Mapping[str, Any],
                            authority: WriteAuthority) -> Refusal | None:
    at_own_place = False
    for member in ("readPoint", "bizLocation"):
        place = event.get(member)
        identifier = place.get("id") if isinstance(place, dict) else None
        if not isinstance(identifier, str):
            continue
        own = _own_place(identifier, authority)
        if own is None:
            continue  # a private location id belongs to nobody: neither own nor someone else's
        if own:
            at_own_place = True
        else:
            return Refusal(f"/{member}/id", f"{identifier} is not one of your locations "
                                            f"(GLNs {_listed(sorted(authority.glns))}, "
                                            f"prefixes {_listed(authority.company_prefixes)})")
    if at_own_place or _names_itself(event, authority):
        return None
    return Refusal("", "the event names none of your locations as readPoint or bizLocation "
                       "and not you as a source or destination: record only where you stand")


def _names_itself(event: Mapping[str, Any], authority: WriteAuthority) -> bool:
    for member, value_name in (("sourceList", "source"), ("destinationList", "destination")):
        for entry in event.get(member) or ():
            value = entry.get(value_name) if isinstance(entry, dict) else None
            if isinstance(value, str) and _own_place(value, authority):
                return True
    return False


def _listed(values: Iterable[str]) -> str:
    """At most `_LISTED_MAX` values: a refusal per event must stay short."""
    shown = list(values)
    more = f" and {len(shown) - _LISTED_MAX} more" if len(shown) > _LISTED_MAX else ""
    return ", ".join(shown[:_LISTED_MAX]) + more or "none registered"
