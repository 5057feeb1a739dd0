"""Benchmarks. Figures go to bench/README.md, never into unit-test assertions."""
