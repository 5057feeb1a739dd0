"""Errors of the ledger node. Callers catch `LedgerNodeError`; RPC errors carry a JSON-RPC code."""

from __future__ import annotations

from typing import Any


class LedgerNodeError(Exception):
    """Base class of every error the ledger node raises on purpose."""


class StoreError(LedgerNodeError):
    """The durable store is missing, corrupt, or was opened with the wrong layout."""


class GenesisError(LedgerNodeError):
    """`init` could not build the genesis or the bootstrap block."""


class KeyStoreError(LedgerNodeError):
    """A keystore could not be read or decrypted (wrong passphrase, missing file)."""


class RpcError(LedgerNodeError):
    """A JSON-RPC error object: `code`, `message` and optional `data` (EIP-1474 codes)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        """Return the `error` member of a JSON-RPC response."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


# JSON-RPC 2.0 / EIP-1474 codes, one place.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000  # geth's generic code for rejected transactions and state errors
LIMIT_EXCEEDED = -32005
EXECUTION_REVERTED = 3  # geth: eth_call / eth_estimateGas revert, data = revert bytes


def invalid_params(message: str) -> RpcError:
    """An RpcError with code -32602."""
    return RpcError(INVALID_PARAMS, message)


class BlockRejectedError(LedgerNodeError):
    """A block from elsewhere (a node's RPC, a block file) does not verify, so it is not
    adopted; says which block and why. (Not `anchoring.core.errors.VerificationError`,
    which is about records.)"""

    def __init__(self, block_number: int, reason: str) -> None:
        super().__init__(f"block {block_number}: {reason}")
        self.block_number = block_number
        self.reason = reason


class TxRejected(RpcError):
    """A transaction refused by admission (geth's -32000 family, geth's message text)."""

    def __init__(self, message: str) -> None:
        super().__init__(SERVER_ERROR, message)


class UnknownParentError(LedgerNodeError):
    """A block whose parent is not on this node's chain: not necessarily bad, the sender
    may be on a fork that started earlier (ask it for earlier blocks)."""

    def __init__(self, block_number: int, parent_hash: bytes) -> None:
        super().__init__(f"block {block_number}: parent 0x{parent_hash.hex()} is not on this "
                         "node's chain")
        self.block_number = block_number
        self.parent_hash = parent_hash
