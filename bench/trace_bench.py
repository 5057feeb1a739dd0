"""`traceledger bench trace`: provenance traces and recall impact on a generated network.

The network (`generate_network`) is a food supply chain in production runs:

- farms harvest lots (ObjectEvent ADD, class level, kg) and ship them to a processor
  (shipping / receiving with owning parties);
- a processor run (TransformationEvent) merges two or three farm lots, each split across
  several runs, and sometimes an earlier run's product lot (an ingredient: lineage chains
  grow deeper than farm -> shelf), into a product lot and serialised cases (SGTIN);
- cases are packed on pallets (AggregationEvent ADD, SSCC), shipped to a distributor,
  received, unpacked, re-packed into mixed pallets for retailers, shipped, received and
  unpacked there, and each case is sold (ObjectEvent retail_selling);
- one farm lot (the recall lot) feeds enough runs to reach >= 10,000 cases downstream.

Events are generated in batches and loaded with `write_graph` (bulk insert; COPY on
PostgreSQL) exactly as capture loads them; `load_network` takes an `also_write` hook for
other tables (the audit export bench adds `api_events` rows through it). Then random
identifiers (farm lots, product lots, cases, pallets) are traced backward, forward and
both at several depths, and the recall lot's impact is computed.

The figures are the graph part of `/v1/trace` (`trace_graph`: walk, events, places,
cycles). Per-event verification (`event_states`: anchors from the mirror, signature and
inclusion re-checked for the first 200 events) needs log entries and a chain, which a
generated network has not; it is not in these figures.
"""

from __future__ import annotations

import gc
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self

import typer

from testing.percentiles import percentile
from testing.postgres import database_on

if TYPE_CHECKING:  # the CLI imports this module on every `traceledger bench`: keep it light
    from anchoring.store.db import Cursor
    from trace_api.records.models import CapturedEvent

DEFAULT_EVENTS = 1_000_000
BATCH_EVENTS = 5_000
"""Events per transaction: capture's batches are of this order, and it bounds memory."""
CASES_PER_RUN = 48
CASES_PER_PALLET = 24
CASES_PER_MIXED_PALLET = 12
RECALL_RUNS = 220  # 220 runs x 48 cases = 10,560 cases downstream of the recall lot
TRACE_DEPTHS = (1, 3, 5, 10)
TARGET_P99_MS = 100.0

_FARM_PREFIX = 4_000_000  # GS1 company prefixes: 7 digits, one per enterprise
_PROCESSOR_PREFIX = 5_000_000
_DISTRIBUTOR_PREFIX = 6_000_000
_RETAILER_PREFIX = 7_000_000
_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class NetworkShape:
    """How many of each actor; defaults are a mid-sized regional food network."""

    farms: int = 300
    processors: int = 20
    distributors: int = 10
    retailers: int = 400
    seed: int = 2026


@dataclass
class NetworkFacts:
    """What the generator made, for picking trace starts (filled while generating)."""

    farm_lots: list[str] = field(default_factory=list)
    product_lots: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    pallets: list[str] = field(default_factory=list)
    recall_lot: str = ""
    events: int = 0


def _enterprise(kind: str, index: int) -> str:
    return "0x" + hashlib.sha256(f"{kind}-{index}".encode()).hexdigest()


def _time(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


class _Generator:
    """Keeps the network's state while runs are generated; `events()` yields them in order."""

    def __init__(self, shape: NetworkShape, facts: NetworkFacts) -> None:
        from trace_api.records.models import CapturedEvent

        self._captured = CapturedEvent
        self.shape = shape
        self.facts = facts
        self.rng = random.Random(shape.seed)
        self.clock_ms = _START_MS
        self.leaf = 0
        self.lot_counter = 0
        self.sscc_counter = 0
        self.open_farm_lots: list[tuple[str, int, int]] = []  # (lot URI, farm index, runs left)
        self.recent_products: list[str] = []
        self.recall_runs_left = RECALL_RUNS
        self.recall_farm = 0

    def _tick(self, minutes: int = 1) -> str:
        self.clock_ms += minutes * 60_000
        return _time(self.clock_ms)

    def _emit(self, enterprise_id: str, event: dict[str, Any]) -> CapturedEvent:
        leaf = self.leaf
        self.leaf += 1
        return self._captured(leaf_index=leaf, event_hash_id=f"ni:///sha-256;{leaf:064x}?ver=CBV2.0",
                             enterprise_id=enterprise_id, submitter="0x" + "1" * 40,
                             received_at_ms=self.clock_ms, event=event)

    @staticmethod
    def _location(prefix: int, site: int = 1) -> dict[str, str]:
        return {"id": f"urn:epc:id:sgln:{prefix}.{site:05d}.0"}

    @staticmethod
    def _party(prefix: int) -> str:
        return f"urn:epc:id:pgln:{prefix}.00001"

    def _ship(self, sender: tuple[str, int], receiver: tuple[str, int], what: dict[str, Any],
              ) -> Iterator[CapturedEvent]:
        (sender_id, sender_prefix), (receiver_id, receiver_prefix) = sender, receiver
        yield self._emit(sender_id, {
            "type": "ObjectEvent", "eventTime": self._tick(), "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit", **what,
            "readPoint": self._location(sender_prefix),
            "bizTransactionList": [{"type": "po", "bizTransaction":
                                    f"urn:epcglobal:cbv:bt:{receiver_prefix}000001:PO-{self.leaf}"}],
            "sourceList": [{"type": "owning_party", "source": self._party(sender_prefix)}],
            "destinationList": [{"type": "owning_party", "destination": self._party(receiver_prefix)}],
        })
        yield self._emit(receiver_id, {
            "type": "ObjectEvent", "eventTime": self._tick(30), "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress", **what,
            "bizLocation": self._location(receiver_prefix),
        })

    def _farm_lot(self, farm: int, runs: int, processor: int) -> Iterator[CapturedEvent]:
        prefix = _FARM_PREFIX + farm
        self.lot_counter += 1
        lot = f"urn:epc:class:lgtin:{prefix}.000001.H{self.lot_counter}"
        kg = 250 * runs
        farm_id = _enterprise("farm", farm)
        yield self._emit(farm_id, {
            "type": "ObjectEvent", "eventTime": self._tick(), "eventTimeZoneOffset": "+00:00",
            "action": "ADD", "bizStep": "commissioning", "disposition": "active",
            "quantityList": [{"epcClass": lot, "quantity": kg, "uom": "KGM"}],
            "bizLocation": self._location(prefix), "ilmd": {"cbvmda:lotNumber": f"H{self.lot_counter}"},
        })
        processor_prefix = _PROCESSOR_PREFIX + processor
        yield from self._ship((farm_id, prefix), (_enterprise("processor", processor), processor_prefix),
                              {"quantityList": [{"epcClass": lot, "quantity": kg, "uom": "KGM"}]})
        self.facts.farm_lots.append(lot)
        self.open_farm_lots.append((lot, farm, runs))

    def _take_farm_lot(self) -> str:
        index = self.rng.randrange(len(self.open_farm_lots))
        lot, farm, runs = self.open_farm_lots[index]
        if runs <= 1:
            self.open_farm_lots[index] = self.open_farm_lots[-1]
            self.open_farm_lots.pop()
        else:
            self.open_farm_lots[index] = (lot, farm, runs - 1)
        return lot

    def run(self, run_index: int) -> Iterator[CapturedEvent]:
        """One processor run and everything downstream of it."""
        rng = self.rng
        processor = rng.randrange(self.shape.processors)
        processor_prefix = _PROCESSOR_PREFIX + processor
        processor_id = _enterprise("processor", processor)
        while len(self.open_farm_lots) < 4:  # each farm lot is split across 2-3 runs
            yield from self._farm_lot(rng.randrange(1, self.shape.farms), rng.randint(2, 3), processor)
        inputs = [self._take_farm_lot() for _ in range(rng.randint(2, 3))]
        if self.recall_runs_left > 0:
            self.recall_runs_left -= 1
            inputs.append(self.facts.recall_lot)
        if self.recent_products and rng.random() < 0.5:  # an earlier product as an ingredient
            inputs.append(self.recent_products.pop(rng.randrange(len(self.recent_products))))
        inputs = list(dict.fromkeys(inputs))
        product_ref = f"{1 + run_index % 9}{run_index % 100_000:05d}"[:6]
        lot_number = f"R{run_index}"
        product_lot = f"urn:epc:class:lgtin:{processor_prefix}.{product_ref}.{lot_number}"
        cases = [f"urn:epc:id:sgtin:{processor_prefix}.{product_ref}.{run_index * 100 + n}"
                 for n in range(CASES_PER_RUN)]
        yield self._emit(processor_id, {
            "type": "TransformationEvent", "eventTime": self._tick(), "eventTimeZoneOffset": "+00:00",
            "bizStep": "commissioning", "disposition": "active",
            "inputQuantityList": [{"epcClass": lot, "quantity": 100, "uom": "KGM"} for lot in inputs],
            "outputQuantityList": [{"epcClass": product_lot, "quantity": CASES_PER_RUN * 6, "uom": "KGM"}],
            "outputEPCList": cases, "ilmd": {"cbvmda:lotNumber": lot_number},
            "bizLocation": self._location(processor_prefix),
        })
        self.facts.product_lots.append(product_lot)
        self.facts.cases.extend(cases)
        self.recent_products.append(product_lot)
        if len(self.recent_products) > 50:
            self.recent_products.pop(0)
        distributor = rng.randrange(self.shape.distributors)
        distributor_prefix = _DISTRIBUTOR_PREFIX + distributor
        distributor_id = _enterprise("distributor", distributor)
        for start in range(0, CASES_PER_RUN, CASES_PER_PALLET):
            yield from self._pallet_trip(cases[start:start + CASES_PER_PALLET], (processor_id, processor_prefix),
                                         (distributor_id, distributor_prefix))
        for start in range(0, CASES_PER_RUN, CASES_PER_MIXED_PALLET):
            retailer = rng.randrange(self.shape.retailers)
            retailer_prefix = _RETAILER_PREFIX + retailer
            retailer_id = _enterprise("retailer", retailer)
            chunk = cases[start:start + CASES_PER_MIXED_PALLET]
            yield from self._pallet_trip(chunk, (distributor_id, distributor_prefix), (retailer_id, retailer_prefix))
            for case in chunk:
                yield self._emit(retailer_id, {
                    "type": "ObjectEvent", "eventTime": self._tick(5), "eventTimeZoneOffset": "+00:00",
                    "action": "OBSERVE", "bizStep": "retail_selling", "disposition": "retail_sold",
                    "epcList": [case], "bizLocation": self._location(retailer_prefix),
                })

    def _pallet_trip(self, cases: Sequence[str], sender: tuple[str, int], receiver: tuple[str, int],
                     ) -> Iterator[CapturedEvent]:
        """Pack at the sender, ship, receive, unpack at the receiver."""
        self.sscc_counter += 1
        sscc = f"urn:epc:id:sscc:{sender[1]}.{self.sscc_counter % 10**10:010d}"
        self.facts.pallets.append(sscc)
        yield self._emit(sender[0], {
            "type": "AggregationEvent", "eventTime": self._tick(), "eventTimeZoneOffset": "+00:00",
            "action": "ADD", "bizStep": "packing", "disposition": "in_progress",
            "parentID": sscc, "childEPCs": list(cases), "bizLocation": self._location(sender[1]),
        })
        yield from self._ship(sender, receiver, {"epcList": [sscc]})
        yield self._emit(receiver[0], {
            "type": "AggregationEvent", "eventTime": self._tick(), "eventTimeZoneOffset": "+00:00",
            "action": "DELETE", "bizStep": "unpacking", "disposition": "in_progress",
            "parentID": sscc, "childEPCs": list(cases), "bizLocation": self._location(receiver[1]),
        })

    def events(self, total: int) -> Iterator[CapturedEvent]:
        # The recall lot: a big farm's harvest, split across RECALL_RUNS runs.
        yield from self._farm_lot(self.recall_farm, 1, 0)
        self.open_farm_lots.pop()  # it is handed to runs explicitly, not drawn at random
        self.facts.recall_lot = self.facts.farm_lots[-1]
        run_index = 0
        while self.leaf < total:
            yield from self.run(run_index)
            run_index += 1
        self.facts.events = self.leaf


def generate_network(events: int = DEFAULT_EVENTS, shape: NetworkShape | None = None,
                     facts: NetworkFacts | None = None) -> Iterator[CapturedEvent]:
    """Yield at least `events` captured events of a generated supply network, in leaf order.

    Deterministic for a given `shape.seed`. Runs are never cut, so the count may exceed
    `events` by one run (~80 events). `facts` (if given) collects identifiers as they
    are made; the recall lot is the first farm lot.
    """
    return _Generator(shape or NetworkShape(), facts if facts is not None else NetworkFacts()).events(events)


def batches(events: Iterator[CapturedEvent], size: int = BATCH_EVENTS) -> Iterator[list[CapturedEvent]]:
    batch: list[CapturedEvent] = []
    for event in events:
        batch.append(event)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


AlsoWrite = Callable[["Cursor", Sequence["CapturedEvent"]], None]


@dataclass
class LoadTimes:
    generate_s: float = 0.0
    load_s: float = 0.0
    events: int = 0


def load_network(url: str, events: Iterator[CapturedEvent], *, also_write: AlsoWrite | None = None,
                 on_batch: Callable[[int], None] | None = None) -> LoadTimes:
    """Create the `api_*` tables at `url` and load `events` through `write_graph` in batches
    (one transaction each, as capture does). Returns generation and load seconds apart."""
    from anchoring.store.db import Database
    from trace_api.db import create_api_tables, create_db_engine
    from trace_api.provenance.ingest import write_graph

    engine = create_db_engine(url)
    create_api_tables(engine)
    engine.dispose()
    database = Database(url)
    times = LoadTimes()
    try:
        iterator = iter(events)
        while True:
            started = time.perf_counter()
            batch = [event for _, event in zip(range(BATCH_EVENTS), iterator, strict=False)]
            times.generate_s += time.perf_counter() - started
            if not batch:
                break
            started = time.perf_counter()
            with database.transaction() as cursor:
                write_graph(cursor, batch)
                if also_write is not None:
                    also_write(cursor, batch)
            times.load_s += time.perf_counter() - started
            times.events += len(batch)
            if on_batch is not None:
                on_batch(len(batch))
    finally:
        database.close()
    return times


# --- measuring ------------------------------------------------------------------------------


def _starts(facts: NetworkFacts, samples: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pools = [[lot for lot in facts.farm_lots if lot != facts.recall_lot], facts.product_lots,
             facts.cases, facts.pallets]
    return [rng.choice(pools[n % len(pools)]) for n in range(samples)]


SLOWEST_ENV = "TRACE_BENCH_SLOWEST"
"""`TRACE_BENCH_SLOWEST=N` prints the N slowest traces to stderr: start, direction, depth,
identifiers reached and the cyclic-GC pauses (generation, ms) that fell inside each. The
JSON figures are unchanged. (How the forward p99 was found to be full GC pauses.)"""


class _SlowTraces:
    """Per-trace latency and the GC pauses inside it, kept only when `SLOWEST_ENV` asks."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.rows: list[tuple[float, str, int, str, int, list[tuple[int, float]]]] = []
        self._pauses: list[tuple[int, float]] = []
        self._began = 0.0

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self._pauses.append((info["generation"], round((time.perf_counter() - self._began) * 1000, 1)))

    def __enter__(self) -> Self:
        if self.keep:
            gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *_: object) -> None:
        if self.keep:
            gc.callbacks.remove(self._on_gc)
            for ms, direction, depth, start, reached, pauses in sorted(self.rows, reverse=True)[:self.keep]:
                print(f"slow trace {ms:8.2f} ms  {direction:8} d{depth:<2} {reached:6} identifiers  {start}"
                      f"  gc pauses (gen, ms): {[p for p in pauses if p[1] >= 1]}", file=sys.stderr)
            print(f"traces with a full (gen 2) collection inside: "
                  f"{sum(any(g == 2 for g, _ in row[5]) for row in self.rows)} of {len(self.rows)}", file=sys.stderr)

    def before(self) -> None:
        self._pauses = []

    def record(self, ms: float, direction: str, depth: int, start: str, reached: int) -> None:
        if self.keep:
            self.rows.append((ms, direction, depth, start, reached, self._pauses))


def measure_traces(url: str, facts: NetworkFacts, *, samples: int,
                   progress: Callable[[], None] | None = None) -> dict[str, Any]:
    """p50 / p99 latency (ms) of `trace_graph` per direction and depth over `samples` starts."""
    from trace_api.db import create_db_engine
    from trace_api.provenance.impact import compute_impact
    from trace_api.provenance.trace import trace_graph

    engine = create_db_engine(url, pool_size=1)
    starts = _starts(facts, samples, seed=7)
    figures: dict[str, Any] = {}
    slow = _SlowTraces(int(os.environ.get(SLOWEST_ENV, "0") or 0))
    # The server freezes its start-up heap (`traceledger api serve`), so a full garbage
    # collection never walks it; measure under the same policy. Without it a gen-2 pause of
    # ~50-100 ms lands inside whichever trace happens to be running.
    gc.collect()
    gc.freeze()
    try:
        with engine.connect() as connection, slow:
            trace_graph(connection, starts[0], "both", 10)  # warm the statement cache
            for direction in ("backward", "forward", "both"):
                for depth in TRACE_DEPTHS:
                    latencies: list[float] = []
                    nodes: list[int] = []
                    for start in starts:
                        slow.before()
                        began = time.perf_counter()
                        result = trace_graph(connection, start, direction, depth)
                        latencies.append((time.perf_counter() - began) * 1000)
                        nodes.append(len(result.identifier_nodes))
                        slow.record(latencies[-1], direction, depth, start, nodes[-1])
                        if progress is not None:
                            progress()
                    figures[f"{direction}_d{depth}"] = {
                        "p50_ms": round(percentile(latencies, 0.5), 2),
                        "p99_ms": round(percentile(latencies, 0.99), 2),
                        "max_ms": round(max(latencies), 2),
                        "median_identifiers": statistics.median(nodes), "max_identifiers": max(nodes)}
            began = time.perf_counter()
            impact = compute_impact(connection, facts.recall_lot)
            impact_s = time.perf_counter() - began
    finally:
        engine.dispose()
    counts = impact.counts()
    figures["recall_impact"] = {"seconds": round(impact_s, 3), "items": counts["item"], "lots": counts["lot"],
                                "logistic_units": counts["logistic_unit"], "locations": counts["location"],
                                "enterprises": counts["enterprise"], "truncated": impact.truncated}
    return figures


def _analyze(url: str) -> None:
    """Fresh statistics for the planner, as autovacuum / a DBA would keep them."""
    from sqlalchemy import text

    from trace_api.db import create_db_engine

    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def run_trace_bench(*, events: int = DEFAULT_EVENTS, backends: Sequence[str] = ("sqlite", "postgresql"),
                    samples: int = 200, pg_server: str = "postgresql://postgres@127.0.0.1:5432",
                    work_dir: Path | None = None) -> dict[str, Any]:
    """Generate and load the network into each backend, then measure traces and impact."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    result: dict[str, Any] = {"events_requested": events, "samples": samples, "depths": list(TRACE_DEPTHS),
                              "target_p99_ms": TARGET_P99_MS, "backends": {}}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with tempfile.TemporaryDirectory(dir=work_dir) as temp, Progress(*columns, console=Console(stderr=True)) as progress:
        for backend in backends:
            with database_on(backend, Path(temp) / "trace-bench.db", "trace_bench", pg_server) as url:
                facts = NetworkFacts()
                loading = progress.add_task(f"{backend}: generate + load", total=events)

                def loaded(count: int, task: Any = loading) -> None:
                    progress.advance(task, count)

                times = load_network(url, generate_network(events, facts=facts), on_batch=loaded)
                _analyze(url)
                tracing = progress.add_task(f"{backend}: traces", total=samples * 3 * len(TRACE_DEPTHS))

                def traced(task: Any = tracing) -> None:
                    progress.advance(task)

                figures = measure_traces(url, facts, samples=samples, progress=traced)
                result["backends"][backend] = {
                    "events": times.events, "generate_s": round(times.generate_s, 1),
                    "load_s": round(times.load_s, 1),
                    "load_events_per_s": round(times.events / times.load_s) if times.load_s else None,
                    **figures,
                }
    return result


_FIGURES = {
    "load_events_per_s": "events loaded/s through write_graph ({backend}, {events:,} events)",
    "p99": "{direction} trace p99, ms, depth {depth} ({backend})",
    "impact": "recall impact of one farm lot: {items:,} items, s ({backend})",
}


def trace_command(
    events: Annotated[int, typer.Option(help="Events in the generated network.")] = DEFAULT_EVENTS,
    backends: Annotated[str, typer.Option(help="Comma-separated: sqlite,postgresql.")] = "sqlite,postgresql",
    samples: Annotated[int, typer.Option(help="Trace starts per direction and depth.")] = 200,
    pg_server: Annotated[str, typer.Option(help="PostgreSQL server (a fresh database is made and dropped).")]
    = "postgresql://postgres@127.0.0.1:5432",
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """Provenance trace latency (p50/p99 by direction and depth) and recall impact on a generated network."""
    import json

    from bench.machine import describe_machine
    from bench.report import append_section

    result = run_trace_bench(events=events, backends=[b.strip() for b in backends.split(",") if b.strip()],
                             samples=samples, pg_server=pg_server)
    result["machine"] = describe_machine()
    typer.echo(json.dumps(result, indent=2))
    if not record:
        return
    rows: list[tuple[str, str, str]] = []
    for backend, figures in result["backends"].items():
        rows.append((f"generate + load ({backend}, {figures['events']:,} events): generation s / load s",
                     f"{figures['generate_s']} / {figures['load_s']}", ""))
        rows.append((_FIGURES["load_events_per_s"].format(backend=backend, events=figures["events"]),
                     f"{figures['load_events_per_s']:,}", ""))
        for direction in ("backward", "forward", "both"):
            for depth in TRACE_DEPTHS:
                cell = figures[f"{direction}_d{depth}"]
                rows.append((f"{direction} trace p50 / p99, ms, depth {depth} ({backend})",
                             f"{cell['p50_ms']} / {cell['p99_ms']}", f"p99 < {TARGET_P99_MS:g}"))
        impact = figures["recall_impact"]
        rows.append((_FIGURES["impact"].format(items=impact["items"], backend=backend), f"{impact['seconds']}",
                     ">= 10,000 items"))
    append_section("provenance traces and recall impact", result["machine"], rows,
                   f"traceledger bench trace --events {events} --samples {samples}")
