"""String formats the EPCIS 2.0 JSON Schema names: ``uri``, ``date-time`` and its patterns.

Written from the RFCs, not from a validator library, so the tests can hold them against the
official schema run by ``jsonschema`` as an independent oracle. Every check is a full match:
unlike Python's ``re`` ``$`` (which the oracle uses), a trailing newline is never accepted, and
``\\d`` is never used because in Python it matches non-ASCII digits; ajv, the validator GS1 names
for its schema, agrees with both choices.
"""

from __future__ import annotations

import calendar
import re

# --- RFC 3986 Appendix A -------------------------------------------------------------------
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_DEC_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"  # RFC 3986 §3.2.2
_IPV4 = rf"{_DEC_OCTET}(?:\.{_DEC_OCTET}){{3}}"
_H16 = r"[0-9A-Fa-f]{1,4}"
_LS32 = rf"(?:{_H16}:{_H16}|{_IPV4})"
_IPV6 = "|".join(  # the nine forms of IPv6address, RFC 3986 §3.2.2
    (
        rf"(?:{_H16}:){{6}}{_LS32}",
        rf"::(?:{_H16}:){{5}}{_LS32}",
        rf"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,1}}{_H16})?::(?:{_H16}:){{3}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
        rf"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
        rf"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}",
        rf"(?:(?:{_H16}:){{0,6}}{_H16})?::",
    )
)
_IP_FUTURE = rf"v[0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+"
_REG_NAME = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*"  # also covers IPv4address
_HOST = rf"(?:\[(?:{_IPV6}|{_IP_FUTURE})\]|{_REG_NAME})"
_USERINFO = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*"
_AUTHORITY = rf"(?:{_USERINFO}@)?{_HOST}(?::[0-9]*)?"
_SEGMENT = rf"{_PCHAR}*"
_SEGMENT_NZ = rf"{_PCHAR}+"
_HIER_PART = (
    rf"(?://{_AUTHORITY}(?:/{_SEGMENT})*"  # "//" authority path-abempty
    rf"|/(?:{_SEGMENT_NZ}(?:/{_SEGMENT})*)?"  # path-absolute
    rf"|{_SEGMENT_NZ}(?:/{_SEGMENT})*"  # path-rootless
    r"|)"  # path-empty
)
_QUERY = rf"(?:{_PCHAR}|[/?])*"
_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+\-.]*:{_HIER_PART}(?:\?{_QUERY})?(?:#{_QUERY})?")
# The same grammar restricted to URIs without percent-encoding, userinfo or IP literals: a
# strict subset of _URI (so a match is final) built from plain character-class loops, which
# Python's re runs several times faster than the per-character alternation above.
_PLAIN_PCHARS = rf"[{_UNRESERVED}{_SUB_DELIMS}:@/]*"
_PLAIN_QUERY = rf"[{_UNRESERVED}{_SUB_DELIMS}:@/?]*"
_PLAIN_URI = re.compile(
    rf"[A-Za-z][A-Za-z0-9+\-.]*:"
    rf"(?://[{_UNRESERVED}{_SUB_DELIMS}]*(?::[0-9]*)?(?:/{_PLAIN_PCHARS})?"
    rf"|(?!//){_PLAIN_PCHARS})"
    rf"(?:\?{_PLAIN_QUERY})?(?:#{_PLAIN_QUERY})?"
)

# --- RFC 3339 §5.6 (T and Z may be lower case, §5.6 NOTE) ----------------------------------
_DATE_TIME = re.compile(
    r"([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})[Tt]"
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
    r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)

# --- patterns of the EPCIS 2.0 JSON Schema ---------------------------------------------------
# "eventTimeZoneOffset"
_TIME_ZONE_OFFSET = re.compile(r"[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00)")
_UOM = re.compile(r"[A-Z0-9]{2,3}")  # UN/CEFACT Rec 20 code, "uom"
_HEX_BINARY = re.compile(r"[A-Fa-f0-9]+")  # "hexBinary"
_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+)*")  # "version" (schemaVersion)


def is_uri(value: str) -> bool:
    """True iff ``value`` is an absolute URI per RFC 3986 (``scheme ":" hier-part ...``).

    Compact IRIs such as ``cbv:BizStep-shipping`` or ``example:myField`` qualify (their prefix
    is a syntactically valid scheme); bare words, ``_:blank`` nodes and non-ASCII text do not.
    """
    return _PLAIN_URI.fullmatch(value) is not None or _URI.fullmatch(value) is not None


def is_date_time(value: str) -> bool:
    """True iff ``value`` is an RFC 3339 ``date-time`` with an offset and a real calendar day.

    Leap seconds (``:60``) and year 0000 are refused, as the schema oracle refuses them, so every
    accepted value converts to a Python ``datetime``.
    """
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if year == 0 or day == 0:
        return False
    if day <= 28:
        return True
    return day <= calendar.monthrange(year, month)[1]


def is_time_zone_offset(value: str) -> bool:
    """True iff ``value`` is ``+hh:mm``/``-hh:mm`` within -14:00..+14:00 (schema pattern)."""
    return _TIME_ZONE_OFFSET.fullmatch(value) is not None


def is_uom(value: str) -> bool:
    """True iff ``value`` is 2-3 upper-case letters or digits (UN/CEFACT Rec 20 code shape)."""
    return _UOM.fullmatch(value) is not None


def is_hex_binary(value: str) -> bool:
    """True iff ``value`` is one or more hexadecimal digits (either case)."""
    return _HEX_BINARY.fullmatch(value) is not None


def is_version(value: str) -> bool:
    """True iff ``value`` is dot-separated decimal numbers such as ``2.0``."""
    return _VERSION.fullmatch(value) is not None
