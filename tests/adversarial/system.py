"""The system under attack: the real `traceledger up --dev` in a temp dir, and the checks
run after every probe.

`HostileSystem` starts it (`LiveSystem.started` of testing/system.py, on a fresh
PostgreSQL database from testing/postgres.py or on SQLite) and keeps what a
probe needs: the `LiveSystem` view the API tests use, the dev enterprises' keys and the
pids of the services `up` started. `verify_alive` raises `SystemDown` unless

- the `up` process and every service it started are alive, with the same pids as at
  start (a service that crashed and was restarted by the supervisor still failed the
  probe: it crashed);
- `GET /healthz` answers 200 and the node answers `eth_blockNumber`;
- with `sealing=True`, a cheap transaction (a zero-value transfer by the dev sealer key,
  which no service uses) is in a block within two Clique periods. The node seals only
  while there is work (ledger_node/README.md), so the check brings its own.

A probe that leaves the system down or stalled fails; the next test then gets a fresh
`up` on the same data dir (`ensure_running`), at most `MAX_RESTARTS` times per system,
so one finding does not hide the rest.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

from testing.postgres import fresh_database
from testing.system import LiveSystem, OidcIssuer

MAX_RESTARTS = 3
"""Restarts per system after a probe broke it: enough to see several findings at once,
bounded so a broken build cannot take an hour."""
PROBE_TIMEOUT_S = 30.0
"""Per request. Any honest answer of this system takes well under a second."""
LIVENESS_TIMEOUT_S = 5.0
"""`/healthz` and `eth_blockNumber` must answer within this, also right after a probe."""
SCHEDULING_SLACK_S = 1.0
"""Added to "two periods": five engineers' test suites share two cores, and a block
sealed on time can reach a polling client a few hundred ms later."""
GENEROUS_RATE_LIMIT = {"TRACELEDGER_API_RATE_LIMIT_PER_MINUTE": "1000000",
                       "TRACELEDGER_API_RATE_LIMIT_BURST": "100000"}
"""The sweep sends thousands of requests from 127.0.0.1; the rate limit has a test of its
own (test_findings_api.py) on an app with small buckets."""


class SystemDown(AssertionError):
    """The system did not survive a probe: `what` says which check failed and after what."""

    def __init__(self, what: str, after: str) -> None:
        super().__init__(f"after {after}: {what}")
        self.what = what
        self.after = after


def child_pids(pid: int) -> set[int]:
    """Direct children of `pid` (Linux /proc)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] not in ("Z", "X")


@dataclass
class HostileSystem:
    """One running `up` (see module docstring); `live` has its URLs, keys and databases."""

    backend: str
    root: Path
    database_url: str | None
    oidc: OidcIssuer
    live: LiveSystem = field(init=False)
    service_pids: set[int] = field(init=False, default_factory=set)
    restarts: int = 0
    broken: str | None = None
    _stack: contextlib.ExitStack = field(init=False, default_factory=contextlib.ExitStack)

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        data_dir = self.root / "data"
        oidc = self.oidc
        env = {**os.environ, **oidc.environment(), **GENEROUS_RATE_LIMIT}
        self.live = LiveSystem.started(self._stack, backend=self.backend, data_dir=data_dir,
                                       database_url=self.database_url, oidc=oidc, env=env)
        self.service_pids = child_pids(self.live.process.pid)
        self.broken = None

    def stop(self) -> None:
        self._stack.close()
        self._stack = contextlib.ExitStack()

    def ensure_running(self) -> None:
        """Restart the system if the last probe left it down or stalled (bounded)."""
        if self.broken is None and self.live.process.poll() is None:
            return
        if self.restarts >= MAX_RESTARTS:
            raise SystemDown(f"not restarted again ({MAX_RESTARTS} restarts so far)",
                             self.broken or "an earlier probe")
        self.restarts += 1
        self.stop()
        self.start()

    # ------------------------------------------------------------------ identities
    @property
    def rpc_port(self) -> int:
        return int(self.live.rpc_url.rsplit(":", 1)[1])

    @property
    def api_port(self) -> int:
        return int(self.live.api_url.rsplit(":", 1)[1])

    @property
    def period_s(self) -> float:
        return float(self.live.deployment["clique"]["period"])

    def dev_enterprise(self, role: str) -> dict[str, Any]:
        """enterprise1 / enterprise2 of dev-api-keys.json (id, apiKey, companyPrefixes, ...)."""
        document = json.loads((self.live.data_dir / "dev-api-keys.json").read_text())
        return dict(document["enterprises"][role])

    # ------------------------------------------------------------------ checks
    def rpc(self, method: str, params: list[Any] | None = None,
            timeout_s: float = LIVENESS_TIMEOUT_S) -> Any:
        """One JSON-RPC call to the node; its `result` (raises on an error answer)."""
        response = httpx.post(self.live.rpc_url, json={"jsonrpc": "2.0", "id": 1,
                                                       "method": method, "params": params or []},
                              timeout=timeout_s)
        document = response.json()
        if "error" in document:
            raise AssertionError(f"{method}: {document['error']}")
        return document["result"]

    def verify_alive(self, after: str, *, sealing: bool = True) -> None:
        """Raise `SystemDown` unless every process, the API and the node are up (and, with
        `sealing`, a new transaction is sealed within two periods); see module docstring."""
        try:
            self._verify_alive(after, sealing=sealing)
        except SystemDown as exc:
            self.broken = str(exc)
            raise

    def _verify_alive(self, after: str, *, sealing: bool) -> None:
        if self.live.process.poll() is not None:
            tail = "".join(self.live.output[-15:])
            raise SystemDown(f"`traceledger up` exited with {self.live.process.returncode}:\n"
                             f"{tail}", after)
        dead = sorted(pid for pid in self.service_pids if not _alive(pid))
        if dead:
            raise SystemDown(f"service processes {dead} died (supervisor children "
                             f"now {sorted(child_pids(self.live.process.pid))})", after)
        try:
            health = httpx.get(f"{self.live.api_url}/healthz", timeout=LIVENESS_TIMEOUT_S)
        except httpx.HTTPError as exc:
            raise SystemDown(f"/healthz did not answer: {exc!r}", after) from exc
        if health.status_code != 200:
            raise SystemDown(f"/healthz answered {health.status_code}: {health.text[:300]}", after)
        try:
            self.rpc("eth_blockNumber")
        except (httpx.HTTPError, ValueError, AssertionError) as exc:
            raise SystemDown(f"the node did not answer eth_blockNumber: {exc!r}", after) from exc
        if sealing:
            self._verify_sealing(after)

    def _verify_sealing(self, after: str) -> None:
        sealer = Account.from_key(self.live.dev_keys["sealer"]["privateKey"])
        try:
            nonce = int(self.rpc("eth_getTransactionCount", [sealer.address, "pending"]), 16)
            transaction = sealer.sign_transaction({
                "to": sealer.address, "value": 0, "gas": 21_000, "gasPrice": 0,
                "nonce": nonce, "chainId": self.live.chain_id})
            tx_hash = self.rpc("eth_sendRawTransaction",
                               ["0x" + bytes(transaction.raw_transaction).hex()])
        except (httpx.HTTPError, ValueError, AssertionError) as exc:
            raise SystemDown(f"the node refused a plain transfer: {exc!r}", after) from exc
        deadline = time.monotonic() + 2 * self.period_s + SCHEDULING_SLACK_S
        while time.monotonic() < deadline:
            try:
                receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
            except (httpx.HTTPError, ValueError, AssertionError):
                receipt = None
            if receipt is not None:
                return
            time.sleep(0.1)
        raise SystemDown(f"a transaction was not sealed within two periods "
                         f"({2 * self.period_s:g} s + {SCHEDULING_SLACK_S:g} s slack)", after)


@contextlib.contextmanager
def hostile_system(backend: str, root: Path) -> Iterator[HostileSystem]:
    """A running system on `backend` ("sqlite" | "postgresql"), stopped (and its
    PostgreSQL database dropped) on exit."""
    with contextlib.ExitStack() as stack:
        database_url = None
        if backend == "postgresql":
            # Entered first, so it is dropped only after the system has stopped.
            database_url = stack.enter_context(fresh_database("adversarial"))
        system = HostileSystem(backend=backend, root=root, database_url=database_url,
                               oidc=OidcIssuer(jwks_file=root / "jwks.json"))
        stack.callback(system.stop)
        system.start()
        yield system
