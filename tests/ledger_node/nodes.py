"""Test-side names for the subprocess helpers in ledger_node.devnet."""

from ledger_node.devnet import (  # noqa: F401
    Backend,
    free_port,
    init_dev_dir,
    rpc,
    start_anvil,
    start_ledger_node,
    wait_for_rpc,
)
