"""Keccak-256 backend choice for the node process.

eth-hash picks pycryptodome by default; its keccak costs ~5 us a call through ctypes and
releases the GIL on every call, so under load the admission thread waits for the sealer
thread at each hash (measured: admission ~10x slower). safe-pysha3 (C, ~0.7 us, keeps the
GIL for small inputs) is in the lock as eth-hash's pysha3 extra; the node uses it when
importable. Same function, same digests: only speed changes.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def use_fast_keccak() -> str:
    """Point eth-hash's shared `keccak` at the pysha3 backend if available; return the
    backend name in use ("pysha3" or "default")."""
    try:
        from eth_hash.auto import keccak
        from eth_hash.backends.pysha3 import backend
    except ImportError:
        return "default"
    empty = backend.keccak256(b"")
    if empty.hex() != "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470":
        return "default"  # pragma: no cover - a broken sha3 module
    keccak.hasher = backend.keccak256  # type: ignore[method-assign]
    keccak.preimage = backend.preimage  # type: ignore[method-assign]
    return "pysha3"
