"""An anchorer process for the crash tests, killed with SIGKILL by its parent.

Usage: ANCHORER_KEY=0x... python -m tests.anchoring.anchorer_worker URL PREFIX RPC ADDRESS MODE

MODE `before-broadcast`: stall (printing `STALL`) after the transaction was written ahead
but before it is broadcast. MODE `after-broadcast`: stall right after broadcasting.
"""

from __future__ import annotations

import os
import sys
import time

from eth_account import Account

from anchoring import anchorer as anchorer_module
from anchoring.anchorer import Anchorer, AnchorerConfig
from anchoring.store import LogStore


def main() -> None:
    url, prefix, rpc_url, address, mode = sys.argv[1:6]
    original = anchorer_module.Anchorer._broadcast

    def stalling(self: Anchorer, pending: anchorer_module.InFlight) -> None:
        if mode == "before-broadcast":
            print("STALL", pending.tree_size, flush=True)
            time.sleep(60)
        original(self, pending)
        if mode == "after-broadcast":
            print("STALL", pending.tree_size, flush=True)
            time.sleep(60)

    anchorer_module.Anchorer._broadcast = stalling  # type: ignore[method-assign]
    store = LogStore.open(url, table_prefix=prefix)
    account = Account.from_key(os.environ["ANCHORER_KEY"])
    Anchorer(store, account, AnchorerConfig(rpc_url=rpc_url, anchor_address=address)).run()


if __name__ == "__main__":
    main()
