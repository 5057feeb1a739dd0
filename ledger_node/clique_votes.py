"""Clique (EIP-225) signer snapshots: the signer set, pending votes and recent signers.

A `Snapshot` is the authorization state *after* a block. `apply_header` computes the next one
from a sealed header exactly as EIP-225 ("Voting" and "Authorization snapshots") and geth's
`snapshot.apply` do; `SnapshotCache` keeps the head's snapshot so the node and the sealer
do not walk back to the last checkpoint on every block. `choose_seal` and `choose_vote` are
the sealer's side: which held key signs the next block and which proposal it votes on.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from eth.abc import BlockHeaderAPI
from eth.consensus.clique._utils import get_block_signer
from eth.consensus.clique.constants import NONCE_AUTH, NONCE_DROP, SIGNATURE_LENGTH, VANITY_LENGTH

from ledger_node.errors import LedgerNodeError

ADDRESS_LENGTH = 20
DIFF_IN_TURN = 2  # EIP-225: in-turn difficulty
DIFF_NO_TURN = 1  # EIP-225: out-of-turn difficulty


class CliqueError(LedgerNodeError):
    """A header breaks an EIP-225 authorization rule, or no held key may seal a block."""


@dataclass(frozen=True)
class Vote:
    """One signer's standing vote on `candidate` (authorize or drop), EIP-225 "votes"."""

    signer: bytes
    candidate: bytes
    authorize: bool


@dataclass(frozen=True)
class Snapshot:
    """The Clique authorization state after block `number`.

    `signers` is sorted (EIP-225: in-turn order is the sorted list); `votes` is chronological;
    `recents` holds (block number, signer) of the blocks inside the "recently signed" window.
    """

    number: int
    signers: tuple[bytes, ...]
    votes: tuple[Vote, ...] = ()
    recents: tuple[tuple[int, bytes], ...] = ()

    @property
    def signer_limit(self) -> int:
        """EIP-225 SIGNER_LIMIT: a signer may seal at most one of this many consecutive blocks."""
        return len(self.signers) // 2 + 1

    def in_turn_signer(self, number: int) -> bytes:
        """The signer whose turn block `number` is: sorted signers[number % len], EIP-225.
        Raises CliqueError if there are no signers (then no block can ever be sealed)."""
        if not self.signers:
            raise CliqueError(f"no Clique signers after block {self.number}: the chain cannot seal")
        return self.signers[number % len(self.signers)]

    def recently_signed(self, signer: bytes, number: int) -> bool:
        """True if `signer` sealed one of the last SIGNER_LIMIT - 1 blocks before `number`."""
        return any(
            seen == signer and recent > number - self.signer_limit for recent, seen in self.recents
        )

    def tally(self, candidate: bytes, authorize: bool) -> int:
        """How many standing votes agree to authorize (or drop) `candidate`."""
        return sum(1 for v in self.votes if v.candidate == candidate and v.authorize == authorize)

    def is_valid_vote(self, candidate: bytes, authorize: bool) -> bool:
        """EIP-225: a vote to authorize a signer or to drop a non-signer is ignored."""
        return authorize != (candidate in self.signers)


def checkpoint_snapshot(checkpoint: BlockHeaderAPI) -> Snapshot:
    """The snapshot after a checkpoint block (block 0 or a multiple of the epoch) from its
    extraData signer list alone, as geth does when it has no earlier snapshot: no votes (they
    reset at checkpoints), no recent signers."""
    signers = tuple(sorted(checkpoint_signers(checkpoint.extra_data)))
    return Snapshot(number=checkpoint.block_number, signers=signers)


def checkpoint_signers(extra_data: bytes) -> list[bytes]:
    """The signer list of a checkpoint header's extraData: vanity ‖ signers ‖ seal, EIP-225."""
    body = extra_data[VANITY_LENGTH : len(extra_data) - SIGNATURE_LENGTH]
    if len(body) % ADDRESS_LENGTH:
        raise CliqueError(f"checkpoint signer list of {len(body)} bytes is not 20-byte addresses")
    return [body[i : i + ADDRESS_LENGTH] for i in range(0, len(body), ADDRESS_LENGTH)]


def apply_header(snapshot: Snapshot, header: BlockHeaderAPI, epoch: int) -> Snapshot:
    """The snapshot after sealed `header`, the child of `snapshot`'s block (EIP-225).

    Raises CliqueError if the header's signer is not authorized or signed too recently, or a
    checkpoint carries a vote or a signer list other than the snapshot's.
    """
    number = header.block_number
    if number != snapshot.number + 1:
        raise CliqueError(f"header {number} does not follow snapshot {snapshot.number}")
    signer = get_block_signer(header)
    if signer not in snapshot.signers:
        raise CliqueError(f"block {number}: signer 0x{signer.hex()} is not authorized")
    if snapshot.recently_signed(signer, number):
        raise CliqueError(f"block {number}: signer 0x{signer.hex()} signed recently")
    recents = _trim_recents(snapshot.recents, number, snapshot.signer_limit) + ((number, signer),)
    signers = snapshot.signers
    if number % epoch == 0:
        # EIP-225: checkpoints cast no vote, list the current signers and reset all votes.
        if header.nonce != NONCE_DROP or any(header.coinbase):
            raise CliqueError(f"checkpoint block {number} carries a vote")
        if tuple(checkpoint_signers(header.extra_data)) != signers:
            raise CliqueError(f"checkpoint block {number}: signer list differs from snapshot")
        return Snapshot(number, signers, (), recents)
    if header.nonce not in (NONCE_AUTH, NONCE_DROP):
        raise CliqueError(f"block {number}: nonce 0x{header.nonce.hex()} is not a vote")
    vote = Vote(signer, bytes(header.coinbase), header.nonce == NONCE_AUTH)
    return cast_vote(replace(snapshot, number=number, recents=recents), vote)


def cast_vote(snapshot: Snapshot, vote: Vote) -> Snapshot:
    """`snapshot` with `vote` tallied (EIP-225 "Voting"); enacted if it reaches a majority."""
    # A signer's new vote on a candidate replaces its earlier one (EIP-225, geth's uncast).
    votes = tuple(
        v for v in snapshot.votes if not (v.signer == vote.signer and v.candidate == vote.candidate)
    )
    if snapshot.is_valid_vote(vote.candidate, vote.authorize):
        votes += (vote,)
    after = replace(snapshot, votes=votes)
    if after.tally(vote.candidate, vote.authorize) > len(snapshot.signers) // 2:  # > N/2
        after = _pass_vote(after, vote.candidate, vote.authorize)
    return after


def _pass_vote(snapshot: Snapshot, candidate: bytes, authorize: bool) -> Snapshot:
    """Enact a vote that reached a majority (EIP-225, geth `snapshot.apply`)."""
    votes = snapshot.votes
    if authorize:
        signers = tuple(sorted((*snapshot.signers, candidate)))
    else:
        signers = tuple(s for s in snapshot.signers if s != candidate)
        votes = tuple(v for v in votes if v.signer != candidate)  # a dropped signer's votes go
    votes = tuple(v for v in votes if v.candidate != candidate)  # the decided tally is cleared
    limit = len(signers) // 2 + 1
    recents = _trim_recents(snapshot.recents, snapshot.number + 1, limit)
    return replace(snapshot, signers=signers, votes=votes, recents=recents)


def _trim_recents(
    recents: tuple[tuple[int, bytes], ...], number: int, limit: int
) -> tuple[tuple[int, bytes], ...]:
    # Only the last `limit - 1` blocks before `number` matter for the "recently signed" rule.
    return tuple((n, s) for n, s in recents if n > number - limit)


def choose_seal(snapshot: Snapshot, held: Collection[bytes]) -> tuple[bytes, int]:
    """Which held signer seals block snapshot.number + 1, and its difficulty (EIP-225).

    In turn (difficulty 2) if the in-turn signer is held, else the first held, authorized
    signer (difficulty 1); either only if it has not signed recently (SIGNER_LIMIT). Raises
    CliqueError if there is none.
    """
    number = snapshot.number + 1
    in_turn = snapshot.in_turn_signer(number)  # CliqueError if the set is empty
    # Even the in-turn signer waits if it signed recently (geth's Seal), e.g. just after a
    # vote changed the signer order.
    if in_turn in held and not snapshot.recently_signed(in_turn, number):
        return in_turn, DIFF_IN_TURN
    for signer in snapshot.signers:
        if signer in held and not snapshot.recently_signed(signer, number):
            return signer, DIFF_NO_TURN
    raise CliqueError(f"no key held by this node may seal block {number} now")


def choose_vote(
    snapshot: Snapshot, signer: bytes, proposals: Mapping[bytes, bool], epoch: int
) -> tuple[bytes, bool] | None:
    """The (candidate, authorize) vote `signer` puts into block snapshot.number + 1, or None.

    As geth's `Prepare`: never on checkpoint blocks; only proposals that are valid votes;
    proposals `signer` has not voted on yet come first (geth picks at random). Never a vote
    that would pass and leave no signer (whatever was proposed: the chain would halt for
    good, and the node's vote rules refuse such proposals before they get here).
    """
    number = snapshot.number + 1
    if number % epoch == 0:
        return None
    valid = [(c, a) for c, a in sorted(proposals.items()) if snapshot.is_valid_vote(c, a)]
    cast = {(v.candidate, v.authorize) for v in snapshot.votes if v.signer == signer}
    for candidate, authorize in [v for v in valid if v not in cast] + valid:
        # Timing is the signer's choice: do not let a vote pass in a block after which the
        # next in-turn signer may not seal (SIGNER_LIMIT) (e.g. the signer itself, just after 1 -> 2
        # signers); a block later the order works out and blocks stay in turn.
        recents = (*snapshot.recents, (number, signer))
        after = cast_vote(replace(snapshot, number=number, recents=recents),
                          Vote(signer, candidate, authorize))
        passes = after.signers != snapshot.signers
        if passes and not after.signers:
            continue
        if not passes or not after.recently_signed(after.in_turn_signer(number + 1), number + 1):
            return candidate, authorize
    return None


class SnapshotCache:
    """Snapshots of one linear chain, computed from its headers and kept for the latest block.

    `header_by_number` reads a committed header. A snapshot is rebuilt from the nearest
    checkpoint at or before the block (EIP-225: checkpoints carry the whole signer list),
    or advanced from the cached one when that is on the way.
    """

    def __init__(
        self, header_by_number: Callable[[int], BlockHeaderAPI | None], epoch: int
    ) -> None:
        self._header_by_number = header_by_number
        self._epoch = epoch
        self._latest: Snapshot | None = None

    def reset(self) -> None:
        """Forget the cached snapshot: the blocks above some number were replaced (reorg)."""
        self._latest = None

    def at(self, number: int) -> Snapshot:
        """The snapshot after block `number`. Raises CliqueError if a header is missing."""
        latest = self._latest
        checkpoint = number - number % self._epoch
        if latest is not None and checkpoint <= latest.number <= number:
            snapshot = latest
        else:
            snapshot = checkpoint_snapshot(self._header(checkpoint))
        while snapshot.number < number:
            snapshot = apply_header(snapshot, self._header(snapshot.number + 1), self._epoch)
        if latest is None or snapshot.number >= latest.number:
            self._latest = snapshot
        return snapshot

    def _header(self, number: int) -> BlockHeaderAPI:
        header = self._header_by_number(number)
        if header is None:
            raise CliqueError(f"no header {number} for the Clique snapshot")
        return header
