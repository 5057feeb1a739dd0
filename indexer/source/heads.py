"""Waiting for the next block: a WebSocket `newHeads` subscription where the node offers
one, otherwise plain polling. Either way the caller re-reads the chain after a wake-up,
so a missed or duplicated notification costs at most one poll interval."""

from __future__ import annotations

import json
import logging
import time

from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

logger = logging.getLogger(__name__)


class HeadWaiter:
    """`wait(timeout_s)` returns when a new head is announced or `timeout_s` has passed."""

    def __init__(self, ws_url: str | None) -> None:
        self.ws_url = ws_url
        self._connection: ClientConnection | None = None
        if ws_url:
            self._subscribe()

    @property
    def subscribed(self) -> bool:
        """True while a WebSocket newHeads subscription is live."""
        return self._connection is not None

    def wait(self, timeout_s: float) -> None:
        """Block until a newHeads notification arrives or `timeout_s` passes."""
        if self._connection is None:
            time.sleep(timeout_s)
            return
        deadline = time.monotonic() + timeout_s
        try:
            message = self._connection.recv(timeout=timeout_s)
            # Drain notifications that queued up meanwhile: one poll covers them all.
            while message is not None and time.monotonic() < deadline:
                message = self._connection.recv(timeout=0)
        except TimeoutError:
            return
        except (WebSocketException, OSError) as exc:
            logger.warning(
                "newHeads subscription at %s lost (%s); polling instead", self.ws_url, exc
            )
            self.close()

    def close(self) -> None:
        """Drop the subscription (further waits poll)."""
        if self._connection is not None:
            try:
                self._connection.close()
            except (WebSocketException, OSError) as exc:  # a broken socket: nothing left to close
                logger.debug("closing newHeads subscription: %s", exc)
            self._connection = None

    def _subscribe(self) -> None:
        assert self.ws_url is not None
        try:
            connection = connect(self.ws_url, open_timeout=5, max_size=None, legacy=True)
            connection.send(
                json.dumps(
                    {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
                )
            )
            answer = json.loads(connection.recv(timeout=5))
            if "result" not in answer:
                raise WebSocketException(f"eth_subscribe refused: {answer.get('error')}")
        except (WebSocketException, OSError, TimeoutError, ValueError) as exc:
            logger.info("no newHeads subscription at %s (%s); polling", self.ws_url, exc)
            return
        logger.info("subscribed to newHeads at %s", self.ws_url)
        self._connection = connection
