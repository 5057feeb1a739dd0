"""C2SP tlog-tiles layout: tile paths, entry bundles, and subtree hashes read from tiles.

Pure format code, no I/O: fetching a tile is injected as a function, so the log store,
the HTTP verifier and the witness share one implementation of the layout
(c2sp.org/tlog-tiles, §Merkle Tree, §Partial Tiles, §Log entries).

- A tile at level L, index N holds the hashes MTH(D[(N*256+i)*256**L : (N*256+i+1)*256**L]),
  i = 0..width-1; a full tile is 256 hashes (8,192 bytes), a partial one 1..255.
- The partial tile at level L of a tree of size S has floor(S / 256**L) mod 256 hashes;
  any partial tile is a prefix of the full tile it grows into, so a store may keep one
  row per tile and serve narrower partial tiles as prefixes.
- Entry bundles are big-endian uint16 length-prefixed entries, 256 per full bundle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from hashlib import sha256

from anchoring.core.merkle import HASH_SIZE, root_hash
from anchoring.errors import TileFormatError, TileUnavailableError

__all__ = [
    "MAX_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileHashes",
    "TileRef",
    "decode_bundle",
    "encode_bundle",
    "format_tile_index",
    "hash_tile",
    "parse_tile_path",
    "tile_path",
    "tile_width",
    "tiles_for_tree",
]

TILE_HEIGHT = 8
"""tlog-tiles fixes the tile height at 8: every full tile holds 2**8 hashes."""
TILE_WIDTH = 1 << TILE_HEIGHT
"""256 hashes, 8,192 bytes per full tile (tlog-tiles §Merkle Tree)."""
FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE
MAX_LEVEL = 63
"""tlog-tiles §Merkle Tree: `<L>` is a decimal integer between 0 and 63."""
MAX_ENTRY_SIZE = 0xFFFF
"""Bundles prefix each entry with a big-endian uint16 length (tlog-tiles §Log entries)."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")  # ASCII decimal, no leading zeroes
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")  # 1..255, no leading zeroes


@dataclass(frozen=True)
class TileRef:
    """One tile resource: `level` (None for an entry bundle), `index`, `width` (1..256).

    `width == 256` is a full tile (path without `.p/`); smaller widths are partial tiles.
    """

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def is_partial(self) -> bool:
        """True for a partial tile (fewer than 256 hashes or entries)."""
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """The resource path under the log prefix, e.g. `tile/0/x001/234.p/17`."""
        return tile_path(self.level, self.index, self.width)


def format_tile_index(index: int) -> str:
    """Encode N as zero-padded 3-digit path elements, all but the last prefixed with `x`.

    tlog-tiles §Merkle Tree: 1234067 -> `x001/x234/067`; 5 -> `005`.
    """
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise TileFormatError(f"tile index must be an int >= 0, got {index!r}")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([*("x" + group for group in groups[:-1]), groups[-1]])


def tile_path(level: int | None, index: int, width: int = TILE_WIDTH) -> str:
    """Return `tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` when `level` is None."""
    if level is not None and not 0 <= level <= MAX_LEVEL:
        raise TileFormatError(f"tile level must be 0..{MAX_LEVEL}, got {level}")
    if not 1 <= width <= TILE_WIDTH:
        raise TileFormatError(f"tile width must be 1..{TILE_WIDTH}, got {width}")
    level_part = "entries" if level is None else str(level)
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level_part}/{format_tile_index(index)}{suffix}"


def parse_tile_path(path: str) -> TileRef:
    """Parse `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` strictly.

    Rejects (TileFormatError) leading zeroes in L or W, levels above 63, widths outside
    1..255 after `.p/`, index groups that are not 3 digits or lack the `x` prefix, and an
    index with a redundant leading `x000` group, so each tile has exactly one path.
    """
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TileFormatError(f"not a tile path: {path!r}")
    level_text, index_parts = parts[1], parts[2:]
    width = TILE_WIDTH
    if len(index_parts) >= 2 and index_parts[-2].endswith(".p"):
        width_text = index_parts[-1]
        if not _WIDTH.fullmatch(width_text) or int(width_text) >= TILE_WIDTH:
            raise TileFormatError(f"partial tile width {width_text!r} is not 1..255")
        width = int(width_text)
        index_parts = [*index_parts[:-2], index_parts[-2][: -len(".p")]]
    if level_text == "entries":
        level: int | None = None
    else:
        if not _DECIMAL.fullmatch(level_text) or int(level_text) > MAX_LEVEL:
            raise TileFormatError(f"tile level {level_text!r} is not 0..{MAX_LEVEL}")
        level = int(level_text)
    index = 0
    for position, group in enumerate(index_parts):
        last = position == len(index_parts) - 1
        digits = group if last else group[1:]
        if (not last and not group.startswith("x")) or len(digits) != 3 or not digits.isdigit():
            raise TileFormatError(f"bad tile index element {group!r} in {path!r}")
        if not digits.isascii():
            raise TileFormatError(f"bad tile index element {group!r} in {path!r}")
        index = index * 1000 + int(digits)
    if len(index_parts) > 1 and index_parts[0] == "x000":
        raise TileFormatError(f"tile index in {path!r} has a leading zero group")
    return TileRef(level, index, width)


def tile_width(level: int, index: int, tree_size: int) -> int:
    """Hashes in tile (level, index) of the tree of `tree_size` leaves: 0..256.

    0 means the tile does not exist yet (tlog-tiles §Partial Tiles: empty tiles are never
    served); 256 means it is full.
    """
    hashes_at_level = tree_size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, hashes_at_level - index * TILE_WIDTH))


def tiles_for_tree(tree_size: int) -> list[TileRef]:
    """Every hash tile of the tree of `tree_size` leaves, level by level, full ones first.

    For 70,000 leaves: 273 full and one partial (112) at level 0, one full and one partial
    (17) at level 1, one partial (1) at level 2 (tlog-tiles §Partial Tiles example).
    """
    refs: list[TileRef] = []
    level = 0
    while (tree_size >> (TILE_HEIGHT * level)) > 0:
        hashes = tree_size >> (TILE_HEIGHT * level)
        for index in range((hashes + TILE_WIDTH - 1) // TILE_WIDTH):
            refs.append(TileRef(level, index, tile_width(level, index, tree_size)))
        level += 1
    return refs


def hash_tile(data: bytes) -> bytes:
    """Return the Merkle Tree Hash of the hashes a tile holds (its subtree root).

    For a full tile at level L this is the hash stored at level L+1; RFC 9162 §2.1.1.
    """
    if not data or len(data) % HASH_SIZE or len(data) > FULL_TILE_BYTES:
        raise TileFormatError(f"a tile holds 1..256 32-byte hashes, got {len(data)} bytes")
    if len(data) != FULL_TILE_BYTES:
        return root_hash(split_hashes(data))
    # A full tile is a perfect tree of height 8: pair neighbours level by level,
    # SHA-256(0x01 || left || right), RFC 9162 §2.1.1.
    level = split_hashes(data)
    while len(level) > 1:
        level = [
            sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)
        ]
    return level[0]


def split_hashes(data: bytes) -> list[bytes]:
    """Split concatenated 32-byte hashes (a tile body) into a list."""
    if len(data) % HASH_SIZE:
        raise TileFormatError(f"tile length {len(data)} is not a multiple of {HASH_SIZE}")
    return [data[offset : offset + HASH_SIZE] for offset in range(0, len(data), HASH_SIZE)]


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """Return the entry bundle body: each entry as uint16 big-endian length || bytes."""
    parts = []
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise TileFormatError(f"entry of {len(entry)} bytes exceeds the uint16 length prefix")
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    return b"".join(parts)


def decode_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle into its entries; raises TileFormatError on truncation."""
    entries = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise TileFormatError("entry bundle ends inside a length prefix")
        size = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + size > len(data):
            raise TileFormatError("entry bundle ends inside an entry")
        entries.append(data[offset : offset + size])
        offset += size
    if len(entries) > TILE_WIDTH:
        raise TileFormatError(f"entry bundle holds {len(entries)} entries, at most 256")
    return entries


def bundle_prefix(data: bytes, width: int) -> bytes:
    """Return the first `width` entries of a bundle body, still encoded (a partial bundle)."""
    offset = 0
    for _ in range(width):
        if offset + 2 > len(data):
            raise TileFormatError(f"bundle holds fewer than {width} entries")
        offset += 2 + int.from_bytes(data[offset : offset + 2], "big")
    if offset > len(data):
        raise TileFormatError(f"bundle holds fewer than {width} entries")
    return data[:offset]


TileFetcher = Callable[[int, int, int], bytes]
"""fetch(level, index, width) -> the tile body (width * 32 bytes), or raise."""


class TileHashes:
    """Subtree hashes of the tree of `tree_size` leaves, computed from its hash tiles.

    `fetch(level, index, width)` returns the tile body; it is called at most once per tile
    (cached) and may come from a database or from HTTP. The data is checked for length
    only: callers that do not trust the source compare the results against a signed root.
    """

    def __init__(self, tree_size: int, fetch: TileFetcher) -> None:
        self.tree_size = tree_size
        self._fetch = fetch
        self._cache: dict[tuple[int, int], bytes] = {}

    def tile(self, level: int, index: int) -> bytes:
        """Return tile (level, index) as it is in this tree (full or partial)."""
        key = (level, index)
        data = self._cache.get(key)
        if data is None:
            width = tile_width(level, index, self.tree_size)
            if width == 0:
                raise TileUnavailableError(
                    f"tile {level}/{index} is empty at size {self.tree_size}"
                )
            data = self._fetch(level, index, width)
            if len(data) != width * HASH_SIZE:
                raise TileFormatError(
                    f"tile {tile_path(level, index, width)} has {len(data)} bytes, "
                    f"expected {width * HASH_SIZE}"
                )
            self._cache[key] = data
        return data

    def _stored_hashes(self, level: int, first: int, count: int) -> list[bytes]:
        # Hashes [first, first + count) at `level`; aligned, so they sit in one tile.
        tile = self.tile(level, first // TILE_WIDTH)
        offset = (first % TILE_WIDTH) * HASH_SIZE
        return split_hashes(tile[offset : offset + count * HASH_SIZE])

    def complete_subtree_hash(self, start: int, height: int) -> bytes:
        """MTH(D[start : start + 2**height]); requires start aligned to 2**height and the
        subtree inside the tree."""
        if start % (1 << height) or start + (1 << height) > self.tree_size:
            raise TileUnavailableError(
                f"no complete subtree of height {height} at {start} in size {self.tree_size}"
            )
        level, rest = divmod(height, TILE_HEIGHT)
        hashes = self._stored_hashes(level, start >> (TILE_HEIGHT * level), 1 << rest)
        return hashes[0] if rest == 0 else root_hash(hashes)

    def subtree_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range of the RFC 9162 §2.1.1 split (a proof-plan range).

        Such a range starts at a multiple of the largest power of two not above its length,
        so it decomposes into complete subtrees of decreasing size, folded right to left.
        """
        if not 0 <= start < end <= self.tree_size:
            raise TileUnavailableError(f"range [{start}, {end}) outside tree size {self.tree_size}")
        pieces: list[bytes] = []
        position = start
        while position < end:
            height = (end - position).bit_length() - 1
            while position % (1 << height):
                height -= 1
            pieces.append(self.complete_subtree_hash(position, height))
            position += 1 << height
        node = pieces[-1]
        for left in reversed(pieces[:-1]):
            node = sha256(b"\x01" + left + node).digest()  # RFC 9162 §2.1.1 node hash
        return node

    def root(self) -> bytes:
        """MTH(D[0:tree_size]) computed from the tiles (EMPTY_ROOT for size 0)."""
        if self.tree_size == 0:
            return root_hash([])
        return self.subtree_hash(0, self.tree_size)


def leaf_hashes_of_tiles(tiles: Sequence[bytes]) -> list[bytes]:
    """Concatenate level-0 tile bodies into one list of leaf hashes."""
    hashes: list[bytes] = []
    for tile in tiles:
        hashes.extend(split_hashes(tile))
    return hashes
