"""The permissioned py-evm chain: genesis, Clique sealing, member-only admission, JSON-RPC.

Knows nothing about trace records (DESIGN.md). Filled in by the ledger-node issue.
"""
