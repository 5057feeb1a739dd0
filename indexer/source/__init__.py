"""Source: reading blocks and logs over standard Ethereum JSON-RPC.

`rpc` speaks JSON-RPC (batches, retries with backoff, error classification), `parse`
turns node answers into `types` values and rejects malformed ones, `fetch` reads a block
range (headers batched, eth_getLogs split adaptively) and checks it for consistency, and
`heads` waits for new blocks (WebSocket subscription where offered, polling otherwise).
"""
