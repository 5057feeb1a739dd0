"""When each node of a network shows each new head: one WebSocket per node subscribed to
`eth_subscribe newHeads`, every notification stamped with this process's monotonic clock
as it is read.

A node notifies newHeads when a block becomes its head, whether it sealed the block or
imported it from a peer (`ledger_node.node.Node._publish`), so the first arrival of a
block's hash is its sealing (plus one loopback WebSocket hop) and the later ones are the
other nodes adopting it. All stamps come from one clock, so their differences need no
clock agreement between processes.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect

SUBSCRIBE_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class HeadArrival:
    """One newHeads notification: which node, which block, when it was read here."""

    node: str
    number: int
    block_hash: str
    gas_used: int
    at: float  # time.monotonic() of this process


class HeadWatch:
    """newHeads from every node of `ws_urls` (node name -> ws:// URL), read in a thread.

    `start()` returns once every subscription is confirmed; `stop()` closes the sockets
    and returns every arrival seen in between, in the order read."""

    def __init__(self, ws_urls: Mapping[str, str]) -> None:
        self.ws_urls = dict(ws_urls)
        self.arrivals: list[HeadArrival] = []
        self._subscribed = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="head-watch", daemon=True)

    def start(self) -> HeadWatch:
        self._thread.start()
        if not self._subscribed.wait(SUBSCRIBE_TIMEOUT_S) or self._failure is not None:
            self.stop()
            raise RuntimeError(f"newHeads subscriptions not confirmed: {self._failure!r}")
        return self

    def stop(self) -> list[HeadArrival]:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(STOP_TIMEOUT_S)
        if self._failure is not None and self._subscribed.is_set():
            raise RuntimeError("a newHeads subscription failed") from self._failure
        return list(self.arrivals)

    def _run(self) -> None:
        try:
            asyncio.run(self._watch_all())
        except BaseException as exc:  # noqa: BLE001 - handed to start()/stop() in the caller's thread
            self._failure = exc
            self._subscribed.set()

    async def _watch_all(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        sockets = [await connect(url, max_size=None, ping_interval=None)
                   for url in self.ws_urls.values()]
        try:
            for socket in sockets:
                await socket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe",
                                              "params": ["newHeads"]}))
                answer = json.loads(await asyncio.wait_for(socket.recv(), SUBSCRIBE_TIMEOUT_S))
                if "result" not in answer:
                    raise RuntimeError(f"eth_subscribe refused: {answer}")
            self._subscribed.set()
            readers = [asyncio.create_task(self._read(name, socket))
                       for name, socket in zip(self.ws_urls, sockets, strict=True)]
            await self._stopping.wait()
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
        finally:
            for socket in sockets:
                await socket.close()

    async def _read(self, node: str, socket: ClientConnection) -> None:
        async for message in socket:
            at = time.monotonic()  # first: the stamp is the arrival, not the parse
            head = json.loads(message)["params"]["result"]
            self.arrivals.append(HeadArrival(node, int(head["number"], 16), head["hash"],
                                             int(head["gasUsed"], 16), at))
