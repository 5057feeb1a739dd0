"""Errors of the indexer: one base class, split into retryable and permanent.

Retryable errors (node down, a reorg racing a fetch, a dropped database connection) may
succeed if the same step is tried again after a pause. Permanent errors (malformed node
data that stays malformed, a database that rejects a write, a reorg below a final block)
stop the indexer; nothing of the failed range is committed either way.
"""

from __future__ import annotations

from contracts.rpc_client import RpcError as NodeRpcError


class IndexerError(Exception):
    """Base class of every error the indexer raises."""


class RetryableError(IndexerError):
    """The step may succeed if tried again later."""


class PermanentError(IndexerError):
    """Trying again will not help; the indexer stops with this error."""


# ---------------------------------------------------------------- source (JSON-RPC)


class NodeUnavailableError(RetryableError):
    """The node did not answer (connection refused, timeout, HTTP 5xx) after all retries."""


class RpcError(NodeRpcError, IndexerError):
    """The node answered a JSON-RPC request with an error object (`method`, `code`,
    `message`, `data` as the shared client's `RpcError`)."""


class RangeTooLargeError(RpcError, RetryableError):
    """The node refused an eth_getLogs range as too wide or too many results; split it."""


class RpcRequestError(RpcError, PermanentError):
    """The node rejected a request for a reason splitting or retrying will not fix."""


class InconsistentChainDataError(RetryableError):
    """The node's answers contradict each other (a log's block hash differs from the
    block's, a missing block, a broken parent link inside a range). Often a reorg racing
    the fetch, so it is retried a bounded number of times, then reported as permanent."""

    def __init__(self, message: str, *, block_number: int | None = None) -> None:
        super().__init__(message)
        self.block_number = block_number


class MalformedNodeDataError(PermanentError):
    """A node answer is not well-formed (missing fields, bad hex, undecodable event)."""


# ---------------------------------------------------------------- chain / reorgs


class ReorgDetectedError(RetryableError):
    """The next block's parent hash is not the checkpoint's hash: walk back."""

    def __init__(self, block_number: int, expected_parent: str, actual_parent: str) -> None:
        super().__init__(
            f"reorg at block {block_number}: parent {actual_parent} != stored {expected_parent}"
        )
        self.block_number = block_number
        self.expected_parent = expected_parent
        self.actual_parent = actual_parent


class FinalityViolationError(PermanentError):
    """A reorg would remove a block the indexer already marked final."""

    def __init__(self, ancestor_number: int, finalized_number: int) -> None:
        super().__init__(
            f"reorg back to block {ancestor_number} would remove final blocks up to "
            f"{finalized_number}; raise --confirmations or re-index from scratch"
        )
        self.ancestor_number = ancestor_number
        self.finalized_number = finalized_number


class ConfigurationError(PermanentError):
    """The database was indexed for another chain or other contracts than configured."""


# ---------------------------------------------------------------- sink (SQL)


class DatabaseWriteError(PermanentError):
    """The database rejected a write; the whole range was rolled back."""

    def __init__(self, message: str, *, first_block: int, last_block: int) -> None:
        super().__init__(message)
        self.first_block = first_block
        self.last_block = last_block


class DatabaseUnavailableError(RetryableError):
    """The database connection failed; the whole range was rolled back."""


class CheckpointConflictError(RetryableError):
    """The checkpoint moved under us (another indexer on the same database)."""
