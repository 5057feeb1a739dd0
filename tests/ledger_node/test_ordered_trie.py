"""The one-pass trie builder equals py-evm's HexaryTrie insertion (the naive reference)."""

from __future__ import annotations

from eth.db.trie import _make_trie_root_and_nodes
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_node.ordered_trie import BLANK_ROOT, compute_ordered_trie, rlp_uint


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=120), max_size=300))
def test_root_and_nodes_match_pyevm(values: list[bytes]) -> None:
    root, nodes = compute_ordered_trie(values)
    expected_root, expected_nodes = _make_trie_root_and_nodes(tuple(values))
    assert root == expected_root
    assert set(expected_nodes.items()) <= set(nodes.items())


def test_empty_trie_is_the_blank_root() -> None:
    assert compute_ordered_trie([]) == (BLANK_ROOT, {})


def test_large_block_boundaries() -> None:
    # rlp(index) changes length at 128 and 256: the shapes most likely to go wrong.
    for count in (127, 128, 129, 255, 256, 257, 1_100):
        values = [i.to_bytes(4, "big") * 10 for i in range(count)]
        assert compute_ordered_trie(values)[0] == _make_trie_root_and_nodes(tuple(values))[0]


def test_rlp_uint_golden() -> None:
    assert rlp_uint(0) == b"\x80"
    assert rlp_uint(1) == b"\x01"
    assert rlp_uint(127) == b"\x7f"
    assert rlp_uint(128) == b"\x81\x80"
    assert rlp_uint(1024) == b"\x82\x04\x00"
