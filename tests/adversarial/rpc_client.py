"""Talking to the node as an attacker would: raw JSON-RPC bodies over HTTP (through
`wire.exchange`) and over one WebSocket, and hand-made WebSocket handshakes."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from ledger_node.rpc.methods import EthApi
from tests.adversarial.answers import rpc_payload_faults
from tests.adversarial.system import PROBE_TIMEOUT_S
from tests.adversarial.wire import WireResponse, exchange

ADMIN_METHODS = ("clique_propose", "clique_discard")
"""Signer voting: issue 13 says never on the public RPC (-32601 there)."""
WEBSOCKET_ONLY_METHODS = ("eth_subscribe", "eth_unsubscribe")
NOTIFICATION_MARK = '"eth_subscription"'
WS_CLOSE_REFUSALS = frozenset({1007, 1008, 1009})
"""Invalid frame data, policy violation, message too big: a refusal, not a crash."""


def node_methods() -> list[str]:
    """Every method of the node's table (`EthApi`), named as its dispatcher does."""
    return sorted(name for name in dir(EthApi)
                  if name.startswith(("eth_", "net_", "web3_", "clique_")))


def post(port: int, body: bytes, headers: Mapping[str, str | None] | None = None) -> WireResponse:
    """POST `body` to the node's HTTP endpoint (application/json unless `headers` say;
    a header given as None is not sent)."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    return exchange(port, "POST", "/", headers={k: v for k, v in sent.items() if v is not None},
                    body=body, timeout_s=PROBE_TIMEOUT_S)


def handshake(port: int, headers: Mapping[str, str]) -> WireResponse:
    """A WebSocket opening handshake with `headers` added (e.g. Origin, Host); 101 = open."""
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    return exchange(port, "GET", "/", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13", **headers}, timeout_s=PROBE_TIMEOUT_S)


@dataclass
class WsAnswer:
    """A reply (parsed JSON) or the close code the node hung up with (None: silence)."""

    reply: Any = None
    close_code: int | None = None
    silent: bool = False

    def faults(self) -> list[str]:
        if self.silent:
            return ["no reply within the probe timeout"]
        if self.close_code is not None:
            return [] if self.close_code in WS_CLOSE_REFUSALS else [
                f"connection closed with code {self.close_code}"]
        return rpc_payload_faults(self.reply)


class WsProbe:
    """One WebSocket to the node, reopened after the node closes it."""

    def __init__(self, port: int) -> None:
        self.url = f"ws://127.0.0.1:{port}/"
        self.connection: ClientConnection | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.connection is not None:
            self.connection.close()

    def send(self, message: bytes | str, *, binary: bool = False) -> WsAnswer:
        """Send one message (text frame if it is UTF-8, else binary) and wait for the reply."""
        if self.connection is None:
            self.connection = connect(self.url, open_timeout=PROBE_TIMEOUT_S, max_size=None,
                                      close_timeout=2, legacy=True)
        if isinstance(message, bytes) and not binary:
            try:
                message = message.decode("utf-8")
            except UnicodeDecodeError:
                binary = True  # not text: goes as a binary frame (web3.py sends those too)
        try:
            self.connection.send(message)
            raw = self._reply()
        except TimeoutError:
            self.connection.close()
            self.connection = None
            return WsAnswer(silent=True)
        except ConnectionClosed as exc:
            self.connection = None
            code = exc.rcvd.code if exc.rcvd is not None else 1006
            return WsAnswer(close_code=code)
        try:
            return WsAnswer(reply=json.loads(raw))
        except ValueError:
            return WsAnswer(reply=raw)

    def _reply(self) -> str | bytes:
        """The next message that is not a subscription notification (those arrive
        whenever a block is sealed)."""
        assert self.connection is not None
        deadline = time.monotonic() + PROBE_TIMEOUT_S
        while True:
            raw = self.connection.recv(timeout=max(0.0, deadline - time.monotonic()))
            if NOTIFICATION_MARK not in (raw if isinstance(raw, str) else raw.decode(errors="replace")):
                return raw


def ws_handshake_refused(port: int, headers: Mapping[str, str]) -> bool:
    """Whether the node refuses to open a WebSocket with these headers."""
    return handshake(port, headers).status != 101


__all__ = ["ADMIN_METHODS", "WEBSOCKET_ONLY_METHODS", "WsAnswer", "WsProbe", "handshake",
           "node_methods", "post", "ws_handshake_refused"]
