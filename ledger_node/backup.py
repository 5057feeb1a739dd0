"""`traceledger node backup` / `restore`: a consistent copy of a running node's data dir.

The chain store is copied with SQLite's online backup API from a read transaction, so the
copy is one committed state of the file (every block whole, head and indexes agreeing)
while the node keeps sealing; a block committed after the copy started is simply not in
it, and on restore the node continues from the copy's head (the network, or the node
itself, seals the rest). Beside it go the node's other files (genesis.json,
deployment.json, the encrypted keystores, dev keys on a dev chain), and a manifest with
each file's SHA-256 and the head at backup time.

Restore refuses a non-empty target, any archive member that is not a plain file named in
the manifest, and any file whose SHA-256 differs; then checks the store's integrity and
that its head is the manifest's. An authority's backup holds its sealing key: restore it
in place of the lost node, never beside a running copy (two nodes sealing with one key
would sign two blocks at one height).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ledger_node.block_file import CHAIN_FILE
from ledger_node.errors import LedgerNodeError
from ledger_node.keys import KEYSTORE_DIR
from ledger_node.store import DB_FILE_MODE, LedgerStore

MANIFEST = "manifest.json"
FORMAT = "traceledger.node-backup/v1"
#: Files of a node data dir worth keeping besides the store (the admin socket, SQLite's
#: -wal/-shm files and anything else are not copied).
OTHER_FILES = ("genesis.json", "deployment.json", "dev-keys.json")
#: A restore reads members no larger than this (the store is the only big member).
MAX_MEMBER_BYTES = 64 * 1024**3
BACKUP_PAGES_PER_STEP = 4096  # SQLite pages copied per backup step (4 KiB pages: 16 MiB)


class BackupError(LedgerNodeError):
    """A backup that cannot be made or an archive that cannot be restored."""


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds: the head at backup time and each file's SHA-256."""

    head_number: int
    head_hash: str
    created: int
    files: dict[str, str]

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "head": {"number": self.head_number,
                           "hash": self.head_hash}, "created": self.created,
                           "files": self.files}, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BackupManifest:
        try:
            document = json.loads(text)
            if document.get("format") != FORMAT:
                raise BackupError(f"not a node backup (format {document.get('format')!r})")
            files = document["files"]
            if not isinstance(files, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in files.items()
            ):
                raise BackupError("manifest: files must map names to SHA-256 hex")
            return cls(int(document["head"]["number"]), str(document["head"]["hash"]),
                       int(document["created"]), files)
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"manifest: {exc}") from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_store(source: Path, target: Path) -> None:
    """SQLite online backup of `source` into `target` (one consistent snapshot)."""
    os.close(os.open(target, os.O_RDWR | os.O_CREAT, DB_FILE_MODE))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target))
    try:
        src.execute("PRAGMA busy_timeout=10000")
        # pages=-1: the whole file in one step, inside one read transaction, so the copy is
        # one committed state even while the node commits blocks (WAL readers never block).
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def backup_node(data_dir: Path, output: Path) -> BackupManifest:
    """Write a backup of the node in `data_dir` (running or not) to `output` (tar.gz)."""
    store_path = data_dir / CHAIN_FILE
    if not store_path.exists():
        raise BackupError(f"{data_dir}: no chain to back up")
    with tempfile.TemporaryDirectory(prefix="node-backup-", dir=output.parent) as work:
        copy = Path(work) / CHAIN_FILE
        _copy_store(store_path, copy)
        store = LedgerStore(copy)
        try:
            head = store.head()
        finally:
            store.close()
        if head is None:
            raise BackupError(f"{data_dir}: the store holds no blocks")
        members: dict[str, Path] = {CHAIN_FILE: copy}
        for name in OTHER_FILES:
            if (data_dir / name).is_file():
                members[name] = data_dir / name
        keystore = data_dir / KEYSTORE_DIR
        if keystore.is_dir():
            for path in sorted(keystore.glob("*.json")):
                members[f"{KEYSTORE_DIR}/{path.name}"] = path
        manifest = BackupManifest(head.number, "0x" + head.hash.hex(), int(time.time()),
                                  {name: _sha256(path) for name, path in members.items()})
        partial = output.with_name(output.name + ".partial")
        os.close(os.open(partial, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600))
        with tarfile.open(partial, "w:gz") as archive:
            data = manifest.to_json().encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, manifest.created
            archive.addfile(info, io.BytesIO(data))
            for name, path in members.items():
                # Owner-only whatever the source's mode: the archive holds the node's keys.
                archive.add(path, arcname=name, recursive=False,
                            filter=lambda info: info.replace(mode=0o600, uid=0, gid=0, deep=False,
                                                             uname="", gname=""))
        partial.replace(output)
    return manifest


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (not path.is_absolute() and ".." not in path.parts and len(path.parts) <= 2
            and (len(path.parts) == 1 or path.parts[0] == KEYSTORE_DIR))


def restore_node(archive_path: Path, data_dir: Path) -> BackupManifest:
    """Restore the backup `archive_path` into `data_dir`, which must be empty or absent."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty: restore into a new directory")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive_path, "r:gz") as archive, tempfile.TemporaryDirectory(
            prefix="node-restore-", dir=data_dir.parent
        ) as work:
            return _restore_from(archive, Path(work), data_dir)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile) as exc:
        raise BackupError(f"{archive_path}: not a readable backup archive: {exc}") from exc


def _restore_from(archive: tarfile.TarFile, staging: Path, data_dir: Path) -> BackupManifest:
    """Check and stage every member, then move them into `data_dir`."""
    try:
        manifest_member = archive.getmember(MANIFEST)
    except KeyError as exc:
        raise BackupError(f"no {MANIFEST} in the archive") from exc
    manifest_stream = archive.extractfile(manifest_member)
    if manifest_stream is None or manifest_member.size > 1 << 20:
        raise BackupError(f"bad {MANIFEST}")
    manifest = BackupManifest.from_json(manifest_stream.read().decode())
    if CHAIN_FILE not in manifest.files:
        raise BackupError("the backup holds no chain store")
    seen: set[str] = set()
    for member in archive.getmembers():
        if member.name == MANIFEST:
            continue
        if (member.name not in manifest.files or not member.isfile()
                or not _safe_name(member.name) or member.size > MAX_MEMBER_BYTES):
            raise BackupError(f"unexpected archive member {member.name!r}")
        target = staging / member.name
        target.parent.mkdir(mode=0o700, exist_ok=True)
        source = archive.extractfile(member)
        assert source is not None  # a regular file
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                       "wb") as sink:
            while chunk := source.read(1 << 20):
                sink.write(chunk)
        if _sha256(target) != manifest.files[member.name]:
            raise BackupError(f"{member.name}: SHA-256 differs from the manifest")
        seen.add(member.name)
    missing = set(manifest.files) - seen
    if missing:
        raise BackupError(f"the archive lacks {sorted(missing)}")
    _check_store(staging / CHAIN_FILE, manifest)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in sorted(staging.rglob("*")):
        target = data_dir / path.relative_to(staging)
        if path.is_dir():
            target.mkdir(mode=0o700, exist_ok=True)
        else:
            path.replace(target)
    return manifest


def _check_store(path: Path, manifest: BackupManifest) -> None:
    connection = sqlite3.connect(str(path))
    try:
        (result,) = connection.execute("PRAGMA integrity_check").fetchone()
    finally:
        connection.close()
    if result != "ok":
        raise BackupError(f"the restored store fails SQLite's integrity check: {result}")
    store = LedgerStore(path)
    try:
        head = store.head()
    finally:
        store.close()
    if head is None or head.number != manifest.head_number or (
        "0x" + head.hash.hex() != manifest.head_hash
    ):
        raise BackupError("the restored store's head is not the manifest's")
