"""The permissioned py-evm chain: genesis, Clique sealing, member-only admission, JSON-RPC.

Knows nothing about trace records (DESIGN.md). Modules, one idea each:
  vm          chain rules: Cancun execution + Clique headers + zero base fee
  chain       genesis, building and sealing blocks, state at a block
  store       the durable SQLite store (py-evm key-value data + RPC indexes, one txn/block)
  transactions  decoding and signature recovery
  txpool      admission rules and the pending/queued pool
  execution   eth_call / eth_estimateGas / isMember on throw-away state
  deadline    wall-clock limits on EVM execution (eth_call, each sealed transaction)
  blake2f     the EIP-152 BLAKE2F precompile, stoppable by that deadline
  recursion   the node's Python recursion limit
  node        the running node: admission, the open block's streaming, sealing cadence
  sealer      where blocks are built: a child process (default) or a thread
  follower    `node verify`: re-execute a node's chain under py-evm's own Clique rules
  replica     `node run --follow`: a durable, verifying, read-only follower of other nodes
  peer_messages  signed, addressed, replay-proof envelopes between consortium nodes
  block_file  `node export` / `node import`: RLP block files, verified block by block
  backup      `node backup` / `node restore`: consistent online copy of a data dir
  clique_votes  Clique (EIP-225) signer snapshots, votes and seal turns
  vote_policy which Clique proposals this node accepts
  hashing     keccak backend choice (speed only)
  ordered_trie  one-pass transactions/receipts trie root
  genesis     `node init`: keys, genesis, bootstrap block with the contracts
  keys        keystores (scrypt) and development keys
  rpc/        JSON-RPC methods, filters, HTTP + WebSocket server
  cli         `traceledger node init|run|vote|verify|export|import|backup|restore`
  errors      `LedgerNodeError` and the JSON-RPC errors
See ledger_node/README.md.
"""
