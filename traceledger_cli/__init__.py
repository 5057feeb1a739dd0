"""The `traceledger` console entry point; every service hangs a sub-command off it."""
