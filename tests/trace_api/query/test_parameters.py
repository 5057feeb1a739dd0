"""Parsing EPCIS query parameters, page tokens and Event Hash IDs in paths (no database)."""

from __future__ import annotations

import base64

import pytest

from trace_api.errors import DomainError, http_status
from trace_api.query.parameters import DEFAULT_PER_PAGE, parse_event_query
from trace_api.query.tokens import InvalidPageToken, decode_page_token, encode_page_token
from trace_api.records.event_hash_id_path import canonical_event_hash_id

HEX = "3f2a" * 16
CANONICAL = f"ni:///sha-256;{HEX}?ver=CBV2.0"


def _problem(items: list[tuple[str, str]]) -> DomainError:
    with pytest.raises(DomainError) as raised:
        parse_event_query(items)
    assert http_status(raised.value) == 400
    return raised.value


@pytest.mark.parametrize(("items", "parameter"), [
    ([("GE_eventTime", "yesterday")], "GE_eventTime"),
    ([("LT_recordTime", "2026-11-26")], "LT_recordTime"),
    ([("EQ_action", "SHOUT")], "EQ_action"),
    ([("perPage", "0")], "perPage"),
    ([("perPage", "1001")], "perPage"),
    ([("perPage", "ten")], "perPage"),
    ([("perPage", "1" * 10_001)], "perPage"),  # int() of it would raise: a 500 before
    ([("perPage", "\u00b2")], "perPage"),  # a Unicode digit int() refuses
    ([("MATCH_epc", "urn:*:x")], "MATCH_epc"),
    ([("MATCH_anyEPC", "*")], "MATCH_anyEPC"),
    ([("MATCH_epc", "urn:epc:idpat:sgtin:*.107346.1")], "MATCH_epc"),
    ([("EQ_bizStep", "shipping||receiving")], "EQ_bizStep"),
    ([("colour", "red")], "colour"),
    ([("EQ_quantity", "3")], "EQ_quantity"),
    ([("eventType", "ObjectEvent"), ("eventType", "AggregationEvent")], "eventType"),
    ([("EQ_readPoint", "urn:x:\x00")], "EQ_readPoint"),
    ([("MATCH_epc", "|".join(f"urn:x:{n}" for n in range(101)))], "MATCH_epc"),
])
def test_bad_parameters_are_400_naming_the_parameter(
    items: list[tuple[str, str]], parameter: str
) -> None:
    problem = _problem(items)
    assert problem.extensions == {"parameter": parameter}
    assert problem.detail is not None and problem.detail.startswith(f"{parameter}: ")


def test_values_become_sql_conditions_with_parameters() -> None:
    query = parse_event_query([
        ("eventType", "ObjectEvent|AggregationEvent"),
        ("GE_eventTime", "2026-11-20T08:00:00Z"),
        ("LT_eventTime", "2026-11-20T10:00:00.5+02:00"),
        ("EQ_bizStep", "cbv:BizStep-shipping|https://ref.gs1.org/cbv/BizStep-receiving"),
        ("EQ_disposition", "urn:epcglobal:cbv:disp:in_transit"),
        ("perPage", "7"),
    ])
    assert query.conditions == (
        "e.event_type IN (?, ?)", "e.event_time_ms >= ?", "e.event_time_ms < ?",
        "e.biz_step IN (?, ?)", "e.disposition IN (?)")
    assert query.params == ("ObjectEvent", "AggregationEvent", 1795161600000, 1795161600500,
                            "shipping", "receiving", "in_transit")
    assert (query.per_page, query.page_token) == (7, None)


def test_match_patterns_are_exact_values_or_prefixes() -> None:
    query = parse_event_query([("MATCH_anyEPC",
                                ("urn:epc:id:sscc:0614141.1234567890|"
                                "urn:epc:idpat:sgtin:0614141.107346.*|"
                                "urn:epc:idpat:sgtin:0614141.*.*|"
                                "urn:epc:idpat:sgtin:0614141.107346.2017|"
                                "https://id.example/01/09506000134352/*"))])
    (condition,) = query.conditions
    assert condition == (
        "e.leaf_index IN (SELECT x.leaf_index FROM api_event_epcs x WHERE x.role IN "
        "(?, ?, ?, ?, ?) AND (x.epc IN (?, ?) OR substr(x.epc, 1, ?) = ? OR "
        "substr(x.epc, 1, ?) = ? OR substr(x.epc, 1, ?) = ?))")
    assert query.params == (
        "epc", "child", "parent", "input", "output",
        "urn:epc:id:sscc:0614141.1234567890", "urn:epc:id:sgtin:0614141.107346.2017",
        32, "urn:epc:id:sgtin:0614141.107346.", 25, "urn:epc:id:sgtin:0614141.",
        37, "https://id.example/01/09506000134352/")


def test_defaults_and_fingerprints() -> None:
    plain = parse_event_query([])
    assert (plain.conditions, plain.per_page) == ((), DEFAULT_PER_PAGE)
    shipping = parse_event_query([("EQ_bizStep", "shipping"), ("perPage", "5")])
    same_filter = parse_event_query([("EQ_bizStep", "shipping"), ("nextPageToken", "x")])
    other = parse_event_query([("EQ_bizStep", "receiving")])
    assert shipping.fingerprint == same_filter.fingerprint != other.fingerprint


def test_page_tokens_round_trip_and_refuse_tampering() -> None:
    key, fingerprint = b"k" * 32, b"f" * 16
    token = encode_page_token(key, 41, fingerprint)
    assert decode_page_token(key, token, fingerprint) == 41
    with pytest.raises(InvalidPageToken):
        decode_page_token(key, token, b"g" * 16)  # another filter
    with pytest.raises(InvalidPageToken):
        decode_page_token(b"j" * 32, token, fingerprint)  # another server run
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[8] ^= 0x01  # leaf index 41 -> 40, tag unchanged
    tampered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(InvalidPageToken):
        decode_page_token(key, tampered, fingerprint)
    for garbage in ("", "!!!", "AAAA", "é"):
        with pytest.raises(InvalidPageToken):
            decode_page_token(key, garbage, fingerprint)


@pytest.mark.parametrize("spelling", [
    CANONICAL, f"ni:///sha-256;{HEX}", f"ni:/sha-256;{HEX}?ver=CBV2.0", HEX, HEX.upper(),
])
def test_event_hash_id_spellings_in_paths(spelling: str) -> None:
    assert canonical_event_hash_id(spelling) == CANONICAL


@pytest.mark.parametrize("text", ["", "ni:///sha-256;abc", f"ni:///md5;{HEX}", HEX + "0",
                                  f"{CANONICAL}/proof"])
def test_non_ids_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        canonical_event_hash_id(text)
