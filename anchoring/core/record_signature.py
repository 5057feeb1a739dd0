"""EIP-712 record signatures: an enterprise's secp256k1 key vouches for an event hash.

DESIGN.md decision 3. A submitter signs, with eth_signTypedData_v4 semantics (EIP-712),
the struct

    TraceRecord(bytes32 eventHash,address submitter)

under the domain

    EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)
    name = "TraceLedger", version = "1", chainId = the ledger's chain id,
    verifyingContract = the TraceAnchor contract address.

`eventHash` is the 32-byte SHA-256 digest inside the record's CBV 2.0 Event Hash ID
(`ni:///sha-256;<hex>?ver=CBV2.0`); `submitter` is the enterprise's address. The struct
holds no time: the event's own times are inside the hashed event, and the receive time
is the platform's statement, committed in the log leaf (decision 4), not the signer's.
Chain id and contract in the domain stop a signature made for one ledger from counting
on another.

**Changing the type string, the domain name or version, or the signature layout breaks
every signature ever made.** A new struct needs a new domain version.

Signatures are 65 bytes r ‖ s ‖ v with v ∈ {27, 28} and s ≤ n/2 (EIP-2 low-s), the form
eth_account and wallets produce; signing is RFC 6979 deterministic (libsecp256k1 via
coincurve), so nothing here draws randomness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from coincurve import PrivateKey, PublicKey

from anchoring.core.eip712 import format_address, parse_address
from anchoring.core.errors import (
    SignatureError,
    SignerMismatchError,
    SigningKeyError,
    TypedDataError,
)
from anchoring.core.keccak import keccak256

__all__ = [
    "RECORD_DOMAIN_NAME",
    "RECORD_DOMAIN_VERSION",
    "RECORD_TYPES",
    "RECORD_TYPE_STRING",
    "RecordDomain",
    "TraceRecord",
    "record_digest",
    "recover_record_signer",
    "sign_record",
    "verify_record_signature",
]

RECORD_TYPE_STRING: Final = "TraceRecord(bytes32 eventHash,address submitter)"
"""encodeType(TraceRecord); its keccak256 is the struct's typeHash. Never change it."""

RECORD_TYPES: Final = {
    "TraceRecord": [
        {"name": "eventHash", "type": "bytes32"},
        {"name": "submitter", "type": "address"},
    ]
}
"""The same struct as eth_signTypedData_v4 `types`, for wallets and the generic encoder."""

RECORD_DOMAIN_NAME: Final = "TraceLedger"
RECORD_DOMAIN_VERSION: Final = "1"

SIGNATURE_SIZE: Final = 65
"""r (32) ‖ s (32) ‖ v (1)."""

SECP256K1_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""n, the order of the secp256k1 group (SEC 2 §2.4.1)."""

_HALF_ORDER: Final = SECP256K1_ORDER // 2
_TYPE_HASH: Final = keccak256(RECORD_TYPE_STRING.encode("ascii"))
_DOMAIN_TYPE_HASH: Final = keccak256(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_ADDRESS_PAD: Final = bytes(12)
_DIGEST_PREFIX: Final = b"\x19\x01"


@dataclass(frozen=True, slots=True)
class TraceRecord:
    """What a submitter signs: an event hash and the submitter's own address.

    `event_hash` must be 32 bytes; `submitter` is any spelling of a 20-byte address
    (`0x` + 40 hex digits, EIP-55 checked when mixed case) and is stored in EIP-55 form.
    Raises `TypedDataError` otherwise.
    """

    event_hash: bytes
    submitter: str

    def __post_init__(self) -> None:
        if not isinstance(self.event_hash, bytes) or len(self.event_hash) != 32:
            raise TypedDataError("event_hash must be 32 bytes (a SHA-256 digest)")
        object.__setattr__(self, "submitter", _checksummed(parse_address(self.submitter)))


@dataclass(frozen=True, slots=True)
class RecordDomain:
    """The ledger a signature is for: its chain id and its TraceAnchor contract address.

    `chain_id` must be an `int` in 0 .. 2**256 - 1; `verifying_contract` is stored in
    EIP-55 form. Raises `TypedDataError` otherwise.
    """

    chain_id: int
    verifying_contract: str
    domain_separator: bytes = field(init=False, repr=False, compare=False)
    """The EIP-712 domain separator, computed once here because every digest needs it."""

    def __post_init__(self) -> None:
        if (
            isinstance(self.chain_id, bool)
            or not isinstance(self.chain_id, int)
            or not 0 <= self.chain_id < 1 << 256
        ):
            raise TypedDataError(f"chain_id must be a uint256, got {self.chain_id!r}")
        contract = _checksummed(parse_address(self.verifying_contract))
        object.__setattr__(self, "verifying_contract", contract)
        object.__setattr__(self, "domain_separator", _domain_separator(self.chain_id, contract))

    def as_eip712_domain(self) -> dict[str, str | int]:
        """Return the domain as eth_signTypedData_v4 JSON (`name`, `version`, `chainId`,
        `verifyingContract`), e.g. for a wallet or for `eip712.domain_separator`."""
        return {
            "name": RECORD_DOMAIN_NAME,
            "version": RECORD_DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


def record_digest(record: TraceRecord, domain: RecordDomain) -> bytes:
    """Return the 32-byte EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(record)).

    Equal to `eip712.typed_data_digest(domain.as_eip712_domain(), RECORD_TYPES,
    "TraceRecord", {...})`, computed with two keccak calls and the domain's stored separator.
    """
    # hashStruct = keccak256(typeHash ‖ eventHash ‖ uint160(submitter) left-padded), EIP-712 encodeData
    struct_hash = keccak256(
        _TYPE_HASH + record.event_hash + _ADDRESS_PAD + bytes.fromhex(record.submitter[2:])
    )
    return keccak256(_DIGEST_PREFIX + domain.domain_separator + struct_hash)


def sign_record(record: TraceRecord, domain: RecordDomain, private_key: bytes) -> bytes:
    """Return the 65-byte signature r ‖ s ‖ v (v ∈ {27, 28}, low s) of the record digest.

    Deterministic (RFC 6979). Does not check that the key belongs to `record.submitter`;
    `verify_record_signature` does. Raises `SigningKeyError` for a key that is not 32
    bytes in 1 .. n-1.
    """
    if not isinstance(private_key, bytes) or len(private_key) != 32:
        raise SigningKeyError("a secp256k1 private key is 32 bytes")
    if not 0 < int.from_bytes(private_key, "big") < SECP256K1_ORDER:
        raise SigningKeyError("a secp256k1 private key must lie in 1 .. n-1")
    # libsecp256k1 signs with RFC 6979 nonces and always returns the low-s form.
    compact = PrivateKey(private_key).sign_recoverable(record_digest(record, domain), hasher=None)
    return compact[:64] + bytes((27 + compact[64],))


def recover_record_signer(record: TraceRecord, domain: RecordDomain, signature: bytes) -> str:
    """Return the EIP-55 address whose key made `signature` over the record digest.

    Raises `SignatureError` for a malformed signature (length not 65, v not 27/28,
    r or s not in 1 .. n-1, s > n/2) or one from which no key recovers. Any well-formed
    signature recovers *some* address: compare it, or use `verify_record_signature`.
    """
    recovery_id = _check_signature(signature)
    digest = record_digest(record, domain)
    try:
        public_key = PublicKey.from_signature_and_message(
            signature[:64] + recovery_id, digest, hasher=None
        )
    except ValueError as exc:  # no curve point has this r, or the recovered key is infinity
        raise SignatureError("signature does not recover to a public key") from exc
    # address = last 20 bytes of keccak256(uncompressed X ‖ Y), Ethereum yellow paper eq. 284
    address = keccak256(public_key.format(compressed=False)[1:])[12:]
    return _checksummed(address)


def verify_record_signature(
    record: TraceRecord, domain: RecordDomain, signature: bytes, expected_signer: str
) -> None:
    """Return None if `signature` over `record` in `domain` was made by `expected_signer`
    and the record names that same address as its submitter.

    Raises `SignatureError` for a malformed signature, `SignerMismatchError` if the
    signature recovers to another address or the record names another submitter, and
    `TypedDataError` if `expected_signer` is not an address.
    """
    expected = _checksummed(parse_address(expected_signer))
    recovered = recover_record_signer(record, domain, signature)
    if recovered != expected:
        raise SignerMismatchError(expected, recovered)
    if record.submitter != expected:
        # Signed by the expected key, but the record attributes itself to someone else.
        raise SignerMismatchError(record.submitter, recovered)


def _check_signature(signature: bytes) -> bytes:
    """Check r ‖ s ‖ v shape and ranges; return the recovery id (v - 27) as one byte."""
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        raise SignatureError(f"a record signature is {SIGNATURE_SIZE} bytes r || s || v")
    v = signature[64]
    if v != 27 and v != 28:
        raise SignatureError(f"signature v must be 27 or 28, got {v}")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    if not 0 < r < SECP256K1_ORDER:
        raise SignatureError("signature r must lie in 1 .. n-1")
    if not 0 < s <= _HALF_ORDER:
        # EIP-2: (r, n - s) is the same signature's twin; accepting both makes it malleable.
        raise SignatureError("signature s must lie in 1 .. n/2 (EIP-2 low-s form)")
    return b"\x00" if v == 27 else b"\x01"


def _domain_separator(chain_id: int, verifying_contract: str) -> bytes:
    # hashStruct(EIP712Domain{name, version, chainId, verifyingContract}), EIP-712 encodeData
    return keccak256(
        _DOMAIN_TYPE_HASH
        + keccak256(RECORD_DOMAIN_NAME.encode("utf-8"))
        + keccak256(RECORD_DOMAIN_VERSION.encode("utf-8"))
        + chain_id.to_bytes(32, "big")
        + _ADDRESS_PAD
        + bytes.fromhex(verifying_contract[2:])
    )


@lru_cache(maxsize=16_384)
def _checksummed(address: bytes) -> str:
    # A consortium has at most thousands of submitters and they recur; EIP-55 costs a
    # keccak call and ~3 µs per formatting, a tenth of a recovery. ~4 MB when full.
    return format_address(address)
