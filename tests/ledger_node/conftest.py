"""Session fixtures: one dev-mode ledger node and one anvil, both real subprocesses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.devnet import Backend, init_dev_dir, start_anvil, start_ledger_node


@pytest.fixture(scope="session")
def ledger_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    data_dir: Path = tmp_path_factory.mktemp("ledger-node")
    init_dev_dir(data_dir)
    backend = start_ledger_node(data_dir)
    yield backend
    backend.stop()


@pytest.fixture(scope="session")
def anvil_backend(ledger_backend: Backend) -> Iterator[Backend]:
    backend = start_anvil(ledger_backend.accounts)
    yield backend
    backend.stop()


@pytest.fixture(scope="session", params=["ledger", "anvil"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each conformance test runs once against our node and once against anvil."""
    return request.getfixturevalue(f"{request.param}_backend")  # type: ignore[no-any-return]
