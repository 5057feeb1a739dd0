"""Master-data records, format `traceledger.masterdata/v1`: what a product is, signed.

A master-data record is a JSON document an enterprise signs and the platform appends to
the same log as trace events (same 158-byte v1 entry, same proofs and anchors), so the
names, origin and certifications a consumer sees are as verifiable as the events. Changing
anything here changes every record hash ID: the format is versioned, and a new field or
rule means a new `format`.

    digest          = SHA-256(JCS(document))           (RFC 8785 canonical JSON)
    record hash ID  = "ni:///sha-256;" + hex(digest) + "?format=traceledger.masterdata/v1"
                      (RFC 6920 named information, like the CBV 2.0 Event Hash ID)

The entry's `event_hash` is the digest; the signature is the EIP-712 `TraceRecord`
(`record_signature`) over it, exactly as for an event.

Document (kind `product`, every member required, no others):

    {"format": "traceledger.masterdata/v1", "kind": "product",
     "subject": "https://id.gs1.org/01/<GTIN-14>", "companyPrefix": "<4..12 digits>",
     "version": 1, "previous": null | "<record hash ID of version - 1>",
     "issuedAt": "YYYY-MM-DDTHH:MM:SS.sssZ",
     "product": {"name": {"zh", "en"}, "description": {"zh", "en"},
                 "origin": null | {"name", "gln": null | "<GLN>"},
                 "productClass": "<lowercase word>",
                 "certifications": [{"standard", "agency", "value", "identification"}]}}

Validation is strict (`verify_master_data`): exact member sets, bounded sizes, GS1 check
digits, the GTIN under the company prefix, `previous` null exactly for version 1.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Final

from anchoring.core.check_digit import has_valid_check_digit
from anchoring.core.errors import CanonicalJSONError, MasterDataError
from anchoring.core.jcs import canonical_json

__all__ = [
    "MASTER_DATA_FORMAT",
    "MAX_MASTER_DATA_BYTES",
    "PRODUCT_KIND",
    "format_record_hash_id",
    "master_data_digest",
    "master_data_hash_id",
    "record_hash_digest",
    "verify_master_data",
]

MASTER_DATA_FORMAT: Final = "traceledger.masterdata/v1"
PRODUCT_KIND: Final = "product"
RECORD_HASH_ID_PREFIX: Final = "ni:///sha-256;"
RECORD_HASH_ID_SUFFIX: Final = "?format=" + MASTER_DATA_FORMAT
DIGEST_SIZE: Final = 32

MAX_TEXT_CHARS: Final = 400
"""Name and description, per language: what a label or a phone screen can show."""
MAX_FIELD_CHARS: Final = 200
"""Origin name and each certification field (a standard's title, a certificate number)."""
MAX_CERTIFICATIONS: Final = 50
"""Certificates per product; real products hold a handful."""
MAX_VERSION: Final = 2**31 - 1
"""Versions per subject; exact in every JSON number implementation."""
MAX_MASTER_DATA_BYTES: Final = 64 * 1024
"""Canonical size bound: 50 certifications of 4 x 200 characters in 4-byte UTF-8 fit."""

_SUBJECT_PREFIX: Final = "https://id.gs1.org/01/"
_GTIN14 = re.compile(r"[0-9]{14}")
_COMPANY_PREFIX = re.compile(r"[0-9]{4,12}")
_GLN = re.compile(r"[0-9]{13}")
_PRODUCT_CLASS = re.compile(r"[a-z][a-z_]{0,31}")
_ISSUED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_HEX64 = re.compile(r"[0-9a-f]{64}")

_DOCUMENT_MEMBERS: Final = frozenset(
    {"format", "kind", "subject", "companyPrefix", "version", "previous", "issuedAt", "product"})
_PRODUCT_MEMBERS: Final = frozenset(
    {"name", "description", "origin", "productClass", "certifications"})
_TEXTS_MEMBERS: Final = frozenset({"zh", "en"})
_ORIGIN_MEMBERS: Final = frozenset({"name", "gln"})
_CERTIFICATION_MEMBERS: Final = frozenset({"standard", "agency", "value", "identification"})


def format_record_hash_id(digest: bytes) -> str:
    """`ni:///sha-256;<lowercase hex>?format=traceledger.masterdata/v1` naming `digest`.

    Requires `len(digest) == 32`; raises `MasterDataError` otherwise.
    """
    if len(digest) != DIGEST_SIZE:
        raise MasterDataError(f"a record hash ID names a {DIGEST_SIZE}-byte digest, got {len(digest)}")
    return RECORD_HASH_ID_PREFIX + digest.hex() + RECORD_HASH_ID_SUFFIX


def record_hash_digest(record_hash_id: str) -> bytes:
    """The 32-byte digest a record hash ID names; the inverse of `format_record_hash_id`.

    Strict: only the canonical form (prefix, 64 lowercase hex digits, this format's
    suffix) is accepted; raises `MasterDataError` otherwise.
    """
    digest_hex = record_hash_id[len(RECORD_HASH_ID_PREFIX):-len(RECORD_HASH_ID_SUFFIX)]
    if (not record_hash_id.startswith(RECORD_HASH_ID_PREFIX)
            or not record_hash_id.endswith(RECORD_HASH_ID_SUFFIX)
            or not _HEX64.fullmatch(digest_hex)):
        raise MasterDataError(f"not a canonical master-data record hash ID: {record_hash_id[:120]!r}")
    return bytes.fromhex(digest_hex)


def master_data_digest(document: Mapping[str, Any]) -> bytes:
    """SHA-256 of the RFC 8785 canonical JSON of a valid document.

    Raises `MasterDataError` (via `verify_master_data`) for an invalid one, so no digest
    is ever computed, signed or logged for a document a verifier would refuse.
    """
    verify_master_data(document)
    return hashlib.sha256(canonical_json(dict(document))).digest()


def master_data_hash_id(document: Mapping[str, Any]) -> str:
    """The record hash ID of a valid document (`format_record_hash_id(master_data_digest(...))`)."""
    return format_record_hash_id(master_data_digest(document))


def verify_master_data(document: Any) -> None:
    """Return None if `document` is a valid `traceledger.masterdata/v1` record, else raise
    `MasterDataError` naming the first offending member (JSON pointer in `.pointer`).

    An unknown `format` or `kind` is refused with "unknown master-data version".
    """
    if not isinstance(document, Mapping):
        raise MasterDataError("a master-data record is a JSON object")
    if document.get("format") != MASTER_DATA_FORMAT or document.get("kind") != PRODUCT_KIND:
        raise MasterDataError(
            f"unknown master-data version: format {str(document.get('format'))[:60]!r}, "
            f"kind {str(document.get('kind'))[:60]!r} (known: {MASTER_DATA_FORMAT} {PRODUCT_KIND})",
            pointer="/format")
    _members(document, _DOCUMENT_MEMBERS, "")
    company_prefix = _string(document, "companyPrefix", "", pattern=_COMPANY_PREFIX)
    subject = _string(document, "subject", "", max_chars=len(_SUBJECT_PREFIX) + 14)
    gtin = subject[len(_SUBJECT_PREFIX):]
    if (not subject.startswith(_SUBJECT_PREFIX) or not _GTIN14.fullmatch(gtin)
            or not has_valid_check_digit(gtin)):
        raise MasterDataError(f"subject must be {_SUBJECT_PREFIX}<GTIN-14 with a valid check digit>",
                              pointer="/subject")
    if not gtin[1:].startswith(company_prefix):
        raise MasterDataError(f"GTIN {gtin} is not under company prefix {company_prefix}",
                              pointer="/companyPrefix")
    version = document["version"]
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise MasterDataError(f"version must be an integer 1..{MAX_VERSION}", pointer="/version")
    previous = document["previous"]
    if version == 1 and previous is not None:
        raise MasterDataError("version 1 has no previous record", pointer="/previous")
    if version > 1:
        if not isinstance(previous, str):
            raise MasterDataError("a version after 1 names its previous record", pointer="/previous")
        try:
            record_hash_digest(previous)
        except MasterDataError as exc:
            raise MasterDataError(str(exc), pointer="/previous") from exc
    _string(document, "issuedAt", "", pattern=_ISSUED_AT)
    _product(document["product"])
    try:
        size = len(canonical_json(dict(document)))
    except CanonicalJSONError as exc:  # a lone surrogate in some text
        raise MasterDataError(f"not canonical JSON: {exc}") from exc
    if size > MAX_MASTER_DATA_BYTES:
        raise MasterDataError(f"the record is over {MAX_MASTER_DATA_BYTES} bytes")


def _product(product: Any) -> None:
    at = "/product"
    if not isinstance(product, Mapping):
        raise MasterDataError("product is an object", pointer=at)
    _members(product, _PRODUCT_MEMBERS, at)
    for member in ("name", "description"):
        texts = product[member]
        if not isinstance(texts, Mapping):
            raise MasterDataError(f"{member} is an object {{zh, en}}", pointer=f"{at}/{member}")
        _members(texts, _TEXTS_MEMBERS, f"{at}/{member}")
        for language in ("zh", "en"):
            _string(texts, language, f"{at}/{member}", max_chars=MAX_TEXT_CHARS)
    origin = product["origin"]
    if origin is not None:
        if not isinstance(origin, Mapping):
            raise MasterDataError("origin is null or an object {name, gln}", pointer=f"{at}/origin")
        _members(origin, _ORIGIN_MEMBERS, f"{at}/origin")
        _string(origin, "name", f"{at}/origin", min_chars=1, max_chars=MAX_FIELD_CHARS)
        gln = origin["gln"]
        if gln is not None and not (isinstance(gln, str) and _GLN.fullmatch(gln)
                                    and has_valid_check_digit(gln)):
            raise MasterDataError("origin gln is null or a 13-digit GLN with a valid check digit",
                                  pointer=f"{at}/origin/gln")
    _string(product, "productClass", at, pattern=_PRODUCT_CLASS)
    certifications = product["certifications"]
    if not isinstance(certifications, list) or len(certifications) > MAX_CERTIFICATIONS:
        raise MasterDataError(f"certifications is a list of at most {MAX_CERTIFICATIONS}",
                              pointer=f"{at}/certifications")
    for index, certification in enumerate(certifications):
        where = f"{at}/certifications/{index}"
        if not isinstance(certification, Mapping):
            raise MasterDataError("a certification is an object", pointer=where)
        _members(certification, _CERTIFICATION_MEMBERS, where)
        for member in ("standard", "agency"):
            _string(certification, member, where, min_chars=1, max_chars=MAX_FIELD_CHARS)
        for member in ("value", "identification"):
            _string(certification, member, where, max_chars=MAX_FIELD_CHARS)


def _members(value: Mapping[str, Any], expected: frozenset[str], at: str) -> None:
    names = set(value)
    if names != expected:
        missing, extra = sorted(expected - names), sorted(str(name)[:40] for name in names - expected)
        raise MasterDataError(
            "members differ from the format: "
            + "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                          f"unknown {', '.join(extra)}" if extra else "") if part),
            pointer=at)


def _string(value: Mapping[str, Any], member: str, at: str, *, min_chars: int = 0,
            max_chars: int = MAX_FIELD_CHARS, pattern: re.Pattern[str] | None = None) -> str:
    text = value[member]
    where = f"{at}/{member}"
    if not isinstance(text, str):
        raise MasterDataError(f"{member} is a string", pointer=where)
    if pattern is not None:
        if not pattern.fullmatch(text):
            raise MasterDataError(f"{member} {text[:40]!r} does not match {pattern.pattern}",
                                  pointer=where)
    elif not min_chars <= len(text) <= max_chars:
        raise MasterDataError(f"{member} has {len(text)} characters; allowed {min_chars}..{max_chars}",
                              pointer=where)
    return text
