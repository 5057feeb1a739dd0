"""EPC URIs and GS1 Digital Link URIs to one constrained canonical Digital Link URI.

CBV 2.0 §8.9.2 puts every identifier that carries a GS1 key into the pre-hash
string as a *constrained canonical GS1 Digital Link URI*: host ``id.gs1.org``,
numeric application identifiers, GTINs padded to 14 digits, no query string,
no CPV (AI 22), only the finest identification level (serial wins over lot).
EPC pure-identity URNs (EPC TDS 2.0 §6/§7), EPC class URNs (LGTIN) and EPC
pattern URNs with a ``*`` wildcard are converted to that form first.

A value that carries no GS1 key, or whose syntax is not valid, is returned as
``None``: the caller keeps the original text. Changing this module changes
event hashes; it lives in ``anchoring.core`` for that reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from anchoring.core.check_digit import compute_check_digit
from anchoring.core.errors import MalformedEventError

CANONICAL_HOST: Final = "https://id.gs1.org"

# One character of the GS1 AI encodable character set 82 as written in an EPC URN
# (EPC TDS 2.0 §5: some characters appear percent-encoded).
_URN_CHAR: Final = (
    r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]"
    r"|[!')(*+,.0-9:;=A-Za-z_-])"
)
# One character of the GS1 AI encodable character set 39 (component/part reference, CPI).
_URN_CHAR39: Final = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"

# GS1 Digital Link 1.2 Table 7-1: characters that SHALL be percent-encoded in a path.
_PERCENT_ENCODE: Final = str.maketrans(
    {"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B", ",": "%2C", ":": "%3A"}
)


def _units(urn_text: str) -> int:
    """Number of characters an EPC URN component stands for (``%2F`` is one character)."""
    return len(urn_text) - 2 * urn_text.count("%")


def _encode(urn_text: str) -> str:
    return urn_text.translate(_PERCENT_ENCODE)


def _with_check_digit(body: str) -> str:
    # The patterns' \d also matches other scripts' digits, which have no check digit: a
    # refusal, not a crash (the JavaScript twin, scanner_app/event_hash.js, refuses too).
    if not body.isascii():
        raise MalformedEventError(f"EPC digits {body!r} are not ASCII digits")
    return body + str(compute_check_digit(body))


def _gtin(company_prefix: str, item_reference: str) -> str:
    """GTIN-14 from an EPC company prefix and item reference (indicator digit first)."""
    return _with_check_digit(item_reference[0] + company_prefix + item_reference[1:])


_UrnRule = tuple["re.Pattern[str]", Callable[["re.Match[str]"], "str | None"]]


def _total(match: re.Match[str], expected: int) -> bool:
    return len(match.group(1)) + len(match.group(2)) == expected


def _rule(pattern: str, build: Callable[[re.Match[str]], str | None]) -> _UrnRule:
    return re.compile(pattern), build


_CP = r"(\d{6,12})"

# EPC TDS 2.0 §6.3 (pure identity), §6.4 (class) and §8 (pattern) URNs, keyed by scheme.
_URN_RULES: Final[dict[str, _UrnRule]] = {
    "urn:epc:id:sgtin:": _rule(
        _CP + r"\.(\d+)\.(" + _URN_CHAR + r"{1,20})",
        lambda m: f"/01/{_gtin(m[1], m[2])}/21/{_encode(m[3])}" if _total(m, 13) else None,
    ),
    "urn:epc:id:sscc:": _rule(
        _CP + r"\.(\d+)",
        lambda m: "/00/" + _with_check_digit(m[2][0] + m[1] + m[2][1:]) if _total(m, 17) else None,
    ),
    "urn:epc:id:sgln:": _rule(
        _CP + r"\.(\d*)\.(" + _URN_CHAR + r"{1,20})",
        lambda m: (
            f"/414/{_with_check_digit(m[1] + m[2])}"
            + ("" if m[3] == "0" else "/254/" + _encode(m[3]))
            if _total(m, 12)
            else None
        ),
    ),
    "urn:epc:id:grai:": _rule(
        _CP + r"\.(\d*)\.(" + _URN_CHAR + r"{1,16})",
        lambda m: f"/8003/{_with_check_digit('0' + m[1] + m[2])}{_encode(m[3])}"
        if _total(m, 12)
        else None,
    ),
    "urn:epc:id:giai:": _rule(
        _CP + r"\.(" + _URN_CHAR + r"+)",
        lambda m: f"/8004/{m[1]}{_encode(m[2])}" if len(m[1]) + _units(m[2]) <= 30 else None,
    ),
    "urn:epc:id:gsrn:": _rule(
        _CP + r"\.(\d+)",
        lambda m: f"/8018/{_with_check_digit(m[1] + m[2])}" if _total(m, 17) else None,
    ),
    "urn:epc:id:gsrnp:": _rule(
        _CP + r"\.(\d+)",
        lambda m: f"/8017/{_with_check_digit(m[1] + m[2])}" if _total(m, 17) else None,
    ),
    "urn:epc:id:gdti:": _rule(
        _CP + r"\.(\d*)\.(" + _URN_CHAR + r"{0,17})",
        lambda m: f"/253/{_with_check_digit(m[1] + m[2])}{_encode(m[3])}"
        if _total(m, 12)
        else None,
    ),
    "urn:epc:id:cpi:": _rule(
        _CP + r"\.(" + _URN_CHAR39 + r"+)\.(\d{1,12})",
        lambda m: f"/8010/{_encode(m[1] + m[2])}/8011/{m[3]}"
        if len(m[1]) + _units(m[2]) <= 30
        else None,
    ),
    "urn:epc:id:sgcn:": _rule(
        _CP + r"\.(\d*)\.(\d{1,12})",
        lambda m: f"/255/{_with_check_digit(m[1] + m[2])}{m[3]}" if _total(m, 12) else None,
    ),
    "urn:epc:id:ginc:": _rule(
        _CP + r"\.(" + _URN_CHAR + r"+)",
        lambda m: f"/401/{m[1]}{_encode(m[2])}" if len(m[1]) + _units(m[2]) <= 30 else None,
    ),
    "urn:epc:id:gsin:": _rule(
        _CP + r"\.(\d+)",
        lambda m: f"/402/{_with_check_digit(m[1] + m[2])}" if _total(m, 16) else None,
    ),
    "urn:epc:id:itip:": _rule(
        _CP + r"\.(\d+)\.(\d\d)\.(\d\d)\.(" + _URN_CHAR + r"{1,20})",
        lambda m: f"/8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}/21/{_encode(m[5])}"
        if _total(m, 13)
        else None,
    ),
    "urn:epc:id:upui:": _rule(
        _CP + r"\.(\d+)\.(" + _URN_CHAR + r"{1,28})",
        lambda m: f"/01/{_gtin(m[1], m[2])}/235/{_encode(m[3])}" if _total(m, 13) else None,
    ),
    "urn:epc:id:pgln:": _rule(
        _CP + r"\.(\d*)",
        lambda m: f"/417/{_with_check_digit(m[1] + m[2])}" if _total(m, 12) else None,
    ),
    "urn:epc:class:lgtin:": _rule(
        _CP + r"\.(\d+)\.(" + _URN_CHAR + r"{1,20})",
        lambda m: f"/01/{_gtin(m[1], m[2])}/10/{_encode(m[3])}" if _total(m, 13) else None,
    ),
    "urn:epc:idpat:sgtin:": _rule(
        _CP + r"\.(\d+)\.\*",
        lambda m: f"/01/{_gtin(m[1], m[2])}" if _total(m, 13) else None,
    ),
    "urn:epc:idpat:grai:": _rule(
        _CP + r"\.(\d*)\.\*",
        lambda m: f"/8003/{_with_check_digit('0' + m[1] + m[2])}" if _total(m, 12) else None,
    ),
    "urn:epc:idpat:gdti:": _rule(
        _CP + r"\.(\d*)\.\*",
        lambda m: f"/253/{_with_check_digit(m[1] + m[2])}" if _total(m, 12) else None,
    ),
    "urn:epc:idpat:sgcn:": _rule(
        _CP + r"\.(\d*)\.\*",
        lambda m: f"/255/{_with_check_digit(m[1] + m[2])}" if _total(m, 12) else None,
    ),
    "urn:epc:idpat:cpi:": _rule(
        _CP + r"\.(" + _URN_CHAR39 + r"+)\.\*",
        lambda m: f"/8010/{_encode(m[1] + m[2])}" if len(m[1]) + _units(m[2]) <= 30 else None,
    ),
    "urn:epc:idpat:itip:": _rule(
        _CP + r"\.(\d+)\.(\d\d)\.(\d\d)\.\*",
        lambda m: f"/8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}" if _total(m, 13) else None,
    ),
    "urn:epc:idpat:upui:": _rule(
        _CP + r"\.(\d+)\.\*",
        lambda m: f"/01/{_gtin(m[1], m[2])}" if _total(m, 13) else None,
    ),
}


def digital_link_from_epc_urn(urn: str) -> str | None:
    """Canonical Digital Link URI of an EPC URN, or None if it is not a valid convertible URN.

    EPC TDS 2.0 §6 (EPC URI to GS1 element string) combined with GS1 Digital Link
    1.2 §4 (element string to URI); implements the identifier rule of CBV 2.0 §8.9.2.
    """
    scheme_end = urn.find(":", urn.find(":", 8) + 1) + 1  # after "urn:epc:<kind>:<scheme>:"
    rule = _URN_RULES.get(urn[:scheme_end])
    if rule is None:
        return None
    pattern, build = rule
    match = pattern.fullmatch(urn, scheme_end)
    if match is None:
        return None
    path = build(match)
    return None if path is None else CANONICAL_HOST + path


# --- GS1 Digital Link URIs ----------------------------------------------------------------

_PRIMARY_KEYS: Final = (
    "01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253"
    "|gdti|401|ginc|402|gsin|8003|grai|8004|giai"
)
# Any http(s) URI whose path holds a GS1 primary key ("/01/" + at least 4 digits ...).
_DL_SHAPE: Final = re.compile(
    r"https?:(?://[^/?#]*)?[^?#]*/(?:" + _PRIMARY_KEYS + r")/\d{4}[^/]"
)
# GS1 Digital Link 1.2 §6: short names and the numeric AIs they stand for.
_SHORT_NAMES: Final = (
    ("/gtin/", "/01/"), ("/itip/", "/8006/"), ("/cpid/", "/8010/"), ("/gln/", "/414/"),
    ("/party/", "/417/"), ("/gsrnp/", "/8017/"), ("/gsrn/", "/8018/"), ("/gcn/", "/255/"),
    ("/sscc/", "/00/"), ("/gdti/", "/253/"), ("/ginc/", "/401/"), ("/gsin/", "/402/"),
    ("/grai/", "/8003/"), ("/giai/", "/8004/"), ("/cpv/", "/22/"), ("/lot/", "/10/"),
    ("/ser/", "/21/"),
)
_ON_CANONICAL_HOST: Final = re.compile(
    r"https://id\.gs1\.org/(?:01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)"
    r"/\d{4}[^/]"
)
# Which primary key wins when a URI on another host is moved onto id.gs1.org.
_KEY_PRIORITY: Final = tuple(
    f"/{ai}/"
    for ai in ("00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006",
               "8010", "8017", "8018")
)
_GTIN_14: Final = re.compile(r"https://id\.gs1\.org/01/\d{14}")
_GTIN_PADDING: Final = (
    (re.compile(r"https://id\.gs1\.org/01/\d{13}"), "/01/0"),
    (re.compile(r"https://id\.gs1\.org/01/\d{12}"), "/01/00"),
    (re.compile(r"https://id\.gs1\.org/01/\d{8}"), "/01/000000"),
)
# Characters a constrained canonical Digital Link URI may carry in a value.
_C: Final = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_C_SLASH: Final = r"[\x2F\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_ITEM: Final = r"https://id\.gs1\.org/(?:8006/\d{18}|01/\d{14})"
_CPV_LAST: Final = re.compile(_ITEM + "/22/" + _C + "{0,20}")
_CPV_INNER: Final = re.compile(_ITEM + "/22/" + _C_SLASH + "{0,20}")
_LOT_AND_SERIAL: Final = re.compile(_ITEM + "/10/" + _C + "{0,20}/21/" + _C + "{0,20}")
_CPI_CHAR: Final = r"[\x23\x2D\x2F\x30-\x39\x41-\x5A]"
# GS1 Digital Link 1.2 §4 syntax of each primary key (+ the qualifiers CBV keeps).
_VALID_CANONICAL: Final = re.compile(
    r"https://id\.gs1\.org/(?:"
    r"00/\d{18}"
    r"|01/\d{14}(?:/21/" + _C + r"{0,20}|/10/" + _C + r"{0,20}|/235/" + _C + r"{0,28})?"
    r"|253/\d{13}" + _C + r"{0,17}"
    r"|255/\d{13}\d{0,12}"
    r"|401/" + _C + r"{0,30}"
    r"|402/\d{17}"
    r"|414/\d{13}(?:/254/" + _C + r"{0,20})?"
    r"|417/\d{13}"
    r"|8003/\d{14}" + _C + r"{0,16}"
    r"|8004/" + _C + r"{0,30}"
    r"|8006/\d{18}(?:/21/" + _C + r"{0,20}|/10/" + _C + r"{0,20})?"
    r"|8010/" + _CPI_CHAR + r"{0,30}(?:/8011/\d{0,12})?"
    r"|8017/\d{18}"
    r"|8018/\d{18}"
    r")"
)


def canonical_digital_link(uri: str) -> str | None:
    """Constrained canonical form of a GS1 Digital Link URI, or None if ``uri`` is not one.

    GS1 Digital Link 1.2 §4.11 (canonical URI: id.gs1.org, numeric AIs, GTIN-14)
    with the CBV 2.0 §8.9.2 constraints: no query string, no CPV, serial over lot.
    """
    if _DL_SHAPE.match(uri) is None:
        return None
    query = uri.find("?")
    if query >= 0:
        uri = uri[:query]
    for short_name, ai in _SHORT_NAMES:
        if short_name in uri:
            uri = uri.replace(short_name, ai)
    if _ON_CANONICAL_HOST.match(uri) is None:
        for key in _KEY_PRIORITY:
            position = uri.find(key)
            if position != -1:
                uri = CANONICAL_HOST + uri[position:]
                break
    if _GTIN_14.match(uri) is None:
        for pattern, padded in _GTIN_PADDING:
            if pattern.match(uri) is not None:
                uri = uri.replace("/01/", padded)
                break
    uri = _without_cpv(uri)
    if _LOT_AND_SERIAL.fullmatch(uri) is not None:
        lot = uri.find("/10/")
        rest = uri[lot + 4:]
        uri = uri[:lot] + rest[rest.find("/"):]
    return uri if _VALID_CANONICAL.fullmatch(uri) is not None else None


def _without_cpv(uri: str) -> str:
    """Drop the consumer product variant (AI 22): it is not part of the item's identity."""
    cpv = uri.find("/22/")
    if cpv < 0:
        return uri
    rest = uri[cpv + 4:]
    if _CPV_LAST.fullmatch(uri) is not None:
        return uri[:cpv]
    if _CPV_INNER.fullmatch(uri) is not None:
        return uri[:cpv] + rest[rest.find("/"):]
    return uri


def canonical_identifier(text: str) -> str | None:
    """Canonical Digital Link URI for an EPC URN or a Digital Link URI, else None."""
    if "." not in text:
        return None
    if text.startswith("urn:epc:"):
        return digital_link_from_epc_urn(text)
    if text.startswith("http"):
        return canonical_digital_link(text)
    return None
