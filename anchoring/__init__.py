"""Everything between an accepted trace record and a tree head on chain.

`anchoring.core` is the pure, I/O-free part whose change could break old proofs;
the log store (`store/`), sequencer, tile serving, anchorer and witness sit beside it
(`anchoring/README.md`).
"""
