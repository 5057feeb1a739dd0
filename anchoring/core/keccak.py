"""Keccak-256 (the pre-NIST SHA-3 padding Ethereum uses), from the fastest backend present.

`safe-pysha3` (locked, via eth-hash) hashes a 96-byte input in about 1 µs; eth-hash's
automatic choice here is pycryptodome at about 5-8 µs. Record-signature recovery calls
keccak three times, so the backend matters for its throughput; the result never does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

__all__ = ["keccak256"]


def _select_backend() -> Callable[[bytes], bytes]:
    try:
        from sha3 import keccak_256  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - depends on the installed packages
        from eth_hash.auto import keccak

        return keccak

    def pysha3_keccak256(data: bytes) -> bytes:
        digest: bytes = keccak_256(data).digest()
        return digest

    return pysha3_keccak256


keccak256: Final[Callable[[bytes], bytes]] = _select_backend()
"""Return Keccak-256(data), 32 bytes."""

# Guard against a backend that silently computes NIST SHA3-256 instead (different padding).
if keccak256(b"").hex() != "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470":
    raise ImportError("keccak256 backend does not compute Keccak-256")  # pragma: no cover
