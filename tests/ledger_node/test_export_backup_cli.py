"""`traceledger node export | import | backup | restore` against a real node that keeps
sealing: an export taken while the node runs imports (verified) into a new data dir that
serves the same blocks; a backup taken while transactions flow restores into a node that
has every transaction that had a receipt before the backup began, and seals on."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import threading
from pathlib import Path
from typing import Any, Self

import pytest
from eth_account import Account

from ledger_node.backup import BackupError, backup_node, restore_node
from testing.devnet import Backend, init_dev_dir, rpc, start_ledger_node, wait_receipt
from testing.processes import REPO, repo_env

TRACELEDGER = REPO / ".venv" / "bin" / "traceledger"


def _traceledger(*args: str, expect_ok: bool = True) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run([str(TRACELEDGER), "node", *args], cwd=REPO, env=repo_env(),
                               capture_output=True, text=True, timeout=300, check=False)
    if expect_ok:
        assert completed.returncode == 0, completed.stderr[-2000:]
    return completed


class TransferLoad:
    """Value transfers from one dev account, one after another, in a thread; keeps the hash
    of every transaction that got a receipt and when."""

    def __init__(self, backend: Backend, role: str) -> None:
        self.backend = backend
        self.account = Account.from_key(backend.accounts[role]["privateKey"])
        self.receipted: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        nonce = int(rpc(self.backend.url, "eth_getTransactionCount",
                        [self.account.address, "pending"]), 16)
        while not self._stop.is_set():
            batch = []
            for _ in range(5):
                signed = self.account.sign_transaction({
                    "to": self.account.address, "value": 1, "gas": 21_000, "gasPrice": 0,
                    "nonce": nonce, "chainId": self.backend.chain_id})
                batch.append(rpc(self.backend.url, "eth_sendRawTransaction",
                                 ["0x" + bytes(signed.raw_transaction).hex()]))
                nonce += 1
            for tx_hash in batch:
                wait_receipt(self.backend, tx_hash)
                self.receipted.append(tx_hash)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = tmp_path_factory.mktemp("node") / "data"
    init_dev_dir(data_dir)
    backend = start_ledger_node(data_dir)
    yield backend
    backend.stop()


def test_export_while_running_then_verified_import_serves_the_same_blocks(
    running: Backend, tmp_path: Path
) -> None:
    assert running.data_dir is not None
    with TransferLoad(running, "enterprise1") as load:
        while len(load.receipted) < 20:
            threading.Event().wait(0.2)
        exported = json.loads(_traceledger(
            "export", "--data-dir", str(running.data_dir), "--output",
            str(tmp_path / "chain.rlp.gz")).stdout)
    first, last = exported["exported"]
    assert first == 1 and last >= 2
    copy = tmp_path / "copy"
    result = json.loads(_traceledger(
        "import", "--data-dir", str(copy), "--genesis", str(running.data_dir / "genesis.json"),
        str(tmp_path / "chain.rlp.gz")).stdout)
    assert result["imported"] == last and result["head"] == last
    served = rpc(running.url, "eth_getBlockByNumber", [hex(last), False])
    assert result["headHash"] == served["hash"]
    # A node over the imported data dir (with the dev keys copied in, as the same authority)
    # answers the same blocks and transactions.
    for name in ("deployment.json", "dev-keys.json"):
        (copy / name).write_text((running.data_dir / name).read_text())
    node = start_ledger_node(copy)
    try:
        for number in (1, last // 2, last):
            ours = rpc(node.url, "eth_getBlockByNumber", [hex(number), True])
            theirs = rpc(running.url, "eth_getBlockByNumber", [hex(number), True])
            assert ours == theirs
    finally:
        node.stop()


def test_import_into_a_running_node_or_from_a_bad_file_is_refused(
    running: Backend, tmp_path: Path
) -> None:
    assert running.data_dir is not None
    (tmp_path / "empty.rlp").write_bytes(b"")
    refused = _traceledger("import", "--data-dir", str(running.data_dir),
                           str(tmp_path / "empty.rlp"), expect_ok=False)
    assert refused.returncode == 1 and "a node is running" in refused.stderr
    (tmp_path / "junk.rlp").write_bytes(b"\xf9\xff\xff" + b"\x00" * 10)
    refused = _traceledger("import", "--data-dir", str(tmp_path / "new"), "--genesis",
                           str(running.data_dir / "genesis.json"), str(tmp_path / "junk.rlp"),
                           expect_ok=False)
    assert refused.returncode == 1 and "truncated" in refused.stderr


def test_backup_under_load_restores_everything_receipted_before_it(
    running: Backend, tmp_path: Path
) -> None:
    assert running.data_dir is not None
    archive = tmp_path / "node-backup.tar.gz"
    with TransferLoad(running, "enterprise2") as load:
        while len(load.receipted) < 20:
            threading.Event().wait(0.2)
        before = list(load.receipted)  # receipted before the backup began
        backup = json.loads(_traceledger("backup", "--data-dir", str(running.data_dir),
                                         "--output", str(archive)).stdout)
    assert "chain.sqlite" in backup["files"] and "genesis.json" in backup["files"]
    with tarfile.open(archive) as members:
        assert all(m.mode & 0o077 == 0 for m in members.getmembers() if m.isfile())
    running_head = int(rpc(running.url, "eth_blockNumber"), 16)
    assert backup["head"] <= running_head

    restored_dir = tmp_path / "restored"
    restored = json.loads(_traceledger("restore", str(archive), "--data-dir",
                                       str(restored_dir)).stdout)
    assert restored["head"] == backup["head"]
    # Restoring over a non-empty directory is refused and touches nothing.
    again = _traceledger("restore", str(archive), "--data-dir", str(restored_dir),
                         expect_ok=False)
    assert again.returncode == 1 and "not empty" in again.stderr

    node = start_ledger_node(restored_dir)
    try:
        for tx_hash in before:
            receipt = rpc(node.url, "eth_getTransactionReceipt", [tx_hash])
            assert receipt is not None and receipt["status"] == "0x1", tx_hash
        head = rpc(node.url, "eth_getBlockByNumber", [hex(backup["head"]), False])
        assert head["hash"] == backup["headHash"]
        # It seals on from the restored head.
        account = Account.from_key(node.accounts["regulator"]["privateKey"])
        nonce = int(rpc(node.url, "eth_getTransactionCount", [account.address, "pending"]), 16)
        signed = account.sign_transaction({"to": account.address, "value": 0, "gas": 21_000,
                                           "gasPrice": 0, "nonce": nonce, "chainId": node.chain_id})
        receipt = wait_receipt(node, rpc(node.url, "eth_sendRawTransaction",
                                         ["0x" + bytes(signed.raw_transaction).hex()]))
        assert int(receipt["blockNumber"], 16) > backup["head"]
    finally:
        node.stop()


def test_a_tampered_backup_is_refused(running: Backend, tmp_path: Path) -> None:
    assert running.data_dir is not None
    archive = tmp_path / "backup.tar.gz"
    backup_node(running.data_dir, archive)  # in-process: the CLI path is tested above
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as sink:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "genesis.json":
                data = data.replace(b'"period": 1', b'"period": 2')
                member.size = len(data)
            sink.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="SHA-256 differs"):
        restore_node(tampered, tmp_path / "r")
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
    (tmp_path / "not-a-backup.tar.gz").write_bytes(b"hello")
    with pytest.raises(BackupError, match="not a readable backup archive"):
        restore_node(tmp_path / "not-a-backup.tar.gz", tmp_path / "r2")
    escaping = tmp_path / "escaping.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(escaping, "w:gz") as sink:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "genesis.json":
                member.name = "../genesis.json"
            sink.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="unexpected archive member"):
        restore_node(escaping, tmp_path / "r3")
    assert not (tmp_path / "genesis.json").exists()
