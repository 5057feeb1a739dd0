"""Forks of one three-authority Clique chain, built in process, each in its own store: the
layout of `test_replica.py`'s reorganisation tests (the same turn arithmetic), for the tests
of fork choice, atomic reorgs and what reads the chain across one (filters).

Who seals each block is the index of the key in EIP-225 turn order (sorted addresses): block
n is in turn (difficulty 2) when the index is n % 3, else out of turn (1), and a signer seals
at most one of two consecutive blocks. All forks part after block 2 (ANCESTOR).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eth.abc import BlockAPI
from eth.consensus.clique._utils import sign_block_header
from eth.consensus.clique.constants import SIGNATURE_LENGTH
from eth_account import Account
from eth_keys import keys as eth_keys

from ledger_node.chain import VANITY, ChainConfig, LedgerChain
from ledger_node.store import LedgerStore
from ledger_node.transactions import SignedTx, decode_signed_transaction
from tests.ledger_node.chain_helpers import CHAIN_ID, transfer

PREFIX = (1, 0)  # blocks 1, 2: in turn, out of turn (so block 3 may be out of turn)
LIGHT = (1, 2)  # blocks 3, 4: both out of turn, weight 2 above the ancestor
HEAVY = (2, 1, 2)  # blocks 3, 4, 5: out of turn, in turn, in turn: weight 5
LONGER = (1, 2, 0, 1)  # blocks 3 to 6: all out of turn, weight 4 (longer than HEAVY, lighter)
TIE = (2, 1, 0)  # blocks 3 to 5: weight 4 as LONGER's, one block shorter: wins the tie
ANCESTOR = len(PREFIX)
LOG_GAS = 200_000


@dataclass
class Forks:
    """Three authorities' keys (in turn order), two funded users, one genesis."""

    config: ChainConfig
    alloc: dict[bytes, int]
    genesis_timestamp: int
    keys: list[eth_keys.PrivateKey]
    users: list[Account]
    prefix: list[BlockAPI] = field(default_factory=list)  # blocks 1..ANCESTOR, shared

    def genesis(self, path: Path) -> LedgerChain:
        """A keyless chain at this genesis in the store file `path`."""
        store = LedgerStore(path)
        LedgerChain.create_genesis(store, self.config, self.alloc, self.genesis_timestamp)
        return LedgerChain(store, self.config, None)

    def seal(self, chain: LedgerChain, signers: Sequence[int],
             txs: Mapping[int, Sequence[SignedTx]] | None = None) -> list[BlockAPI]:
        """Append a block per entry of `signers` to `chain`, each sealed by that key alone
        (`txs` by block number); checks the difficulty the layout means."""
        blocks = []
        for signer in signers:
            number = chain.head_header.block_number + 1
            sealer = LedgerChain(chain.store, self.config, [self.keys[signer]])
            built = sealer.build_block(list((txs or {}).get(number, ())),
                                       self.genesis_timestamp + number)
            assert built.block.header.difficulty == (2 if signer == number % 3 else 1), number
            blocks.append(built.block)
            chain.head_header = built.block.header
        return blocks

    def fork(self, path: Path, signers: Sequence[int],
             txs: Mapping[int, Sequence[SignedTx]] | None = None) -> tuple[LedgerChain, list[BlockAPI]]:
        """A chain in `path`: the shared prefix, then blocks sealed as `signers` says; the
        chain and its blocks above the ancestor."""
        chain = self.genesis(path)
        for block in self.prefix:
            chain.import_block(block)
        return chain, self.seal(chain, signers, txs)

    def reseal(self, block: BlockAPI, signer: int, **changes: object) -> BlockAPI:
        """`block` with header `changes`, sealed again by key `signer` (a lie only the
        execution can catch when the change is a root)."""
        header = block.header.copy(**changes, extra_data=VANITY + bytes(SIGNATURE_LENGTH))
        return block.copy(header=sign_block_header(header, self.keys[signer]))


def three_authorities(root: Path) -> Forks:
    """Forks of a chain of three authorities; its prefix (blocks 1, 2, one transfer) is
    sealed once in `root`/prefix.sqlite."""
    accounts = sorted((Account.create() for _ in range(3)), key=lambda a: a.address.lower())
    users = [Account.create() for _ in range(2)]
    config = ChainConfig(chain_id=CHAIN_ID, period=1, signers=tuple(a.address for a in accounts))
    forks = Forks(
        config=config, alloc={bytes.fromhex(u.address[2:]): 10**24 for u in users},
        genesis_timestamp=int(time.time()) - 100,
        keys=[eth_keys.PrivateKey(bytes(a.key)) for a in accounts], users=users,
    )
    prefix_chain = forks.genesis(root / "prefix.sqlite")
    forks.prefix = forks.seal(prefix_chain, PREFIX, {1: [transfer(users[0], 0)]})
    return forks


def log_emitting_creation(sender: Account, nonce: int, topic: bytes) -> SignedTx:
    """A contract creation whose init code emits one LOG1 with `topic` (32 bytes) and the
    word 42 as data, and deploys nothing."""
    assert len(topic) == 32
    init_code = (bytes.fromhex("602a600052")  # PUSH1 42 PUSH1 0 MSTORE
                 + b"\x7f" + topic  # PUSH32 topic
                 + bytes.fromhex("60206000a100"))  # PUSH1 32 PUSH1 0 LOG1 STOP
    signed = sender.sign_transaction({"data": init_code, "value": 0, "gas": LOG_GAS,
                                      "gasPrice": 0, "nonce": nonce, "chainId": CHAIN_ID})
    return decode_signed_transaction(bytes(signed.raw_transaction))
