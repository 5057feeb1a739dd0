"""Checkpoints, c2sp.org/tlog-checkpoint (anchoring/core/checkpoint.py)."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchoring.core.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    format_checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from anchoring.core.cosignature import WitnessCosigner, WitnessVerifier, cosignature_message
from anchoring.core.errors import (
    InvalidNoteSignatureError,
    NoteFormatError,
    NoteVerificationError,
    UnverifiedNoteError,
    VerificationError,
)
from anchoring.core.note import NoteSigner, NoteVerifier, open_note, sign_note
from tests.shared_data import shared_data

# --- the example in c2sp.org/tlog-checkpoint ----------------------------------------

SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_SIGNED = (
    SPEC_BODY + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOo"
    "RDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SPEC_ROOT = bytes.fromhex("0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62")

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "vectors" / "signed_checkpoint_v1.json").read_text(
        "utf-8"
    )
)
LOG = NoteSigner.from_signer_key(VECTORS["log_key"]["signer_key"])
LOG_VERIFIER = NoteVerifier.from_verifier_key(VECTORS["log_key"]["verifier_key"])
WITNESS = WitnessCosigner.from_signer_key(
    VECTORS["witness_key"]["signer_key"], timestamp=VECTORS["witness_key"]["timestamp"]
)
WITNESS_VERIFIER = WitnessVerifier.from_verifier_key(VECTORS["witness_key"]["verifier_key"])
ORIGIN = VECTORS["log_key"]["name"]
CHECKPOINT = Checkpoint(ORIGIN, 20852163, SPEC_ROOT)


def test_spec_markdown_still_holds_the_pinned_example() -> None:
    spec = shared_data("specs/c2sp/tlog-checkpoint.md").read_text("utf-8")
    assert SPEC_SIGNED in spec


def test_spec_example_parses_and_formats_back() -> None:
    checkpoint = parse_checkpoint(SPEC_BODY)
    assert checkpoint == Checkpoint("example.com/behind-the-sofa", 20852163, SPEC_ROOT)
    assert format_checkpoint(checkpoint) == SPEC_BODY


def test_spec_example_signature_is_by_an_unknown_key() -> None:
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(SPEC_SIGNED, LOG_VERIFIER, origin="example.com/behind-the-sofa")


# --- the project's golden vectors ---------------------------------------------------


def _checkpoint(fields: dict[str, Any]) -> Checkpoint:
    return Checkpoint(
        fields["origin"],
        fields["tree_size"],
        bytes.fromhex(fields["root_hash_hex"]),
        tuple(fields["extensions"]),
    )


def test_vector_keys() -> None:
    seed = bytes.fromhex(VECTORS["log_key"]["seed_hex"])
    assert LOG == NoteSigner.from_seed(ORIGIN, seed)
    assert LOG.verifier() == LOG_VERIFIER
    assert WITNESS.verifier() == WITNESS_VERIFIER


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["description"][:30])
def test_golden_signed_checkpoints(vector: dict[str, Any]) -> None:
    checkpoint = _checkpoint(vector["checkpoint"])
    assert format_checkpoint(checkpoint) == vector["body"]
    assert parse_checkpoint(vector["body"]) == checkpoint
    assert sign_checkpoint(checkpoint, [LOG]) == vector["signed_by_log"]
    assert sign_checkpoint(checkpoint, [LOG, WITNESS]) == vector["signed_by_log_and_witness"]
    assert cosignature_message(vector["body"].encode(), WITNESS.timestamp) == vector[
        "cosigned_message"
    ].encode("utf-8")
    assert open_checkpoint(vector["signed_by_log"], LOG_VERIFIER) == checkpoint
    opened = open_checkpoint(
        vector["signed_by_log_and_witness"], LOG_VERIFIER, [WITNESS_VERIFIER], witness_quorum=1
    )
    assert opened == checkpoint


def test_empty_tree_body_is_exact() -> None:
    empty = VECTORS["vectors"][0]
    assert empty["body"] == f"{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"


# --- open_checkpoint rules ----------------------------------------------------------


def test_witness_alone_is_not_enough() -> None:
    signed = sign_checkpoint(CHECKPOINT, [WITNESS])
    with pytest.raises(NoteVerificationError, match="log key"):
        open_checkpoint(signed, LOG_VERIFIER, [WITNESS_VERIFIER])


def test_bad_log_signature() -> None:
    signed = sign_checkpoint(CHECKPOINT, [LOG])
    tampered = signed.replace("20852163", "20852164")
    with pytest.raises(InvalidNoteSignatureError):
        open_checkpoint(tampered, LOG_VERIFIER)


def test_bad_witness_signature_rejects_whole_checkpoint() -> None:
    log_line = sign_checkpoint(CHECKPOINT, [LOG]).split("\n\n")[1]
    other_body = format_checkpoint(dataclasses.replace(CHECKPOINT, tree_size=1))
    witness_line = sign_note(other_body, [WITNESS]).split("\n\n")[1]
    signed = format_checkpoint(CHECKPOINT) + "\n" + log_line + witness_line
    with pytest.raises(InvalidNoteSignatureError, match="regulator.example/witness"):
        open_checkpoint(signed, LOG_VERIFIER, [WITNESS_VERIFIER])
    # Without the witness configured its line is unknown, so it is ignored.
    assert open_checkpoint(signed, LOG_VERIFIER) == CHECKPOINT


def test_unknown_signatures_ignored_but_not_counted() -> None:
    stranger = NoteSigner.from_seed("stranger.example", b"\x07" * 32)
    signed = sign_checkpoint(CHECKPOINT, [stranger, LOG])
    assert open_checkpoint(signed, LOG_VERIFIER, [WITNESS_VERIFIER]) == CHECKPOINT
    with pytest.raises(NoteVerificationError, match="0 witness cosignatures, 1 required"):
        open_checkpoint(signed, LOG_VERIFIER, [WITNESS_VERIFIER], witness_quorum=1)
    note = open_note(signed, [LOG_VERIFIER])
    assert [s.name for s in note.unverified_signatures] == ["stranger.example"]


def test_origin_must_match() -> None:
    other = dataclasses.replace(CHECKPOINT, origin="other.example/log")
    signed = sign_checkpoint(other, [LOG])
    with pytest.raises(NoteVerificationError, match="origin"):
        open_checkpoint(signed, LOG_VERIFIER)
    assert open_checkpoint(signed, LOG_VERIFIER, origin="other.example/log") == other


def test_errors_are_verification_errors() -> None:
    assert issubclass(InvalidNoteSignatureError, VerificationError)
    assert issubclass(UnverifiedNoteError, VerificationError)


# --- strict parsing -----------------------------------------------------------------

ROOT_B64 = base64.b64encode(SPEC_ROOT).decode()
URLSAFE_ROOT_B64 = base64.urlsafe_b64encode(bytes([0xFB]) * 32).decode()


@pytest.mark.parametrize(
    "body",
    [
        f"o\n1\n{ROOT_B64}",  # no final newline
        "o\n1\n",  # two lines
        "",
        "\n",
        f"\n1\n{ROOT_B64}\n",  # empty origin
        f"o\n\n{ROOT_B64}\n",  # empty size
        "o\n1\n\n",  # empty root
        f"o\n01\n{ROOT_B64}\n",  # leading zero
        f"o\n00\n{ROOT_B64}\n",
        f"o\n+1\n{ROOT_B64}\n",
        f"o\n-1\n{ROOT_B64}\n",
        f"o\n 1\n{ROOT_B64}\n",
        f"o\n1 \n{ROOT_B64}\n",
        f"o\n1_0\n{ROOT_B64}\n",
        f"o\n0x10\n{ROOT_B64}\n",
        f"o\n1e3\n{ROOT_B64}\n",
        f"o\n\u0661\n{ROOT_B64}\n",  # ARABIC-INDIC DIGIT ONE: int() would take it
        f"o\n{2**63}\n{ROOT_B64}\n",  # above int64
        f"o\n{2**64}\n{ROOT_B64}\n",
        f"o\n1\n{ROOT_B64[:-1]}\n",  # missing padding
        f"o\n1\n{ROOT_B64.rstrip('=')}\n",
        f"o\n1\n{URLSAFE_ROOT_B64}\n",  # URL-safe alphabet
        f"o\n1\n{base64.b64encode(bytes(31)).decode()}\n",  # 31 bytes
        f"o\n1\n{base64.b64encode(bytes(33)).decode()}\n",  # 33 bytes
        f"o\n1\n{ROOT_B64[:42]}J=\n",  # non-canonical: stray low bits
        f"o\n1\n {ROOT_B64}\n",
        f"o\n1\n{ROOT_B64}\n\n",  # empty extension line
        f"o\n1\n{ROOT_B64}\next\n\n",
        f"o\n1\n{ROOT_B64}\nex\tt\n",  # control character
        f"o\r\n1\n{ROOT_B64}\n",
    ],
)
def test_strict_parse_rejects(body: str) -> None:
    with pytest.raises(NoteFormatError):
        parse_checkpoint(body)


def test_parse_accepts_edges() -> None:
    assert parse_checkpoint(f"o\n0\n{ROOT_B64}\n").tree_size == 0
    assert parse_checkpoint(f"o\n{MAX_TREE_SIZE}\n{ROOT_B64}\n").tree_size == 2**63 - 1
    assert parse_checkpoint(f"o o+p\n1\n{ROOT_B64}\na b\nc\n").extensions == ("a b", "c")


@pytest.mark.parametrize(
    "changes",
    [
        {"origin": ""},
        {"origin": "a\nb"},
        {"tree_size": -1},
        {"tree_size": 2**63},
        {"tree_size": True},
        {"root_hash": bytes(31)},
        {"root_hash": "00" * 32},
        {"extensions": ("",)},
        {"extensions": ("a\nb",)},
        {"extensions": ["list"]},
    ],
)
def test_construction_validates(changes: dict[str, object]) -> None:
    with pytest.raises(NoteFormatError):
        dataclasses.replace(CHECKPOINT, **changes)  # type: ignore[arg-type]


# --- properties ---------------------------------------------------------------------

lines = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], min_codepoint=0x20),
    min_size=1,
    max_size=30,
)
checkpoints = st.builds(
    Checkpoint,
    origin=lines,
    tree_size=st.integers(min_value=0, max_value=MAX_TREE_SIZE),
    root_hash=st.binary(min_size=32, max_size=32),
    extensions=st.lists(lines, max_size=3).map(tuple),
)


@given(checkpoints)
def test_format_parse_round_trip(checkpoint: Checkpoint) -> None:
    body = format_checkpoint(checkpoint)
    assert parse_checkpoint(body) == checkpoint
    assert format_checkpoint(parse_checkpoint(body)) == body


@settings(max_examples=30)
@given(checkpoints, st.integers(min_value=0, max_value=2**63 - 1))
def test_sign_open_round_trip(checkpoint: Checkpoint, timestamp: int) -> None:
    signed = sign_checkpoint(checkpoint, [LOG, WITNESS.at(timestamp)])
    opened = open_checkpoint(
        signed, LOG_VERIFIER, [WITNESS_VERIFIER], origin=checkpoint.origin, witness_quorum=1
    )
    assert opened == checkpoint
