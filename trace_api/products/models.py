"""`api_products`: product master data, one row per GTIN (written only by this package)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel


class ProductRow(SQLModel, table=True):
    """A trade item's public master data. Every field here may be shown to consumers."""

    __tablename__ = "api_products"

    gtin: str = Field(primary_key=True, max_length=14)  # GTIN-14, check digit verified
    enterprise_id: str = Field(index=True, max_length=66)  # producer (MemberRegistry id)
    name_zh: str = Field(default="")
    name_en: str = Field(default="")
    description_zh: str = Field(default="")
    description_en: str = Field(default="")
    product_class: str = Field(max_length=16)  # trace_api.products.classes.ProductClass
    category: str = Field(default="", max_length=120)
    origin_name: str | None = Field(default=None)
    origin_gln: str | None = Field(default=None, max_length=13)
    certifications: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    updated_at_ms: int = Field(sa_type=BigInteger)
