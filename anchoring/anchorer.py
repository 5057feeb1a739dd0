"""The anchorer: puts the log's latest checkpoint on chain with `TraceAnchor.anchor`.

Each round (`step`) reconciles from chain state first, so restarts, node outages, chain
reverts and its own crashes need no special recovery path:

1. Read the anchored heads (`headCount`/`headAt`). Every head must be the root of the
   log's own tiles at that size, else `AnchorConflictError` (a fork: stop, alert).
   Record each head with the transaction hash and block that anchored it (from the
   `TreeHeadAnchored` log); forget records of heads a revert removed.
2. At most one anchor transaction is in flight. It is written to the database before it
   is broadcast (write-ahead), so after a crash the same signed bytes, same nonce, are
   re-broadcast: it can be mined at most once, and a head is never skipped. It is done
   when the chain's latest head reaches its size; if the node lost it (restart, revert)
   or it is stuck, it is re-broadcast, or dropped and rebuilt with a fresh nonce.
3. With nothing in flight and the log ahead of the chain, anchor the latest checkpoint
   with an RFC 9162 consistency proof from the chain's latest head, computed from tiles.

Anchored heads therefore only grow (the contract also enforces it) and each one is
consistent with the previous. The key is an Ethereum keystore file; it is never logged.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound

from anchoring.anchor_contract import (
    AnchoredHead,
    connect,
    fee_params,
    head_at,
    latest_at_one_block,
    trace_anchor,
)
from anchoring.errors import AnchorConflictError, ChainError
from anchoring.store import LogStore
from anchoring.store.db import to_bytes

log = logging.getLogger(__name__)

DEFAULT_POLL_S = 0.2
"""How often to look for a new checkpoint or a mined transaction."""
STUCK_AFTER_S = 20.0
"""An in-flight transaction unmined for this long is re-broadcast, then replaced."""
GAS_MARGIN = 1.3
"""Multiplier on eth_estimateGas: the proof length, and so the gas, varies per head."""
PRICE_BUMP = 1.25
"""Geth-style nodes accept a same-nonce replacement only at >= 10% more; we bump 25%."""
MAX_PRICE_BUMP = 8.0
RETRY_BACKOFF_S = 1.0


@dataclass(frozen=True, kw_only=True)
class AnchorerConfig:
    """Where the chain is and how often to look."""

    rpc_url: str
    anchor_address: str
    # Other nodes of the same chain, tried in turn when the current one cannot be reached
    # (a consortium's authorities): the in-flight transaction is persisted, so the next
    # node is simply asked about it (and sent it again if it does not know it).
    fallback_rpc_urls: tuple[str, ...] = ()
    poll_interval_s: float = DEFAULT_POLL_S
    stuck_after_s: float = STUCK_AFTER_S

    @property
    def rpc_urls(self) -> tuple[str, ...]:
        return (self.rpc_url, *self.fallback_rpc_urls)


@dataclass(frozen=True)
class AnchorRecord:
    """A head anchored on chain, with the transaction and block that anchored it."""

    head_index: int
    tree_size: int
    root_hash: bytes
    tx_hash: bytes
    block_number: int


@dataclass(frozen=True)
class InFlight:
    """The one anchor transaction sent (or about to be sent) and not yet seen on chain."""

    nonce: int
    tx_hash: bytes
    raw_tx: bytes
    tree_size: int
    root_hash: bytes
    sent_ms: int


class Anchorer:
    """Anchors checkpoints of `store` on the TraceAnchor contract, as `account`."""

    def __init__(self, store: LogStore, account: LocalAccount, config: AnchorerConfig) -> None:
        self.store = store
        self.config = config
        self._account = account
        self.address = account.address
        self._url_index = 0
        self.w3: Web3 = connect(config.rpc_url)
        self.contract = trace_anchor(self.w3, config.anchor_address)
        self._records = store.db.table("anchor_heads")
        self._inflight = store.db.table("anchor_inflight")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._price_bump = 1.0  # raised when the node wants a pricier replacement
        self._create_schema()

    # ------------------------------------------------------------------ storage

    def _create_schema(self) -> None:
        blob = self.store.db.blob
        with self.store.db.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._records} (head_index BIGINT PRIMARY KEY, "
                f"tree_size BIGINT NOT NULL, root {blob} NOT NULL, tx_hash {blob} NOT NULL, "
                "block_number BIGINT NOT NULL, recorded_ms BIGINT NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._inflight} (id INTEGER PRIMARY KEY, "
                f"nonce BIGINT NOT NULL, tx_hash {blob} NOT NULL, raw_tx {blob} NOT NULL, "
                f"tree_size BIGINT NOT NULL, root {blob} NOT NULL, sent_ms BIGINT NOT NULL)"
            )

    def records(self) -> list[AnchorRecord]:
        """Every anchored head this anchorer has recorded, by head index."""
        with self.store.db.transaction(write=False) as cursor:
            rows = cursor.execute(
                f"SELECT head_index, tree_size, root, tx_hash, block_number FROM {self._records} "
                "ORDER BY head_index"
            ).fetchall()
        return [
            AnchorRecord(int(a), int(b), to_bytes(c), to_bytes(d), int(e)) for a, b, c, d, e in rows
        ]

    def in_flight(self) -> InFlight | None:
        """The transaction in flight, if any."""
        with self.store.db.transaction(write=False) as cursor:
            row = cursor.execute(
                f"SELECT nonce, tx_hash, raw_tx, tree_size, root, sent_ms FROM {self._inflight} WHERE id = 1"
            ).fetchone()
        if row is None:
            return None
        return InFlight(
            int(row[0]),
            to_bytes(row[1]),
            to_bytes(row[2]),
            int(row[3]),
            to_bytes(row[4]),
            int(row[5]),
        )

    def _set_in_flight(self, tx: InFlight | None) -> None:
        with self.store.db.transaction() as cursor:
            cursor.execute(f"DELETE FROM {self._inflight}")
            if tx is not None:
                cursor.execute(
                    f"INSERT INTO {self._inflight} (id, nonce, tx_hash, raw_tx, tree_size, root, sent_ms) "
                    "VALUES (1, ?, ?, ?, ?, ?, ?)",
                    (tx.nonce, tx.tx_hash, tx.raw_tx, tx.tree_size, tx.root_hash, tx.sent_ms),
                )

    # ------------------------------------------------------------------ one round

    def step(self) -> str:
        """Run one reconcile-and-act round; return what it did (for logs and tests).

        Raises `ChainError` when the node cannot be reached (retry later) and
        `AnchorConflictError` when the chain contradicts the log (do not retry).
        """
        try:
            return self._step()
        except (AnchorConflictError, ChainError):
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                unreachable = self.rpc_url
                if self._fail_over():
                    raise ChainError(f"chain unreachable at {unreachable}: {type(exc).__name__}; "
                                     f"next round asks {self.rpc_url}") from exc
                raise ChainError(
                    f"chain unreachable at {unreachable}: {type(exc).__name__}"
                ) from exc
            raise

    @property
    def rpc_url(self) -> str:
        """The node this anchorer talks to now."""
        return self.config.rpc_urls[self._url_index]

    def _fail_over(self) -> bool:
        """Move to the next configured node, if there is another; True if it moved."""
        urls = self.config.rpc_urls
        if len(urls) == 1:
            return False
        self._url_index = (self._url_index + 1) % len(urls)
        self.w3 = connect(urls[self._url_index])
        self.contract = trace_anchor(self.w3, self.config.anchor_address)
        log.warning("anchorer fails over to %s", urls[self._url_index])
        return True

    def _step(self) -> str:
        latest = self._reconcile()
        latest_size = latest.tree_size if latest else 0
        pending = self.in_flight()
        if pending is not None:
            return self._follow(pending, latest_size)
        head = self.store.head()
        if head.tree_size <= latest_size:
            return "up-to-date"
        return self._send_anchor(latest_size, head.tree_size, head.root_hash)

    def _reconcile(self) -> AnchoredHead | None:
        block, count, latest = latest_at_one_block(self.contract)
        recorded = {record.head_index: record for record in self.records()}
        stale = [index for index in recorded if index >= count]
        if latest is not None and latest.head_index in recorded:
            known = recorded[latest.head_index]
            if (known.tree_size, known.root_hash) != (latest.tree_size, latest.root_hash):
                stale.extend(index for index in recorded if index >= latest.head_index)
        if stale:
            log.warning(
                "chain reverted: forgetting anchored heads %s (chain holds %d)",
                sorted(set(stale)),
                count,
            )
            with self.store.db.transaction() as cursor:
                cursor.execute(f"DELETE FROM {self._records} WHERE head_index >= ?", (min(stale),))
            recorded = {i: r for i, r in recorded.items() if i < min(stale)}
        start = max(recorded) + 1 if recorded else 0
        for index in range(start, count):
            self._record(head_at(self.contract, index, block))
        return latest

    def _record(self, head: AnchoredHead) -> None:
        log_root = (
            self.store.root_at(head.tree_size)
            if head.tree_size <= self.store.head().tree_size
            else None
        )
        if log_root != head.root_hash:
            log.critical(
                "FORK: anchored head %d tree_size=%d root=%s contradicts the log (root %s)",
                head.head_index,
                head.tree_size,
                head.root_hash.hex(),
                log_root.hex() if log_root else "unknown size",
            )
            raise AnchorConflictError(head.tree_size, head.root_hash, log_root or b"")
        events = self.contract.events.TreeHeadAnchored().get_logs(
            from_block=head.block_number,
            to_block=head.block_number,
            argument_filters={"headIndex": head.head_index},
        )
        tx_hash = bytes(events[0]["transactionHash"]) if events else b""
        with self.store.db.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self._records} (head_index, tree_size, root, tx_hash, block_number, recorded_ms) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (head_index) DO NOTHING",
                (
                    head.head_index,
                    head.tree_size,
                    head.root_hash,
                    tx_hash,
                    head.block_number,
                    _now_ms(),
                ),
            )
        log.info(
            "anchored head %d: tree_size=%d root=%s tx=%s block=%d",
            head.head_index,
            head.tree_size,
            head.root_hash.hex(),
            tx_hash.hex(),
            head.block_number,
        )

    def _follow(self, pending: InFlight, latest_size: int) -> str:
        if latest_size >= pending.tree_size:
            self._set_in_flight(None)  # mined (or superseded): the chain has reached it
            self._price_bump = 1.0
            return "mined"
        # Nonce first, receipt second: a transaction mined in between shows as a receipt,
        # so a used nonce without a receipt really is another transaction's.
        confirmed_nonce = self.w3.eth.get_transaction_count(self.address, "latest")
        try:
            receipt = self.w3.eth.get_transaction_receipt(HexBytes(pending.tx_hash))
        except TransactionNotFound:
            receipt = None
        if receipt is not None:
            if receipt["status"] == 0:
                log.error(
                    "anchor tx %s for tree_size=%d reverted; rebuilding",
                    pending.tx_hash.hex(),
                    pending.tree_size,
                )
                self._set_in_flight(None)
                return "reverted"
            return "waiting"  # mined but not yet in the state we read: next round
        if confirmed_nonce > pending.nonce:
            # Its nonce was used by another transaction (e.g. ours before a revert): drop it.
            log.warning(
                "anchor tx %s nonce %d already used; rebuilding",
                pending.tx_hash.hex(),
                pending.nonce,
            )
            self._set_in_flight(None)
            return "dropped"
        known = self._transaction_known(pending.tx_hash)
        age_s = (_now_ms() - pending.sent_ms) / 1000
        if confirmed_nonce < pending.nonce or age_s > 3 * self.config.stuck_after_s:
            # A nonce gap (a revert removed our earlier tx) or hopelessly stuck: rebuild.
            log.warning(
                "anchor tx %s (nonce %d, chain nonce %d) cannot be mined; rebuilding",
                pending.tx_hash.hex(),
                pending.nonce,
                confirmed_nonce,
            )
            self._set_in_flight(None)
            return "dropped"
        if not known or age_s > self.config.stuck_after_s:
            self._broadcast(pending)
            return "rebroadcast"
        return "waiting"

    def _transaction_known(self, tx_hash: bytes) -> bool:
        try:
            self.w3.eth.get_transaction(HexBytes(tx_hash))
        except TransactionNotFound:
            return False
        return True

    def _send_anchor(self, old_size: int, tree_size: int, root: bytes) -> str:
        proof = self.store.consistency_proof(old_size, tree_size) if old_size else []
        call = self.contract.functions.anchor(tree_size, root, proof)
        nonce = self.w3.eth.get_transaction_count(self.address, "latest")
        try:
            gas = int(call.estimate_gas({"from": self.address}) * GAS_MARGIN)
        except Exception as exc:
            if _is_connection_error(exc):
                raise
            log.warning("anchor(%d) would revert, retrying after reconciling: %s", tree_size, exc)
            return "would-revert"
        tx = call.build_transaction(
            {  # type: ignore[arg-type]  # web3's TxParams wants Wei/Nonce NewTypes
                "from": self.address,
                "nonce": nonce,
                "gas": gas,
                **fee_params(self.w3, bump=self._price_bump),
                "chainId": self.w3.eth.chain_id,
            }
        )
        signed = self._account.sign_transaction(cast(dict[str, Any], tx))
        pending = InFlight(
            nonce, bytes(signed.hash), bytes(signed.raw_transaction), tree_size, root, _now_ms()
        )
        self._set_in_flight(pending)  # write-ahead: a crash from here on re-broadcasts these bytes
        self._broadcast(pending)
        log.info(
            "sent anchor tx %s: tree_size=%d root=%s from_size=%d nonce=%d",
            pending.tx_hash.hex(),
            tree_size,
            root.hex(),
            old_size,
            nonce,
        )
        return "sent"

    def _broadcast(self, pending: InFlight) -> None:
        try:
            self.w3.eth.send_raw_transaction(pending.raw_tx)
        except Exception as exc:
            if _is_connection_error(exc):
                raise
            message = str(exc).lower()
            if "already known" in message or "already imported" in message:
                return
            # nonce too low / underpriced / rejected: forget it, rebuild next round.
            if "underpriced" in message:
                self._price_bump = min(self._price_bump * PRICE_BUMP, MAX_PRICE_BUMP)
            log.warning("broadcast of anchor tx %s rejected: %s", pending.tx_hash.hex(), exc)
            self._set_in_flight(None)

    # ------------------------------------------------------------------ loop

    def run(self) -> None:
        """Run rounds until `stop()`; a node outage is logged and retried.

        `AnchorConflictError` ends the loop (and propagates): anchoring over a fork is
        never right.
        """
        log.info(
            "anchorer started: address=%s contract=%s", self.address, self.config.anchor_address
        )
        while not self._stop.is_set():
            try:
                outcome = self.step()
            except AnchorConflictError:
                raise
            except ChainError as exc:
                log.warning("%s; retrying in %.1f s", exc, RETRY_BACKOFF_S)
                self._stop.wait(RETRY_BACKOFF_S)
                continue
            except Exception:
                log.exception("anchorer round failed; retrying in %.1f s", RETRY_BACKOFF_S)
                self._stop.wait(RETRY_BACKOFF_S)
                continue
            if outcome != "mined":  # only a mined head means more may be done at once
                self._stop.wait(self.config.poll_interval_s)

    def start(self) -> None:
        """Run the loop in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="anchorer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the loop and wait for the current round."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def _now_ms() -> int:
    return int(time.time() * 1000)


def _is_connection_error(exc: BaseException) -> bool:
    import requests

    chain: BaseException | None = exc
    while chain is not None:
        if isinstance(
            chain, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)
        ):
            return True
        chain = chain.__cause__ or chain.__context__
    return False
