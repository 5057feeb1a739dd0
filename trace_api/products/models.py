"""`api_products` (product master data, one row per GTIN) and `api_master_data` (its signed
record versions in the log); both written only by this package."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

MASTER_DATA_TABLE = "api_master_data"


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


class MasterDataRow(SQLModel, table=True):
    """One signed master-data record version (`anchoring.core.master_data`), keyed by the
    log leaf that commits to it, like `api_events`: the entry and the document are kept so
    the record can be re-hashed and re-verified alone."""

    __tablename__ = MASTER_DATA_TABLE
    __table_args__ = (
        # One record per version of a subject: two concurrent updates cannot both be N+1.
        UniqueConstraint("subject", "version", name="uq_api_master_data_subject_version"),
        Index("ix_api_master_data_record_hash_id", "record_hash_id", unique=True),
    )

    leaf_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    record_hash_id: str
    """`ni:///sha-256;<hex>?format=traceledger.masterdata/v1`."""
    kind: str = Field(max_length=16)  # "product"
    subject: str
    """`https://id.gs1.org/01/<GTIN-14>` for a product."""
    version: int
    enterprise_id: str = Field(max_length=66)
    submitter: str = Field(max_length=42)
    """EIP-55 address whose signature is in the entry."""
    entry: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    """The version 0x01 log entry (anchoring.core.entry), exactly as the leaf commits to it."""
    received_at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    document: str = Field(sa_column=Column(Text, nullable=False))
    """The signed document as its RFC 8785 canonical JSON text."""
