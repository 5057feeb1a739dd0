"""Tests of verification verdicts, `POST /v1/verify` and `traceledger verify`."""
