"""Owner-only files: the umask every traceledger process sets, private directories, and
tightening a data directory an older version left readable (symlinks never followed).
The whole system's data dir is walked in tests/cli/test_up.py."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from anchoring.store.db import Database
from indexer.sink.db import create_mirror_engine
from ledger_node.store import LedgerStore
from traceledger_cli.private_files import make_private_dir, restrict_new_files, tighten_tree


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask of a careless shell for the test; the test process's own restored after."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_restrict_new_files_makes_files_and_directories_owner_only(tmp_path: Path,
                                                                    loose_umask: None) -> None:
    restrict_new_files()
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("secret")
    sqlite3.connect(tmp_path / "plain.sqlite").execute("CREATE TABLE t (x)").connection.close()
    assert (_mode(tmp_path / "dir"), _mode(tmp_path / "file"),
            _mode(tmp_path / "plain.sqlite")) == (0o700, 0o600, 0o600)


def test_process_entry_sets_the_umask_before_the_command_runs() -> None:
    """`python -m traceledger_cli.main` and the console script (what the supervisor spawns,
    what an operator runs) restrict before any command runs, whatever umask they inherit;
    the command here reports the umask it runs under."""
    code = ("import os; os.umask(0o022); import traceledger_cli.main as entry; "
            "entry.app = lambda: print(oct(os.umask(0))); entry.main()")
    result = subprocess.run([sys.executable, "-c", code], check=True, timeout=120,
                            capture_output=True, text=True)
    assert result.stdout.strip() == "0o77"


def test_make_private_dir_creates_0700_and_fixes_an_existing_one(tmp_path: Path,
                                                                 loose_umask: None) -> None:
    fresh = tmp_path / "a" / "b"
    make_private_dir(fresh)
    assert _mode(fresh) == 0o700
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    make_private_dir(existing)
    assert _mode(existing) == 0o700


def test_tighten_tree_removes_group_and_other_bits_everywhere(tmp_path: Path,
                                                              loose_umask: None) -> None:
    root = tmp_path / "data"
    (root / "node" / "keystore").mkdir(parents=True)
    files = {root / "log.sqlite": 0o644, root / "log.sqlite-wal": 0o664,
             root / "node" / "deployment.json": 0o666, root / "node" / "keystore" / "a.json": 0o640,
             root / "run.sh": 0o755, root / "private": 0o600}
    for path, mode in files.items():
        path.write_text("x")
        path.chmod(mode)
    root.chmod(0o775)
    (root / "node").chmod(0o751)

    changed = tighten_tree(root)

    assert sorted(changed) == sorted([root, root / "node", root / "node" / "keystore",
                                      *[path for path, mode in files.items() if mode & 0o077]])
    assert _mode(root) == _mode(root / "node") == _mode(root / "node" / "keystore") == 0o700
    assert _mode(root / "log.sqlite") == _mode(root / "node" / "deployment.json") == 0o600
    assert _mode(root / "run.sh") == 0o700  # the owner's execute bit stays
    assert tighten_tree(root) == []  # idempotent


def test_tighten_tree_never_follows_symlinks(tmp_path: Path, loose_umask: None) -> None:
    outside = tmp_path / "outside"
    (outside / "shared").mkdir(parents=True)
    outside_file = outside / "shared.txt"
    outside_file.write_text("not ours")
    outside_file.chmod(0o644)
    (outside / "shared").chmod(0o755)
    root = tmp_path / "data"
    root.mkdir(mode=0o700)
    (root / "link-to-file").symlink_to(outside_file)
    (root / "link-to-dir").symlink_to(outside / "shared")

    assert tighten_tree(root) == []
    assert _mode(outside_file) == 0o644 and _mode(outside / "shared") == 0o755


def test_stores_create_their_sqlite_files_owner_only(tmp_path: Path, loose_umask: None) -> None:
    """Even a process that never restricted its umask (a library user, a test) gets 0600
    database files, and SQLite gives the -wal/-shm files the database's mode."""
    log_db = Database(f"sqlite:///{tmp_path / 'log.sqlite'}")
    log_db.connection().execute("CREATE TABLE t (x)")
    ledger = LedgerStore(tmp_path / "chain.sqlite")
    mirror = create_mirror_engine(f"sqlite:///{tmp_path / 'mirror.sqlite'}")
    with mirror.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        created = sorted(path.name for path in tmp_path.iterdir())
        modes = {path.name: _mode(path) for path in tmp_path.iterdir()}
    ledger.close()
    mirror.dispose()
    assert {"log.sqlite", "chain.sqlite", "mirror.sqlite", "chain.sqlite-wal",
            "mirror.sqlite-wal"} <= set(created)
    assert modes == dict.fromkeys(created, 0o600)


def test_in_memory_and_missing_directory_urls_are_left_to_sqlite(tmp_path: Path) -> None:
    Database("sqlite:///:memory:").connection().execute("SELECT 1")
    with pytest.raises(sqlite3.OperationalError):
        Database(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}").connection()
    assert not (tmp_path / "missing").exists()
