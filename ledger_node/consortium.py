"""A consortium on disk: joining a network with its genesis, and a local development
network of several authorities and followers, each with its own data directory and key.

A network is described by what its founding node published (`genesis.json`,
`deployment.json`) and by `peers.json`, the list every node shares: name, peer-link URL
and node id of each node (a node skips its own entry). Nothing secret travels: each
organisation makes its authority key and node key on its own machine and publishes
only the address and the node id (docs/consortium.md).

`create_local_network` lays out such a network on one machine for development and
tests: authority1 is initialised (`node init --dev`, the other authorities' addresses as
genesis signers) and holds the development accounts; every other node joins from the
genesis and syncs block 1 from its peers. No node holds another's key.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coincurve import PrivateKey

from ledger_node.block_file import create_chain_from_genesis
from ledger_node.errors import GenesisError
from ledger_node.genesis import DEPLOYMENT_FILE, GENESIS_FILE, STORE_FILE, init_data_dir
from ledger_node.keys import (
    DEV_KEYS_FILE,
    SEALER,
    NodeKey,
    load_node_key,
    new_key,
    read_dev_keys,
    write_dev_keys,
)
from ledger_node.peer_messages import node_id
from ledger_node.store import LedgerStore

NETWORK_FILE = "network.json"
PEERS_FILE = "peers.json"
SHARED_DIR = "shared"  # genesis, deployment and the dev accounts a system joining needs


def join_network(data_dir: Path, genesis_path: Path, deployment_path: Path) -> None:
    """Make `data_dir` a node of the network of `genesis_path`: block 0 built and checked
    against the published hash, the deployment (contract addresses) beside it. The node
    then syncs everything after block 0 from its peers, verifying each block."""
    if (data_dir / STORE_FILE).exists():
        raise GenesisError(f"{data_dir} already holds a chain")
    deployment = json.loads(deployment_path.read_text(encoding="utf-8"))
    genesis = json.loads(genesis_path.read_text(encoding="utf-8"))
    if deployment.get("genesisHash") != genesis.get("hash"):
        raise GenesisError(f"{deployment_path} belongs to another genesis than {genesis_path}")
    create_chain_from_genesis(data_dir, genesis_path)
    store = LedgerStore(data_dir / STORE_FILE)
    try:  # admission reads the MemberRegistry (ledger_node/txpool.py)
        store.set_meta("member_registry", deployment["contracts"]["MemberRegistry"]["address"])
    finally:
        store.close()
    shutil.copyfile(deployment_path, data_dir / DEPLOYMENT_FILE)


@dataclass(frozen=True)
class NodePlan:
    """One node of a local network: where it keeps its data and listens."""

    name: str
    role: str  # "authority" or "follower"
    data_dir: Path
    rpc_port: int
    p2p_port: int

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}"

    @property
    def p2p_url(self) -> str:
        return f"http://127.0.0.1:{self.p2p_port}"


def create_local_network(
    directory: Path, authorities: int, followers: int, rpc_ports: list[int],
    p2p_ports: list[int], period: int = 1, chain_id: int = 7331, standby: int = 0,
) -> dict[str, Any]:
    """Lay out a development network in `directory` (see module doc); return the
    network.json document (nodes with role, data dir, URLs and node id). The last
    `standby` authorities hold a key but are not signers at genesis: the others can vote
    them in (`traceledger node vote propose`)."""
    if authorities < 1 or followers < 0 or not 0 <= standby < authorities:
        raise GenesisError("a network needs at least one genesis authority")
    count = authorities + followers
    if len(rpc_ports) < count or len(p2p_ports) < count:
        raise GenesisError(f"{count} nodes need {count} RPC and {count} peer ports")
    if (directory / NETWORK_FILE).exists():
        raise GenesisError(f"{directory} already holds a network ({NETWORK_FILE})")
    plans = [NodePlan(f"authority{i + 1}", "authority", directory / f"authority{i + 1}",
                      rpc_ports[i], p2p_ports[i]) for i in range(authorities)]
    plans += [NodePlan(f"follower{i + 1}", "follower", directory / f"follower{i + 1}",
                       rpc_ports[authorities + i], p2p_ports[authorities + i])
              for i in range(followers)]
    others: list[NodeKey] = [new_key(SEALER) for _ in range(authorities - 1)]
    founder = plans[0].data_dir
    genesis_others = others[:len(others) - standby]
    init_data_dir(founder, dev=True, chain_id=chain_id, period=period,
                  other_authorities=tuple(k.address for k in genesis_others))
    shared = directory / SHARED_DIR
    shared.mkdir(parents=True, exist_ok=True)
    for name in (GENESIS_FILE, DEPLOYMENT_FILE):
        shutil.copyfile(founder / name, shared / name)
    accounts = read_dev_keys(founder)
    # The dev accounts other than the founder's authority key, for a system that joins.
    write_dev_keys(shared, {r: k for r, k in accounts.items() if r != SEALER})
    for plan, key in zip(plans[1:authorities], others, strict=True):
        join_network(plan.data_dir, shared / GENESIS_FILE, shared / DEPLOYMENT_FILE)
        write_dev_keys(plan.data_dir, {SEALER: key})  # its own authority key only
    for plan in plans[authorities:]:
        join_network(plan.data_dir, shared / GENESIS_FILE, shared / DEPLOYMENT_FILE)
    nodes = []
    for plan in plans:
        identity = node_id(PrivateKey(load_node_key(plan.data_dir)))
        sealer = (read_dev_keys(plan.data_dir)[SEALER].address
                  if (plan.data_dir / DEV_KEYS_FILE).exists() and plan.role == "authority"
                  else None)
        nodes.append({"name": plan.name, "role": plan.role, "dataDir": str(plan.data_dir),
                      "rpc": plan.rpc_url, "p2p": plan.p2p_url, "nodeId": identity,
                      "authority": sealer})
    peers = [{"name": n["name"], "url": n["p2p"], "nodeId": n["nodeId"],
              "authority": n["authority"]} for n in nodes]
    (directory / PEERS_FILE).write_text(json.dumps(peers, indent=2) + "\n")
    deployment = json.loads((shared / DEPLOYMENT_FILE).read_text(encoding="utf-8"))
    document = {"chainId": chain_id, "genesisHash": deployment["genesisHash"],
                "period": period, "nodes": nodes}
    (directory / NETWORK_FILE).write_text(json.dumps(document, indent=2) + "\n")
    return document
