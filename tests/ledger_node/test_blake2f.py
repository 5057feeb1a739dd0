"""Our BLAKE2F (ledger_node/blake2f.py) against hashlib's BLAKE2b, py-evm's precompile and
the EIP-152 test vectors; and the deadline that stops a long one."""

from __future__ import annotations

import hashlib
import struct
import time

import pytest
from eth._utils.blake2.coders import extract_blake2b_parameters
from eth._utils.blake2.compression import blake2b_compress
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_node import blake2f
from ledger_node.deadline import ExecutionTimeout, check_deadline, execution_deadline

WORD = st.integers(min_value=0, max_value=2**64 - 1)

# EIP-152 vectors 4-7 (input hex, expected output hex). Vector 5 (12 rounds of "abc") is
# also BLAKE2b-512("abc"), RFC 7693 Appendix A, checked against hashlib below.
_H = ("48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
      "d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b")
_M = "6162630000000000" + "0" * 240
_T = "0300000000000000" + "0" * 16
EIP152_VECTORS = [
    ("00000000" + _H + _M + _T + "01",
     ("08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
     "d282e6ad7f520e511f6c3e2b8c68059b9442be0454267ce079217e1319cde05b")),
    ("0000000c" + _H + _M + _T + "01",
     ("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
     "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")),
    ("0000000c" + _H + _M + _T + "00",
     ("75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d28752"
     "98743e7f6d5ea2f2d3e8d226039cd31b4e426ac4f2d3d666a610c2116fde4735")),
    ("00000001" + _H + _M + _T + "01",
     ("b63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fb"
     "a551b3a8333bcdf5f2f7e08993d53923de3d64fcc68c034e717b9293fed7a421")),
]


def _compress_input(data: bytes) -> bytes:
    return blake2f.compress(*extract_blake2b_parameters(data))


@pytest.mark.parametrize(("input_hex", "output_hex"), EIP152_VECTORS)
def test_eip152_vectors(input_hex: str, output_hex: str) -> None:
    data = bytes.fromhex(input_hex)
    assert _compress_input(data).hex() == output_hex
    assert blake2b_compress(*extract_blake2b_parameters(data)).hex() == output_hex


def test_twelve_rounds_of_abc_is_blake2b_512() -> None:
    state = list(blake2f.IV)
    state[0] ^= 0x01010000 ^ 64  # RFC 7693 §2.5 parameter block: digest length 64, no key
    message = struct.unpack("<16Q", b"abc".ljust(128, b"\0"))
    digest = blake2f.compress(12, state, message, (3, 0), True)
    assert digest == hashlib.blake2b(b"abc").digest()


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=40), st.lists(WORD, min_size=8, max_size=8),
       st.lists(WORD, min_size=16, max_size=16), st.lists(WORD, min_size=2, max_size=2),
       st.booleans())
def test_agrees_with_py_evm(rounds: int, state: list[int], message: list[int],
                            counters: list[int], final: bool) -> None:
    ours = blake2f.compress(rounds, state, message, counters, final)
    assert ours == blake2b_compress(rounds, tuple(state), tuple(message), tuple(counters), final)


def test_check_is_called_every_interval_and_can_stop_it() -> None:
    calls = []
    blake2f.compress(2 * blake2f.CHECK_EVERY_ROUNDS + 1, [0] * 8, [0] * 16, (0, 0), False,
                     lambda: calls.append(1))
    assert len(calls) == 3
    started = time.monotonic()
    with execution_deadline(0.05), pytest.raises(ExecutionTimeout) as stopped:
        blake2f.compress(2**32 - 1, [0] * 8, [0] * 16, (0, 0), False, check_deadline)
    assert stopped.value.limit_s == 0.05
    assert time.monotonic() - started < 60  # 2**32 rounds would take hours


def test_nested_deadlines_keep_the_earlier_one() -> None:
    with execution_deadline(0.01), execution_deadline(3600):
        time.sleep(0.02)
        with pytest.raises(ExecutionTimeout):
            check_deadline()
    check_deadline()  # no deadline outside: never raises
