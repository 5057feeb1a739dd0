"""A consortium network directory as `traceledger network up` writes it
(`ledger_node.consortium.create_local_network`): network.json names each node — role,
data dir, JSON-RPC and peer-link URLs, node id, authority address — beside peers.json and
shared/ (genesis.json, deployment.json, a dev network's dev-keys.json).

`read_network` reads it for `network up`/`status` and for `traceledger up --peers`, and
says which nodes take what: transactions only at authorities (a follower refuses them
with -32000), reads preferably at a follower.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


class NetworkError(Exception):
    """A network directory that cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class NetworkNode:
    """One node of a network.json: where its data is and where it listens."""

    name: str
    role: str  # "authority" (seals, accepts transactions) or "follower" (read-only)
    data_dir: Path
    rpc_url: str
    p2p_url: str
    node_id: str
    authority: str | None  # its sealing address; None for a follower

    @property
    def rpc_port(self) -> int:
        return _port_of(self.rpc_url)

    @property
    def p2p_port(self) -> int:
        return _port_of(self.p2p_url)


@dataclass(frozen=True)
class Network:
    """A network directory written by `network up` (ledger_node.consortium's layout)."""

    directory: Path
    chain_id: int
    genesis_hash: str
    period_s: int
    nodes: tuple[NetworkNode, ...]
    peers_file: Path
    shared_dir: Path
    """genesis.json, deployment.json and (dev networks) dev-keys.json: what a system
    joining the network reads instead of its own node's data dir."""

    @property
    def authorities(self) -> list[NetworkNode]:
        return [node for node in self.nodes if node.role == "authority"]

    @property
    def followers(self) -> list[NetworkNode]:
        return [node for node in self.nodes if node.role == "follower"]

    @property
    def read_url(self) -> str:
        """Where readers go: the first follower, so the authorities keep to sealing; the
        first authority when the network has no follower."""
        return (self.followers or self.authorities)[0].rpc_url

    @property
    def transaction_urls(self) -> list[str]:
        """Every authority's JSON-RPC: only authorities accept transactions (a follower
        refuses them with -32000)."""
        return [node.rpc_url for node in self.authorities]


def _port_of(url: str) -> int:
    port = urlsplit(url).port
    if port is None:
        raise NetworkError(f"{url} names no port")
    return port


def read_network(directory: Path) -> Network:
    """The network in `directory`; raises NetworkError when it holds none (no
    network.json) or the file is not one `network up` wrote."""
    # Lazily: ledger_node.consortium loads py-evm, which other commands never need.
    from ledger_node.consortium import NETWORK_FILE, PEERS_FILE, SHARED_DIR

    path = directory / NETWORK_FILE
    if not path.is_file():
        raise NetworkError(f"{directory} holds no network ({NETWORK_FILE} missing): lay one "
                           f"out with `traceledger network up --dir {directory}`")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        nodes = tuple(
            NetworkNode(name=str(entry["name"]), role=str(entry["role"]),
                        data_dir=Path(entry["dataDir"]), rpc_url=str(entry["rpc"]),
                        p2p_url=str(entry["p2p"]), node_id=str(entry["nodeId"]),
                        authority=entry.get("authority"))
            for entry in document["nodes"])
        network = Network(directory=directory, chain_id=int(document["chainId"]),
                          genesis_hash=str(document["genesisHash"]),
                          period_s=int(document["period"]), nodes=nodes,
                          peers_file=directory / PEERS_FILE, shared_dir=directory / SHARED_DIR)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NetworkError(f"{path} is not a network description: {exc!r}") from exc
    if not network.authorities or any(n.role not in ("authority", "follower") for n in nodes):
        raise NetworkError(f"{path}: a network needs an authority; roles are authority or "
                           "follower")
    return network
