"""Recovering the Clique (EIP-225) sealer of a block from its JSON-RPC header.

Clique puts the sealer's 65-byte secp256k1 signature at the end of `extraData`
(EIP-225 "EXTRA_SEAL") and leaves `miner` for votes, so the sealer is recovered from
keccak256(rlp(header with extraData minus the seal)). We only report a sealer when the
fields we re-encode hash to the block's own hash, so a fork with header fields we do not
know yields None rather than a wrong address.
"""

from __future__ import annotations

from typing import Any

import rlp
from eth_keys import keys
from eth_keys.exceptions import BadSignature, ValidationError
from eth_utils import keccak, to_checksum_address

#: EIP-225: 32 bytes of vanity, then signer list (checkpoint blocks only), then the seal.
EXTRA_VANITY = 32
EXTRA_SEAL = 65

#: Header fields in RLP order; optional fork fields follow when the node reports them.
_BASE_FIELDS = (
    "parentHash",
    "sha3Uncles",
    "miner",
    "stateRoot",
    "transactionsRoot",
    "receiptsRoot",
    "logsBloom",
    "difficulty",
    "number",
    "gasLimit",
    "gasUsed",
    "timestamp",
    "extraData",
    "mixHash",
    "nonce",
)
_OPTIONAL_FIELDS = (
    "baseFeePerGas",
    "withdrawalsRoot",
    "blobGasUsed",
    "excessBlobGas",
    "parentBeaconBlockRoot",
    "requestsHash",
)
_INTEGER_FIELDS = frozenset(
    {
        "difficulty",
        "number",
        "gasLimit",
        "gasUsed",
        "timestamp",
        "baseFeePerGas",
        "blobGasUsed",
        "excessBlobGas",
    }
)


def recover_clique_sealer(block: dict[str, Any]) -> str | None:
    """The EIP-55 address that sealed `block` under Clique, or None if it is not a
    Clique-sealed header (extraData too short) or the re-encoded header does not hash to
    the block hash."""
    extra = _bytes(block.get("extraData", "0x"))
    if len(extra) < EXTRA_VANITY + EXTRA_SEAL:
        return None
    try:
        fields = [_field(name, block[name]) for name in _BASE_FIELDS]
        fields += [
            _field(name, block[name]) for name in _OPTIONAL_FIELDS if block.get(name) is not None
        ]
    except (KeyError, ValueError):
        return None
    if keccak(rlp.encode(fields)) != _bytes(block["hash"]):
        return None
    extra_index = _BASE_FIELDS.index("extraData")
    fields[extra_index] = extra[:-EXTRA_SEAL]
    seal = extra[-EXTRA_SEAL:]
    try:
        signature = keys.Signature(
            seal[:64] + bytes([seal[64] % 27 if seal[64] >= 27 else seal[64]])
        )
        public_key = signature.recover_public_key_from_msg_hash(keccak(rlp.encode(fields)))
    except (BadSignature, ValidationError, ValueError):  # not a Clique seal we can read
        return None
    return str(to_checksum_address(public_key.to_canonical_address()))


def _field(name: str, value: Any) -> bytes | int:
    if name in _INTEGER_FIELDS:
        return int(value, 16)
    return _bytes(value)


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))
