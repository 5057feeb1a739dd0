"""Odd and hostile credentials are answered with 401 problems, never a server error."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from testing.system import LiveSystem


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


HOSTILE_HEADERS: list[tuple[str, bytes]] = [
    ("bearer without token", b"Bearer"),
    ("latin-1 bytes", b"Bearer \xff\xfe\xfd"),
    ("huge token", b"Bearer " + b"A" * 7000),
    ("huge api key", b"Bearer tlk_" + b"a" * 7000),
    ("api key with a bad id", b"Bearer tlk_ZZZZZZZZZZZZZZZZ_" + b"A" * 43),
    ("jwt header is a list", f"Bearer {_b64([])}.{_b64({})}.c2ln".encode()),
    ("jwt kid is a number", f"Bearer {_b64({'alg': 'RS256', 'kid': 7})}.{_b64({})}.c2ln".encode()),
    ("jwt without kid", f"Bearer {_b64({'alg': 'ES256'})}.{_b64({})}.c2ln".encode()),
    ("jwt with bad base64", b"Bearer eyJ!!!.e30.x"),
    ("two dots only", b"Bearer .."),
]


@pytest.mark.parametrize(("name", "value"), HOSTILE_HEADERS, ids=[n for n, _ in HOSTILE_HEADERS])
def test_hostile_authorization_headers_are_401(live_system: LiveSystem, name: str,
                                               value: bytes) -> None:
    response = httpx.get(f"{live_system.api_url}/v1/enterprises",
                         headers=[(b"Authorization", value)])
    assert response.status_code == 401, (name, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith('Bearer realm="traceledger"')
