"""The node's Ethereum JSON-RPC: method table, filters, HTTP + WebSocket server."""
