"""The durable log: queued entries, C2SP tiles, entry bundles and checkpoints in SQL.

Tables (all prefixed, see `Database`), one writer each: this module.

- `sequence` (one row): next leaf index to hand out. `submit` locks it, so indexes are
  handed out gap-free in commit order: the acknowledged order *is* the log order.
- `pending`: entries acknowledged but not yet in the tree, keyed by their leaf index.
- `state` (one row): the integrated tree size, its compact range and signed checkpoint.
- `tiles`: one row per hash tile (level, index) with its current width; a partial tile
  grows in place and narrower partial tiles are served as prefixes of it.
- `bundles`: one row per entry bundle, likewise.
- `checkpoints`: every published checkpoint (size, root, signed note, time).

`integrate` moves a contiguous run of pending entries into tiles, bundles and a new
checkpoint and deletes them from `pending`, all in one transaction: after a crash at
any point each acknowledged entry is either still pending or integrated, never both,
never lost, and the stored tiles always hash to the stored checkpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import sha256

from anchoring.core.checkpoint import Checkpoint
from anchoring.core.entry import LogEntry, encode_entry
from anchoring.core.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    consistency_proof_ranges,
    inclusion_proof_ranges,
)
from anchoring.errors import StoreCorruptionError, StoreError, TileUnavailableError
from anchoring.store.db import Cursor, Database, to_bytes
from anchoring.tiles import (
    FULL_TILE_BYTES,
    TILE_WIDTH,
    TileHashes,
    bundle_prefix,
    decode_bundle,
    hash_tile,
)

log = logging.getLogger(__name__)

SignCheckpoint = Callable[[Checkpoint], str]
"""Turns a checkpoint into its signed note text (the sequencer holds the key)."""

WithinSubmit = Callable[[Cursor, list["Receipt"]], None]
"""Writes a caller's rows inside `submit_encoded`'s transaction, given its receipts."""


@dataclass(frozen=True)
class Receipt:
    """Proof of acceptance: the entry's leaf index and leaf hash, fixed at `submit` time."""

    leaf_index: int
    leaf_hash: bytes


@dataclass(frozen=True)
class LogHead:
    """The latest integrated tree head and its signed checkpoint note."""

    tree_size: int
    root_hash: bytes
    checkpoint: str | None
    published_ms: int


@dataclass(frozen=True)
class Integration:
    """What one `integrate` call committed."""

    old_size: int
    tree_size: int
    root_hash: bytes
    checkpoint: str


class LogStore:
    """The tile-based log on a `Database`. Thread-safe: each thread uses its own connection."""

    def __init__(self, database: Database) -> None:
        self.db = database
        self._t = {
            name: database.table(name)
            for name in (
                "sequence",
                "pending",
                "state",
                "tiles",
                "bundles",
                "checkpoints",
                "cosignatures",
            )
        }

    @classmethod
    def open(cls, url: str, *, table_prefix: str = "tl_") -> LogStore:
        """Open the store at `url`, creating its tables if needed."""
        store = cls(Database(url, table_prefix=table_prefix))
        store.create_schema()
        return store

    def close(self) -> None:
        """Close all database connections."""
        self.db.close()

    # ------------------------------------------------------------------ schema

    def create_schema(self) -> None:
        """Create the tables and the initial empty-tree state; idempotent."""
        t, blob = self._t, self.db.blob
        statements = [
            (
                f"CREATE TABLE IF NOT EXISTS {t['sequence']} (id INTEGER PRIMARY KEY, "
                "next_index BIGINT NOT NULL)"
            ),
            (
                f"CREATE TABLE IF NOT EXISTS {t['pending']} (leaf_index BIGINT PRIMARY KEY, "
                f"entry {blob} NOT NULL)"
            ),
            (
                f"CREATE TABLE IF NOT EXISTS {t['state']} (id INTEGER PRIMARY KEY, "
                f"tree_size BIGINT NOT NULL, root {blob} NOT NULL, compact {blob} NOT NULL, "
                "checkpoint TEXT, published_ms BIGINT NOT NULL)"
            ),
            (
                f"CREATE TABLE IF NOT EXISTS {t['tiles']} (level INTEGER NOT NULL, "
                f"tile_index BIGINT NOT NULL, width INTEGER NOT NULL, data {blob} NOT NULL, "
                "PRIMARY KEY (level, tile_index))"
            ),
            (
                f"CREATE TABLE IF NOT EXISTS {t['bundles']} (tile_index BIGINT PRIMARY KEY, "
                f"width INTEGER NOT NULL, data {blob} NOT NULL)"
            ),
            (
                f"CREATE TABLE IF NOT EXISTS {t['checkpoints']} (tree_size BIGINT PRIMARY KEY, "
                f"root {blob} NOT NULL, note TEXT NOT NULL, published_ms BIGINT NOT NULL)"
            ),
            (
                f"CREATE TABLE IF NOT EXISTS {t['cosignatures']} (tree_size BIGINT NOT NULL, "
                "witness TEXT NOT NULL, line TEXT NOT NULL, PRIMARY KEY (tree_size, witness))"
            ),
            f"INSERT INTO {t['sequence']} (id, next_index) VALUES (1, 0) ON CONFLICT DO NOTHING",
            (
                f"INSERT INTO {t['state']} (id, tree_size, root, compact, checkpoint, published_ms) "
                "VALUES (1, 0, ?, ?, NULL, 0) ON CONFLICT DO NOTHING"
            ),
        ]
        with self.db.transaction() as cursor:
            for statement in statements:
                params = (EMPTY_ROOT, b"") if "?" in statement else ()
                cursor.execute(statement, params)

    def _for_update(self) -> str:
        return " FOR UPDATE" if self.db.dialect == "postgresql" else ""

    # ------------------------------------------------------------------ submit

    def submit(self, entries: Sequence[LogEntry]) -> list[Receipt]:
        """Durably queue `entries` in order and return one receipt per entry.

        Returns only after the transaction committed (fsync on SQLite): every returned
        receipt's entry will be integrated at exactly `leaf_index`. On any error nothing
        is queued and `StoreError` is raised.
        """
        return self.submit_encoded([encode_entry(entry) for entry in entries])

    def submit_encoded(
        self, encoded_entries: Sequence[bytes], *, within: WithinSubmit | None = None
    ) -> list[Receipt]:
        """`submit` for entries already encoded with `encode_entry` (not re-validated).

        `within`, if given, is called with the open cursor and the receipts after the
        entries are queued and before the commit, so a caller can write rows that belong
        with them (the API's records) in the same transaction: both commit or neither
        does. If it raises, nothing is queued and `StoreError` is raised from its error.
        It is called even when `encoded_entries` is empty (with no receipts).
        """
        if not encoded_entries and within is None:
            return []
        t = self._t
        try:
            with self.db.transaction() as cursor:
                receipts: list[Receipt] = []
                if encoded_entries:
                    row = cursor.execute(
                        f"SELECT next_index FROM {t['sequence']} WHERE id = 1{self._for_update()}"
                    ).fetchone()
                    first = int(row[0])
                    cursor.insert_rows(
                        t["pending"],
                        ("leaf_index", "entry"),
                        [(first + offset, entry) for offset, entry in enumerate(encoded_entries)],
                    )
                    cursor.execute(
                        f"UPDATE {t['sequence']} SET next_index = ? WHERE id = 1",
                        (first + len(encoded_entries),),
                    )
                    receipts = [
                        Receipt(first + offset, sha256(b"\x00" + entry).digest())  # RFC 9162 §2.1.1 leaf
                        for offset, entry in enumerate(encoded_entries)
                    ]
                if within is not None:
                    within(cursor, receipts)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"submitting {len(encoded_entries)} entries failed: {exc}") from exc
        return receipts

    def pending_count(self) -> int:
        """Entries acknowledged but not yet integrated."""
        with self.db.transaction(write=False) as cursor:
            row = cursor.execute(
                f"SELECT s.next_index, t.tree_size FROM {self._t['sequence']} s, "
                f"{self._t['state']} t WHERE s.id = 1 AND t.id = 1"
            ).fetchone()
        return int(row[0]) - int(row[1])

    # ------------------------------------------------------------------ integrate

    def integrate(self, sign: SignCheckpoint, *, origin: str, max_batch: int) -> Integration | None:
        """Integrate up to `max_batch` pending entries and publish a signed checkpoint.

        All in one transaction: tiles, bundles, the new state and checkpoint, and the
        deletion of the integrated pending rows. Returns None when nothing was pending
        and a checkpoint already exists. Raises `StoreError` (nothing committed) on any
        database failure, `StoreCorruptionError` if stored state breaks an invariant.
        """
        t = self._t
        old_size = -1
        try:
            with self.db.transaction() as cursor:
                row = cursor.execute(
                    f"SELECT tree_size, compact, checkpoint FROM {t['state']} "
                    f"WHERE id = 1{self._for_update()}"
                ).fetchone()
                old_size, compact_blob, old_note = int(row[0]), to_bytes(row[1]), row[2]
                rows = cursor.execute(
                    f"SELECT leaf_index, entry FROM {t['pending']} WHERE leaf_index >= ? "
                    "ORDER BY leaf_index LIMIT ?",
                    (old_size, max_batch),
                ).fetchall()
                if not rows and old_note is not None:
                    return None
                if rows and (
                    int(rows[0][0]) != old_size or int(rows[-1][0]) != old_size + len(rows) - 1
                ):
                    raise StoreCorruptionError(
                        f"pending entries not contiguous from tree size {old_size}: "
                        f"first {rows[0][0]}, last {rows[-1][0]}, count {len(rows)}"
                    )
                entries = [to_bytes(entry) for _, entry in rows]
                leaf_hashes = [
                    sha256(b"\x00" + entry).digest() for entry in entries
                ]  # RFC 9162 §2.1.1
                level0_roots, partial_tile = self._write_tiles(cursor, old_size, leaf_hashes)
                self._write_bundles(cursor, old_size, entries)
                compact = _advance_frontier(old_size, compact_blob, level0_roots, partial_tile)
                tree_size, root = compact.size, compact.root()
                note = sign(Checkpoint(origin, tree_size, root))
                now_ms = int(time.time() * 1000)
                cursor.execute(
                    f"UPDATE {t['state']} SET tree_size = ?, root = ?, compact = ?, "
                    "checkpoint = ?, published_ms = ? WHERE id = 1",
                    (tree_size, root, b"".join(compact.hashes), note, now_ms),
                )
                cursor.execute(
                    f"INSERT INTO {t['checkpoints']} (tree_size, root, note, published_ms) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (tree_size) DO UPDATE SET "
                    "root = excluded.root, note = excluded.note, published_ms = excluded.published_ms",
                    (tree_size, root, note, now_ms),
                )
                if rows:
                    cursor.execute(f"DELETE FROM {t['pending']} WHERE leaf_index < ?", (tree_size,))
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"integrating at tree size {old_size} failed: {exc}") from exc
        log.info("integrated %d entries: tree_size=%d root=%s", len(rows), tree_size, root.hex())
        return Integration(old_size, tree_size, root, note)

    def _write_tiles(
        self, cursor: Cursor, old_size: int, leaf_hashes: list[bytes]
    ) -> tuple[list[bytes], bytes]:
        """Write the tiles of the tree grown by `leaf_hashes`; return the roots of the
        level-0 tiles that became full and the new rightmost partial level-0 tile."""
        # Level by level: append the new hashes to the level's rightmost tile, split into
        # tiles of 256; each tile that became full contributes its root to the level above
        # (tlog-tiles §Merkle Tree: level L+1 hashes are MTHs of full level-L tiles).
        level, new_hashes = 0, leaf_hashes
        rows: list[tuple[int, int, int, bytes]] = []
        level0_roots: list[bytes] = []
        partial_tile = b""
        while new_hashes:
            count = old_size >> (8 * level)
            first_tile, offset = divmod(count, TILE_WIDTH)
            existing = self._existing(cursor, "tiles", level, first_tile, offset) if offset else b""
            buffer = existing + b"".join(new_hashes)
            completed: list[bytes] = []
            for start in range(0, len(buffer), FULL_TILE_BYTES):
                chunk = buffer[start : start + FULL_TILE_BYTES]
                width = len(chunk) // HASH_SIZE
                rows.append((level, first_tile + start // FULL_TILE_BYTES, width, chunk))
                if width == TILE_WIDTH:
                    completed.append(hash_tile(chunk))
                elif level == 0:
                    partial_tile = chunk
            if level == 0:
                level0_roots = completed
            level, new_hashes = level + 1, completed
        cursor.executemany(
            f"INSERT INTO {self._t['tiles']} (level, tile_index, width, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (level, tile_index) DO UPDATE SET width = excluded.width, data = excluded.data",
            rows,
        )
        if not leaf_hashes and old_size % TILE_WIDTH:
            partial_tile = self._existing(
                cursor, "tiles", 0, old_size // TILE_WIDTH, old_size % TILE_WIDTH
            )
        return level0_roots, partial_tile

    def _write_bundles(self, cursor: Cursor, old_size: int, entries: list[bytes]) -> None:
        if not entries:
            return
        first_bundle, offset = divmod(old_size, TILE_WIDTH)
        existing = self._existing(cursor, "bundles", None, first_bundle, offset) if offset else b""
        rows: list[tuple[int, int, bytes]] = []
        position, bundle_index, width, parts = 0, first_bundle, offset, [existing]
        while position < len(entries):
            take = min(TILE_WIDTH - width, len(entries) - position)
            # uint16 big-endian length || entry, tlog-tiles §Log entries
            parts.extend(
                [
                    len(entry).to_bytes(2, "big") + entry
                    for entry in entries[position : position + take]
                ]
            )
            position += take
            width += take
            rows.append((bundle_index, width, b"".join(parts)))
            bundle_index, width, parts = bundle_index + 1, 0, []
        cursor.executemany(
            f"INSERT INTO {self._t['bundles']} (tile_index, width, data) VALUES (?, ?, ?) "
            "ON CONFLICT (tile_index) DO UPDATE SET width = excluded.width, data = excluded.data",
            rows,
        )

    def _existing(
        self, cursor: Cursor, table: str, level: int | None, index: int, width: int
    ) -> bytes:
        if level is None:
            row = cursor.execute(
                f"SELECT width, data FROM {self._t[table]} WHERE tile_index = ?", (index,)
            ).fetchone()
        else:
            row = cursor.execute(
                f"SELECT width, data FROM {self._t[table]} WHERE level = ? AND tile_index = ?",
                (level, index),
            ).fetchone()
        if row is None or int(row[0]) != width:
            raise StoreCorruptionError(
                f"{table} {level}/{index}: expected stored width {width}, "
                f"found {None if row is None else row[0]}"
            )
        return to_bytes(row[1])

    # ------------------------------------------------------------------ reads

    def head(self) -> LogHead:
        """The latest integrated tree head (size 0 and no checkpoint before the first)."""
        with self.db.transaction(write=False) as cursor:
            row = cursor.execute(
                f"SELECT tree_size, root, checkpoint, published_ms FROM {self._t['state']} WHERE id = 1"
            ).fetchone()
        return LogHead(int(row[0]), to_bytes(row[1]), row[2], int(row[3]))

    def add_cosignature(self, tree_size: int, witness: str, line: str) -> None:
        """Store a witness's verified cosignature line (`— <name> <base64>` + newline) for
        the checkpoint of `tree_size`; `served_checkpoint` appends it to the log's note."""
        with self.db.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self._t['cosignatures']} (tree_size, witness, line) VALUES (?, ?, ?) "
                "ON CONFLICT (tree_size, witness) DO UPDATE SET line = excluded.line",
                (tree_size, witness, line),
            )

    def served_checkpoint(self) -> str | None:
        """The latest checkpoint note with every stored witness cosignature line appended
        (signed-note: more signature lines after the log's), or None before the first."""
        with self.db.transaction(write=False) as cursor:
            row = cursor.execute(
                f"SELECT tree_size, checkpoint FROM {self._t['state']} WHERE id = 1"
            ).fetchone()
            if row[1] is None:
                return None
            lines = cursor.execute(
                f"SELECT line FROM {self._t['cosignatures']} WHERE tree_size = ? ORDER BY witness",
                (int(row[0]),),
            ).fetchall()
        return str(row[1]) + "".join(line for (line,) in lines)

    def checkpoints(self, *, min_size: int = 0) -> list[tuple[int, bytes, int]]:
        """Published checkpoints (tree_size, root, published_ms) with size >= min_size, ascending."""
        with self.db.transaction(write=False) as cursor:
            rows = cursor.execute(
                f"SELECT tree_size, root, published_ms FROM {self._t['checkpoints']} "
                "WHERE tree_size >= ? ORDER BY tree_size",
                (min_size,),
            ).fetchall()
        return [(int(size), to_bytes(root), int(ms)) for size, root, ms in rows]

    def read_tile(self, level: int, index: int, width: int) -> bytes:
        """Hash tile (level, index) at `width` (256 = full); a prefix of the stored tile.

        Raises `TileUnavailableError` if the stored tile is narrower than `width`.
        """
        with self.db.transaction(write=False) as cursor:
            row = cursor.execute(
                f"SELECT width, data FROM {self._t['tiles']} WHERE level = ? AND tile_index = ?",
                (level, index),
            ).fetchone()
        if row is None or int(row[0]) < width:
            raise TileUnavailableError(f"tile {level}/{index} width {width} not available")
        return to_bytes(row[1])[: width * HASH_SIZE]

    def read_bundle(self, index: int, width: int) -> bytes:
        """Entry bundle `index` holding its first `width` entries (256 = full)."""
        with self.db.transaction(write=False) as cursor:
            row = cursor.execute(
                f"SELECT width, data FROM {self._t['bundles']} WHERE tile_index = ?", (index,)
            ).fetchone()
        if row is None or int(row[0]) < width:
            raise TileUnavailableError(f"entry bundle {index} width {width} not available")
        data = to_bytes(row[1])
        return data if int(row[0]) == width else bundle_prefix(data, width)

    def tile_hashes(self, tree_size: int) -> TileHashes:
        """Subtree hashes of the tree of `tree_size` leaves (<= the integrated size)."""
        head = self.head()
        if tree_size > head.tree_size:
            raise TileUnavailableError(f"tree size {tree_size} > integrated size {head.tree_size}")
        return TileHashes(tree_size, self.read_tile)

    def root_at(self, tree_size: int) -> bytes:
        """MTH(D[0:tree_size]) from the stored tiles."""
        return self.tile_hashes(tree_size).root()

    def inclusion_proof(self, leaf_index: int, tree_size: int) -> list[bytes]:
        """PATH(leaf_index, D[tree_size]) from tiles, RFC 9162 §2.1.3.1."""
        hashes = self.tile_hashes(tree_size)
        return [hashes.subtree_hash(a, b) for a, b in inclusion_proof_ranges(leaf_index, tree_size)]

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, D[new_size]) from tiles, RFC 9162 §2.1.4.1."""
        hashes = self.tile_hashes(new_size)
        return [hashes.subtree_hash(a, b) for a, b in consistency_proof_ranges(old_size, new_size)]

    def read_entry(self, leaf_index: int) -> bytes | None:
        """The encoded entry at `leaf_index`, integrated or still pending; None if unknown."""
        with self.db.transaction(write=False) as cursor:
            row = cursor.execute(
                f"SELECT entry FROM {self._t['pending']} WHERE leaf_index = ?", (leaf_index,)
            ).fetchone()
            if row is not None:
                return to_bytes(row[0])
            bundle = cursor.execute(
                f"SELECT width, data FROM {self._t['bundles']} WHERE tile_index = ?",
                (leaf_index // TILE_WIDTH,),
            ).fetchone()
        if bundle is None or int(bundle[0]) <= leaf_index % TILE_WIDTH:
            return None
        return decode_bundle(to_bytes(bundle[1]))[leaf_index % TILE_WIDTH]

    def drop_all(self) -> None:
        """Drop every table of this store (tests and benchmarks only)."""
        with self.db.transaction() as cursor:
            for table in self._t.values():
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _advance_frontier(
    old_size: int, compact_blob: bytes, level0_roots: list[bytes], partial_tile: bytes
) -> CompactRange:
    """The compact range after appending whole level-0 tiles and ending in `partial_tile`.

    The frontier of a tree splits at 256-leaf boundaries: its subtrees of >= 256 leaves
    are exactly the frontier of the tree whose leaves are the level-0 tile roots, and the
    rest is the frontier of the leaves of the partial tile. Extending at tile granularity
    reuses the tile roots instead of hashing every node twice.
    """
    hashes = [compact_blob[i : i + HASH_SIZE] for i in range(0, len(compact_blob), HASH_SIZE)]
    full_tiles = old_size // TILE_WIDTH
    high = CompactRange.restore(size=full_tiles, hashes=hashes[: full_tiles.bit_count()])
    high.extend(level0_roots)
    low = CompactRange.from_leaf_hashes(
        [partial_tile[i : i + HASH_SIZE] for i in range(0, len(partial_tile), HASH_SIZE)]
    )
    return CompactRange.restore(
        size=high.size * TILE_WIDTH + low.size, hashes=[*high.hashes, *low.hashes]
    )
