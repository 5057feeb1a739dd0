"""Where blocks are built: in a child process (default) or in a thread of the node process.

py-evm execution is pure Python: in a thread it shares the GIL with admission and the RPC,
so the two take turns on one core. The child process (`SealerProcess`) owns the only
writing connection to the store and builds blocks on the second core; the node process
keeps admission, the pool and all RPC reads (SQLite WAL lets it read while the child
writes). The node sends a batch as (raw bytes, sender) pairs: the child trusts the sender
admission recovered, decodes the RLP only, executes, seals, commits, and answers with a
`SealedBlock`. If the node process dies, the child sees its pipe close and exits; a block
being committed at that moment is committed whole or not at all.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from eth.abc import BlockAPI, BlockHeaderAPI
from eth.vm.forks.cancun.blocks import CancunBlock
from eth_keys import keys as eth_keys
from eth_utils import keccak

from ledger_node.chain import BranchResult, BuiltBlock, LedgerChain, decode_header, load_config
from ledger_node.errors import BlockRejectedError, LedgerNodeError, UnknownParentError
from ledger_node.store import LedgerStore, LogRow
from ledger_node.transactions import TRANSACTION_BUILDER, SignedTx

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class SealedBlock:
    """What the node needs after a block: its header, the fate of each batch transaction
    (by hash) and the logs for subscribers."""

    header_rlp: bytes
    included: tuple[bytes, ...]
    deferred: tuple[bytes, ...]
    dropped: tuple[tuple[bytes, str], ...]
    logs: tuple[LogRow, ...]

    @property
    def header(self) -> BlockHeaderAPI:
        return decode_header(self.header_rlp)

    @classmethod
    def from_built(cls, built: BuiltBlock) -> SealedBlock:
        import rlp

        return cls(
            header_rlp=rlp.encode(built.block.header),
            included=tuple(s.hash for s in built.included),
            deferred=tuple(s.hash for s in built.deferred),
            dropped=tuple((s.hash, reason) for s, reason in built.dropped),
            logs=built.logs,
        )

    @classmethod
    def imported(cls, block: BlockAPI, logs: tuple[LogRow, ...]) -> SealedBlock:
        """A block another node sealed and this one verified and committed."""
        import rlp

        return cls(rlp.encode(block.header), tuple(tx.hash for tx in block.transactions),
                   (), (), logs)


@dataclass(frozen=True)
class ImportedBranch:
    """What importing a peer's blocks did: the blocks adopted, in order; for a reorg, the
    last block kept and the (raw, sender) of the transactions in the blocks replaced."""

    blocks: tuple[SealedBlock, ...]
    replaced_after: int | None
    orphaned: tuple[tuple[bytes, bytes], ...]

    @classmethod
    def from_result(cls, result: BranchResult) -> ImportedBranch:
        return cls(
            tuple(SealedBlock.imported(a.block, a.logs) for a in result.adopted),
            result.replaced_after,
            tuple((t.raw, t.sender) for t in result.orphaned),
        )


class SealerError(LedgerNodeError):
    """The sealer failed to build a block (nothing was committed)."""


def decode_block(block_rlp: bytes) -> BlockAPI:
    """A block from its RLP (header, transactions, uncles, withdrawals), as peers send it.
    Raises BlockRejectedError(-1, ...) if it is not one."""
    import rlp

    try:
        return rlp.decode(block_rlp, sedes=CancunBlock)  # type: ignore[no-any-return]
    except Exception as exc:  # rlp raises several DecodingError/DeserializationError kinds
        raise BlockRejectedError(-1, f"not an RLP block: {exc.__class__.__name__}") from exc


def _trusted_tx(raw: bytes, sender: bytes) -> SignedTx:
    tx = TRANSACTION_BUILDER.decode(raw)
    tx.__dict__["sender"] = sender  # recovered and checked by admission in the node process
    return SignedTx(tx=tx, hash=keccak(raw), sender=sender, raw=raw)


class _ChainSealer:
    """add/seal over a LedgerChain that holds the sealer key (used in both modes)."""

    def __init__(self, chain: LedgerChain) -> None:
        self.chain = chain

    def add(
        self, batch: Sequence[SignedTx], timestamp: int, proposals: Mapping[bytes, bool]
    ) -> list[bytes]:
        if not self.chain.has_open_block:
            self.chain.open_block(timestamp, proposals)
        try:
            return [s.hash for s in self.chain.add_transactions(batch)]
        except BaseException:
            self.chain.discard_block()
            raise

    def seal(self, timestamp: int, proposals: Mapping[bytes, bool]) -> SealedBlock:
        if not self.chain.has_open_block:
            self.chain.open_block(timestamp, proposals)
        return SealedBlock.from_built(self.chain.seal_block())

    def import_branch(self, block_rlps: Sequence[bytes]) -> ImportedBranch | None:
        """Discard the open block (its transactions go back to the node's pool) and adopt
        a peer's consecutive blocks if they verify and make a better chain (None if not).
        Raises BlockRejectedError or UnknownParentError."""
        if self.chain.has_open_block:
            self.chain.discard_block()
        result = self.chain.import_branch([decode_block(b) for b in block_rlps])
        return None if result is None else ImportedBranch.from_result(result)


def _die_with_parent(parent_pid: int) -> None:
    # Linux PR_SET_PDEATHSIG: if the node process is killed (even with SIGKILL), the kernel
    # kills the sealer too, so no orphan can write after a new node opened the store.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the closed pipe still ends the loop
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def sealer_main(
    connection: Connection, store_path: str, sealer_keys: list[bytes], parent_pid: int
) -> None:
    """Child process entry: serve ("add", pairs, timestamp, proposals) and ("seal",
    timestamp, proposals) requests on `connection` until it closes or sends None."""
    from ledger_node.hashing import use_fast_keccak
    from ledger_node.recursion import apply_node_recursion_limit

    _die_with_parent(parent_pid)
    apply_node_recursion_limit()  # the same limit as the node process, for the same EVM

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    use_fast_keccak()
    store = LedgerStore(Path(store_path))
    chain = LedgerChain(store, load_config(store), [eth_keys.PrivateKey(k) for k in sealer_keys])
    del sealer_keys
    sealer = _ChainSealer(chain)
    connection.send(("ready", chain.head_header.block_number))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            break  # the node process is gone
        if message is None:
            break
        try:
            if message[0] == "add":
                _, pairs, timestamp, proposals = message
                txs = [_trusted_tx(raw, sender) for raw, sender in pairs]
                reply: tuple[str, object] = ("added", sealer.add(txs, timestamp, proposals))
            elif message[0] == "import":
                reply = ("imported", sealer.import_branch(message[1]))
            else:
                reply = ("block", sealer.seal(message[1], message[2]))
        except BlockRejectedError as exc:  # custom exceptions do not pickle: send the fields
            reply = ("rejected", (exc.block_number, exc.reason))
        except UnknownParentError as exc:
            reply = ("unknown-parent", (exc.block_number, exc.parent_hash))
        except Exception as exc:  # reported to the node, which requeues its transactions
            logger.exception("block build failed; the open block is discarded")
            if chain.has_open_block:  # the node puts all of its transactions back
                chain.discard_block()
            reply = ("error", f"{exc.__class__.__name__}: {exc}")
        connection.send(reply)
    store.close()


class SealerProcess:
    """Builds blocks in a spawned child process. `add` executes transactions in the open
    block, `seal` commits it; both block until the child answers."""

    def __init__(self, store_path: Path, sealer_keys: list[bytes]) -> None:
        context = multiprocessing.get_context("spawn")  # no inherited SQLite handles
        self._connection, child_end = context.Pipe()
        self._process = context.Process(
            target=sealer_main, args=(child_end, str(store_path), sealer_keys, os.getpid()),
            name="traceledger-sealer", daemon=True,
        )
        self._process.start()
        child_end.close()
        kind, _head = self._connection.recv()
        if kind != "ready":
            raise SealerError("sealer process did not start")

    def _request(self, message: tuple[object, ...], expected: str) -> object:
        self._connection.send(message)
        try:
            kind, payload = self._connection.recv()
        except EOFError as exc:
            raise SealerError("sealer process died") from exc
        if kind == "rejected":
            raise BlockRejectedError(*payload)
        if kind == "unknown-parent":
            raise UnknownParentError(*payload)
        if kind != expected:
            raise SealerError(str(payload))
        return payload

    def import_branch(self, block_rlps: Sequence[bytes]) -> ImportedBranch | None:
        """As `_ChainSealer.import_branch`, in the child (the store's only writer)."""
        return self._request(("import", list(block_rlps)), "imported")  # type: ignore[return-value]

    def add(
        self, batch: Sequence[SignedTx], timestamp: int, proposals: Mapping[bytes, bool]
    ) -> list[bytes]:
        """Execute `batch` in the open block (opened at `timestamp`, voting on one of the
        Clique `proposals`, if none is open); return the hashes deferred because the block
        is full. Raises SealerError (open block lost)."""
        pairs = [(s.raw, s.sender) for s in batch]
        message = ("add", pairs, timestamp, dict(proposals))
        return self._request(message, "added")  # type: ignore[return-value]

    def seal(self, timestamp: int, proposals: Mapping[bytes, bool]) -> SealedBlock:
        """Seal and commit the open block (an empty one at `timestamp` voting on one of
        `proposals` if none is open)."""
        return self._request(("seal", timestamp, dict(proposals)), "block")  # type: ignore[return-value]

    def close(self) -> None:
        """Ask the child to finish and wait for it."""
        try:
            self._connection.send(None)
        except (OSError, ValueError):
            pass
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()
        self._connection.close()


class SealerThread(_ChainSealer):
    """Builds blocks with the node process's own chain (one process, one core)."""

    def close(self) -> None:
        return None
