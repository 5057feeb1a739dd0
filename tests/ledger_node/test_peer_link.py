"""The peer link (ledger_node/peer_link.py): PeerLink apps served in process by uvicorn (a
real HTTP hop, as between nodes) and, where the test must count what the app reads, called
as a bare ASGI app.

An honest one-way message reaches the handler (202); a request is answered with a message
the asker's opener accepts, signed by the answering node and addressed to the asker. Each
way of fooling the receiver is refused at its named rule, without the handler being called:
an unknown signer (403 unknown-peer), a replay (400 replay), a body over MAX_MESSAGE_BYTES
(413 size, declared or streamed, before the rest is read, whatever Content-Length said), a
peer cut off by admin_removePeer (403 cut-off; nothing is sent to it either). `ask` raises
PeerUnavailable when the answer is signed by another node, is of the wrong kind, is
addressed to another node, is not signed by a peer, is too large, or does not come.
Refusals are listed in `status()["refused"]`.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from coincurve import PrivateKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledger_node.peer_link import CONTENT_TYPE, PEER_PATH, PeerLink, PeerUnavailable
from ledger_node.peer_messages import (
    MAX_MESSAGE_BYTES,
    MessageOpener,
    MessageSigner,
    Peer,
    PeerBook,
    PeerMessage,
    PeerMessageError,
    node_id,
)
from testing.loopback_http import serve
from testing.processes import free_port

NETWORK = "ab" * 32
KEYS = {name: PrivateKey(bytes([seed]) * 32)
        for seed, name in enumerate(["alice", "bob", "carol", "mallory"], start=1)}
STATUS = {"number": 7, "hash": "0x" + "11" * 32}
MIB = 1024 * 1024


def _peer(name: str, url: str) -> Peer:
    return Peer(name, url, node_id(KEYS[name]))


def _link(name: str, peers: list[Peer]) -> PeerLink:
    key = KEYS[name]
    book = PeerBook(peers)
    return PeerLink(MessageSigner(key, NETWORK), MessageOpener(node_id(key), NETWORK, book), book)


@dataclass
class Recorder:
    """A handler: records what it is handed; answers `status`; refuses kind `bad`."""

    messages: list[PeerMessage] = field(default_factory=list)

    async def __call__(self, message: PeerMessage) -> tuple[str, Any] | None:
        self.messages.append(message)
        if message.kind == "bad":
            raise PeerMessageError("format", "the handler refuses this body")
        return ("status", STATUS) if message.kind == "status" else None


@dataclass
class Counter:
    """A stand-in peer that counts the requests it gets (and takes them, 202)."""

    requests: int = 0

    def app(self) -> Starlette:
        async def take(_request: Request) -> Response:
            self.requests += 1
            return Response(status_code=202)

        return Starlette(routes=[Route(PEER_PATH, take, methods=["POST"])])


@dataclass
class Net:
    """Bob serves his PeerLink app; Alice talks to him; Carol is a peer of both who is not
    listening; Alice's own address is a Counter."""

    alice: PeerLink
    bob: PeerLink
    bob_url: str
    handler: Recorder
    at_alice: Counter

    def post(self, data: bytes, **headers: str) -> httpx.Response:
        return httpx.post(self.bob_url + PEER_PATH, content=data, timeout=10,
                          headers={"content-type": CONTENT_TYPE, **headers})

    def peer(self, name: str) -> Peer:
        """`name` as the other node's peer book has it."""
        book = self.bob.book if name == "alice" else self.alice.book
        return next(p for p in book.by_id.values() if p.name == name)


@pytest.fixture
def net() -> Iterator[Net]:
    nobody = f"http://127.0.0.1:{free_port()}"
    at_alice = Counter()
    with serve(at_alice.app()) as alice_url:
        bob = _link("bob", [_peer("alice", alice_url), _peer("carol", nobody)])
        handler = Recorder()
        with serve(bob.app(handler)) as bob_url:
            alice = _link("alice", [_peer("bob", bob_url), _peer("carol", nobody)])
            yield Net(alice, bob, bob_url, handler, at_alice)


def _seal(sender: str, to: str, kind: str, body: Any) -> bytes:
    return MessageSigner(KEYS[sender], NETWORK).seal(node_id(KEYS[to]), kind, body)


def _refused(response: httpx.Response, status: int, rule: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["status"], problem["rule"]) == (status, rule), problem


def _refusal_rules(link: PeerLink) -> list[str]:
    return [refusal["rule"] for refusal in link.status()["refused"]]


# ---------------------------------------------------------------------- honest messages

def test_an_honest_one_way_message_reaches_the_handler(net: Net) -> None:
    async def tell() -> bool:
        try:
            return await net.alice.tell(net.peer("bob"), "block", {"rlp": "0xc0", "td": 3})
        finally:
            await net.alice.aclose()

    assert asyncio.run(tell())
    [message] = net.handler.messages
    assert (message.sender.name, message.kind, message.body) == (
        "alice", "block", {"rlp": "0xc0", "td": 3})
    response = net.post(_seal("alice", "bob", "txs", {"raw": []}))
    assert response.status_code == 202 and response.content == b""
    assert [m.kind for m in net.handler.messages] == ["block", "txs"]
    assert net.bob.status()["refused"] == []
    [alice] = [p for p in net.bob.status()["peers"] if p["name"] == "alice"]
    assert alice["lastHeard"] is not None and alice["connected"]


def test_a_request_is_answered_signed_by_the_answerer_and_addressed_to_the_asker(
    net: Net
) -> None:
    response = net.post(_seal("alice", "bob", "status", {}))
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    alice_opens = MessageOpener(node_id(KEYS["alice"]), NETWORK, net.alice.book)
    answer = alice_opens.open(response.content)
    assert (answer.sender.name, answer.kind, answer.body) == ("bob", "status", STATUS)
    # The same answer does not open for anyone else: it is addressed to Alice.
    carol_opens = MessageOpener(node_id(KEYS["carol"]), NETWORK,
                                PeerBook([net.peer("bob")]))
    with pytest.raises(PeerMessageError) as refused:
        carol_opens.open(response.content)
    assert refused.value.rule == "recipient"

    async def ask() -> Any:
        try:
            return await net.alice.ask(net.peer("bob"), "status", {}, "status")
        finally:
            await net.alice.aclose()

    assert asyncio.run(ask()) == STATUS


# ---------------------------------------------------------------------- refusals

def test_an_unknown_signer_is_refused_403_and_the_handler_is_not_called(net: Net) -> None:
    _refused(net.post(_seal("mallory", "bob", "block", {"rlp": "0xc0", "td": 1})),
             403, "unknown-peer")
    # Mallory claiming to be Alice: the signature says Mallory.
    forged = bytearray(_seal("mallory", "bob", "block", {"rlp": "0xc0", "td": 1}))
    forged_payload = json.loads(forged[65:])
    forged_payload["from"] = node_id(KEYS["alice"])
    _refused(net.post(bytes(forged[:65]) + json.dumps(forged_payload).encode()),
             403, "unknown-peer")
    _refused(net.post(b"\x00" * 10), 403, "signature")
    assert net.handler.messages == []
    assert _refusal_rules(net.bob) == ["unknown-peer", "unknown-peer", "signature"]


def test_a_replayed_message_is_refused_400(net: Net) -> None:
    message = _seal("alice", "bob", "block", {"rlp": "0xc0", "td": 1})
    assert net.post(message).status_code == 202
    _refused(net.post(message), 400, "replay")
    assert len(net.handler.messages) == 1
    assert _refusal_rules(net.bob) == ["replay"]


def test_a_message_the_handler_refuses_is_answered_400_with_its_rule(net: Net) -> None:
    _refused(net.post(_seal("alice", "bob", "bad", {})), 400, "format")
    assert _refusal_rules(net.bob) == ["format"]


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    net: Net
) -> None:
    """Headers only, on a raw socket: the node answers 413 without waiting for a body."""
    host, port = net.bob_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"POST {PEER_PATH} HTTP/1.1\r\nHost: {host}\r\n"
                     f"Content-Type: {CONTENT_TYPE}\r\n"
                     f"Content-Length: {MAX_MESSAGE_BYTES + 1}\r\n\r\n".encode())
        reply = conn.recv(65536).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert '"rule":"size"' in reply
    assert _refusal_rules(net.bob) == ["size"]
    assert net.handler.messages == []


async def _asgi_post(app: Any, headers: list[tuple[bytes, bytes]],
                     chunks: Iterator[bytes]) -> tuple[int, bytes, int]:
    """POST /peer to the bare ASGI `app`, the body from `chunks`; the status, the response
    body and how many body bytes the app read."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": PEER_PATH,
             "raw_path": PEER_PATH.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-type", CONTENT_TYPE.encode()), *headers],
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 80)}
    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), read


def _endless(chunk_bytes: int = MIB, total: int = 64 * MIB) -> Iterator[bytes]:
    for _ in range(total // chunk_bytes):
        yield b"\x00" * chunk_bytes


@pytest.mark.parametrize("headers", [
    [],  # chunked: no Content-Length
    [(b"content-length", b"100")],  # Content-Length lie: says 100, streams 64 MiB
], ids=["chunked", "content-length lie"])
def test_a_body_growing_past_the_limit_is_refused_413_before_it_is_all_read(
    headers: list[tuple[bytes, bytes]]
) -> None:
    bob = _link("bob", [_peer("alice", "http://127.0.0.1:9")])
    handler = Recorder()
    status, body, read = asyncio.run(_asgi_post(bob.app(handler), headers, _endless()))
    assert status == 413 and json.loads(body)["rule"] == "size"
    assert MAX_MESSAGE_BYTES < read <= MAX_MESSAGE_BYTES + MIB  # stopped one chunk past
    assert handler.messages == [] and _refusal_rules(bob) == ["size"]


@pytest.mark.parametrize("declared", [str(MAX_MESSAGE_BYTES + 1), "1e9", "-1", "0x10"])
def test_a_bad_declared_length_is_refused_without_reading(declared: str) -> None:
    bob = _link("bob", [_peer("alice", "http://127.0.0.1:9")])
    status, body, read = asyncio.run(_asgi_post(
        bob.app(Recorder()), [(b"content-length", declared.encode())], _endless()))
    assert (status, json.loads(body)["rule"], read) == (413, "size", 0)


def test_a_cut_off_peer_is_refused_403_and_told_nothing(net: Net) -> None:
    alice = net.peer("alice")
    assert net.bob.set_connected(alice.node_id, False)
    assert not net.bob.set_connected(node_id(KEYS["mallory"]), False)  # not a peer
    _refused(net.post(_seal("alice", "bob", "block", {"rlp": "0xc0", "td": 1})), 403, "cut-off")
    assert net.handler.messages == []

    block = {"rlp": "0xc0", "td": 1}

    async def cut_off_then_reconnected() -> None:
        try:
            assert not await net.bob.tell(alice, "block", block)
            assert await net.bob.broadcast("block", block) == 0  # Carol is down, Alice cut off
            assert net.at_alice.requests == 0
            assert alice not in net.bob.peers
            [state] = [p for p in net.bob.status()["peers"] if p["name"] == "alice"]
            assert not state["connected"]
            assert _refusal_rules(net.bob) == ["cut-off"]
            # Reconnected, both ways work again.
            assert net.bob.set_connected(alice.node_id, True)
            assert net.post(_seal("alice", "bob", "block", block)).status_code == 202
            assert await net.bob.tell(alice, "block", block)
            assert net.at_alice.requests == 1
        finally:
            await net.bob.aclose()

    asyncio.run(cut_off_then_reconnected())


# ---------------------------------------------------------------------- lying answers

def _liar(answer: Any) -> Starlette:
    """A stand-in for Bob that answers each request with `answer(request_body)` (bytes) or
    with the (status, body) it returns."""

    async def reply(request: Request) -> Response:
        result = answer(await request.body())
        status, content = result if isinstance(result, tuple) else (200, result)
        return Response(content, status_code=status, media_type=CONTENT_TYPE)

    return Starlette(routes=[Route(PEER_PATH, reply, methods=["POST"])])


LIES = {
    "signed by another peer": lambda _: _seal("carol", "alice", "status", STATUS),
    "of the wrong kind": lambda _: _seal("bob", "alice", "hashes", {"hashes": []}),
    "addressed to another node": lambda _: _seal("bob", "carol", "status", STATUS),
    "signed by a stranger": lambda _: _seal("mallory", "alice", "status", STATUS),
    "the request echoed back": lambda body: body,
    "not a message": lambda _: b"{}",
    "an HTTP error": lambda _: (500, b"boom"),
    "a refusal": lambda _: (403, b'{"rule":"unknown-peer"}'),
    "too large": lambda _: b"\x00" * (MAX_MESSAGE_BYTES + 1),
}


@pytest.mark.parametrize("lie", list(LIES))
def test_ask_raises_peer_unavailable_for_a_lying_answer(lie: str) -> None:
    with serve(_liar(LIES[lie])) as liar_url:
        alice = _link("alice", [_peer("bob", liar_url), _peer("carol", "http://127.0.0.1:9")])
        bob = alice.book.by_id[node_id(KEYS["bob"])]

        async def ask() -> Any:
            try:
                return await alice.ask(bob, "status", {}, "status")
            finally:
                await alice.aclose()

        with pytest.raises(PeerUnavailable):
            asyncio.run(ask())
        [state] = [s for s in alice.status()["peers"] if s["name"] == "bob"]
        assert state["lastError"] or lie in OPENED_LIES


# Answers that arrive whole (HTTP 200, not too large) and fail only when opened or checked.
OPENED_LIES = {"signed by another peer", "of the wrong kind", "addressed to another node",
               "signed by a stranger", "the request echoed back", "not a message"}


def test_ask_raises_peer_unavailable_for_a_peer_that_is_down() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    alice = _link("alice", [_peer("bob", nobody)])
    bob = alice.book.by_id[node_id(KEYS["bob"])]

    async def ask() -> Any:
        try:
            return await alice.ask(bob, "status", {}, "status", timeout_s=2)
        finally:
            await alice.aclose()

    with pytest.raises(PeerUnavailable):
        asyncio.run(ask())
    [state] = alice.status()["peers"]
    assert state["lastError"]
