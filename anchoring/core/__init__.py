"""The pure core of TraceLedger: what decides whether a trace record is authentic.

Nothing here does I/O, reads a clock or draws randomness. Code whose change could break
old proofs lives here and nowhere else: every byte format is versioned and pinned by
golden tests. Public names are re-exported below; everything else is internal.
"""
