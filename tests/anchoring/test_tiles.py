"""The C2SP tlog-tiles layout: paths, widths, bundles, and proofs computed from tiles."""

from __future__ import annotations

from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchoring.core.merkle import (
    consistency_proof,
    consistency_proof_ranges,
    inclusion_proof,
    inclusion_proof_ranges,
    root_hash,
)
from anchoring.errors import TileFormatError
from anchoring.tiles import (
    TileHashes,
    TileRef,
    decode_bundle,
    encode_bundle,
    format_tile_index,
    hash_tile,
    parse_tile_path,
    tile_path,
    tiles_for_tree,
)


def test_index_encoding_matches_the_spec_example() -> None:
    # tlog-tiles §Merkle Tree: "index 1234067 will be encoded as x001/x234/067".
    assert format_tile_index(1234067) == "x001/x234/067"
    assert format_tile_index(0) == "000"
    assert format_tile_index(999) == "999"
    assert format_tile_index(1000) == "x001/000"


@pytest.mark.parametrize(
    ("level", "index", "width", "path"),
    [
        (0, 0, 256, "tile/0/000"),
        (0, 1234067, 256, "tile/0/x001/x234/067"),
        (2, 5, 17, "tile/2/005.p/17"),
        (None, 1234067, 1, "tile/entries/x001/x234/067.p/1"),
        (63, 0, 255, "tile/63/000.p/255"),
    ],
)
def test_paths_round_trip(level: int | None, index: int, width: int, path: str) -> None:
    assert tile_path(level, index, width) == path
    assert parse_tile_path(path) == TileRef(level, index, width)


@pytest.mark.parametrize(
    "path",
    [
        "tile/00/000",  # level with leading zero
        "tile/64/000",  # level above 63
        "tile/0/0",  # index group not 3 digits
        "tile/0/001/234",  # non-last group without x
        "tile/0/x000/001",  # redundant leading zero group
        "tile/0/000.p/0",  # width 0
        "tile/0/000.p/256",  # a full tile has no .p suffix
        "tile/0/000.p/017",  # width with leading zero
        "tile/x/000",
        "tiles/0/000",
        "tile/entries/x001",  # last group with x
    ],
)
def test_non_canonical_paths_are_rejected(path: str) -> None:
    with pytest.raises(TileFormatError):
        parse_tile_path(path)


@given(st.integers(min_value=0, max_value=2**63), st.integers(min_value=1, max_value=256))
def test_any_index_round_trips(index: int, width: int) -> None:
    assert parse_tile_path(tile_path(0, index, width)) == TileRef(0, index, width)


def test_tiles_of_a_tree_of_70000_match_the_spec_example() -> None:
    # tlog-tiles §Partial Tiles: 273 full level 0 tiles, one partial of width 112, one full
    # level 1 tile, one partial level 1 tile of width 17, one partial level 2 tile of width 1.
    refs = tiles_for_tree(70_000)
    level0 = [ref for ref in refs if ref.level == 0]
    assert sum(1 for ref in level0 if not ref.is_partial) == 273
    assert [ref.width for ref in level0 if ref.is_partial] == [112]
    assert [ref.width for ref in refs if ref.level == 1] == [256, 17]
    assert [ref.width for ref in refs if ref.level == 2] == [1]
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1
    # tile of width 1"
    assert tiles_for_tree(256) == [TileRef(0, 0, 256), TileRef(1, 0, 1)]
    assert tiles_for_tree(0) == []


def test_bundles_are_uint16_length_prefixed() -> None:
    assert encode_bundle([b"ab", b""]) == b"\x00\x02ab\x00\x00"
    assert decode_bundle(b"\x00\x02ab\x00\x00") == [b"ab", b""]
    with pytest.raises(TileFormatError):
        decode_bundle(b"\x00\x05ab")
    with pytest.raises(TileFormatError):
        encode_bundle([bytes(70_000)])


def _leaves(count: int) -> list[bytes]:
    return [sha256(b"\x00" + index.to_bytes(8, "big")).digest() for index in range(count)]


def _naive_tiles(leaves: list[bytes], tree_size: int) -> dict[tuple[int, int], bytes]:
    """Tiles built straight from the spec's formula MTH(D[(n*256+i)*256**l : ...])."""
    tiles: dict[tuple[int, int], bytes] = {}
    for ref in tiles_for_tree(tree_size):
        assert ref.level is not None
        span = 256**ref.level
        hashes = []
        for i in range(ref.width):
            start = (ref.index * 256 + i) * span
            hashes.append(root_hash(leaves[start : start + span]))
        tiles[(ref.level, ref.index)] = b"".join(hashes)
    return tiles


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=70_000), st.data())
def test_proofs_from_tiles_equal_the_reference(tree_size: int, data: st.DataObject) -> None:
    leaves = _LEAVES[:tree_size]
    tiles = _naive_tiles(leaves, tree_size)
    hashes = TileHashes(tree_size, lambda level, index, width: tiles[(level, index)][: width * 32])
    assert hashes.root() == root_hash(leaves)
    leaf_index = data.draw(st.integers(min_value=0, max_value=tree_size - 1))
    assert [
        hashes.subtree_hash(a, b) for a, b in inclusion_proof_ranges(leaf_index, tree_size)
    ] == (inclusion_proof(leaf_index, tree_size, leaves))
    old_size = data.draw(st.integers(min_value=0, max_value=tree_size))
    assert [
        hashes.subtree_hash(a, b) for a, b in consistency_proof_ranges(old_size, tree_size)
    ] == (consistency_proof(old_size, tree_size, leaves))


_LEAVES = _leaves(70_000)


def test_hash_tile_of_a_full_tile_is_its_subtree_root() -> None:
    leaves = _LEAVES[:256]
    assert hash_tile(b"".join(leaves)) == root_hash(leaves)
    assert hash_tile(b"".join(leaves[:3])) == root_hash(leaves[:3])
