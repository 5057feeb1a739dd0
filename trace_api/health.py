"""`GET /healthz`: does the API answer, and how is each service of the system doing.

Unauthenticated and exempt from rate limiting (the supervisor's readiness check and load
balancers call it), so it says nothing secret: states, sizes, block numbers, ages and
lags — no URLs, keys, addresses or error texts of other services.

Promises:
- HTTP 200 while the API and its database answer (`status` "ok" when every service is
  "up", else "degraded"); 503 with `status` "down" when the database does not.
- Each service under `services` is "up", "down" (did not answer in time), "lagging"
  (answers, but its oldest unprocessed item waited longer than its limit) or "unknown"
  (what it is judged against did not answer, or is not configured).
- Fast whatever is down: the probes run concurrently, each network call with
  PROBE_TIMEOUT_S, the whole answer waits at most PROBES_DEADLINE_S and is computed at
  most once per CACHE_TTL_S per app (concurrent callers share one computation), so a
  flood of /healthz calls costs the node and the log one probe per interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import text

from anchoring.core.entry import decode_entry
from contracts.rpc_client import JsonRpcClient
from indexer.sink.store import MirrorStore
from trace_api.context import ApiContext, ContextDep
from trace_api.verification.chain_reader import ChainReader

router = APIRouter(tags=["health"])

PROBE_TIMEOUT_S = 0.3
"""Per network call. Loopback answers in milliseconds; a service slower than this is not
healthy, and two dependent calls still fit in PROBES_DEADLINE_S."""
PROBES_DEADLINE_S = 0.8
"""The most a /healthz request waits for its probes: under the one second callers allow."""
CACHE_TTL_S = 1.0
"""One probe of the system per second per API process, however often /healthz is called."""
PROBE_WORKERS = 8
"""Threads for probes; bounded, so a hanging dependency cannot make them pile up."""
ANCHOR_LAG_LIMIT_S = 30.0
"""The anchorer puts each new checkpoint on chain within seconds, and calls itself stuck
after 20 s (anchoring.anchorer.STUCK_AFTER_S); an entry unanchored for longer is lagging."""
MIRROR_LAG_LIMIT_S = 30.0
"""The indexer polls every second; a block unmirrored for this long means it is behind."""

State = Literal["up", "down", "lagging", "unknown"]


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ApiHealth(_Camel):
    status: State
    database: State


class NodeHealth(_Camel):
    status: State
    block_number: int | None = None
    head_age_s: float | None = Field(default=None, description="Seconds since the newest "
                                     "block; blocks are sealed when there is work, so an "
                                     "idle chain ages without being unhealthy.")


class LogHealth(_Camel):
    status: State
    tree_size: int | None = Field(default=None, description="Size of the served checkpoint.")


class AnchorerHealth(_Camel):
    status: State
    anchored_size: int | None = None
    anchored_age_s: float | None = Field(default=None, description="Age of the newest "
                                         "anchored tree head (its block's time).")
    lag_entries: int | None = Field(default=None, description="Log entries not yet anchored.")
    oldest_unanchored_age_s: float | None = None


class IndexerHealth(_Camel):
    status: State
    mirrored_block: int | None = None
    lag_blocks: int | None = Field(default=None, description="Chain head minus mirrored block.")
    oldest_unmirrored_age_s: float | None = None


class Services(_Camel):
    api: ApiHealth
    node: NodeHealth
    log: LogHealth
    anchorer: AnchorerHealth
    indexer: IndexerHealth


class Health(_Camel):
    status: Literal["ok", "degraded", "down"]
    chain_id: int
    tree_size: int | None = Field(description="The log's integrated tree size (database).")
    checked_at_ms: int = Field(description="When the probes ran (answers are cached ~1 s).")
    services: Services


def judge_lag(lag: int | None, oldest_waiting_age_s: float | None, limit_s: float) -> State:
    """"lagging" when something is waiting (lag > 0) and the oldest of it has waited longer
    than `limit_s`; "up" otherwise; "unknown" when the lag could not be measured.

    Judged on the oldest waiting item, not on the age of the last processed one, so a burst
    after an idle hour is not reported as lagging while it is being processed.
    """
    if lag is None:
        return "unknown"
    if lag > 0 and oldest_waiting_age_s is not None and oldest_waiting_age_s > limit_s:
        return "lagging"
    return "up"


@dataclass(frozen=True)
class LatestBlock:
    """The node's newest block (not an anchored tree head: that is `AnchoredHead`)."""

    number: int
    timestamp: int


@dataclass(frozen=True, kw_only=True)
class Readings:
    """What one round of probes measured; None where a probe failed or was too slow.

    `anchored` is (tree size, block time) of the newest anchored head, (0, 0) before the
    first; `mirrored` the newest mirrored block; `*_since` the time (s since the epoch) the
    oldest unanchored entry was received / the oldest unmirrored block was sealed.
    """

    now: float
    tree_size: int | None
    head: LatestBlock | None
    log_size: int | None | Literal["unconfigured"]
    anchored: tuple[int, int] | None
    mirrored: int | None
    unanchored_since: float | None = None
    unmirrored_since: float | None = None


def _age(now: float, moment: float | None) -> float | None:
    return None if moment is None else round(max(0.0, now - moment), 3)


def assess(readings: Readings, *, chain_id: int) -> Health:
    """The report for `readings`: each service's state and the overall status."""
    now = readings.now
    tree_size, head, anchored, mirrored = (readings.tree_size, readings.head, readings.anchored,
                                           readings.mirrored)
    database: State = "up" if tree_size is not None else "down"
    node = NodeHealth(status="down") if head is None else NodeHealth(
        status="up", block_number=head.number, head_age_s=_age(now, head.timestamp))
    if readings.log_size == "unconfigured":
        log = LogHealth(status="unknown")
    elif readings.log_size is None:
        log = LogHealth(status="down")
    else:
        log = LogHealth(status="up", tree_size=readings.log_size)
    anchor_lag = None if tree_size is None or anchored is None else max(0, tree_size - anchored[0])
    anchorer = AnchorerHealth(
        status=judge_lag(anchor_lag, _age(now, readings.unanchored_since), ANCHOR_LAG_LIMIT_S),
        anchored_size=None if anchored is None else anchored[0],
        anchored_age_s=None if anchored is None or anchored[0] == 0 else _age(now, anchored[1]),
        lag_entries=anchor_lag, oldest_unanchored_age_s=_age(now, readings.unanchored_since))
    mirror_lag = None if head is None or mirrored is None else max(0, head.number - mirrored)
    indexer = IndexerHealth(
        # No readable checkpoint: the mirror the API's reads rely on is not being kept.
        status="down" if mirrored is None
        else judge_lag(mirror_lag, _age(now, readings.unmirrored_since), MIRROR_LAG_LIMIT_S),
        mirrored_block=mirrored, lag_blocks=mirror_lag,
        oldest_unmirrored_age_s=_age(now, readings.unmirrored_since))
    services = Services(api=ApiHealth(status=database, database=database), node=node, log=log,
                        anchorer=anchorer, indexer=indexer)
    states = [database, node.status, log.status, anchorer.status, indexer.status]
    overall: Literal["ok", "degraded", "down"] = (
        "down" if database != "up" else "ok" if all(state == "up" for state in states)
        else "degraded")
    return Health(status=overall, chain_id=chain_id, tree_size=tree_size,
                  checked_at_ms=int(now * 1000), services=services)


class HealthProbe:
    """Probes the system for one app; `report()` is cached for CACHE_TTL_S."""

    def __init__(self, ctx: ApiContext, *, clock: Callable[[], float] = time.time) -> None:
        self._ctx = ctx
        self._clock = clock
        # One short answer or none: the shared client does not retry.
        self._rpc = JsonRpcClient(ctx.settings.rpc_url, timeout_s=PROBE_TIMEOUT_S)
        self._chain = ChainReader(ctx.settings.rpc_url, client=self._rpc)
        self._pool = ThreadPoolExecutor(PROBE_WORKERS, thread_name_prefix="healthz")
        self._lock = threading.Lock()
        self._cached: tuple[float, Health] | None = None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._rpc.close()

    def report(self) -> Health:
        """The cached report if younger than CACHE_TTL_S, else a fresh one."""
        with self._lock:  # concurrent callers wait for one computation, then share it
            if self._cached is not None and time.monotonic() - self._cached[0] < CACHE_TTL_S:
                return self._cached[1]
            health = assess(self._measure(), chain_id=self._ctx.deployment.chain_id)
            self._cached = (time.monotonic(), health)
            return health

    def _measure(self) -> Readings:
        """Two rounds of concurrent probes, both within PROBES_DEADLINE_S."""
        deadline = time.monotonic() + PROBES_DEADLINE_S
        first = self._gather({
            "tree_size": self._pool.submit(self._database),
            "head": self._pool.submit(self._chain_head),
            "log_size": self._pool.submit(self._log_checkpoint_size),
            "anchored": self._pool.submit(self._anchored_head),
            "mirrored": self._pool.submit(self._mirrored_block),
        }, deadline)
        # Second round, only what depends on the first: how long the oldest item has waited.
        tree_size, head = first["tree_size"], first["head"]
        anchored, mirrored = first["anchored"], first["mirrored"]
        follow_ups: dict[str, Future[Any]] = {}
        if tree_size is not None and anchored is not None and tree_size > anchored[0]:
            follow_ups["unanchored_since"] = self._pool.submit(self._entry_received_s,
                                                               anchored[0])
        if head is not None and mirrored is not None and head.number > mirrored:
            follow_ups["unmirrored_since"] = self._pool.submit(self._block_time, mirrored + 1)
        second = self._gather(follow_ups, deadline)
        return Readings(now=self._clock(), **first, **second)

    def _gather(self, futures: dict[str, Future[Any]], deadline: float) -> dict[str, Any]:
        """Each probe's result, None for a probe that failed or missed the deadline."""
        wait(futures.values(), timeout=max(0.0, deadline - time.monotonic()))
        results: dict[str, Any] = {}
        for key, future in futures.items():
            if not future.done():
                future.cancel()  # still queued: never run it; running: its result is dropped
                results[key] = None
            else:
                results[key] = None if future.exception() is not None else future.result()
        return results

    # Probes: each runs in a pool thread and raises (or times out) when its service is down.

    def _database(self) -> int:
        with self._ctx.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return self._ctx.log_store.head().tree_size

    def _chain_head(self) -> LatestBlock:
        block = self._rpc.call("eth_getBlockByNumber", ["latest", False])
        return LatestBlock(number=int(block["number"], 16), timestamp=int(block["timestamp"], 16))

    def _block_time(self, number: int) -> float:
        block_time = self._chain.block_time(number)
        if block_time is None:
            raise LookupError(f"the node has no block {number}")
        return float(block_time)

    def _log_checkpoint_size(self) -> int | Literal["unconfigured"]:
        if self._ctx.settings.log_url is None:
            return "unconfigured"
        response = httpx.get(f"{self._ctx.settings.log_url.rstrip('/')}/checkpoint",
                             timeout=PROBE_TIMEOUT_S)
        response.raise_for_status()
        # C2SP tlog-checkpoint: origin line, then the tree size in decimal.
        return int(response.text.split("\n", 2)[1])

    def _anchored_head(self) -> tuple[int, int]:
        """(tree size, block time) of the newest anchored head; (0, 0) before the first."""
        head = self._chain.latest_anchored_head(self._ctx.deployment.trace_anchor)
        if head is None:
            return 0, 0
        assert head.block_time is not None  # headAt always has the block's time
        return head.tree_size, head.block_time

    def _mirrored_block(self) -> int | None:
        """The newest mirrored block (start block - 1 before the first range); None when
        the indexer never initialised the mirror."""
        checkpoint = MirrorStore(self._ctx.mirror_engine).load_checkpoint()
        return None if checkpoint is None else checkpoint.next_block - 1

    def _entry_received_s(self, leaf_index: int) -> float:
        entry = self._ctx.log_store.read_entry(leaf_index)
        if entry is None:
            raise LookupError(f"leaf {leaf_index} not stored")
        return decode_entry(entry).received_at_ms / 1000


@router.get("/healthz", response_model=Health, response_model_by_alias=True,
            responses={503: {"model": Health, "description": "The API's database is down."}})
def healthz(ctx: ContextDep) -> JSONResponse:
    """Each service's state; 200 while the API and its database answer, else 503."""
    health = ctx.shared(HealthProbe).report()  # made on first use, closed with the app
    return JSONResponse(health.model_dump(mode="json", by_alias=True),
                        status_code=200 if health.status != "down" else 503)
