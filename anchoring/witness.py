"""The witness: a regulator's process that cosigns the log's checkpoints it has checked.

Each round (`step`):

1. Fetch `<log>/checkpoint` and verify the log's signature.
2. Compare with the last checkpoint it accepted (its state file):
   - smaller tree size: rollback -> `WitnessAlarm` (unless a pushed checkpoint was
     accepted while the fetch was in flight: then it must be a prefix of that one);
   - same size, other root: fork -> `WitnessAlarm`;
   - larger: fetch tiles, compute PROOF(old, new) (RFC 9162 §2.1.4.1) and verify it
     against both roots (§2.1.4.2); failure -> `WitnessAlarm`.
   The first checkpoint is accepted on trust (as any witness does on first contact).
3. Cosign (c2sp.org/tlog-cosignature, timestamped Ed25519) and persist the accepted
   checkpoint with its cosignature (write to a temp file, fsync, rename) *before* the
   cosignature is used anywhere, so a crash can never make it cosign a fork of itself.
4. On chain: for each anchored head not yet witnessed, check it is consistent with the
   accepted checkpoint (same proof check), then call `TraceAnchor.witness(size, root)`.
   An anchored head that contradicts the log is an alarm, never witnessed.

Pull rounds and pushed checkpoints (`add_checkpoint`, tlog-witness) may run in two
threads of one process (`traceledger witness serve --log-url ...`): one lock makes each
check-and-persist atomic, over one state file.

An alarm is logged at ERROR and raised; `traceledger witness run` (and `witness serve`
with pull rounds) exits 2.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import httpx
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from anchoring.anchor_contract import (
    AnchoredHead,
    connect,
    fee_params,
    head_at,
    head_count,
    trace_anchor,
)
from anchoring.core.checkpoint import Checkpoint, open_checkpoint
from anchoring.core.cosignature import WitnessCosigner
from anchoring.core.errors import NoteFormatError, VerificationError
from anchoring.core.merkle import EMPTY_ROOT, consistency_proof_ranges, verify_consistency
from anchoring.core.note import NoteVerifier, open_note, sign_note
from anchoring.errors import AddCheckpointRejected, WitnessAlarm
from anchoring.tiles import TileHashes, tile_path

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 15.0
RECEIPT_TIMEOUT_S = 30.0


@dataclass(frozen=True, kw_only=True)
class WitnessConfig:
    """The log to watch, where to keep state, and (optionally) the chain to witness on."""

    log_url: str = ""
    """The log's tlog-tiles prefix (pull mode); empty for a push-only (add-checkpoint) witness."""
    log_verifier_key: str
    state_path: Path
    rpc_url: str | None = None
    anchor_address: str | None = None
    poll_interval_s: float = 1.0


@dataclass(frozen=True)
class WitnessState:
    """The last accepted checkpoint, its cosigned note, and the next head to witness."""

    tree_size: int
    root_hash: bytes
    cosigned_note: str
    next_head_index: int = 0


class Witness:
    """Checks and cosigns checkpoints of one log; witnesses its anchored heads on chain."""

    def __init__(
        self, config: WitnessConfig, cosigner: WitnessCosigner, account: LocalAccount | None = None
    ) -> None:
        self.config = config
        self._cosigner = cosigner
        self._account = account
        self._log_verifier = NoteVerifier.from_verifier_key(config.log_verifier_key)
        self._http = httpx.Client(timeout=HTTP_TIMEOUT_S)
        self._stop = threading.Event()
        self._lock = threading.Lock()  # check-and-persist is atomic (tlog-witness §add-checkpoint)
        self._url = config.log_url.rstrip("/")
        if config.rpc_url and config.anchor_address:
            self.w3 = connect(config.rpc_url)
            self.contract: Contract | None = trace_anchor(self.w3, config.anchor_address)
        else:
            self.contract = None

    # ------------------------------------------------------------------ state

    def state(self) -> WitnessState | None:
        """The persisted state, or None before the first accepted checkpoint."""
        try:
            document = json.loads(self.config.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return WitnessState(
            int(document["tree_size"]),
            bytes.fromhex(document["root_hash"]),
            document["cosigned_note"],
            int(document["next_head_index"]),
        )

    def _save(self, state: WitnessState) -> None:
        # temp file + fsync + rename + fsync(dir): the state is either old or new, never torn.
        path = self.config.state_path
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "tree_size": state.tree_size,
                    "root_hash": state.root_hash.hex(),
                    "cosigned_note": state.cosigned_note,
                    "next_head_index": state.next_head_index,
                },
                handle,
            )
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    # ------------------------------------------------------------------ checking

    def _fetch_tile(self, level: int, index: int, width: int) -> bytes:
        response = self._http.get(f"{self._url}/{tile_path(level, index, width)}")
        response.raise_for_status()
        return response.content

    def _check_consistent(
        self, old_size: int, old_root: bytes, new_size: int, new_root: bytes, what: str
    ) -> None:
        """Raise WitnessAlarm unless (old_size, old_root) is a prefix of (new_size, new_root)."""
        if old_size == new_size:
            if old_root != new_root:
                self._alarm(
                    f"{what}: two roots for tree size {new_size}: {old_root.hex()} vs {new_root.hex()}"
                )
            return
        if old_size > new_size:
            self._alarm(f"{what}: rollback from tree size {old_size} to {new_size}")
        if old_size == 0:
            return
        hashes = TileHashes(new_size, self._fetch_tile)
        try:
            proof = [
                hashes.subtree_hash(a, b) for a, b in consistency_proof_ranges(old_size, new_size)
            ]
            verify_consistency(old_size, new_size, proof, old_root, new_root)
        except (VerificationError, httpx.HTTPStatusError, ValueError) as exc:
            self._alarm(
                f"{what}: tree size {new_size} root {new_root.hex()} is not consistent with "
                f"tree size {old_size} root {old_root.hex()}: {exc}"
            )

    def _alarm(self, message: str) -> None:
        log.error("WITNESS ALARM: %s", message)
        raise WitnessAlarm(message)

    def check_checkpoint(self) -> WitnessState:
        """Steps 1-3: fetch, verify and (if new and consistent) cosign the checkpoint."""
        known = self.state()
        known_size = known.tree_size if known is not None else 0
        response = self._http.get(f"{self._url}/checkpoint")
        response.raise_for_status()
        signed = response.text
        checkpoint: Checkpoint = open_checkpoint(signed, self._log_verifier)
        with self._lock:
            state = self.state()
            if state is not None and known_size <= checkpoint.tree_size < state.tree_size:
                # A pushed checkpoint (add_checkpoint) was accepted while this one was in
                # flight: not a rollback from what was known when asking, but it must
                # still be a prefix of what was accepted.
                self._check_consistent(
                    checkpoint.tree_size, checkpoint.root_hash, state.tree_size, state.root_hash,
                    "checkpoint",
                )  # fmt: skip
                return state
            if state is not None:
                self._check_consistent(
                    state.tree_size, state.root_hash, checkpoint.tree_size, checkpoint.root_hash,
                    "checkpoint",
                )  # fmt: skip
                if checkpoint.tree_size == state.tree_size:
                    return state
            return self._cosign_and_save(signed, checkpoint, state)

    def _cosign_and_save(
        self, signed: str, checkpoint: Checkpoint, state: WitnessState | None
    ) -> WitnessState:
        # Persist before the cosignature leaves this process (tlog-witness: "MUST persist
        # the new checkpoint before responding").
        note = open_note(signed, [self._log_verifier])
        timestamp = max(1, int(time.time()))  # tlog-witness: the timestamp MUST NOT be zero
        cosigned = sign_note(note.text, [self._cosigner.at(timestamp)], existing=note.signatures)
        new_state = WitnessState(
            checkpoint.tree_size,
            checkpoint.root_hash,
            cosigned,
            state.next_head_index if state else 0,
        )
        self._save(new_state)
        log.info(
            "cosigned checkpoint: tree_size=%d root=%s",
            checkpoint.tree_size,
            checkpoint.root_hash.hex(),
        )
        return new_state

    def add_checkpoint(self, signed: str, old_size: int, proof: list[bytes]) -> str:
        """tlog-witness §add-checkpoint: check the pushed checkpoint, cosign, persist.

        Returns the witness's cosignature line(s). Raises `AddCheckpointRejected` with the
        HTTP status the spec prescribes: 404 unknown origin, 403 no valid log signature,
        400 malformed or old size above the checkpoint size, 409 old size is not the
        latest cosigned size (body: that size), 422 inconsistent (logged at ERROR).
        """
        origin = signed.split("\n", 1)[0]
        if origin != self._log_verifier.name:
            raise AddCheckpointRejected(404, f"unknown log origin {origin!r}")
        try:
            checkpoint = open_checkpoint(signed, self._log_verifier)
        except NoteFormatError as exc:
            raise AddCheckpointRejected(400, f"malformed checkpoint: {exc}") from exc
        except VerificationError as exc:
            raise AddCheckpointRejected(403, f"no valid signature by the log: {exc}") from exc
        if old_size > checkpoint.tree_size:
            raise AddCheckpointRejected(
                400, f"old size {old_size} > tree size {checkpoint.tree_size}"
            )
        if checkpoint.tree_size == 0 and checkpoint.root_hash != EMPTY_ROOT:
            raise AddCheckpointRejected(422, "a checkpoint of size 0 must have the empty root")
        with self._lock:
            state = self.state()
            latest = state.tree_size if state else 0
            if old_size != latest:
                raise AddCheckpointRejected(
                    409, f"latest cosigned size is {latest}", body=f"{latest}\n"
                )
            if old_size == 0:
                if proof:
                    raise AddCheckpointRejected(422, "a proof from size 0 must be empty")
            elif old_size == checkpoint.tree_size:
                assert state is not None
                if state.root_hash != checkpoint.root_hash:
                    log.error("WITNESS ALARM: two roots for tree size %d", old_size)
                    raise AddCheckpointRejected(422, f"tree size {old_size} has another root")
            else:
                assert state is not None
                try:
                    verify_consistency(
                        old_size, checkpoint.tree_size, proof, state.root_hash, checkpoint.root_hash
                    )
                except (VerificationError, ValueError) as exc:
                    log.error(
                        "WITNESS ALARM: pushed tree_size=%d root=%s not consistent with %d: %s",
                        checkpoint.tree_size, checkpoint.root_hash.hex(), old_size, exc,
                    )  # fmt: skip
                    raise AddCheckpointRejected(
                        422, f"consistency proof does not verify: {exc}"
                    ) from exc
            new_state = self._cosign_and_save(signed, checkpoint, state)
        note = open_note(new_state.cosigned_note, [self._cosigner.verifier()])
        return "".join(sig.format_line() for sig in note.signatures)

    def witness_on_chain(self, state: WitnessState) -> int:
        """Step 4: witness anchored heads up to the accepted size; return how many."""
        if self.contract is None or self._account is None:
            return 0
        count = head_count(self.contract)
        witnessed = 0
        index = state.next_head_index
        while index < count:
            head: AnchoredHead = head_at(self.contract, index)
            if head.tree_size > state.tree_size:
                break  # not yet checked: wait for a checkpoint at least this big
            self._check_consistent(
                head.tree_size,
                head.root_hash,
                state.tree_size,
                state.root_hash,
                f"anchored head {index}",
            )
            if not self.contract.functions.hasWitnessed(index, self._account.address).call():
                self._send_witness(head)
                witnessed += 1
            index += 1
            with self._lock:  # re-read: a pushed checkpoint may have advanced the state
                current = self.state() or state
                self._save(replace(current, next_head_index=index))
        return witnessed

    def _send_witness(self, head: AnchoredHead) -> None:
        assert self._account is not None and self.contract is not None
        call = self.contract.functions.witness(head.tree_size, head.root_hash)
        tx = call.build_transaction(
            {  # type: ignore[arg-type]  # web3's TxParams wants Wei/Nonce NewTypes
                "from": self._account.address,
                "nonce": self.w3.eth.get_transaction_count(self._account.address, "pending"),
                **fee_params(self.w3),
                "chainId": self.w3.eth.chain_id,
            }
        )
        signed = self._account.sign_transaction(cast(dict[str, Any], tx))
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_S)
        log.info(
            "witnessed head %d on chain: tree_size=%d root=%s tx=%s status=%d",
            head.head_index,
            head.tree_size,
            head.root_hash.hex(),
            bytes(tx_hash).hex(),
            receipt["status"],
        )

    def step(self) -> WitnessState:
        """One round: check and cosign the checkpoint, then witness anchored heads."""
        state = self.check_checkpoint()
        self.witness_on_chain(state)
        return self.state() or state

    def run(self) -> None:
        """Rounds until `stop()`. Network errors are retried; a `WitnessAlarm` propagates."""
        while not self._stop.is_set():
            try:
                self.step()
            except WitnessAlarm:
                raise
            except Exception:
                log.warning("witness round failed; retrying", exc_info=True)
            self._stop.wait(self.config.poll_interval_s)

    def stop(self) -> None:
        """Ask `run` to return after the current round."""
        self._stop.set()

    def close(self) -> None:
        """Release the HTTP client."""
        self._http.close()
