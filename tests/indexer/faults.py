"""A JSON-RPC transport between the indexer and anvil that injects faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

#: Return an answer to short-circuit the node, or None to forward the request.
Intercept = Callable[[Any], Any]
#: Change the node's answer to a (single) request.
Mutate = Callable[[dict[str, Any], Any], Any]


class FaultyTransport(httpx.BaseTransport):
    """Forwards JSON-RPC to the real node, letting a test intercept requests or alter
    answers. `calls` records every single request (method, params) that was forwarded."""

    def __init__(self, *, intercept: Intercept | None = None, mutate: Mutate | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.intercept = intercept
        self.mutate = mutate
        self.calls: list[tuple[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        if self.intercept is not None:
            answer = self.intercept(payload)
            if answer is not None:
                return httpx.Response(200, json=answer)
        requests = payload if isinstance(payload, list) else [payload]
        self.calls.extend((item["method"], item["params"]) for item in requests)
        response = self.inner.handle_request(request)
        response.read()
        if self.mutate is None:
            return response
        answer = response.json()
        if isinstance(payload, list):
            by_id = {item["id"]: item for item in payload}
            answer = [
                {**item, "result": self.mutate(by_id[item["id"]], item.get("result"))}
                if "result" in item
                else item
                for item in answer
            ]
        elif "result" in answer:
            answer = {**answer, "result": self.mutate(payload, answer["result"])}
        return httpx.Response(response.status_code, json=answer)

    def close(self) -> None:
        self.inner.close()


def is_call(request: dict[str, Any], method: str) -> bool:
    """True if single request `request` calls `method`."""
    return request.get("method") == method


def log_span(request: dict[str, Any]) -> int:
    """Number of blocks an eth_getLogs request covers."""
    flt = request["params"][0]
    return int(flt["toBlock"], 16) - int(flt["fromBlock"], 16) + 1
