"""Follower sync: how fast a keyless `node run --follow` node started from genesis reaches
the head of a long chain, re-executing and checking every block, and how fast `node
import` verifies the same chain from a block file.

The chain is built in-process with the node's own block builder (`LedgerChain.build_block`,
one authority key, `--txs-per-block` value transfers from a pool of funded accounts,
timestamps one period apart ending now). It is then served by a node over its data dir
(a follower of an unreachable upstream: it serves what it holds and seals nothing) and a
fresh follower syncs it over loopback JSON-RPC.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_keys import keys as eth_keys
from eth_utils import to_checksum_address
from rich.progress import Progress

from ledger_node.chain import ChainConfig, LedgerChain
from ledger_node.store import LedgerStore
from ledger_node.transactions import decode_signed_transaction
from testing.processes import Launched, free_port, python_command, repo_env

CHAIN_ID = 7331
SENDERS = 50
UNREACHABLE_UPSTREAM = "http://127.0.0.1:9"  # discard port: the serving node follows nobody
SYNC_TIMEOUT_S = 4 * 3600


def build_chain(data_dir: Path, blocks: int, txs_per_block: int) -> dict[str, int]:
    """A chain of `blocks` blocks in data_dir (chain.sqlite + genesis.json)."""
    sealer = Account.create()
    senders = [Account.create() for _ in range(SENDERS)]
    config = ChainConfig(chain_id=CHAIN_ID, period=1, signers=(sealer.address,))
    alloc = {bytes.fromhex(a.address[2:]): 10**24 for a in senders}
    genesis_time = int(time.time()) - blocks - 60
    data_dir.mkdir(parents=True)
    store = LedgerStore(data_dir / "chain.sqlite")
    header = LedgerChain.create_genesis(store, config, alloc, genesis_time)
    chain = LedgerChain(store, config, [eth_keys.PrivateKey(bytes(sealer.key))])
    nonces = [0] * SENDERS
    txs = 0
    with Progress(transient=True) as progress:
        task = progress.add_task("building the chain", total=blocks)
        for number in range(1, blocks + 1):
            batch = []
            for i in range(txs_per_block):
                index = (number * txs_per_block + i) % SENDERS
                sender = senders[index]
                signed = sender.sign_transaction({
                    "to": sender.address, "value": 1, "gas": 21_000, "gasPrice": 0,
                    "nonce": nonces[index], "chainId": CHAIN_ID})
                nonces[index] += 1
                batch.append(decode_signed_transaction(bytes(signed.raw_transaction)))
            built = chain.build_block(batch, genesis_time + number)
            txs += len(built.included)
            progress.update(task, advance=1)
    store.close()
    (data_dir / "genesis.json").write_text(json.dumps({
        "config": json.loads(config.to_json()), "timestamp": genesis_time,
        "alloc": {to_checksum_address(a): hex(b) for a, b in alloc.items()},
        "hash": "0x" + header.hash.hex()}))
    return {"blocks": blocks, "transactions": txs}


def _run_node(data_dir: Path, follow: str, genesis: Path | None, log: Path) -> tuple[Launched, str]:
    port = free_port()
    args = ["run", "--data-dir", str(data_dir), "--rpc-port", str(port), "--follow", follow]
    if genesis is not None:
        args += ["--genesis", str(genesis)]
    launched = Launched(python_command("ledger_node", *args), env=repo_env(), log_path=log)
    return launched, f"http://127.0.0.1:{port}"


def _head(url: str) -> int | None:
    try:
        return int(httpx.get(f"{url}/health", timeout=5).json()["head"])
    except (httpx.HTTPError, ValueError, KeyError):
        return None


def run_follower_bench(blocks: int, txs_per_block: int) -> dict[str, Any]:
    """Build the chain, sync a follower over RPC and import a block file; the figures."""
    work = Path(tempfile.mkdtemp(prefix="follower-bench-"))
    try:
        source = work / "source"
        started = time.monotonic()
        built = build_chain(source, blocks, txs_per_block)
        build_s = time.monotonic() - started
        upstream, upstream_url = _run_node(source, UNREACHABLE_UPSTREAM, None, work / "up.log")
        follower = None
        try:
            while _head(upstream_url) is None:
                time.sleep(0.2)
            started = time.monotonic()
            follower, follower_url = _run_node(work / "follower", upstream_url,
                                               source / "genesis.json", work / "follower.log")
            with Progress(transient=True) as progress:
                task = progress.add_task("follower syncing", total=blocks)
                deadline = started + SYNC_TIMEOUT_S
                while (head := _head(follower_url) or 0) < blocks:
                    if time.monotonic() > deadline:
                        raise TimeoutError("follower did not reach the head")
                    progress.update(task, completed=head)
                    time.sleep(0.5)
            sync_s = time.monotonic() - started
            rejections = httpx.get(f"{follower_url}/health", timeout=5).json()["follower"][
                "rejections"]
        finally:
            if follower is not None:
                follower.stop(signal.SIGTERM)
            upstream.stop(signal.SIGTERM)
        block_file = work / "chain.rlp"
        subprocess.run(python_command("ledger_node", "export", "--data-dir", str(source),
                                      "--output", str(block_file)), check=True, env=repo_env(),
                       capture_output=True)
        started = time.monotonic()
        subprocess.run(python_command("ledger_node", "import", "--data-dir", str(work / "imported"),
                                      "--genesis", str(source / "genesis.json"), str(block_file)),
                       check=True, env=repo_env(), capture_output=True)
        import_s = time.monotonic() - started
        return {
            "blocks": built["blocks"], "transactions": built["transactions"],
            "txs_per_block": txs_per_block, "build_s": round(build_s, 1),
            "sync_s": round(sync_s, 1),
            "sync_blocks_per_s": round(blocks / sync_s, 1),
            "sync_txs_per_s": round(built["transactions"] / sync_s, 1),
            "import_s": round(import_s, 1),
            "import_blocks_per_s": round(blocks / import_s, 1),
            "import_txs_per_s": round(built["transactions"] / import_s, 1),
            "block_file_bytes": block_file.stat().st_size,
            "rejections": len(rejections),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
