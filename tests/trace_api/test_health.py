"""`GET /healthz`: every service reported, on SQLite and PostgreSQL; a hung node and a dead
log show as down while the answer still comes in under a second; concurrent callers share
one probe; 503 only when the API's own database is down; nothing secret in the body."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from testing.processes import free_port
from testing.system import LiveSystem
from trace_api.app import create_app
from trace_api.health import (
    ANCHOR_LAG_LIMIT_S,
    CACHE_TTL_S,
    MIRROR_LAG_LIMIT_S,
    PROBE_WORKERS,
    LatestBlock,
    Readings,
    assess,
    judge_lag,
)

FAST_S = 1.0
"""What a health caller (the supervisor, a load balancer) may wait."""
SERVICES = ("api", "node", "log", "anchorer", "indexer")


@pytest.fixture
def hung_server() -> Iterator[str]:
    """A URL whose server accepts connections and never answers (a stalled node)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)  # never accepted: the kernel completes the handshake, nobody reads
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def _states(body: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {name: service["status"] for name, service in body["services"].items()}


def test_the_running_system_reports_every_service_up(live_system: LiveSystem) -> None:
    url = f"{live_system.api_url}/healthz"
    deadline = time.monotonic() + 60
    while (body := httpx.get(url).json())["status"] != "ok":  # the indexer may be catching up
        assert time.monotonic() < deadline, body
        time.sleep(0.5)
    started = time.monotonic()
    response = httpx.get(url)
    assert time.monotonic() - started < FAST_S
    assert response.status_code == 200
    body = response.json()
    assert _states(body) == dict.fromkeys(SERVICES, "up")
    assert body["chainId"] == live_system.chain_id
    services = body["services"]
    assert services["api"]["database"] == "up"
    assert services["node"]["blockNumber"] >= services["indexer"]["mirroredBlock"] >= 0
    assert services["node"]["headAgeS"] >= 0
    assert services["anchorer"]["lagEntries"] == body["treeSize"] - services["anchorer"]["anchoredSize"]
    assert services["log"]["treeSize"] <= body["treeSize"]  # served checkpoint <= integrated
    assert services["indexer"]["lagBlocks"] == (
        services["node"]["blockNumber"] - services["indexer"]["mirroredBlock"])
    # Unauthenticated, so nothing an attacker could use: no URLs, addresses or keys.
    text = response.text
    assert "http" not in text and "127.0.0.1" not in text and "0x" not in text
    assert live_system.admin_key not in text


def test_a_hung_node_and_a_dead_log_show_as_down_and_the_answer_stays_fast(
        live_system: LiveSystem, hung_server: str) -> None:
    dead_log = f"http://127.0.0.1:{free_port()}/log"  # nothing listens there
    settings = live_system.settings(rpc_url=hung_server, log_url=dead_log)
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
        assert elapsed < FAST_S, elapsed
        assert response.status_code == 200  # the API and its database answer
        body = response.json()
        assert body["status"] == "degraded"
        assert _states(body) == {"api": "up", "node": "down", "log": "down",
                                 # judged against the chain head, which did not answer
                                 "anchorer": "unknown", "indexer": "unknown"}
        assert body["services"]["indexer"]["mirroredBlock"] >= 0  # the mirror itself is read
        assert body["services"]["node"].get("blockNumber") is None
        assert body["treeSize"] >= 0


def test_concurrent_callers_share_one_probe(live_system: LiveSystem, hung_server: str) -> None:
    with TestClient(create_app(live_system.settings(rpc_url=hung_server))) as client:
        started = time.monotonic()
        with ThreadPoolExecutor(10) as pool:
            bodies = list(pool.map(lambda _: client.get("/healthz").json(), range(10)))
        elapsed = time.monotonic() - started
        # Ten sequential probes of a hung node would take several seconds.
        assert elapsed < 2 * FAST_S, elapsed
        assert len({body["checkedAtMs"] for body in bodies}) == 1
        time.sleep(CACHE_TTL_S + 0.1)
        assert client.get("/healthz").json()["checkedAtMs"] > bodies[0]["checkedAtMs"]


def test_503_when_the_api_database_is_down(live_system: LiveSystem) -> None:
    with TestClient(create_app(live_system.settings())) as client:
        context = client.app.state.ctx  # type: ignore[attr-defined]
        working = context.engine
        # A PostgreSQL server that refuses connections at once: the database is down.
        context.engine = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x")
        try:
            started = time.monotonic()
            response = client.get("/healthz")
            assert time.monotonic() - started < FAST_S
        finally:
            context.engine.dispose()
            context.engine = working
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "down"
        assert body["services"]["api"] == {"status": "down", "database": "down"}
        assert body["treeSize"] is None


def test_lag_is_judged_on_the_oldest_waiting_item() -> None:
    limit = ANCHOR_LAG_LIMIT_S
    assert judge_lag(None, None, limit) == "unknown"  # could not measure
    assert judge_lag(0, None, limit) == "up"
    assert judge_lag(5, None, limit) == "up"  # waiting, age unknown: not claimed lagging
    assert judge_lag(5, limit, limit) == "up"  # exactly at the limit
    assert judge_lag(5, limit + 0.001, limit) == "lagging"
    assert judge_lag(0, limit * 100, limit) == "up"  # nothing waits, however old


NOW = 1_800_000_000.0
HEALTHY = Readings(now=NOW, tree_size=10, head=LatestBlock(number=50, timestamp=int(NOW) - 3),
                   log_size=10, anchored=(10, int(NOW) - 5), mirrored=50)


def _assessed(**changes: object) -> dict:  # type: ignore[type-arg]
    values = {**HEALTHY.__dict__, **changes}
    return assess(Readings(**values), chain_id=7).model_dump(mode="json", by_alias=True)  # type: ignore[arg-type]


def test_assess_all_up() -> None:
    body = _assessed()
    assert (body["status"], body["chainId"], body["treeSize"], body["checkedAtMs"]) == (
        "ok", 7, 10, int(NOW * 1000))
    assert _states(body) == dict.fromkeys(SERVICES, "up")
    assert body["services"]["node"] == {"status": "up", "blockNumber": 50, "headAgeS": 3.0}
    assert body["services"]["anchorer"] == {
        "status": "up", "anchoredSize": 10, "anchoredAgeS": 5.0, "lagEntries": 0,
        "oldestUnanchoredAgeS": None}


def test_assess_an_anchorer_that_stopped_anchoring_is_lagging() -> None:
    waited = ANCHOR_LAG_LIMIT_S + 1
    body = _assessed(tree_size=25, unanchored_since=NOW - waited)
    assert body["status"] == "degraded"
    assert body["services"]["anchorer"] == {
        "status": "lagging", "anchoredSize": 10, "anchoredAgeS": 5.0, "lagEntries": 15,
        "oldestUnanchoredAgeS": waited}
    # The same lag one second after a burst arrived is work in progress, not lagging.
    assert _states(_assessed(tree_size=25, unanchored_since=NOW - 1))["anchorer"] == "up"


def test_assess_an_indexer_behind_or_without_a_mirror() -> None:
    behind = _assessed(mirrored=40, unmirrored_since=NOW - MIRROR_LAG_LIMIT_S - 1)
    assert behind["services"]["indexer"]["status"] == "lagging"
    assert behind["services"]["indexer"]["lagBlocks"] == 10
    assert _states(_assessed(mirrored=None))["indexer"] == "down"
    # Before the first anchored head: no age, nothing to lag behind.
    first = _assessed(tree_size=0, anchored=(0, 0))["services"]["anchorer"]
    assert (first["status"], first["anchoredAgeS"], first["lagEntries"]) == ("up", None, 0)


def test_assess_a_log_without_a_url_is_unknown_and_the_status_degraded() -> None:
    body = _assessed(log_size="unconfigured")
    assert (body["status"], _states(body)["log"]) == ("degraded", "unknown")


def test_assess_database_down_is_down() -> None:
    body = _assessed(tree_size=None)
    assert body["status"] == "down"
    assert body["services"]["api"] == {"status": "down", "database": "down"}
    assert _states(body)["anchorer"] == "unknown"  # its lag is measured against the database


def test_the_probe_runs_in_bounded_threads(live_system: LiveSystem, hung_server: str) -> None:
    """A hung dependency does not make probe threads pile up, however often it is asked."""
    with TestClient(create_app(live_system.settings(rpc_url=hung_server))) as client:
        for _ in range(5):
            client.get("/healthz")
            time.sleep(CACHE_TTL_S)
        probes = [thread for thread in threading.enumerate() if thread.name.startswith("healthz")]
        assert 0 < len(probes) <= PROBE_WORKERS
