"""The permissioned py-evm chain: genesis, Clique sealing, member-only admission, JSON-RPC.

Knows nothing about trace records (DESIGN.md). Modules, one idea each:
  vm          chain rules: London + zero base fee + py-evm's Clique
  chain       genesis, building and sealing blocks, state at a block
  store       the durable SQLite store (py-evm key-value data + RPC indexes, one txn/block)
  transactions  decoding and signature recovery
  txpool      admission rules and the pending/queued pool
  execution   eth_call / eth_estimateGas / isMember on throw-away state
  node        the running node: admission, the open block's streaming, sealing cadence
  sealer      where blocks are built: a child process (default) or a thread
  follower    `node verify`: re-execute a node's chain under py-evm's own Clique rules
  hashing     keccak backend choice (speed only)
  ordered_trie  one-pass transactions/receipts trie root
  genesis     `node init`: keys, genesis, bootstrap block with the contracts
  keys        keystores (scrypt) and development keys
  rpc/        JSON-RPC methods, filters, HTTP + WebSocket server
  cli         `traceledger node init|run`
  devnet      starting a dev node / anvil as subprocesses (tests, bench)
See ledger_node/README.md.
"""
