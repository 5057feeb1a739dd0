"""The live system for end-to-end API tests: the real `traceledger up --dev` in a temp dir.

`live_system` is session-scoped and parametrised (`sqlite`, `postgresql`): every test
that uses it runs against both, and each database starts one system for the whole
session. PostgreSQL gets a fresh `api_live_<random>` database (passed as `--db`),
dropped afterwards; the PostgreSQL half is skipped only if no server answers at
TRACELEDGER_TEST_PG (default 127.0.0.1:5432; see testing/postgres.py). The system and
the `LiveSystem` view of it come from testing/system.py.

Usage:

    def test_something(live_system):
        farm = live_system.enterprise(name="Farm", sectors=["food"], custody="self")
        response = httpx.get(f"{live_system.api_url}/v1/enterprises/{farm.id}",
                             headers=live_system.auth(farm.api_key))
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from testing.postgres import BACKENDS, fresh_database
from testing.system import LiveSystem, OidcIssuer


@pytest.fixture(scope="session", params=BACKENDS)
def live_system(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSystem]:
    """The whole system (`traceledger up --dev`) on SQLite or PostgreSQL, for the session."""
    root = tmp_path_factory.mktemp(f"live-{request.param}")
    data_dir = root / "data"
    with contextlib.ExitStack() as stack:
        pg_url: str | None = None
        if request.param == "postgresql":
            # Entered first, so it is dropped only after the system has stopped.
            pg_url = stack.enter_context(fresh_database("api_live"))
        oidc = OidcIssuer(jwks_file=root / "jwks.json")
        env = {**os.environ, **oidc.environment(),
               # Generous limits: suites share one system; tests/trace_api/auth checks 429 on an
               # app of its own with a small limit.
               "TRACELEDGER_API_RATE_LIMIT_PER_MINUTE": "1000000",
               "TRACELEDGER_API_RATE_LIMIT_BURST": "100000"}
        yield LiveSystem.started(stack, backend=request.param, data_dir=data_dir,
                                 database_url=pg_url, oidc=oidc, env=env)
