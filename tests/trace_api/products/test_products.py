"""Product master data on SQLite and PostgreSQL, and which keys a company prefix owns."""

from __future__ import annotations

import pytest

from tests.trace_api.provenance.graphdb import ENTERPRISE_A, ENTERPRISE_B, GraphDb
from trace_api.errors import DomainError, http_status
from trace_api.products.classes import ProductClass
from trace_api.products.ownership import company_prefix_area, owns_key
from trace_api.products.service import (
    Certification,
    Product,
    find_product,
    get_product,
    list_products,
    save_product,
)


def _product(gtin: str, enterprise_id: str = ENTERPRISE_A, **changes: object) -> Product:
    values: dict[str, object] = {
        "gtin": gtin, "enterprise_id": enterprise_id,
        "name": {"zh": "冷鲜猪肉", "en": "Chilled pork"}, "description": {"zh": "", "en": "Loin"},
        "product_class": ProductClass.CHILLED, "category": "meat",
        "origin_name": "Minhou, Fujian", "origin_gln": "9506000134376",
        "certifications": (Certification(standard="GB 2707", agency="SAMR", value="pass",
                                         identification="C-1"),),
    }
    values.update(changes)
    return Product(**values)  # type: ignore[arg-type]


def test_save_find_replace(api_db: GraphDb) -> None:
    saved, created = save_product(api_db.engine, _product("9506000134352"))  # GTIN-13 given
    assert created
    assert saved == _product("09506000134352")
    assert find_product(api_db.engine, "09506000134352") == saved
    replaced, created = save_product(api_db.engine, _product("09506000134352", category="pork"))
    assert not created and replaced.category == "pork"
    assert get_product(api_db.engine, "9506000134352").category == "pork"


def test_another_enterprise_cannot_take_a_gtin(api_db: GraphDb) -> None:
    save_product(api_db.engine, _product("09506000134369"))
    with pytest.raises(DomainError) as caught:
        save_product(api_db.engine, _product("09506000134369", enterprise_id=ENTERPRISE_B))
    assert http_status(caught.value) == 409


@pytest.mark.parametrize(("gtin", "status", "kind"), [
    ("09506000134353", 400, "invalid-gtin"),
    ("12345", 400, "invalid-gtin"),
])
def test_bad_gtins(api_db: GraphDb, gtin: str, status: int, kind: str) -> None:
    with pytest.raises(DomainError) as caught:
        save_product(api_db.engine, _product(gtin))
    assert (http_status(caught.value), caught.value.kind) == (status, kind)
    with pytest.raises(DomainError) as caught:
        get_product(api_db.engine, gtin)
    assert http_status(caught.value) == 400


def test_bad_origin_gln_and_unknown_product(api_db: GraphDb) -> None:
    with pytest.raises(DomainError) as caught:
        save_product(api_db.engine, _product("09506000134376", origin_gln="9506000134377"))
    assert caught.value.kind == "invalid-gln"
    with pytest.raises(DomainError) as caught:
        get_product(api_db.engine, "09506000134383")
    assert (http_status(caught.value), caught.value.kind) == (404, "unknown-product")


def test_list_pages_by_gtin(api_db: GraphDb) -> None:
    for payload in ("690000000001", "690000000002", "690000000003"):
        from gs1.keys import complete_gtin

        save_product(api_db.engine, _product(complete_gtin(payload), enterprise_id=ENTERPRISE_B))
    first = list_products(api_db.engine, enterprise_id=ENTERPRISE_B, limit=2)
    assert [p.gtin for p in first] == ["06900000000014", "06900000000021"]
    rest = list_products(api_db.engine, enterprise_id=ENTERPRISE_B, after=first[-1].gtin, limit=2)
    assert [p.gtin for p in rest] == ["06900000000038"]


@pytest.mark.parametrize(("ai", "value", "area"), [
    ("01", "06901234000012", "6901234000012"),
    ("00", "369012340000000011", "69012340000000011"),
    ("414", "6901234000019", "6901234000019"),
    ("8004", "6901234LIFT1", "6901234LIFT1"),
    ("8003", "06901234000012X", "6901234000012X"),
])
def test_company_prefix_area(ai: str, value: str, area: str) -> None:
    assert company_prefix_area(ai, value) == area


def test_owns_key() -> None:
    assert owns_key(["6901234"], "01", "06901234000012")
    assert owns_key(["111", "6901234"], "01", "16901234000019")  # indicator digit 1: same prefix
    assert not owns_key(["6901235"], "01", "06901234000012")
    assert not owns_key([], "01", "06901234000012")
    assert not owns_key([""], "01", "06901234000012")
    assert owns_key(["6901234"], "8004", "6901234T1111A00123(17)")
