"""Follows the chain over JSON-RPC and mirrors contract events and blocks into SQL.

Writes nothing the chain did not say (DESIGN.md). Filled in by the indexer issue.
"""
