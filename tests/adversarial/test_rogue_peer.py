"""A consortium under attack from a peer (issue 16): "mallory" is a configured peer (its
node id is in everyone's peers.json: an organisation gone rogue, or a stolen node key)
that also holds the authority keys, and a stranger is not a peer at all. They send the
honest nodes blocks built on the honest head and then broken:

- a changed state root, re-sealed so the seal is valid;
- a forged seal (signed by a key that is no authority);
- an authority sealing too often (the head's signer seals the next block as well);
- a transaction removed from the body under the original header;
- a valid block, signed by a node that is not a peer.

Every node refuses every one, at the check named for it, and the follower says why in
its /health; the stranger's message is refused before its body is read. The honest
network stays on one head and keeps sealing.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import rlp
from coincurve import PrivateKey
from eth.consensus.clique._utils import get_block_signer, sign_block_header
from eth_account import Account
from eth_keys import keys as eth_keys
from eth_utils import keccak

from ledger_node.chain import LedgerChain, load_config
from ledger_node.keys import read_dev_keys
from ledger_node.peer_messages import DOMAIN, MAX_MESSAGE_BYTES, MessageSigner, node_id
from ledger_node.sealer import decode_block
from ledger_node.store import LedgerStore
from ledger_node.transactions import decode_signed_transaction
from testing.devnet import rpc
from testing.network import LocalNetwork, NetNode
from tests.adversarial import catalogue

REFUSAL_WAIT_S = 20.0


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalNetwork, PrivateKey]]:
    import json

    directory: Path = tmp_path_factory.mktemp("rogue-peer")
    net = LocalNetwork.create(directory, authorities=3, followers=1)
    mallory = PrivateKey()
    peers_file = directory / "peers.json"
    peers = json.loads(peers_file.read_text())
    peers.append({"name": "mallory", "url": "http://127.0.0.1:9", "nodeId": node_id(mallory)})
    peers_file.write_text(json.dumps(peers))
    try:
        net.start()
        net.wait_converged(timeout_s=60, min_number=1)
        yield net, mallory
    finally:
        net.stop()


def _authority_keys(net: LocalNetwork) -> dict[bytes, eth_keys.PrivateKey]:
    found = {}
    for node in net.authorities:
        key = eth_keys.PrivateKey(read_dev_keys(node.data_dir)["sealer"].private_key)
        found[key.public_key.to_canonical_address()] = key
    return found


def _copy_chain(node: NetNode, into: Path) -> LedgerStore:
    """A consistent copy of a running node's store (SQLite's online backup)."""
    into.mkdir(parents=True, exist_ok=True)
    target = into / "chain.sqlite"
    target.unlink(missing_ok=True)
    source = sqlite3.connect(node.data_dir / "chain.sqlite")
    destination = sqlite3.connect(target)
    with destination:
        source.backup(destination)
    source.close()
    destination.close()
    return LedgerStore(target)


def _valid_next_block(net: LocalNetwork, workdir: Path, transfers: int = 2) -> Any:
    """A correct block on the honest head (the follower's), sealed by an authority EIP-225
    lets seal it, with `transfers` value transfers by a dev account."""
    store = _copy_chain(net.followers[0], workdir)
    try:
        chain = LedgerChain(store, load_config(store), list(_authority_keys(net).values()))
        sender = net.accounts["enterprise1"]
        nonce = int(chain.state_at(chain.head_header).get_nonce(
            bytes.fromhex(sender["address"][2:])))
        txs = [decode_signed_transaction(bytes(Account.sign_transaction(
            {"nonce": nonce + i, "gas": 21_000, "gasPrice": 0, "value": 1,
             "to": net.accounts["admin"]["address"], "chainId": net.chain_id},
            sender["privateKey"]).raw_transaction)) for i in range(transfers)]
        built = chain.build_block(txs, max(int(time.time()), chain.head_header.timestamp + 1))
        assert len(built.included) == transfers
        return decode_block(store.block_rlp(built.block.number))
    finally:
        store.close()
        shutil.rmtree(workdir)


def _resealed(block: Any, key: eth_keys.PrivateKey, **changes: Any) -> bytes:
    header = sign_block_header(block.header.copy(**changes), key)
    return rlp.encode(block.copy(header=header))


def _announce(net: LocalNetwork, sender: PrivateKey, block: bytes) -> list[int]:
    """Send `block` as a `block` announcement from `sender` to every node; HTTP statuses."""
    signer = MessageSigner(sender, rpc(net.nodes[0].rpc_url, "eth_getBlockByNumber",
                                       ["0x0", False])["hash"][2:])
    statuses = []
    for node in net.nodes:
        message = signer.seal(node.node_id, "block", {"rlp": "0x" + block.hex(), "td": 10**9})
        response = httpx.post(f"http://127.0.0.1:{node.p2p_port}/peer", content=message,
                              timeout=10)
        statuses.append(response.status_code)
    return statuses


def _block_rlp_at(net: LocalNetwork, number: int) -> bytes:
    answer = rpc(net.followers[0].rpc_url, "eth_getBlockByNumber", [hex(number), False])
    store = LedgerStore(net.followers[0].data_dir / "chain.sqlite")
    try:
        encoded = store.block_rlp(number)
    finally:
        store.close()
    assert decode_block(encoded).header.hash.hex() == answer["hash"][2:]
    return encoded


def _refusals(node: NetNode) -> list[dict[str, Any]]:
    return node.health()["peering"]["refusedBlocks"]  # type: ignore[no-any-return]


def _wait_refused(net: LocalNetwork, number: int, before: dict[str, int]) -> dict[str, str]:
    """Wait until every node refused one more block; the reasons by node."""
    deadline = time.monotonic() + REFUSAL_WAIT_S
    while time.monotonic() < deadline:
        refused = {n.name: _refusals(n) for n in net.nodes}
        if all(len(refused[name]) > before[name] for name in refused):
            reasons = {name: items[-1]["reason"] for name, items in refused.items()}
            assert all(items[-1]["block"] == number and items[-1]["peer"] == "mallory"
                       for items in refused.values())
            return reasons
        time.sleep(0.2)
    raise AssertionError(f"not every node refused block {number}: "
                         f"{ {n.name: _refusals(n) for n in net.nodes} }")


@pytest.mark.parametrize(
    ("lie", "named_check"),
    [
        ("changed state root", "state_root"),
        ("forged seal", "is not authorized"),
        ("signer sealing too often", "signed recently"),
        ("transaction removed", "transaction_root"),
    ],
)
def test_every_node_refuses_a_broken_block_from_a_peer_and_says_why(
    network: tuple[LocalNetwork, PrivateKey], tmp_path: Path, lie: str, named_check: str,
) -> None:
    net, mallory = network
    head_before = net.wait_converged(timeout_s=30)
    block = _valid_next_block(net, tmp_path / "mallory")
    keys = _authority_keys(net)
    key = keys[get_block_signer(block.header)]
    if lie == "changed state root":
        broken = _resealed(block, key, state_root=keccak(b"mallory"))
    elif lie == "forged seal":
        broken = _resealed(block, eth_keys.PrivateKey(keccak(b"not an authority")))
    elif lie == "signer sealing too often":
        head = decode_block(_block_rlp_at(net, head_before[0]))
        recent = keys[get_block_signer(head.header)]
        broken = _resealed(block, recent)
    else:
        broken = rlp.encode(block.copy(transactions=block.transactions[:-1]))
    before = {n.name: len(_refusals(n)) for n in net.nodes}
    assert _announce(net, mallory, broken) == [202] * len(net.nodes)
    reasons = _wait_refused(net, block.header.block_number, before)
    for node_name, reason in reasons.items():
        assert named_check in reason, f"{node_name}: {reason}"
    assert f"REFUSED block {block.header.block_number} from peer mallory" in net.followers[0].log()
    assert net.wait_converged(timeout_s=30) == head_before  # nothing adopted


def test_a_valid_block_from_a_node_that_is_not_a_peer_is_refused_unread(
    network: tuple[LocalNetwork, PrivateKey], tmp_path: Path,
) -> None:
    net, _mallory = network
    head_before = net.wait_converged(timeout_s=30)
    block = _valid_next_block(net, tmp_path / "stranger")
    stranger = PrivateKey()
    statuses = _announce(net, stranger, rlp.encode(block))
    assert statuses == [403] * len(net.nodes)
    for node in net.nodes:
        refused = node.health()["peering"]["refused"]
        assert refused[-1]["rule"] == "unknown-peer"
    time.sleep(2)
    assert net.wait_converged(timeout_s=30) == head_before


def test_the_honest_network_still_seals_after_the_attacks(
    network: tuple[LocalNetwork, PrivateKey],
) -> None:
    net, _mallory = network
    sender = net.accounts["regulator"]
    nonce = int(rpc(net.authorities[1].rpc_url, "eth_getTransactionCount",
                    [sender["address"], "pending"]), 16)
    raw = Account.sign_transaction(
        {"nonce": nonce, "gas": 21_000, "gasPrice": 0, "value": 1,
         "to": net.accounts["admin"]["address"], "chainId": net.chain_id},
        sender["privateKey"]).raw_transaction
    tx_hash = rpc(net.authorities[1].rpc_url, "eth_sendRawTransaction", ["0x" + bytes(raw).hex()])
    follower = net.followers[0]
    deadline = time.monotonic() + 30
    receipt = None
    while receipt is None and time.monotonic() < deadline:
        receipt = rpc(follower.rpc_url, "eth_getTransactionReceipt", [tx_hash])
        time.sleep(0.2)
    assert receipt is not None and receipt["status"] == "0x1"
    net.wait_converged(timeout_s=30)


def _signed_payload(key: PrivateKey, payload: bytes) -> bytes:
    """`payload` under a valid peer signature, whatever it holds (not an envelope)."""
    return key.sign_recoverable(keccak(DOMAIN + payload), hasher=None) + payload


HOSTILE_BODIES = {
    "block": [{"rlp": "0x" + "c0" * 10, "td": 1}, {"rlp": "0xzz", "td": 1},
              {"rlp": "0x", "td": -1}, {"rlp": "0x00", "td": True}, {"rlp": 1, "td": 1}],
    "txs": [{"raw": ["0x00"] * 3_000}, {"raw": "0x00"}, {"raw": [1, 2]}, {}],
    "status": [{"extra": 1}, []],
    "hashes": [{"from": 0, "count": 10**9}, {"from": -1, "count": 1}, {"from": "0", "count": 1}],
    "blocks": [{"from": 0, "count": 10**9}, {"from": 0}, {"from": 0, "count": 1.5}],
    "no-such-kind": [{}],
}


def test_hostile_bytes_to_the_peer_link_are_refused_and_no_node_falls(
    network: tuple[LocalNetwork, PrivateKey],
) -> None:
    net, mallory = network
    target = net.followers[0]
    url = f"http://127.0.0.1:{target.p2p_port}/peer"
    genesis = rpc(target.rpc_url, "eth_getBlockByNumber", ["0x0", False])["hash"][2:]
    for body in catalogue.bodies():
        # From nobody: refused on the signature before anything is parsed.
        assert httpx.post(url, content=body.content, timeout=30).status_code in (400, 403)
        # Under a known peer's valid signature: refused by the envelope checks.
        answer = httpx.post(url, content=_signed_payload(mallory, body.content), timeout=30)
        assert answer.status_code == 400, (body.name, answer.text)
        assert answer.json()["rule"] == "format"
    signer = MessageSigner(mallory, genesis)
    for kind, bodies in HOSTILE_BODIES.items():
        for hostile in bodies:
            answer = httpx.post(url, content=signer.seal(target.node_id, kind, hostile),
                                timeout=30)
            if answer.status_code == 202:  # a block announcement is checked when imported
                continue
            assert answer.status_code == 400, (kind, hostile, answer.text)
            assert answer.json()["rule"] == "format"
    # Far past the head: an empty answer, without asking the database for it.
    answer = httpx.post(url, content=signer.seal(target.node_id, "blocks",
                                                 {"from": 2**80, "count": 1}), timeout=30)
    assert answer.status_code == 200 and b'"rlp":[]' in answer.content
    oversize = b"\x00" * (MAX_MESSAGE_BYTES + 1)
    assert httpx.post(url, content=oversize, timeout=60).status_code == 413
    for node in net.nodes:
        assert node.running, f"{node.name} died"
    net.wait_converged(timeout_s=30)
