"""`/v1/products`: product master data (GTIN -> names, class, producer, certifications).

Writing: an enterprise registers GTINs under its own GS1 Company Prefixes (checked
on chain); an admin may register for any enterprise. Reading is public: every
field is meant for consumers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from trace_api.auth import Principal, Role
from trace_api.context import ContextDep
from trace_api.enterprises.guard import active_writer, verify_enterprise_active
from trace_api.problems import Problem
from trace_api.products.classes import ProductClass
from trace_api.products.master_data import SelfSignature, master_data_proof_url, record_product
from trace_api.products.ownership import verify_owns_key
from trace_api.products.service import (
    Certification,
    Product,
    get_product,
    gtin14_or_problem,
    list_products,
)

router = APIRouter(prefix="/v1/products", tags=["products"])

ENTERPRISE_ID_PATTERN = r"^0x[0-9a-fA-F]{64}$"


class Texts(BaseModel):
    """The same text in Chinese and English."""

    model_config = ConfigDict(extra="forbid")
    zh: str = Field(default="", max_length=400)
    en: str = Field(default="", max_length=400)


class CertificationModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    standard: str = Field(min_length=1, max_length=200)
    agency: str = Field(min_length=1, max_length=200)
    value: str = Field(default="", max_length=200)
    identification: str = Field(default="", max_length=200)


class OriginModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    gln: str | None = Field(default=None, pattern=r"^\d{13}$")


class ProductCreate(BaseModel):
    """A product registration; `enterpriseId` only when an admin registers for someone."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    gtin: str = Field(min_length=8, max_length=14, pattern=r"^\d+$")
    name: Texts
    description: Texts = Texts()
    product_class: ProductClass = Field(alias="productClass")
    category: str = Field(default="", max_length=120)
    origin: OriginModel | None = None
    certifications: list[CertificationModel] = Field(default_factory=list, max_length=50)
    enterprise_id: str | None = Field(default=None, alias="enterpriseId", pattern=ENTERPRISE_ID_PATTERN)
    issued_at: str | None = Field(default=None, alias="issuedAt", max_length=24, description=(
        "Self-custody enterprises only: the `issuedAt` of the master-data document signed "
        "(from the 422 `master-data-needs-signature` answer)."))
    signature: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{130}$", description=(
        "Self-custody enterprises only: the EIP-712 TraceRecord signature over the record digest."))


class MasterDataRef(BaseModel):
    """The master-data record version this registration wrote (signed, in the log)."""

    model_config = ConfigDict(populate_by_name=True)
    record_hash_id: str = Field(serialization_alias="recordHashId")
    version: int
    previous: str | None
    leaf_index: int = Field(serialization_alias="leafIndex")
    proof_url: str = Field(serialization_alias="proofUrl")


class ProductPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    gtin: str
    enterprise_id: str = Field(serialization_alias="enterpriseId")
    name: Texts
    description: Texts
    product_class: ProductClass = Field(serialization_alias="productClass")
    category: str
    origin: OriginModel | None
    certifications: list[CertificationModel]

    @classmethod
    def of(cls, product: Product) -> ProductPublic:
        return cls(
            gtin=product.gtin,
            enterprise_id=product.enterprise_id,
            name=Texts(**product.name),
            description=Texts(**product.description),
            product_class=product.product_class,
            category=product.category,
            origin=OriginModel(name=product.origin_name, gln=product.origin_gln)
            if product.origin_name else None,
            certifications=[CertificationModel(**vars(c)) for c in product.certifications],
        )


class ProductRegistered(ProductPublic):
    """The registered product and the master-data record version it wrote."""

    master_data: MasterDataRef = Field(serialization_alias="masterData")


class ProductPage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    products: list[ProductPublic]
    next_after: str | None = Field(serialization_alias="nextAfter")


@router.post("", status_code=201, response_model=ProductRegistered, response_model_by_alias=True,
             responses={200: {"description": "Replaced an existing product of this enterprise"},
                        422: {"description": "Self-custody: sign the master-data record"}})
def register_product(
    body: ProductCreate, ctx: ContextDep, response: Response,
    principal: Annotated[Principal, Depends(active_writer(Role.ENTERPRISE, Role.ADMIN))],
) -> ProductRegistered:
    """Register (201) or replace (200) a GTIN's master data, as a new signed version of its
    `traceledger.masterdata/v1` record appended to the trace log (`masterData` in the answer).

    403 unless the GTIN is under one of the enterprise's GS1 Company Prefixes (admins may
    register for any enterprise by giving `enterpriseId`); 409 if another enterprise owns it;
    403 `enterprise-suspended` while the producing enterprise is suspended, whoever asks.
    A custodial enterprise's record is signed by the server with its key. A self-custody
    enterprise signs its own: without `issuedAt` + `signature` the answer is 422
    `master-data-needs-signature` whose `masterData` member holds the document, its digest
    and the EIP-712 domain; a signature that does not recover to the enterprise's signing
    address is 422 `invalid-master-data-signature`.
    """
    if principal.role == Role.ENTERPRISE and principal.enterprise_id:
        if body.enterprise_id not in (None, principal.enterprise_id):
            raise Problem(403, "forbidden", "Not allowed", "an enterprise registers its own products")
        enterprise_id = principal.enterprise_id
    elif principal.role == Role.ADMIN:
        if body.enterprise_id is None:
            raise Problem(400, "missing-enterprise", "Missing enterpriseId",
                          "an admin names the producing enterprise")
        enterprise_id = body.enterprise_id.lower()
        verify_enterprise_active(ctx, enterprise_id)  # an admin writes as the enterprise
    else:
        raise Problem(403, "forbidden", "Not allowed", "only enterprises and admins register products")
    gtin = gtin14_or_problem(body.gtin)
    verify_owns_key(ctx, enterprise_id, "01", gtin)
    if (body.issued_at is None) != (body.signature is None):
        raise Problem(400, "invalid-master-data", "Invalid master data",
                      "issuedAt and signature come together (a self-custody enterprise's signature)")
    self_signature = (SelfSignature(body.issued_at, bytes.fromhex(body.signature[2:]))
                      if body.issued_at is not None and body.signature is not None else None)
    product, created, record = record_product(ctx, Product(
        gtin=gtin,
        enterprise_id=enterprise_id,
        name=body.name.model_dump(),
        description=body.description.model_dump(),
        product_class=body.product_class,
        category=body.category,
        origin_name=body.origin.name if body.origin else None,
        origin_gln=body.origin.gln if body.origin else None,
        certifications=tuple(Certification(**c.model_dump()) for c in body.certifications),
    ), self_signature=self_signature)
    if not created:
        response.status_code = 200
    return ProductRegistered(
        **ProductPublic.of(product).model_dump(),
        master_data=MasterDataRef(
            record_hash_id=record.record_hash_id, version=record.version,
            previous=record.document["previous"], leaf_index=record.leaf_index,
            proof_url=master_data_proof_url(record.record_hash_id)))


@router.get("", response_model=ProductPage, response_model_by_alias=True)
def products(
    ctx: ContextDep,
    enterprise: Annotated[str | None, Query(pattern=ENTERPRISE_ID_PATTERN)] = None,
    after: Annotated[str | None, Query(pattern=r"^\d{14}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ProductPage:
    """Products ordered by GTIN (public); page on with `after=<nextAfter>`."""
    found = list_products(ctx.engine, enterprise_id=enterprise.lower() if enterprise else None,
                          after=after, limit=limit)
    return ProductPage(
        products=[ProductPublic.of(p) for p in found],
        next_after=found[-1].gtin if len(found) == limit else None,
    )


@router.get("/{gtin}", response_model=ProductPublic, response_model_by_alias=True)
def product(gtin: str, ctx: ContextDep) -> ProductPublic:
    """One product's public master data; 400 for an invalid GTIN, 404 if unknown."""
    return ProductPublic.of(get_product(ctx.engine, gtin))


@router.get("/{gtin}/certifications", response_model=list[CertificationModel])
def certifications(gtin: str, ctx: ContextDep) -> list[CertificationModel]:
    """The product's certifications (the `gs1:certificationInfo` link of the resolver)."""
    return [CertificationModel(**vars(c)) for c in get_product(ctx.engine, gtin).certifications]
