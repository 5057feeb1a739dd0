"""Verifying trace records. `steps.py` is the core: one pure function per step, named as
`POST /v1/verify`, `traceledger verify` and the scan page report them; `service.verify`
runs them on one event and its proof bundle. Verdicts ask the chain, never the SQL mirror."""
