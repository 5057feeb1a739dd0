"""Whose bucket a request pays from (issue 13): the client address until a credential has
verified; made-up `Authorization` values never buy buckets of their own."""

from __future__ import annotations

import secrets

from fastapi.testclient import TestClient

from testing.system import LiveSystem
from trace_api.app import create_app
from trace_api.auth.dependencies import rate_limiter


def _made_up() -> dict[str, str]:
    return {"Authorization": f"Bearer {secrets.token_urlsafe(24)}"}


def test_public_route_fresh_authorization_values_share_address_bucket(
    live_system: LiveSystem,
) -> None:
    settings = live_system.settings(rate_limit_per_minute=6, rate_limit_burst=3)
    app = create_app(settings)
    with TestClient(app) as client:
        # /openapi.json never looks at credentials: each made-up value is just the address.
        statuses = [client.get("/openapi.json", headers=_made_up()).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert client.get("/openapi.json").status_code == 429  # the same, anonymous, bucket
        assert len(app.state.ctx.shared(rate_limiter)) == 1  # one address, no credential buckets


def test_invalid_credentials_never_create_buckets(live_system: LiveSystem) -> None:
    settings = live_system.settings(rate_limit_per_minute=6, rate_limit_burst=3)
    app = create_app(settings)
    with TestClient(app) as client:
        made_up_key = {"X-API-Key": f"tlk_{secrets.token_hex(8)}_{'A' * 43}"}
        for headers in (_made_up(), made_up_key, {"Authorization": "Basic dXNlcjpwYXNz"}):
            assert client.get("/v1/api-keys", headers=headers).status_code == 401
        assert len(app.state.ctx.shared(rate_limiter)) == 1  # the address only
        assert client.get("/v1/api-keys", headers=_made_up()).status_code == 429


def test_a_verified_credential_has_its_own_bucket(live_system: LiveSystem) -> None:
    settings = live_system.settings(rate_limit_per_minute=6, rate_limit_burst=3)
    app = create_app(settings)
    with TestClient(app) as client:
        admin = live_system.admin_headers
        # First request: not verified yet, so the address pays; verifying creates (and
        # charges) the credential's own bucket.
        assert client.get("/v1/api-keys", headers=admin).status_code == 200
        assert len(app.state.ctx.shared(rate_limiter)) == 2
        # Strangers drain the address ...
        statuses = [client.get("/openapi.json", headers=_made_up()).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        # ... which the verified credential no longer pays from: 2 tokens left of 3.
        assert [client.get("/v1/api-keys", headers=admin).status_code
                for _ in range(3)] == [200, 200, 429]
        assert len(app.state.ctx.shared(rate_limiter)) == 2
