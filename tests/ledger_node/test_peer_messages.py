"""Signed peer messages: an honest message opens; every way of fooling the receiver fails at
its named rule (size, signature, unknown peer, format, sender, network, recipient, clock,
replay); the peer list is validated."""

from __future__ import annotations

import json
import time

import pytest
from coincurve import PrivateKey
from eth_utils import keccak

from ledger_node.peer_messages import (
    DOMAIN,
    MAX_CLOCK_SKEW_S,
    MAX_MESSAGE_BYTES,
    REPLAY_WINDOW_NS,
    MessageOpener,
    MessageSigner,
    Peer,
    PeerBook,
    PeerConfigError,
    PeerMessageError,
    node_id,
)

NETWORK = "0x" + "ab" * 32


def _node(seed: int) -> PrivateKey:
    return PrivateKey(bytes([seed]) * 32)


ALICE, BOB, MALLORY = _node(1), _node(2), _node(3)


def _bob_opens() -> MessageOpener:
    """Bob's receiver: Alice is his only peer."""
    return MessageOpener(node_id(BOB), NETWORK, PeerBook([Peer("alice", "http://a", node_id(ALICE))]))


def _raw_sign(key: PrivateKey, payload: dict[str, object]) -> bytes:
    data = json.dumps(payload).encode()
    return key.sign_recoverable(keccak(DOMAIN + data), hasher=None) + data


def _payload(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {"v": 1, "network": NETWORK, "from": node_id(ALICE),
                               "to": node_id(BOB), "seq": 1, "sent": round(time.time() * 1000),
                               "kind": "block", "body": {"rlp": "0xc0"}}
    base.update(changes)
    return base


def test_an_honest_message_opens_with_its_sender_kind_and_body() -> None:
    message = MessageSigner(ALICE, NETWORK).seal(node_id(BOB), "block", {"rlp": "0xc0"})
    opened = _bob_opens().open(message)
    assert opened.sender.name == "alice"
    assert (opened.kind, opened.body) == ("block", {"rlp": "0xc0"})


def test_sequence_numbers_increase_so_each_message_opens_once() -> None:
    signer, opener = MessageSigner(ALICE, NETWORK), _bob_opens()
    first = signer.seal(node_id(BOB), "status", {})
    second = signer.seal(node_id(BOB), "status", {})
    # Concurrent deliveries may arrive out of order: both open, once each.
    assert opener.open(second).seq > opener.open(first).seq
    for again in (first, second):
        with pytest.raises(PeerMessageError) as refused:
            opener.open(again)
        assert refused.value.rule == "replay"


def test_a_seq_older_than_the_replay_window_is_refused() -> None:
    opener = _bob_opens()
    now = time.time_ns()
    assert opener.open(_raw_sign(ALICE, _payload(seq=now))).seq == now
    with pytest.raises(PeerMessageError) as refused:
        opener.open(_raw_sign(ALICE, _payload(seq=now - REPLAY_WINDOW_NS)))
    assert refused.value.rule == "replay"
    assert opener.open(_raw_sign(ALICE, _payload(seq=now - REPLAY_WINDOW_NS + 1))).seq


@pytest.mark.parametrize(
    ("lie", "rule"),
    [
        ("a peer we do not know signs", "unknown-peer"),
        ("the body is changed after signing", "unknown-peer"),
        ("the signature is cut", "signature"),
        ("a known peer signs but claims to be another", "signature"),
        ("the payload is not JSON", "format"),
        ("a member is missing", "format"),
        ("an extra member", "format"),
        ("seq is a string", "format"),
        ("another network", "network"),
        ("addressed to another node", "recipient"),
        ("sent an hour ago", "clock"),
        ("sent an hour ahead", "clock"),
        ("too large", "size"),
    ],
)
def test_a_lie_fails_at_its_named_rule(lie: str, rule: str) -> None:
    honest = MessageSigner(ALICE, NETWORK).seal(node_id(BOB), "block", {"rlp": "0xc0"})
    hour_ms = 3_600_000
    now_ms = _payload()["sent"]
    assert isinstance(now_ms, int)
    data = {
        "a peer we do not know signs": lambda: _raw_sign(
            MALLORY, _payload(**{"from": node_id(MALLORY)})),
        "the body is changed after signing": lambda: honest.replace(b'"0xc0"', b'"0xc1"'),
        "the signature is cut": lambda: honest[:40],
        "a known peer signs but claims to be another": lambda: _raw_sign(
            ALICE, _payload(**{"from": node_id(MALLORY)})),
        "the payload is not JSON": lambda: ALICE.sign_recoverable(
            keccak(DOMAIN + b"{not json"), hasher=None) + b"{not json",
        "a member is missing": lambda: _raw_sign(
            ALICE, {k: v for k, v in _payload().items() if k != "seq"}),
        "an extra member": lambda: _raw_sign(ALICE, _payload(extra=1)),
        "seq is a string": lambda: _raw_sign(ALICE, _payload(seq="1")),
        "another network": lambda: _raw_sign(ALICE, _payload(network="0x" + "cd" * 32)),
        "addressed to another node": lambda: _raw_sign(ALICE, _payload(to=node_id(MALLORY))),
        "sent an hour ago": lambda: _raw_sign(ALICE, _payload(sent=now_ms - hour_ms)),
        "sent an hour ahead": lambda: _raw_sign(ALICE, _payload(sent=now_ms + hour_ms)),
        "too large": lambda: honest + b" " * MAX_MESSAGE_BYTES,
    }[lie]()
    with pytest.raises(PeerMessageError) as refused:
        _bob_opens().open(data)
    assert refused.value.rule == rule, refused.value


def test_the_clock_allows_the_documented_skew() -> None:
    message = MessageSigner(ALICE, NETWORK).seal(node_id(BOB), "status", {})
    sent = json.loads(message[65:])["sent"] / 1000
    assert _bob_opens().open(message, now=sent + MAX_CLOCK_SKEW_S - 1).kind == "status"


def test_the_peer_list_is_validated() -> None:
    good = [{"name": "a", "url": "http://a", "nodeId": "0x" + node_id(ALICE)}]
    assert list(PeerBook.from_json(good).by_id) == [node_id(ALICE)]
    for bad in ({"peers": []}, [{"name": "a", "url": "http://a"}],
                [{"name": "a", "url": "http://a", "nodeId": "0x1234"}],
                [{"name": "a", "url": "http://a", "nodeId": node_id(ALICE).upper()}],
                good + [{"name": "b", "url": "http://b", "nodeId": node_id(ALICE)}]):
        with pytest.raises(PeerConfigError):
            PeerBook.from_json(bad)
