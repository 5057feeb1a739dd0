"""Decoding without a node: the fast flat ABI decoder against eth_abi (the reference),
and the event decoder on every event of the three contract ABIs."""

from __future__ import annotations

from typing import Any

import eth_abi
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.decode.abi import EventDecoder, _plain
from indexer.decode.words import AbiDecodingError, flat_decoder
from indexer.errors import MalformedNodeDataError
from indexer.source.types import RawLog

_FLAT_TYPES = [
    "uint8",
    "uint32",
    "uint64",
    "uint256",
    "int8",
    "int256",
    "address",
    "bool",
    "bytes32",
    "bytes4",
    "string",
    "bytes",
]


def _value(kind: str) -> st.SearchStrategy[Any]:
    if kind.startswith("uint"):
        return st.integers(0, 2 ** int(kind[4:]) - 1)
    if kind.startswith("int"):
        bits = int(kind[3:])
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if kind == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if kind == "bool":
        return st.booleans()
    if kind == "string":
        return st.text(max_size=70)
    if kind == "bytes":
        return st.binary(max_size=70)
    return st.binary(min_size=int(kind[5:]), max_size=int(kind[5:]))


@st.composite
def _typed_values(draw: st.DrawFn) -> tuple[list[str], list[Any]]:
    types = draw(st.lists(st.sampled_from(_FLAT_TYPES), min_size=1, max_size=6))
    return types, [draw(_value(kind)) for kind in types]


@settings(max_examples=300, deadline=None)
@given(_typed_values())
def test_flat_decoder_matches_eth_abi(typed: tuple[list[str], list[Any]]) -> None:
    types, values = typed
    data = eth_abi.encode(types, values)
    decoder = flat_decoder(types)
    assert decoder is not None
    expected = [
        _plain(kind, value) for kind, value in zip(types, eth_abi.decode(types, data), strict=True)
    ]
    assert decoder(data) == expected


@settings(max_examples=300, deadline=None)
@given(_typed_values(), st.integers(0, 10_000), st.integers(0, 255))
@example(typed=(["string"], [""]), position=31, new_byte=0)  # a tail offset into the head
def test_flat_decoder_rejects_what_eth_abi_rejects(
    typed: tuple[list[str], list[Any]], position: int, new_byte: int
) -> None:
    types, values = typed
    data = bytearray(eth_abi.encode(types, values))
    data[position % len(data)] = new_byte
    decoder = flat_decoder(types)
    assert decoder is not None
    try:
        expected = [
            _plain(k, v) for k, v in zip(types, eth_abi.decode(types, bytes(data)), strict=True)
        ]
    except Exception:  # noqa: BLE001 - any eth_abi rejection
        with pytest.raises(AbiDecodingError):
            decoder(bytes(data))
        return
    assert decoder(bytes(data)) == expected


def test_non_flat_types_fall_back() -> None:
    assert flat_decoder(["uint256[]"]) is None
    assert flat_decoder(["(uint8,bool)"]) is None


def test_a_log_whose_topics_do_not_fit_its_event_is_malformed() -> None:
    decoder = EventDecoder.from_artifacts()
    event = next(e for e in decoder._by_topic.values() if e.name == "TreeHeadAnchored")
    log = RawLog(
        1, "0x" + "aa" * 32, 0, "0x" + "bb" * 32, 0, "0x" + "11" * 20, (event.topic0,), "0x"
    )
    with pytest.raises(MalformedNodeDataError, match="needs 3 topics"):
        decoder.decode("TraceAnchor", log)
    short = RawLog(
        1,
        "0x" + "aa" * 32,
        0,
        "0x" + "bb" * 32,
        0,
        "0x" + "11" * 20,
        (event.topic0, "0x" + "00" * 32, "0x" + "00" * 32),
        "0x1234",
    )
    with pytest.raises(MalformedNodeDataError, match="cannot decode"):
        decoder.decode("TraceAnchor", short)
    unknown = RawLog(
        1, "0x" + "aa" * 32, 0, "0x" + "bb" * 32, 0, "0x" + "11" * 20, ("0x" + "99" * 32,), "0x"
    )
    assert decoder.decode("TraceAnchor", unknown) is None
