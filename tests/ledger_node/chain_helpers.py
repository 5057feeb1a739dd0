"""In-process chain fixtures for unit tests (no RPC, no subprocess)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_keys import keys as eth_keys

from ledger_node.chain import ChainConfig, LedgerChain
from ledger_node.store import LedgerStore
from ledger_node.transactions import SignedTx, decode_signed_transaction

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


def make_chain(path: Path, users: int = 2, gas_limit: int = 1_000_000_000) -> TestChain:
    """A fresh one-sealer chain in `path` with `users` funded accounts."""
    sealer = Account.create()
    accounts = [Account.create() for _ in range(users)]
    config = ChainConfig(chain_id=CHAIN_ID, period=1, signers=(sealer.address,), epoch=4,
                         gas_limit=gas_limit)
    store = LedgerStore(path / "chain.sqlite")
    alloc = {bytes.fromhex(a.address[2:]): 10**24 for a in accounts}
    timestamp = int(time.time()) - 100
    LedgerChain.create_genesis(store, config, alloc, timestamp)
    chain = LedgerChain(store, config, eth_keys.PrivateKey(bytes(sealer.key)))
    return TestChain(store, chain, config, sealer, accounts, timestamp, alloc)


def transfer(sender: Account, nonce: int, value: int = 1, to: str | None = None,
             chain_id: int = CHAIN_ID, gas_price: int = 0) -> SignedTx:
    """A signed legacy value transfer."""
    signed = sender.sign_transaction({
        "to": to or sender.address, "value": value, "gas": 21_000, "gasPrice": gas_price,
        "nonce": nonce, "chainId": chain_id,
    })
    return decode_signed_transaction(bytes(signed.raw_transaction))
