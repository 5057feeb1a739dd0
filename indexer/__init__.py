"""Follows the chain over JSON-RPC and mirrors contract events and blocks into SQL.

Writes nothing the chain did not say (DESIGN.md). The folders follow the data:

- `source/`  standard JSON-RPC: batched calls, bounded retries, adaptive eth_getLogs
  splitting, consistency checks of headers against logs, newHeads subscription;
- `decode/`  logs to typed rows with the ABIs of contracts/build;
- `sink/`    SQLModel tables, Alembic migrations (`migrations/`), range writes with the
  checkpoint in the same SQL transaction;
- `follow.py` the backfill/follow loop, `reorg.py` the walk back to the common ancestor,
  `audit.py` `indexer verify`, `cli.py` the `traceledger indexer` commands.

Public surface: `indexer.cli.app`, `indexer.service.open_indexer`,
`indexer.audit.audit_mirror`, the tables in `indexer.sink.models`, and `indexer.errors`.
"""
