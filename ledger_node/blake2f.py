"""The BLAKE2 F compression function (RFC 7693 §3.2) as EIP-152 exposes it, with a hook.

py-evm's BLAKE2F precompile is pure Python and EIP-152 prices a round at 1 gas, so a call
with a few million rounds costs almost nothing and runs for minutes. This implementation
computes the same function (held to py-evm's and to `hashlib.blake2b` in the tests) but
calls `check` every CHECK_EVERY_ROUNDS rounds, so an execution deadline can stop it.
Consensus code: any change must keep the output bit-exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

MASK64 = 2**64 - 1
CHECK_EVERY_ROUNDS = 4_096  # ~10 ms of rounds in CPython: fine-grained, negligible overhead

# RFC 7693 §2.6: the BLAKE2b initialisation vector (SHA-512's).
IV = (
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)
# RFC 7693 §2.7: message word schedule; EIP-152: round r uses SIGMA[r % 10].
SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)
# RFC 7693 §3.1: the G function's (a, b, c, d) columns, then diagonals.
_G_INDICES = (
    (0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
    (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14),
)


def _no_check() -> None:
    return None


def compress(
    rounds: int,
    state: Sequence[int],
    message: Sequence[int],
    offset_counters: Sequence[int],
    final_block: bool,
    check: Callable[[], None] = _no_check,
) -> bytes:
    """F(h, m, t, f) with `rounds` rounds (RFC 7693 §3.2, EIP-152); returns the new state h'
    as 64 bytes (eight little-endian 64-bit words), as the precompile outputs it.

    Requires 8 state words, 16 message words, 2 offset counters, all < 2**64. `check` is
    called before the first round and every CHECK_EVERY_ROUNDS rounds; whatever it raises
    propagates (that is how a deadline stops a long call).
    """
    v = [*state, *IV]
    v[12] ^= offset_counters[0]
    v[13] ^= offset_counters[1]
    if final_block:
        v[14] ^= MASK64  # RFC 7693 §3.2: invert all bits of v[14] for the last block
    m = message
    for round_index in range(rounds):
        if round_index % CHECK_EVERY_ROUNDS == 0:
            check()
        s = SIGMA[round_index % 10]
        for column, (a, b, c, d) in enumerate(_G_INDICES):
            x, y = m[s[2 * column]], m[s[2 * column + 1]]
            # RFC 7693 §3.1 G, rotation constants R1..R4 = 32, 24, 16, 63
            va = (v[a] + v[b] + x) & MASK64
            vd = v[d] ^ va
            vd = (vd >> 32) | ((vd << 32) & MASK64)
            vc = (v[c] + vd) & MASK64
            vb = v[b] ^ vc
            vb = (vb >> 24) | ((vb << 40) & MASK64)
            va = (va + vb + y) & MASK64
            vd ^= va
            vd = (vd >> 16) | ((vd << 48) & MASK64)
            vc = (vc + vd) & MASK64
            vb ^= vc
            vb = (vb >> 63) | ((vb << 1) & MASK64)
            v[a], v[b], v[c], v[d] = va, vb, vc, vd
    return b"".join(
        (state[i] ^ v[i] ^ v[i + 8]).to_bytes(8, "little") for i in range(8)
    )
