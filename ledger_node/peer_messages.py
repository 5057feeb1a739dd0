"""Signed messages between consortium nodes: the envelope every peer message travels in.

Each node has a node key (secp256k1, separate from its Clique authority key, so a
follower has one too); its node id is the 64-byte public key, hex, as an enode id. Peers
are named in configuration by URL and node id (`PeerBook`): a message is accepted only if

1. it is no larger than MAX_MESSAGE_BYTES, checked before anything is parsed;
2. it is a 65-byte recoverable secp256k1 signature followed by the payload, and the
   signature over keccak256(DOMAIN ‖ payload) recovers to a node id in the peer book:
   the exact bytes are signed, so nothing is parsed before the sender is known and no
   canonical JSON is needed;
3. the payload is a JSON object with exactly the envelope's members, of the right types,
   and its `from` is the node that signed it;
4. it is addressed to this node (`to`) on this network (`network` = the genesis hash);
5. it was sent within MAX_CLOCK_SKEW_S of our clock, and its `seq` was not accepted
   from that sender before and is not older than the replay window (seqs are the
   sender's clock in ns, strictly increasing; messages travel over concurrent HTTP
   requests, so they may arrive out of order within the window). A recorded message
   therefore cannot be replayed, nor replayed to another node or network.

Otherwise `PeerMessageError` says which rule failed. The body is opaque here: the kinds
of message (blocks, transactions, status, requests) are the peer protocol's business.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from coincurve import PrivateKey, PublicKey
from eth_utils import is_address, keccak

from anchoring.core.errors import JsonTooDeepError
from anchoring.core.json_depth import check_json_depth
from ledger_node.errors import LedgerNodeError

DOMAIN = b"traceledger-peer-message/v1\n"
MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # a full block of 3,000 transactions is ~1 MB
MAX_CLOCK_SKEW_S = 30.0
ENVELOPE_MEMBERS = frozenset({"v", "network", "from", "to", "seq", "sent", "kind", "body"})
SIGNATURE_BYTES = 65
# Out-of-order delivery accepted within this span of the sender's seq (its clock, ns); older
# is refused. Twice the clock skew: a message that passes the clock rule is in the window.
REPLAY_WINDOW_NS = int(2 * MAX_CLOCK_SKEW_S * 1e9)
VERSION = 1


class PeerMessageError(LedgerNodeError):
    """A peer message that is refused; `rule` names the check that failed."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


class PeerConfigError(LedgerNodeError):
    """A peer list that cannot be used (malformed entry, bad node id, a peer twice)."""


def node_id(key: PrivateKey | PublicKey) -> str:
    """The node id of a key: its uncompressed public key without the 0x04 prefix, hex."""
    public = key.public_key if isinstance(key, PrivateKey) else key
    return public.format(compressed=False)[1:].hex()


@dataclass(frozen=True)
class Peer:
    """A node this one talks to: a name for logs, where it listens, its node id and, for
    an authority's node, the address it seals with (Clique votes may add it)."""

    name: str
    url: str
    node_id: str
    authority: str | None = None


class PeerBook:
    """The static, configured set of peers; only they may send us messages."""

    def __init__(self, peers: Iterable[Peer]) -> None:
        self.by_id: dict[str, Peer] = {}
        for peer in peers:
            _check_node_id(peer.node_id)
            if peer.node_id in self.by_id:
                raise PeerConfigError(f"peer {peer.name}: node id listed twice")
            self.by_id[peer.node_id] = peer

    @classmethod
    def from_json(cls, document: Any) -> PeerBook:
        """A peer book from `[{"name", "url", "nodeId", "authority"?}, ...]` (peers.json;
        `authority`: the 0x address an authority's node seals with, or null)."""
        if not isinstance(document, list):
            raise PeerConfigError("peers: a JSON list of {name, url, nodeId, authority?}")
        peers = []
        for index, entry in enumerate(document):
            if not isinstance(entry, dict) or not {"name", "url", "nodeId"} <= set(entry) <= {
                "name", "url", "nodeId", "authority"
            } or not all(isinstance(entry[k], str) for k in ("name", "url", "nodeId")):
                raise PeerConfigError(
                    f"peers[{index}]: name, url and nodeId (strings) and optionally authority")
            authority = entry.get("authority")
            if authority is not None and not is_address(authority):
                raise PeerConfigError(f"peers[{index}]: authority must be a 0x address or null")
            peers.append(Peer(entry["name"], entry["url"], entry["nodeId"].removeprefix("0x"),
                              authority))
        return cls(peers)


def _check_node_id(value: str) -> None:
    if len(value) != 128 or any(c not in "0123456789abcdef" for c in value):
        raise PeerConfigError(f"node id {value[:16]}...: 128 lowercase hex digits")


def _signing_hash(payload: bytes) -> bytes:
    return keccak(DOMAIN + payload)


class MessageSigner:
    """Seals outgoing messages with this node's key; `seq` strictly increases per sender."""

    def __init__(self, key: PrivateKey, network: str) -> None:
        self._key = key
        self.node_id = node_id(key)
        self.network = network
        self._seq = time.time_ns()  # survives restarts: a restarted node starts above
        self._lock = threading.Lock()

    def seal(self, to: str, kind: str, body: Any) -> bytes:
        """The encoded, signed message of `kind` with `body` (JSON) for node `to`."""
        with self._lock:
            self._seq = max(self._seq + 1, time.time_ns())
            seq = self._seq
        payload = json.dumps({
            "v": VERSION, "network": self.network, "from": self.node_id, "to": to,
            "seq": seq, "sent": round(time.time() * 1000), "kind": kind, "body": body,
        }, separators=(",", ":")).encode()
        return self._key.sign_recoverable(_signing_hash(payload), hasher=None) + payload


@dataclass(frozen=True)
class PeerMessage:
    """An accepted message: who sent it, what kind, its body."""

    sender: Peer
    kind: str
    body: Any
    seq: int


class MessageOpener:
    """Checks incoming messages against the peer book (rules 1-5 of the module doc)."""

    def __init__(self, own_node_id: str, network: str, peers: PeerBook) -> None:
        self.own_node_id = own_node_id
        self.network = network
        self.peers = peers
        self._highest_seq: dict[str, int] = {}
        self._seen: dict[str, set[int]] = {}
        self._lock = threading.Lock()

    def open(self, data: bytes, now: float | None = None) -> PeerMessage:
        """The message in `data`, or PeerMessageError naming the rule it breaks."""
        if len(data) > MAX_MESSAGE_BYTES:
            raise PeerMessageError("size", f"{len(data):,} bytes exceeds {MAX_MESSAGE_BYTES:,}")
        signature, payload = data[:SIGNATURE_BYTES], data[SIGNATURE_BYTES:]
        try:
            recovered = PublicKey.from_signature_and_message(
                signature, _signing_hash(payload), hasher=None)
        except Exception as exc:  # coincurve raises ValueError and others on bad signatures
            raise PeerMessageError("signature", "no readable signature") from exc
        sender = self.peers.by_id.get(node_id(recovered))
        if sender is None:
            raise PeerMessageError("unknown-peer", f"signed by node {node_id(recovered)[:16]}..., "
                                                   "which is not a peer")
        try:
            check_json_depth(payload)  # before the recursive parser, as for JSON-RPC
            envelope = json.loads(payload)
        except JsonTooDeepError as exc:
            raise PeerMessageError("format", f"payload nested deeper than {exc.limit}") from exc
        except (ValueError, RecursionError) as exc:
            raise PeerMessageError("format", f"payload is not JSON: {exc}") from exc
        self._check_shape(envelope)
        if envelope["from"] != sender.node_id:
            raise PeerMessageError("signature", f"signed by {sender.name}, claims another sender")
        if envelope["network"] != self.network:
            raise PeerMessageError("network", "sent for another network")
        if envelope["to"] != self.own_node_id:
            raise PeerMessageError("recipient", "addressed to another node")
        clock = time.time() if now is None else now
        if abs(envelope["sent"] / 1000 - clock) > MAX_CLOCK_SKEW_S:
            raise PeerMessageError("clock", f"sent {envelope['sent']} ms, more than "
                                            f"{MAX_CLOCK_SKEW_S:.0f} s from our clock")
        with self._lock:
            self._check_fresh(sender, envelope["seq"])
        return PeerMessage(sender, envelope["kind"], envelope["body"], envelope["seq"])

    def _check_fresh(self, sender: Peer, seq: int) -> None:
        highest = self._highest_seq.get(sender.node_id)
        seen = self._seen.setdefault(sender.node_id, set())
        if seq in seen or (highest is not None and seq <= highest - REPLAY_WINDOW_NS):
            raise PeerMessageError("replay", f"seq {seq} already seen from {sender.name} "
                                             "(or older than the replay window)")
        seen.add(seq)
        if highest is None or seq > highest:
            self._highest_seq[sender.node_id] = seq
            if len(seen) > 1_024:  # keep only the window
                floor = seq - REPLAY_WINDOW_NS
                self._seen[sender.node_id] = {s for s in seen if s > floor}

    @staticmethod
    def _check_shape(envelope: Any) -> None:
        if not isinstance(envelope, dict) or set(envelope) != ENVELOPE_MEMBERS:
            raise PeerMessageError("format", f"members must be {sorted(ENVELOPE_MEMBERS)}")
        if envelope["v"] != VERSION:
            raise PeerMessageError("format", f"version {envelope['v']!r}, expected {VERSION}")
        for name in ("network", "from", "to", "kind"):
            if not isinstance(envelope[name], str):
                raise PeerMessageError("format", f"{name} must be a string")
        for name in ("seq", "sent"):
            if not isinstance(envelope[name], int) or isinstance(envelope[name], bool):
                raise PeerMessageError("format", f"{name} must be an integer")
