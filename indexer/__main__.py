"""`python -m indexer`: the indexer CLI (same as `traceledger indexer`)."""

from indexer.cli import app

app()
