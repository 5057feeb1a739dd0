"""Encrypted key files: round trip, wrong passphrase, permissions, no secret in errors."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from anchoring.core.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from anchoring.core.note import NoteVerifier
from anchoring.errors import KeyFileError
from anchoring.keys import (
    create_key_file,
    decrypt_signer_key,
    load_log_signer,
    load_witness_cosigner,
    read_passphrase,
    read_verifier_key,
)

FAST_N = 2**10  # the format records N; tests use a cheap one


def test_log_key_round_trip_signs_verifiable_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "log.key"
    verifier_key = create_key_file(path, "log.example/trace", "correct horse", scrypt_n=FAST_N)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_verifier_key(path) == verifier_key
    signer = load_log_signer(path, "correct horse")
    signed = sign_checkpoint(Checkpoint("log.example/trace", 1, bytes(32)), [signer])
    assert open_checkpoint(signed, NoteVerifier.from_verifier_key(verifier_key)).tree_size == 1
    secret = decrypt_signer_key(path, "correct horse")
    assert secret.startswith("PRIVATE+KEY+log.example/trace+")
    assert secret not in path.read_text() and "PRIVATE" not in path.read_text()
    assert "seed" not in repr(signer) or repr(signer.seed) not in repr(signer)


def test_wrong_passphrase_and_overwrite_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.key"
    create_key_file(path, "witness.example", "right", witness=True, scrypt_n=FAST_N)
    with pytest.raises(KeyFileError, match="wrong passphrase") as caught:
        load_witness_cosigner(path, "wrong")
    assert "right" not in str(caught.value)
    assert load_witness_cosigner(path, "right").name == "witness.example"
    with pytest.raises(KeyFileError):
        create_key_file(path, "witness.example", "right", scrypt_n=FAST_N)
    # A tampered public key no longer authenticates the ciphertext (GCM associated data).
    path.write_text(path.read_text().replace(read_verifier_key(path)[-6:], "AAAAAA"))
    with pytest.raises(KeyFileError):
        decrypt_signer_key(path, "right")


def test_passphrase_comes_from_file_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "pass"
    secret_file.write_text("from file\nignored\n")
    assert read_passphrase(secret_file) == "from file"
    monkeypatch.setenv("TRACELEDGER_KEY_PASSPHRASE", "from env")
    assert read_passphrase() == "from env"
    monkeypatch.delenv("TRACELEDGER_KEY_PASSPHRASE")
    with pytest.raises(KeyFileError):
        read_passphrase()
