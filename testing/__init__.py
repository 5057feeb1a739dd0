"""Test and benchmark tooling: launching processes, anvil, dev nodes, the whole system,
fresh PostgreSQL databases, percentiles. Shared by `tests/` and `bench/`; never imported
by production code and not shipped in the wheel (see README.md)."""
