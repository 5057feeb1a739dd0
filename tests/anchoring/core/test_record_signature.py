"""EIP-712 record signatures, held against eth-account as an independent oracle."""

from __future__ import annotations

import dataclasses
from hashlib import sha256

import pytest
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from anchoring.core.eip712 import domain_separator, encode_type, type_hash, typed_data_digest
from anchoring.core.errors import (
    SignatureError,
    SignerMismatchError,
    SigningKeyError,
    TypedDataError,
    VerificationError,
)
from anchoring.core.record_signature import (
    RECORD_TYPE_STRING,
    RECORD_TYPES,
    SECP256K1_ORDER,
    RecordDomain,
    TraceRecord,
    record_digest,
    recover_record_signer,
    sign_record,
    verify_record_signature,
)

COW_KEY = sha256(b"cow").digest()  # any fixed key will do; not the EIP's keccak("cow")
COW = Account.from_key(COW_KEY).address
OTHER_KEY = sha256(b"bob").digest()
DOMAIN = RecordDomain(chain_id=7357, verifying_contract="0x" + "7a" * 20)
EVENT_HASH = sha256(b"ni:///sha-256;...?ver=CBV2.0 stand-in").digest()
RECORD = TraceRecord(event_hash=EVENT_HASH, submitter=COW)


def _oracle_message(record: TraceRecord, domain: RecordDomain) -> SignableMessage:
    return encode_typed_data(
        domain.as_eip712_domain(),
        {"TraceRecord": RECORD_TYPES["TraceRecord"]},
        {"eventHash": record.event_hash, "submitter": record.submitter},
    )


# --- the pinned encoding --------------------------------------------------------------


def test_type_string_is_pinned() -> None:
    # Changing this breaks every signature ever made; see the module docstring.
    assert RECORD_TYPE_STRING == "TraceRecord(bytes32 eventHash,address submitter)"
    assert encode_type("TraceRecord", RECORD_TYPES) == RECORD_TYPE_STRING
    assert type_hash("TraceRecord", RECORD_TYPES).hex() == (
        "464b4ab705506a201201e097b2da20ffc0fca063d1881dd85e595f07c001b0a2"
    )


def test_domain_separator_matches_the_generic_encoder() -> None:
    assert DOMAIN.domain_separator == domain_separator(DOMAIN.as_eip712_domain())
    assert DOMAIN.as_eip712_domain() == {
        "name": "TraceLedger",
        "version": "1",
        "chainId": 7357,
        "verifyingContract": "0x7A7a7A7a7a7a7a7A7a7a7a7A7a7A7A7A7A7A7a7A",
    }


def test_digest_matches_generic_encoder_and_eth_account() -> None:
    message = {"eventHash": "0x" + EVENT_HASH.hex(), "submitter": COW}
    generic = typed_data_digest(DOMAIN.as_eip712_domain(), RECORD_TYPES, "TraceRecord", message)
    oracle = _oracle_message(RECORD, DOMAIN)
    assert record_digest(RECORD, DOMAIN) == generic
    assert Account.sign_message(oracle, COW_KEY).message_hash == generic


def test_golden_digest_and_signature() -> None:
    # Pinned bytes: if these move, old signatures stop verifying.
    record = TraceRecord(event_hash=bytes(range(32)), submitter="0x" + "11" * 20)
    domain = RecordDomain(chain_id=1, verifying_contract="0x" + "22" * 20)
    assert record_digest(record, domain).hex() == GOLDEN_DIGEST
    assert sign_record(record, domain, bytes(31) + b"\x01").hex() == GOLDEN_SIGNATURE


# Computed with eth-account (encode_typed_data + Account.sign_message), not with this code.
GOLDEN_DIGEST = "160315616cc89ef8de7596e5308575fe2c3bd3f6811e56f1af450c3a613dc880"
GOLDEN_SIGNATURE = (
    "caea2aac6f9e789ca161944bee4fb7c6a575aeca65fb6cb0df3d18fa158df131"
    "5e2da7b94fa096fad247687beeb6886396719488dddf86176e69c146f2e5dabe1c"
)


# --- signing and recovery ---------------------------------------------------------------


def test_round_trip_and_eth_account_agree() -> None:
    signature = sign_record(RECORD, DOMAIN, COW_KEY)
    assert len(signature) == 65 and signature[64] in (27, 28)
    assert recover_record_signer(RECORD, DOMAIN, signature) == COW
    verify_record_signature(RECORD, DOMAIN, signature, COW)
    verify_record_signature(RECORD, DOMAIN, signature, COW.lower())
    oracle = _oracle_message(RECORD, DOMAIN)
    assert bytes(Account.sign_message(oracle, COW_KEY).signature) == signature  # RFC 6979
    assert Account.recover_message(oracle, signature=signature) == COW


def test_signing_is_deterministic() -> None:
    assert sign_record(RECORD, DOMAIN, COW_KEY) == sign_record(RECORD, DOMAIN, COW_KEY)


def test_other_chain_or_contract_recovers_another_signer() -> None:
    signature = sign_record(RECORD, DOMAIN, COW_KEY)
    for other in (
        dataclasses.replace(DOMAIN, chain_id=DOMAIN.chain_id + 1),
        dataclasses.replace(DOMAIN, verifying_contract="0x" + "7b" * 20),
    ):
        assert other.domain_separator != DOMAIN.domain_separator
        assert recover_record_signer(RECORD, other, signature) != COW
        with pytest.raises(SignerMismatchError):
            verify_record_signature(RECORD, other, signature, COW)


def test_other_event_hash_recovers_another_signer() -> None:
    signature = sign_record(RECORD, DOMAIN, COW_KEY)
    tampered = dataclasses.replace(RECORD, event_hash=sha256(b"other").digest())
    assert recover_record_signer(tampered, DOMAIN, signature) != COW


def test_verify_rejects_another_signer() -> None:
    signature = sign_record(RECORD, DOMAIN, OTHER_KEY)
    with pytest.raises(SignerMismatchError) as raised:
        verify_record_signature(RECORD, DOMAIN, signature, COW)
    assert raised.value.expected == COW
    assert raised.value.calculated == Account.from_key(OTHER_KEY).address
    assert isinstance(raised.value, VerificationError)


def test_verify_rejects_a_record_naming_another_submitter() -> None:
    # Bob signs a record that claims Cow submitted it: Bob's signature is genuine, the
    # attribution is not.
    bob = Account.from_key(OTHER_KEY).address
    signature = sign_record(RECORD, DOMAIN, OTHER_KEY)
    assert recover_record_signer(RECORD, DOMAIN, signature) == bob
    with pytest.raises(SignerMismatchError) as raised:
        verify_record_signature(RECORD, DOMAIN, signature, bob)
    assert raised.value.expected == COW and raised.value.calculated == bob


# --- malformed signatures ------------------------------------------------------------------


def _with(
    signature: bytes, *, r: int | None = None, s: int | None = None, v: int | None = None
) -> bytes:
    r_bytes = signature[:32] if r is None else r.to_bytes(32, "big")
    s_bytes = signature[32:64] if s is None else s.to_bytes(32, "big")
    return r_bytes + s_bytes + bytes((signature[64] if v is None else v,))


def _x_not_on_curve() -> int:
    """Smallest x with no secp256k1 point: x**3 + 7 is a non-residue mod p."""
    p = 2**256 - 2**32 - 977
    return next(x for x in range(1, 100) if pow(x**3 + 7, (p - 1) // 2, p) != 1)


def _malformed() -> list[tuple[str, bytes]]:
    good = sign_record(RECORD, DOMAIN, COW_KEY)
    s = int.from_bytes(good[32:64], "big")
    return [
        ("64 bytes", good[:64]),
        ("66 bytes", good + b"\x00"),
        ("empty", b""),
        ("v = 0", _with(good, v=0)),
        ("v = 1", _with(good, v=1)),
        ("v = 29", _with(good, v=29)),
        ("v = 37 (EIP-155 style)", _with(good, v=37)),
        ("high s twin", _with(good, s=SECP256K1_ORDER - s, v=55 - good[64])),
        ("r = 0", _with(good, r=0)),
        ("s = 0", _with(good, s=0)),
        ("r = n", _with(good, r=SECP256K1_ORDER)),
        ("s = n", _with(good, s=SECP256K1_ORDER)),
        ("r = 2**256 - 1", _with(good, r=2**256 - 1)),
        ("r not an x coordinate", _with(good, r=_x_not_on_curve())),
    ]


@pytest.mark.parametrize(("reason", "signature"), _malformed(), ids=[m[0] for m in _malformed()])
def test_malformed_signatures_rejected(reason: str, signature: bytes) -> None:
    with pytest.raises(SignatureError):
        recover_record_signer(RECORD, DOMAIN, signature)
    with pytest.raises(SignatureError):
        verify_record_signature(RECORD, DOMAIN, signature, COW)


def test_high_s_twin_is_what_eth_account_would_recover() -> None:
    # The twin is a mathematically valid signature by the same key (malleability); EIP-2
    # low-s is why we refuse it, not because it fails to recover.
    good = sign_record(RECORD, DOMAIN, COW_KEY)
    s = int.from_bytes(good[32:64], "big")
    assert s <= SECP256K1_ORDER // 2
    twin = _with(good, s=SECP256K1_ORDER - s, v=55 - good[64])
    from eth_keys import keys

    recovered = keys.Signature(
        twin[:64] + bytes((twin[64] - 27,))
    ).recover_public_key_from_msg_hash(record_digest(RECORD, DOMAIN))
    assert recovered.to_checksum_address() == COW


def test_non_bytes_signature_rejected() -> None:
    good = sign_record(RECORD, DOMAIN, COW_KEY)
    with pytest.raises(SignatureError):
        recover_record_signer(RECORD, DOMAIN, good.hex())  # type: ignore[arg-type]
    with pytest.raises(SignatureError):
        recover_record_signer(RECORD, DOMAIN, bytearray(good))  # type: ignore[arg-type]


# --- inputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", [b"", bytes(31), bytes(32), SECP256K1_ORDER.to_bytes(32, "big"), b"\xff" * 32]
)
def test_bad_private_keys_rejected(key: bytes) -> None:
    with pytest.raises(SigningKeyError):
        sign_record(RECORD, DOMAIN, key)


def test_record_and_domain_validate_and_normalize() -> None:
    lower = TraceRecord(event_hash=EVENT_HASH, submitter=COW.lower())
    assert lower == RECORD and lower.submitter == COW
    for event_hash in (EVENT_HASH[:31], EVENT_HASH + b"\x00", EVENT_HASH.hex()):
        with pytest.raises(TypedDataError):
            TraceRecord(event_hash=event_hash, submitter=COW)  # type: ignore[arg-type]
    letter = next(i for i, char in enumerate(COW) if i >= 2 and char.isalpha())
    bad_checksum = COW[:letter] + COW[letter].swapcase() + COW[letter + 1 :]
    for submitter in ("0x" + "1" * 39, COW[2:], bad_checksum):
        with pytest.raises(TypedDataError):
            TraceRecord(event_hash=EVENT_HASH, submitter=submitter)
    for chain_id in (-1, 2**256, True, "1"):
        with pytest.raises(TypedDataError):
            RecordDomain(chain_id=chain_id, verifying_contract="0x" + "7a" * 20)  # type: ignore[arg-type]
    with pytest.raises(TypedDataError):
        RecordDomain(chain_id=1, verifying_contract="0x7a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        RECORD.submitter = COW  # type: ignore[misc]


def test_equal_domains_hash_alike() -> None:
    again = RecordDomain(
        chain_id=7357, verifying_contract=("0x" + "7a" * 20).upper().replace("0X", "0x")
    )
    assert again == DOMAIN and hash(again) == hash(DOMAIN)
    assert again.domain_separator == DOMAIN.domain_separator


# --- properties -------------------------------------------------------------------------------

PRIVATE_KEYS = st.integers(min_value=1, max_value=SECP256K1_ORDER - 1).map(
    lambda k: k.to_bytes(32, "big")
)
ADDRESSES = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())


@settings(max_examples=150, deadline=None)
@given(
    private_key=PRIVATE_KEYS,
    event_hash=st.binary(min_size=32, max_size=32),
    chain_id=st.integers(min_value=0, max_value=2**256 - 1),
    contract=ADDRESSES,
)
def test_random_keys_round_trip_and_match_eth_account(
    private_key: bytes, event_hash: bytes, chain_id: int, contract: str
) -> None:
    signer = Account.from_key(private_key).address
    domain = RecordDomain(chain_id=chain_id, verifying_contract=contract)
    record = TraceRecord(event_hash=event_hash, submitter=signer)
    signature = sign_record(record, domain, private_key)
    assert int.from_bytes(signature[32:64], "big") <= SECP256K1_ORDER // 2
    assert recover_record_signer(record, domain, signature) == signer
    verify_record_signature(record, domain, signature, signer)
    oracle = Account.sign_message(_oracle_message(record, domain), private_key)
    assert bytes(oracle.signature) == signature
    assert oracle.message_hash == record_digest(record, domain)


@settings(max_examples=100, deadline=None)
@given(
    private_key=PRIVATE_KEYS, event_hash=st.binary(min_size=32, max_size=32), submitter=ADDRESSES
)
def test_recovery_does_not_depend_on_the_submitter_field(
    private_key: bytes, event_hash: bytes, submitter: str
) -> None:
    # sign_record signs whatever record it is given; attribution is checked by verify.
    record = TraceRecord(event_hash=event_hash, submitter=submitter)
    signature = sign_record(record, DOMAIN, private_key)
    assert recover_record_signer(record, DOMAIN, signature) == Account.from_key(private_key).address
