"""Regulator sign-in with OIDC bearer tokens, against the session's local issuer (an RSA
and an EC key in a JWKS file the live API is configured with)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from testing.loopback_http import PeerRequest, serve_json
from testing.system import LiveSystem, OidcIssuer
from trace_api.app import create_app


def _enterprises(live: LiveSystem, token: str) -> httpx.Response:
    return httpx.get(f"{live.api_url}/v1/enterprises", headers=live.auth(token))


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_valid_regulator_token_signs_in(live_system: LiveSystem, algorithm: str) -> None:
    token = live_system.oidc.token(roles=["regulator"], algorithm=algorithm)
    assert _enterprises(live_system, token).status_code == 200


def test_role_claim_as_a_string_and_admin_role(live_system: LiveSystem) -> None:
    assert _enterprises(live_system, live_system.oidc.token(roles="regulator")).status_code == 200
    admin = live_system.oidc.token(roles=["viewer", "admin"])
    keys = httpx.get(f"{live_system.api_url}/v1/api-keys", headers=live_system.auth(admin))
    assert keys.status_code == 200


def _part(value: dict[str, object] | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unsigned(claims: dict[str, object]) -> str:
    return f"{_part({'alg': 'none', 'kid': 'rsa-1', 'typ': 'JWT'})}.{_part(claims)}."


def _hmac_signed(claims: dict[str, object], secret: bytes) -> str:
    """HS256 made by hand (PyJWT refuses to use a public key as an HMAC secret)."""
    signing_input = f"{_part({'alg': 'HS256', 'kid': 'rsa-1', 'typ': 'JWT'})}.{_part(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_part(mac)}"


def test_rejected_tokens_are_401(live_system: LiveSystem) -> None:
    oidc = live_system.oidc
    now = int(time.time())
    foreign = OidcIssuer(jwks_file=live_system.data_dir / "foreign-jwks.json")
    public_pem = oidc.rsa_key.public_key().public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = {"iss": oidc.issuer, "aud": oidc.audience, "sub": "x", "iat": now, "exp": now + 600,
              "roles": ["regulator"]}
    cases = {
        "expired": oidc.token(iat=now - 3600, nbf=now - 3600, exp=now - 120),
        "not yet valid": oidc.token(nbf=now + 600),
        "wrong issuer": oidc.token(iss="https://evil.example/realms/regulators"),
        "wrong audience": oidc.token(aud="another-api"),
        "wrong key": foreign.token(),  # same kid, another key
        "alg none": _unsigned(claims),
        # HS256 with the public key as the HMAC secret: the classic confusion attack.
        "hmac": _hmac_signed(claims, public_pem),
        "unknown kid": jwt.encode(claims, oidc.rsa_key, algorithm="RS256",
                                  headers={"kid": "rsa-9"}),
        "no exp": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, oidc.rsa_key,
                             algorithm="RS256", headers={"kid": "rsa-1"}),
        "no sub": jwt.encode({k: v for k, v in claims.items() if k != "sub"}, oidc.rsa_key,
                             algorithm="RS256", headers={"kid": "rsa-1"}),
        "garbage": "not.a.token",
    }
    for name, token in cases.items():
        response = _enterprises(live_system, token)
        assert response.status_code == 401, (name, response.text)
        assert 'error="invalid_token"' in response.headers["www-authenticate"], name


def test_expiry_within_leeway_is_accepted(live_system: LiveSystem) -> None:
    now = int(time.time())
    token = live_system.oidc.token(iat=now - 600, nbf=now - 600, exp=now - 10)
    assert _enterprises(live_system, token).status_code == 200


def test_token_without_a_role_is_403(live_system: LiveSystem) -> None:
    for roles in (None, [], ["viewer"], "enterprise"):
        response = _enterprises(live_system, live_system.oidc.token(roles=roles))
        assert response.status_code == 403, roles


def test_unknown_kid_refreshes_the_key_set(live_system: LiveSystem, tmp_path: Path) -> None:
    issuer = OidcIssuer(jwks_file=tmp_path / "jwks.json")
    settings = live_system.settings(oidc_jwks_file=issuer.jwks_file,
                                    oidc_jwks_refresh_interval_s=0.0)
    with TestClient(create_app(settings)) as client:
        url = "/v1/enterprises"
        assert client.get(url, headers=live_system.auth(issuer.token())).status_code == 200
        # The issuer rolls over to a new key (new kid) and publishes it.
        new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        document = json.loads(issuer.jwks_file.read_text())
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(new_key.public_key()))
        document["keys"].append({**jwk, "kid": "rsa-2", "use": "sig", "alg": "RS256"})
        issuer.jwks_file.write_text(json.dumps(document))
        now = int(time.time())
        token = jwt.encode({"iss": issuer.issuer, "aud": issuer.audience, "sub": "x",
                            "iat": now, "exp": now + 60, "roles": ["regulator"]},
                           new_key, algorithm="RS256", headers={"kid": "rsa-2"})
        assert client.get(url, headers=live_system.auth(token)).status_code == 200


def test_without_oidc_configured_tokens_are_401(live_system: LiveSystem) -> None:
    settings = live_system.settings(oidc_issuer=None)
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/enterprises",
                              headers=live_system.auth(live_system.regulator_token()))
        assert response.status_code == 401


def test_jwks_from_a_url_is_cached_and_refetched_at_most_once_per_interval(
    live_system: LiveSystem, tmp_path: Path
) -> None:
    issuer = OidcIssuer(jwks_file=tmp_path / "jwks.json")
    fetches: list[str] = []

    def answer(request: PeerRequest) -> tuple[int, bytes]:
        fetches.append(request.path)
        return 200, issuer.jwks_file.read_bytes()

    with serve_json(answer) as base_url:
        url = f"{base_url}/realms/regulators/certs"
        settings = live_system.settings(oidc_jwks_file=None, oidc_jwks_url=url,
                                        oidc_jwks_refresh_interval_s=3600.0)
        with TestClient(create_app(settings)) as client:
            headers = live_system.auth(issuer.token())
            assert [client.get("/v1/enterprises", headers=headers).status_code
                    for _ in range(3)] == [200, 200, 200]
            now = int(time.time())
            unknown = jwt.encode({"iss": issuer.issuer, "aud": issuer.audience, "sub": "x",
                                  "iat": now, "exp": now + 60, "roles": ["regulator"]},
                                 issuer.rsa_key, algorithm="RS256", headers={"kid": "rsa-9"})
            for _ in range(3):
                assert client.get("/v1/enterprises",
                                  headers=live_system.auth(unknown)).status_code == 401
    assert fetches == ["/realms/regulators/certs"]  # junk kids do not hammer the issuer
