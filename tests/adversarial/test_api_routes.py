"""Every route of the API's own OpenAPI document receives the hostile catalogue, with no
credentials, with enterprise1's key and with a garbage key; every answer is well formed
(no 5xx, errors as problem documents) and the whole system survives each route's probes.

Faults are collected per (route, probe, credential) and reported together; a probe that
takes the system down stops the sweep at once and names itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.adversarial import catalogue
from tests.adversarial.answers import api_answer_faults
from tests.adversarial.system import PROBE_TIMEOUT_S, HostileSystem, SystemDown
from tests.adversarial.wire import exchange

GARBAGE_KEY = "tlk_0000000000000000_" + "A" * 43
MAX_URL_BYTES = 12 * 1024
"""uvicorn's HTTP parser refuses a request head over 16 KiB before the app sees it; the
probes stay under that so the app itself answers them."""
BODY_METHODS = frozenset({"post", "put", "patch"})
SEAL_CHECK_EVERY = 5
"""Routes between two sealing checks (each costs about a Clique period); every route is
followed by the cheaper checks (processes, /healthz, eth_blockNumber)."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # with {placeholders}
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    takes_body: bool

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def operations(spec: dict[str, Any]) -> list[Operation]:
    found = []
    for path, entries in spec["paths"].items():
        for method, operation in entries.items():
            parameters = operation.get("parameters", [])
            found.append(Operation(
                method.upper(), path,
                tuple(p["name"] for p in parameters if p["in"] == "path"),
                tuple(p["name"] for p in parameters if p["in"] == "query"),
                method in BODY_METHODS or "requestBody" in operation))
    return found


def plausible_path_values(system: HostileSystem) -> dict[str, str]:
    """A believable value per path parameter name (enterprise1's own where it has one)."""
    enterprise1 = system.dev_enterprise("enterprise1")
    return {
        "enterprise_id": enterprise1["enterpriseId"], "key_id": "7cc5f0f4364ed347",
        "eventHashId": "ni%3A%2F%2F%2Fsha-256%3B" + "ab" * 32 + "%3Fver%3DCBV2.0",
        "event_hash_id": "ni%3A%2F%2F%2Fsha-256%3B" + "ab" * 32 + "%3Fver%3DCBV2.0",
        "capture_id": "1", "gtin": "00614141000012", "recall_id": "1",
        "rest": "09506000134352/10/LOT1",
    }


def credentials(system: HostileSystem) -> dict[str, dict[str, str]]:
    return {"anonymous": {},
            "enterprise1": {"Authorization": f"Bearer {system.dev_enterprise('enterprise1')['apiKey']}"},
            "garbage-key": {"Authorization": f"Bearer {GARBAGE_KEY}"}}


def fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def query_strings(names: tuple[str, ...], value: str) -> Iterator[str]:
    """`name=value&...` for every name, split so no request line passes MAX_URL_BYTES."""
    batch: list[str] = []
    for name in names:
        pair = f"{name}={value}"
        if batch and len("&".join([*batch, pair])) > MAX_URL_BYTES:
            yield "&".join(batch)
            batch = []
        batch.append(pair)
    if batch:
        yield "&".join(batch)


@pytest.fixture
def spec(system: HostileSystem) -> dict[str, Any]:
    response = httpx.get(f"{system.live.api_url}/openapi.json", timeout=PROBE_TIMEOUT_S)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    assert len(operations(document)) > 30  # the whole API, not a fragment
    return document


def _sweep(system: HostileSystem, spec: dict[str, Any], probe_one: Any, *,
           sealing_every: int) -> None:
    """Run `probe_one(operation, faults)` for every operation; check the system after each
    (sealing every `sealing_every` operations and after the last)."""
    faults: list[str] = []
    ops = operations(spec)
    for number, operation in enumerate(ops, start=1):
        probe_one(operation, faults)
        sealing = number % sealing_every == 0 or number == len(ops)
        try:
            system.verify_alive(f"the probes of {operation.name}", sealing=sealing)
        except SystemDown as exc:
            pytest.fail("\n".join([str(exc), "faults so far:", *faults]))
    assert not faults, f"{len(faults)} bad answers:\n" + "\n".join(faults)


def test_every_route_answers_hostile_bodies(system: HostileSystem, spec: dict[str, Any]) -> None:
    """Each body of the catalogue, to every route that takes one, as each caller; every
    other route gets the deepest body once (a body it should never parse)."""
    path_values = plausible_path_values(system)
    callers = credentials(system)
    bodies = catalogue.bodies()

    def probe(operation: Operation, faults: list[str]) -> None:
        path = fill(operation.path, path_values)
        plan = [(b, c) for b in bodies for c in callers] if operation.takes_body \
            else [(bodies[0], "anonymous")]
        for body, caller in plan:
            headers = dict(callers[caller])
            if body.content_type is not None:
                headers["Content-Type"] = body.content_type
            response = exchange(system.api_port, operation.method, path, headers=headers,
                                body=body.content, timeout_s=PROBE_TIMEOUT_S)
            faults += [f"{operation.name} [{body.name}, {caller}]: {fault} "
                       f"({response.describe()[:200]})"
                       for fault in api_answer_faults(response, method=operation.method)]

    _sweep(system, spec, probe, sealing_every=SEAL_CHECK_EVERY)


def test_every_route_answers_hostile_parameters(system: HostileSystem, spec: dict[str, Any]) -> None:
    """Each value of the catalogue in every query parameter and every path parameter of
    every route, as each caller; and enterprise1's identifiers as enterprise2."""
    path_values = plausible_path_values(system)
    callers = credentials(system)
    enterprise1, enterprise2 = system.dev_enterprise("enterprise1"), system.dev_enterprise("enterprise2")
    foreign_caller = {"enterprise2": {"Authorization": f"Bearer {enterprise2['apiKey']}"}}
    plan = [(value, callers) for value in catalogue.values()] + [
        (value, foreign_caller) for value in catalogue.cross_enterprise_values(
            enterprise1["enterpriseId"], enterprise1["companyPrefixes"][0])]

    def probe(operation: Operation, faults: list[str]) -> None:
        for value, who in plan:
            targets: list[tuple[str, str]] = []  # (description, URL path and query)
            for query in query_strings(operation.query_params, value.encoded):
                targets.append((f"query={value.name}",
                                fill(operation.path, path_values) + "?" + query))
            for name in operation.path_params:
                hostile = {**path_values, name: value.encoded}
                targets.append((f"{name}={value.name}", fill(operation.path, hostile)))
            for description, target in targets:
                for caller, headers in who.items():
                    response = exchange(system.api_port, operation.method, target,
                                        headers=headers, timeout_s=PROBE_TIMEOUT_S)
                    faults += [f"{operation.name} [{description}, {caller}]: {fault} "
                               f"({response.describe()[:200]})"
                               for fault in api_answer_faults(response, method=operation.method)]

    _sweep(system, spec, probe, sealing_every=2 * SEAL_CHECK_EVERY)


def test_every_body_route_refuses_oversize_bodies(system: HostileSystem,
                                                  spec: dict[str, Any]) -> None:
    """Past its limit, a body is refused whether it declares its length or streams it
    (chunked): 413, or 401/403 when the caller is refused before the body is read."""
    path_values = plausible_path_values(system)
    enterprise1 = credentials(system)["enterprise1"]
    faults: list[str] = []
    for operation in operations(spec):
        if not operation.takes_body:
            continue
        path = fill(operation.path, path_values)
        limit = {"/v1/capture": catalogue.CAPTURE_BODY_LIMIT,
                 "/v1/chain/rpc": catalogue.CHAIN_PROXY_BODY_LIMIT,
                 "/v1/verify": catalogue.VERIFY_BODY_LIMIT}.get(operation.path,
                                                               catalogue.API_JSON_BODY_LIMIT)
        size = limit + catalogue.OVERSIZE_MARGIN
        for caller, headers in (("anonymous", {}), ("enterprise1", enterprise1)):
            for mode in ("declared", "chunked"):
                sent_headers = {**headers, "Content-Type": catalogue.JSON}
                if mode == "declared":
                    response = exchange(system.api_port, operation.method, path,
                                        headers=sent_headers,
                                        body=b"".join(catalogue.oversize_stream(size)),
                                        timeout_s=PROBE_TIMEOUT_S)
                else:
                    response = exchange(system.api_port, operation.method, path,
                                        headers=sent_headers,
                                        chunks=catalogue.oversize_stream(size),
                                        timeout_s=PROBE_TIMEOUT_S)
                label = f"{operation.name} [{mode} {size} bytes, {caller}]"
                faults += [f"{label}: {fault}" for fault in api_answer_faults(response)]
                if response.status not in (401, 403, 413):
                    faults.append(f"{label}: not refused ({response.describe()[:200]})")
        try:
            system.verify_alive(f"oversize bodies to {operation.name}")
        except SystemDown as exc:
            pytest.fail("\n".join([str(exc), "faults so far:", *faults]))
    assert not faults, f"{len(faults)} bad answers:\n" + "\n".join(faults)
