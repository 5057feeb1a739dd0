"""The durable store: one SQLite file holding py-evm's key-value data and the RPC indexes.

Why SQLite (see ledger_node/README.md): it is in the standard library, its WAL mode with
`synchronous=FULL` makes a committed transaction survive `kill -9` and power loss, and one
SQL transaction can hold a whole block: the py-evm trie nodes, header, body and receipts
(table `kv`), the transaction and log indexes the JSON-RPC reads (tables `txs`, `logs`) and
the head (table `blocks`). Either all of a block is on disk or none of it is.

py-evm writes through `BufferedKeyValueDB`, which keeps the writes of the block being built in
memory; `LedgerStore.commit_block` flushes them together with the index rows in one
transaction and returns only after SQLite has fsynced the WAL.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eth.db.backends.base import BaseDB

from ledger_node.block_encoding import block_rlp_from_parts
from ledger_node.errors import StoreError

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
DB_FILE_MODE = 0o600
"""Owner-only: SQLite gives the -wal and -shm files the database file's mode."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    header_rlp BLOB NOT NULL,
    size INTEGER NOT NULL,
    tx_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS txs (
    hash BLOB PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_index INTEGER NOT NULL,
    sender BLOB NOT NULL,
    raw BLOB NOT NULL,
    status INTEGER NOT NULL,
    gas_used INTEGER NOT NULL,
    cumulative_gas_used INTEGER NOT NULL,
    contract_address BLOB,
    effective_gas_price INTEGER NOT NULL,
    logs_bloom BLOB NOT NULL,
    first_log_index INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS txs_by_block ON txs (block_number, tx_index);
CREATE TABLE IF NOT EXISTS logs (
    block_number INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    tx_index INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    address BLOB NOT NULL,
    topic0 BLOB, topic1 BLOB, topic2 BLOB, topic3 BLOB,
    data BLOB NOT NULL,
    PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS logs_by_address ON logs (address, block_number);
CREATE INDEX IF NOT EXISTS logs_by_topic0 ON logs (topic0, block_number);
"""

_DELETED = object()  # tombstone in the write buffer
READ_CACHE_ENTRIES = 200_000  # ~ tens of MB: recent trie nodes, accounts, code


@dataclass(frozen=True)
class BlockRow:
    """A row of `blocks`: the canonical block at `number`."""

    number: int
    hash: bytes
    header_rlp: bytes
    size: int
    tx_count: int


@dataclass(frozen=True)
class TxRow:
    """A row of `txs`: an included transaction and its receipt fields."""

    hash: bytes
    block_number: int
    tx_index: int
    sender: bytes
    raw: bytes
    status: int
    gas_used: int
    cumulative_gas_used: int
    contract_address: bytes | None
    effective_gas_price: int
    logs_bloom: bytes
    first_log_index: int


@dataclass(frozen=True)
class LogRow:
    """A row of `logs`: one event log, at most four topics."""

    block_number: int
    log_index: int
    tx_index: int
    tx_hash: bytes
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


class BufferedKeyValueDB(BaseDB):
    """py-evm's key-value view of the store: reads see buffered writes, writes stay in memory
    until `LedgerStore.commit_block` (or are dropped by `LedgerStore.discard_pending`)."""

    def __init__(self, store: LedgerStore) -> None:
        self._store = store
        self.pending: dict[bytes, object] = {}
        # Committed values read recently. Every write to `kv` goes through this object and
        # `LedgerStore.commit_block` refreshes the cache from the flushed writes, so it
        # never holds a stale value. Saves an SQLite query per account/code/trie-node read.
        self.cache: dict[bytes, bytes] = {}

    def __getitem__(self, key: bytes) -> bytes:
        value = self.pending.get(key)
        if value is _DELETED:
            raise KeyError(key)
        if value is not None:
            return value  # type: ignore[return-value]
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        found = self._store.kv_get(key)
        if found is None:
            raise KeyError(key)
        if len(self.cache) >= READ_CACHE_ENTRIES:
            self.cache.clear()
        self.cache[key] = found
        return found

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.pending[key] = value

    def __delitem__(self, key: bytes) -> None:
        if key not in self:
            raise KeyError(key)
        self.pending[key] = _DELETED

    def _exists(self, key: bytes) -> bool:
        value = self.pending.get(key)
        if value is _DELETED:
            return False
        if value is not None or key in self.cache:
            return True
        return self._store.kv_get(key) is not None

    def flushed(self, pending: dict[bytes, object]) -> None:
        """Called after `pending` was committed: keep the cache consistent with the file."""
        cache = self.cache
        for key, value in pending.items():
            if value is _DELETED:
                cache.pop(key, None)
            elif key in cache:
                cache[key] = value  # type: ignore[assignment]


class LedgerStore:
    """The node's SQLite file. Thread-safe: one connection, one lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        if path.parent.is_dir():  # created owner-only before SQLite opens it, whatever the umask
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, DB_FILE_MODE))
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so a committed block survives power loss.
        self._conn.execute("PRAGMA synchronous=FULL")
        # The node process reads while the sealer process writes (WAL allows it); wait
        # rather than fail if SQLite ever needs a lock briefly (checkpoints, recovery).
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(_SCHEMA)
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise StoreError(f"{path}: schema version {version}, expected {SCHEMA_VERSION}")
        self.kv = BufferedKeyValueDB(self)

    def close(self) -> None:
        """Close the connection; buffered (uncommitted) writes are lost, as after a crash."""
        with self._lock:
            self._conn.close()

    # ------------------------------------------------------------------ key-value
    def kv_get(self, key: bytes) -> bytes | None:
        """Return the committed value of `key`, or None."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def discard_pending(self) -> None:
        """Forget the buffered key-value writes (a block build that failed)."""
        self.kv.pending = {}

    def get_meta(self, name: str) -> str | None:
        """Return a metadata value (chain config, schema version), or None."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        """Write a metadata value durably (its own transaction)."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value)
            )

    # ------------------------------------------------------------------ block commit
    def commit_block(
        self, block: BlockRow, txs: Sequence[TxRow], logs: Sequence[LogRow]
    ) -> None:
        """Write the buffered py-evm data, the block's index rows and the new head in one
        SQL transaction. Returns only after the commit is durable (WAL fsynced)."""
        self.commit_blocks([(block, txs, logs)])

    def commit_blocks(
        self,
        blocks: Sequence[tuple[BlockRow, Sequence[TxRow], Sequence[LogRow]]],
        replace_after: int | None = None,
    ) -> None:
        """Write the buffered py-evm data and the index rows of consecutive `blocks` in one
        SQL transaction; with `replace_after`, the canonical blocks above that number (and
        their transactions and logs) are removed first, in the same transaction: a reorg is
        on disk whole or not at all. Returns only after the commit is durable."""
        pending = self.kv.pending
        upserts = [(k, v) for k, v in pending.items() if v is not _DELETED]
        deletes = [(k,) for k, v in pending.items() if v is _DELETED]
        with self._lock:
            cursor = self._conn.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.executemany("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", upserts)
                cursor.executemany("DELETE FROM kv WHERE key = ?", deletes)
                if replace_after is not None:
                    for table in ("blocks", "txs", "logs"):
                        column = "number" if table == "blocks" else "block_number"
                        cursor.execute(f"DELETE FROM {table} WHERE {column} > ?", (replace_after,))
                for block, txs, logs in blocks:
                    cursor.execute(
                        "INSERT INTO blocks (number, hash, header_rlp, size, tx_count)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (block.number, block.hash, block.header_rlp, block.size, block.tx_count),
                    )
                    cursor.executemany(
                        "INSERT INTO txs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            (
                                t.hash, t.block_number, t.tx_index, t.sender, t.raw, t.status,
                                t.gas_used, t.cumulative_gas_used, t.contract_address,
                                t.effective_gas_price, t.logs_bloom, t.first_log_index,
                            )
                            for t in txs
                        ],
                    )
                    cursor.executemany(
                        "INSERT INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [_log_params(log) for log in logs],
                    )
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        self.kv.pending = {}
        self.kv.flushed(pending)
        if blocks:
            last = blocks[-1][0]
            logger.debug("committed blocks to %d 0x%s%s", last.number, last.hash.hex(),
                         "" if replace_after is None else f" (replacing after {replace_after})")

    # ------------------------------------------------------------------ queries
    def head(self) -> BlockRow | None:
        """Return the last committed block, or None for an empty store."""
        return self._block_where("number = (SELECT max(number) FROM blocks)", ())

    def block_by_number(self, number: int) -> BlockRow | None:
        """Return the committed block at `number`, or None."""
        return self._block_where("number = ?", (number,))

    def block_by_hash(self, block_hash: bytes) -> BlockRow | None:
        """Return the committed block with `block_hash`, or None."""
        return self._block_where("hash = ?", (block_hash,))

    def _block_where(self, where: str, params: tuple[object, ...]) -> BlockRow | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT number, hash, header_rlp, size, tx_count FROM blocks WHERE {where}",
                params,
            ).fetchone()
        if row is None:
            return None
        return BlockRow(row[0], bytes(row[1]), bytes(row[2]), row[3], row[4])

    def txs_after(self, block_number: int) -> list[TxRow]:
        """The transactions of the canonical blocks above `block_number`, in chain order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM txs WHERE block_number > ? ORDER BY block_number, tx_index",
                (block_number,),
            ).fetchall()
        return [_tx_row(row) for row in rows]

    def block_rlp(self, number: int) -> bytes | None:
        """The RLP of committed block `number` from its stored header and raw transactions
        (read under one lock: a reorg cannot land between the two), or None."""
        with self._lock:
            row = self.block_by_number(number)
            if row is None:
                return None
            return block_rlp_from_parts(row.header_rlp,
                                        [t.raw for t in self.txs_in_block(number)])

    def tx_by_hash(self, tx_hash: bytes) -> TxRow | None:
        """Return the included transaction with `tx_hash`, or None."""
        with self._lock:
            row = self._conn.execute("SELECT * FROM txs WHERE hash = ?", (tx_hash,)).fetchone()
        return None if row is None else _tx_row(row)

    def txs_in_block(self, block_number: int) -> list[TxRow]:
        """Return the block's transactions in block order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM txs WHERE block_number = ? ORDER BY tx_index", (block_number,)
            ).fetchall()
        return [_tx_row(row) for row in rows]

    def logs_of_tx(self, block_number: int, tx_index: int) -> list[LogRow]:
        """Return the logs one transaction emitted, in order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM logs WHERE block_number = ? AND tx_index = ? ORDER BY log_index",
                (block_number, tx_index),
            ).fetchall()
        return [_log_row(row) for row in rows]

    def find_logs(
        self,
        from_block: int,
        to_block: int,
        addresses: Iterable[bytes] = (),
        topics: Sequence[Sequence[bytes] | None] = (),
        limit: int | None = None,
    ) -> list[LogRow]:
        """Return logs in [from_block, to_block] matching the eth_getLogs filter: any of
        `addresses` (none = all) and, per position, any of `topics[i]` (None = any)."""
        clauses = ["block_number BETWEEN ? AND ?"]
        params: list[object] = [from_block, to_block]
        address_list = list(addresses)
        if address_list:
            clauses.append(f"address IN ({','.join('?' * len(address_list))})")
            params.extend(address_list)
        for position, alternatives in enumerate(topics[:4]):
            if alternatives is None or len(alternatives) == 0:
                continue
            clauses.append(f"topic{position} IN ({','.join('?' * len(alternatives))})")
            params.extend(alternatives)
        sql = f"SELECT * FROM logs WHERE {' AND '.join(clauses)} ORDER BY block_number, log_index"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [_log_row(row) for row in rows]


def _log_params(log: LogRow) -> tuple[object, ...]:
    topics = list(log.topics) + [None] * (4 - len(log.topics))
    return (
        log.block_number, log.log_index, log.tx_index, log.tx_hash, log.address,
        *topics, log.data,
    )


def _log_row(row: Sequence[object]) -> LogRow:
    topics = tuple(bytes(t) for t in row[5:9] if t is not None)  # type: ignore[arg-type]
    return LogRow(
        block_number=row[0],  # type: ignore[arg-type]
        log_index=row[1],  # type: ignore[arg-type]
        tx_index=row[2],  # type: ignore[arg-type]
        tx_hash=bytes(row[3]),  # type: ignore[arg-type]
        address=bytes(row[4]),  # type: ignore[arg-type]
        topics=topics,
        data=bytes(row[9]),  # type: ignore[arg-type]
    )


def _tx_row(row: Sequence[object]) -> TxRow:
    return TxRow(
        hash=bytes(row[0]),  # type: ignore[arg-type]
        block_number=row[1],  # type: ignore[arg-type]
        tx_index=row[2],  # type: ignore[arg-type]
        sender=bytes(row[3]),  # type: ignore[arg-type]
        raw=bytes(row[4]),  # type: ignore[arg-type]
        status=row[5],  # type: ignore[arg-type]
        gas_used=row[6],  # type: ignore[arg-type]
        cumulative_gas_used=row[7],  # type: ignore[arg-type]
        contract_address=None if row[8] is None else bytes(row[8]),  # type: ignore[arg-type]
        effective_gas_price=row[9],  # type: ignore[arg-type]
        logs_bloom=bytes(row[10]),  # type: ignore[arg-type]
        first_log_index=row[11],  # type: ignore[arg-type]
    )
