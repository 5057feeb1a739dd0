"""The durable tile log on SQLite and PostgreSQL: submit, integrate, tiles, proofs, faults."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchoring.core.checkpoint import open_checkpoint
from anchoring.core.entry import encode_entry
from anchoring.core.merkle import consistency_proof, inclusion_proof, leaf_hash, root_hash
from anchoring.core.note import NoteSigner
from anchoring.errors import StoreError, TileUnavailableError
from anchoring.sequencer import Sequencer, SequencerConfig
from anchoring.store import LogStore
from anchoring.store.db import Cursor
from anchoring.tiles import decode_bundle, tiles_for_tree
from tests.anchoring.helpers import ORIGIN, entry_number, make_entry
from tests.anchoring.test_tiles import _naive_tiles


def _sequencer(store: LogStore, signer: NoteSigner, max_batch: int = 65_536) -> Sequencer:
    return Sequencer(store, signer, SequencerConfig(origin=ORIGIN, max_batch=max_batch))


def _all_entries(store: LogStore, tree_size: int) -> list[bytes]:
    entries: list[bytes] = []
    for index in range((tree_size + 255) // 256):
        width = min(256, tree_size - index * 256)
        entries.extend(decode_bundle(store.read_bundle(index, width)))
    return entries


def test_submit_assigns_gap_free_indexes_in_order(store: LogStore) -> None:
    first = store.submit([make_entry(n) for n in range(3)])
    second = store.submit([make_entry(n) for n in range(3, 5)])
    assert [r.leaf_index for r in first + second] == [0, 1, 2, 3, 4]
    assert store.pending_count() == 5
    assert store.read_entry(3) is not None and entry_number(store.read_entry(3)) == 3
    assert store.head().tree_size == 0


def test_integration_builds_the_spec_tiles_and_a_signed_checkpoint(
    store: LogStore, log_signer: NoteSigner
) -> None:
    entries = [make_entry(n) for n in range(1000)]
    receipts = store.submit(entries)
    encoded = [encode_entry(e) for e in entries]
    leaves = [leaf_hash(e) for e in encoded]
    assert [r.leaf_hash for r in receipts] == leaves
    # Small batches cross tile boundaries at many offsets, one checkpoint each.
    sequencer = _sequencer(store, log_signer, max_batch=97)
    while sequencer.integrate_once() is not None:
        pass
    head = store.head()
    assert head.tree_size == 1000 and head.root_hash == root_hash(leaves)
    assert head.checkpoint is not None
    checkpoint = open_checkpoint(head.checkpoint, log_signer.verifier())
    assert (checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash) == (
        ORIGIN,
        1000,
        root_hash(leaves),
    )
    # Every published checkpoint's root is the reference root at its size.
    published = store.checkpoints()
    assert [size for size, _, _ in published] == [*range(97, 1000, 97), 1000]
    for size, root, _ in published:
        assert root == root_hash(leaves[:size])
    # Stored tiles equal the spec's definition, and entry bundles hold the entries in order.
    for (level, index), body in _naive_tiles(leaves, 1000).items():
        assert store.read_tile(level, index, len(body) // 32) == body
    assert _all_entries(store, 1000) == encoded
    assert store.pending_count() == 0


def test_partial_tiles_are_served_as_prefixes_and_never_wider(
    store: LogStore, log_signer: NoteSigner
) -> None:
    store.submit([make_entry(n) for n in range(300)])
    _sequencer(store, log_signer).integrate_all()
    full = store.read_tile(0, 0, 256)
    assert store.read_tile(0, 0, 17) == full[: 17 * 32]
    assert len(store.read_tile(0, 1, 44)) == 44 * 32
    with pytest.raises(TileUnavailableError):
        store.read_tile(0, 1, 45)
    with pytest.raises(TileUnavailableError):
        store.read_tile(0, 1, 256)
    assert decode_bundle(store.read_bundle(1, 3)) == decode_bundle(store.read_bundle(1, 44))[:3]
    assert store.read_tile(1, 0, 1) == store.read_tile(1, 0, 1)
    assert [ref.width for ref in tiles_for_tree(300)] == [256, 44, 1]


def test_proofs_from_the_store_equal_the_reference(store: LogStore, log_signer: NoteSigner) -> None:
    entries = [encode_entry(make_entry(n)) for n in range(700)]
    store.submit_encoded(entries)
    _sequencer(store, log_signer).integrate_all()
    leaves = [leaf_hash(e) for e in entries]
    for leaf_index, tree_size in [(0, 1), (5, 700), (699, 700), (256, 513), (300, 600)]:
        assert store.inclusion_proof(leaf_index, tree_size) == inclusion_proof(
            leaf_index, tree_size, leaves
        )
    for old, new in [(1, 700), (256, 700), (255, 257), (700, 700), (0, 10), (513, 699)]:
        assert store.consistency_proof(old, new) == consistency_proof(old, new, leaves)
    with pytest.raises(TileUnavailableError):
        store.consistency_proof(1, 701)


def test_concurrent_submitters_get_distinct_contiguous_indexes(
    store: LogStore, log_signer: NoteSigner
) -> None:
    results: list[list[int]] = []
    lock = threading.Lock()

    def worker(base: int) -> None:
        for batch in range(10):
            receipts = store.submit([make_entry(base + batch * 10 + k) for k in range(10)])
            with lock:
                results.append([r.leaf_index for r in receipts])

    threads = [threading.Thread(target=worker, args=(1000 * t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    indexes = sorted(i for batch in results for i in batch)
    assert indexes == list(range(400))
    for batch in results:
        assert batch == list(range(batch[0], batch[0] + 10))  # one submit = one contiguous run
    _sequencer(store, log_signer).integrate_all()
    stored = _all_entries(store, 400)
    for batch in results:  # each acknowledged batch sits at exactly its receipts' indexes
        numbers = [entry_number(stored[i]) for i in batch]
        assert numbers == list(range(numbers[0], numbers[0] + 10))


def test_disk_full_during_integration_commits_nothing(
    store: LogStore, log_signer: NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.submit([make_entry(n) for n in range(300)])
    sequencer = _sequencer(store, log_signer)
    sequencer.integrate_all()
    before = store.head()
    tile_before = store.read_tile(0, 1, 44)
    store.submit([make_entry(n) for n in range(300, 600)])
    original = Cursor.executemany

    def failing(self: Cursor, statement: str, rows: object) -> None:
        if "bundles" in statement or "pending" in statement:  # disk full on any bulk write
            raise OSError(28, "No space left on device")
        original(self, statement, rows)  # type: ignore[arg-type]

    def failing_insert(self: Cursor, table: str, columns: object, rows: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Cursor, "executemany", failing)
    monkeypatch.setattr(Cursor, "insert_rows", failing_insert)
    with pytest.raises(StoreError):
        sequencer.integrate_once()
    with pytest.raises(StoreError):
        store.submit([make_entry(999)])  # submit fails too: nothing acknowledged
    after = store.head()
    assert (after.tree_size, after.root_hash, after.checkpoint) == (
        before.tree_size,
        before.root_hash,
        before.checkpoint,
    )
    assert store.read_tile(0, 1, 44) == tile_before
    assert store.pending_count() == 300
    monkeypatch.undo()
    result = sequencer.integrate_all()
    assert result is not None and result.tree_size == 600
    assert [entry_number(e) for e in _all_entries(store, 600)] == list(range(600))


def test_sequencer_loop_integrates_within_its_interval(
    store: LogStore, log_signer: NoteSigner
) -> None:
    sequencer = Sequencer(store, log_signer, SequencerConfig(origin=ORIGIN, interval_s=0.1))
    sequencer.start()
    try:
        store.submit([make_entry(n) for n in range(10)])
        sequencer.notify()
        for _ in range(100):
            if store.head().tree_size == 10:
                break
            threading.Event().wait(0.05)
        assert store.head().tree_size == 10
    finally:
        sequencer.stop()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=6))
def test_any_batch_sequence_gives_the_spec_tiles_at_every_checkpoint(
    tmp_path_factory: pytest.TempPathFactory, log_signer: NoteSigner, batches: list[int]
) -> None:
    directory = tmp_path_factory.mktemp("batches")
    store = LogStore.open(f"sqlite:///{directory / 'log.db'}")
    entries = [encode_entry(make_entry(n, salt=bytes(32))) for n in range(sum(batches))]
    leaves = [leaf_hash(e) for e in entries]
    sequencer = _sequencer(store, log_signer)
    size = 0
    for batch in batches:
        store.submit_encoded(entries[size : size + batch])
        size += batch
        sequencer.integrate_all()
        assert store.head().root_hash == root_hash(leaves[:size])
        for (level, index), body in _naive_tiles(leaves, size).items():
            assert store.read_tile(level, index, len(body) // 32) == body
        assert _all_entries(store, size) == entries[:size]
    store.close()


def test_sequencer_loop_survives_a_full_disk_and_catches_up(
    store: LogStore, log_signer: NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anchoring import sequencer as sequencer_module

    monkeypatch.setattr(sequencer_module, "RETRY_BACKOFF_S", 0.05)
    original = Cursor.executemany
    failures = {"left": 3}

    def full_disk(self: Cursor, statement: str, rows: object) -> None:
        if "tiles" in statement and failures["left"] > 0:
            failures["left"] -= 1
            raise OSError(28, "No space left on device")
        original(self, statement, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(Cursor, "executemany", full_disk)
    store.submit([make_entry(n) for n in range(50)])
    sequencer = Sequencer(store, log_signer, SequencerConfig(origin=ORIGIN, interval_s=0.02))
    sequencer.start()
    try:
        for _ in range(200):
            if store.head().tree_size == 50:
                break
            threading.Event().wait(0.02)
    finally:
        sequencer.stop()
    assert failures["left"] == 0  # the disk was full three times, each round rolled back
    assert store.head().tree_size == 50
    assert [entry_number(e) for e in _all_entries(store, 50)] == list(range(50))
