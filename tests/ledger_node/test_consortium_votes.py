"""Authorities are added and removed by Clique votes cast on different nodes (issue 16):
a fourth organisation's node, listed in peers.json with its authority address but not a
signer at genesis, is voted in by two of the three authorities (each voting from its own
node, in the blocks it seals), then seals blocks itself, and is voted out again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_node.rpc.admin import admin_rpc
from testing.devnet import rpc
from testing.network import LocalNetwork, NetNode, SteadyLoad

VOTE_TIMEOUT_S = 90.0


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNetwork]:
    directory: Path = tmp_path_factory.mktemp("consortium-votes")
    net = LocalNetwork.create(directory, authorities=4, followers=0, standby=1)
    try:
        net.start()
        net.wait_converged(timeout_s=60, min_number=1)
        yield net
    finally:
        net.stop()


def _signers(node: NetNode) -> set[str]:
    return {s.lower() for s in rpc(node.rpc_url, "clique_getSigners", ["latest"])}


def _wait_for_signers(network: LocalNetwork, expected: set[str]) -> None:
    deadline = time.monotonic() + VOTE_TIMEOUT_S
    while time.monotonic() < deadline:
        if all(_signers(n) == expected for n in network.nodes):
            return
        time.sleep(0.5)
    raise AssertionError(f"signers never became {expected}: "
                         f"{ {n.name: _signers(n) for n in network.nodes} }")


def test_an_authority_is_voted_in_from_two_nodes_seals_and_is_voted_out(
    network: LocalNetwork,
) -> None:
    founders = network.authorities[:3]
    newcomer = network.node("authority4")
    assert newcomer.authority is not None
    candidate = newcomer.authority.lower()
    genesis_signers = {n.authority.lower() for n in founders if n.authority}
    assert _signers(newcomer) == genesis_signers
    load = SteadyLoad(network, rate_per_s=10).start()  # votes ride in sealed blocks
    try:
        for voter in founders[:2]:  # a majority of three, each on its own node
            admin_rpc(voter.data_dir, "clique_propose", [candidate, True])
        _wait_for_signers(network, genesis_signers | {candidate})
        for voter in founders[:2]:
            admin_rpc(voter.data_dir, "clique_discard", [candidate])
        deadline = time.monotonic() + VOTE_TIMEOUT_S
        while "sealed block" not in newcomer.log() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "sealed block" in newcomer.log(), "the voted-in authority never sealed"
        for voter in founders:  # more than half of four
            admin_rpc(voter.data_dir, "clique_propose", [candidate, False])
        _wait_for_signers(network, genesis_signers)
    finally:
        load.stop()
    network.wait_converged(timeout_s=60)


def test_a_vote_for_an_address_no_peer_seals_with_is_refused(network: LocalNetwork) -> None:
    from ledger_node.errors import RpcError

    stranger = "0x" + "ab" * 20
    with pytest.raises(RpcError):
        admin_rpc(network.authorities[0].data_dir, "clique_propose", [stranger, True])
