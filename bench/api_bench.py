"""`traceledger bench api`: the trace API end to end, on a real `traceledger up --dev`.

Figures (issue 7, item 8), over HTTP against the running system, so every request pays
what a client pays (JSON, auth, signature recovery, durable commit of record + leaf):

- `bulk_events_per_s`: pre-signed events in 1,000-event EPCIS documents, `CLIENTS`
  concurrent clients; a 202 means the events are durable (records and leaves committed,
  fsync on SQLite). Target >= 20,000 events/s.
- `capture_p50_ms` / `capture_p99_ms`: one-event documents, one at a time.
- `verify_p50_ms` / `verify_p99_ms`: `POST /v1/verify` with the event and its bundle (what
  a third party sends), warm caches; `verify_lookup_*`: the event only (the API builds the
  bundle); `verify_library_*`: `trace_api.verification.service.verify` in this process
  against the node's JSON-RPC (the third-party path, no API). Target p50 <= 5 ms.
- `anchored_p50_s` / `anchored_p99_s`: from a bulk document's 202 to the first anchored
  head on chain covering its last leaf (chain polled every `POLL_S`), during the bulk run.

Events are generated and signed before any timed section: realistic ObjectEvents with
distinct SGTINs, times, business steps and locations. Reported, never asserted.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from anchoring.core import RecordDomain, TraceRecord, event_hash_id, sign_record
from contracts.abi import Contract, function_selector
from testing.percentiles import percentile
from testing.processes import free_port
from testing.system import traceledger_up

TARGETS = {"bulk_events_per_s": 20_000, "verify_p50_ms": 5.0}
DOCUMENT_EVENTS = 1_000
CLIENTS = 2
POLL_S = 0.05
READY_TIMEOUT_S = 240.0
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
BIZ_STEPS = ["commissioning", "packing", "shipping", "receiving", "storing", "retail_selling"]
DISPOSITIONS = ["active", "in_progress", "in_transit", "in_progress", "in_progress", "retail_sold"]


@dataclass
class System:
    """A running `traceledger up --dev` started by this bench."""

    process: subprocess.Popen[str]
    data_dir: Path
    api_url: str
    rpc_url: str

    @property
    def admin_key(self) -> str:
        return (self.data_dir / "admin.key").read_text(encoding="utf-8").strip()

    @property
    def deployment(self) -> dict[str, Any]:
        return json.loads((self.data_dir / "node" / "deployment.json").read_text())  # type: ignore[no-any-return]


@contextmanager
def running_system(root: Path, db: str | None = None) -> Iterator[System]:
    """`traceledger up --dev` in `root` with free ports and no rate limit in the way;
    stopped on exit."""
    rpc_port, log_port, api_port = free_port(), free_port(), free_port()
    data_dir = root / "data"
    env = {**os.environ, "TRACELEDGER_API_RATE_LIMIT_PER_MINUTE": "100000000",
           "TRACELEDGER_API_RATE_LIMIT_BURST": "10000000"}
    with traceledger_up(data_dir, rpc_port=rpc_port, log_port=log_port, api_port=api_port,
                        extra_args=["--db", db] if db else [], env=env,
                        ready_timeout_s=READY_TIMEOUT_S) as (process, _console):
        yield System(process, data_dir, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{rpc_port}")


def bench_company_prefix() -> str:
    """A fresh 7-digit GS1 Company Prefix (690-699 is GS1 China's range) for one run."""
    return "69" + str(secrets.randbelow(10**5)).zfill(5)


def register_enterprise(system: System, company_prefix: str) -> tuple[str, str, bytes, str]:
    """A fresh self-custody enterprise holding `company_prefix` (7 digits, as `make_events`
    writes them): (enterprise id, API key, private key, address)."""
    from eth_account import Account

    from trace_api.identity import uscc_check_character

    account = Account.create()
    body = "91350100" + "".join(secrets.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    response = httpx.post(
        f"{system.api_url}/v1/enterprises",
        json={"name": "Bench Foods", "uscc": body + uscc_check_character(body),
              "sectors": ["food"], "companyPrefixes": [company_prefix],
              "glns": [], "custody": "self", "signingAddress": account.address},
        headers={"Authorization": f"Bearer {system.admin_key}"}, timeout=60,
    )
    response.raise_for_status()
    document = response.json()
    return document["enterpriseId"], document["apiKey"]["key"], bytes(account.key), account.address


def make_events(count: int, first_serial: int, company_prefix: str) -> list[dict[str, Any]]:
    """Distinct, realistic ObjectEvents: one SGTIN each, times spread over a day, at places
    under `company_prefix` (7 digits), which the capturing enterprise must hold: capture
    accepts only what an enterprise speaks for (trace_api/capture/README.md)."""
    events = []
    for offset in range(count):
        serial = first_serial + offset
        step = offset % len(BIZ_STEPS)
        seconds = serial % 86_400
        events.append({
            "type": "ObjectEvent",
            "eventTime": f"2026-11-20T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{serial % 1000:03d}+08:00",
            "eventTimeZoneOffset": "+08:00",
            "epcList": [f"urn:epc:id:sgtin:{company_prefix}.{107346 + serial % 50}.{serial}"],
            "action": "ADD" if step == 0 else "OBSERVE",
            "bizStep": BIZ_STEPS[step],
            "disposition": DISPOSITIONS[step],
            "readPoint": {"id": f"urn:epc:id:sgln:{company_prefix}.{serial % 97:05d}.0"},
            "bizLocation": {"id": f"urn:epc:id:sgln:{company_prefix}.{serial % 89:05d}.0"},
        })
    return events


def signed_document(events: list[dict[str, Any]], domain: RecordDomain, key: bytes,
                    address: str) -> tuple[bytes, list[str]]:
    """The EPCIS document (bytes) with `tl:signatures`, and the events' hash IDs."""
    signatures, hash_ids = {}, []
    for event in events:
        hash_id = event_hash_id(event, context=CONTEXT)
        digest = bytes.fromhex(hash_id.split(";", 1)[1][:64])
        signatures[hash_id] = "0x" + sign_record(TraceRecord(digest, address), domain, key).hex()
        hash_ids.append(hash_id)
    document = {
        "@context": [*CONTEXT, {"tl": "https://traceledger.dev/ns/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-20T09:00:00Z",
        "tl:signatures": signatures, "epcisBody": {"eventList": events},
    }
    return json.dumps(document).encode(), hash_ids


class AnchorWatch:
    """Polls the chain's latest anchored head; records when each awaited leaf is covered."""

    def __init__(self, rpc_url: str, trace_anchor: str) -> None:
        from trace_api.verification.chain_reader import ChainReader

        self.reader = ChainReader(rpc_url)
        self.trace_anchor = trace_anchor
        self.awaited: list[tuple[int, float]] = []  # (last leaf, accepted at)
        self.latencies: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def await_leaf(self, leaf_index: int, accepted_at: float) -> None:
        with self._lock:
            self.awaited.append((leaf_index, accepted_at))

    def _latest_size(self) -> int:
        from trace_api.verification.chain_reader import CallReverted, decode

        try:
            data = self.reader.call(self.trace_anchor, function_selector(Contract.TRACE_ANCHOR, "latestHead"))
        except CallReverted:  # UnknownHeadIndex(0): nothing anchored yet
            return 0
        return int(decode(["(uint64,uint64,uint64,bytes32)"], data)[0][0])

    def _run(self) -> None:
        while not self._stop.is_set():
            size, now = self._latest_size(), time.perf_counter()
            with self._lock:
                done = [item for item in self.awaited if item[0] < size]
                self.awaited = [item for item in self.awaited if item[0] >= size]
            self.latencies += [now - accepted for _, accepted in done]
            self._stop.wait(POLL_S)

    def start(self) -> None:
        self._thread.start()

    def finish(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.awaited and time.monotonic() < deadline:
            time.sleep(POLL_S)
        self._stop.set()
        self._thread.join()
        self.reader.close()


def run_api_bench(*, events: int = 20_000, clients: int = CLIENTS, single: int = 200,
                  verifies: int = 300, db: str | None = None) -> dict[str, Any]:
    """Start a system, register an enterprise, measure; returns figures and settings."""
    root = Path(tempfile.mkdtemp(prefix="traceledger-bench-api-"))
    try:
        with running_system(root, db) as system:
            result = _measure(system, events=events, clients=clients, single=single, verifies=verifies)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result["settings"]["database"] = "postgresql" if db else "sqlite"
    return result


def _measure(system: System, *, events: int, clients: int, single: int,
             verifies: int) -> dict[str, Any]:
    deployment = system.deployment
    trace_anchor = deployment["contracts"]["TraceAnchor"]["address"]
    domain = RecordDomain(int(deployment["chainId"]), trace_anchor)
    prefix = bench_company_prefix()
    _enterprise_id, api_key, key, address = register_enterprise(system, prefix)
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/ld+json"}

    # Untimed: generate and sign everything.
    documents = [
        signed_document(make_events(DOCUMENT_EVENTS, start, prefix), domain, key, address)
        for start in range(0, events, DOCUMENT_EVENTS)
    ]
    singles = [signed_document(make_events(1, 10_000_000 + n, prefix), domain, key, address)
               for n in range(single)]
    watch = AnchorWatch(system.rpc_url, trace_anchor)

    def post(client: httpx.Client, body: bytes) -> dict[str, Any]:
        response = client.post(f"{system.api_url}/v1/capture", content=body, headers=headers)
        if response.status_code != 202:
            raise RuntimeError(f"capture answered {response.status_code}: {response.text[:300]}")
        return response.json()  # type: ignore[no-any-return]

    # Warm-up: one document through every code path (connections, worker pools).
    with httpx.Client(timeout=300) as client:
        warm_body, _ = signed_document(make_events(DOCUMENT_EVENTS, 20_000_000, prefix), domain, key, address)
        post(client, warm_body)

    queue = list(documents)
    queue_lock = threading.Lock()
    accepted = 0

    def worker() -> None:
        nonlocal accepted
        with httpx.Client(timeout=300) as client:
            while True:
                with queue_lock:
                    if not queue:
                        return
                    body, _ = queue.pop()
                job = post(client, body)
                done = time.perf_counter()
                leaves = [event["leafIndex"] for event in job["events"] if event["leafIndex"] is not None]
                watch.await_leaf(max(leaves), done)
                with queue_lock:
                    accepted += job["accepted"]

    watch.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(worker) for _ in range(clients)]:
            future.result()
    bulk_seconds = time.perf_counter() - started
    watch.finish()

    capture_ms: list[float] = []
    with httpx.Client(timeout=60) as client:
        for body, _ in singles:
            begun = time.perf_counter()
            post(client, body)
            capture_ms.append((time.perf_counter() - begun) * 1000)

    verify_figures = _measure_verify(system, documents, trace_anchor, verifies)
    figures = {
        "bulk_events_per_s": round(accepted / bulk_seconds),
        "capture_p50_ms": round(statistics.median(capture_ms), 2),
        "capture_p99_ms": round(percentile(capture_ms, 0.99), 2),
        **verify_figures,
        "anchored_p50_s": round(statistics.median(watch.latencies), 2) if watch.latencies else None,
        "anchored_p99_s": round(percentile(watch.latencies, 0.99), 2) if watch.latencies else None,
    }
    return {"figures": figures, "targets": TARGETS,
            "settings": {"events": accepted, "document_events": DOCUMENT_EVENTS,
                         "clients": clients, "single_captures": single, "verifies": verifies},
            "load_average": list(os.getloadavg())}


def _measure_verify(system: System, documents: list[tuple[bytes, list[str]]],
                    trace_anchor: str, count: int) -> dict[str, float]:
    """Verify latency over HTTP (with bundle, without) and in-process, warm caches."""
    from urllib.parse import quote

    from trace_api.verification.service import TraceRecordVerifier, verify

    chosen: list[tuple[dict[str, Any], str]] = []  # (event, hash ID), first `count` events
    with httpx.Client(timeout=60) as client:
        for body, hash_ids in documents:
            document = json.loads(body)
            for event, hash_id in zip(document["epcisBody"]["eventList"], hash_ids, strict=True):
                if len(chosen) == count:
                    break
                chosen.append((event, hash_id))
        bundles = []
        deadline = time.monotonic() + 60
        for event, hash_id in chosen:
            while True:
                bundle = client.get(f"{system.api_url}/v1/events/{quote(hash_id, safe='')}/proof").json()
                if bundle.get("status") == "anchored" or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            bundles.append(bundle)
        pairs = [({"@context": CONTEXT, **event}, bundle)
                 for (event, _), bundle in zip(chosen, bundles, strict=True)]

        def timed(payloads: list[dict[str, Any]]) -> list[float]:
            client.post(f"{system.api_url}/v1/verify", json=payloads[0])  # warm
            samples = []
            for payload in payloads:
                begun = time.perf_counter()
                response = client.post(f"{system.api_url}/v1/verify", json=payload)
                samples.append((time.perf_counter() - begun) * 1000)
                if response.json().get("verdict") != "verified":
                    raise RuntimeError(f"not verified: {response.text[:500]}")
            return samples

        with_bundle = timed([{"event": event, "bundle": bundle} for event, bundle in pairs])
        lookup = timed([{"event": event} for event, _ in pairs])
    verifier = TraceRecordVerifier.offline(system.rpc_url, trace_anchor)
    try:
        verify(verifier, *pairs[0])  # warm the caches (anchored root, member status)
        library = []
        for event, bundle in pairs:
            begun = time.perf_counter()
            verdict = verify(verifier, event, bundle)
            library.append((time.perf_counter() - begun) * 1000)
            if verdict.verdict != "verified":
                raise RuntimeError(f"not verified: {verdict.to_json()}")
    finally:
        verifier.close()
    return {
        "verify_p50_ms": round(statistics.median(with_bundle), 2),
        "verify_p99_ms": round(percentile(with_bundle, 0.99), 2),
        "verify_lookup_p50_ms": round(statistics.median(lookup), 2),
        "verify_lookup_p99_ms": round(percentile(lookup, 0.99), 2),
        "verify_library_p50_ms": round(statistics.median(library), 2),
        "verify_library_p99_ms": round(percentile(library, 0.99), 2),
    }


FIGURE_NAMES = {
    "bulk_events_per_s": "bulk capture, pre-signed events/s (1,000-event documents, {clients} clients, durable)",
    "capture_p50_ms": "single-event capture latency p50, ms",
    "capture_p99_ms": "single-event capture latency p99, ms",
    "verify_p50_ms": "POST /v1/verify {{event, bundle}} latency p50, ms",
    "verify_p99_ms": "POST /v1/verify {{event, bundle}} latency p99, ms",
    "verify_lookup_p50_ms": "POST /v1/verify {{event}} (API builds the bundle) p50, ms",
    "verify_lookup_p99_ms": "POST /v1/verify {{event}} (API builds the bundle) p99, ms",
    "verify_library_p50_ms": "verify() in-process against the node's JSON-RPC p50, ms",
    "verify_library_p99_ms": "verify() in-process against the node's JSON-RPC p99, ms",
    "anchored_p50_s": "accept-to-anchored p50 under the bulk load, s",
    "anchored_p99_s": "accept-to-anchored p99 under the bulk load, s",
}


def report_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(figure, measured, target) rows for the console table and bench/README.md."""
    targets = result["targets"]
    rows = []
    for name, measured in result["figures"].items():
        target = targets.get(name)
        shown = "" if target is None else (f"<= {target}" if name.endswith("_ms") else f">= {target:,}")
        label = FIGURE_NAMES[name].format(**result["settings"])
        rows.append((label, "n/a" if measured is None else f"{measured:,}", shown))
    rows.append(("load average during run (1/5/15 min)",
                 " / ".join(f"{value:.1f}" for value in result["load_average"]), "shared machine"))
    return rows


def api_command(
    events: Annotated[int, typer.Option(help="Events in the bulk run (1,000 per document).")] = 20_000,
    clients: Annotated[int, typer.Option(help="Concurrent bulk capture clients.")] = CLIENTS,
    db: Annotated[str | None, typer.Option(
        help="An empty PostgreSQL database, postgresql://... (default: SQLite).")] = None,
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """The trace API end to end on `traceledger up --dev`: capture, verify, anchoring."""
    from rich.console import Console

    from bench.machine import describe_machine
    from bench.report import append_section, print_rows

    console = Console(stderr=True)
    machine = describe_machine()
    with console.status("measuring the trace API on a running system (a few minutes)"):
        result = run_api_bench(events=events, clients=clients, db=db)
    result["machine"] = machine
    typer.echo(json.dumps(result, indent=2))
    rows = report_rows(result)
    print_rows(console, "traceledger bench api", rows)
    if record:
        append_section("trace API (capture, verify, anchoring)", machine, rows,
                       "traceledger bench api")
        console.print("[green]appended to bench/README.md[/]")
