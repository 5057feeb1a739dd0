"""Rate limiting: a token bucket per verified credential (or address), 429 with Retry-After.

Whose bucket pays, and the bound on the table: test_ratelimit_credentials.py and
tests/trace_api/test_ratelimit_buckets.py."""

from __future__ import annotations

from fastapi.testclient import TestClient

from testing.system import LiveSystem
from trace_api.app import create_app
from trace_api.ratelimit import TokenBuckets


def test_buckets_refill_at_the_configured_rate() -> None:
    buckets = TokenBuckets(per_minute=60, burst=2)
    assert [buckets.take("a"), buckets.take("a")] == [None, None]
    wait = buckets.take("a")
    assert wait is not None and 0.9 < wait <= 1.0
    assert buckets.take("b") is None  # another client has its own bucket
    assert TokenBuckets(per_minute=0, burst=1).take("a") is None  # 0 disables the limit


def test_429_with_retry_after_per_credential(live_system: LiveSystem) -> None:
    settings = live_system.settings(rate_limit_per_minute=6, rate_limit_burst=3)
    with TestClient(create_app(settings)) as client:
        admin = live_system.admin_headers
        statuses = [client.get("/v1/api-keys", headers=admin).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/v1/api-keys", headers=admin)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "10"  # 6/min: one token per 10 s
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["type"] == "https://traceledger.dev/problems/too-many-requests"
        # Another credential, and the health probe, are not affected.
        regulator = live_system.auth(live_system.regulator_token())
        assert client.get("/v1/enterprises", headers=regulator).status_code == 200
        assert client.get("/healthz").status_code == 200


def test_failed_sign_ins_are_charged_to_the_address(live_system: LiveSystem) -> None:
    settings = live_system.settings(rate_limit_per_minute=6, rate_limit_burst=2)
    with TestClient(create_app(settings)) as client:
        # Made-up keys never get buckets of their own: each attempt costs the address.
        statuses = [
            client.get("/v1/api-keys",
                       headers={"Authorization": f"Bearer tlk_{n:016x}_{'A' * 43}"}).status_code
            for n in range(3)
        ]
        assert statuses == [401, 401, 429]
        anonymous = client.get("/v1/api-keys")
        assert anonymous.status_code == 429
        assert anonymous.headers["retry-after"] == "10"
