"""Errors of the anchoring services (log store, sequencer, serving, anchorer, witness).

One base class, `AnchoringError`; errors carry the values that explain them. Errors
of the pure core live in `anchoring.core.errors`.
"""

from __future__ import annotations


class AnchoringError(Exception):
    """Base class of every error raised by the anchoring services."""


class TileFormatError(AnchoringError, ValueError):
    """A tile path, tile body or entry bundle is malformed (c2sp.org/tlog-tiles)."""


class TileUnavailableError(AnchoringError, LookupError):
    """The tile, bundle or range does not exist at the requested tree size."""


class StoreError(AnchoringError):
    """The log store could not complete an operation; nothing was committed."""


class StoreCorruptionError(StoreError):
    """Stored state violates an invariant (gap in the queue, tile width mismatch...).

    Never retried: an operator must look.
    """


class KeyFileError(AnchoringError):
    """A key file is missing, malformed, or the passphrase does not open it."""


class ChainError(AnchoringError):
    """A JSON-RPC call to the chain failed; retryable (node down, timeout)."""


class AnchorConflictError(AnchoringError):
    """The chain holds a head that the log's own tiles contradict: a fork. Permanent."""

    def __init__(self, tree_size: int, chain_root: bytes, log_root: bytes) -> None:
        super().__init__(
            f"anchored head at size {tree_size} has root {chain_root.hex()}, "
            f"the log's tiles give {log_root.hex()}"
        )
        self.tree_size = tree_size
        self.chain_root = chain_root
        self.log_root = log_root


class WitnessAlarm(AnchoringError):
    """The witness saw a rollback or an inconsistent checkpoint and refuses to cosign."""


class AddCheckpointRejected(AnchoringError):
    """A witness refused an add-checkpoint request (c2sp.org/tlog-witness); carries the
    HTTP status the spec prescribes and, for 409, the body (the latest cosigned size)."""

    def __init__(self, status: int, message: str, *, body: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class LogVerificationError(AnchoringError):
    """`log verify` found the served log inconsistent with its checkpoint or the chain."""
