"""Regression tests for issue 13's operational findings: the rate limiter, the data
directory's permissions, secrets in logs, a failing or malformed JWKS, and a supervisor
that heals. End to end where the running system can show it; the rate limit and JWKS
tests run the real app in-process over the running system's databases and chain (the
shared system must keep generous limits and its own JWKS for the other probes)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from testing.loopback_http import PeerRequest, serve_json
from testing.system import OidcIssuer
from tests.adversarial.system import PROBE_TIMEOUT_S, HostileSystem, child_pids
from trace_api.app import create_app

RATE_LIMIT_BURST = 5
RATE_LIMIT_PER_MINUTE = 60
JWKS_RECOVERY_S = 10.0
"""A JWKS that failed once must be usable again within this (the finding: locked out for
the whole 30 s refresh interval)."""
MAX_JWKS_FETCHES_WHILE_DOWN = 10
"""Retries with backoff: a minute of callers against a dead issuer is a handful of fetches,
not one per request."""
SUPERVISOR_RESTART_S = 60.0
HEALTH_SERVICES = {"api", "node", "log", "anchorer", "indexer"}
"""A killed service is back (restarted with backoff and answering) within this."""


def test_fresh_authorization_values_do_not_escape_rate_limit(system: HostileSystem) -> None:
    settings = system.live.settings(rate_limit_per_minute=RATE_LIMIT_PER_MINUTE,
                                    rate_limit_burst=RATE_LIMIT_BURST)
    uri = "https://id.gs1.org/01/09506000134352/10/LOT1"
    enterprise1 = system.dev_enterprise("enterprise1")
    own_record = f"/v1/enterprises/{enterprise1['enterpriseId']}"
    verified = {"Authorization": f"Bearer {enterprise1['apiKey']}"}
    with TestClient(create_app(settings)) as client:
        # A credential that verified gets a bucket of its own...
        assert client.get(own_record, headers=verified).status_code == 200
        for header in ("Authorization", "X-API-Key"):
            statuses = [
                client.get("/v1/public/recall", params={"uri": uri},
                           headers={header: f"Bearer made-up-{secrets.token_hex(16)}"}).status_code
                for _ in range(3 * RATE_LIMIT_BURST)]
            assert statuses.count(429) >= 2 * RATE_LIMIT_BURST - 1, (header, statuses)
        limited = client.get("/v1/public/recall", params={"uri": uri},
                             headers={"Authorization": "Bearer yet-another"})
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith("application/problem+json")
        assert int(limited.headers["retry-after"]) >= 1
        # ...so the address's empty bucket does not lock out an enterprise calling from it.
        mine = client.get(own_record, headers=verified)
        assert mine.status_code == 200, mine.text


def test_data_dir_is_private(system: HostileSystem) -> None:
    """Keys, databases, chain and logs: no group or other access anywhere in the data dir."""
    data_dir = system.live.data_dir
    exposed = []
    for path in [data_dir, *data_dir.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_symlink():
            continue
        if mode & 0o077:
            exposed.append(f"{path.relative_to(data_dir.parent)} {oct(mode)}")
    assert exposed == []
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_auth_query_string_not_logged(system: HostileSystem) -> None:
    authenticator = "SECRET" + secrets.token_hex(6).upper()
    gtin = "09506000134352"
    for url, params in (
        (f"/01/{gtin}/21/777?auth={authenticator}", None),
        ("/v1/public/lookup", {"uri": f"https://id.gs1.org/01/{gtin}/21/777?auth={authenticator}"}),
        ("/v1/labels", {"uri": f"https://id.gs1.org/01/{gtin}/21/777?auth={authenticator}"}),
    ):
        response = httpx.get(f"{system.live.api_url}{url}", params=params,
                             timeout=PROBE_TIMEOUT_S, follow_redirects=False)
        assert response.status_code < 500, response.text
    time.sleep(0.5)  # the access log line is written after the response
    logs = system.live.data_dir / "logs"
    api_log = (logs / "api.log").read_text(errors="replace")
    assert "/v1/public/lookup" in api_log  # the access log is on, so the check means something
    leaking = [path.name for path in logs.glob("*.log")
               if authenticator in path.read_text(errors="replace")]
    assert leaking == []


@dataclass
class _ScriptedJwks:
    """Answers `documents` in turn (the last one forever), each an HTTP status and a body
    (bytes, or a value sent as JSON), counting the fetches."""

    documents: list[tuple[int, Any]]
    fetches: int = 0
    url: str = ""

    def answer(self, _request: PeerRequest) -> tuple[int, bytes]:
        self.fetches += 1
        status, body = self.documents[min(self.fetches, len(self.documents)) - 1]
        return status, body if isinstance(body, bytes) else json.dumps(body).encode()


@contextlib.contextmanager
def _jwks_server(documents: list[tuple[int, Any]]) -> Iterator[_ScriptedJwks]:
    script = _ScriptedJwks(documents)
    with serve_json(script.answer) as base_url:
        script.url = f"{base_url}/realms/regulators/certs"
        yield script


@pytest.fixture
def issuer(tmp_path: Path) -> OidcIssuer:
    return OidcIssuer(jwks_file=tmp_path / "jwks.json")


def _oidc_app(system: HostileSystem, issuer: OidcIssuer, server: _ScriptedJwks) -> TestClient:
    # The default refresh interval (30 s) on purpose: the finding was a 30 s lock-out.
    settings = system.live.settings(oidc_jwks_file=None, oidc_jwks_url=server.url)
    return TestClient(create_app(settings))


def test_jwks_failure_then_recovery(system: HostileSystem, issuer: OidcIssuer) -> None:
    keys = json.loads(issuer.jwks_file.read_text())
    with (_jwks_server([(500, {"error": "down"}), (200, keys)]) as server,
          _oidc_app(system, issuer, server) as client):
        headers = {"Authorization": f"Bearer {issuer.token()}"}
        deadline = time.monotonic() + JWKS_RECOVERY_S
        answers = []
        while time.monotonic() < deadline:
            response = client.get("/v1/enterprises", headers=headers)
            answers.append(response.status_code)
            if response.status_code == 200:
                break
            # Meanwhile: the issuer is unavailable (503), not the token bad (401).
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            time.sleep(0.25)
        assert answers[-1] == 200, answers
        assert server.fetches <= MAX_JWKS_FETCHES_WHILE_DOWN


def test_jwks_down_is_retried_with_backoff(system: HostileSystem, issuer: OidcIssuer) -> None:
    with (_jwks_server([(503, {"error": "down"})]) as server,
          _oidc_app(system, issuer, server) as client):
        headers = {"Authorization": f"Bearer {issuer.token()}"}
        statuses = {client.get("/v1/enterprises", headers=headers).status_code
                    for _ in range(30)}
        assert statuses == {503}
        assert server.fetches <= MAX_JWKS_FETCHES_WHILE_DOWN


def test_jwks_list_is_503(system: HostileSystem, issuer: OidcIssuer) -> None:
    """A JWKS that is a list, a string, or has no usable key list: a clear 503 problem."""
    keys = json.loads(issuer.jwks_file.read_text())["keys"]
    for document in (keys, "keys", {"keys": "not a list"}, {"keys": [1, None, "x"]}):
        with (_jwks_server([(200, document)]) as server,
              _oidc_app(system, issuer, server) as client):
            response = client.get("/v1/enterprises",
                                  headers={"Authorization": f"Bearer {issuer.token()}"})
            assert response.status_code == 503, (document, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("victim", ["indexer", "api"])
def test_supervisor_restarts_killed_service(system: HostileSystem, victim: str) -> None:
    """SIGKILL one service: `up` stays, says it restarts it, and the system answers again."""
    up = system.live.process
    before = child_pids(up.pid)
    marker = {"indexer": " indexer run ", "api": " api serve "}[victim]
    target = next(pid for pid in before
                  if marker in " " + Path(f"/proc/{pid}/cmdline").read_bytes()
                  .replace(b"\0", b" ").decode() + " ")
    lines_before = len(system.live.output)
    os.kill(target, signal.SIGKILL)
    deadline = time.monotonic() + SUPERVISOR_RESTART_S
    while time.monotonic() < deadline:
        assert up.poll() is None, "".join(system.live.output[lines_before:])
        children = child_pids(up.pid)
        if len(children) == len(before) and target not in children:
            try:
                if httpx.get(f"{system.live.api_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    else:
        pytest.fail(f"the {victim} was not restarted within {SUPERVISOR_RESTART_S} s:\n"
                    + "".join(system.live.output[lines_before:]))
    said = "".join(system.live.output[lines_before:]).lower()
    assert "restart" in said, said
    system.service_pids = child_pids(up.pid)  # the new pid is the system's now
    # /healthz reports every service, and all are up again.
    health: dict[str, Any] = {}
    while time.monotonic() < deadline + SUPERVISOR_RESTART_S:
        health = httpx.get(f"{system.live.api_url}/healthz", timeout=5).json()
        if health.get("status") == "ok":
            break
        time.sleep(0.5)
    assert set(health.get("services", {})) >= HEALTH_SERVICES, health
    assert health["status"] == "ok", health
    system.verify_alive(f"the {victim} was killed and restarted")
