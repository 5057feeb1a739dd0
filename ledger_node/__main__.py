"""`python -m ledger_node init|run ...` (same as `traceledger node ...`)."""

from ledger_node.cli import app

if __name__ == "__main__":
    app(prog_name="ledger_node")
