"""Everything between an accepted trace record and a tree head on chain.

`anchoring.core` is the pure, I/O-free part whose change could break old proofs;
the log store and the anchorer service (later issues) sit beside it.
"""
