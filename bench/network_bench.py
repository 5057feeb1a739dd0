"""`traceledger bench network`: a consortium of ledger nodes under the node bench's load.

Network: `testing.network.LocalNetwork`, 3 authorities and 1 follower on loopback (each
`ledger_node run --peers` in its own process, data dir and key; 1 s period), all sharing
this machine's cores with each other and with the bench.

Workload: the node bench's (bench/node_bench.py), through its driver `drive_load`: counter
contract calls signed before the clock starts by the six dev member accounts, offered at
`rate` tx/s in batches every 100 ms for `seconds`. Sender s's transactions always go to
authority s % 3 (two senders per authority, one sender thread and connection per
authority), which admits them and forwards them to the other authorities.

Figures:
- included tx/s and inclusion latency, as `bench node` defines them, but read on the
  follower: latency is send -> the block holding the transaction first seen on the
  follower (eth_getBlockByNumber polled every 50 ms), i.e. when its receipt can be read
  there; sustained tx/s = included / (last inclusion - first send).
- block propagation: `eth_subscribe newHeads` on every node (bench/head_arrivals.py). For
  each block with transactions, its first arrival is its sealing and each other node's
  arrival minus it is that node's propagation delay (one clock, this process's); p50/p99
  to the other authorities, to the follower, and to the last node to adopt it. The nodes'
  logs ("sealed block N 0xHASH") name each block's sealer; a first arrival from another
  node is counted, as a check on the method.
- CPU of each node process and its children (the block builder), of the bench, and of
  the whole machine while the load is on (bench/process_cpu.py): which process is the
  bottleneck when the network falls short, and whether anything else was running.
- with `compare`, `bench node`'s single node and anvil (`run_node_bench`) at the same
  rate, length and senders, run after the network has stopped.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.head_arrivals import HeadArrival, HeadWatch
from bench.node_bench import (
    SENDER_ROLES,
    WARMUP_S,
    deploy_counter,
    drive_load,
    run_node_bench,
    sign_workload,
)
from bench.process_cpu import CpuWindow
from testing.devnet import Backend, rpc
from testing.network import LocalNetwork, NetNode
from testing.percentiles import percentile

AUTHORITIES = 3
FOLLOWERS = 1
PERIOD_S = 1
DRAIN_S = 60.0  # after the last send, how long included transactions are still waited for
CONVERGE_TIMEOUT_S = 60.0
SEALED_LINE = re.compile(r"sealed block (\d+) (0x[0-9a-f]{64})")
TARGETS = {"sustained_included_tx_per_s": ">= 1,000"}


def _ws_url(node: NetNode) -> str:
    return "ws" + node.rpc_url.removeprefix("http")  # one port for HTTP and WebSocket


def _backend_of(network: LocalNetwork, node: NetNode) -> Backend:
    """`node` in the shape the node bench's deploy and signing helpers take."""
    assert node.launched is not None
    return Backend(name=node.name, url=node.rpc_url, ws_url=_ws_url(node),
                   chain_id=network.chain_id, process=node.launched.process,
                   accounts=network.accounts, data_dir=node.data_dir)


def sealers_from_logs(nodes: Sequence[NetNode]) -> dict[str, str]:
    """Block hash -> name of the node whose log says it sealed it."""
    return {match.group(2): node.name for node in nodes
            for match in SEALED_LINE.finditer(node.log())}


def _p50_p99_ms(delays_s: list[float]) -> dict[str, float | None]:
    if not delays_s:
        return {"p50_ms": None, "p99_ms": None, "samples": 0}
    return {"p50_ms": round(1000 * percentile(delays_s, 0.5), 1),
            "p99_ms": round(1000 * percentile(delays_s, 0.99), 1), "samples": len(delays_s)}


def compute_propagation(arrivals: Sequence[HeadArrival], roles: Mapping[str, str],
                        sealers: Mapping[str, str]) -> dict[str, Any]:
    """Propagation figures of the blocks with transactions among `arrivals`: p50/p99 of
    (node's arrival - first arrival) per receiving role ("authority", "follower") and to
    the last of `roles`' nodes; counts of blocks, blocks seen by every node, blocks whose
    first arrival was not from the sealer named in `sealers` (hash -> node), and heights
    at which more than one block became a head somewhere (forks)."""
    first_seen: dict[str, dict[str, float]] = {}
    loaded: dict[str, None] = {}  # block hashes with transactions, in arrival order
    hashes_at: dict[int, set[str]] = {}
    for arrival in arrivals:
        seen = first_seen.setdefault(arrival.block_hash, {})
        seen.setdefault(arrival.node, arrival.at)
        hashes_at.setdefault(arrival.number, set()).add(arrival.block_hash)
        if arrival.gas_used > 0:
            loaded.setdefault(arrival.block_hash)
    delays: dict[str, list[float]] = {role: [] for role in set(roles.values())}
    to_last: list[float] = []
    first_not_sealer = 0
    for block_hash in loaded:
        seen = first_seen[block_hash]
        origin = min(seen, key=seen.__getitem__)
        if sealers.get(block_hash, origin) != origin:
            first_not_sealer += 1
        for node, at in seen.items():
            if node != origin:
                delays[roles[node]].append(at - seen[origin])
        if len(seen) == len(roles):
            to_last.append(max(seen.values()) - seen[origin])
    return {
        "blocks_with_txs": len(loaded),
        "blocks_seen_by_every_node": len(to_last),
        "blocks_first_seen_off_sealer": first_not_sealer,
        "heights_with_competing_blocks": sum(1 for found in hashes_at.values() if len(found) > 1),
        "to_authorities": _p50_p99_ms(delays.get("authority", [])),
        "to_follower": _p50_p99_ms(delays.get("follower", [])),
        "to_last_node": _p50_p99_ms(to_last),
    }


def _bench_network(network: LocalNetwork, rate: int, seconds: float) -> dict[str, Any]:
    authorities, follower = network.authorities, network.followers[0]
    entry = _backend_of(network, authorities[0])
    # Every node past the bootstrap block first: a transaction sent while the peers are
    # still connecting is not forwarded again, and the founder, which sealed block 1,
    # may not seal block 2 (EIP-225: one block in any floor(3/2) + 1 consecutive ones).
    network.wait_converged(timeout_s=CONVERGE_TIMEOUT_S, min_number=1)
    contract = deploy_counter(entry)
    network.wait_converged(timeout_s=CONVERGE_TIMEOUT_S)  # the contract is on every node
    senders = len(SENDER_ROLES)
    signed_txs = sign_workload(entry, contract, int(rate * seconds), senders)
    routes = [(index % senders) % len(authorities) for index in range(len(signed_txs))]
    watch = HeadWatch({node.name: _ws_url(node) for node in network.nodes}).start()
    pids = {node.name: node.launched.process.pid for node in network.nodes
            if node.launched is not None}
    began = time.monotonic()
    cpu = CpuWindow({**pids, "bench": os.getpid()}, began + WARMUP_S, began + seconds,
                    alone={"bench"}).start()
    try:
        figures = drive_load(signed_txs, rate, DRAIN_S,
                             send_urls=[node.rpc_url for node in authorities],
                             poll_url=follower.rpc_url, routes=routes)
    finally:
        arrivals = watch.stop()
    figures["cpu_percent_of_one_core"] = cpu.shares()
    figures["machine_cpu_percent_of_one_core"] = cpu.machine_share()
    figures["propagation"] = compute_propagation(
        arrivals, {node.name: node.role for node in network.nodes}, sealers_from_logs(authorities))
    head = rpc(follower.rpc_url, "eth_getBlockByNumber", ["latest", False])
    figures["block_gas_limit"] = int(head["gasLimit"], 16)
    return figures


def run_network_bench(rate: int = 1_200, seconds: float = 30.0,
                      compare: bool = True) -> dict[str, Any]:
    """Run the workload on a fresh 3-authority network and, with `compare`, on `bench
    node`'s single node and anvil; return {"workload", "network", "load_average_at_start"}
    and, with `compare`, "single_node", "anvil", "ratio_network_to_single_node"."""
    result: dict[str, Any] = {
        "workload": {"rate": rate, "seconds": seconds, "senders": len(SENDER_ROLES),
                     "authorities": AUTHORITIES, "followers": FOLLOWERS, "period_s": PERIOD_S},
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="network-bench-") as tmp:
        network = LocalNetwork.create(Path(tmp) / "network", authorities=AUTHORITIES,
                                      followers=FOLLOWERS, period=PERIOD_S)
        try:
            network.start()
            result["network"] = _bench_network(network, rate, seconds)
        finally:
            network.stop()
    if compare:
        single = run_node_bench(rate=rate, seconds=seconds, senders=len(SENDER_ROLES))
        result["single_node"], result["anvil"] = single["ledger"], single["anvil"]
        ours = result["network"]["sustained_included_tx_per_s"]
        theirs = result["single_node"]["sustained_included_tx_per_s"]
        result["ratio_network_to_single_node"] = round(ours / theirs, 3) if theirs else None
    return result


def _load_rows(label: str, figures: Mapping[str, Any], target: str) -> list[tuple[str, str, str]]:
    counts = f"{figures['included_tx']:,} / {figures['offered_tx']:,} / {figures['rejected_tx']:,}"
    return [
        (f"{label}: sustained included tx/s", f"{figures['sustained_included_tx_per_s']:,}", target),
        (f"{label}: included tx/s while the load is on",
         f"{figures['steady_included_tx_per_s']:,}", "-"),
        (f"{label}: inclusion latency p50 / p99, s",
         f"{figures.get('latency_p50_s')} / {figures.get('latency_p99_s')}", "-"),
        (f"{label}: included / offered / rejected", counts, "-"),
    ]


def report_rows(result: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(figure, measured, target) rows for the console table and bench/README.md."""
    workload, network = result["workload"], result["network"]
    described = (f"{workload['rate']:,} tx/s offered for {workload['seconds']:g} s from "
                 f"{workload['senders']} senders; {workload['authorities']} authorities + "
                 f"{workload['followers']} follower, {workload['period_s']} s period")
    rows = [("workload", described, "")]
    rows += _load_rows("network (sender s to authority s mod 3; read on the follower)", network,
                       TARGETS["sustained_included_tx_per_s"])
    propagation = network["propagation"]
    rows.append(("network: heights with competing blocks / blocks the follower replaced",
                 f"{propagation['heights_with_competing_blocks']} / {network['replaced_blocks_seen']}",
                 "-"))
    for key, whom in (("to_authorities", "the other authorities"), ("to_follower", "the follower"),
                      ("to_last_node", "the last node")):
        cell = propagation[key]
        shown = "n/a" if cell["samples"] == 0 else f"{cell['p50_ms']:,} / {cell['p99_ms']:,}"
        rows.append((f"block propagation, sealer -> {whom} (newHeads), p50 / p99, ms", shown,
                     f"{cell['samples']:,} samples"))
    seen_by_all = (f"{propagation['blocks_seen_by_every_node']:,} / "
                   f"{propagation['blocks_with_txs']:,}; {propagation['blocks_first_seen_off_sealer']}")
    rows.append(("blocks with transactions: head on every node / all; first seen off its sealer",
                 seen_by_all, "0 off sealer expected"))
    for name, share in network["cpu_percent_of_one_core"].items():
        if name == "bench":
            rows.append(("CPU while the load is on, the bench (senders, poller, newHeads), % of one core",
                         f"{share['process']:g}", ""))
        else:
            rows.append((f"CPU while the load is on, {name}: process + its children, % of one core",
                         f"{share['process']:g} + {share['descendants']:g}", ""))
    rows.append(("CPU while the load is on, the whole machine (ours and any other), % of one core",
                 f"{network['machine_cpu_percent_of_one_core']:g}",
                 f"at most {100 * (os.cpu_count() or 1)} ({os.cpu_count()} cores)"))
    if "single_node" in result:
        rows += _load_rows("single node (`bench node` set-up)", result["single_node"], "-")
        rows += _load_rows("anvil (`bench node` set-up)", result["anvil"], "-")
        rows.append(("ratio network / single node (sustained tx/s)",
                     str(result["ratio_network_to_single_node"]), "-"))
    rows.append(("load average at start (1/5/15 min)",
                 " / ".join(f"{value:.1f}" for value in result["load_average_at_start"]), ""))
    return rows
