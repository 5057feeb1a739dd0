"""Fixtures for capture tests: enterprises on the live system, an in-process context and
app over the same databases and chain (signing helpers: kit.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from testing.system import LiveSystem, RegisteredEnterprise
from tests.trace_api.capture.documents import EXAMPLE_GLNS
from trace_api.app import create_app
from trace_api.context import ApiContext


@pytest.fixture(scope="module")
def farm(live_system: LiveSystem) -> RegisteredEnterprise:
    """A self-custody food enterprise operating every location of `shipping_event` and of
    the GS1 examples (its registered GLNs), under a prefix of its own."""
    return live_system.enterprise(name="Capture Farm", custody="self", glns=list(EXAMPLE_GLNS))


@pytest.fixture(scope="module")
def processor(live_system: LiveSystem) -> RegisteredEnterprise:
    """A custodial enterprise (the server signs its events), at the same locations."""
    return live_system.enterprise(name="Capture Processor", custody="custodial",
                                  glns=list(EXAMPLE_GLNS))


@pytest.fixture(scope="module")
def service_ctx(live_system: LiveSystem) -> Iterator[ApiContext]:
    """An in-process context on the live system's databases and chain."""
    ctx = ApiContext.open(live_system.settings(signature_workers=2))
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def small_limits_client(live_system: LiveSystem) -> Iterator[TestClient]:
    """An in-process app on the live system with tiny capture limits (3 events, 4 KiB)."""
    app = create_app(live_system.settings(capture_limit=3, capture_file_size_limit=4096))
    with TestClient(app) as client:
        yield client
