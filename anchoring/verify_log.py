"""`traceledger log verify`: check a served log end to end, trusting nothing it serves.

1. Fetch `<url>/checkpoint`; verify the log's signature when a verifier key is given.
2. Fetch every entry bundle and level-0 tile of that size; each entry must hash to its
   leaf hash in the tile (RFC 9162 §2.1.1), and the leaves must hash to the checkpoint root.
3. Fetch every upper-level tile; each hash must be the root of the full tile below it
   (tlog-tiles §Merkle Tree), so proofs computed from the tiles are right too.
4. If a chain is given: every head anchored in TraceAnchor must be the root of the same
   leaves at its size (so it is consistent with the checkpoint), and heads must grow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import httpx

from anchoring.anchor_contract import connect, read_heads, trace_anchor
from anchoring.core.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from anchoring.core.merkle import CompactRange, leaf_hash
from anchoring.core.note import NoteVerifier
from anchoring.errors import LogVerificationError
from anchoring.tiles import (
    TILE_WIDTH,
    decode_bundle,
    hash_tile,
    split_hashes,
    tile_path,
    tiles_for_tree,
)

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 30.0


@dataclass
class LogReport:
    """What `verify_log` established."""

    tree_size: int
    root_hash: bytes
    signature_checked: bool
    tiles_checked: int
    entries_checked: int
    anchored_heads_checked: int
    notes: list[str] = field(default_factory=list)

    def verdict(self) -> str:
        """One line for humans."""
        signed = (
            "signature verified" if self.signature_checked else "signature NOT checked (no key)"
        )
        return (
            f"OK: tree size {self.tree_size}, root {self.root_hash.hex()}, {signed}, "
            f"{self.entries_checked} entries and {self.tiles_checked} tiles recomputed, "
            f"{self.anchored_heads_checked} anchored heads consistent"
        )


def fetch_checkpoint(client: httpx.Client, url: str, verifier: NoteVerifier | None) -> Checkpoint:
    """GET the checkpoint and parse it (verifying the log signature if `verifier` is given)."""
    response = client.get(f"{url}/checkpoint")
    response.raise_for_status()
    if verifier is not None:
        return open_checkpoint(response.text, verifier)
    text = response.text
    return parse_checkpoint(text[: text.rfind("\n\n") + 1])


def _get(client: httpx.Client, url: str, path: str) -> bytes:
    response = client.get(f"{url}/{path}")
    if response.status_code != 200:
        raise LogVerificationError(f"GET {path} returned {response.status_code}")
    return response.content


def verify_log(
    url: str,
    *,
    verifier_key: str | None = None,
    rpc_url: str | None = None,
    anchor_address: str | None = None,
    client: httpx.Client | None = None,
) -> LogReport:
    """Verify the log served at `url` (the tlog-tiles prefix, e.g. http://host/log).

    Returns a `LogReport`; raises `LogVerificationError` (or a core `VerificationError`
    for a bad signature) on the first inconsistency found.
    """
    url = url.rstrip("/")
    verifier = NoteVerifier.from_verifier_key(verifier_key) if verifier_key else None
    own_client = client is None
    http = client or httpx.Client(
        timeout=HTTP_TIMEOUT_S, headers={"Accept-Encoding": "gzip, identity"}
    )
    try:
        checkpoint = fetch_checkpoint(http, url, verifier)
        size = checkpoint.tree_size
        # Steps 2-3: leaves from bundles, checked against level-0 tiles, then upward.
        leaf_hashes: list[bytes] = []
        full_tile_roots: dict[int, list[bytes]] = {}  # level -> roots of its full tiles
        tiles_checked = 0
        for ref in tiles_for_tree(size):  # level by level, left to right
            assert ref.level is not None
            body = _get(http, url, ref.path)
            tiles_checked += 1
            if len(body) != ref.width * 32:
                raise LogVerificationError(
                    f"{ref.path} has {len(body)} bytes, expected {ref.width * 32}"
                )
            hashes = split_hashes(body)
            if ref.level == 0:
                entries = decode_bundle(_get(http, url, tile_path(None, ref.index, ref.width)))
                if len(entries) != ref.width:
                    raise LogVerificationError(
                        f"bundle {ref.index} holds {len(entries)} entries, expected {ref.width}"
                    )
                for position, entry in enumerate(entries):
                    if leaf_hash(entry) != hashes[position]:  # RFC 9162 §2.1.1
                        raise LogVerificationError(
                            f"entry {ref.index * TILE_WIDTH + position} does not hash to its tile hash"
                        )
                leaf_hashes.extend(hashes)
            else:
                below = full_tile_roots.get(ref.level - 1, [])
                if hashes != below[ref.index * TILE_WIDTH : ref.index * TILE_WIDTH + ref.width]:
                    raise LogVerificationError(
                        f"{ref.path} does not hold the roots of the tiles below"
                    )
            if ref.width == TILE_WIDTH:
                full_tile_roots.setdefault(ref.level, []).append(hash_tile(body))
        frontier = CompactRange.from_leaf_hashes(leaf_hashes)
        if frontier.root() != checkpoint.root_hash:
            raise LogVerificationError(
                f"leaves hash to {frontier.root().hex()}, checkpoint says {checkpoint.root_hash.hex()}"
            )
        report = LogReport(size, checkpoint.root_hash, verifier is not None, tiles_checked, size, 0)
        if rpc_url and anchor_address:
            report.anchored_heads_checked = _check_anchored_heads(
                rpc_url, anchor_address, leaf_hashes
            )
        log.info("log verified: tree_size=%d root=%s", size, checkpoint.root_hash.hex())
        return report
    finally:
        if own_client:
            http.close()


def _check_anchored_heads(rpc_url: str, anchor_address: str, leaf_hashes: list[bytes]) -> int:
    heads = read_heads(trace_anchor(connect(rpc_url), anchor_address))
    frontier = CompactRange()
    previous = 0
    for head in heads:
        if head.tree_size <= previous:
            raise LogVerificationError(
                f"anchored head {head.head_index} does not grow: {head.tree_size} <= {previous}"
            )
        if head.tree_size > len(leaf_hashes):
            raise LogVerificationError(
                f"anchored head {head.head_index} has size {head.tree_size}, beyond the served log ({len(leaf_hashes)})"
            )
        frontier.extend(leaf_hashes[previous : head.tree_size])
        if frontier.root() != head.root_hash:
            raise LogVerificationError(
                f"anchored head {head.head_index} (size {head.tree_size}) has root {head.root_hash.hex()}, "
                f"the served log gives {frontier.root().hex()}"
            )
        previous = head.tree_size
    return len(heads)
