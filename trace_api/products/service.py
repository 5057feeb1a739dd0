"""Product master data: register or replace a GTIN's public description, read it back.

`save_product` writes the `api_products` row alone; the API registers products through
`trace_api.products.master_data.record_product`, which also appends the signed
master-data record version to the log in the same transaction.

Services take the SQL engine (or `ApiContext`) and return frozen `Product` values;
routes do authorisation and HTTP shapes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from gs1 import GS1Error, normalise_gtin
from gs1.keys import verify_gln
from trace_api.errors import Conflict, InvalidInput, NotFound
from trace_api.products.classes import ProductClass
from trace_api.products.models import ProductRow

MAX_PAGE = 500  # products per list response


@dataclass(frozen=True, kw_only=True)
class Certification:
    """A certificate the product holds (GS1 Web Vocabulary CertificationDetails)."""

    standard: str  # certificationStandard, e.g. "GB/T 19630 organic"
    agency: str  # certificationAgency
    value: str = ""  # certificationValue, e.g. "certified"
    identification: str = ""  # certificationIdentification (certificate number)


@dataclass(frozen=True, kw_only=True)
class Product:
    """A GTIN's public master data."""

    gtin: str
    enterprise_id: str
    name: dict[str, str]  # {"zh": ..., "en": ...}
    description: dict[str, str]
    product_class: ProductClass
    category: str = ""
    origin_name: str | None = None
    origin_gln: str | None = None
    certifications: tuple[Certification, ...] = field(default=())


def gtin14_or_problem(gtin: str) -> str:
    """The GTIN-14 of `gtin`, or InvalidInput (`invalid-gtin`) naming why it is invalid."""
    try:
        return normalise_gtin(gtin)
    except GS1Error as exc:
        raise InvalidInput("invalid-gtin", "Invalid GTIN", exc.reason) from exc


def verify_product_values(product: Product) -> Product:
    """`product` if its origin GLN (if any) is valid, else InvalidInput (`invalid-gln`)."""
    if product.origin_gln:
        try:
            verify_gln(product.origin_gln)
        except GS1Error as exc:
            raise InvalidInput("invalid-gln", "Invalid GLN", exc.reason) from exc
    return product


def _to_product(row: ProductRow) -> Product:
    return Product(
        gtin=row.gtin,
        enterprise_id=row.enterprise_id,
        name={"zh": row.name_zh, "en": row.name_en},
        description={"zh": row.description_zh, "en": row.description_en},
        product_class=ProductClass(row.product_class),
        category=row.category,
        origin_name=row.origin_name,
        origin_gln=row.origin_gln,
        certifications=tuple(Certification(**entry) for entry in row.certifications or []),
    )


def save_product(engine: Engine, product: Product) -> tuple[Product, bool]:
    """Insert or replace the product; returns it (GTIN normalised) and whether it is new.

    Raises InvalidInput for a bad GTIN or GLN and Conflict when another enterprise already
    registered this GTIN (ownership is checked by the caller against the chain).
    """
    gtin = gtin14_or_problem(product.gtin)
    verify_product_values(product)
    values: dict[str, Any] = {
        "enterprise_id": product.enterprise_id,
        "name_zh": product.name.get("zh", ""),
        "name_en": product.name.get("en", ""),
        "description_zh": product.description.get("zh", ""),
        "description_en": product.description.get("en", ""),
        "product_class": ProductClass(product.product_class).value,
        "category": product.category,
        "origin_name": product.origin_name,
        "origin_gln": product.origin_gln,
        "certifications": [vars(cert) for cert in product.certifications],
        "updated_at_ms": int(time.time() * 1000),
    }
    with Session(engine) as session:
        row = session.get(ProductRow, gtin)
        created = row is None
        if row is None:
            row = ProductRow(gtin=gtin, **values)
        elif row.enterprise_id != product.enterprise_id:
            raise Conflict("product-owned-elsewhere", "GTIN registered by another enterprise",
                          f"GTIN {gtin} already belongs to another enterprise")
        else:
            for name, value in values.items():
                setattr(row, name, value)
        session.add(row)
        session.commit()
        session.refresh(row)
        return _to_product(row), created


def find_product(engine: Engine, gtin: str) -> Product | None:
    """The product registered for `gtin` (any GTIN length), or None."""
    with Session(engine) as session:
        row = session.get(ProductRow, gtin14_or_problem(gtin))
        return None if row is None else _to_product(row)


def get_product(engine: Engine, gtin: str) -> Product:
    """The product for `gtin`, or NotFound (`unknown-product`)."""
    product = find_product(engine, gtin)
    if product is None:
        raise NotFound("unknown-product", "Unknown product", f"no product with GTIN {gtin}")
    return product


def list_products(
    engine: Engine, *, enterprise_id: str | None = None, after: str | None = None, limit: int = 100
) -> list[Product]:
    """Products ordered by GTIN, optionally of one enterprise, starting after GTIN `after`."""
    statement = select(ProductRow).order_by(ProductRow.gtin).limit(max(1, min(limit, MAX_PAGE)))
    if enterprise_id is not None:
        statement = statement.where(ProductRow.enterprise_id == enterprise_id)
    if after is not None:
        statement = statement.where(ProductRow.gtin > after)
    with Session(engine) as session:
        return [_to_product(row) for row in session.exec(statement)]
