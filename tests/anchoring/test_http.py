"""Serving the log per C2SP tlog-tiles over real HTTP, and verifying it from HTTP alone."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from hashlib import sha256

import httpx
import pytest

from anchoring.core.entry import encode_entry
from anchoring.core.merkle import consistency_proof, inclusion_proof, leaf_hash, root_hash
from anchoring.core.note import NoteSigner
from anchoring.errors import LogVerificationError
from anchoring.http import LogServeSettings, create_app
from anchoring.sequencer import Sequencer, SequencerConfig
from anchoring.store import LogStore
from anchoring.verify_log import verify_log
from testing.loopback_http import serve
from tests.anchoring.core.naive_merkle import naive_mth_of_leaf_hashes
from tests.anchoring.helpers import ORIGIN, make_entry

TREE_SIZE = 70_000 // 64  # 1093: several full tiles, a partial one, two levels


@pytest.fixture
def served(store: LogStore, log_signer: NoteSigner) -> Iterator[tuple[str, LogStore, list[bytes]]]:
    entries = [encode_entry(make_entry(n)) for n in range(TREE_SIZE)]
    store.submit_encoded(entries[:600])
    sequencer = Sequencer(store, log_signer, SequencerConfig(origin=ORIGIN))
    sequencer.integrate_all()
    store.submit_encoded(entries[600:])
    sequencer.integrate_all()
    with serve(create_app(LogServeSettings(database_url="unused"), store=store)) as base:
        yield f"{base}/log", store, entries


def naive_verify(url: str) -> tuple[int, bytes]:
    """A deliberately naive tlog-tiles client: only HTTP GETs, hashlib and the RFC text.

    Fetches the checkpoint, every entry bundle and every level-0 tile, hashes the entries
    with SHA-256(0x00 || entry), computes MTH recursively, and compares with the
    checkpoint's root. Returns (size, root).
    """
    text = httpx.get(f"{url}/checkpoint").text
    body = text[: text.index("\n\n") + 1].split("\n")
    size, root = int(body[1]), __import__("base64").b64decode(body[2])

    def index_path(n: int) -> str:
        digits = f"{n:03d}"
        groups = [digits[max(0, i - 3) : i] for i in range(len(digits), 0, -3)][::-1]
        groups[0] = groups[0].zfill(3)
        return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])

    leaves: list[bytes] = []
    for n in range((size + 255) // 256):
        width = min(256, size - 256 * n)
        suffix = "" if width == 256 else f".p/{width}"
        bundle = httpx.get(f"{url}/tile/entries/{index_path(n)}{suffix}").content
        tile = httpx.get(f"{url}/tile/0/{index_path(n)}{suffix}").content
        offset, hashes = 0, []
        while offset < len(bundle):
            length = int.from_bytes(bundle[offset : offset + 2], "big")
            hashes.append(sha256(b"\x00" + bundle[offset + 2 : offset + 2 + length]).digest())
            offset += 2 + length
        assert b"".join(hashes) == tile, f"bundle {n} does not match level-0 tile {n}"
        leaves.extend(hashes)
    assert naive_mth_of_leaf_hashes(leaves) == root, "entries do not hash to the checkpoint root"
    # The level-1 tile: MTH of each full level-0 tile, per the spec's formula.
    level1 = httpx.get(f"{url}/tile/1/000.p/{size // 256}").content
    assert level1 == b"".join(
        naive_mth_of_leaf_hashes(leaves[i * 256 : (i + 1) * 256]) for i in range(size // 256)
    )
    return size, root


def test_naive_http_only_verifier_accepts_the_log(
    served: tuple[str, LogStore, list[bytes]],
) -> None:
    url, _, entries = served
    assert naive_verify(url) == (TREE_SIZE, root_hash([leaf_hash(e) for e in entries]))


def test_log_verify_accepts_the_log(
    served: tuple[str, LogStore, list[bytes]], log_signer: NoteSigner
) -> None:
    url, _, _ = served
    report = verify_log(url, verifier_key=log_signer.verifier().verifier_key)
    assert (report.tree_size, report.entries_checked, report.signature_checked) == (
        TREE_SIZE,
        TREE_SIZE,
        True,
    )
    assert report.tiles_checked == 4 + 1 + 1  # 4 full + 1 partial level-0, 1 partial level-1
    assert report.verdict().startswith("OK")


def test_log_verify_detects_a_tampered_entry(served: tuple[str, LogStore, list[bytes]]) -> None:
    url, store, _ = served
    with store.db.transaction() as cursor:
        row = cursor.execute(
            f"SELECT data FROM {store.db.table('bundles')} WHERE tile_index = 1"
        ).fetchone()
        data = bytearray(bytes(row[0]))
        data[100] ^= 1
        cursor.execute(
            f"UPDATE {store.db.table('bundles')} SET data = ? WHERE tile_index = 1", (bytes(data),)
        )
    with pytest.raises(LogVerificationError, match="does not hash"):
        verify_log(url)
    with pytest.raises(AssertionError):
        naive_verify(url)


def test_log_verify_detects_a_tampered_upper_tile(
    served: tuple[str, LogStore, list[bytes]],
) -> None:
    url, store, _ = served
    with store.db.transaction() as cursor:
        cursor.execute(
            f"UPDATE {store.db.table('tiles')} SET data = ? WHERE level = 1", (bytes(32 * 4),)
        )
    with pytest.raises(LogVerificationError, match="roots of the tiles below"):
        verify_log(url)


def test_tiles_checkpoint_and_headers(served: tuple[str, LogStore, list[bytes]]) -> None:
    url, _, entries = served
    checkpoint = httpx.get(f"{url}/checkpoint")
    assert checkpoint.status_code == 200
    assert checkpoint.headers["content-type"] == "text/plain; charset=utf-8"
    assert checkpoint.headers["cache-control"] == "no-cache"
    assert checkpoint.text.startswith(f"{ORIGIN}\n{TREE_SIZE}\n")
    full = httpx.get(f"{url}/tile/0/000")
    assert full.status_code == 200 and len(full.content) == 8192
    assert full.headers["content-type"] == "application/octet-stream"
    assert "immutable" in full.headers["cache-control"]
    # An older checkpoint's partial tile (size 600: width 88) is a prefix of the current one.
    old = httpx.get(f"{url}/tile/0/002.p/88")
    assert (
        old.status_code == 200
        and old.content == httpx.get(f"{url}/tile/0/004.p/69").content[:0] + old.content
    )
    assert old.content == b"".join(leaf_hash(e) for e in entries[512:600])
    assert httpx.get(f"{url}/tile/0/004.p/70").status_code == 404  # wider than the tree
    assert httpx.get(f"{url}/tile/0/005.p/1").status_code == 404  # empty tiles are not served
    assert httpx.get(f"{url}/tile/0/004").status_code == 404  # not full yet
    assert httpx.get(f"{url}/tile/0/04").status_code == 400
    raw = httpx.get(f"{url}/tile/entries/001", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    plain = httpx.get(f"{url}/tile/entries/001", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzip.compress(plain.content) and raw.content == plain.content  # httpx decoded gzip
    assert len(plain.content) == 256 * (2 + 158)


def test_json_proofs_match_the_reference(served: tuple[str, LogStore, list[bytes]]) -> None:
    url, _, entries = served
    leaves = [leaf_hash(e) for e in entries]
    body = httpx.get(f"{url}/proof/inclusion", params={"leaf_index": 700, "tree_size": 1000}).json()
    assert body["root_hash"] == root_hash(leaves[:1000]).hex()
    assert body["proof"] == [h.hex() for h in inclusion_proof(700, 1000, leaves)]
    body = httpx.get(
        f"{url}/proof/consistency", params={"old_size": 600, "new_size": TREE_SIZE}
    ).json()
    assert body["proof"] == [h.hex() for h in consistency_proof(600, TREE_SIZE, leaves)]
    assert body["old_root_hash"] == root_hash(leaves[:600]).hex()
    assert (
        httpx.get(
            f"{url}/proof/inclusion", params={"leaf_index": 5, "tree_size": TREE_SIZE + 1}
        ).status_code
        == 404
    )
    assert (
        httpx.get(f"{url}/proof/inclusion", params={"leaf_index": 5, "tree_size": 5}).status_code
        == 404
    )
