"""Which Clique proposals this node accepts (issue 13): none that can halt the chain.

EIP-225 lets signers vote any address in or out; a vote that passes is irreversible
without the keys it names. So before `clique_propose` records a proposal, this node
checks what the signer set would be if the vote passed:

1. The node holds a key of a current signer (else its votes cannot count).
2. The vote changes something: authorize a non-signer, or drop a signer.
3. An authorized address is *reachable*: one of this node's own authority keys, or listed
   with `run --known-authority ADDRESS` (an operator's statement that another node seals
   with that key). An address nobody seals with would halt the chain once its turn comes
   and the others signed recently.
4. The set is not emptied.
5. Sealing can continue with reachable keys: Clique lets a signer seal one block in any
   SIGNER_LIMIT = N // 2 + 1 consecutive blocks, so at least SIGNER_LIMIT of the N signers
   after the vote must be reachable.

Refusals are `VoteRefused`, a JSON-RPC -32000 error with the reason.
"""

from __future__ import annotations

from collections.abc import Collection

from ledger_node.clique_votes import Snapshot
from ledger_node.errors import SERVER_ERROR, RpcError


class VoteRefused(RpcError):
    """A Clique proposal this node will not cast; `message` says which rule it breaks."""

    def __init__(self, message: str) -> None:
        super().__init__(SERVER_ERROR, message)


def signers_after_vote(snapshot: Snapshot, candidate: bytes, authorize: bool) -> tuple[bytes, ...]:
    """The sorted signer set if a vote to authorize (or drop) `candidate` passed."""
    if authorize:
        return tuple(sorted({*snapshot.signers, candidate}))
    return tuple(s for s in snapshot.signers if s != candidate)


def verify_proposal(
    snapshot: Snapshot,
    candidate: bytes,
    authorize: bool,
    held: Collection[bytes],
    known: Collection[bytes],
) -> None:
    """Return None if this node may propose the vote; raise VoteRefused otherwise (rules 1-5
    of the module doc). `held` are this node's authority keys, `known` the configured
    known authorities (addresses)."""
    name = "0x" + candidate.hex()
    if not set(held) & set(snapshot.signers):
        raise VoteRefused("this node holds no key of a current Clique signer")
    if authorize == (candidate in snapshot.signers):
        state = "already a signer" if authorize else "not a signer"
        raise VoteRefused(f"vote refused: {name} is {state}")
    reachable = set(held) | set(known)
    if authorize and candidate not in reachable:
        raise VoteRefused(
            f"vote refused: {name} is neither a key this node holds nor a known authority "
            "(run --known-authority); a signer nobody seals with would halt the chain")
    after = signers_after_vote(snapshot, candidate, authorize)
    if not after:
        raise VoteRefused(f"vote refused: dropping {name} would leave no Clique signer")
    needed = len(after) // 2 + 1
    sealing = sum(1 for s in after if s in reachable)
    if sealing < needed:
        raise VoteRefused(
            f"vote refused: after it {len(after)} signers would remain, {sealing} of them held "
            f"by this node or known authorities; Clique needs {needed} to keep sealing")
