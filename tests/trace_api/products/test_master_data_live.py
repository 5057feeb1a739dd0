"""Product master data as signed, versioned records in the log, on the real system (issue 15).

Every POST /v1/products writes version 1, 2, ... of the product's
`traceledger.masterdata/v1` record, signed by the owning enterprise (the server for a
custodial one, the enterprise itself for self-custody, which is asked with a 422 naming the
document to sign), appended to the same log as events and proven with the same bundle.
Everything is checked here with `anchoring.core` alone: the document hashes to its ID,
the entry commits to that digest, the signature recovers to the enterprise's signing
address, the inclusion proof leads to the checkpoint's root. SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from anchoring.core import (
    RecordDomain,
    TraceRecord,
    decode_entry,
    leaf_hash,
    master_data_digest,
    master_data_hash_id,
    recover_record_signer,
    sign_record,
    verify_inclusion,
)
from testing.system import LiveSystem, RegisteredEnterprise, random_company_prefix, with_check_digit

PROOF_TIMEOUT_S = 90


def _domain(system: LiveSystem) -> RecordDomain:
    return RecordDomain(system.chain_id, system.contract_address("TraceAnchor"))


def _post(system: LiveSystem, enterprise: RegisteredEnterprise, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{system.api_url}/v1/products", json=body,
                      headers=system.auth(enterprise.api_key), timeout=60)


def _gtin(enterprise: RegisteredEnterprise, item: str) -> str:
    return "0" + with_check_digit(enterprise.company_prefixes[0] + item)


def _body(gtin: str, **changes: Any) -> dict[str, Any]:
    return {"gtin": gtin, "productClass": "chilled", "category": "fruit",
            "name": {"zh": "富士苹果", "en": "Fuji apples"},
            "description": {"zh": "闽侯果园", "en": "From the Minhou orchard"},
            "origin": {"name": "Minhou, Fujian", "gln": None},
            "certifications": [{"standard": "GB/T 19630 organic", "agency": "CQC",
                                "value": "certified", "identification": "CQC-1"}], **changes}


def _proven_bundle(system: LiveSystem, proof_url: str) -> dict[str, Any]:
    """The record's bundle once the sequencer has integrated its leaf."""
    deadline = time.monotonic() + PROOF_TIMEOUT_S
    while True:
        bundle = httpx.get(system.api_url + proof_url, timeout=60).json()
        if bundle.get("rootHash") is not None or time.monotonic() > deadline:
            return bundle  # type: ignore[no-any-return]
        time.sleep(0.5)


def _check_record(system: LiveSystem, master: dict[str, Any], signer: str) -> dict[str, Any]:
    """Everything a verifier checks, with anchoring.core alone; returns the document."""
    stored = httpx.get(f"{system.api_url}/v1/master-data/{quote(master['recordHashId'], safe='')}",
                       timeout=60).json()
    document = stored["record"]
    assert master_data_hash_id(document) == master["recordHashId"] == stored["recordHashId"]
    bundle = _proven_bundle(system, master["proofUrl"])
    assert bundle["format"] == "traceledger.proof/v1"
    assert bundle["eventHashId"] == master["recordHashId"]
    entry_bytes = base64.b64decode(bundle["entry"])
    entry = decode_entry(entry_bytes)
    assert entry.event_hash == master_data_digest(document)
    assert recover_record_signer(TraceRecord(entry.event_hash, signer), _domain(system),
                                 entry.signature) == signer
    assert bundle["entryFields"]["submitter"] == signer == stored["submitter"]
    assert bundle["leafIndex"] == master["leafIndex"] == stored["leafIndex"]
    assert bytes.fromhex(bundle["leafHash"].removeprefix("0x")) == leaf_hash(entry_bytes)
    verify_inclusion(leaf_hash(entry_bytes), bundle["leafIndex"], bundle["treeSize"],
                     [bytes.fromhex(node.removeprefix("0x")) for node in bundle["inclusionProof"]],
                     bytes.fromhex(bundle["rootHash"].removeprefix("0x")))
    return document  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def custodial(live_system: LiveSystem) -> RegisteredEnterprise:
    return live_system.enterprise(name="Minhou Orchard Co.", custody="custodial",
                                  prefixes=[random_company_prefix()])


@pytest.fixture(scope="module")
def self_custody(live_system: LiveSystem) -> RegisteredEnterprise:
    return live_system.enterprise(name="Own Key Dairy Co.", custody="self",
                                  prefixes=[random_company_prefix()])


def test_create_and_update_write_signed_versions(live_system: LiveSystem,
                                                  custodial: RegisteredEnterprise) -> None:
    gtin = _gtin(custodial, "001")
    created = _post(live_system, custodial, _body(gtin))
    assert created.status_code == 201, created.text
    first = created.json()["masterData"]
    assert (first["version"], first["previous"]) == (1, None)
    assert first["recordHashId"].endswith("?format=traceledger.masterdata/v1")
    document = _check_record(live_system, first, custodial.signing_address)
    assert document == {
        "format": "traceledger.masterdata/v1", "kind": "product",
        "subject": f"https://id.gs1.org/01/{gtin}", "companyPrefix": custodial.company_prefixes[0],
        "version": 1, "previous": None, "issuedAt": document["issuedAt"],
        "product": {"name": {"zh": "富士苹果", "en": "Fuji apples"},
                    "description": {"zh": "闽侯果园", "en": "From the Minhou orchard"},
                    "origin": {"name": "Minhou, Fujian", "gln": None}, "productClass": "chilled",
                    "certifications": [{"standard": "GB/T 19630 organic", "agency": "CQC",
                                        "value": "certified", "identification": "CQC-1"}]}}

    updated = _post(live_system, custodial, _body(gtin, name={"zh": "红富士", "en": "Red Fuji"}))
    assert updated.status_code == 200, updated.text
    second = updated.json()["masterData"]
    assert (second["version"], second["previous"]) == (2, first["recordHashId"])
    assert second["leafIndex"] > first["leafIndex"]
    document = _check_record(live_system, second, custodial.signing_address)
    assert document["product"]["name"] == {"zh": "红富士", "en": "Red Fuji"}
    # The API's own row follows the record, and the old version stays provable.
    product = httpx.get(f"{live_system.api_url}/v1/products/{gtin}", timeout=60).json()
    assert product["name"] == {"zh": "红富士", "en": "Red Fuji"}
    _check_record(live_system, first, custodial.signing_address)


def test_self_custody_enterprise_signs_its_own_record(live_system: LiveSystem,
                                                      self_custody: RegisteredEnterprise) -> None:
    gtin = _gtin(self_custody, "007")
    asked = _post(live_system, self_custody, _body(gtin))
    assert asked.status_code == 422, asked.text
    problem = asked.json()
    assert problem["type"].endswith("/master-data-needs-signature")
    request = problem["masterData"]
    assert request["record"]["version"] == 1
    assert request["recordHashId"] == master_data_hash_id(request["record"])
    assert request["submitter"] == self_custody.signing_address
    assert request["domain"] == {"name": "TraceLedger", "version": "1",
                                 "chainId": live_system.chain_id,
                                 "verifyingContract": live_system.contract_address("TraceAnchor")}
    assert httpx.get(f"{live_system.api_url}/v1/products/{gtin}", timeout=60).status_code == 404

    digest = bytes.fromhex(request["eventHash"][2:])
    assert self_custody.account is not None
    signature = sign_record(TraceRecord(digest, self_custody.signing_address), _domain(live_system),
                            bytes(self_custody.account.key))
    signed = _post(live_system, self_custody, {**_body(gtin), "issuedAt": request["record"]["issuedAt"],
                                               "signature": "0x" + signature.hex()})
    assert signed.status_code == 201, signed.text
    master = signed.json()["masterData"]
    assert master["recordHashId"] == request["recordHashId"]
    _check_record(live_system, master, self_custody.signing_address)

    # A signature by another key, or over another document, is refused with the reason.
    stranger = sign_record(TraceRecord(digest, self_custody.signing_address), _domain(live_system),
                           b"\x01" * 32)
    again = _post(live_system, self_custody, {**_body(gtin), "issuedAt": request["record"]["issuedAt"],
                                              "signature": "0x" + stranger.hex()})
    assert again.status_code == 422, again.text
    assert again.json()["type"].endswith("/invalid-master-data-signature")
    assert again.json()["masterData"]["record"]["version"] == 2  # what to sign now
    assert "recovers to" in again.json()["detail"]


@pytest.mark.parametrize(("change", "status", "kind"), [
    ({"issuedAt": "2026-12-06T10:00:00.000Z"}, 400, "invalid-master-data"),  # without signature
    ({"signature": "0x" + "11" * 65}, 400, "invalid-master-data"),  # without issuedAt
    ({"issuedAt": "2020-01-01T00:00:00.000Z", "signature": "0x" + "11" * 65}, 400,
     "invalid-master-data"),  # a stale document
    ({"issuedAt": "yesterday", "signature": "0x" + "11" * 65}, 400, "invalid-master-data"),
    ({"signature": "0x1234", "issuedAt": "2026-12-06T10:00:00.000Z"}, 400, "invalid-request"),
])
def test_bad_signature_requests_are_problems(live_system: LiveSystem, self_custody: RegisteredEnterprise,
                                             change: dict[str, Any], status: int, kind: str) -> None:
    response = _post(live_system, self_custody, {**_body(_gtin(self_custody, "008")), **change})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/" + kind)


def test_text_that_cannot_be_canonical_json_is_refused(live_system: LiveSystem,
                                                       custodial: RegisteredEnterprise) -> None:
    gtin = _gtin(custodial, "009")
    content = ('{"gtin": "' + gtin + '", "productClass": "chilled", '
               '"name": {"zh": "x", "en": "\\ud800"}}').encode()  # a lone surrogate
    response = httpx.post(f"{live_system.api_url}/v1/products", content=content, timeout=60,
                          headers={**live_system.auth(custodial.api_key),
                                   "content-type": "application/json"})
    assert response.status_code in (400, 422), response.text
    assert httpx.get(f"{live_system.api_url}/v1/products/{_gtin(custodial, '009')}",
                     timeout=60).status_code == 404


def test_master_data_routes_refuse_bad_ids(live_system: LiveSystem) -> None:
    api = live_system.api_url
    response = httpx.get(f"{api}/v1/master-data/not-a-hash/proof", timeout=60)
    assert (response.status_code, response.json()["type"].rsplit("/", 1)[-1]) == (
        400, "invalid-record-hash-id")
    response = httpx.get(f"{api}/v1/master-data/{'ab' * 32}", timeout=60)
    assert response.status_code == 404
