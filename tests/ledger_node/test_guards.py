"""The request checks of ledger_node/rpc/guards.py on plain values (the running node's
answers are in test_hardening.py)."""

from __future__ import annotations

import pytest

from ledger_node.rpc.guards import content_type_allowed, host_allowed, host_name, origin_allowed


@pytest.mark.parametrize(
    ("header", "name"),
    [("127.0.0.1:8545", "127.0.0.1"), ("[::1]:8545", "::1"), ("[::1]", "::1"),
     ("LocalHost.:80", "localhost"), ("node.example", "node.example"), ("::1", "::1")],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    ("header", "allowed", "expected"),
    [
        (None, (), True),  # no Host (HTTP/1.0, not a browser): as geth
        ("127.0.0.1:1", (), True),
        ("127.9.9.9", (), True),
        ("localhost:8545", (), True),
        ("[::1]:8545", (), True),
        ("evil.example", (), False),
        ("localhost.evil.example", (), False),
        ("127.0.0.1.nip.io", (), False),
        ("0.0.0.0:8545", (), False),
        ("10.1.2.3:8545", ("10.1.2.3",), True),  # the listen host is passed in `allowed`
        ("node.example:8545", ("node.example",), True),
        ("anything", ("*",), True),
    ],
)
def test_host_allowed(header: str | None, allowed: tuple[str, ...], expected: bool) -> None:
    assert host_allowed(header, allowed) is expected


def test_origin_allowed() -> None:
    assert origin_allowed(None, ())
    assert not origin_allowed("http://127.0.0.1:8000", ())
    assert not origin_allowed("null", ())  # sandboxed frames and file:// pages
    assert origin_allowed("http://console.example/", ("http://console.example",))
    assert not origin_allowed("http://console.example.evil", ("http://console.example",))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ('APPLICATION/JSON;Charset="UTF-8"', True),
        (None, False),
        ("", False),
        ("text/plain", False),
        ("text/plain; charset=utf-8", False),
        ("application/x-www-form-urlencoded", False),
        ("multipart/form-data; boundary=x", False),
        ("application/json; charset=utf-16", False),
        ("application/json; boundary=x", False),
        ("application/jsonp", False),
    ],
)
def test_content_type_allowed(value: str | None, expected: bool) -> None:
    assert content_type_allowed(value) is expected
