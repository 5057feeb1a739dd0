"""The peer link: how consortium nodes reach each other, over HTTP on `--p2p-port`, every
message in the signed envelope of `ledger_node/peer_messages.py`.

`POST /peer` carries one signed message. One-way kinds (block announcements,
transactions) are answered 202 with no body; requests (status, hashes, blocks) with the
answer, itself a signed message addressed to the asker, so a reply is as authenticated
as a request. A message that does not open is refused before its body is looked at: 403
for an unknown peer or a bad signature, 400 for the other rules, 413 when too large, each
with a problem document naming the rule. Delivery to a peer that is down fails quietly:
it catches up with status and range requests when it is back.

Peers can be cut off and reconnected at run time (`admin_removePeer` / `admin_addPeer` on
the admin socket, as geth's): nothing is sent to a cut-off peer and what it sends is
dropped (403), which is how the fault tests partition a network.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ledger_node.errors import LedgerNodeError
from ledger_node.peer_messages import (
    MAX_MESSAGE_BYTES,
    MessageOpener,
    MessageSigner,
    Peer,
    PeerBook,
    PeerMessage,
    PeerMessageError,
)

logger = logging.getLogger(__name__)

PEER_PATH = "/peer"
TELL_TIMEOUT_S = 5.0
ASK_TIMEOUT_S = 20.0
CONTENT_TYPE = "application/vnd.traceledger.peer-message"
REFUSALS_KEPT = 50

Reply = tuple[str, Any] | None
Handler = Callable[[PeerMessage], Awaitable[Reply]]


class PeerUnavailable(LedgerNodeError):
    """A peer did not answer, answered with an error, or its answer did not open."""


@dataclass
class PeerState:
    """What this node knows of a peer's reachability, for `/health`."""

    peer: Peer
    connected: bool = True  # False while cut off by admin_removePeer
    last_heard: float | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Refusal:
    """A message this node refused: from where (address, claimed sender), which rule."""

    client: str
    rule: str
    detail: str
    at: float


@dataclass
class PeerLink:
    """Sends and receives signed peer messages for one node."""

    signer: MessageSigner
    opener: MessageOpener
    book: PeerBook
    states: dict[str, PeerState] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    _client: httpx.AsyncClient | None = None

    def __post_init__(self) -> None:
        self.states = {p.node_id: PeerState(p) for p in self.book.by_id.values()}

    @property
    def peers(self) -> list[Peer]:
        """The configured peers that are not cut off."""
        return [s.peer for s in self.states.values() if s.connected]

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=ASK_TIMEOUT_S, limits=httpx.Limits(max_connections=64))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def set_connected(self, node_id: str, connected: bool) -> bool:
        """Cut off (or reconnect) a configured peer; False if it is not one."""
        state = self.states.get(node_id)
        if state is None:
            return False
        state.connected = connected
        logger.warning("peer %s %s", state.peer.name, "reconnected" if connected else "cut off")
        return True

    # ------------------------------------------------------------------ sending
    async def tell(self, peer: Peer, kind: str, body: Any) -> bool:
        """Deliver a one-way message; False (logged at debug) if the peer did not take it."""
        try:
            await self._post(peer, kind, body, TELL_TIMEOUT_S)
        except PeerUnavailable as exc:
            logger.debug("%s to %s not delivered: %s", kind, peer.name, exc)
            return False
        return True

    async def broadcast(self, kind: str, body: Any) -> int:
        """Tell every connected peer at once; how many took it."""
        peers = self.peers
        delivered = await asyncio.gather(*(self.tell(p, kind, body) for p in peers))
        return sum(delivered)

    async def ask(self, peer: Peer, kind: str, body: Any, answer_kind: str,
                  timeout_s: float = ASK_TIMEOUT_S) -> Any:
        """Send a request and return the body of the peer's signed answer of
        `answer_kind`. Raises PeerUnavailable."""
        data = await self._post(peer, kind, body, timeout_s)
        try:
            answer = self.opener.open(data)
        except PeerMessageError as exc:
            raise PeerUnavailable(f"{peer.name}'s answer refused: {exc}") from exc
        if answer.sender.node_id != peer.node_id or answer.kind != answer_kind:
            raise PeerUnavailable(f"{peer.name} answered {answer.kind!r} from "
                                  f"{answer.sender.name}, expected {answer_kind!r}")
        return answer.body

    async def _post(self, peer: Peer, kind: str, body: Any, timeout_s: float) -> bytes:
        state = self.states[peer.node_id]
        if not state.connected:
            raise PeerUnavailable(f"{peer.name} is cut off")
        message = self.signer.seal(peer.node_id, kind, body)
        try:
            async with self.client().stream(
                "POST", peer.url.rstrip("/") + PEER_PATH, content=message,
                headers={"content-type": CONTENT_TYPE}, timeout=timeout_s,
            ) as response:
                data = await _read_bounded(response.aiter_bytes(), MAX_MESSAGE_BYTES)
        except (httpx.HTTPError, OSError, _TooLarge) as exc:
            state.last_error = f"{exc.__class__.__name__}: {exc}"
            raise PeerUnavailable(state.last_error) from exc
        if response.status_code >= 300:
            state.last_error = f"HTTP {response.status_code}: {data[:200].decode(errors='replace')}"
            raise PeerUnavailable(state.last_error)
        state.last_error = None
        return data

    # ------------------------------------------------------------------ receiving
    def app(self, handler: Handler) -> Starlette:
        """The ASGI app serving POST /peer: open, check, hand to `handler`, sign its reply."""

        async def receive(request: Request) -> Response:
            client = request.client.host if request.client else "?"
            declared = request.headers.get("content-length")
            if declared is not None and (not declared.isdigit()
                                         or int(declared) > MAX_MESSAGE_BYTES):
                return self._refuse(client, PeerMessageError(
                    "size", f"more than {MAX_MESSAGE_BYTES:,} bytes"), 413)
            try:
                data = await _read_bounded(request.stream(), MAX_MESSAGE_BYTES)
            except _TooLarge:
                return self._refuse(client, PeerMessageError(
                    "size", f"more than {MAX_MESSAGE_BYTES:,} bytes"), 413)
            try:
                message = self.opener.open(data)
            except PeerMessageError as exc:
                status = 403 if exc.rule in ("unknown-peer", "signature") else 400
                return self._refuse(client, exc, status)
            state = self.states[message.sender.node_id]
            if not state.connected:
                return self._refuse(client, PeerMessageError(
                    "cut-off", f"{message.sender.name} is cut off by this node"), 403)
            state.last_heard = time.time()
            try:
                reply = await handler(message)
            except PeerMessageError as exc:
                return self._refuse(client, exc, 400)
            if reply is None:
                return Response(status_code=202)
            kind, body = reply
            return Response(self.signer.seal(message.sender.node_id, kind, body),
                            media_type=CONTENT_TYPE)

        return Starlette(routes=[Route(PEER_PATH, receive, methods=["POST"])])

    def _refuse(self, client: str, exc: PeerMessageError, status: int) -> Response:
        self.refusals.append(Refusal(client, exc.rule, str(exc), time.time()))
        del self.refusals[:-REFUSALS_KEPT]
        logger.warning("refused a peer message from %s: %s", client, exc)
        return JSONResponse(
            {"type": "about:blank", "title": "peer message refused", "status": status,
             "rule": exc.rule, "detail": str(exc)},
            status_code=status, media_type="application/problem+json")

    def status(self) -> dict[str, Any]:
        """What `/health` reports about the peers."""
        return {
            "nodeId": self.signer.node_id,
            "peers": [
                {"name": s.peer.name, "url": s.peer.url, "nodeId": s.peer.node_id,
                 "connected": s.connected,
                 "lastHeard": None if s.last_heard is None else int(s.last_heard),
                 "lastError": s.last_error}
                for s in self.states.values()
            ],
            "refused": [{"client": r.client, "rule": r.rule, "detail": r.detail, "at": int(r.at)}
                        for r in self.refusals],
        }


class _TooLarge(Exception):
    pass


async def _read_bounded(chunks: Any, limit: int) -> bytes:
    """The whole body of a stream, refusing (_TooLarge) past `limit` bytes, whatever
    Content-Length said."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise _TooLarge(f"more than {limit:,} bytes")
        parts.append(chunk)
    return b"".join(parts)
