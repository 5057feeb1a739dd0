"""Collecting witness cosignatures for the log's checkpoints (c2sp.org/tlog-witness, log side).

After each new checkpoint the collector sends it to every configured witness with a
consistency proof from the size that witness last cosigned (learned from a 409 reply on
first contact), checks the returned cosignature against the witness's public key, and
stores it; `/log/checkpoint` then serves the log's note with those lines appended, so any
client can require a quorum of witnesses (`open_checkpoint(..., witness_quorum=N)`).
A witness that is down or refuses is logged and retried next round; it never blocks the
log or the anchorer.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import httpx

from anchoring.core.cosignature import WitnessVerifier
from anchoring.core.errors import CoreError
from anchoring.core.note import open_note
from anchoring.store import LogStore
from anchoring.witness_http import request_cosignature

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness's submission prefix and its cosignature verifier key."""

    url: str
    verifier: WitnessVerifier


class CosignatureCollector:
    """Pushes checkpoints of `store` to `witnesses`; stores valid cosignatures."""

    def __init__(
        self, store: LogStore, witnesses: list[WitnessEndpoint], *, interval_s: float = 0.5
    ) -> None:
        self.store = store
        self.witnesses = witnesses
        self.interval_s = interval_s
        self._known_sizes: dict[str, int] = {}  # witness url -> size it last cosigned
        self._client = httpx.Client(timeout=HTTP_TIMEOUT_S)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def collect_once(self) -> int:
        """Push the latest checkpoint to each witness not yet at its size; return how many
        new cosignatures were stored."""
        head = self.store.head()
        if head.checkpoint is None:
            return 0
        stored = 0
        for witness in self.witnesses:
            if self._known_sizes.get(witness.url) == head.tree_size:
                continue
            try:
                if self._push(witness, head.tree_size, head.checkpoint):
                    stored += 1
            except (httpx.HTTPError, CoreError, ValueError) as exc:
                log.warning(
                    "witness %s: no cosignature for tree_size=%d: %s",
                    witness.url,
                    head.tree_size,
                    exc,
                )
        return stored

    def _push(self, witness: WitnessEndpoint, tree_size: int, checkpoint: str) -> bool:
        for _ in range(2):  # a 409 tells us the witness's size: retry once with it
            old_size = self._known_sizes.get(witness.url, 0)
            if old_size > tree_size:
                log.error(
                    "witness %s has cosigned size %d > log size %d",
                    witness.url,
                    old_size,
                    tree_size,
                )
                return False
            proof = (
                self.store.consistency_proof(old_size, tree_size)
                if 0 < old_size < tree_size
                else []
            )
            response = request_cosignature(self._client, witness.url, checkpoint, old_size, proof)
            if response.status_code == 409:
                self._known_sizes[witness.url] = int(response.text.strip())
                continue
            if response.status_code != 200:
                log.error("witness %s refused tree_size=%d: %d %s", witness.url, tree_size,
                          response.status_code, response.text.strip())  # fmt: skip
                return False
            note = open_note(checkpoint + response.text, [witness.verifier])  # raises if invalid
            for signature in note.signatures:
                self.store.add_cosignature(
                    tree_size, witness.verifier.name, signature.format_line()
                )
            self._known_sizes[witness.url] = tree_size
            log.info("witness %s cosigned tree_size=%d", witness.url, tree_size)
            return True
        return False

    def run(self) -> None:
        """Collect until `stop()`."""
        while not self._stop.is_set():
            self.collect_once()
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        """Run in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="cosignatures", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close the HTTP client."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self._client.close()
