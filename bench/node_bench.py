"""Ledger node throughput and inclusion latency, against our node and anvil in one run.

Run: .venv/bin/python -m bench.node_bench [--rate 1200] [--seconds 15] [--senders 5]
(`traceledger bench node` calls `run_node_bench()`.)

Workload: signed legacy contract-call transactions (gas price 0) from several member
accounts of a fresh `--dev` chain, calling a counter contract that does an SLOAD, an
SSTORE to a per-sender slot and a LOG1 (~28-45k gas, the cost range of TraceAnchor.anchor),
offered at `rate` tx/s in JSON-RPC batches of eth_sendRawTransaction every 100 ms.
Inclusion: a poller reads each new block (eth_getBlockByNumber) every 50 ms; a
transaction's latency is (time its block was first seen) - (time its batch was sent).
Sustained included tx/s = included transactions / (last inclusion - first send), which
counts the drain at the end; steady included tx/s = inclusions seen between 2 s after the
first send and the last send, per second of that window.

Both nodes get a 1 s block period and a 1,000,000,000 block gas limit (anvil:
`--block-time 1 --gas-limit 1000000000`, Cancun, base fee 0), and are run one after the
other so they do not compete for the CPU. The signing happens before the clock starts.
`drive_load` is also `bench network`'s driver (bench/network_bench.py): it can spread the
load over several nodes and read inclusion on another.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address

from contracts.rpc_client import JsonRpcClient
from testing.devnet import (
    Backend,
    init_dev_dir,
    rpc,
    start_anvil,
    start_ledger_node,
    wait_receipt,
)

# `bench node` uses the first five by default; `bench network` all six.
SENDER_ROLES = ("admin", "anchorer", "regulator", "enterprise1", "enterprise2", "witness")
# Counter: slot[caller] += 1; LOG1(value, topic=caller). Hand-assembled, no compiler needed.
COUNTER_RUNTIME = bytes.fromhex("33546001018033556000523360206000a100")
COUNTER_INIT = bytes([0x60, len(COUNTER_RUNTIME), 0x80, 0x60, 0x0B, 0x60, 0x00, 0x39,
                      0x60, 0x00, 0xF3]) + COUNTER_RUNTIME
CALL_GAS = 100_000
BATCH_INTERVAL = 0.1
WARMUP_S = 2.0
POLL_INTERVAL = 0.05
RPC_TIMEOUT_S = 60.0


def deploy_counter(backend: Backend) -> str:
    """Deploy the counter contract from the admin account; return its address."""
    admin = Account.from_key(backend.accounts["admin"]["privateKey"])
    nonce = int(rpc(backend.url, "eth_getTransactionCount", [admin.address, "pending"]), 16)
    signed = admin.sign_transaction({"data": COUNTER_INIT, "gas": 200_000, "gasPrice": 0,
                                     "nonce": nonce, "chainId": backend.chain_id, "value": 0})
    tx_hash = rpc(backend.url, "eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()])
    receipt = wait_receipt(backend, tx_hash, timeout=60)
    assert receipt["status"] == "0x1", receipt
    return to_checksum_address(receipt["contractAddress"])


def sign_workload(backend: Backend, contract: str, total: int, senders: int) -> list[tuple[str, str]]:
    """(tx hash, raw hex) round-robin over the senders (transaction i is from sender
    i % senders), nonces from each sender's pending count."""
    accounts = [Account.from_key(backend.accounts[r]["privateKey"]) for r in SENDER_ROLES[:senders]]
    nonces = [int(rpc(backend.url, "eth_getTransactionCount", [a.address, "pending"]), 16)
              for a in accounts]
    signed_txs = []
    for index in range(total):
        which = index % len(accounts)
        signed = accounts[which].sign_transaction({
            "to": contract, "data": index.to_bytes(32, "big") * 2, "gas": CALL_GAS,
            "gasPrice": 0, "nonce": nonces[which], "chainId": backend.chain_id, "value": 0,
        })
        nonces[which] += 1
        signed_txs.append(("0x" + bytes(signed.hash).hex(), "0x" + bytes(signed.raw_transaction).hex()))
    return signed_txs


def drive_load(signed_txs: list[tuple[str, str]], rate: int, drain_s: float, *,
               send_urls: Sequence[str], poll_url: str,
               routes: Sequence[int] | None = None) -> dict[str, Any]:
    """Offer `signed_txs` at `rate` tx/s and watch for their inclusion; return the figures.

    Every BATCH_INTERVAL the next `rate * BATCH_INTERVAL` transactions go out, transaction
    i to `send_urls[routes[i]]` (all to the first URL without `routes`), one sender thread
    and connection per URL on a common schedule; inclusion is read from `poll_url`'s blocks,
    following it when it switches branches. Stops once every accepted transaction is
    included, or `drain_s` after the last send."""
    sent_at: dict[str, float] = {}
    included_at: dict[str, float] = {}
    rejected: list[Any] = []
    replaced_blocks = 0
    per_batch = max(1, int(rate * BATCH_INTERVAL))
    send_failures: list[Exception] = []
    # Batch b of URL k: the transactions of signed_txs[b * per_batch:(b + 1) * per_batch]
    # routed to k, sent at started + b * BATCH_INTERVAL.
    schedules: list[list[tuple[int, list[tuple[str, str]]]]] = [[] for _ in send_urls]
    for batch_index, offset in enumerate(range(0, len(signed_txs), per_batch)):
        chunks: list[list[tuple[str, str]]] = [[] for _ in send_urls]
        for index in range(offset, min(offset + per_batch, len(signed_txs))):
            chunks[routes[index] if routes is not None else 0].append(signed_txs[index])
        for url_index, chunk in enumerate(chunks):
            if chunk:
                schedules[url_index].append((batch_index, chunk))

    def send(url: str, schedule: list[tuple[int, list[tuple[str, str]]]], started: float) -> None:
        try:
            with JsonRpcClient(url, timeout_s=RPC_TIMEOUT_S) as sender:
                for batch_index, chunk in schedule:
                    delay = started + batch_index * BATCH_INTERVAL - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    batch = [sender.request("eth_sendRawTransaction", [raw]) for _, raw in chunk]
                    now = time.monotonic()
                    for tx_hash, _ in chunk:
                        sent_at[tx_hash] = now
                    # Posted raw: a rejected transaction is counted, not raised.
                    responses = sender.post(batch, label="eth_sendRawTransaction batch")
                    rejected.extend(r["error"] for r in responses if "error" in r)
        except Exception as exc:  # noqa: BLE001 - raised again below, once the poller stops
            send_failures.append(exc)

    with JsonRpcClient(poll_url, timeout_s=RPC_TIMEOUT_S) as poller:
        start_block = int(poller.call("eth_blockNumber"), 16)
        started = time.monotonic()
        senders = [threading.Thread(target=send, args=(url, schedule, started),
                                    name=f"node-bench-sender-{url_index}", daemon=True)
                   for url_index, (url, schedule) in enumerate(zip(send_urls, schedules, strict=True))]
        for sending in senders:
            sending.start()
        next_block = start_block + 1
        read: dict[int, tuple[str, list[str]]] = {}  # number -> (hash, tx hashes) read
        idle_deadline: float | None = None
        while True:
            head = int(poller.call("eth_blockNumber"), 16)
            while next_block <= head:
                block = poller.call("eth_getBlockByNumber", [hex(next_block), False])
                seen = time.monotonic()
                if block is None:  # the watched node moved to a shorter branch
                    break
                parent = read.get(next_block - 1)
                if parent is not None and block["parentHash"] != parent[0]:
                    # The watched node switched branches (a network's fork choice): the
                    # replaced block's transactions count when the new branch holds them.
                    for tx_hash in read.pop(next_block - 1)[1]:
                        included_at.pop(tx_hash, None)
                    replaced_blocks += 1
                    next_block -= 1
                    continue
                read[next_block] = (block["hash"], block["transactions"])
                for tx_hash in block["transactions"]:
                    included_at.setdefault(tx_hash, seen)
                next_block += 1
            sending_done = not any(sending.is_alive() for sending in senders)
            if len(included_at) >= len(signed_txs) - len(rejected) and sending_done:
                break
            if sending_done:
                idle_deadline = idle_deadline or time.monotonic() + drain_s
                if time.monotonic() > idle_deadline:
                    break
            time.sleep(POLL_INTERVAL)
        for sending in senders:
            sending.join()
    if send_failures:
        raise send_failures[0]
    latencies = sorted(included_at[h] - sent_at[h] for h in included_at if h in sent_at)
    first_send = min(sent_at.values())
    last_send = max(sent_at.values())
    last_inclusion = max(included_at.values()) if included_at else first_send
    # Steady state: inclusions seen while the load was on, after a warm-up.
    window_start = first_send + WARMUP_S
    in_window = sum(1 for t in included_at.values() if window_start <= t <= last_send)
    result: dict[str, Any] = {
        "offered_tx": len(signed_txs),
        "offered_tx_per_s": rate,
        "included_tx": len(latencies),
        "rejected_tx": len(rejected),
        "rejections_sample": rejected[:3],
        "replaced_blocks_seen": replaced_blocks,
        "sustained_included_tx_per_s": round(len(latencies) / max(last_inclusion - first_send, 1e-9), 1),
        "steady_included_tx_per_s": round(in_window / max(last_send - window_start, 1e-9), 1),
    }
    if latencies:
        result["latency_p50_s"] = round(statistics.median(latencies), 3)
        result["latency_p99_s"] = round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 3)
    return result


def _bench_backend(backend: Backend, rate: int, seconds: float, senders: int) -> dict[str, Any]:
    contract = deploy_counter(backend)
    signed_txs = sign_workload(backend, contract, int(rate * seconds), senders)
    return drive_load(signed_txs, rate, drain_s=30, send_urls=[backend.url], poll_url=backend.url)


def run_node_bench(rate: int = 1_200, seconds: float = 15, senders: int = 5) -> dict[str, Any]:
    """Run the workload against a fresh dev node and then a fresh anvil; return the figures
    {"ledger": {...}, "anvil": {...}, "ratio_ledger_to_anvil": x, "workload": {...}}."""
    results: dict[str, Any] = {"workload": {"rate": rate, "seconds": seconds, "senders": senders,
                                            "period_s": 1, "gas_limit": 1_000_000_000}}
    with tempfile.TemporaryDirectory(prefix="node-bench-") as tmp:
        data_dir = Path(tmp) / "ledger"
        init_dev_dir(data_dir, period=1)
        ledger = start_ledger_node(data_dir)
        try:
            results["ledger"] = _bench_backend(ledger, rate, seconds, senders)
        finally:
            ledger.stop()
        anvil = start_anvil(ledger.accounts, ["--block-time", "1", "--gas-limit", "1000000000"])
        try:
            results["anvil"] = _bench_backend(anvil, rate, seconds, senders)
        finally:
            anvil.stop()
    ours = results["ledger"]["sustained_included_tx_per_s"]
    theirs = results["anvil"]["sustained_included_tx_per_s"]
    results["ratio_ledger_to_anvil"] = round(ours / theirs, 3) if theirs else None
    return results


TARGETS = {"sustained_included_tx_per_s": ">= 1,000", "latency_p50_s": "< 1.5"}


def record_node_bench(result: dict[str, Any], note: str = "") -> None:
    """Append the figures of `run_node_bench()` to bench/README.md with the machine."""
    from bench.machine import describe_machine
    from bench.report import append_section

    workload = result["workload"]
    rows = []
    for backend in ("ledger", "anvil"):
        figures = result[backend]
        label = "ledger node" if backend == "ledger" else "anvil (Cancun, 1 s blocks, 1e9 gas)"
        offered = (f"offered {workload['rate']:,}/s, {workload['seconds']:g} s, "
                   f"{workload['senders']} senders")
        rows.append((f"{label}: sustained included tx/s ({offered})",
                     f"{figures['sustained_included_tx_per_s']:,}",
                     TARGETS["sustained_included_tx_per_s"] if backend == "ledger" else "-"))
        rows.append((f"{label}: steady-state included tx/s (while the load is on)",
                     f"{figures['steady_included_tx_per_s']:,}", "-"))
        rows.append((f"{label}: inclusion latency p50 / p99, s",
                     f"{figures.get('latency_p50_s')} / {figures.get('latency_p99_s')}",
                     TARGETS["latency_p50_s"] + " (p50)" if backend == "ledger" else "-"))
        counts = (f"{figures['included_tx']:,} / {figures['offered_tx']:,} / "
                  f"{figures['rejected_tx']:,}")
        rows.append((f"{label}: included / offered / rejected", counts, "-"))
    rows.append(("ratio ledger / anvil (sustained tx/s)", str(result["ratio_ledger_to_anvil"]), "-"))
    title = "ledger node vs anvil" + (f" ({note})" if note else "")
    append_section(title, describe_machine(), rows, "python -m bench.node_bench --record")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=1_200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--record", action="store_true", help="append to bench/README.md")
    parser.add_argument("--note", default="", help="context for the record (e.g. other load)")
    args = parser.parse_args()
    result = run_node_bench(args.rate, args.seconds, args.senders)
    print(json.dumps(result, indent=2))
    if args.record:
        record_node_bench(result, args.note)


if __name__ == "__main__":
    main()
