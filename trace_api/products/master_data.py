"""Product master data as signed, versioned records in the trace log (issue 15).

Every registration or replacement of a product writes a new version of its
`traceledger.masterdata/v1` record (`anchoring.core.master_data`): version 1, 2, ...
per GTIN, each naming the record hash ID of the one before. The record is signed by the
producing enterprise exactly as its events are (EIP-712 `TraceRecord` over the record's
digest): the server signs for a custodial enterprise; a self-custody enterprise signs
itself, so a request without its signature is answered 422 with the exact document and
digest to sign. The entry goes into the same log through the same submit path as events,
in one transaction with the `api_master_data` row and the `api_products` row, so the
record is anchored and proven exactly like an event and the API's columns never get
ahead of (or behind) the signed record.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from anchoring.core import (
    MASTER_DATA_FORMAT,
    MasterDataError,
    RecordDomain,
    SignatureError,
    TraceRecord,
    master_data_digest,
    recover_record_signer,
)
from anchoring.core.entry import LogEntry, encode_entry
from anchoring.core.master_data import PRODUCT_KIND, format_record_hash_id
from anchoring.core.record_signature import RECORD_DOMAIN_NAME, RECORD_DOMAIN_VERSION
from anchoring.errors import StoreError
from anchoring.store import Receipt
from anchoring.store.db import Cursor, Database, to_bytes
from trace_api.capture.service import is_unique_violation
from trace_api.context import ApiContext
from trace_api.enterprises.service import (
    CUSTODY_CUSTODIAL,
    capture_identity,
    record_domain,
    sign_records,
)
from trace_api.errors import Conflict, DomainError, InvalidInput, NotAllowed, Unprocessable
from trace_api.products.models import MASTER_DATA_TABLE
from trace_api.products.ownership import company_prefix_area, company_prefixes_of
from trace_api.products.service import Product, gtin14_or_problem, verify_product_values
from trace_api.records.columns import format_time_ms

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "https://id.gs1.org/01/"
RACE_RETRIES = 3
"""Attempts when a concurrent update took the next version first (custodial: re-sign)."""
MAX_ISSUED_AT_AGE_MS = 24 * 3600 * 1000
"""How old a self-custody signer's `issuedAt` may be: a day to get a signature approved."""
MAX_ISSUED_AT_AHEAD_MS = 5 * 60 * 1000
"""Clock skew tolerated for an `issuedAt` in the future."""
_ISSUED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_COLUMNS = ("leaf_index", "record_hash_id", "kind", "subject", "version", "enterprise_id",
            "submitter", "entry", "received_at_ms", "document")
_PRODUCT_COLUMNS = ("gtin", "enterprise_id", "name_zh", "name_en", "description_zh",
                    "description_en", "product_class", "category", "origin_name", "origin_gln",
                    "certifications", "updated_at_ms")


@dataclass(frozen=True)
class MasterDataRecord:
    """One stored record version: its leaf, identity, signer, entry and document."""

    leaf_index: int
    record_hash_id: str
    kind: str
    subject: str
    version: int
    enterprise_id: str
    submitter: str
    entry: bytes
    received_at_ms: int
    document: dict[str, Any]


@dataclass(frozen=True)
class SelfSignature:
    """What a self-custody enterprise sends: the `issuedAt` of the document it signed (from
    the 422 answer) and its 65-byte EIP-712 signature over the record digest."""

    issued_at: str
    signature: bytes


def product_subject(gtin14: str) -> str:
    """The master-data subject of a GTIN-14: its canonical Digital Link."""
    return SUBJECT_PREFIX + gtin14


def product_document(product: Product, *, company_prefix: str, version: int,
                     previous: str | None, issued_at: str) -> dict[str, Any]:
    """The `traceledger.masterdata/v1` product document of `product` (GTIN-14 already)."""
    origin = ({"name": product.origin_name, "gln": product.origin_gln}
              if product.origin_name else None)
    return {
        "format": MASTER_DATA_FORMAT,
        "kind": PRODUCT_KIND,
        "subject": product_subject(product.gtin),
        "companyPrefix": company_prefix,
        "version": version,
        "previous": previous,
        "issuedAt": issued_at,
        "product": {
            "name": {"zh": product.name.get("zh", ""), "en": product.name.get("en", "")},
            "description": {"zh": product.description.get("zh", ""),
                            "en": product.description.get("en", "")},
            "origin": origin,
            "productClass": str(product.product_class),
            "certifications": [vars(cert) for cert in product.certifications],
        },
    }


# ------------------------------------------------------------------ reading


def _record(row: Sequence[Any]) -> MasterDataRecord:
    return MasterDataRecord(
        leaf_index=int(row[0]), record_hash_id=str(row[1]), kind=str(row[2]),
        subject=str(row[3]), version=int(row[4]), enterprise_id=str(row[5]),
        submitter=str(row[6]), entry=to_bytes(row[7]), received_at_ms=int(row[8]),
        document=json.loads(row[9]))


def _select(database: Database, where: str, params: Sequence[Any], *,
            order: str = "") -> MasterDataRecord | None:
    with database.transaction(write=False) as cursor:
        row = cursor.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM {MASTER_DATA_TABLE} WHERE {where}{order} LIMIT 1",
            params).fetchone()
    return None if row is None else _record(row)


def current_record(database: Database, subject: str) -> MasterDataRecord | None:
    """The latest version of `subject`'s record, or None if it has none."""
    return _select(database, "subject = ?", (subject,), order=" ORDER BY version DESC")


def record_by_hash_id(database: Database, record_hash_id: str) -> MasterDataRecord | None:
    """The record named by `record_hash_id`, or None."""
    return _select(database, "record_hash_id = ?", (record_hash_id,))


# ------------------------------------------------------------------ writing


def record_product(ctx: ApiContext, product: Product, *,
                   self_signature: SelfSignature | None = None) -> tuple[Product, bool, MasterDataRecord]:
    """Register or replace `product` and append its next master-data version to the log.

    Returns the product (GTIN normalised), whether it is new, and the stored record; only
    after the transaction holding the log entry, the record row and the product row
    committed. Raises InvalidInput (bad GTIN, GLN or document), NotAllowed (GTIN not under
    the enterprise's prefixes on chain, enterprise suspended), Conflict (GTIN of another
    enterprise), Unprocessable (self-custody: `master-data-needs-signature` with the
    document to sign, or `invalid-master-data-signature`).
    """
    gtin = gtin14_or_problem(product.gtin)
    product = verify_product_values(replace(product, gtin=gtin))
    identity = capture_identity(ctx, product.enterprise_id)  # NotAllowed unless active
    company_prefix = _company_prefix(ctx, product.enterprise_id, gtin)
    custodial = identity.custody == CUSTODY_CUSTODIAL
    domain = ctx.shared(record_domain)
    for attempt in range(1, RACE_RETRIES + 1):
        previous = current_record(ctx.log_store.db, product_subject(gtin))
        if previous is not None and previous.enterprise_id != product.enterprise_id:
            raise _owned_elsewhere(gtin)
        issued_at = (self_signature.issued_at if self_signature is not None and not custodial
                     else format_time_ms(time.time_ns() // 1_000_000))
        document = product_document(
            product, company_prefix=company_prefix,
            version=1 if previous is None else previous.version + 1,
            previous=None if previous is None else previous.record_hash_id, issued_at=issued_at)
        digest = _digest(document)
        if custodial:
            signature = sign_records(ctx, product.enterprise_id, [digest])[0]
        else:
            signature = _checked_self_signature(document, digest, identity.signing_address,
                                                domain, self_signature)
        try:
            return _write(ctx, product, document, digest, signature, identity.signing_address)
        except StoreError as exc:
            if isinstance(exc.__cause__, DomainError):
                raise exc.__cause__ from None
            if attempt == RACE_RETRIES or not is_unique_violation(exc):
                raise
            log.info("master data of %s raced a concurrent update; retrying", gtin)
    raise AssertionError("unreachable")


def _company_prefix(ctx: ApiContext, enterprise_id: str, gtin: str) -> str:
    """The enterprise's longest GS1 Company Prefix (on chain) the GTIN lies under."""
    area = company_prefix_area("01", gtin)
    held = sorted((p for p in company_prefixes_of(ctx, enterprise_id) if p and area.startswith(p)),
                  key=len, reverse=True)
    if not held:
        raise NotAllowed("not-your-company-prefix", "Not your GS1 Company Prefix",
                         f"(01) {gtin} is not under any GS1 Company Prefix of this enterprise")
    return held[0]


def _digest(document: dict[str, Any]) -> bytes:
    try:
        return master_data_digest(document)
    except MasterDataError as exc:
        raise InvalidInput("invalid-master-data", "Invalid master data", str(exc),
                           extensions={"pointer": exc.pointer}) from exc


def _sign_request(document: dict[str, Any], digest: bytes, submitter: str,
                  domain: RecordDomain) -> dict[str, Any]:
    """What a self-custody signer needs: the document, its digest, and the EIP-712 domain."""
    return {"masterData": {
        "record": document,
        "recordHashId": format_record_hash_id(digest),
        "eventHash": "0x" + digest.hex(),
        "submitter": submitter,
        "domain": {"name": RECORD_DOMAIN_NAME, "version": RECORD_DOMAIN_VERSION,
                   "chainId": domain.chain_id, "verifyingContract": domain.verifying_contract},
        "primaryType": "TraceRecord",
    }}


_HOW_TO_SIGN = ("sign EIP-712 TraceRecord(bytes32 eventHash,address submitter) with eventHash = "
                "masterData.eventHash (SHA-256 of the RFC 8785 JSON of masterData.record) and "
                "submitter = masterData.submitter under masterData.domain, then repeat the request "
                "with issuedAt = masterData.record.issuedAt and signature = 0x + 65-byte r||s||v")


def _checked_self_signature(document: dict[str, Any], digest: bytes, submitter: str,
                            domain: RecordDomain, self_signature: SelfSignature | None) -> bytes:
    if self_signature is None:
        raise Unprocessable("master-data-needs-signature", "Master data needs your signature",
                            "This enterprise signs its own records: " + _HOW_TO_SIGN + ".",
                            extensions=_sign_request(document, digest, submitter, domain))
    _check_issued_at(self_signature.issued_at)
    try:
        signer = recover_record_signer(TraceRecord(digest, submitter), domain,
                                       self_signature.signature)
    except SignatureError as exc:
        signer, reason = None, f"the signature is malformed ({exc})"
    else:
        reason = (f"the signature recovers to {signer}, not the enterprise's signing address "
                  f"{submitter} (wrong document, version, key, chain id or TraceAnchor contract)")
    if signer != submitter:
        raise Unprocessable("invalid-master-data-signature", "Master data wrongly signed",
                            reason + "; " + _HOW_TO_SIGN + ".",
                            extensions=_sign_request(document, digest, submitter, domain))
    return self_signature.signature


def _check_issued_at(issued_at: str) -> None:
    try:
        if not _ISSUED_AT.fullmatch(issued_at):
            raise ValueError(issued_at)
        moment = datetime.strptime(issued_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput("invalid-master-data", "Invalid master data",
                           "issuedAt is YYYY-MM-DDTHH:MM:SS.sssZ (the signed document's)",
                           extensions={"pointer": "/issuedAt"}) from None
    at_ms = int(moment.timestamp() * 1000)
    now_ms = time.time_ns() // 1_000_000
    if not now_ms - MAX_ISSUED_AT_AGE_MS <= at_ms <= now_ms + MAX_ISSUED_AT_AHEAD_MS:
        raise InvalidInput("invalid-master-data", "Invalid master data",
                           f"issuedAt {issued_at} is more than a day old or in the future; "
                           "ask for a fresh document to sign", extensions={"pointer": "/issuedAt"})


def _owned_elsewhere(gtin: str) -> Conflict:
    return Conflict("product-owned-elsewhere", "GTIN registered by another enterprise",
                    f"GTIN {gtin} already belongs to another enterprise")


def _write(ctx: ApiContext, product: Product, document: dict[str, Any], digest: bytes,
           signature: bytes, submitter: str) -> tuple[Product, bool, MasterDataRecord]:
    received_at_ms = time.time_ns() // 1_000_000
    entry = encode_entry(LogEntry(event_hash=digest, submitter=bytes.fromhex(submitter[2:]),
                                  signature=signature, received_at_ms=received_at_ms,
                                  salt=secrets.token_bytes(32)))
    record_hash_id = format_record_hash_id(digest)
    outcome: list[tuple[bool, MasterDataRecord]] = []

    def write_rows(cursor: Cursor, receipts: list[Receipt]) -> None:
        (receipt,) = receipts
        row = cursor.execute("SELECT enterprise_id FROM api_products WHERE gtin = ?",
                             (product.gtin,)).fetchone()
        if row is not None and str(row[0]) != product.enterprise_id:
            raise _owned_elsewhere(product.gtin)
        record = MasterDataRecord(
            leaf_index=receipt.leaf_index, record_hash_id=record_hash_id, kind=PRODUCT_KIND,
            subject=document["subject"], version=document["version"],
            enterprise_id=product.enterprise_id, submitter=submitter, entry=entry,
            received_at_ms=received_at_ms, document=document)
        cursor.execute(
            f"INSERT INTO {MASTER_DATA_TABLE} ({', '.join(_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
            (record.leaf_index, record_hash_id, PRODUCT_KIND, record.subject, record.version,
             record.enterprise_id, submitter, entry, received_at_ms,
             json.dumps(document, ensure_ascii=False, sort_keys=True)))
        cursor.execute("DELETE FROM api_products WHERE gtin = ?", (product.gtin,))
        cursor.execute(
            f"INSERT INTO api_products ({', '.join(_PRODUCT_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in _PRODUCT_COLUMNS)})",
            (product.gtin, product.enterprise_id, product.name.get("zh", ""),
             product.name.get("en", ""), product.description.get("zh", ""),
             product.description.get("en", ""), str(product.product_class), product.category,
             product.origin_name, product.origin_gln,
             json.dumps([vars(cert) for cert in product.certifications], ensure_ascii=False),
             received_at_ms))
        outcome.append((row is None, record))

    ctx.log_store.submit_encoded([entry], within=write_rows)
    created, record = outcome[-1]
    log.info("master data %s version %d of %s at leaf %d", record.record_hash_id,
             record.version, record.subject, record.leaf_index)
    return product, created, record


# ------------------------------------------------------------------ addressing

_PATH_FORM = re.compile(r"(?:ni:/+sha-256;)?([0-9a-f]{64})(?:\?format=traceledger\.masterdata/v1)?")


def canonical_record_hash_id(text: str) -> str:
    """`ni:///sha-256;<hex>?format=traceledger.masterdata/v1` from the spellings a path may
    carry (full, without its query part, `ni:/sha-256;...`, or the bare 64-hex digest);
    ValueError otherwise."""
    matched = _PATH_FORM.fullmatch(text.strip())
    if matched is None:
        raise ValueError(f"not a master-data record hash ID: {text[:120]!r}")
    return format_record_hash_id(bytes.fromhex(matched.group(1)))


def master_data_proof_url(record_hash_id: str) -> str:
    """The path of a master-data record's proof bundle (the ID percent-encoded as one segment)."""
    return f"/v1/master-data/{quote(record_hash_id, safe='')}/proof"
