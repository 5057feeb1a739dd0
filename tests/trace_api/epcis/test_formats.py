"""URI and date-time checks against the validators the schema oracle uses, and the few
places where we follow the RFC (and ajv) rather than Python's ``re``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rfc3339_validator import validate_rfc3339
from rfc3986_validator import validate_rfc3986

from trace_api.epcis import formats

_URI_PIECES = st.sampled_from(
    ["a", "Z", "9", ":", "/", "//", "?", "#", "[", "]", "@", "%", "%4", "%41", "%zz", "!", "$",
     "&", "'", "(", "*", "+", ",", ";", "=", "-", ".", "_", "~", " ", "\"", "<", "^", "`", "{",
     "|", "\\", "::1", "v1.x", "127.0.0.1", "256", "ffff", "urn", "http", "1", "é"]
)
uri_like = st.lists(_URI_PIECES, max_size=12).map("".join)
_DATE_PIECES = st.sampled_from(
    ["2005", "0000", "2004", "-", "02", "13", "00", "29", "30", "31", "T", "t", " ", "23", "24",
     ":", "59", "60", ".", "116", "Z", "z", "+", "-06:00", "+14:00", "1", "x"]
)
date_like = st.lists(_DATE_PIECES, max_size=12).map("".join)


@settings(max_examples=1000)
@given(st.one_of(uri_like, st.builds("{}:{}".format, uri_like, uri_like),
                 st.builds("{}://{}".format, uri_like, uri_like)))
def test_is_uri_agrees_with_rfc3986_validator(value: str) -> None:
    assert formats.is_uri(value) == bool(validate_rfc3986(value, rule="URI"))


@settings(max_examples=800)
@given(st.one_of(date_like, st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}".format, st.integers(0, 2100),
    st.integers(0, 13), st.integers(0, 32), st.integers(0, 24), st.integers(0, 60),
    st.integers(0, 60), st.sampled_from(["Z", "z", "+01:00", "-23:59", "+24:00", ".5Z", ""]))))
def test_is_date_time_agrees_with_rfc3339_validator(value: str) -> None:
    # jsonschema calls the validator on the upper-cased value
    assert formats.is_date_time(value) == validate_rfc3339(value.upper())


@pytest.mark.parametrize(
    "value",
    ["urn:epc:id:sgtin:0614141.107346.2018", "https://id.gs1.org/01/09506000134352/21/1",
     "cbv:BizStep-shipping", "ni:///sha-256;ab?ver=CBV2.0", "http://[2001:db8::7]/c=GB",
     "http://[v7.fe:80]/", "ldap://[::ffff:192.0.2.1]", "mailto:a@b", "urn:x:%C3%A9"],
)
def test_uris(value: str) -> None:
    assert formats.is_uri(value)


@pytest.mark.parametrize("value", ["shipping", "_:document1", "a b:c", "http://a%2/", "é:x",
                                   "http://[::1", "1http://x", ":x", ""])
def test_not_uris(value: str) -> None:
    assert not formats.is_uri(value)


# Where Python's re (used by the schema oracle) and the standard part ways we keep to the
# standard, as ajv, the validator GS1 documents for its schema, does: "$" matches before a
# trailing newline in Python only, "\d" matches non-ASCII digits in Python only, and
# rfc3986-validator lets IPv4 octets have leading zeros, which RFC 3986's dec-octet forbids.
@pytest.mark.parametrize(
    ("check", "value"),
    [
        (formats.is_version, "2.0\n"),
        (formats.is_version, "\u0662.\u0660"),
        (formats.is_uom, "KGM\n"),
        (formats.is_hex_binary, "FF\n"),
        (formats.is_time_zone_offset, "+01:00\n"),
        (formats.is_date_time, "2005-04-03T20:33:31Z\n"),
        (formats.is_uri, "urn:x:y\n"),
        (formats.is_uri, "http://[::ffff:001.2.3.4]/"),
    ],
)
def test_known_strictness_beyond_the_python_oracle(check: object, value: str) -> None:
    assert callable(check)
    assert not check(value)


def test_patterns() -> None:
    assert formats.is_time_zone_offset("+14:00") and formats.is_time_zone_offset("-13:59")
    assert not formats.is_time_zone_offset("+14:01") and not formats.is_time_zone_offset("+1:00")
    assert formats.is_uom("KGM") and formats.is_uom("C62")
    assert not formats.is_uom("kg") and not formats.is_uom("ABCD")
    assert formats.is_hex_binary("0aF")
    assert not formats.is_hex_binary("") and not formats.is_hex_binary("0x1")
    assert formats.is_version("2.0") and formats.is_version("2")
    assert not formats.is_version("2.") and not formats.is_version("v2")
