"""EIP-712 against the standard vectors in ../shared/data/eip712 (see its SOURCES.md).

- ethers `typed-data.json`: 130 vectors, `encoded` (encodeData) and `digest`.
- `eip712-reference-vectors.json`: 9 vectors with encodeType, typeHash, encodeData,
  hashStruct, domainSeparator, digest and signatures.
- eth-account `eip712_messages` corpora: accept/reject, digests cross-checked with
  eth-account's `encode_typed_data` (an oracle only, never used by the code).
- eth-account legacy `fixtures/invalid_*`: rejected, each for its stated reason.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pytest
from coincurve import PrivateKey, PublicKey
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from anchoring.core.eip712 import (
    domain_separator,
    encode_data,
    encode_type,
    hash_struct,
    infer_primary_type,
    type_hash,
    typed_data_digest,
    typed_data_digest_from_message,
)
from anchoring.core.errors import TypedDataError
from tests.shared_data import SHARED_DATA, shared_data


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


@cache
def _load(relative: str) -> Any:
    return json.loads(shared_data(f"eip712/{relative}").read_text(encoding="utf-8"))


def _ethers_vectors() -> list[dict[str, Any]]:
    return list(_load("ethers/testcases/typed-data.json"))


def _reference_vectors() -> list[dict[str, Any]]:
    return list(_load("eip712-reference-vectors.json")["vectors"])


def _corpus(name: str) -> dict[str, dict[str, Any]]:
    return dict(_load(f"eth-account/tests/eip712_messages/{name}.json"))


def _address_of(private_key: bytes) -> str:
    public = PrivateKey(private_key).public_key.format(compressed=False)[1:]
    return to_checksum_address(keccak(public)[12:])


def _recover(digest: bytes, signature: bytes) -> str:
    compact = signature[:64] + bytes((signature[64] - 27,))
    public = PublicKey.from_signature_and_message(compact, digest, hasher=None)
    return to_checksum_address(keccak(public.format(compressed=False)[1:])[12:])


def _eth_account_digest(**arguments: Any) -> bytes:
    """The oracle: eth-account's own EIP-712 encoding of the same input."""
    signable = encode_typed_data(**copy.deepcopy(arguments))
    return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


# --- ethers: 130 vectors ------------------------------------------------------------


def test_ethers_vector_count() -> None:
    assert len(_ethers_vectors()) == 130


@pytest.mark.parametrize("index", range(130))
def test_ethers_vector(index: int) -> None:
    vector = _ethers_vectors()[index]
    types, primary, data = vector["types"], vector["primaryType"], vector["data"]
    assert _hex(encode_data(primary, types, data)) == vector["encoded"], vector["name"]
    assert _hex(typed_data_digest(vector["domain"], types, primary, data)) == vector["digest"]


def test_ethers_example_signature() -> None:
    (vector,) = [v for v in _ethers_vectors() if "signature" in v]
    private_key = bytes.fromhex(vector["privateKey"][2:])
    signature = bytes.fromhex(vector["signature"][2:])
    digest = typed_data_digest(
        vector["domain"], vector["types"], vector["primaryType"], vector["data"]
    )
    assert _recover(digest, signature) == _address_of(private_key)
    compact = PrivateKey(private_key).sign_recoverable(digest, hasher=None)
    assert compact[:64] + bytes((27 + compact[64],)) == signature  # RFC 6979: same bytes


# --- the 9 reference vectors ---------------------------------------------------------


def test_reference_vector_count() -> None:
    assert len(_reference_vectors()) == 9


@pytest.mark.parametrize("index", range(9))
def test_reference_vector(index: int) -> None:
    vector = _reference_vectors()[index]
    typed, expected = vector["typedData"], vector["expected"]
    types, primary, domain, message = (
        typed["types"],
        typed["primaryType"],
        typed["domain"],
        typed["message"],
    )
    for name, text in expected.get("encodeType", {}).items():
        assert encode_type(name, types) == text
    for name, value in expected.get("typeHash", {}).items():
        assert _hex(type_hash(name, types)) == value
    if "encodeDataMessage" in expected:
        assert _hex(encode_data(primary, types, message)) == expected["encodeDataMessage"]
    if "hashStructMessage" in expected:
        assert _hex(hash_struct(primary, types, message)) == expected["hashStructMessage"]
    if "domainSeparator" in expected:
        assert _hex(domain_separator(domain)) == expected["domainSeparator"]
    digest = typed_data_digest(domain, types, primary, message)
    assert _hex(digest) == expected["digest"]
    assert typed_data_digest_from_message(typed) == digest
    if "signature" in expected:
        signature = bytes.fromhex(expected["signature"][2:])
        assert signature[64] == expected["v"]
        assert _hex(signature[:32]) == expected["r"] and _hex(signature[32:64]) == expected["s"]
        assert _recover(digest, signature).lower() == vector["signer"]["address"].lower()
        private_key = bytes.fromhex(vector["signer"]["privateKey"][2:])
        assert _address_of(private_key).lower() == vector["signer"]["address"].lower()


def test_reference_fixture_files_match_their_vectors() -> None:
    # Vectors 2-4 and 7 name the legacy fixture they transcribe; the files must agree.
    for vector in _reference_vectors():
        if "fixtureFile" in vector:
            fixture = _load(vector["fixtureFile"].removeprefix("eip712/"))
            assert _hex(typed_data_digest_from_message(fixture)) == vector["expected"]["digest"]


# --- eth-account corpora --------------------------------------------------------------

VALID_CORPORA = ["valid_for_all", "valid_py_and_ethers"]


def _corpus_cases(*names: str) -> list[tuple[str, str]]:
    """Parameters at collection time; without the data, one case per corpus that skips."""
    folder = SHARED_DATA / "eip712" / "eth-account" / "tests" / "eip712_messages"
    if not folder.is_dir():
        return [(name, "shared data missing") for name in names]
    return [(name, key) for name in names for key in _corpus(name)]


@pytest.mark.parametrize(("corpus", "key"), _corpus_cases(*VALID_CORPORA))
def test_valid_corpus_encodes_like_eth_account(corpus: str, key: str) -> None:
    message = _corpus(corpus)[key]
    assert typed_data_digest_from_message(message) == _eth_account_digest(full_message=message)


# Accepted by eth-account and MetaMask, refused by ethers. We side with ethers where the
# input is ambiguous, and must: the first case is byte-for-byte the legacy fixture
# invalid_message_value_type_mismatch_type.json, which must be rejected.
METAMASK_ONLY_REJECTED = {
    "valid_int_value_for_string_type_ethers_handles_mismatched_type_and_value_differently": (
        "string expected"
    ),
    "valid_null_value_for_custom_type_ethers_requires_non_null": "expected a Person object",
    "valid_eip712_example_ethers_does_not_accept_recursive_custom_types": "missing fields",
}


@pytest.mark.parametrize(("corpus", "key"), _corpus_cases("valid_py_and_metamask"))
def test_py_and_metamask_corpus(corpus: str, key: str) -> None:
    message = _corpus(corpus)[key]
    if key in METAMASK_ONLY_REJECTED:
        with pytest.raises(TypedDataError, match=METAMASK_ONLY_REJECTED[key]):
            typed_data_digest_from_message(message)
    else:  # recursive struct arrays are legal EIP-712 and must encode
        assert typed_data_digest_from_message(message) == _eth_account_digest(full_message=message)


def test_int_for_string_case_is_the_legacy_invalid_fixture() -> None:
    corpus_case = _corpus("valid_py_and_metamask")[
        "valid_int_value_for_string_type_ethers_handles_mismatched_type_and_value_differently"
    ]
    assert corpus_case == _load(
        "eth-account/tests/fixtures/invalid_message_value_type_mismatch_type.json"
    )


@pytest.mark.parametrize(("corpus", "key"), _corpus_cases("invalid"))
def test_invalid_corpus_rejected(corpus: str, key: str) -> None:
    message = _corpus(corpus)[key]
    with pytest.raises(TypedDataError):
        typed_data_digest_from_message(message)
    # ... and in the separate-argument form too.
    types = {name: fields for name, fields in message["types"].items() if name != "EIP712Domain"}
    with pytest.raises(TypedDataError):
        typed_data_digest(message["domain"], types, message["primaryType"], message["message"])


@pytest.mark.parametrize(("corpus", "key"), _corpus_cases("one_arg_invalid"))
def test_one_arg_invalid_only_as_a_full_message(corpus: str, key: str) -> None:
    """Invalid in the single-object form (declared EIP712Domain disagrees with the domain,
    or primaryType is not the root struct); valid as domain + types + message, where the
    domain type is implied by the domain's keys and the primary type by the types."""
    message = _corpus(corpus)[key]
    with pytest.raises(TypedDataError):
        typed_data_digest_from_message(message)
    types = {name: fields for name, fields in message["types"].items() if name != "EIP712Domain"}
    primary = infer_primary_type(types)
    digest = typed_data_digest(message["domain"], types, primary, message["message"])
    oracle = _eth_account_digest(
        domain_data=message["domain"], message_types=types, message_data=message["message"]
    )
    assert digest == oracle


# --- legacy fixtures ------------------------------------------------------------------

INVALID_FIXTURES = {
    "invalid_struct_identifier_message": "hello wallet",
    "invalid_struct_type_message": "unknown type 'Hello Person'",
    "invalid_message_value_type_mismatch_type": "string expected, got 12345",
    "invalid_message_invalid_abi_type": "invalid ABI type 'uint25689'",
    "invalid_message_valid_abi_type_invalid_value": "not an integer: 'how do you do\\?'",
    "invalid_message_unequal_1d_array_lengths": r"person\[2\] needs 2 elements, got 1",
    "invalid_message_unequal_array_dimensions": r"person\[2\]\[\]\[4\] needs 4 elements, got 1",
}


def test_every_invalid_fixture_is_listed() -> None:
    fixtures = shared_data("eip712/eth-account/tests/fixtures")
    assert sorted(p.stem for p in fixtures.glob("invalid_*.json")) == sorted(INVALID_FIXTURES)


@pytest.mark.parametrize(("name", "reason"), sorted(INVALID_FIXTURES.items()))
def test_invalid_fixture_rejected(name: str, reason: str) -> None:
    message = _load(f"eth-account/tests/fixtures/{name}.json")
    with pytest.raises(TypedDataError, match=reason):
        typed_data_digest_from_message(message)
    with pytest.raises(TypedDataError, match=reason):
        encode_data(message["primaryType"], message["types"], message["message"])
