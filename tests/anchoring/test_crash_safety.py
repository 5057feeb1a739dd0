"""kill -9 of a writing process at random points and inside an integration transaction.

After every kill: each acknowledged entry is in the log exactly once, in acknowledged
order (pending or integrated), and the stored tiles hash to the last checkpoint.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from anchoring.core.checkpoint import open_checkpoint
from anchoring.core.merkle import leaf_hash, root_hash
from anchoring.core.note import NoteSigner
from anchoring.sequencer import Sequencer, SequencerConfig
from anchoring.store import LogStore
from anchoring.tiles import decode_bundle
from testing.processes import Launched, python_command, repo_env
from tests.anchoring.helpers import ORIGIN, entry_number


def _run_and_kill(
    url: str, prefix: str, first_number: int, mode: str, rng: random.Random, log_dir: Path
) -> list[tuple[int, int, int]]:
    """Run the worker, SIGKILL it, return the acknowledged (first, last, first_index) batches."""
    worker = Launched(
        python_command("tests.anchoring.crash_worker", url, prefix, str(first_number), mode),
        env=repo_env(), read_lines=True,
        stderr_path=log_dir / f"worker-{first_number}-{mode}.log",
    )
    acks: list[tuple[int, int, int]] = []
    kill_after_acks = rng.randint(3, 12)
    started = time.monotonic()
    deadline = started + 60
    saw_transaction = False

    def killer() -> None:
        time.sleep(60)
        worker.process.kill()

    threading.Thread(target=killer, daemon=True).start()
    seen: list[str] = []
    for line in worker.follow_lines():
        seen.append(f"{time.monotonic() - started:.2f} {line.strip()}")
        words = line.split()
        if words[0] == "ACK":
            acks.append((int(words[1]), int(words[2]), int(words[3])))
        elif words[0] == "IN_TX":
            saw_transaction = True
        ready = saw_transaction if mode == "in-integration" else len(acks) >= kill_after_acks
        if ready or time.monotonic() > deadline:
            if mode != "in-integration":
                time.sleep(rng.uniform(0, 0.05))  # land anywhere: in a submit or a round
            os.kill(worker.pid, signal.SIGKILL)
            break
    worker.process.wait(timeout=30)
    assert worker.process.returncode == -signal.SIGKILL
    if mode == "in-integration":
        log_text = (log_dir / f"worker-{first_number}-{mode}.log").read_text()
        if url.startswith("postgresql"):
            log_text += _postgres_activity(url)
        assert saw_transaction, (
            f"the worker never reached an integration transaction:\n{log_text[-3000:]}\n"
            f"lines the parent read: {seen[-6:]}"
        )
    return acks


def _postgres_activity(url: str) -> str:
    """Sessions and their waits, to explain a stalled worker."""
    import psycopg

    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT pid, state, wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity "
            "WHERE datname = current_database()"
        ).fetchall()
    return "\n".join(str(row) for row in rows)


def _check_log(store: LogStore, signer: NoteSigner, acks: list[tuple[int, int, int]]) -> int:
    """Check the invariants; return how many entries the log holds (integrated + pending)."""
    head = store.head()
    # Tiles and bundles hash to the last checkpoint.
    integrated: list[bytes] = []
    for index in range((head.tree_size + 255) // 256):
        integrated.extend(
            decode_bundle(store.read_bundle(index, min(256, head.tree_size - index * 256)))
        )
    assert len(integrated) == head.tree_size
    assert root_hash([leaf_hash(e) for e in integrated]) == head.root_hash
    assert store.root_at(head.tree_size) == head.root_hash
    if head.tree_size:
        assert head.checkpoint is not None
        assert open_checkpoint(head.checkpoint, signer.verifier()).root_hash == head.root_hash
    total = head.tree_size + store.pending_count()
    entries = integrated + [store.read_entry(i) for i in range(head.tree_size, total)]  # type: ignore[misc]
    numbers = [entry_number(e) for e in entries]
    # Exactly once, in order: the worker numbers entries consecutively across restarts.
    assert numbers == list(range(total))
    for first, last, first_index in acks:
        assert last < total, f"acknowledged entries {first}..{last} lost (log holds {total})"
        assert numbers[first_index] == first
    return total


@pytest.mark.slow
def test_acknowledged_entries_survive_sigkill(
    db_url: str, table_prefix: str, log_signer: NoteSigner, tmp_path: Path
) -> None:
    rng = random.Random(20240607)
    store = LogStore.open(db_url, table_prefix=table_prefix)
    total = 0
    all_acks: list[tuple[int, int, int]] = []
    for mode in ("random", "in-integration", "random"):
        acks = _run_and_kill(db_url, table_prefix, total, mode, rng, tmp_path)
        assert acks, "the worker acknowledged nothing before it was killed"
        all_acks.extend(acks)
        total = _check_log(store, log_signer, all_acks)
        assert total >= acks[-1][1] + 1
    # Recovery: a fresh sequencer integrates everything pending; invariants still hold.
    Sequencer(store, log_signer, SequencerConfig(origin=ORIGIN)).integrate_all()
    assert store.pending_count() == 0
    assert _check_log(store, log_signer, all_acks) == total == store.head().tree_size
    store.close()
