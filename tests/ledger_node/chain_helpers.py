"""In-process chain fixtures for unit tests (no RPC, no subprocess)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from eth.chains.base import Chain
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth_account import Account
from eth_keys import keys as eth_keys

from ledger_node.chain import ChainConfig, LedgerChain, genesis_header_params, genesis_state
from ledger_node.store import LedgerStore
from ledger_node.transactions import SignedTx, decode_signed_transaction
from ledger_node.vm import chain_class, clique_vm_class

CHAIN_ID = 7331


@dataclass
class TestChain:
    store: LedgerStore
    chain: LedgerChain
    config: ChainConfig
    sealer: Account
    users: list[Account]
    genesis_timestamp: int
    alloc: dict[bytes, int]
    standby: list[Account]  # authority keys the chain holds that are not genesis signers


def make_chain(
    path: Path, users: int = 2, gas_limit: int = 1_000_000_000, standby: int = 0,
    epoch: int = 4,
) -> TestChain:
    """A fresh one-sealer chain in `path` with `users` funded accounts; it also holds
    `standby` authority keys that are not signers (yet)."""
    sealer = Account.create()
    standby_keys = [Account.create() for _ in range(standby)]
    accounts = [Account.create() for _ in range(users)]
    config = ChainConfig(chain_id=CHAIN_ID, period=1, signers=(sealer.address,), epoch=epoch,
                         gas_limit=gas_limit)
    store = LedgerStore(path / "chain.sqlite")
    alloc = {bytes.fromhex(a.address[2:]): 10**24 for a in accounts}
    timestamp = int(time.time()) - 100
    LedgerChain.create_genesis(store, config, alloc, timestamp)
    held = [eth_keys.PrivateKey(bytes(a.key)) for a in [sealer, *standby_keys]]
    chain = LedgerChain(store, config, held)
    return TestChain(store, chain, config, sealer, accounts, timestamp, alloc, standby_keys)


def transfer(sender: Account, nonce: int, value: int = 1, to: str | None = None,
             chain_id: int = CHAIN_ID, gas_price: int = 0) -> SignedTx:
    """A signed legacy value transfer."""
    signed = sender.sign_transaction({
        "to": to or sender.address, "value": value, "gas": 21_000, "gasPrice": gas_price,
        "nonce": nonce, "chainId": chain_id,
    })
    return decode_signed_transaction(bytes(signed.raw_transaction))


def pyevm_follower(test: TestChain) -> Chain:
    """A py-evm chain with py-evm's unmodified Clique (CliqueApplier) and Cancun execution, at
    `test`'s genesis: `import_block` raises on any invalid seal, signer, vote or root."""
    follower_class = chain_class(test.config.chain_id, test.config.epoch, clique_vm_class())
    follower = follower_class.from_genesis(
        AtomicDB(MemoryDB()),
        genesis_header_params(test.config, test.genesis_timestamp),
        genesis_state(test.alloc),
    )
    assert follower.get_canonical_head().hash == test.chain.header_by_number(0).hash
    return follower
