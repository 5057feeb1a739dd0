"""Witness cosignatures, c2sp.org/tlog-cosignature v1 (anchoring/core/cosignature.py)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from anchoring.core.cosignature import (
    MAX_TIMESTAMP,
    WitnessCosigner,
    WitnessVerifier,
    cosignature_message,
    cosignature_timestamp,
)
from anchoring.core.errors import (
    InvalidNoteSignatureError,
    KeyFormatError,
    NoteFormatError,
    UnverifiedNoteError,
)
from anchoring.core.note import (
    ALG_COSIGNATURE_V1,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    generate_signer_key,
    open_note,
    sign_note,
)
from tests.shared_data import shared_data

# --- the example in c2sp.org/tlog-cosignature ---------------------------------------

SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_LOG_SIG = (
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SPEC_WITNESS_SIG = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJ"
    "sX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
SPEC_COSIGNED = SPEC_BODY + "\n" + SPEC_LOG_SIG + SPEC_WITNESS_SIG
SPEC_MESSAGE = "cosignature/v1\ntime 1679315147\n" + SPEC_BODY

# --- from github.com/transparency-dev/formats note/note_cosigv1_test.go -------------------
TD_NATIVE_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
TD_ED25519_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
TD_COSIG_B64 = (
    "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEB"
    "YJXORmnFBOBA=="
)
TD_PLAIN_SIG_B64 = (
    "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="
)

LOG = NoteSigner.from_seed("example.com/log", hashlib.sha256(b"log").digest())
WITNESS = WitnessCosigner.from_seed(
    "regulator.example/w1", hashlib.sha256(b"witness").digest(), timestamp=1718000000
)


def _blob(b64: str) -> NoteSignature:
    raw = base64.b64decode(b64)
    return NoteSignature("x", int.from_bytes(raw[:4], "big"), raw[4:])


def test_spec_markdown_still_holds_the_pinned_example() -> None:
    spec = shared_data("specs/c2sp/tlog-cosignature.md").read_text("utf-8")
    assert SPEC_COSIGNED in spec
    assert "    " + SPEC_MESSAGE.replace("\n", "\n    ").rstrip(" ") in spec


def test_spec_example_cosignature_line_decodes() -> None:
    with pytest.raises(UnverifiedNoteError) as caught:
        open_note(SPEC_COSIGNED, [])
    log_sig, witness_sig = caught.value.note.unverified_signatures
    assert (witness_sig.name, witness_sig.key_id) == ("witness.example.com/w1", 0x8D66CF3F)
    assert len(witness_sig.signature) == 8 + 64
    assert cosignature_timestamp(witness_sig) == 1679315147
    assert (log_sig.name, log_sig.key_id, len(log_sig.signature)) == (
        "example.com/behind-the-sofa",
        0x033DE0AE,
        64,
    )


def test_spec_example_signed_message() -> None:
    assert cosignature_message(SPEC_BODY.encode(), 1679315147) == SPEC_MESSAGE.encode()


def test_transparency_dev_vectors() -> None:
    verifier = WitnessVerifier.from_verifier_key(TD_NATIVE_VKEY)
    assert (verifier.name, verifier.key_id) == ("remora.n621.de", 0xDA77ADE7)
    assert verifier.verifier_key == TD_NATIVE_VKEY
    with pytest.raises(KeyFormatError, match="type 0x01"):
        WitnessVerifier.from_verifier_key(TD_ED25519_VKEY)
    NoteVerifier.from_verifier_key(TD_ED25519_VKEY)
    with pytest.raises(KeyFormatError, match="type 0x04"):
        NoteVerifier.from_verifier_key(TD_NATIVE_VKEY)
    assert cosignature_timestamp(_blob(TD_COSIG_B64)) == 1727964367
    with pytest.raises(NoteFormatError):
        cosignature_timestamp(_blob(TD_PLAIN_SIG_B64))


# --- signing and verifying ----------------------------------------------------------


def _naive_cosignature(seed: bytes, name: str, text: str, timestamp: int) -> str:
    # Independent of the module: straight from tlog-cosignature §Format and §Ed25519.
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes_raw()
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
    blob = key_id + timestamp.to_bytes(8, "big") + key.sign(message)
    return f"— {name} {base64.b64encode(blob).decode()}\n"


def test_cosignature_matches_naive_reference() -> None:
    signed = sign_note(SPEC_BODY, [LOG, WITNESS])
    assert signed.endswith(
        _naive_cosignature(WITNESS.seed, WITNESS.name, SPEC_BODY, WITNESS.timestamp)
    )


def test_log_and_witness_on_one_note() -> None:
    signed = sign_note(SPEC_BODY, [LOG, WITNESS])
    note = open_note(signed, [LOG.verifier(), WITNESS.verifier()])
    assert [s.name for s in note.signatures] == ["example.com/log", "regulator.example/w1"]
    assert cosignature_timestamp(note.signatures[1]) == 1718000000
    # A witness may add its line to a note the log signed earlier.
    log_only = open_note(sign_note(SPEC_BODY, [LOG]), [LOG.verifier()])
    later = sign_note(log_only.text, [WITNESS.at(1718000600)], existing=log_only.signatures)
    again = open_note(later, [LOG.verifier(), WITNESS.verifier()])
    assert cosignature_timestamp(again.signatures[1]) == 1718000600


def test_cosignature_covers_timestamp_and_body() -> None:
    signed = sign_note(SPEC_BODY, [WITNESS])
    line = signed.split("\n\n")[1]
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[11] ^= 1  # last byte of the timestamp
    forged = SPEC_BODY + "\n— regulator.example/w1 " + base64.b64encode(raw).decode() + "\n"
    with pytest.raises(InvalidNoteSignatureError):
        open_note(forged, [WITNESS.verifier()])
    with pytest.raises(InvalidNoteSignatureError):
        open_note(signed.replace("20852163", "20852164"), [WITNESS.verifier()])


def test_timestamp_above_2_63_fails() -> None:
    signed = sign_note(SPEC_BODY, [WITNESS])
    raw = bytearray(base64.b64decode(signed.split("\n\n")[1].split(" ")[2]))
    raw[4] |= 0x80
    forged = SPEC_BODY + "\n— regulator.example/w1 " + base64.b64encode(raw).decode() + "\n"
    with pytest.raises(InvalidNoteSignatureError):
        open_note(forged, [WITNESS.verifier()])
    with pytest.raises(NoteFormatError):
        WITNESS.at(MAX_TIMESTAMP + 1)
    with pytest.raises(NoteFormatError):
        WITNESS.at(-1)
    WITNESS.at(MAX_TIMESTAMP)


def test_plain_and_cosignature_key_ids_differ() -> None:
    # Same name and key, type 0x01 vs 0x04: different key IDs, so neither verifies the other.
    seed = WITNESS.seed
    plain = NoteSigner.from_seed(WITNESS.name, seed)
    assert plain.key_id != WITNESS.key_id
    with pytest.raises(UnverifiedNoteError):
        open_note(sign_note(SPEC_BODY, [WITNESS]), [plain.verifier()])
    with pytest.raises(UnverifiedNoteError):
        open_note(sign_note(SPEC_BODY, [plain]), [WITNESS.verifier()])


def test_wrong_length_cosignature_is_invalid() -> None:
    line = NoteSignature(WITNESS.name, WITNESS.key_id, b"\x00" * 64).format_line()
    with pytest.raises(InvalidNoteSignatureError):
        open_note(SPEC_BODY + "\n" + line, [WITNESS.verifier()])


def test_witness_keys_from_strings() -> None:
    skey, vkey = generate_signer_key(
        "regulator.example/w1", WITNESS.seed, signature_type=ALG_COSIGNATURE_V1
    )
    assert WitnessCosigner.from_signer_key(skey, timestamp=1718000000) == WITNESS
    assert WitnessVerifier.from_verifier_key(vkey) == WITNESS.verifier()
    assert WITNESS.verifier().verifier_key == vkey
    # A Go note.GenerateKey (type 0x01) signer key is accepted, as transparency-dev does.
    plain_skey, _ = generate_signer_key("regulator.example/w1", WITNESS.seed)
    assert WitnessCosigner.from_signer_key(plain_skey, timestamp=1718000000) == WITNESS
    with pytest.raises(KeyFormatError):
        NoteSigner.from_signer_key(skey)


def test_cosigner_repr_hides_seed() -> None:
    assert WITNESS.seed.hex() not in repr(WITNESS) and repr(WITNESS.seed) not in repr(WITNESS)


@settings(max_examples=30)
@given(
    st.integers(min_value=0, max_value=MAX_TIMESTAMP),
    st.text(alphabet="abcxyz0123456789/.", min_size=1, max_size=20),
)
def test_round_trip(timestamp: int, origin: str) -> None:
    body = f"{origin}\n1\n{base64.b64encode(bytes(32)).decode()}\n"
    cosigner = WITNESS.at(timestamp)
    signed = sign_note(body, [cosigner])
    assert signed.endswith(_naive_cosignature(WITNESS.seed, WITNESS.name, body, timestamp))
    (sig,) = open_note(signed, [WITNESS.verifier()]).signatures
    assert cosignature_timestamp(sig) == timestamp
