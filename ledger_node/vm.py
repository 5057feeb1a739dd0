"""The chain's rules: py-evm's Cancun VM under Clique (EIP-225) headers, zero base fee.

Configured, not forked. py-evm's Paris and later VMs are written for proof of stake: their
header creation and validation insist on difficulty 0, nonce 0 and no Clique votes. A
Clique network on a post-merge fork keeps Clique's header rules and takes the fork's
execution rules, as Besu does for Clique networks with `shanghaiTime`/`cancunTime` in
genesis. So `CliqueCancunVM`:

- creates headers as London did (difficulty 2 in turn / 1 out of turn, vote nonces,
  coinbase votes), with the base fee pinned to 0 ("zeroBaseFee", as Besu's free-gas
  networks), and Cancun's extra fields fixed: no withdrawals (empty withdrawals root), no
  blobs (blob gas used and excess blob gas 0), no beacon chain (parent beacon block root 0);
- validates headers with the pre-merge rules (skipping `ParisVM.validate_header`) plus
  those fixed fields;
- executes with Cancun's EVM: PUSH0 (Shanghai), MCOPY and transient storage (Cancun),
  BLOBHASH/BLOBBASEFEE answering for a chain without blobs, PREVRANDAO = mixHash = 0.
  No block reward (as Paris+ and py-evm's Clique both say).

py-evm's own `CliqueApplier` adds the Clique seal rules (`clique_vm_class`, what followers
validate with). The sealer's VM (`sealer_vm_class`) also swaps in `SealerState`, which is
faster and ends in the same state roots. Blob transactions (type 3) are refused at
admission: a permissioned chain without a consensus layer has nowhere to keep blobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth._utils.db import get_parent_header
from eth._utils.headers import fill_header_params_from_parent
from eth.abc import (
    BlockAPI,
    BlockHeaderAPI,
    ReceiptAPI,
    SignedTransactionAPI,
    WithdrawalAPI,
)
from eth.chains.base import Chain
from eth.consensus.clique import CliqueApplier, CliqueConsensus, CliqueConsensusContext
from eth.consensus.clique.constants import SIGNATURE_LENGTH
from eth.constants import BLANK_ROOT_HASH, EMPTY_UNCLE_HASH, ZERO_HASH32
from eth.validation import validate_gas_limit
from eth.vm.forks.cancun import CancunVM
from eth.vm.forks.cancun.blocks import CancunBlockHeader
from eth.vm.forks.cancun.state import CancunState, CancunTransactionExecutor
from eth.vm.forks.paris import ParisVM
from eth_typing import Address
from eth_utils import ValidationError

from ledger_node.deadline import DeadlineComputation
from ledger_node.ordered_trie import compute_ordered_trie

ZERO_BASE_FEE = 0
#: The fork whose execution rules the chain runs; stored in the chain config at `init`.
EVM_FORK = "cancun"

#: Cancun's header fields a chain without withdrawals, blobs or a beacon chain fixes.
FIXED_POST_LONDON_FIELDS: dict[str, Any] = {
    "withdrawals_root": BLANK_ROOT_HASH,
    "blob_gas_used": 0,
    "excess_blob_gas": 0,
    "parent_beacon_block_root": ZERO_HASH32,
}


def create_clique_header_from_parent(
    parent_header: BlockHeaderAPI | None, **header_params: Any
) -> BlockHeaderAPI:
    """Return a Cancun header on `parent_header` with Clique's header rules and base fee 0.

    Requires `gas_limit` (or a parent to copy it from), `timestamp` (or a parent) and
    `difficulty` in `header_params` for a child block; Clique sets difficulty, not a formula.
    """
    if parent_header is not None:
        header_params.setdefault("gas_limit", parent_header.gas_limit)
        header_params.setdefault("timestamp", parent_header.timestamp + 1)
        header_params.setdefault("difficulty", 2)
    header_params.pop("base_fee_per_gas", None)
    for name in FIXED_POST_LONDON_FIELDS:
        header_params.pop(name, None)
    all_fields = fill_header_params_from_parent(parent_header, **header_params)
    all_fields["base_fee_per_gas"] = ZERO_BASE_FEE
    all_fields.update(FIXED_POST_LONDON_FIELDS)
    return CancunBlockHeader(**all_fields)  # type: ignore[arg-type]


class CliqueCancunVM(CancunVM):
    """Cancun's EVM with Clique's header rules, a zero base fee and a constant-or-slowly-
    moving gas limit."""

    fork = "cancun-clique-zero-base-fee"
    create_header_from_parent = staticmethod(create_clique_header_from_parent)  # type: ignore

    @classmethod
    def validate_header(cls, header: BlockHeaderAPI, parent_header: BlockHeaderAPI) -> None:
        """Pre-merge header rules (number, timestamp, extraData size, gas), not Paris's
        proof-of-stake ones; Clique's difficulty and seal are the consensus class's. Then
        the fields this chain fixes."""
        super(ParisVM, cls).validate_header(header, parent_header)
        for name, expected in FIXED_POST_LONDON_FIELDS.items():
            actual = getattr(header, name)
            if actual != expected:
                raise ValidationError(
                    f"{name} must be {expected!r} on this chain, header has {actual!r}"
                )

    def set_block_transactions_and_withdrawals(
        self,
        base_block: BlockAPI,
        new_header: BlockHeaderAPI,
        transactions: Sequence[SignedTransactionAPI],
        receipts: Sequence[ReceiptAPI],
        withdrawals: Sequence[WithdrawalAPI] | None = None,
    ) -> BlockAPI:
        """As py-evm's, with the one-pass trie builder (ledger_node/ordered_trie.py, the same
        roots as py-evm's HexaryTrie, checked by its tests) instead of inserting key by key:
        building the two tries of an imported block took ~40 % of its import."""
        if withdrawals:  # never on this chain; py-evm's own way if ever
            return super().set_block_transactions_and_withdrawals(
                base_block, new_header, transactions, receipts, withdrawals)
        tx_root, tx_nodes = compute_ordered_trie([tx.encode() for tx in transactions])
        self.chaindb.persist_trie_data_dict(tx_nodes)
        receipt_root, receipt_nodes = compute_ordered_trie([r.encode() for r in receipts])
        self.chaindb.persist_trie_data_dict(receipt_nodes)
        return base_block.copy(  # type: ignore[no-any-return]
            transactions=transactions,
            header=new_header.copy(transaction_root=tx_root, receipt_root=receipt_root))

    def validate_block(self, block: BlockAPI) -> None:
        """py-evm's `VM.validate_block` and Cancun's blob checks, in the same order, except
        that the transactions root comes from the one-pass builder (py-evm recomputes it
        with its HexaryTrie, as costly as building it) and a block has no uncles (Clique)."""
        if block.is_genesis:
            super().validate_block(block)
            return
        if not isinstance(block, self.get_block_class()):
            raise ValidationError(f"This vm ({self!r}) cannot validate a block of type {block!r}")
        self.validate_header(block.header, get_parent_header(block.header, self.chaindb))
        tx_root, _ = compute_ordered_trie([tx.encode() for tx in block.transactions])
        if tx_root != block.header.transaction_root:
            raise ValidationError(
                f"Block's transaction_root ({block.header.transaction_root!r}) does not match "
                f"expected value: {tx_root!r}")
        if block.uncles or block.header.uncles_hash != EMPTY_UNCLE_HASH:
            raise ValidationError("a Clique block has no uncles")
        if not self.chaindb.exists(block.header.state_root) and (
                self.state.make_state_root() != block.header.state_root):
            raise ValidationError(
                f"`state_root` does not match or was not found in the db: "
                f"{block.header.state_root!r}")
        self.validate_block_blobs(block)

    @classmethod
    def validate_gas(cls, header: BlockHeaderAPI, parent_header: BlockHeaderAPI) -> None:
        """Raise ValidationError unless the gas limit moves within 1/1024 of the parent's
        and the base fee is 0."""
        validate_gas_limit(header.gas_limit, parent_header.gas_limit)
        if header.base_fee_per_gas != ZERO_BASE_FEE:
            raise ValidationError(
                f"base fee must be {ZERO_BASE_FEE} on this chain, header has "
                f"{header.base_fee_per_gas}"
            )


class AdmittedTransactionExecutor(CancunTransactionExecutor):
    """Skips `transaction.validate()` (fields and signature): admission already ran it on
    every transaction the sealer executes, and it is a third of the execution time. The
    state checks (nonce, balance, gas) still run. Followers use the unmodified executor."""

    def validate_transaction(self, transaction: SignedTransactionAPI) -> None:
        self.vm_state.validate_transaction(transaction)

    def __call__(self, transaction: SignedTransactionAPI) -> Any:
        state = self.vm_state
        state.skip_zero_deltas = True  # type: ignore[attr-defined]
        try:
            return super().__call__(transaction)
        finally:
            state.skip_zero_deltas = False  # type: ignore[attr-defined]


class SealerState(CancunState):
    """Cancun state whose executor trusts admission's signature check, which skips zero
    balance changes inside transactions, and whose computations honour an execution
    deadline when one is set (eth_call, the sealer's per-transaction budget).

    At gas price 0 every transaction makes three zero balance changes (buy gas, refund,
    miner tip), each re-encoding an account. Skipping them leaves the same state: inside a
    transaction a zero change only "touches" an account (EIP-161), which deletes it at the
    end of the transaction if it is empty, and a chain that starts after Spurious Dragon has no empty
    accounts to delete. (The zero block reward to the header coinbase, outside any
    transaction, is left as py-evm does it.) The follower test checks state roots against
    py-evm's unmodified Cancun state.
    """

    transaction_executor_class = AdmittedTransactionExecutor
    # Identical to CancunComputation unless an execution deadline is set (ledger_node/deadline.py).
    computation_class = DeadlineComputation
    skip_zero_deltas = False

    def delta_balance(self, address: Address, delta: int) -> None:
        if delta or not self.skip_zero_deltas:
            super().delta_balance(address, delta)


def clique_vm_class() -> type[CliqueCancunVM]:
    """The VM followers validate with: CliqueCancunVM amended by py-evm's CliqueApplier."""
    ((_, vm_class),) = CliqueApplier().amend_vm_configuration(((0, CliqueCancunVM),))
    return vm_class  # type: ignore[no-any-return]


def sealer_vm_class(signer: Address) -> type[CliqueCancunVM]:
    """The VM a sealer builds with: as `clique_vm_class()`, except that while a header is
    not sealed yet (zero signature) its fee recipient (the COINBASE opcode) is `signer`,
    which is what the sealed block will report, so building and re-executing agree."""

    class SealerConsensus(CliqueConsensus):
        @classmethod
        def get_fee_recipient(cls, header: BlockHeaderAPI) -> Address:
            extra_data = header.extra_data
            if len(extra_data) >= SIGNATURE_LENGTH and extra_data[-SIGNATURE_LENGTH:] == bytes(
                SIGNATURE_LENGTH
            ):
                return signer
            return super().get_fee_recipient(header)

    return clique_vm_class().configure(  # type: ignore[no-any-return]
        consensus_class=SealerConsensus, _state_class=SealerState
    )


def chain_class(chain_id: int, epoch: int, vm_class: type[CliqueCancunVM]) -> type[Chain]:
    """A py-evm Chain class for `chain_id` running `vm_class` from block 0 under Clique with
    checkpoints every `epoch` blocks."""
    context_class = type(
        "TraceLedgerCliqueContext", (CliqueConsensusContext,), {"epoch_length": epoch}
    )
    return Chain.configure(
        __name__="TraceLedgerChain",
        chain_id=chain_id,
        vm_configuration=((0, vm_class),),
        consensus_context_class=context_class,
    )
