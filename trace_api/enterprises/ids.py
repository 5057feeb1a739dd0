"""Enterprise ids and hashes put on chain.

**Enterprise id** (`MemberRegistry` bytes32, stable across key rotations):
`keccak256(USCC)` over the 18 ASCII characters of the normalised Unified Social Credit
Code (GB 32100, upper case, validated). Anyone holding a licence can recompute it, an
enterprise can be registered once, and the id reveals nothing a public licence doesn't.
Written `0x` + 64 lowercase hex in the API.

**Metadata hash**: keccak256 of the RFC 8785 canonical JSON of
`{"name", "uscc", "sectors", "companyPrefixes", "glns"}` as registered, so the off-chain
record can be checked against the chain.

**Reason hash** (suspension): keccak256 of the UTF-8 reason text kept in the API.
"""

from __future__ import annotations

from collections.abc import Sequence

from anchoring.core import canonical_json
from anchoring.core.keccak import keccak256

SECTOR_BITS = {"food": 1, "special_equipment": 2}
"""MemberRegistry.SECTOR_FOOD / SECTOR_SPECIAL_EQUIPMENT."""


def enterprise_id_for(uscc: str) -> str:
    """`0x` + hex keccak256 of a normalised, validated USCC."""
    return "0x" + keccak256(uscc.encode("ascii")).hex()


def sectors_mask(sectors: Sequence[str]) -> int:
    """The MemberRegistry sector bitmask of sector names."""
    mask = 0
    for sector in sectors:
        mask |= SECTOR_BITS[sector]
    return mask


def metadata_hash(*, name: str, uscc: str, sectors: Sequence[str], prefixes: Sequence[str],
                  glns: Sequence[str]) -> bytes:
    """keccak256 of the canonical JSON of the registered enterprise record."""
    record = {"name": name, "uscc": uscc, "sectors": sorted(sectors),
              "companyPrefixes": list(prefixes), "glns": list(glns)}
    return keccak256(canonical_json(record))


def reason_hash(reason: str) -> bytes:
    return keccak256(reason.encode("utf-8"))


def id_bytes(enterprise_id: str) -> bytes:
    return bytes.fromhex(enterprise_id[2:])
