"""Issue 7, "Bad input": schemathesis against the API's own `/openapi.json`, bounded.

The app under test is the real one (`create_app`) over the live system's databases and
chain, called in-process through ASGI, as an admin (so protected routes run their
handlers, not only their 401). Two checks per generated request: no 5xx
(`not_a_server_error`) and a response that matches the documented schema
(`response_schema_conformance`). `MAX_EXAMPLES` per operation keeps the run to minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 8
"""Per operation. Some operations write to the chain (about a second each)."""
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key"})


@pytest.fixture(scope="module")
def api_app(live_system: Any) -> Iterator[Any]:
    from trace_api.app import create_app

    app = create_app(live_system.settings())
    yield app
    app.state.ctx.close()


@pytest.fixture(scope="module")
def api_schema(api_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", api_app)


@pytest.fixture(scope="module")
def admin_headers(live_system: Any) -> dict[str, str]:
    return dict(live_system.admin_headers)


def _checker(operation: Any, headers: dict[str, str], statuses: set[int]) -> Any:
    """A Hypothesis test of one operation that records the statuses it saw."""

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        # Generated credentials (a random X-API-Key or bearer token) would only ever meet
        # the 401 path; drop them so every request runs as the admin.
        case.headers = {name: value for name, value in (case.headers or {}).items()
                        if name.lower() not in CREDENTIAL_HEADERS}
        response = case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )
        statuses.add(response.status_code)

    return check


def test_no_server_errors_and_responses_match_the_schema(
    api_schema: Any, admin_headers: dict[str, str]
) -> None:
    """Every operation, `MAX_EXAMPLES` generated requests each; all failures are reported
    together, each naming its operation, so one run shows every route that breaks."""
    failures: list[str] = []
    operations = 0
    statuses: dict[str, set[int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        name = f"{operation.method.upper()} {operation.path}"

        check = _checker(operation, admin_headers, statuses.setdefault(name, set()))
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{name}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert operations > 20  # the schema lists the whole API, not a fragment
    # Every operation answered at least one request.
    assert [name for name, seen in statuses.items() if not seen] == []
    assert len(statuses) == operations
    # As the admin, requests reach the handlers: no operation only ever answered 401.
    assert [name for name, seen in statuses.items() if seen == {401}] == []
    assert sum(1 for seen in statuses.values() if any(code < 300 for code in seen)) >= 10
