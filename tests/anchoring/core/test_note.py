"""C2SP signed notes (anchoring/core/note.py) against the spec's and Go's published examples."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchoring.core.errors import (
    InvalidNoteSignatureError,
    KeyFormatError,
    NoteFormatError,
    NoteVerificationError,
    UnverifiedNoteError,
)
from anchoring.core.note import (
    MAX_SIGNATURES,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    compute_key_id,
    generate_signer_key,
    open_note,
    sign_note,
)
from tests.shared_data import shared_data

# --- examples from c2sp.org/signed-note (../shared/data/specs/c2sp/signed-note.md) ----

SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n"
    "\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRK"
    "uwHjG1Yu72IneyaQM=\n"
)
QUASIMODO_TEXT = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
)
QUASIMODO_NOTE = (
    QUASIMODO_TEXT + "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMo"
    "uFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)

# --- examples from golang.org/x/mod/sumdb/note (doc comment and note_test.go) -------------
# Note: the signer key is "...vxdXHKDFz"; a variant ending "...vxEXUKC6x" that circulates
# derives a key whose ID is b40fa834, not c74f20a3, so it is not the published key.

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_B64 = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
ENOCH_B64 = (
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
)
PETER_SIG = f"— PeterNeumann {PETER_B64}\n"
ENOCH_SIG = f"— EnochRoot {ENOCH_B64}\n"
PETER = NoteSignature("PeterNeumann", 0xC74F20A3, base64.b64decode(PETER_B64)[4:])
ENOCH = NoteSignature("EnochRoot", 0xAF0CFE78, base64.b64decode(ENOCH_B64)[4:])

PETER_VERIFIER = NoteVerifier.from_verifier_key(GO_VKEY)
ENOCH_VERIFIER = NoteVerifier.from_verifier_key(ENOCH_VKEY)


def test_spec_markdown_still_holds_the_pinned_examples() -> None:
    spec = shared_data("specs/c2sp/signed-note.md").read_text("utf-8")
    assert SPEC_VKEY in spec
    assert SPEC_NOTE in spec
    assert QUASIMODO_NOTE in spec


# --- spec examples ------------------------------------------------------------------


def test_spec_example_verifies() -> None:
    verifier = NoteVerifier.from_verifier_key(SPEC_VKEY)
    assert (verifier.name, verifier.key_id) == ("example.com/foo", 0x530D903A)
    assert verifier.verifier_key == SPEC_VKEY
    note = open_note(SPEC_NOTE, [verifier])
    assert note.text == "This is an example message.\n"
    assert [(s.name, s.key_id) for s in note.signatures] == [("example.com/foo", 0x530D903A)]
    assert note.unverified_signatures == ()
    assert note.signatures[0].format_line() == SPEC_NOTE.split("\n\n")[1]


def test_spec_quasimodo_note_splits_at_last_blank_line_and_is_unverified() -> None:
    with pytest.raises(UnverifiedNoteError) as caught:
        open_note(QUASIMODO_NOTE, [PETER_VERIFIER])
    note = caught.value.note
    assert note.text == QUASIMODO_TEXT
    assert note.signatures == ()
    (sig,) = note.unverified_signatures
    assert (sig.name, sig.key_id, len(sig.signature)) == (
        "quasimodo.example/salvatore",
        0x367BA04B,
        64,
    )


# --- Go sumdb/note examples ---------------------------------------------------------


def test_go_signer_key_reproduces_go_signed_note_byte_for_byte() -> None:
    signer = NoteSigner.from_signer_key(GO_SKEY)
    assert (signer.name, signer.key_id) == ("PeterNeumann", 0xC74F20A3)
    assert signer.verifier() == PETER_VERIFIER
    assert sign_note(GO_TEXT, [signer]) == GO_TEXT + "\n" + PETER_SIG


def test_generate_signer_key_matches_go_encoding() -> None:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    assert generate_signer_key("PeterNeumann", seed) == (GO_SKEY, GO_VKEY)


def test_key_id_formula() -> None:
    public_key = base64.b64decode(GO_VKEY.split("+", 2)[2])[1:]
    assert compute_key_id("PeterNeumann", 0x01, public_key) == 0xC74F20A3


def test_go_open_one_known_one_unknown() -> None:
    note = open_note(GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG, [PETER_VERIFIER])
    assert note.text == GO_TEXT
    assert note.signatures == (PETER,)
    assert note.unverified_signatures == (ENOCH,)


def test_go_open_both_known() -> None:
    note = open_note(GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG, [PETER_VERIFIER, ENOCH_VERIFIER])
    assert note.signatures == (PETER, ENOCH)
    assert note.unverified_signatures == ()


def test_go_open_no_known_key() -> None:
    with pytest.raises(UnverifiedNoteError, match="no verifiable signatures") as caught:
        open_note(GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    assert caught.value.note.unverified_signatures == (PETER, ENOCH)


def test_go_open_ambiguous_verifiers() -> None:
    with pytest.raises(NoteVerificationError, match="ambiguous key EnochRoot\\+af0cfe78"):
        open_note(GO_TEXT + "\n" + ENOCH_SIG, [ENOCH_VERIFIER, PETER_VERIFIER, ENOCH_VERIFIER])
    # an ambiguous key nobody signed with does not matter
    open_note(GO_TEXT + "\n" + PETER_SIG, [ENOCH_VERIFIER, PETER_VERIFIER, ENOCH_VERIFIER])


def test_go_too_many_signatures() -> None:
    open_note(GO_TEXT + "\n" + PETER_SIG * MAX_SIGNATURES, [PETER_VERIFIER])
    for verifiers in ([PETER_VERIFIER], []):
        with pytest.raises(NoteFormatError, match="at most 100"):
            open_note(GO_TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1), verifiers)


def test_go_invalid_signature() -> None:
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidNoteSignatureError, match="PeterNeumann\\+c74f20a3") as caught:
        open_note(GO_TEXT + "\n" + bad, [PETER_VERIFIER])
    assert (caught.value.name, caught.value.key_id) == ("PeterNeumann", 0xC74F20A3)


def test_go_duplicates_are_dropped() -> None:
    enoch_abcd = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    signed = GO_TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd
    note = open_note(signed, [PETER_VERIFIER])
    assert note.signatures == (PETER,)
    assert [s.format_line() for s in note.unverified_signatures] == [ENOCH_SIG, enoch_abcd]


@pytest.mark.parametrize(
    "signed",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + PETER_SIG,
        GO_TEXT + "\n" + f"— Bad Name {PETER_B64}",
        GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    ],
    ids=[
        "no-signatures",
        "blank-line-only",
        "no-final-newline",
        "control-char",
        "bad-name",
        "trailing-line",
    ],
)
def test_go_malformed_notes(signed: str) -> None:
    with pytest.raises(NoteFormatError):
        open_note(signed, [PETER_VERIFIER])


def test_go_malformed_note_invalid_utf8() -> None:
    with pytest.raises(NoteFormatError, match="UTF-8"):
        open_note(b"\xff" + (GO_TEXT + "\n" + PETER_SIG).encode(), [PETER_VERIFIER])


def _manglings(key: str) -> list[str]:
    # Go's TestNewVerifier/TestNewSigner: every proper substring, every byte incremented.
    out = {key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)}
    out |= {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}
    out.discard(key)
    return sorted(out)


def test_go_verifier_key_manglings_rejected() -> None:
    for mangled in _manglings(GO_VKEY):
        with pytest.raises(KeyFormatError):
            NoteVerifier.from_verifier_key(mangled)
    for bad in (
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ):
        with pytest.raises(KeyFormatError):
            NoteVerifier.from_verifier_key(bad)


def test_go_signer_key_manglings_rejected() -> None:
    for mangled in _manglings(GO_SKEY):
        with pytest.raises(KeyFormatError):
            NoteSigner.from_signer_key(mangled)


# --- our own rules ------------------------------------------------------------------


def test_uppercase_key_id_rejected() -> None:
    with pytest.raises(KeyFormatError, match="lowercase hex"):
        NoteVerifier.from_verifier_key(GO_VKEY.replace("c74f20a3", "C74F20A3"))


def test_signer_repr_hides_seed() -> None:
    signer = NoteSigner.from_signer_key(GO_SKEY)
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    assert seed.hex() not in repr(signer) and repr(seed) not in repr(signer)


def test_two_signers_and_tampering() -> None:
    log = NoteSigner.from_seed("log.example/a", b"\x01" * 32)
    other = NoteSigner.from_seed("other.example/b", b"\x02" * 32)
    signed = sign_note("hello\n\nworld\n", [log, other])
    note = open_note(signed, [log.verifier(), other.verifier()])
    assert note.text == "hello\n\nworld\n"
    assert [s.name for s in note.signatures] == ["log.example/a", "other.example/b"]
    with pytest.raises(InvalidNoteSignatureError):
        open_note(signed.replace("world", "World"), [log.verifier()])


def test_unknown_key_sharing_name_or_id_is_ignored_not_counted() -> None:
    signer = NoteSigner.from_signer_key(GO_SKEY)
    good = sign_note(GO_TEXT, [signer])
    same_name_other_id = NoteSignature("PeterNeumann", 0xC74F20A4, b"\x00" * 64).format_line()
    same_id_other_name = NoteSignature("PeterNeuman", 0xC74F20A3, b"\x00" * 64).format_line()
    note = open_note(good + same_name_other_id + same_id_other_name, [PETER_VERIFIER])
    assert note.signatures == (PETER,)
    assert [(s.name, s.key_id) for s in note.unverified_signatures] == [
        ("PeterNeumann", 0xC74F20A4),
        ("PeterNeuman", 0xC74F20A3),
    ]
    with pytest.raises(UnverifiedNoteError):
        open_note(GO_TEXT + "\n" + same_name_other_id + same_id_other_name, [PETER_VERIFIER])


def test_existing_signatures_kept_and_replaced() -> None:
    signer = NoteSigner.from_signer_key(GO_SKEY)
    stale = NoteSignature("PeterNeumann", 0xC74F20A3, b"\x00" * 64)
    assert sign_note(GO_TEXT, [signer], existing=[stale]) == GO_TEXT + "\n" + PETER_SIG
    enoch_first = sign_note(GO_TEXT, [signer], existing=[ENOCH])
    assert enoch_first == GO_TEXT + "\n" + ENOCH_SIG + PETER_SIG


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("no newline", "end with a newline"),
        ("", "end with a newline"),
        ("tab\there\n", r"U\+0009"),
        ("cr\r\n", r"U\+000D"),
        ("lone \ud800 surrogate\n", "UTF-8"),
    ],
)
def test_sign_note_rejects_bad_text(text: str, match: str) -> None:
    with pytest.raises(NoteFormatError, match=match):
        sign_note(text, [NoteSigner.from_signer_key(GO_SKEY)])


def test_sign_note_rejects_too_many_signers() -> None:
    signers = [NoteSigner.from_seed(f"k{i}", bytes([i]) * 32) for i in range(MAX_SIGNATURES + 1)]
    with pytest.raises(NoteFormatError):
        sign_note("x\n", signers)


@pytest.mark.parametrize(
    "line",
    [
        f"- PeterNeumann {PETER_B64}",  # hyphen, not em dash
        f"—PeterNeumann {PETER_B64}",  # no space after the dash
        f"— PeterNeumann  {PETER_B64}",  # two spaces: base64 starts with a space
        f"— PeterNeumann{PETER_B64}",  # no space before the signature
        f"— Peter+Neumann {PETER_B64}",  # plus in the name
        f"— Peter\u00a0Neumann {PETER_B64}",  # Unicode space in the name
        f"—  {PETER_B64}",  # empty name
        "— PeterNeumann ",  # empty signature
        "— PeterNeumann x08go/ZJ!uBS9",  # not base64
        f"— PeterNeumann {PETER_B64[:-1]}",  # bad padding
        "— PeterNeumann x08gow==",  # 4 bytes: key ID without signature
        "— PeterNeumann x08gox==",  # non-canonical base64 (stray low bits)
        f"— PeterNeumann {PETER_B64} trailing",  # space inside signature field
    ],
)
def test_malformed_signature_lines(line: str) -> None:
    with pytest.raises(NoteFormatError):
        open_note(GO_TEXT + "\n" + line + "\n", [PETER_VERIFIER])


def test_short_signature_by_known_key_is_invalid_not_malformed() -> None:
    # Key ID and 2 bytes is a well-formed line; as Ed25519 from a known key it fails.
    with pytest.raises(InvalidNoteSignatureError):
        open_note(GO_TEXT + "\n— PeterNeumann x08go/ZJ\n", [PETER_VERIFIER])


def test_note_bytes_accepted() -> None:
    note = open_note((GO_TEXT + "\n" + PETER_SIG).encode(), [PETER_VERIFIER])
    assert note.signatures == (PETER,)


# --- properties ---------------------------------------------------------------------

note_texts = st.lists(
    st.text(
        alphabet=st.characters(exclude_categories=["Cs"], min_codepoint=0x20),
        max_size=30,
    ),
    min_size=1,
    max_size=5,
).map(lambda lines: "\n".join(lines) + "\n")

names = st.text(
    alphabet=st.characters(exclude_categories=["Cs", "Zs", "Zl", "Zp", "Cc"]),
    min_size=1,
    max_size=20,
).filter(lambda name: "+" not in name and not any(ch.isspace() for ch in name))


@settings(max_examples=50)
@given(
    note_texts,
    st.lists(
        st.tuples(names, st.binary(min_size=32, max_size=32)),
        min_size=1,
        max_size=3,
        unique_by=lambda pair: pair[0],
    ),
)
def test_sign_open_round_trip(text: str, keys: list[tuple[str, bytes]]) -> None:
    signers = [NoteSigner.from_seed(name, seed) for name, seed in keys]
    skey, vkey = generate_signer_key(*keys[0])
    assert NoteSigner.from_signer_key(skey) == signers[0]
    assert NoteVerifier.from_verifier_key(vkey) == signers[0].verifier()
    signed = sign_note(text, signers)
    note = open_note(signed, [s.verifier() for s in signers])
    assert note.text == text
    assert [s.name for s in note.signatures] == [name for name, _ in keys]
    assert sign_note(text, signers) == signed  # Ed25519 is deterministic
