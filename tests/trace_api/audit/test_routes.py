"""HTTP routes: parameters, roles and scoping (principal injected; sign-in itself is
tested by the auth package and end to end in test_live.py)."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from tests.trace_api.audit.builders import FARM, PLANT, SHOP, at, harvest, ms, receive
from tests.trace_api.audit.harness import AuditWorld
from trace_api.app import create_app
from trace_api.auth import Principal, Role
from trace_api.auth.dependencies import current_principal

REGULATOR = Principal(role=Role.REGULATOR, subject="inspector-7", via="oidc")


def client_for(world: AuditWorld, principal: Principal) -> TestClient:
    app = create_app(world.ctx.settings, context=world.ctx)
    app.dependency_overrides[current_principal] = lambda: principal
    return TestClient(app)


@pytest.fixture(scope="module")
def populated(shared_world: AuditWorld) -> AuditWorld:
    """A harvest by the farm and a receipt by the shop with no shipment, each anchored
    2 s after receipt. Read only: shared by the module."""
    shared_world.add(FARM, [harvest(at(1))], [ms(1, 9)])
    shared_world.anchor(shared_world.integrate(), ms(1, 9) // 1000 + 2)
    shared_world.add(SHOP, [receive(at(2))], [ms(2, 9)])
    shared_world.anchor(shared_world.integrate(), ms(2, 9) // 1000 + 2)
    return shared_world


@pytest.mark.parametrize(("query", "parameter"), [
    ("rule=no_such_rule", "rule"), ("rule=,", "rule"), ("severity=urgent", "severity"),
    ("enterprise=acme", "enterprise"), ("from=yesterday", "from"), ("to=2026-13-01", "to"),
    ("from=2026-11-02T00:00:00", "from"), ("from=2026-11-02&to=2026-11-01", "to"),
    ("id=not-an-identifier", "id"),
])
def test_bad_findings_parameters_are_400_naming_the_parameter(populated: AuditWorld, query: str,
                                                               parameter: str) -> None:
    response = client_for(populated, REGULATOR).get(f"/v1/audit/findings?{query}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["parameter"] == parameter


@pytest.mark.parametrize(("query", "parameter"), [
    ("format=pdf", "format"), ("enterprise=0x12", "enterprise"), ("from=2026/11/01", "from"),
])
def test_bad_export_parameters_are_400(populated: AuditWorld, query: str, parameter: str) -> None:
    response = client_for(populated, REGULATOR).get(f"/v1/audit/export?{query}")
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter


def test_findings_for_regulator_and_enterprise_scope(populated: AuditWorld) -> None:
    body = client_for(populated, REGULATOR).get(
        "/v1/audit/findings", params={"severity": "high", "rule": "broken_chain,time_inversion"}).json()
    assert (body["scanned"], body["total"], body["count"], body["truncated"]) == (2, 1, 1, False)
    assert body["rules"] == ["broken_chain", "time_inversion"]
    finding = body["findings"][0]
    assert (finding["rule"], finding["severity"], finding["leafIndex"], finding["enterpriseId"]) == (
        "broken_chain", "high", 1, SHOP)
    farm = Principal(role=Role.ENTERPRISE, subject="key-1", via="api-key", enterprise_id=FARM)
    farm_client = client_for(populated, farm)
    own = farm_client.get("/v1/audit/findings").json()
    assert (own["scanned"], own["findings"]) == (1, [])
    other = farm_client.get("/v1/audit/findings", params={"enterprise": PLANT})
    assert other.status_code == 403


def test_findings_by_identifier_and_unknown_identifier(populated: AuditWorld) -> None:
    client = client_for(populated, REGULATOR)
    body = client.get("/v1/audit/findings", params={
        "id": "urn:epc:class:lgtin:9506000.134352.LOTA", "rule": "broken_chain"}).json()
    assert [(f["rule"], f["leafIndex"]) for f in body["findings"]] == [("broken_chain", 1)]
    missing = client.get("/v1/audit/findings",
                         params={"id": "urn:epc:class:lgtin:9506000.134352.NOPE"})
    assert missing.status_code == 404 and missing.json()["parameter"] == "id"


def test_export_csv_over_http_is_scoped(populated: AuditWorld) -> None:
    shop = Principal(role=Role.ENTERPRISE, subject="key-2", via="api-key", enterprise_id=SHOP)
    response = client_for(populated, shop).get("/v1/audit/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="traceledger-kde-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["leaf_index"], r["critical_tracking_event"], r["enterprise_id"]) for r in rows] == [
        ("1", "Receiving", SHOP)]
    xlsx = client_for(populated, REGULATOR).get("/v1/audit/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_arbitrary_parameter_values_never_give_5xx(populated: AuditWorld) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    client = client_for(populated, REGULATOR)
    names = ["rule", "severity", "enterprise", "id", "from", "to", "limit", "format"]

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(["/v1/audit/findings", "/v1/audit/export"]),
           st.dictionaries(st.sampled_from(names), st.text(max_size=40), max_size=3))
    def check(path: str, params: dict[str, str]) -> None:
        response = client.get(path, params=params)
        assert response.status_code < 500, (path, params, response.text)
        if response.status_code == 400:
            assert response.headers["content-type"] == "application/problem+json"

    check()
