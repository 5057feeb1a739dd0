"""Suspension blocks every write of the enterprise (`trace_api.enterprises.guard`), on the
real system, SQLite and PostgreSQL: each write route first works (positive control), then
answers 403 `enterprise-suspended` while the enterprise is suspended, and works again after
reinstatement. What stays open is open: reading, revoking its own keys, and an admin
issuing it keys (which can write nothing until reinstatement)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from testing.system import (
    LiveSystem,
    RegisteredEnterprise,
    random_company_prefix,
    with_check_digit,
)
from tests.trace_api.capture.documents import document

SUSPENDED = "https://traceledger.dev/problems/enterprise-suspended"


@dataclass(frozen=True)
class Shop:
    live: LiveSystem
    enterprise: RegisteredEnterprise
    gtin: str
    gln: str

    @property
    def headers(self) -> dict[str, str]:
        return self.live.auth(self.enterprise.api_key)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.live.api_url}{path}", timeout=120,
                             headers=self.headers if headers is None else headers, **kwargs)

    def writes(self, lot_number: str) -> dict[str, httpx.Response]:
        """One call of every write route the enterprise has, by name, about lot `lot_number`
        (a fresh one each round: a recall of a lot is opened once)."""
        lot = f"{self.live.api_url}/01/{self.gtin}/10/{lot_number}"
        canonical_lot = f"https://id.gs1.org/01/{self.gtin}/10/{lot_number}"
        commissioning = document([{
            "type": "ObjectEvent", "eventTime": "2026-11-20T08:00:00.000Z",
            "eventTimeZoneOffset": "+08:00", "action": "ADD", "bizStep": "commissioning",
            "quantityList": [{"epcClass": canonical_lot, "quantity": 1}]}])
        return {
            "capture": self.request("POST", "/v1/capture", json=commissioning),
            "api key": self.request("POST", "/v1/api-keys", json={"name": "another"}),
            "product": self.request("POST", "/v1/products", json={
                "gtin": self.gtin, "name": {"en": "Suspended soup"}, "productClass": "ambient"}),
            "label": self.request("GET", "/v1/labels", params={"uri": lot, "format": "svg"}),
            "label batch": self.request("POST", "/v1/labels/batch", json={
                "gtin": self.gtin, "lot": lot_number, "serials": "1-2", "format": "zip-svg"}),
            "recall": self.request("POST", "/v1/recalls", json={
                "uri": canonical_lot, "class": "III", "reason": "suspension test"}),
            "own key rotation": self.request("POST",
                                             f"/v1/enterprises/{self.enterprise.id}/key-rotation"),
        }

    def set_suspended(self, suspended: bool) -> None:
        action = "suspension" if suspended else "reinstatement"
        response = self.request("POST", f"/v1/enterprises/{self.enterprise.id}/{action}",
                                headers=self.live.auth(self.live.regulator_token()),
                                json={"reason": "suspension test"})
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def shop(live_system: LiveSystem) -> Shop:
    prefix = random_company_prefix()
    enterprise = live_system.enterprise(name="Suspendable Shop", custody="custodial",
                                        prefixes=[prefix])
    return Shop(live_system, enterprise, "0" + with_check_digit(prefix + "321"),
                with_check_digit(prefix + "100"))


WRITE_ROUTES = ("capture", "api key", "product", "label", "label batch", "recall",
                "own key rotation")


def test_every_write_route_is_refused_while_suspended_and_works_otherwise(shop: Shop) -> None:
    before = shop.writes("S1")
    assert {name: r.status_code for name, r in before.items()} == {
        "capture": 202, "api key": 201, "product": 201, "label": 200, "label batch": 200,
        "recall": 201, "own key rotation": 200}, {n: r.text[:300] for n, r in before.items()}
    shop.set_suspended(True)
    try:
        during = shop.writes("S2")
        assert set(during) == set(WRITE_ROUTES)
        for name, response in during.items():
            assert (name, response.status_code) == (name, 403), response.text
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert (name, problem["type"]) == (name, SUSPENDED)
            assert problem["detail"].endswith("is suspended on chain")
    finally:
        shop.set_suspended(False)
    after = shop.writes("S3")
    assert all(r.status_code < 300 for r in after.values()), {n: r.text[:300] for n, r in after.items()}


def test_an_admin_cannot_write_as_a_suspended_enterprise_but_may_issue_it_keys(shop: Shop) -> None:
    admin = shop.live.admin_headers
    shop.set_suspended(True)
    try:
        product = shop.request("POST", "/v1/products", headers=admin, json={
            "gtin": shop.gtin, "name": {"en": "By proxy"}, "productClass": "ambient",
            "enterpriseId": shop.enterprise.id})
        assert (product.status_code, product.json()["type"]) == (403, SUSPENDED)
        rotated = shop.request("POST", f"/v1/enterprises/{shop.enterprise.id}/key-rotation",
                               headers=admin)
        assert (rotated.status_code, rotated.json()["type"]) == (403, SUSPENDED)
        issued = shop.request("POST", "/v1/api-keys", headers=admin, json={
            "name": "for after reinstatement", "role": "enterprise",
            "enterpriseId": shop.enterprise.id})
        assert issued.status_code == 201, issued.text
        # ... and that key can write nothing while the suspension lasts.
        refused = shop.request("POST", "/v1/api-keys",
                               headers=shop.live.auth(issued.json()["key"]), json={"name": "x"})
        assert (refused.status_code, refused.json()["type"]) == (403, SUSPENDED)
    finally:
        shop.set_suspended(False)


def test_a_suspended_enterprise_still_reads_and_revokes_its_own_keys(shop: Shop) -> None:
    spare = shop.request("POST", "/v1/api-keys", json={"name": "leaked"})
    assert spare.status_code == 201, spare.text
    shop.set_suspended(True)
    try:
        listed = shop.request("GET", "/v1/api-keys")
        assert listed.status_code == 200
        assert shop.request("GET", f"/v1/enterprises/{shop.enterprise.id}").json()["status"] == \
            "suspended"
        revoked = shop.request("DELETE", f"/v1/api-keys/{spare.json()['keyId']}")
        assert revoked.status_code == 204
    finally:
        shop.set_suspended(False)
