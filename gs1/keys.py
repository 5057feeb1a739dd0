"""One key per identified thing, whichever way it is spelled: parse, classify and key.

EPCIS events, recalls, labels and scans name the same object as an EPC pure-identity URI
(`urn:epc:id:sgtin:0614141.107346.2017`), an EPC class URI (`urn:epc:class:lgtin:...`),
an EPC pattern (`urn:epc:idpat:sgtin:...*`) or a GS1 Digital Link on any host and path
prefix (`https://brand.example/shop/01/00614141073467/21/2017?17=270101`). Every caller
(capture and the provenance graph, the audit, the consumer view, recalls, the resolver)
keys them here, so they all meet on one key: the canonical Digital Link on
`https://id.gs1.org` with the primary key and the key qualifiers that identify the thing,
without data attributes (GS1 Digital Link 1.2 §4.11), and

- without the consumer product variant (AI 22), which names a variant, not a thing;
- with the serial and not the lot when both are given: `/01/{gtin}/10/{lot}/21/{serial}`
  is a valid key-qualifier path, but GTIN + serial already identifies the instance (an
  SGTIN's Digital Link is `/01/{gtin}/21/{serial}`, TDS 2.1 §7.1; CBV 2.0 §8.9.2 keeps the
  finest level too). The lot is kept beside the key (`Identifier.lot_key`) so a lot
  recall still reaches the item.

The same module checks and normalises key values (`normalise_gtin`, `verify_gln`, ...)
and builds the Digital Links labels print (`link_for_item`, ...).

EPC URI to Digital Link needs no company prefix length (TDS 2.1 §7); the reverse would,
which is why keys are Digital Links. URIs that name no GS1 key (`urn:uuid:...`, private
URIs) are their own key. `parse_identifier` is strict (raises `IdentifierError` with the
reason); `identify` / `identifier_key` are lenient (ingest and audit: an odd URI never
stops a capture and is still named verbatim in a finding).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from anchoring.core.check_digit import compute_check_digit
from anchoring.core.event_hash.digital_link import digital_link_from_epc_urn
from gs1.ai_values import verify_ai_value
from gs1.digital_link import (
    DEFAULT_STEM,
    DigitalLink,
    build_digital_link,
    parse_digital_link,
)
from gs1.errors import CheckDigitError, GS1Error, IdentifierError, InvalidAIValueError
from gs1.percent import escape_path_component, unescape_path_component

TRANSFORMATION_PREFIX = "urn:traceledger:transformation:"
"""Key of the provenance graph's virtual node joining a transformation's inputs to its outputs."""
ENTERPRISE_PREFIX = "urn:traceledger:enterprise:"
"""Key of an enterprise in the provenance graph (its MemberRegistry id follows)."""

# Kinds, by what a key names.
ITEM = "item"  # serialised trade item (SGTIN, GTIN + TPX)
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

_KIND_BY_KEY_AI = {"00": LOGISTIC_UNIT, "8004": ASSET, "8003": RETURNABLE_ASSET, "414": LOCATION,
                   "417": PARTY}
_SERIALS = ("21", "235")  # GS1 DL 1.2: serial (21) or third-party controlled serial (235)
_LOT, _CPV = "10", "22"
_EPC_URN = re.compile(r"urn:epc:(id|class|idpat):([a-z]+):(.+)")
_DIGITS = re.compile(r"[0-9]+")
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")
_DL_PREFIX = DEFAULT_STEM + "/"
_GTIN_PREFIX = DEFAULT_STEM + "/01/"
_GIAI_PREFIX = DEFAULT_STEM + "/8004/"
_GLN_PREFIXES = (DEFAULT_STEM + "/414/", DEFAULT_STEM + "/417/")  # location (SGLN), party (PGLN)
GLN_DIGITS = 13


@dataclass(frozen=True)
class Identifier:
    """A parsed identifier: its key and kind, and for a serialised item its lot class when
    the identifier named one (`/01/G/10/L/21/S`). ``qualified_key`` is the canonical
    Digital Link with every key qualifier as given (lot and serial, CPV), when it differs
    from ``key``: a recall may have been opened on that form."""

    key: str
    kind: str
    lot_key: str | None = None
    qualified_key: str | None = None


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
    return body + str(compute_check_digit(body))


def _from_epc_urn(uri: str) -> Identifier:
    match = _EPC_URN.fullmatch(uri)
    if match is None:
        raise IdentifierError(uri, "not an EPC URI (urn:epc:id:<scheme>:... or urn:epc:class:lgtin:...)")
    family, scheme, body = match.groups()
    parts = body.split(".")
    try:
        if family == "id" and scheme == "sgtin" and len(parts) == 3:
            gtin = _gs1_digits(parts[0], parts[1], 13, indicator_first=True)
            return Identifier(_link(("01", gtin), ("21", _value(parts[2]))), ITEM)
        if family == "class" and scheme == "lgtin" and len(parts) == 3:
            gtin = _gs1_digits(parts[0], parts[1], 13, indicator_first=True)
            return Identifier(_link(("01", gtin), ("10", _value(parts[2], "10"))), LOT)
        if family == "idpat" and scheme == "sgtin" and len(parts) == 3 and parts[2] == "*":
            gtin = _gs1_digits(parts[0], parts[1], 13, indicator_first=True)
            return Identifier(_link(("01", gtin)), PRODUCT)
        if family == "id" and scheme == "sscc" and len(parts) == 2:
            return Identifier(_link(("00", _gs1_digits(parts[0], parts[1], 17, indicator_first=True))),
                              LOGISTIC_UNIT)
        if family == "id" and scheme == "sgln" and len(parts) == 3:
            gln = _gs1_digits(parts[0], parts[1], 12, indicator_first=False)
            pairs = [("414", gln)] + ([("254", _value(parts[2], "254"))] if parts[2] not in ("0", "") else [])
            return Identifier(_link(*pairs), LOCATION)
        if family == "id" and scheme == "pgln" and len(parts) == 2:
            return Identifier(_link(("417", _gs1_digits(parts[0], parts[1], 12, indicator_first=False))),
                              PARTY)
        if family == "id" and scheme == "grai" and len(parts) == 3:
            grai = _value("0" + _gs1_digits(parts[0], parts[1], 12, indicator_first=False) + parts[2], "8003")
            return Identifier(_link(("8003", grai)), RETURNABLE_ASSET)
        if family == "id" and scheme == "giai" and len(parts) == 2:
            if not _DIGITS.fullmatch(parts[0]) or not 6 <= len(parts[0]) <= 12:
                raise IdentifierError(uri, "GIAI company prefix must be 6-12 digits")
            return Identifier(_link(("8004", _value(parts[0] + parts[1], "8004"))), ASSET)
    except GS1Error as exc:
        raise IdentifierError(uri, exc.reason) from exc
    # Every other EPC scheme (GSRN, GSRNP, GDTI, SGCN, GINC, GSIN, ITIP, UPUI, CPI and their
    # patterns): the event hash's converter (TDS 2.0 §6, one place), then the Digital Link rules.
    converted = digital_link_from_epc_urn(uri)
    if converted is None:
        raise IdentifierError(uri, f"unsupported or malformed EPC URI scheme {family}:{scheme}")
    return _from_digital_link(converted)


def _value(escaped: str, ai: str = "21") -> str:
    """An EPC URI's serial / lot / asset reference, unescaped and checked as AI `ai`."""
    value = unescape_path_component(escaped) if "%" in escaped else escaped  # TDS 2.1 §6.3 escapes
    verify_ai_value(ai, value)
    return value


def _from_digital_link(uri: str) -> Identifier:
    try:
        link = parse_digital_link(uri)
    except GS1Error as exc:
        raise IdentifierError(uri, exc.reason) from exc
    return identifier_of_link(link)


def identifier_of_link(link: DigitalLink) -> Identifier:
    """The key and kind of a parsed Digital Link (see the module docstring for the rule)."""
    ai, _ = link.primary_key
    qualifiers = tuple(pair for pair in link.qualifiers if pair[0] != _CPV)
    qualified = _link(link.primary_key, *link.qualifiers)
    serial = next((pair for pair in qualifiers if pair[0] in _SERIALS), None)
    lot = next((pair for pair in qualifiers if pair[0] == _LOT), None)
    lot_key = _link(link.primary_key, lot) if lot is not None and serial is not None else None
    kept = tuple(pair for pair in qualifiers if serial is None or pair[0] != _LOT)
    key = _link(link.primary_key, *kept)
    if ai == "01":
        kind = ITEM if serial is not None else LOT if lot is not None else PRODUCT
    else:
        kind = _KIND_BY_KEY_AI.get(ai, OTHER)
    return Identifier(key, kind, lot_key, qualified if qualified != key else None)


def parse_identifier(text: str) -> Identifier:
    """Parse an EPC URI, EPC class URI or GS1 Digital Link into its key and kind.

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
"""`identify`'s answers, as "kind<US>lot key<US>qualified key<US>key" strings. A dict of
strings is never tracked by the cyclic GC; the `lru_cache` of `Identifier` objects this
replaces made every full collection walk its 2^17 entries (~100 ms of a ~150 ms pause at
131,072 cached identifiers, landing on whichever request allocated next: `bench trace`
forward p99)."""


def identify(uri: str) -> Identifier:
    """Lenient `parse_identifier`: a malformed identifier is its own opaque key."""
    known = _identified.get(uri)
    if known is None:
        try:
            parsed = parse_identifier(uri)
        except IdentifierError:
            parsed = Identifier(uri, OTHER)
        if len(_identified) >= _IDENTIFIED_MAX:  # bounded; ingest re-parses a cold identifier cheaply
            _identified.clear()
        known = _identified[uri] = (
            f"{parsed.kind}\x1f{parsed.lot_key or ''}\x1f{parsed.qualified_key or ''}\x1f{parsed.key}"
        )
    kind, lot_key, qualified_key, key = known.split("\x1f", 3)  # the key last: it may hold any character
    return Identifier(key, kind, lot_key or None, qualified_key or None)


def identifier_key(uri: str) -> str:
    """The key of `uri` (lenient; see `identify`). Never raises."""
    return identify(uri).key


def kind_of_key(key: str) -> str:
    """The kind of a key (as produced by this module)."""
    if key.startswith(_DL_PREFIX):
        segments = key[len(_DL_PREFIX):].split("/")
        if segments[0] == "01":
            qualifiers = segments[2::2]
            return ITEM if set(_SERIALS) & set(qualifiers) else LOT if _LOT in qualifiers else PRODUCT
        return _KIND_BY_KEY_AI.get(segments[0], OTHER)
    if key.startswith(TRANSFORMATION_PREFIX):
        return TRANSFORMATION
    if key.startswith(ENTERPRISE_PREFIX):
        return ENTERPRISE
    return OTHER


def enterprise_key(enterprise_id: str) -> str:
    """The key of an enterprise's graph node (its MemberRegistry id)."""
    return ENTERPRISE_PREFIX + enterprise_id.lower()


def lot_key_of_item(item_key: str, lot: str) -> str | None:
    """The GTIN + lot key of a serialised trade item (`/01/G/21/S` or `/01/G/235/T`) and the
    lot its commissioning named, else None when `item_key` is no trade item. A lot GS1 does
    not allow gives an opaque key, as `identifier_key` does for any malformed identifier."""
    gtin = gtin_key(item_key)
    if gtin is None or kind_of_key(item_key) != ITEM:
        return None
    return identifier_key(f"{gtin}/10/{escape_path_component(lot)}")


def gtin_key(key: str) -> str | None:
    """For a trade-item key (`.../01/<gtin>[/10/..][/21/..]`) the GTIN-only key, else None."""
    if not key.startswith(_GTIN_PREFIX):
        return None
    gtin = key[len(_GTIN_PREFIX):].split("/", 1)[0].split("?", 1)[0]
    return _GTIN_PREFIX + gtin


def gtin_of(key: str) -> str | None:
    """The 14-digit GTIN of a trade-item key, else None."""
    only = gtin_key(key)
    return only.rsplit("/", 1)[1] if only else None


def gln_of(key: str | None) -> str | None:
    """The GLN of a location or party key (`.../414/<gln>[/254/<ext>]`, `.../417/<gln>`), else None."""
    if key is None:
        return None
    for prefix in _GLN_PREFIXES:
        if key.startswith(prefix):
            gln = key[len(prefix):len(prefix) + GLN_DIGITS]
            if len(gln) == GLN_DIGITS and gln.isdigit():
                return gln
    return None


def giai_of(key: str) -> str | None:
    """The GIAI of an individual-asset key (`.../8004/<giai>`), else None."""
    if not key.startswith(_GIAI_PREFIX):
        return None
    return unescape_path_component(key[len(_GIAI_PREFIX):].split("/", 1)[0].split("?", 1)[0])


# --- checked key values and the Digital Links labels print ------------------------------------
# ``normalise_gtin`` accepts GTIN-8/12/13/14 and returns the 14-digit form that AI (01) and
# Digital Link use; the ``verify_*`` functions raise a GS1Error subclass naming the reason, or
# return None; ``link_for_*`` build the Digital Link values the label and resolver code use.

GTIN_LENGTHS = (8, 12, 13, 14)


def normalise_gtin(gtin: str) -> str:
    """Return the 14-digit GTIN for a GTIN-8, -12, -13 or -14 (left-padded with zeros).

    Raises :class:`InvalidAIValueError` for bad length or characters and
    :class:`CheckDigitError` for a wrong check digit (reported on the given form).
    """
    text = gtin.strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidAIValueError("01", gtin, "a GTIN has digits only")
    if len(text) not in GTIN_LENGTHS:
        raise InvalidAIValueError("01", gtin, "a GTIN has 8, 12, 13 or 14 digits")
    expected = compute_check_digit(text[:-1])
    if int(text[-1]) != expected:
        raise CheckDigitError("01", gtin, expected)
    return text.zfill(14)


def complete_gtin(payload: str) -> str:
    """Append the check digit to a 7, 11, 12 or 13 digit payload and return the GTIN-14."""
    return normalise_gtin(payload + str(compute_check_digit(payload)))


def verify_sscc(sscc: str) -> None:
    """Raise unless ``sscc`` is an 18-digit SSCC with a valid check digit (AI 00)."""
    verify_ai_value("00", sscc)


def verify_gln(gln: str) -> None:
    """Raise unless ``gln`` is a 13-digit GLN with a valid check digit (AI 414)."""
    verify_ai_value("414", gln)


def verify_giai(giai: str) -> None:
    """Raise unless ``giai`` is 1-30 characters of GS1 character set 82 (AI 8004)."""
    verify_ai_value("8004", giai)


def verify_lot(lot: str) -> None:
    """Raise unless ``lot`` is 1-20 characters of GS1 character set 82 (AI 10)."""
    verify_ai_value("10", lot)


def format_gs1_date(date: dt.date) -> str:
    """Return YYMMDD for AI 11/13/15/16/17."""
    return date.strftime("%y%m%d")


def link_for_item(
    gtin: str,
    *,
    lot: str | None = None,
    serial: str | None = None,
    expiry: dt.date | None = None,
    stem: str = DEFAULT_STEM,
) -> DigitalLink:
    """Build the Digital Link for a trade item: /01/{gtin14}[/10/{lot}][/21/{serial}]
    with expiry (17) as a query attribute. Raises GS1Error on bad input."""
    pairs: list[tuple[str, str]] = [("01", normalise_gtin(gtin))]
    if lot is not None:
        pairs.append(("10", lot))
    if serial is not None:
        pairs.append(("21", serial))
    if expiry is not None:
        pairs.append(("17", format_gs1_date(expiry)))
    return build_digital_link(pairs, stem=stem)


def link_for_asset(giai: str, *, stem: str = DEFAULT_STEM) -> DigitalLink:
    """Build the Digital Link /8004/{giai} for an individual asset (e.g. a lift)."""
    return build_digital_link([("8004", giai)], stem=stem)


def link_for_logistic_unit(sscc: str, *, stem: str = DEFAULT_STEM) -> DigitalLink:
    """Build the Digital Link /00/{sscc} for a logistic unit (pallet, case)."""
    return build_digital_link([("00", sscc)], stem=stem)


def link_for_location(gln: str, *, stem: str = DEFAULT_STEM) -> DigitalLink:
    """Build the Digital Link /414/{gln} for a physical location."""
    return build_digital_link([("414", gln)], stem=stem)


# --- recalls ---------------------------------------------------------------------------------


def recall_subject(canonical_uri: str) -> str:
    """`RecallRegistry` subject of a canonical Digital Link URI: 0x + SHA-256 of its UTF-8
    (contracts/README.md)."""
    return "0x" + hashlib.sha256(canonical_uri.encode("utf-8")).hexdigest()


def recall_uri(identifier: Identifier) -> str:
    """The canonical URI a recall of `identifier` is opened on: the Digital Link with the
    primary key and every key qualifier as given (a serial keeps its lot if it had one)."""
    return identifier.qualified_key or identifier.key


def recall_keys_covering(identifier: Identifier) -> tuple[str, ...]:
    """Canonical URIs whose recall covers `identifier`, most specific first: the key path as
    given, the key (SGTIN without lot), its lot, its GTIN. A GTIN recall covers every lot
    and serial of it; a lot recall covers that lot and the serials named with it."""
    keys = [recall_uri(identifier), identifier.key]
    if identifier.lot_key is not None:
        keys.append(identifier.lot_key)
    only_gtin = gtin_key(identifier.key)
    if only_gtin is not None:
        keys.append(only_gtin)
    return tuple(dict.fromkeys(keys))


def recall_subjects_covering(uri: str) -> tuple[str, ...]:
    """`RecallRegistry` subjects whose open recall covers the identifier `uri` (any spelling),
    most specific first (see `recall_keys_covering`)."""
    return tuple(recall_subject(key) for key in recall_keys_covering(identify(uri)))
