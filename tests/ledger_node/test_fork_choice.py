"""Fork choice and atomic reorganisations, in process (ledger_node/chain.py).

`is_better_head` is held to a naive reference: the better of two heads is the one that
sorts first by (-total difficulty, number, hash), which makes the choice a strict total
order. `import_branch` adopts a heavier sibling branch (or a shorter heavier one, or a tie
won by the shorter branch) by replacing the blocks, transactions and logs above the fork
point in one store transaction and returns the transactions it orphaned; it writes nothing
(head, index rows and key-value data unchanged) for a lighter branch, for a branch with a
block that does not verify wherever it sits, for a branch whose commit fails half-way, for
one whose first parent is unknown (UnknownParentError) and for one that does not chain
(BlockRejectedError). After a reorg the Clique snapshot at the head is the one computed
afresh from the new chain's headers.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth.abc import BlockAPI
from hypothesis import given
from hypothesis import strategies as st

from ledger_node import store as store_module
from ledger_node.chain import LedgerChain, is_better_head
from ledger_node.errors import BlockRejectedError, UnknownParentError
from ledger_node.transactions import SignedTx
from tests.ledger_node.chain_helpers import transfer
from tests.ledger_node.fork_helpers import (
    ANCESTOR,
    HEAVY,
    LIGHT,
    LONGER,
    TIE,
    Forks,
    log_emitting_creation,
    three_authorities,
)

LIGHT_TOPIC = b"\x11" * 32
HEAVY_TOPIC = b"\x22" * 32

# ---------------------------------------------------------------------- is_better_head

Head = tuple[int, int, bytes]
heads = st.tuples(st.integers(0, 6), st.integers(0, 6),
                  st.sampled_from([bytes([i]) * 32 for i in range(4)]))


def _naive_better(theirs: Head, ours: Head) -> bool:
    """Theirs is better if it sorts strictly first by (-td, number, hash)."""
    ranked = sorted([ours, theirs], key=lambda head: (-head[0], head[1], head[2]))
    return theirs != ours and ranked[0] == theirs


@given(heads, heads)
def test_is_better_head_is_the_naive_order_antisymmetric_and_total(a: Head, b: Head) -> None:
    assert is_better_head(a, b) == _naive_better(a, b)
    assert not (is_better_head(a, b) and is_better_head(b, a))  # antisymmetric
    assert is_better_head(a, b) or is_better_head(b, a) or a == b  # total
    assert not is_better_head(a, a)  # irreflexive: our own head never replaces itself


@given(heads, heads, heads)
def test_is_better_head_is_transitive(a: Head, b: Head, c: Head) -> None:
    if is_better_head(a, b) and is_better_head(b, c):
        assert is_better_head(a, c)


# ---------------------------------------------------------------------- import_branch


@dataclass
class Branches:
    """The forks, each sealed once in its own store: `blocks[name]` above the ancestor."""

    forks: Forks
    chains: dict[str, LedgerChain]
    blocks: dict[str, list[BlockAPI]]
    shared_tx: SignedTx  # in LIGHT's and HEAVY's block 3
    light_tx: SignedTx  # LIGHT's block 3 only; emits a log with LIGHT_TOPIC
    heavy_tx: SignedTx  # HEAVY's block 5 only (same sender and nonce); HEAVY_TOPIC


@pytest.fixture(scope="module")
def branches(tmp_path_factory: pytest.TempPathFactory) -> Branches:
    root = tmp_path_factory.mktemp("branches")
    forks = three_authorities(root)
    user0, user1 = forks.users
    shared, light_tx = transfer(user1, 0), log_emitting_creation(user0, 1, LIGHT_TOPIC)
    heavy_tx = log_emitting_creation(user0, 1, HEAVY_TOPIC)
    layouts = {"light": (LIGHT, {3: [shared, light_tx]}), "heavy": (HEAVY, {3: [shared], 5: [heavy_tx]}),
               "longer": (LONGER, {}), "tie": (TIE, {})}
    chains, blocks = {}, {}
    for name, (signers, txs) in layouts.items():
        chains[name], blocks[name] = forks.fork(root / f"{name}.sqlite", signers, txs)
    return Branches(forks, chains, blocks, shared, light_tx, heavy_tx)


def _copy(branches: Branches, name: str, path: Path) -> LedgerChain:
    """A fresh keyless chain holding fork `name` (imported, so verified)."""
    chain = branches.forks.genesis(path / f"{name}-copy.sqlite")
    for block in [*branches.forks.prefix, *branches.blocks[name]]:
        chain.import_block(block)
    return chain


def _digest(chain: LedgerChain) -> dict[str, str]:
    """What the store file holds, table by table, read through a connection of its own."""
    connection = sqlite3.connect(chain.store.path)
    try:
        return {table: hashlib.sha256(repr(connection.execute(
            f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()).encode()).hexdigest()
            for table in ("kv", "blocks", "txs", "logs", "meta")}
    finally:
        connection.close()


@dataclass(frozen=True)
class _Untouched:
    """Everything a refused import must leave as it was."""

    digest: dict[str, str]
    head: tuple[int, bytes]
    stored_head: bytes

    @classmethod
    def of(cls, chain: LedgerChain) -> _Untouched:
        head = chain.store.head()
        assert head is not None
        return cls(_digest(chain), (chain.head_header.block_number, chain.head_header.hash),
                   head.hash)

    def check(self, chain: LedgerChain) -> None:
        head = chain.store.head()
        assert head is not None and head.hash == self.stored_head
        assert (chain.head_header.block_number, chain.head_header.hash) == self.head
        assert chain.store.kv.pending == {}
        assert _digest(chain) == self.digest


@pytest.fixture
def light(branches: Branches, tmp_path: Path) -> LedgerChain:
    return _copy(branches, "light", tmp_path)


def _hashes(blocks: list[BlockAPI]) -> list[bytes]:
    return [b.header.hash for b in blocks]


def _rows(chain: LedgerChain) -> list[object]:
    head = chain.store.head()
    assert head is not None
    return [chain.store.block_by_number(n) for n in range(head.number + 2)]


def _naive_td(chain: LedgerChain) -> int:
    head = chain.store.head()
    assert head is not None
    return sum(chain.header_by_number(n).difficulty for n in range(head.number + 1))  # type: ignore[union-attr]


def test_a_heavier_sibling_replaces_ours_in_one_store_transaction(
    branches: Branches, light: LedgerChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    heavy = branches.chains["heavy"]
    light.snapshots.at(light.head_header.block_number)  # cache LIGHT's snapshot at its head
    orphans = light.store.txs_after(ANCESTOR)
    assert [row.hash for row in orphans] == [branches.shared_tx.hash, branches.light_tx.hash]
    commits: list[tuple[list[int], int | None]] = []
    commit_blocks = light.store.commit_blocks

    def recording(blocks, replace_after=None):  # type: ignore[no-untyped-def]
        commits.append(([row.number for row, _, _ in blocks], replace_after))
        commit_blocks(blocks, replace_after=replace_after)

    monkeypatch.setattr(light.store, "commit_blocks", recording)

    result = light.import_branch(branches.blocks["heavy"])

    assert result is not None and result.replaced_after == ANCESTOR
    assert [a.block.header.hash for a in result.adopted] == _hashes(branches.blocks["heavy"])
    assert result.orphaned == tuple(orphans)
    assert commits == [([3, 4, 5], ANCESTOR)]  # one transaction: delete above 2, insert 3..5
    # Blocks, transactions and logs rows are HEAVY's, row for row; nothing above its head.
    assert _rows(light) == _rows(heavy)
    assert light.store.txs_after(0) == heavy.store.txs_after(0)
    assert light.store.txs_after(ANCESTOR) == heavy.store.txs_after(ANCESTOR)
    assert light.store.find_logs(0, 99) == heavy.store.find_logs(0, 99)
    assert light.store.find_logs(0, 99, topics=[[LIGHT_TOPIC]]) == []
    assert [log.block_number for log in light.store.find_logs(0, 99, topics=[[HEAVY_TOPIC]])] == [5]
    assert light.store.tx_by_hash(branches.light_tx.hash) is None
    assert light.store.tx_by_hash(branches.shared_tx.hash).block_number == 3  # type: ignore[union-attr]
    assert light.store.tx_by_hash(branches.heavy_tx.hash).block_number == 5  # type: ignore[union-attr]
    assert light.head_header.hash == heavy.head_header.hash == light.store.head().hash  # type: ignore[union-attr]
    assert light.total_difficulty(light.head_header.hash) == _naive_td(heavy)
    # The snapshot at the head is HEAVY's, not one advanced from LIGHT's cached one.
    fresh = LedgerChain(light.store, branches.forks.config, None).snapshots.at(5)
    assert light.snapshots.at(5) == fresh
    assert fresh == LedgerChain(heavy.store, branches.forks.config, None).snapshots.at(5)


def test_a_shorter_heavier_branch_removes_our_blocks_above_it(
    branches: Branches, tmp_path: Path
) -> None:
    ours = _copy(branches, "longer", tmp_path)  # head 6, weight 4 above the ancestor
    result = ours.import_branch(branches.blocks["heavy"])  # head 5, weight 5
    assert result is not None and result.replaced_after == ANCESTOR
    assert _rows(ours) == _rows(branches.chains["heavy"])
    assert ours.store.block_by_number(6) is None


def test_a_tie_goes_to_the_shorter_branch_and_only_that_way(
    branches: Branches, tmp_path: Path
) -> None:
    longer = _copy(branches, "longer", tmp_path)
    assert longer.import_branch(branches.blocks["tie"]) is not None  # same weight, 5 < 6
    assert _rows(longer) == _rows(branches.chains["tie"])
    tie = _copy(branches, "tie", tmp_path)
    untouched = _Untouched.of(tie)
    assert tie.import_branch(branches.blocks["longer"]) is None
    untouched.check(tie)


@pytest.mark.parametrize("name", ["light", "longer"])
def test_a_lighter_branch_returns_none_and_writes_nothing(
    branches: Branches, tmp_path: Path, name: str
) -> None:
    heavy = _copy(branches, "heavy", tmp_path)
    untouched = _Untouched.of(heavy)
    assert heavy.import_branch(branches.blocks[name]) is None
    untouched.check(heavy)


@pytest.mark.parametrize("bad", [3, 4, 5])
def test_a_branch_with_a_block_that_does_not_verify_writes_nothing(
    branches: Branches, light: LedgerChain, bad: int
) -> None:
    """HEAVY with block `bad`'s state root changed and re-sealed by its own signer, the
    blocks after it re-linked and re-sealed, so that only execution catches the lie."""
    blocks, parent_hash = [], None
    for number, (block, signer) in enumerate(zip(branches.blocks["heavy"], HEAVY, strict=True),
                                             start=ANCESTOR + 1):
        if number == bad:
            block = branches.forks.reseal(block, signer, state_root=b"\x42" * 32)
        elif parent_hash is not None:
            block = branches.forks.reseal(block, signer, parent_hash=parent_hash)
        blocks.append(block)
        parent_hash = block.header.hash if number >= bad else None
    untouched = _Untouched.of(light)
    with pytest.raises(BlockRejectedError) as rejected:
        light.import_branch(blocks)
    assert rejected.value.block_number == bad
    assert "state_root" in rejected.value.reason
    untouched.check(light)
    assert light.store.tx_by_hash(branches.light_tx.hash).block_number == 3  # type: ignore[union-attr]
    assert light.store.tx_by_hash(branches.heavy_tx.hash) is None
    # Nothing half-done stays behind: the honest branch is adopted afterwards.
    assert light.import_branch(branches.blocks["heavy"]) is not None
    assert _rows(light) == _rows(branches.chains["heavy"])


def test_a_commit_that_fails_half_way_leaves_nothing(
    branches: Branches, light: LedgerChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's transaction fails at block 5's log rows, after the deletes and blocks 3
    and 4 were written in it: the reorg is on disk whole or not at all."""
    log_params = store_module._log_params

    def failing(log):  # type: ignore[no-untyped-def]
        if log.block_number == 5:
            raise sqlite3.OperationalError("disk I/O error (injected)")
        return log_params(log)

    untouched = _Untouched.of(light)
    monkeypatch.setattr(store_module, "_log_params", failing)
    with pytest.raises(sqlite3.OperationalError, match="injected"):
        light.import_branch(branches.blocks["heavy"])
    untouched.check(light)
    monkeypatch.setattr(store_module, "_log_params", log_params)
    assert light.import_branch(branches.blocks["heavy"]) is not None
    assert _rows(light) == _rows(branches.chains["heavy"])


def test_a_branch_whose_first_parent_is_unknown_raises_unknown_parent(
    branches: Branches, light: LedgerChain
) -> None:
    heavy = branches.blocks["heavy"]
    untouched = _Untouched.of(light)
    with pytest.raises(UnknownParentError) as unknown:
        light.import_branch(heavy[1:])
    assert (unknown.value.block_number, unknown.value.parent_hash) == (4, heavy[0].header.hash)
    untouched.check(light)


def _not_chaining(branches: Branches) -> Iterator[tuple[str, list[BlockAPI], int]]:
    heavy, light = branches.blocks["heavy"], branches.blocks["light"]
    yield "a block skipped", [heavy[0], heavy[2]], 5
    yield "a block of another fork", [heavy[0], light[1]], 4
    renumbered = branches.forks.reseal(heavy[1], HEAVY[1], block_number=5)
    yield "the parent's child but numbered one too high", [heavy[0], renumbered], 5


def test_a_branch_that_does_not_chain_is_rejected(
    branches: Branches, light: LedgerChain
) -> None:
    untouched = _Untouched.of(light)
    for case, blocks, number in _not_chaining(branches):
        with pytest.raises(BlockRejectedError) as rejected:
            light.import_branch(blocks)
        assert rejected.value.block_number == number, case
        assert "does not follow" in rejected.value.reason, case
        untouched.check(light)
