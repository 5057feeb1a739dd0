"""Master-data records, `traceledger.masterdata/v1` (anchoring/core/master_data.py, issue 15).

The canonical bytes and the record hash ID are pinned: a change here changes every signed
product record. Validation is strict and every refusal names the member (JSON pointer).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from anchoring.core import (
    MASTER_DATA_FORMAT,
    MasterDataError,
    canonical_json,
    format_record_hash_id,
    master_data_digest,
    master_data_hash_id,
    record_hash_digest,
    verify_master_data,
)
from anchoring.core.master_data import MAX_CERTIFICATIONS, MAX_MASTER_DATA_BYTES

PREVIOUS = "ni:///sha-256;" + "0" * 64 + "?format=traceledger.masterdata/v1"
DOCUMENT: dict[str, Any] = {
    "format": "traceledger.masterdata/v1", "kind": "product",
    "subject": "https://id.gs1.org/01/09506000134352", "companyPrefix": "9506000",
    "version": 2, "previous": PREVIOUS, "issuedAt": "2026-12-06T10:00:00.000Z",
    "product": {"name": {"zh": "有机苹果", "en": "Organic apples"},
                "description": {"zh": "", "en": "From Minhou"},
                "origin": {"name": "Minhou, Fujian", "gln": "9506000134376"},
                "productClass": "chilled",
                "certifications": [{"standard": "GB/T 19630", "agency": "CQC", "value": "certified",
                                    "identification": "CQC-1"}]}}
CANONICAL = (
    '{"companyPrefix":"9506000","format":"traceledger.masterdata/v1",'
    '"issuedAt":"2026-12-06T10:00:00.000Z","kind":"product","previous":"' + PREVIOUS + '",'
    '"product":{"certifications":[{"agency":"CQC","identification":"CQC-1","standard":"GB/T 19630",'
    '"value":"certified"}],"description":{"en":"From Minhou","zh":""},'
    '"name":{"en":"Organic apples","zh":"有机苹果"},"origin":{"gln":"9506000134376",'
    '"name":"Minhou, Fujian"},"productClass":"chilled"},'
    '"subject":"https://id.gs1.org/01/09506000134352","version":2}').encode()
HASH_ID = ("ni:///sha-256;a88a4cd84ce691798e6ed729598fbe6995b0e69f065ac67661f8a19e1ded5fe7"
           "?format=traceledger.masterdata/v1")


def _changed(pointer: str, value: Any) -> dict[str, Any]:
    """DOCUMENT with the member at `pointer` set to `value` (or removed for `...`)."""
    document = copy.deepcopy(DOCUMENT)
    *path, last = pointer.strip("/").split("/")
    target: Any = document
    for step in path:
        target = target[int(step)] if isinstance(target, list) else target[step]
    if value is ...:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return document


def test_pinned_canonical_bytes_digest_and_id() -> None:
    assert canonical_json(DOCUMENT) == CANONICAL
    assert master_data_digest(DOCUMENT) == hashlib.sha256(CANONICAL).digest()
    assert master_data_hash_id(DOCUMENT) == HASH_ID
    reordered = dict(reversed(list(DOCUMENT.items())))
    assert master_data_hash_id(reordered) == HASH_ID  # member order never matters (JCS)


def test_record_hash_id_round_trip_is_strict() -> None:
    digest = bytes(range(32))
    hash_id = format_record_hash_id(digest)
    assert hash_id == "ni:///sha-256;" + digest.hex() + "?format=" + MASTER_DATA_FORMAT
    assert record_hash_digest(hash_id) == digest
    for wrong in (hash_id.upper(), hash_id.replace("?format=", "?ver="),
                  "ni:///sha-256;" + digest.hex() + "?ver=CBV2.0", hash_id[:-1], hash_id + " ",
                  "ni:///sha-256;" + digest.hex()[:-1] + "?format=" + MASTER_DATA_FORMAT, ""):
        with pytest.raises(MasterDataError):
            record_hash_digest(wrong)
    with pytest.raises(MasterDataError):
        format_record_hash_id(b"\x00" * 31)


def test_version_one_has_no_previous() -> None:
    first = _changed("/previous", None)
    first["version"] = 1
    verify_master_data(first)
    assert master_data_hash_id(first) != HASH_ID


@pytest.mark.parametrize(("pointer", "value", "error_pointer", "words"), [
    ("/format", "traceledger.masterdata/v2", "/format", "unknown master-data version"),
    ("/kind", "enterprise", "/format", "unknown master-data version"),
    ("/extra", 1, "", "unknown extra"),
    ("/issuedAt", ..., "", "missing issuedAt"),
    ("/subject", "https://id.gs1.org/01/09506000134353", "/subject", "check digit"),
    ("/subject", "https://id.gs1.org/02/09506000134352", "/subject", "GTIN-14"),
    ("/companyPrefix", "9506001", "/companyPrefix", "not under company prefix"),
    ("/companyPrefix", "123", "/companyPrefix", "does not match"),
    ("/version", 0, "/version", "integer"),
    ("/version", True, "/version", "integer"),
    ("/version", 2.0, "/version", "integer"),
    ("/version", 2**31, "/version", "integer"),
    ("/previous", None, "/previous", "names its previous"),
    ("/previous", "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0", "/previous", "record hash ID"),
    ("/issuedAt", "2026-12-06T10:00:00Z", "/issuedAt", "does not match"),
    ("/product/name/zh", 5, "/product/name/zh", "is a string"),
    ("/product/name/de", "Äpfel", "/product/name", "unknown de"),
    ("/product/name/en", "x" * 401, "/product/name/en", "401 characters"),
    ("/product/origin/name", "", "/product/origin/name", "0 characters"),
    ("/product/origin/gln", "9506000134377", "/product/origin/gln", "check digit"),
    ("/product/origin", "Minhou", "/product/origin", "null or an object"),
    ("/product/productClass", "Chilled", "/product/productClass", "does not match"),
    ("/product/certifications/0/agency", "", "/product/certifications/0/agency", "0 characters"),
    ("/product/certifications/0/note", "x", "/product/certifications/0", "unknown note"),
    ("/product/certifications", [{}] * (MAX_CERTIFICATIONS + 1), "/product/certifications",
     "at most"),
    ("/product/name/en", "\ud800", "", "canonical JSON"),
])
def test_invalid_documents_name_the_member(pointer: str, value: Any, error_pointer: str,
                                           words: str) -> None:
    document = _changed(pointer, value)
    with pytest.raises(MasterDataError) as refused:
        master_data_digest(document)
    assert refused.value.pointer == error_pointer
    assert words in str(refused.value)


def test_size_is_bounded() -> None:
    big = {"standard": "标" * 200, "agency": "机" * 200, "value": "值" * 200,
           "identification": "号" * 200}
    document = _changed("/product/certifications", [big] * MAX_CERTIFICATIONS)
    document["product"]["name"] = {"zh": "名" * 400, "en": "n" * 400}
    assert len(canonical_json(document)) > MAX_MASTER_DATA_BYTES
    with pytest.raises(MasterDataError, match="over"):
        verify_master_data(document)
    verify_master_data(_changed("/product/certifications", [big] * 10))


def test_not_an_object() -> None:
    for value in (None, [], "x", 1):
        with pytest.raises(MasterDataError):
            verify_master_data(value)
