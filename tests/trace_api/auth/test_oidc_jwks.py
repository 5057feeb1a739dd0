"""The issuer's JWKS when it fails or is malformed (issue 13): retried with backoff, never
locked out beyond a short backoff, a clear 503 problem and never a 500.

A JWKS server on loopback plays the issuer: it answers from a script of responses (status,
body), one per request, and records when each request came.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from testing.loopback_http import serve_json
from testing.system import LiveSystem, OidcIssuer
from trace_api.app import create_app
from trace_api.auth.oidc import (
    JWKS_FAILURE_BACKOFF_S,
    JWKS_FETCH_ATTEMPTS,
    JWKS_MAX_BYTES,
    JWKS_RETRY_BASE_DELAY_S,
    IdentityProviderUnavailable,
    JwksCache,
    OidcVerifier,
    TokenRejected,
)
from trace_api.settings import ApiSettings

PROBLEM = "https://traceledger.dev/problems/identity-provider-unavailable"


@dataclass
class JwksServer:
    """A loopback HTTP server answering GETs from `script` (the last entry repeats)."""

    script: list[tuple[int, bytes]]
    requests: list[float] = field(default_factory=list)
    url: str = ""

    def answer(self) -> tuple[int, bytes]:
        self.requests.append(time.monotonic())
        return self.script[min(len(self.requests), len(self.script)) - 1]


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    state = JwksServer(script=[])

    with serve_json(lambda _request: state.answer()) as base_url:
        state.url = f"{base_url}/certs"
        yield state


@pytest.fixture
def issuer(tmp_path: Path) -> OidcIssuer:
    return OidcIssuer(jwks_file=tmp_path / "jwks.json")


def _verifier(url: str, issuer: OidcIssuer, refresh_interval_s: float = 3600.0) -> OidcVerifier:
    settings = ApiSettings(
        database_url="sqlite://", mirror_database_url="sqlite://", rpc_url="http://127.0.0.1:1",
        node_data_dir=Path("/nonexistent"), oidc_issuer=issuer.issuer,
        oidc_audience=issuer.audience, oidc_jwks_url=url,
        oidc_jwks_refresh_interval_s=refresh_interval_s,
    )
    return OidcVerifier(settings)


def test_jwks_failure_is_retried_with_backoff(jwks_server: JwksServer, issuer: OidcIssuer) -> None:
    good = issuer.jwks_file.read_bytes()
    jwks_server.script = [(503, b"starting"), (500, b"oops"), (200, good)]
    principal = _verifier(jwks_server.url, issuer).verify(issuer.token())
    assert principal.subject == "inspector-7"
    assert len(jwks_server.requests) == 3 == JWKS_FETCH_ATTEMPTS
    first_gap, second_gap = (later - earlier for earlier, later
                             in zip(jwks_server.requests, jwks_server.requests[1:]))
    assert first_gap >= JWKS_RETRY_BASE_DELAY_S
    assert second_gap >= 2 * JWKS_RETRY_BASE_DELAY_S  # exponential, not constant


def test_jwks_failure_locks_out_only_for_the_short_backoff(
    jwks_server: JwksServer, issuer: OidcIssuer
) -> None:
    good = issuer.jwks_file.read_bytes()
    jwks_server.script = [(502, b"")] * JWKS_FETCH_ATTEMPTS + [(200, good)]
    verifier = _verifier(jwks_server.url, issuer)
    with pytest.raises(IdentityProviderUnavailable) as failed:
        verifier.verify(issuer.token())
    assert "HTTP 502" in failed.value.reason
    assert len(jwks_server.requests) == JWKS_FETCH_ATTEMPTS
    # Within the backoff: answered at once, without asking the issuer again.
    with pytest.raises(IdentityProviderUnavailable) as fast:
        verifier.verify(issuer.token())
    assert fast.value.retry_after_s <= JWKS_FAILURE_BACKOFF_S
    assert len(jwks_server.requests) == JWKS_FETCH_ATTEMPTS
    # After it (2 s, not the 30 s refresh interval, not the hour configured here): asked again.
    time.sleep(JWKS_FAILURE_BACKOFF_S + 0.1)
    assert verifier.verify(issuer.token()).subject == "inspector-7"
    assert len(jwks_server.requests) == JWKS_FETCH_ATTEMPTS + 1


def _malformed_documents(issuer: OidcIssuer) -> dict[str, bytes]:
    key = json.loads(issuer.jwks_file.read_text())["keys"][0]
    return {
        "list": json.dumps([key]).encode(),
        "no keys": b'{"issuer": "x"}',
        "keys not a list": json.dumps({"keys": key}).encode(),
        "entry not an object": json.dumps({"keys": [key, "rsa-1"]}).encode(),
        "no usable key": json.dumps({"keys": [{"kid": "k", "kty": "RSA", "n": 5}]}).encode(),
        "not json": b"<html>login</html>",
        "too deep": b'{"keys": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        "oversized": json.dumps({"keys": [key], "pad": "x" * JWKS_MAX_BYTES}).encode(),
    }


def test_malformed_jwks_is_unavailable_and_not_retried(
    jwks_server: JwksServer, issuer: OidcIssuer
) -> None:
    for name, document in _malformed_documents(issuer).items():
        jwks_server.requests.clear()
        jwks_server.script = [(200, document)]
        with pytest.raises(IdentityProviderUnavailable) as failed:
            _verifier(jwks_server.url, issuer).verify(issuer.token())
        assert failed.value.reason.startswith("malformed JWKS"), name
        assert len(jwks_server.requests) == 1, name  # a misconfiguration: no retries


def test_unusable_entries_are_skipped_beside_good_keys(tmp_path: Path, issuer: OidcIssuer) -> None:
    document = json.loads(issuer.jwks_file.read_text())
    document["keys"] += [{"kid": "enc-1", "use": "enc", "kty": "RSA"},
                         {"kid": "odd", "kty": "OKP", "crv": "X448", "x": "AA"},
                         {"kty": "EC"}]
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(document))
    cache = JwksCache(url=None, file=path, refresh_interval_s=0.0)
    assert cache.key("rsa-1") is not None and cache.key("ec-1") is not None
    assert cache.key("enc-1") is None and cache.key("odd") is None


def test_a_deeply_nested_token_header_is_401_not_500(
    jwks_server: JwksServer, issuer: OidcIssuer
) -> None:
    header = base64.urlsafe_b64encode(b'{"a":' + b"[" * 5_000 + b"]" * 5_000 + b"}").rstrip(b"=")
    token = header.decode() + ".e30.c2ln"
    with pytest.raises(TokenRejected):
        _verifier(jwks_server.url, issuer).verify(token)
    assert jwks_server.requests == []


@pytest.mark.parametrize("case", ["list", "down"])
def test_jwks_list_is_503_problem(
    live_system: LiveSystem, jwks_server: JwksServer, issuer: OidcIssuer, case: str
) -> None:
    if case == "list":
        jwks_server.script = [(200, _malformed_documents(issuer)["list"])]
    else:
        jwks_server.script = [(500, b"")]
    settings = live_system.settings(oidc_jwks_file=None, oidc_jwks_url=jwks_server.url,
                                    oidc_issuer=issuer.issuer, oidc_audience=issuer.audience)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/v1/enterprises", headers=live_system.auth(issuer.token()))
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == PROBLEM
        assert int(response.headers["retry-after"]) >= 1
        # API keys do not depend on the issuer: the admin still gets in.
        assert client.get("/v1/enterprises", headers=live_system.admin_headers).status_code == 200
