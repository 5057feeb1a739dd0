"""The ledger chain: genesis, building and sealing blocks, and reading state at a block.

One `LedgerChain` per node process. `build_block` executes a whole batch of transactions
in one VM (py-evm's per-transaction `MiningChain.apply_transaction` rebuilds the block each
time and is ~100x slower), seals the header (EIP-225) and commits block, state, receipts,
indexes and head in one store transaction.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import rlp
from eth._utils.address import generate_contract_address
from eth.abc import BlockAPI, BlockHeaderAPI, ReceiptAPI, StateAPI
from eth.chains.base import Chain
from eth.consensus.clique._utils import sign_block_header
from eth.consensus.clique.constants import (
    NONCE_AUTH,
    NONCE_DROP,
    SIGNATURE_LENGTH,
    VANITY_LENGTH,
)
from eth.constants import ZERO_ADDRESS, ZERO_HASH32
from eth.db.atomic import AtomicDB
from eth.vm.chain_context import ChainContext
from eth.vm.forks.byzantium.constants import (
    EIP658_TRANSACTION_STATUS_CODE_FAILURE,
    EIP658_TRANSACTION_STATUS_CODE_SUCCESS,
)
from eth.vm.forks.cancun.blocks import CancunBlockHeader
from eth_keys import keys
from eth_utils import ValidationError, to_canonical_address

from ledger_node.block_encoding import block_rlp_from_parts
from ledger_node.clique_votes import (
    DIFF_IN_TURN,
    DIFF_NO_TURN,
    CliqueError,
    Snapshot,
    SnapshotCache,
    apply_header,
    checkpoint_signers,
    choose_seal,
    choose_vote,
)
from ledger_node.deadline import ExecutionTimeout, execution_deadline
from ledger_node.errors import (
    BlockRejectedError,
    GenesisError,
    StoreError,
    UnknownParentError,
)
from ledger_node.ordered_trie import compute_ordered_trie
from ledger_node.store import BlockRow, LedgerStore, LogRow, TxRow
from ledger_node.transactions import SignedTx
from ledger_node.vm import EVM_FORK, chain_class, clique_vm_class, sealer_vm_class

logger = logging.getLogger(__name__)

# A first anchor() costs ~46k gas: 1,000 tx/s in 1 s blocks needs ~50M; leave headroom.
DEFAULT_GAS_LIMIT = 1_000_000_000
DEFAULT_EPOCH = 30_000  # EIP-225's suggested epoch, as geth
VANITY = b"TraceLedger".ljust(VANITY_LENGTH, b"\x00")
# Wall-clock budget of one transaction in a block being built. Gas is free for members and
# py-evm misprices some work in time (a BLAKE2F round costs 1 gas), so a transaction that
# runs longer is left out of the block and dropped from the pool, with a warning. Leaving
# it out keeps the block deterministic: followers only re-execute what was included.
TX_TIME_BUDGET_S = 2.0
# Wall-clock budget of one block's execution: once spent, the block counts as full and
# the remaining transactions wait for the next block, so sealing is never postponed by
# more than this plus one transaction's budget, whatever members send.
BLOCK_TIME_BUDGET_S = 2.0
# Transactions per block by their bytes: a block must fit one peer message (16 MiB of
# hex-encoded JSON, ledger_node/peer_messages.py) with room for the envelope, or no peer
# could ever receive it. 1e9 gas alone allows hundreds of MB of zero calldata.
MAX_BLOCK_TX_BYTES = 6 * 1024 * 1024
# A block from another node may be this far ahead of our clock (geth's allowed future block
# time); later than that, a sealer is lying about time or its clock is wrong.
ALLOWED_FUTURE_S = 15


@dataclass(frozen=True)
class ChainConfig:
    """What `init` fixed and `run` reads back: chain id, Clique period/epoch, authorities,
    and the EVM fork the chain executes with."""

    chain_id: int
    period: int
    epoch: int = DEFAULT_EPOCH
    gas_limit: int = DEFAULT_GAS_LIMIT
    signers: tuple[str, ...] = field(default_factory=tuple)  # 0x addresses, sorted
    evm: str = EVM_FORK

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ChainConfig:
        """Read a config `init` wrote; raise GenesisError for a chain this version cannot run."""
        data = json.loads(text)
        data["signers"] = tuple(data["signers"])
        # Configs written before the chain ran Cancun have no "evm": those chains executed
        # London's rules (DIFFICULTY where PREVRANDAO is, a cold coinbase, unmetered
        # initcode), which this node no longer implements,
        # so re-executing them would give other state roots. Say so rather than fork.
        evm = data.setdefault("evm", "london")
        if evm != EVM_FORK:
            raise GenesisError(
                f"this chain was made for the {evm!r} EVM; this TraceLedger runs "
                f"{EVM_FORK!r} from genesis. Start a new chain (`traceledger node init`) "
                "and re-anchor, or run the TraceLedger release that made it"
            )
        return cls(**data)

    @property
    def signer_addresses(self) -> list[bytes]:
        """The authorities as 20-byte addresses, in EIP-225's sorted order."""
        return sorted(to_canonical_address(s) for s in self.signers)


@dataclass(frozen=True)
class BuiltBlock:
    """A committed block with what it did to each included transaction."""

    block: BlockAPI
    included: tuple[SignedTx, ...]
    receipts: tuple[ReceiptAPI, ...]
    dropped: tuple[tuple[SignedTx, str], ...]  # invalid at execution time, with the reason
    deferred: tuple[SignedTx, ...]  # did not fit the gas limit; for the next block
    logs: tuple[LogRow, ...]


def checkpoint_extra_data(signers: Sequence[bytes]) -> bytes:
    """extraData of an epoch block before sealing: vanity ‖ sorted signers ‖ empty seal."""
    return VANITY + b"".join(sorted(signers)) + bytes(SIGNATURE_LENGTH)


def genesis_state(alloc: dict[bytes, int]) -> dict[bytes, Any]:
    """py-evm genesis state: `alloc` balances, no code."""
    return {
        address: {"balance": balance, "nonce": 0, "code": b"", "storage": {}}
        for address, balance in alloc.items()
    }


def genesis_header_params(config: ChainConfig, timestamp: int) -> dict[str, Any]:
    """Block 0's header fields: Clique checkpoint extraData with the authorities."""
    return {
        "difficulty": DIFF_NO_TURN,
        "gas_limit": config.gas_limit,
        "timestamp": timestamp,
        "extra_data": checkpoint_extra_data(config.signer_addresses),
        "nonce": NONCE_DROP,
        "coinbase": ZERO_ADDRESS,
        "mix_hash": ZERO_HASH32,
    }


@dataclass
class _OpenBlock:
    """The block being filled: its VM (state with the executed transactions) and totals."""

    vm: Any
    header: BlockHeaderAPI
    key: keys.PrivateKey  # the held authority key that seals it
    gas_used: int = 0
    tx_bytes: int = 0
    bloom: int = 0
    full: bool = False
    execution_s: float = 0.0  # wall-clock time spent executing its transactions
    included: list[SignedTx] = field(default_factory=list)
    receipts: list[ReceiptAPI] = field(default_factory=list)
    dropped: list[tuple[SignedTx, str]] = field(default_factory=list)
    deferred: list[SignedTx] = field(default_factory=list)


class LedgerChain:
    """py-evm chain over a `LedgerStore`; authority keys are needed only to build blocks."""

    def __init__(
        self,
        store: LedgerStore,
        config: ChainConfig,
        sealer_keys: keys.PrivateKey | Sequence[keys.PrivateKey] | None,
        signer: bytes | None = None,
    ) -> None:
        """Open the chain in `store`. `sealer_keys` are the Clique authority keys this node
        holds (one or several); without any it only reads, and `signer` is then the sealer's
        address, used as COINBASE when executing calls."""
        self.store = store
        self.config = config
        if sealer_keys is None:
            sealer_keys = ()
        elif isinstance(sealer_keys, keys.PrivateKey):
            sealer_keys = (sealer_keys,)
        self.sealer_keys = {k.public_key.to_canonical_address(): k for k in sealer_keys}
        # The COINBASE opcode sees the block's signer while it is unsealed: one VM class per key.
        self._sealer_vm_classes = {a: sealer_vm_class(a) for a in self.sealer_keys}
        if self.sealer_keys:
            signer = next(iter(self.sealer_keys))
        signer = signer or ZERO_ADDRESS
        self.vm_class = sealer_vm_class(signer)
        self.chain: Chain = chain_class(config.chain_id, config.epoch, self.vm_class)(
            AtomicDB(store.kv)
        )
        head = store.head()
        if head is None:
            raise StoreError(f"{store.path}: no genesis; run `traceledger node init`")
        self.head_header: BlockHeaderAPI = decode_header(head.header_rlp)
        self.snapshots = SnapshotCache(self.header_by_number, config.epoch)
        self._open: _OpenBlock | None = None
        self._verifying_chain: Chain | None = None

    # ------------------------------------------------------------------ genesis
    @classmethod
    def create_genesis(
        cls,
        store: LedgerStore,
        config: ChainConfig,
        alloc: dict[bytes, int],
        timestamp: int,
    ) -> BlockHeaderAPI:
        """Write block 0 (balances `alloc`, signers in extraData) and the config; return it."""
        if store.head() is not None:
            raise StoreError(f"{store.path} already holds a chain")
        state = genesis_state(alloc)
        genesis_params = genesis_header_params(config, timestamp)
        vm_class = sealer_vm_class(ZERO_ADDRESS)
        klass = chain_class(config.chain_id, config.epoch, vm_class)
        chain = klass.from_genesis(AtomicDB(store.kv), genesis_params, state)
        header = chain.get_canonical_head()
        store.set_meta("chain_config", config.to_json())
        header_rlp = rlp.encode(header)
        store.commit_block(BlockRow(0, header.hash, header_rlp, len(rlp.encode(
            chain.get_canonical_block_by_number(0))), 0), (), ())
        logger.info("genesis 0x%s chain id %d", header.hash.hex(), config.chain_id)
        return header

    # ------------------------------------------------------------------ reading
    def header_by_number(self, number: int) -> BlockHeaderAPI | None:
        """The committed header at `number`, or None."""
        row = self.store.block_by_number(number)
        return None if row is None else decode_header(row.header_rlp)

    def state_at(self, header: BlockHeaderAPI) -> StateAPI:
        """A fresh, throw-away state after block `header`, in the context of its child."""
        child = self.vm_class.create_header_from_parent(
            header,
            timestamp=max(header.timestamp + 1, _now()),
            difficulty=DIFF_IN_TURN,
            extra_data=VANITY + bytes(SIGNATURE_LENGTH),
            nonce=NONCE_DROP,
        )
        return self.chain.get_vm(child).state

    def child_header(self, header: BlockHeaderAPI) -> BlockHeaderAPI:
        """The unsealed template of the block after `header` (for eth_call's context)."""
        return self.vm_class.create_header_from_parent(
            header,
            timestamp=max(header.timestamp + 1, _now()),
            difficulty=DIFF_IN_TURN,
            extra_data=VANITY + bytes(SIGNATURE_LENGTH),
            nonce=NONCE_DROP,
        )

    # ------------------------------------------------------------------ building
    def build_block(
        self,
        txs: Sequence[SignedTx],
        timestamp: int,
        proposals: Mapping[bytes, bool] | None = None,
    ) -> BuiltBlock:
        """Execute `txs` in order on the head, seal, and commit the block durably.

        Transactions that fail validation at execution (bad nonce, balance) are dropped and
        reported; those that would exceed the block gas limit are deferred. Returns only
        after the block is committed; on any error nothing is written. `proposals` as for
        `open_block`.
        """
        self.open_block(timestamp, proposals)
        self.add_transactions(txs)
        return self.seal_block()

    @property
    def has_open_block(self) -> bool:
        """True between `open_block` and `seal_block`/`discard_block`."""
        return self._open is not None

    def open_block(self, timestamp: int, proposals: Mapping[bytes, bool] | None = None) -> None:
        """Start the block after the head with `timestamp` (raised to parent + 1 if lower).
        Its transactions execute as they are added; nothing is written until `seal_block`.

        EIP-225: the in-turn held key seals it (difficulty 2), else a held authority that did
        not sign recently (difficulty 1); it votes on one of `proposals` (candidate address ->
        authorize) through coinbase and nonce, except on checkpoints, whose extraData lists
        the signers. Raises CliqueError if no held key may seal it."""
        if not self.sealer_keys:
            raise StoreError("this node has no sealer key")
        if self._open is not None:
            raise StoreError("a block is already open")
        parent = self.head_header
        number = parent.block_number + 1
        snapshot = self.snapshots.at(parent.block_number)
        signer, difficulty = choose_seal(snapshot, self.sealer_keys)
        vote = choose_vote(snapshot, signer, proposals or {}, self.config.epoch)
        at_checkpoint = number % self.config.epoch == 0
        vm_class = self._sealer_vm_classes[signer]
        template = vm_class.create_header_from_parent(
            parent,
            timestamp=max(timestamp, parent.timestamp + 1),
            difficulty=difficulty,
            coinbase=vote[0] if vote else ZERO_ADDRESS,
            nonce=NONCE_AUTH if vote and vote[1] else NONCE_DROP,
            mix_hash=ZERO_HASH32,
            extra_data=(
                checkpoint_extra_data(snapshot.signers)
                if at_checkpoint
                else VANITY + bytes(SIGNATURE_LENGTH)
            ),
        )
        vm = vm_class(
            header=template,
            chaindb=self.chain.chaindb,
            chain_context=ChainContext(self.config.chain_id),
            consensus_context=self.chain.consensus_context,
        )
        self._open = _OpenBlock(vm=vm, header=vm.get_header(), key=self.sealer_keys[signer])

    def add_transactions(self, txs: Sequence[SignedTx]) -> list[SignedTx]:
        """Execute `txs` in order in the open block; return those deferred because the block
        gas limit, MAX_BLOCK_TX_BYTES or its time budget (BLOCK_TIME_BUDGET_S) is reached (the
        block is then full: later adds defer everything). A transaction that runs longer than
        TX_TIME_BUDGET_S is left out, its effects reverted, and reported as dropped."""
        block = self._open
        if block is None:
            raise StoreError("no open block")
        state = block.vm.state
        gas_limit = block.header.gas_limit
        finalize_gas_used = block.vm.finalize_gas_used
        deferred: list[SignedTx] = []
        # As VM.apply_all_transactions, without a header copy and bloom re-check per
        # transaction (a third of the per-transaction cost); the header gets its gas and
        # bloom once, at sealing. Same receipts, same roots (the follower test re-executes).
        for signed in txs:
            tx = signed.tx
            if (block.full or block.gas_used + tx.gas > gas_limit
                    or block.tx_bytes + len(signed.raw) > MAX_BLOCK_TX_BYTES
                    or block.execution_s >= BLOCK_TIME_BUDGET_S):
                block.full = True
                deferred.append(signed)
                continue
            state.lock_changes()
            snapshot = state.snapshot()
            started = time.monotonic()
            try:
                # py-evm validates (nonce, balance, fee) before touching state, so a
                # ValidationError leaves the block's state as it was.
                with execution_deadline(TX_TIME_BUDGET_S):
                    computation = state.apply_transaction(tx)
            except ValidationError as exc:
                state.revert(snapshot)
                block.dropped.append((signed, str(exc)))
                continue
            except ExecutionTimeout as exc:
                state.revert(snapshot)  # abandoned mid-execution: undo all it touched
                block.dropped.append((signed, f"left out of the block: {exc}"))
                continue
            finally:
                block.execution_s += time.monotonic() - started
            state.commit(snapshot)
            block.tx_bytes += len(signed.raw)
            block.gas_used += finalize_gas_used(tx, computation)
            status = (
                EIP658_TRANSACTION_STATUS_CODE_FAILURE
                if computation.is_error
                else EIP658_TRANSACTION_STATUS_CODE_SUCCESS
            )
            receipt = tx.make_receipt(status, block.gas_used, computation.get_log_entries())
            block.bloom |= receipt.bloom
            block.included.append(signed)
            block.receipts.append(receipt)
        block.deferred.extend(deferred)
        return deferred

    def seal_block(self) -> BuiltBlock:
        """Finalize the open block (state root, tries), seal it (EIP-225) and commit it with
        its indexes in one store transaction. Returns only after the commit is durable; on
        any error nothing is written and the block is discarded."""
        block = self._open
        if block is None:
            raise StoreError("no open block")
        self._open = None
        try:
            return self._seal(block)
        except BaseException:
            self.store.discard_pending()
            raise

    def discard_block(self) -> None:
        """Forget the open block (nothing of it was written)."""
        self._open = None
        self.store.discard_pending()

    def _seal(self, open_block: _OpenBlock) -> BuiltBlock:
        vm = open_block.vm
        included, receipts, dropped = open_block.included, open_block.receipts, open_block.dropped
        deferred = open_block.deferred
        header = open_block.header.copy(gas_used=open_block.gas_used, bloom=open_block.bloom)
        block = self._fill_block(vm, header, included, receipts)
        finalized = vm.finalize_block(block).block
        sealed_header = sign_block_header(finalized.header, open_block.key)
        sealed = finalized.copy(header=sealed_header)
        self.chain.chaindb.persist_block(sealed)
        logs = self._commit(sealed, included, receipts)
        self.head_header = sealed_header
        for signed, reason in dropped:
            logger.warning("block %d dropped tx 0x%s: %s", sealed.number, signed.hash.hex(), reason)
        logger.info(
            "sealed block %d 0x%s txs=%d gas=%d",
            sealed.number, sealed_header.hash.hex(), len(included), sealed_header.gas_used,
        )
        return BuiltBlock(
            sealed, tuple(included), tuple(receipts), tuple(dropped), tuple(deferred), logs
        )

    def _fill_block(
        self,
        vm: Any,
        header: BlockHeaderAPI,
        included: Sequence[SignedTx],
        receipts: Sequence[ReceiptAPI],
    ) -> BlockAPI:
        # As VM.set_block_transactions_and_withdrawals, with the one-pass trie builder.
        tx_root, tx_nodes = compute_ordered_trie([s.raw for s in included])
        receipt_root, receipt_nodes = compute_ordered_trie([r.encode() for r in receipts])
        self.chain.chaindb.persist_trie_data_dict(tx_nodes)
        self.chain.chaindb.persist_trie_data_dict(receipt_nodes)
        return vm.get_block().copy(  # type: ignore[no-any-return]
            header=header.copy(transaction_root=tx_root, receipt_root=receipt_root),
            transactions=[s.tx for s in included],
        )

    def _commit(
        self, block: BlockAPI, included: Sequence[SignedTx], receipts: Sequence[ReceiptAPI]
    ) -> tuple[LogRow, ...]:
        row, tx_rows, log_rows = index_rows(block.header, included, receipts)
        self.store.commit_block(row, tx_rows, log_rows)
        return tuple(log_rows)

    # ------------------------------------------------------------------ importing
    def import_block(self, block: BlockAPI) -> tuple[LogRow, ...]:
        """Verify `block`, which must extend the head, and commit it (see `import_branch`).
        Raises BlockRejectedError (nothing is written) otherwise."""
        if block.header.parent_hash != self.head_header.hash:
            raise BlockRejectedError(
                block.header.block_number,
                f"does not extend the head (block {self.head_header.block_number} "
                f"0x{self.head_header.hash.hex()})")
        result = self.import_branch([block])
        assert result is not None  # a block extending the head is always heavier
        return result.adopted[0].logs

    def total_difficulty(self, block_hash: bytes) -> int:
        """The sum of the difficulties from genesis to the block `block_hash` (its score)."""
        return int(self.chain.chaindb.get_score(block_hash))

    def import_branch(self, blocks: Sequence[BlockAPI]) -> BranchResult | None:
        """Adopt consecutive `blocks` from a peer if they make a better chain; None if not.

        The first block's parent must be on our chain (else UnknownParentError: ask the
        peer for earlier blocks); blocks we already have are skipped. A branch that does
        not extend our head replaces the blocks above its parent only if it wins the fork
        choice (`is_better_head`: total difficulty, as geth's Clique). Every block is then
        verified as a follower does: our EIP-225 snapshot checks the signer (authorized, not
        among the recent signers: py-evm's Clique does not check that), the checkpoint
        signer list and the votes; py-evm's Clique rules check the seal and the difficulty
        (in turn or not); the block is re-executed with py-evm's unmodified Cancun executor
        (signatures checked, unlike the sealer's) and its state, transactions and receipts
        roots must match. All of it is committed in one store transaction, or, on the first
        block that fails, nothing is (BlockRejectedError)."""
        if self._open is not None:
            raise StoreError("a block is being built; discard it before importing")
        branch = list(blocks)
        while branch:  # blocks we already have
            row = self.store.block_by_number(branch[0].header.block_number)
            if row is None or row.hash != branch[0].header.hash:
                break
            branch.pop(0)
        if not branch:
            return None
        for previous, block in itertools.pairwise(branch):
            if (block.header.parent_hash != previous.header.hash
                    or block.header.block_number != previous.header.block_number + 1):
                raise BlockRejectedError(block.header.block_number,
                                         "does not follow the block before it in the branch")
        first = branch[0].header
        parent_number = first.block_number - 1
        parent = self.store.block_by_number(parent_number) if parent_number >= 0 else None
        if parent is None or parent.hash != first.parent_hash:
            raise UnknownParentError(first.block_number, first.parent_hash)
        head = self.head_header
        reorg = parent_number != head.block_number
        if reorg:
            tip = branch[-1].header
            branch_td = self.total_difficulty(first.parent_hash) + sum(
                b.header.difficulty for b in branch)
            if not is_better_head((branch_td, tip.block_number, tip.hash),
                                  (self.total_difficulty(head.hash), head.block_number, head.hash)):
                return None
        snapshot = self.snapshots.at(parent_number)
        rows = []
        adopted = []
        try:
            for block in branch:
                snapshot = self._verify_block(snapshot, block)
                receipts = self.verifying_chain.chaindb.get_receipts(
                    block.header,
                    self.verifying_chain.get_vm_class(block.header).get_receipt_builder())
                included = [SignedTx(tx=tx, hash=tx.hash, sender=tx.sender, raw=tx.encode())
                            for tx in block.transactions]
                row, tx_rows, log_rows = index_rows(block.header, included, receipts)
                rows.append((row, tx_rows, log_rows))
                adopted.append(AdoptedBlock(block, tuple(log_rows)))
            orphaned = tuple(self.store.txs_after(parent_number)) if reorg else ()
            self.store.commit_blocks(rows, replace_after=parent_number if reorg else None)
        except BaseException:
            self.store.discard_pending()
            raise
        self.head_header = branch[-1].header
        if reorg:
            self.snapshots.reset()
            logger.warning(
                "reorg: blocks %d..%d replaced by %d..%d (tip 0x%s), %d transactions orphaned",
                parent_number + 1, head.block_number, parent_number + 1,
                self.head_header.block_number, self.head_header.hash.hex(), len(orphaned))
        return BranchResult(tuple(adopted), parent_number if reorg else None, orphaned)

    def _verify_block(self, snapshot: Snapshot, block: BlockAPI) -> Snapshot:
        """Check and execute `block` (its writes stay buffered); the snapshot after it."""
        number = block.header.block_number
        if block.header.timestamp > _now() + ALLOWED_FUTURE_S:
            raise BlockRejectedError(
                number, f"timestamp {block.header.timestamp} is more than "
                f"{ALLOWED_FUTURE_S} s in the future")
        try:
            after = apply_header(snapshot, block.header, self.config.epoch)
        except (CliqueError, ValueError) as exc:  # ValueError: no readable seal
            reason = str(exc).removeprefix(f"block {number}: ")  # the error says the block
            raise BlockRejectedError(number, f"Clique: {reason}") from exc
        try:
            self.verifying_chain.import_block(block)
        except StoreError:
            raise
        except Exception as exc:  # py-evm raises ValidationError and others for a bad block
            raise BlockRejectedError(number, f"{exc.__class__.__name__}: {exc}") from exc
        return after

    @property
    def verifying_chain(self) -> Chain:
        """A py-evm chain over the same store with the VM followers use (no trusted shortcuts)."""
        if self._verifying_chain is None:
            self._verifying_chain = chain_class(
                self.config.chain_id, self.config.epoch, clique_vm_class()
            )(AtomicDB(self.store.kv))
        return self._verifying_chain


@dataclass(frozen=True)
class AdoptedBlock:
    """A block another node sealed, verified and committed here, with its event logs."""

    block: BlockAPI
    logs: tuple[LogRow, ...]


@dataclass(frozen=True)
class BranchResult:
    """What `import_branch` did: the blocks now canonical, in order; for a reorg, the number
    of the last block kept (`replaced_after`) and the transactions of the blocks replaced."""

    adopted: tuple[AdoptedBlock, ...]
    replaced_after: int | None
    orphaned: tuple[TxRow, ...]


def is_better_head(theirs: tuple[int, int, bytes], ours: tuple[int, int, bytes]) -> bool:
    """Fork choice between two heads given as (total difficulty, number, hash): the higher
    total difficulty wins (EIP-225: in-turn blocks weigh 2, others 1); on a tie the lower
    block number (as geth), then the lower hash. geth breaks the last tie at random; a
    fixed rule makes every node of a healed partition pick the same head at once."""
    if theirs[0] != ours[0]:
        return theirs[0] > ours[0]
    if theirs[1] != ours[1]:
        return theirs[1] < ours[1]
    return theirs[2] < ours[2]


def index_rows(
    header: BlockHeaderAPI, included: Sequence[SignedTx], receipts: Sequence[ReceiptAPI]
) -> tuple[BlockRow, list[TxRow], list[LogRow]]:
    """The RPC index rows of a block: its `blocks` row, one `txs` row per transaction with
    its receipt fields, one `logs` row per event log."""
    tx_rows: list[TxRow] = []
    log_rows: list[LogRow] = []
    previous_cumulative = 0
    for index, (signed, receipt) in enumerate(zip(included, receipts, strict=True)):
        contract = None
        if not signed.tx.to:
            contract = generate_contract_address(signed.sender, signed.tx.nonce)
        first_log_index = len(log_rows)
        for log in receipt.logs:
            log_rows.append(
                LogRow(
                    block_number=header.block_number,
                    log_index=len(log_rows),
                    tx_index=index,
                    tx_hash=signed.hash,
                    address=bytes(log.address),
                    topics=tuple(t.to_bytes(32, "big") for t in log.topics),
                    data=bytes(log.data),
                )
            )
        tx_rows.append(
            TxRow(
                hash=signed.hash,
                block_number=header.block_number,
                tx_index=index,
                sender=signed.sender,
                raw=signed.raw,
                status=1 if receipt.state_root == b"\x01" else 0,
                gas_used=receipt.gas_used - previous_cumulative,
                cumulative_gas_used=receipt.gas_used,
                contract_address=contract,
                effective_gas_price=min(signed.gas_fee_cap, signed.gas_tip_cap),
                logs_bloom=receipt.bloom.to_bytes(256, "big"),
                first_log_index=first_log_index,
            )
        )
        previous_cumulative = receipt.gas_used
    header_rlp = rlp.encode(header)
    row = BlockRow(
        number=header.block_number,
        hash=header.hash,
        header_rlp=header_rlp,
        size=_block_size(header_rlp, included),
        tx_count=len(included),
    )
    return row, tx_rows, log_rows


def _block_size(header_rlp: bytes, included: Sequence[SignedTx]) -> int:
    return len(block_rlp_from_parts(header_rlp, [s.raw for s in included]))


def decode_header(header_rlp: bytes) -> BlockHeaderAPI:
    """Decode a stored (Cancun) header."""
    return rlp.decode(header_rlp, sedes=CancunBlockHeader)  # type: ignore[no-any-return]


def _now() -> int:
    return int(time.time())


def load_config(store: LedgerStore) -> ChainConfig:
    """The chain config `init` wrote into the store."""
    text = store.get_meta("chain_config")
    if text is None:
        raise StoreError(f"{store.path}: no chain config; run `traceledger node init`")
    return ChainConfig.from_json(text)


def parse_extra_data_signers(extra_data: bytes) -> list[bytes]:
    """The signer list of a checkpoint header's extraData (EIP-225)."""
    return checkpoint_signers(extra_data)
