"""EIP-712 encoder rules one by one: type grammar, identifiers, value checks, domains.

Golden encodings are checked against eth_abi (the ABI encoder EIP-712 defers to for
atomic values) and eth-account's encode_typed_data as oracles.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from anchoring.core.eip712 import (
    MAX_VALUE_DEPTH,
    domain_separator,
    encode_data,
    encode_type,
    format_address,
    infer_primary_type,
    parse_address,
    type_hash,
    typed_data_digest,
    typed_data_digest_from_message,
)
from anchoring.core.errors import TypedDataError

MAIL_TYPES = {
    "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
    "Mail": [
        {"name": "from", "type": "Person"},
        {"name": "to", "type": "Person"},
        {"name": "contents", "type": "string"},
    ],
}


def _one(type_text: str) -> dict[str, list[dict[str, str]]]:
    return {"T": [{"name": "v", "type": type_text}]}


def _encode_one(type_text: str, value: Any) -> bytes:
    """enc(value) of a single-field struct: encodeData minus the 32-byte typeHash."""
    return encode_data("T", _one(type_text), {"v": value})[32:]


# --- encodeType ----------------------------------------------------------------------


def test_encode_type_sorts_dependencies_by_name_after_the_primary() -> None:
    types = {
        "Z": [{"name": "a", "type": "A[]"}, {"name": "b", "type": "B"}],
        "B": [{"name": "x", "type": "uint8"}],
        "A": [{"name": "b", "type": "B[2][]"}],
    }
    assert encode_type("Z", types) == "Z(A[] a,B b)A(B[2][] b)B(uint8 x)"
    assert type_hash("Z", types) == keccak(text="Z(A[] a,B b)A(B[2][] b)B(uint8 x)")


def test_recursive_types_encode_once() -> None:
    types = {"Node": [{"name": "kids", "type": "Node[]"}, {"name": "v", "type": "uint8"}]}
    assert encode_type("Node", types) == "Node(Node[] kids,uint8 v)"
    tree = {"kids": [{"kids": [], "v": 2}], "v": 1}
    oracle = encode_typed_data({}, types, tree)
    assert typed_data_digest({}, types, "Node", tree) == keccak(
        b"\x19" + oracle.version + oracle.header + oracle.body
    )


def test_hostile_nesting_is_a_named_error() -> None:
    types = {"Node": [{"name": "kids", "type": "Node[]"}, {"name": "v", "type": "uint8"}]}
    tree: dict[str, Any] = {"kids": [], "v": 0}
    for _ in range(MAX_VALUE_DEPTH):
        tree = {"kids": [tree], "v": 0}
    with pytest.raises(TypedDataError, match="nests deeper"):
        encode_data("Node", types, tree)


# --- type grammar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "type_text",
    [
        "uint",
        "int",
        "uint7",
        "uint264",
        "uint08",
        "int0",
        "bytes0",
        "bytes33",
        "bytes01",
        "uint25689",
    ],
)
def test_invalid_atomic_types_rejected(type_text: str) -> None:
    with pytest.raises(TypedDataError, match="invalid ABI type"):
        type_hash("T", _one(type_text))


@pytest.mark.parametrize("type_text", ["Missing", "function", "fixed128x18", "Address"])
def test_unknown_types_rejected(type_text: str) -> None:
    with pytest.raises(TypedDataError, match="unknown type"):
        type_hash("T", _one(type_text))


@pytest.mark.parametrize(
    "type_text", ["uint8[0]", "uint8[01]", "uint8[a]", "uint8[", "uint8[]x", "uint8[-1]"]
)
def test_malformed_array_suffixes_rejected(type_text: str) -> None:
    with pytest.raises(TypedDataError):
        type_hash("T", _one(type_text))


@pytest.mark.parametrize("name", ["a,b", "a(b", "a)", "a[1]", "tab\there", ""])
def test_field_names_that_break_encode_type_rejected(name: str) -> None:
    with pytest.raises(TypedDataError, match="invalid identifier"):
        type_hash("T", {"T": [{"name": name, "type": "uint8"}]})


@pytest.mark.parametrize("name", ["A,B", "A(B)", "A[]", "uint256", "bytes", "bytes33", "string"])
def test_struct_names_that_break_encode_type_rejected(name: str) -> None:
    with pytest.raises(TypedDataError):
        type_hash(name, {name: [{"name": "v", "type": "uint8"}]})


def test_spaces_and_empty_struct_names_are_accepted_as_wallets_do() -> None:
    types = {"": [{"name": "cont ents", "type": "string"}], "Per son": [{"name": "x", "type": ""}]}
    assert encode_type("Per son", types) == "Per son( x)(string cont ents)"


def test_duplicate_field_names_rejected() -> None:
    types = {"T": [{"name": "v", "type": "uint8"}, {"name": "v", "type": "uint16"}]}
    with pytest.raises(TypedDataError, match="duplicate"):
        type_hash("T", types)


@pytest.mark.parametrize(
    "fields",
    [
        "uint8 v",
        [{"name": "v"}],
        [{"name": "v", "type": "uint8", "extra": 1}],
        [{"name": 1, "type": "uint8"}],
        [{"name": "v", "type": None}],
    ],
)
def test_malformed_field_lists_rejected(fields: Any) -> None:
    with pytest.raises(TypedDataError):
        type_hash("T", {"T": fields})


# --- atomic values --------------------------------------------------------------------


@settings(max_examples=300)
@given(st.data())
def test_integers_encode_like_the_abi(data: st.DataObject) -> None:
    signed = data.draw(st.booleans())
    width = data.draw(st.sampled_from(range(8, 257, 8)))
    low, high = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2**width - 1)
    value = data.draw(st.integers(low, high))
    type_text = f"{'' if signed else 'u'}int{width}"
    expected = abi_encode([type_text], [value])
    assert _encode_one(type_text, value) == expected
    assert _encode_one(type_text, str(value)) == expected
    assert _encode_one(type_text, ("-" if value < 0 else "") + hex(abs(value))) == expected


@pytest.mark.parametrize(
    ("type_text", "value"),
    [
        ("uint8", 256),
        ("uint8", -1),
        ("int8", 128),
        ("int8", -129),
        ("uint256", 2**256),
        ("int256", -(2**255) - 1),
    ],
)
def test_integers_out_of_range_rejected(type_text: str, value: int) -> None:
    with pytest.raises(TypedDataError, match="out of range"):
        _encode_one(type_text, value)


@pytest.mark.parametrize(
    "value", [True, 1.0, None, "", "1.5", "0x", "1e3", " 1", "1_000", "0b1", "--1", [1]]
)
def test_non_integers_rejected_for_int_types(value: Any) -> None:
    with pytest.raises(TypedDataError):
        _encode_one("uint256", value)


def test_bool_is_strict() -> None:
    assert _encode_one("bool", True) == abi_encode(["bool"], [True])
    assert _encode_one("bool", False) == bytes(32)
    for value in (1, 0, "true", "false", None):
        with pytest.raises(TypedDataError):
            _encode_one("bool", value)


def test_fixed_bytes_need_exact_length() -> None:
    assert _encode_one("bytes4", "0xdeadbeef") == bytes.fromhex("deadbeef") + bytes(28)
    assert _encode_one("bytes4", b"\xde\xad\xbe\xef") == bytes.fromhex("deadbeef") + bytes(28)
    for value in ("0xdead", "0xdeadbeef00", "deadbeef", "0xdeadbee", 0xDEADBEEF):
        with pytest.raises(TypedDataError):
            _encode_one("bytes4", value)


def test_dynamic_bytes_and_strings_are_hashed() -> None:
    assert _encode_one("bytes", "0x") == keccak(b"")
    assert _encode_one("bytes", "0x0102") == keccak(b"\x01\x02")
    assert _encode_one("string", "héllo 😀") == keccak("héllo 😀".encode())
    with pytest.raises(TypedDataError):
        _encode_one("string", 12345)
    with pytest.raises(TypedDataError):
        _encode_one("string", "\ud800")
    with pytest.raises(TypedDataError):
        _encode_one("bytes", "hello")


def test_addresses() -> None:
    checksummed = "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
    raw = bytes.fromhex(checksummed[2:])
    assert parse_address(checksummed) == parse_address(checksummed.lower()) == raw
    assert parse_address(checksummed.upper().replace("0X", "0x")) == raw
    assert format_address(raw) == checksummed
    assert _encode_one("address", checksummed) == bytes(12) + raw
    bad_checksum = "0xcD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
    for value in (bad_checksum, checksummed[:-1], checksummed[2:], 5, raw[:19]):
        with pytest.raises(TypedDataError):
            _encode_one("address", value)


# --- structs and arrays ----------------------------------------------------------------


def test_struct_values_must_have_exactly_the_declared_fields() -> None:
    person = {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"}
    mail = {"from": person, "to": person, "contents": "hi"}
    encode_data("Mail", MAIL_TYPES, mail)
    for broken in (
        {**mail, "extra": 1},
        {"from": person, "to": person},
        {**mail, "to": None},
        {**mail, "to": [person]},
    ):
        with pytest.raises(TypedDataError):
            encode_data("Mail", MAIL_TYPES, broken)


def test_arrays() -> None:
    types = {"T": [{"name": "v", "type": "uint8[2][]"}]}
    value = [[1, 2], [3, 4], [5, 6]]
    inner = [keccak(abi_encode(["uint8", "uint8"], pair)) for pair in value]
    assert encode_data("T", types, {"v": value})[32:] == keccak(b"".join(inner))
    assert encode_data("T", types, {"v": []})[32:] == keccak(b"")
    assert encode_data("T", types, {"v": ((1, 2), [3, 4], (5, 6))}) == encode_data(
        "T", types, {"v": value}
    )
    for broken in ([[1, 2, 3]], [1, 2], "12", [[1], [2]], [(1, 2), [3]], [[1, 256]]):
        with pytest.raises(TypedDataError):
            encode_data("T", types, {"v": broken})


# --- domains and the digest --------------------------------------------------------------


def test_domain_type_is_implied_by_the_keys_in_canonical_order() -> None:
    domain = {"salt": "0x" + "11" * 32, "chainId": 5, "name": "N"}
    expected = keccak(
        keccak(text="EIP712Domain(string name,uint256 chainId,bytes32 salt)")
        + keccak(text="N")
        + (5).to_bytes(32, "big")
        + bytes.fromhex("11" * 32)
    )
    assert domain_separator(domain) == expected
    assert domain_separator({}) == keccak(keccak(text="EIP712Domain()"))


def test_unknown_domain_keys_rejected() -> None:
    with pytest.raises(TypedDataError, match="unknown EIP712Domain"):
        domain_separator({"name": "N", "chain": 1})


def test_declared_domain_type_must_match() -> None:
    person = {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"}
    message = {"from": person, "to": person, "contents": "hi"}
    domain = {"name": "N", "chainId": 1}
    good = {
        **MAIL_TYPES,
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "chainId", "type": "uint256"},
        ],
    }
    reordered = {**MAIL_TYPES, "EIP712Domain": list(reversed(good["EIP712Domain"]))}
    retyped = {
        **MAIL_TYPES,
        "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint64"}],
    }
    digest = typed_data_digest(domain, good, "Mail", message)
    assert digest == typed_data_digest(domain, MAIL_TYPES, "Mail", message)
    for types in (reordered, retyped):
        with pytest.raises(TypedDataError, match="EIP712Domain"):
            typed_data_digest(domain, types, "Mail", message)
    with pytest.raises(TypedDataError):
        typed_data_digest(domain, good, "EIP712Domain", domain)


def test_full_message_form() -> None:
    person = {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"}
    full = {
        "types": MAIL_TYPES,
        "domain": {"name": "N"},
        "message": {"from": person, "to": person, "contents": ""},
    }
    digest = typed_data_digest_from_message(full)
    assert digest == typed_data_digest_from_message({**full, "primaryType": "Mail"})
    assert infer_primary_type(MAIL_TYPES) == "Mail"
    for broken in ({**full, "primaryType": "Person"}, {**full, "extra": 1}, {"types": MAIL_TYPES}):
        with pytest.raises(TypedDataError):
            typed_data_digest_from_message(broken)
    two_roots = {**MAIL_TYPES, "Other": [{"name": "x", "type": "bool"}]}
    with pytest.raises(TypedDataError, match="primary type"):
        infer_primary_type(two_roots)
