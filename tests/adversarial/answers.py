"""What counts as a well-formed answer to a hostile request, for the API and the node.

`api_answer_faults` and `rpc_answer_faults` return a list of faults (empty: well formed)
rather than raising, so a sweep can report every bad answer of a run at once.
"""

from __future__ import annotations

import json
from typing import Any

from tests.adversarial.wire import WireResponse

PROBLEM_JSON = "application/problem+json"
RPC_INTERNAL_ERROR = -32603
"""An internal error on *input* is a handler that did not validate it: a bug, not an answer
(bad params are -32602)."""


def api_answer_faults(response: WireResponse, *, method: str = "GET") -> list[str]:
    """Faults of an API answer: none, a 5xx, or an error that is not an RFC 9457 problem
    document (`application/problem+json` with `type`, `title` and the same `status`)."""
    if response.status is None:
        return [f"no answer: {response.failure}"]
    faults: list[str] = []
    if response.status >= 500:
        faults.append(f"server error {response.status}")
    if response.status >= 400 and method != "HEAD":
        if not response.content_type.startswith(PROBLEM_JSON):
            faults.append(f"error {response.status} as {response.content_type or 'no type'}, "
                          f"not {PROBLEM_JSON}")
        else:
            try:
                problem = response.json()
            except ValueError:
                faults.append("problem document is not JSON")
            else:
                if not (isinstance(problem, dict) and isinstance(problem.get("type"), str)
                        and isinstance(problem.get("title"), str)
                        and problem.get("status") == response.status):
                    faults.append(f"malformed problem document {str(problem)[:200]}")
    return faults


def _rpc_item_faults(item: Any) -> list[str]:
    if not isinstance(item, dict) or item.get("jsonrpc") != "2.0":
        return [f"not a JSON-RPC 2.0 response: {str(item)[:200]}"]
    if "error" in item:
        error = item["error"]
        if not (isinstance(error, dict) and isinstance(error.get("code"), int)
                and isinstance(error.get("message"), str)):
            return [f"malformed error {str(error)[:200]}"]
        if error["code"] == RPC_INTERNAL_ERROR:
            return [f"internal error on input: {error['message'][:200]}"]
        return []
    if "result" not in item:
        return ["neither result nor error"]
    return []


def rpc_payload_faults(payload: Any) -> list[str]:
    """Faults of a parsed JSON-RPC answer (one response or a batch of them)."""
    items = payload if isinstance(payload, list) else [payload]
    return [fault for item in items for fault in _rpc_item_faults(item)]


def rpc_answer_faults(response: WireResponse) -> list[str]:
    """Faults of a node (or proxy) HTTP answer: no answer, a 5xx, a body that is not
    JSON-RPC 2.0, or -32603 for bad input. A 4xx refusal (413, 415, 403) is well formed
    with a JSON-RPC error body or a problem document."""
    if response.status is None:
        return [f"no answer: {response.failure}"]
    if response.status >= 500:
        return [f"server error {response.status}: {response.body[:200]!r}"]
    if response.status == 200 and not response.body:
        return []  # notifications only: nothing to answer
    try:
        payload = json.loads(response.body)
    except ValueError:
        if response.status >= 400:
            return []  # a refusal before JSON-RPC: the status says it
        return [f"200 with a body that is not JSON: {response.body[:200]!r}"]
    if response.status >= 400 and response.content_type.startswith(PROBLEM_JSON):
        return []
    return rpc_payload_faults(payload)
