"""Block files: `traceledger node export` / `import`, geth's format.

A block file is the RLP encodings of consecutive blocks, one after another
(`rlp([header, transactions, uncles, withdrawals])`, as geth's `export` writes them),
gzip-compressed when its name ends in `.gz`. A new node can start from one: `import`
builds block 0 from the network's genesis.json, then verifies every block as a follower
does (seal and signer rules, full re-execution, every root, `LedgerChain.import_block`)
before committing it, so a file from anywhere is safe to import: a bad block stops the
import with its number and reason, and everything before it stays imported.

Bounds: an item's RLP length prefix is read before the item, and an item larger than
MAX_BLOCK_BYTES is refused unread.
"""

from __future__ import annotations

import gzip
import json
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import rlp
from eth.vm.forks.cancun.blocks import CancunBlock
from eth_utils import to_canonical_address

from ledger_node.chain import ChainConfig, LedgerChain, load_config
from ledger_node.errors import BlockRejectedError, GenesisError, LedgerNodeError
from ledger_node.rpc.admin import admin_socket_path
from ledger_node.store import LedgerStore

logger = logging.getLogger(__name__)

#: A block's RLP can be no larger than its transactions allow: the gas limit (1e9) at the
#: cheapest calldata (4 gas per zero byte) is 250 MB, which no block file of ours holds;
#: 128 MiB keeps a hostile file from making us buffer gigabytes.
MAX_BLOCK_BYTES = 128 * 1024 * 1024
CHAIN_FILE = "chain.sqlite"


class BlockFileError(LedgerNodeError):
    """A block file that cannot be read (truncated, not RLP, an item too large)."""


@dataclass(frozen=True)
class ImportResult:
    """What `import_block_file` did: blocks read, already present, imported; the head."""

    read: int
    already_present: int
    imported: int
    head_number: int
    head_hash: str


def _open_for(path: Path, mode: str, name: str | None = None) -> IO[bytes]:
    """`path` opened in binary `mode`, through gzip when `name` (default: path's) ends .gz."""
    if (name or path.name).endswith(".gz"):
        return gzip.open(path, mode)  # type: ignore[return-value]
    return path.open(mode)


def export_block_file(
    data_dir: Path,
    output: Path,
    first: int = 1,
    last: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Write blocks first..last (default: 1 to the head) of the node in `data_dir` to
    `output`; return (first, last). Reads a consistent view: safe while the node runs."""
    if not (data_dir / CHAIN_FILE).exists():
        raise LedgerNodeError(f"{data_dir}: no chain")
    store = LedgerStore(data_dir / CHAIN_FILE)
    try:
        head = store.head()
        if head is None:
            raise LedgerNodeError(f"{data_dir}: no chain")
        last = head.number if last is None else last
        if not 0 <= first <= last <= head.number:
            raise LedgerNodeError(f"range {first}..{last} is outside 0..{head.number}")
        temporary = output.with_name(output.name + ".partial")
        with _open_for(temporary, "wb", output.name) as stream:
            for number in range(first, last + 1):
                encoded = store.block_rlp(number)
                if encoded is None:
                    raise LedgerNodeError(f"no block {number}")
                stream.write(encoded)
                if progress:
                    progress(number, last)
        temporary.replace(output)
    finally:
        store.close()
    return first, last


def read_rlp_items(stream: IO[bytes], max_bytes: int = MAX_BLOCK_BYTES) -> Iterator[bytes]:
    """The top-level RLP lists in `stream`, each as its full encoding; the length prefix is
    checked against `max_bytes` before the payload is read."""
    offset = 0
    while True:
        first = stream.read(1)
        if not first:
            return
        prefix = first[0]
        if prefix < 0xC0:
            raise BlockFileError(f"offset {offset}: not an RLP list (byte 0x{prefix:02x})")
        if prefix <= 0xF7:
            header, length = first, prefix - 0xC0
        else:
            size_bytes = stream.read(prefix - 0xF7)
            if len(size_bytes) != prefix - 0xF7 or size_bytes[0] == 0:
                raise BlockFileError(f"offset {offset}: malformed RLP length")
            header, length = first + size_bytes, int.from_bytes(size_bytes, "big")
        if length > max_bytes:
            raise BlockFileError(f"offset {offset}: item of {length:,} bytes exceeds {max_bytes:,}")
        payload = stream.read(length)
        if len(payload) != length:
            raise BlockFileError(f"offset {offset}: truncated ({len(payload)} of {length} bytes)")
        offset += len(header) + length
        yield header + payload


def _refuse_if_running(data_dir: Path) -> None:
    """The store has one writer: refuse while a node answers on DATA_DIR/admin.sock."""
    path = admin_socket_path(data_dir)
    if not path.exists():
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return  # a socket file left by a node that died
    raise LedgerNodeError(f"a node is running on {data_dir}: stop it before importing")


def create_chain_from_genesis(data_dir: Path, genesis_path: Path) -> None:
    """Write block 0 of the network described by `genesis_path` (the genesis.json `init`
    writes) into a new `data_dir`, and check it hashes to the document's `hash`."""
    document = json.loads(genesis_path.read_text(encoding="utf-8"))
    config = ChainConfig.from_json(json.dumps(document["config"]))
    alloc = {to_canonical_address(a): int(b, 16) for a, b in document["alloc"].items()}
    data_dir.mkdir(parents=True, exist_ok=True)
    store = LedgerStore(data_dir / CHAIN_FILE)
    try:
        header = LedgerChain.create_genesis(store, config, alloc, document["timestamp"])
    finally:
        store.close()
    if "0x" + header.hash.hex() != document["hash"]:
        (data_dir / CHAIN_FILE).unlink()
        raise GenesisError(
            f"{genesis_path} builds block 0 0x{header.hash.hex()}, not {document['hash']}")
    (data_dir / "genesis.json").write_text(genesis_path.read_text(encoding="utf-8"))


def import_block_file(
    data_dir: Path,
    source: Path,
    genesis_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Verify and import the blocks of `source` into the chain in `data_dir`.

    A `data_dir` without a chain is first given block 0 from `genesis_path`. Blocks the
    chain already holds must be identical (same hash) and are skipped; the rest must
    continue the head one by one. Raises BlockRejectedError at the first block that does
    not verify (earlier blocks stay imported) and BlockFileError for an unreadable file.
    The node must not be running on `data_dir` (the store has one writer).
    """
    _refuse_if_running(data_dir)
    if not (data_dir / CHAIN_FILE).exists():
        if genesis_path is None:
            raise GenesisError(f"{data_dir} holds no chain: give the network's genesis.json")
        create_chain_from_genesis(data_dir, genesis_path)
    store = LedgerStore(data_dir / CHAIN_FILE)
    read = present = imported = 0
    try:
        chain = LedgerChain(store, load_config(store), None)
        if genesis_path is not None:
            expected = json.loads(genesis_path.read_text(encoding="utf-8"))["hash"]
            ours = store.block_by_number(0)
            if ours is None or "0x" + ours.hash.hex() != expected:
                raise GenesisError(f"{data_dir} holds another network's chain than {genesis_path}")
        with _open_for(source, "rb") as stream:
            for item in read_rlp_items(stream):
                read += 1
                try:
                    block = rlp.decode(item, sedes=CancunBlock)
                except Exception as exc:  # rlp raises many types; all mean "not a block"
                    raise BlockFileError(f"item {read}: not a block: {exc}") from exc
                number = block.header.block_number
                held = store.block_by_number(number)
                if held is not None:
                    if held.hash != block.header.hash:
                        raise BlockRejectedError(
                            number, f"conflicts with this chain's block 0x{held.hash.hex()}")
                    present += 1
                    continue
                chain.import_block(block)
                imported += 1
                if progress:
                    progress(number)
        head = chain.head_header
        logger.info("imported %d blocks from %s; head %d", imported, source, head.block_number)
        return ImportResult(read, present, imported, head.block_number, "0x" + head.hash.hex())
    finally:
        store.close()
