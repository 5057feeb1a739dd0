"""Identifiers as provenance-graph node keys: EPC URIs, GS1 Digital Links and classes.

Every GS1 identifier becomes one key, whichever way an event or a caller spells it: the
canonical GS1 Digital Link on `https://id.gs1.org` with the primary key and the key
qualifiers that name the thing (no data attributes). So `urn:epc:id:sgtin:0614141.107346.2017`
and `https://example.com/01/00614141073467/21/2017?17=270101` meet at
`https://id.gs1.org/01/00614141073467/21/2017`, and a recall subject (SHA-256 of the
canonical Digital Link) names the same node. EPC URI to Digital Link needs no company
prefix length (TDS 2.1 §7); the reverse would, which is why keys are Digital Links.
URIs that are no GS1 identifier (`urn:uuid:...`, private URIs) are their own key.

`node_key` is lenient (for ingest: captured events were validated already, and an odd URI
must never stop a capture); `parse_identifier` is strict (for callers: raises
`IdentifierError` with the reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from trace_api.gs1 import DEFAULT_STEM, GS1Error, parse_digital_link
from trace_api.gs1.ai_values import verify_ai_value
from trace_api.gs1.percent import escape_path_component, unescape_path_component
from trace_api.provenance.errors import IdentifierError

TRANSFORMATION_PREFIX = "urn:traceledger:transformation:"
"""Key of the virtual node joining a transformation's inputs to its outputs."""
ENTERPRISE_PREFIX = "urn:traceledger:enterprise:"

# Node kinds, by what a key names.
ITEM = "item"  # serialised trade item (SGTIN)
LOT = "lot"  # class: GTIN + lot (LGTIN)
PRODUCT = "product"  # class: GTIN without lot
LOGISTIC_UNIT = "logistic_unit"  # SSCC
ASSET = "asset"  # GIAI (special equipment: lifts, boilers, ...)
RETURNABLE_ASSET = "returnable_asset"  # GRAI
LOCATION = "location"  # GLN / SGLN
PARTY = "party"  # PGLN
TRANSFORMATION = "transformation"
ENTERPRISE = "enterprise"
TRANSACTION = "transaction"
OTHER = "other"

IDENTIFIER_KINDS = frozenset({ITEM, LOT, PRODUCT, LOGISTIC_UNIT, ASSET, RETURNABLE_ASSET, OTHER})
"""Kinds a trace may start from and walk through (locations, parties, transactions are leaves)."""

_KIND_BY_KEY_AI = {"00": LOGISTIC_UNIT, "8004": ASSET, "8003": RETURNABLE_ASSET, "414": LOCATION,
                   "417": PARTY}
_EPC_URN = re.compile(r"urn:epc:(id|class|idpat):([a-z]+):(.+)")
_DIGITS = re.compile(r"[0-9]+")
_DL_PREFIX = DEFAULT_STEM + "/"


@dataclass(frozen=True)
class Identifier:
    """A parsed identifier: its node key and kind, and for a serialised item its lot class
    when the Digital Link named one (`/01/G/10/L/21/S`)."""

    key: str
    kind: str
    lot_key: str | None = None


_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")


def _link(*pairs: tuple[str, str]) -> str:
    """Canonical Digital Link text of a key and its qualifiers (as `format_digital_link`)."""
    return DEFAULT_STEM + "".join(
        f"/{ai}/{value if _UNRESERVED.fullmatch(value) else escape_path_component(value)}"
        for ai, value in pairs
    )


@lru_cache(maxsize=4096)
def _gs1_digits(company_prefix: str, reference: str, total: int, *, indicator_first: bool) -> str:
    """Join an EPC's company prefix and reference into a GS1 key with its check digit.

    SGTIN / SSCC put the reference's first digit (indicator / extension) in front
    (TDS 2.1 §7.1, §7.2); SGLN / PGLN / GRAI just concatenate (§7.3, §7.4).
    """
    if not (_DIGITS.fullmatch(company_prefix) and _DIGITS.fullmatch(reference)):
        raise IdentifierError(f"{company_prefix}.{reference}", "company prefix and reference are digits")
    if not 6 <= len(company_prefix) <= 12 or len(company_prefix) + len(reference) != total:
        raise IdentifierError(
            f"{company_prefix}.{reference}",
            f"company prefix (6-12 digits) and reference must have {total} digits together",
        )
    body = reference[0] + company_prefix + reference[1:] if indicator_first else company_prefix + reference
    return body + str(_check_digit(body))


def _check_digit(body: str) -> int:
    """GS1 mod-10 (as `compute_check_digit`, whose loop cost ~9 µs per SSCC at ingest)."""
    total = 3 * sum(map(int, body[-1::-2])) + sum(map(int, body[-2::-2]))
    return (10 - total % 10) % 10


def _from_epc_urn(uri: str) -> Identifier:
    match = _EPC_URN.fullmatch(uri)
    if match is None:
        raise IdentifierError(uri, "not an EPC URI (urn:epc:id:<scheme>:... or urn:epc:class:lgtin:...)")
    family, scheme, body = match.groups()
    parts = body.split(".")
    try:
        if family == "id" and scheme == "sgtin" and len(parts) == 3:
            gtin = _gs1_digits(parts[0], parts[1], 13, indicator_first=True)
            return Identifier(_link(("01", gtin), ("21", _serial(parts[2]))), ITEM)
        if family == "class" and scheme == "lgtin" and len(parts) == 3:
            gtin = _gs1_digits(parts[0], parts[1], 13, indicator_first=True)
            return Identifier(_link(("01", gtin), ("10", _serial(parts[2], "10"))), LOT)
        if family == "idpat" and scheme == "sgtin" and len(parts) == 3 and parts[2] == "*":
            gtin = _gs1_digits(parts[0], parts[1], 13, indicator_first=True)
            return Identifier(_link(("01", gtin)), PRODUCT)
        if family == "id" and scheme == "sscc" and len(parts) == 2:
            return Identifier(_link(("00", _gs1_digits(parts[0], parts[1], 17, indicator_first=True))),
                              LOGISTIC_UNIT)
        if family == "id" and scheme == "sgln" and len(parts) == 3:
            gln = _gs1_digits(parts[0], parts[1], 12, indicator_first=False)
            pairs = [("414", gln)] + ([("254", _serial(parts[2], "254"))] if parts[2] not in ("0", "") else [])
            return Identifier(_link(*pairs), LOCATION)
        if family == "id" and scheme == "pgln" and len(parts) == 2:
            return Identifier(_link(("417", _gs1_digits(parts[0], parts[1], 12, indicator_first=False))),
                              PARTY)
        if family == "id" and scheme == "grai" and len(parts) == 3:
            grai = _serial("0" + _gs1_digits(parts[0], parts[1], 12, indicator_first=False) + parts[2], "8003")
            return Identifier(_link(("8003", grai)), RETURNABLE_ASSET)
        if family == "id" and scheme == "giai" and len(parts) == 2:
            if not _DIGITS.fullmatch(parts[0]) or not 6 <= len(parts[0]) <= 12:
                raise IdentifierError(uri, "GIAI company prefix must be 6-12 digits")
            return Identifier(_link(("8004", _serial(parts[0] + parts[1], "8004"))), ASSET)
    except GS1Error as exc:
        raise IdentifierError(uri, str(exc)) from exc
    raise IdentifierError(uri, f"unsupported or malformed EPC URI scheme {family}:{scheme}")


def _serial(escaped: str, ai: str = "21") -> str:
    """An EPC URI's serial / lot / asset reference, unescaped and checked as AI `ai`."""
    value = unescape_path_component(escaped) if "%" in escaped else escaped  # TDS 2.1 §6.3 escapes
    verify_ai_value(ai, value)
    return value  # EPC URIs escape %"&/<>? as %HH (TDS 2.1 §6.3)


def _from_digital_link(uri: str) -> Identifier:
    try:
        link = parse_digital_link(uri)
    except GS1Error as exc:
        raise IdentifierError(uri, str(exc)) from exc
    ai, value = link.primary_key
    qualifiers = dict(link.qualifiers)
    if ai == "01":
        gtin = ("01", value)
        lot_key = _link(gtin, ("10", qualifiers["10"])) if "10" in qualifiers else None
        if "21" in qualifiers:
            return Identifier(_link(gtin, ("21", qualifiers["21"])), ITEM, lot_key)
        if lot_key is not None:
            return Identifier(lot_key, LOT)
        return Identifier(_link(gtin), PRODUCT)
    if ai in ("414", "417"):
        kept = tuple(pair for pair in link.qualifiers if pair[0] == "254")
        return Identifier(_link(link.primary_key, *kept), _KIND_BY_KEY_AI[ai])
    return Identifier(_link(link.primary_key), _KIND_BY_KEY_AI.get(ai, OTHER))


def parse_identifier(text: str) -> Identifier:
    """Parse an EPC URI, EPC class URI or GS1 Digital Link into its node key and kind.

    Raises `IdentifierError` (with the reason) for anything malformed; URIs of other
    schemes (`urn:uuid:`, `urn:traceledger:...`, private `http(s)` URIs that carry no GS1
    key) are accepted as opaque keys of kind `other`.
    """
    text = text.strip()
    if not text:
        raise IdentifierError(text, "empty identifier")
    if text.startswith("urn:epc:"):
        return _from_epc_urn(text)
    if text.startswith(("http://", "https://")):
        try:
            return _from_digital_link(text)
        except IdentifierError:
            if _looks_like_digital_link(text):
                raise
            return Identifier(text, OTHER)
    if text.startswith(TRANSFORMATION_PREFIX):
        return Identifier(text, TRANSFORMATION)
    if re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]*:\S+", text) is None:
        raise IdentifierError(text, "not a URI (expected an EPC URI, a GS1 Digital Link or a class URI)")
    return Identifier(text, OTHER)


def _looks_like_digital_link(uri: str) -> bool:
    """A URI with a GS1 primary key AI as a path segment followed by a value is meant as one."""
    path = uri.split("://", 1)[1].split("?", 1)[0].split("#", 1)[0]
    segments = path.split("/")[1:]
    return any(s in ("01", "00", "8004", "8003", "414", "417") for s in segments[:-1])


_IDENTIFIED_MAX = 1 << 17
_identified: dict[str, str] = {}
"""`identify`'s answers, as "kind<US>lot key<US>key" strings. A dict of strings is never
tracked by the cyclic GC; the `lru_cache` of `Identifier` objects this replaces made every
full collection walk its 2^17 entries (~100 ms of a ~150 ms pause at 131,072 cached
identifiers, landing on whichever request allocated next: `bench trace` forward p99)."""


def identify(uri: str) -> Identifier:
    """Lenient `parse_identifier` for ingest: a malformed identifier is its own opaque key."""
    known = _identified.get(uri)
    if known is None:
        try:
            parsed = parse_identifier(uri)
        except IdentifierError:
            parsed = Identifier(uri, OTHER)
        if len(_identified) >= _IDENTIFIED_MAX:  # bounded; ingest re-parses a cold identifier cheaply
            _identified.clear()
        known = _identified[uri] = f"{parsed.kind}\x1f{parsed.lot_key or ''}\x1f{parsed.key}"
    kind, lot_key, key = known.split("\x1f", 2)  # the key last: a lenient key may hold any character
    return Identifier(key, kind, lot_key or None)


def node_key(uri: str) -> str:
    """The node key of `uri` (lenient; see `identify`)."""
    return identify(uri).key


def kind_of_key(key: str) -> str:
    """The kind of an identifier node key (as produced by this module)."""
    if key.startswith(_DL_PREFIX):
        segments = key[len(_DL_PREFIX):].split("/")
        if segments[0] == "01":
            return ITEM if "21" in segments[2::2] else LOT if "10" in segments[2::2] else PRODUCT
        return _KIND_BY_KEY_AI.get(segments[0], OTHER)
    if key.startswith(TRANSFORMATION_PREFIX):
        return TRANSFORMATION
    if key.startswith(ENTERPRISE_PREFIX):
        return ENTERPRISE
    return OTHER


def enterprise_key(enterprise_id: str) -> str:
    """The node key of an enterprise (its MemberRegistry id)."""
    return ENTERPRISE_PREFIX + enterprise_id.lower()
