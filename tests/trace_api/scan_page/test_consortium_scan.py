"""Issue 16's "done when": three authorities and a follower (`traceledger network up`'s
layout), the system joined to them with `traceledger up --peers` (no chain of its own),
and a label scanned on a phone verifies in the browser against the follower's JSON-RPC:
a regulator's own node, keyless, that re-executed every block it serves."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing.network import LocalNetwork
from testing.processes import Launched, free_port, python_command, repo_env
from testing.system import READY_LINE, READY_TIMEOUT_S, LiveSystem, OidcIssuer
from tests.trace_api.scan_page.test_live_scan_page import (
    Shop,
    _verifies_on_a_second_origin,
    chromium,
    open_shop,
)

__all__ = ["chromium"]  # the browser fixture, shared with the live scan page tests


@pytest.fixture(scope="module")
def joined_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveSystem, str]]:
    root = tmp_path_factory.mktemp("consortium-scan")
    network = LocalNetwork.create(root / "network", authorities=3, followers=1)
    oidc = OidcIssuer(jwks_file=root / "jwks.json")
    with contextlib.ExitStack() as stack:
        stack.callback(network.stop)
        network.start()
        network.wait_converged(timeout_s=60, min_number=1)
        data_dir = root / "system"
        api_port, log_port = free_port(), free_port()
        up = Launched(
            python_command("traceledger_cli.main", "up", "--data-dir", str(data_dir), "--peers",
                           str(network.directory), "--api-port", str(api_port), "--log-port",
                           str(log_port), "--witness-port", str(free_port())),
            cwd=root, env=repo_env(oidc.environment()), read_lines=True)
        stack.callback(up.stop)
        up.wait_for_line(READY_LINE, timeout_s=READY_TIMEOUT_S, what="up --peers never ready")
        shared = network.directory / "shared"
        authority = network.node("authority2")  # writes (recalls opened on chain) go here
        system = LiveSystem(
            backend="sqlite", api_url=f"http://127.0.0.1:{api_port}",
            rpc_url=authority.rpc_url, log_url=f"http://127.0.0.1:{log_port}/log",
            data_dir=data_dir,
            database_url=f"sqlite:///{(data_dir / 'log.sqlite').resolve()}",
            mirror_database_url=f"sqlite:///{(data_dir / 'mirror.sqlite').resolve()}",
            admin_key=(data_dir / "admin.key").read_text().strip(),
            dev_keys=json.loads((shared / "dev-keys.json").read_text())["accounts"],
            deployment=json.loads((shared / "deployment.json").read_text()),
            oidc=oidc, process=up.process, output=up.lines)
        yield system, network.followers[0].rpc_url


@pytest.fixture(scope="module")
def consortium_shop(joined_system: tuple[LiveSystem, str]) -> Shop:
    return open_shop(joined_system[0])


def test_a_label_scanned_against_the_followers_rpc_verifies_every_record(
    joined_system: tuple[LiveSystem, str], consortium_shop: Shop, chromium: Any,
    tmp_path: Path,
) -> None:
    _system, follower_url = joined_system
    _verifies_on_a_second_origin(consortium_shop, chromium, tmp_path, follower_url)
