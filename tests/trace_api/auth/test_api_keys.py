"""API keys through the live API: shown once, stored only as a slow hash, scoped to a
role, bound to an enterprise, revocable at once."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from sqlalchemy import text

from testing.system import LiveSystem
from trace_api.auth import api_keys
from trace_api.auth.api_keys import ApiKeyVerifier, create_api_key, parse_api_key
from trace_api.auth.principal import Principal, Role
from trace_api.db import create_api_tables, create_db_engine


def _keys_url(live: LiveSystem) -> str:
    return f"{live.api_url}/v1/api-keys"


def test_admin_issues_lists_and_revokes_keys(live_system: LiveSystem) -> None:
    farm = live_system.enterprise(custody="custodial")
    created = httpx.post(_keys_url(live_system), headers=live_system.admin_headers,
                         json={"name": "warehouse scanner", "role": "enterprise",
                               "enterpriseId": farm.id})
    assert created.status_code == 201, created.text
    issued = created.json()
    assert (issued["role"], issued["enterpriseId"], issued["name"], issued["revokedAt"]) == (
        "enterprise", farm.id, "warehouse scanner", None)
    key = issued["key"]
    assert parse_api_key(key) is not None and parse_api_key(key)[0] == issued["keyId"]  # type: ignore[index]

    listed = httpx.get(_keys_url(live_system), params={"enterpriseId": farm.id},
                       headers=live_system.admin_headers)
    assert listed.status_code == 200
    assert [entry["keyId"] for entry in listed.json()] == [farm.registration["apiKey"]["keyId"],
                                                           issued["keyId"]]
    assert all("key" not in entry for entry in listed.json())

    detail_url = f"{live_system.api_url}/v1/enterprises/{farm.id}"
    assert httpx.get(detail_url, headers=live_system.auth(key)).status_code == 200
    revoked = httpx.delete(f"{_keys_url(live_system)}/{issued['keyId']}",
                           headers=live_system.admin_headers)
    assert revoked.status_code == 204
    # Revocation takes effect at once, although the key was just verified (and cached).
    after = httpx.get(detail_url, headers=live_system.auth(key))
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["www-authenticate"]
    assert httpx.get(detail_url, headers=live_system.auth(farm.api_key)).status_code == 200
    again = httpx.delete(f"{_keys_url(live_system)}/{issued['keyId']}",
                         headers=live_system.admin_headers)
    assert again.status_code == 204


def test_an_enterprise_manages_only_its_own_keys(live_system: LiveSystem) -> None:
    farm = live_system.enterprise(custody="custodial")
    other = live_system.enterprise(custody="custodial")
    headers = live_system.auth(farm.api_key)
    own = httpx.post(_keys_url(live_system), headers=headers, json={"name": "second"})
    assert own.status_code == 201
    assert (own.json()["role"], own.json()["enterpriseId"]) == ("enterprise", farm.id)
    for body in ({"name": "x", "role": "admin"}, {"name": "x", "role": "regulator"},
                 {"name": "x", "enterpriseId": other.id}):
        assert httpx.post(_keys_url(live_system), headers=headers, json=body).status_code == 403
    listed = httpx.get(_keys_url(live_system), headers=headers).json()
    assert {entry["enterpriseId"] for entry in listed} == {farm.id}
    assert len(listed) == 2
    other_key_id = other.registration["apiKey"]["keyId"]
    assert httpx.delete(f"{_keys_url(live_system)}/{other_key_id}",
                        headers=headers).status_code == 404
    assert httpx.get(f"{live_system.api_url}/v1/enterprises/{other.id}",
                     headers=live_system.auth(other.api_key)).status_code == 200
    assert httpx.delete(f"{_keys_url(live_system)}/{own.json()['keyId']}",
                        headers=headers).status_code == 204


def test_bad_key_requests(live_system: LiveSystem) -> None:
    url = _keys_url(live_system)
    admin = live_system.admin_headers
    cases = [
        ({"name": "x", "role": "enterprise"}, 400),  # enterprise keys name their enterprise
        ({"name": "x", "role": "admin", "enterpriseId": "0x" + "00" * 32}, 400),
        ({"name": "x", "role": "enterprise", "enterpriseId": "0x" + "00" * 32}, 404),
        ({"name": "x", "role": "emperor"}, 400),
        ({"name": "", "role": "admin"}, 400),
        ({"role": "admin"}, 400),
    ]
    for body, status in cases:
        response = httpx.post(url, headers=admin, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert httpx.delete(f"{url}/0123456789abcdef", headers=admin).status_code == 404
    assert httpx.post(url, json={"name": "x"}).status_code == 401


@pytest.mark.parametrize("header", [
    {"Authorization": "Bearer tlk_0123456789abcdef_" + "A" * 43},  # well-formed, unknown
    {"Authorization": "Bearer tlk_nonsense"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"X-API-Key": "tlk_0123456789abcdef_" + "B" * 43},
])
def test_invalid_credentials_are_401_with_a_challenge(live_system: LiveSystem,
                                                      header: dict[str, str]) -> None:
    response = httpx.get(_keys_url(live_system), headers=header)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="traceledger"')
    assert response.json()["type"] == "https://traceledger.dev/problems/unauthorized"


def test_missing_credentials_challenge_without_error(live_system: LiveSystem) -> None:
    response = httpx.get(_keys_url(live_system))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="traceledger"'


def test_x_api_key_header_signs_in(live_system: LiveSystem) -> None:
    response = httpx.get(_keys_url(live_system), headers={"X-API-Key": live_system.admin_key})
    assert response.status_code == 200


def test_the_database_holds_only_a_slow_hash(live_system: LiveSystem) -> None:
    key_id, secret = parse_api_key(live_system.admin_key)  # type: ignore[misc]
    engine = create_db_engine(live_system.database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT hash_scheme, salt, key_hash FROM api_keys WHERE key_id = :id"),
                {"id": key_id}).one()
    finally:
        engine.dispose()
    scheme, salt, stored = row[0], bytes(row[1]), bytes(row[2])
    assert scheme == "scrypt:16384:8:1"
    assert len(salt) == 16
    assert stored == hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1,
                                    maxmem=64 * 1024 * 1024, dklen=32)


def test_verifier_caches_successes_and_forgets_on_revocation(
    live_system: LiveSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_db_engine(live_system.database_url)
    create_api_tables(engine)
    calls: list[str] = []
    real_hash = api_keys._slow_hash

    def counting_hash(secret: str, salt: bytes, scheme: str) -> bytes:
        calls.append(scheme)
        return real_hash(secret, salt, scheme)

    try:
        issued = create_api_key(engine, role=Role.REGULATOR, name="cache test")
        monkeypatch.setattr(api_keys, "_slow_hash", counting_hash)
        verifier = ApiKeyVerifier(engine, ttl_s=60)
        expected = Principal(role=Role.REGULATOR, subject=issued.row.key_id, via="api-key",
                             name="cache test")
        assert [verifier.verify(issued.key) for _ in range(5)] == [expected] * 5
        assert len(calls) == 1
        assert verifier.verify(issued.key[:-1] + ("A" if issued.key[-1] != "A" else "B")) is None
        assert len(calls) == 2  # a wrong secret is hashed and not cached
        api_keys.revoke_api_key(engine, issued.row.key_id)
        verifier.forget(issued.row.key_id)
        assert verifier.verify(issued.key) is None
        expired = ApiKeyVerifier(engine, ttl_s=0)
        assert expired.verify(issued.key) is None
    finally:
        engine.dispose()
