"""`system`: one real `traceledger up --dev` per database backend for the whole suite
(SQLite and PostgreSQL), restarted before a test if an earlier probe broke it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testing.postgres import BACKENDS
from tests.adversarial.system import HostileSystem, hostile_system


@pytest.fixture(scope="session", params=BACKENDS)
def hostile_system_session(request: pytest.FixtureRequest,
                           tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileSystem]:
    with hostile_system(request.param, tmp_path_factory.mktemp(f"hostile-{request.param}")) as system:
        yield system


@pytest.fixture
def system(hostile_system_session: HostileSystem) -> HostileSystem:
    """The running system, alive at the start of the test (restarted if need be)."""
    hostile_system_session.ensure_running()
    return hostile_system_session
