"""RFC 6962 / RFC 9162 Merkle tree against the standard vectors in ../shared/data/merkle-rfc6962.

- `rfc6962-reference-vectors.json`: the reference tree of transparency-dev/merkle (roots,
  subtree hashes, inclusion and consistency proofs, hasher vectors).
- `testdata/{inclusion,consistency}/**.json`: transparency-dev's golden probes, each with
  `desc` and `wantErr`. Every probe must give its expected outcome, and a rejected probe
  must be rejected with the error class its defect calls for (`merkle_claims`).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from anchoring.core.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    consistency_proof_ranges,
    inclusion_proof,
    inclusion_proof_ranges,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from tests.anchoring.core.merkle_claims import (
    assert_outcome,
    consistency_claim_error,
    inclusion_claim_error,
)
from tests.shared_data import SHARED_DATA, shared_data

VECTOR_FOLDER = "merkle-rfc6962"


def _reference() -> dict[str, Any]:
    path = shared_data(f"{VECTOR_FOLDER}/rfc6962-reference-vectors.json")
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _reference_leaf_hashes() -> list[bytes]:
    return [bytes.fromhex(leaf["leafHashHex"]) for leaf in _reference()["leaves"]]


def _probe_files(kind: str) -> list[Path]:
    folder = SHARED_DATA / VECTOR_FOLDER / "testdata" / kind
    return sorted(folder.rglob("*.json")) if folder.is_dir() else []


def _probe_id(path: Path) -> str:
    return "/".join(path.parts[-2:])


def _decode(value: str | None) -> bytes:
    # Go encodes []byte as standard base64; a nil slice is null or "".
    return base64.b64decode(value, validate=True) if value else b""


def _decode_proof(values: list[str] | None) -> list[bytes]:
    return [_decode(value) for value in values or []]


# --- reference tree ------------------------------------------------------------


def test_reference_leaves_hash_to_their_leaf_hashes() -> None:
    for leaf in _reference()["leaves"]:
        assert leaf_hash(bytes.fromhex(leaf["dataHex"])).hex() == leaf["leafHashHex"]


def test_hasher_vectors() -> None:
    for vector in _reference()["hasherVectors"]:
        kind = vector["kind"]
        if kind == "emptyRoot":
            calculated = EMPTY_ROOT
        elif kind == "leaf":
            calculated = leaf_hash(bytes.fromhex(vector["dataHex"]))
        else:
            assert kind == "node", vector
            calculated = node_hash(
                bytes.fromhex(vector["leftHex"]), bytes.fromhex(vector["rightHex"])
            )
        assert calculated.hex() == vector["expectedHex"], vector["desc"]


def test_roots_by_size_from_list_and_from_compact_range() -> None:
    leaf_hashes = _reference_leaf_hashes()
    frontier = CompactRange()
    roots = _reference()["rootsBySize"]
    assert [entry["treeSize"] for entry in roots] == list(range(len(leaf_hashes) + 1))
    for entry in roots:
        size = entry["treeSize"]
        assert root_hash(leaf_hashes[:size]).hex() == entry["rootHex"]
        assert frontier.size == size
        assert frontier.root().hex() == entry["rootHex"]
        if size < len(leaf_hashes):
            frontier.append(leaf_hashes[size])


def test_complete_subtree_hashes() -> None:
    leaf_hashes = _reference_leaf_hashes()
    levels = _reference()["nodeHashes"]["levels"]
    for level, hashes in enumerate(levels):
        width = 1 << level
        for index, expected in enumerate(hashes):
            subtree = leaf_hashes[index * width : (index + 1) * width]
            assert root_hash(subtree).hex() == expected, (level, index)


def test_reference_inclusion_proofs() -> None:
    leaf_hashes = _reference_leaf_hashes()
    for vector in _reference()["inclusionProofs"]:
        index, size = vector["leafIndex"], vector["treeSize"]
        expected = [bytes.fromhex(value) for value in vector["proofHex"]]
        root = bytes.fromhex(vector["rootHex"])
        assert inclusion_proof(index, size, leaf_hashes) == expected, vector
        assert len(inclusion_proof_ranges(index, size)) == len(expected)
        leaf = bytes.fromhex(vector["leafHashHex"])
        assert root_from_inclusion_proof(index, size, leaf, expected) == root
        verify_inclusion(leaf, index, size, expected, root)


def test_reference_consistency_proofs() -> None:
    leaf_hashes = _reference_leaf_hashes()
    for vector in _reference()["consistencyProofs"]:
        old_size, new_size = vector["size1"], vector["size2"]
        expected = [bytes.fromhex(value) for value in vector["proofHex"]]
        assert consistency_proof(old_size, new_size, leaf_hashes) == expected, vector
        assert len(consistency_proof_ranges(old_size, new_size)) == len(expected)
        verify_consistency(
            old_size,
            new_size,
            expected,
            bytes.fromhex(vector["root1Hex"]),
            bytes.fromhex(vector["root2Hex"]),
        )


# --- transparency-dev golden probes --------------------------------------------

INCLUSION_PROBES = _probe_files("inclusion")
CONSISTENCY_PROBES = _probe_files("consistency")


def test_probe_folders_are_present() -> None:
    shared_data(f"{VECTOR_FOLDER}/testdata/inclusion")
    shared_data(f"{VECTOR_FOLDER}/testdata/consistency")
    assert INCLUSION_PROBES and CONSISTENCY_PROBES


@pytest.mark.parametrize("path", INCLUSION_PROBES, ids=_probe_id)
def test_inclusion_probe(path: Path) -> None:
    probe = json.loads(path.read_text())
    index, size = probe["leafIdx"], probe["treeSize"]
    leaf, root = _decode(probe["leafHash"]), _decode(probe["root"])
    proof = _decode_proof(probe["proof"])
    expected = inclusion_claim_error(
        index, size, proof, hashes=[leaf, root, *proof], authentic=not probe["wantErr"]
    )
    assert_outcome(expected, verify_inclusion, leaf, index, size, proof, root)


@pytest.mark.parametrize("path", CONSISTENCY_PROBES, ids=_probe_id)
def test_consistency_probe(path: Path) -> None:
    probe = json.loads(path.read_text())
    old_size, new_size = probe["size1"], probe["size2"]
    old_root, new_root = _decode(probe["root1"]), _decode(probe["root2"])
    proof = _decode_proof(probe["proof"])
    expected = consistency_claim_error(
        old_size,
        new_size,
        proof,
        hashes=[old_root, new_root, *proof],
        authentic=not probe["wantErr"],
    )
    assert_outcome(expected, verify_consistency, old_size, new_size, proof, old_root, new_root)
