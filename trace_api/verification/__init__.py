"""Step-by-step verdicts on trace records: `service.verify` (API, CLI, third parties),
`POST /v1/verify`, `traceledger verify`. Verdicts ask the chain, never the SQL mirror."""
