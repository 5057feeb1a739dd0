"""Suspension, reinstatement and key rotation through the live API, and the capture
contract (`capture_identity`, `sign_records`) that other packages build on."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from eth_account import Account

from anchoring.anchor_contract import connect, fee_params
from anchoring.core.keccak import keccak256
from anchoring.core.record_signature import RecordDomain, TraceRecord, recover_record_signer
from contracts.artifacts import load_artifact
from testing.system import LiveSystem, RegisteredEnterprise
from trace_api.context import ApiContext
from trace_api.enterprises import service
from trace_api.errors import DomainError, http_status


@pytest.fixture
def ctx(live_system: LiveSystem) -> Iterator[ApiContext]:
    """An in-process context over the live system's databases and chain."""
    context = ApiContext.open(live_system.settings())
    try:
        yield context
    finally:
        context.close()


def _registry(live: LiveSystem):  # type: ignore[no-untyped-def]
    return connect(live.rpc_url).eth.contract(
        address=live.contract_address("MemberRegistry"), abi=load_artifact("MemberRegistry").abi)


def _chain_status(live: LiveSystem, enterprise: RegisteredEnterprise) -> tuple[int, str]:
    status, _sectors, _metadata, key = _registry(live).functions.enterprise(
        bytes.fromhex(enterprise.id[2:])).call()
    return int(status), key


def _post(live: LiveSystem, path: str, headers: dict[str, str], body: object = None) -> httpx.Response:
    return httpx.post(f"{live.api_url}{path}", json=body, headers=headers, timeout=60)


def test_suspension_stops_capture_and_reinstatement_restores_it(
    live_system: LiveSystem, ctx: ApiContext
) -> None:
    farm = live_system.enterprise(custody="custodial", glns=["0614141073467"])
    assert service.capture_identity(ctx, farm.id) == service.EnterpriseIdentity(
        enterprise_id=farm.id, name=farm.name, signing_address=farm.signing_address,
        custody="custodial", status="active", company_prefixes=tuple(farm.company_prefixes),
        glns=frozenset({"0614141073467"}))
    regulator = live_system.auth(live_system.regulator_token())
    base = f"/v1/enterprises/{farm.id}"

    suspended = _post(live_system, f"{base}/suspension", regulator,
                      {"reason": "cold chain breach, case 2026-117"})
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    assert _chain_status(live_system, farm) == (2, farm.signing_address)
    detail = httpx.get(f"{live_system.api_url}{base}", headers=live_system.admin_headers).json()
    action = detail["history"][-1]
    assert action["action"] == "suspended"
    assert action["reason"] == "cold chain breach, case 2026-117"
    assert action["reasonHash"] == "0x" + keccak256(b"cold chain breach, case 2026-117").hex()
    assert action["actor"] == "oidc:inspector-7"
    logs = _registry(live_system).events.EnterpriseSuspended().get_logs(
        from_block=action["blockNumber"], to_block=action["blockNumber"])
    assert [bytes(log["args"]["reasonHash"]).hex() for log in logs] == [action["reasonHash"][2:]]

    # This context read "active" before the suspension: its cache must not let it capture
    # past the TTL, and a fresh read refuses at once.
    ctx.shared(service.identity_cache).forget(farm.id)
    with pytest.raises(DomainError) as refused:
        service.capture_identity(ctx, farm.id)
    assert (http_status(refused.value), refused.value.kind) == (403, "enterprise-suspended")
    with pytest.raises(DomainError) as unsigned:
        service.sign_records(ctx, farm.id, [bytes(32)])
    assert http_status(unsigned.value) == 403

    again = _post(live_system, f"{base}/suspension", regulator, {"reason": "twice"})
    assert again.status_code == 409
    assert again.json()["chainError"]["name"] == "EnterpriseNotActive"

    reinstated = _post(live_system, f"{base}/reinstatement", regulator, {"reason": "fixed"})
    assert reinstated.status_code == 200
    assert reinstated.json()["status"] == "active"
    assert _chain_status(live_system, farm)[0] == 1
    ctx.shared(service.identity_cache).forget(farm.id)
    assert service.capture_identity(ctx, farm.id).status == "active"
    twice = _post(live_system, f"{base}/reinstatement", regulator)
    assert twice.status_code == 409
    assert twice.json()["chainError"]["name"] == "EnterpriseNotSuspended"


def test_only_regulators_suspend(live_system: LiveSystem) -> None:
    farm = live_system.enterprise(custody="custodial")
    path = f"/v1/enterprises/{farm.id}/suspension"
    for headers in (live_system.admin_headers, live_system.auth(farm.api_key)):
        assert _post(live_system, path, headers, {"reason": "x"}).status_code == 403
    assert _post(live_system, path, {}, {"reason": "x"}).status_code == 401
    regulator = live_system.auth(live_system.regulator_token())
    assert _post(live_system, path, regulator, {"reason": ""}).status_code == 400
    assert _post(live_system, path, regulator, {}).status_code == 400
    unknown = _post(live_system, "/v1/enterprises/0x" + "ab" * 32 + "/suspension", regulator,
                    {"reason": "x"})
    assert unknown.status_code == 404
    malformed = _post(live_system, "/v1/enterprises/0x1234/suspension", regulator, {"reason": "x"})
    assert malformed.status_code == 400
    assert _chain_status(live_system, farm)[0] == 1


def test_sign_records_signs_with_the_custodial_key(live_system: LiveSystem, ctx: ApiContext) -> None:
    shop = live_system.enterprise(custody="custodial")
    hashes = [bytes([n]) * 32 for n in range(1, 4)]
    signatures = service.sign_records(ctx, shop.id, hashes)
    domain = RecordDomain(live_system.chain_id, live_system.contract_address("TraceAnchor"))
    assert [recover_record_signer(TraceRecord(h, shop.signing_address), domain, s)
            for h, s in zip(hashes, signatures, strict=True)] == [shop.signing_address] * 3
    self_custody = live_system.enterprise(custody="self")
    with pytest.raises(DomainError) as refused:
        service.sign_records(ctx, self_custody.id, hashes)
    assert (http_status(refused.value), refused.value.kind) == (409, "wrong-custody")


def test_custodial_key_rotation(live_system: LiveSystem, ctx: ApiContext) -> None:
    shop = live_system.enterprise(custody="custodial")
    rotated = _post(live_system, f"/v1/enterprises/{shop.id}/key-rotation",
                    live_system.auth(shop.api_key))
    assert rotated.status_code == 200, rotated.text
    new_address = rotated.json()["signingAddress"]
    assert new_address != shop.signing_address
    assert _registry(live_system).functions.keyHistory(bytes.fromhex(shop.id[2:])).call() == [
        shop.signing_address, new_address]
    assert _chain_status(live_system, shop) == (1, new_address)
    # A fresh process decrypts the new key from the database and signs with it.
    signature = service.sign_records(ctx, shop.id, [b"\x07" * 32])[0]
    domain = RecordDomain(live_system.chain_id, live_system.contract_address("TraceAnchor"))
    assert recover_record_signer(TraceRecord(b"\x07" * 32, new_address), domain, signature) \
        == new_address
    with_body = _post(live_system, f"/v1/enterprises/{shop.id}/key-rotation",
                      live_system.admin_headers, {"signedTransaction": "0x00"})
    assert with_body.status_code == 400


def test_self_custody_key_rotation_is_relayed(live_system: LiveSystem) -> None:
    farm = live_system.enterprise(custody="self")
    assert farm.account is not None
    w3 = connect(live_system.rpc_url)
    registry = _registry(live_system)
    new_account = Account.create()

    def signed_rotation(signer, new_key: str) -> str:  # type: ignore[no-untyped-def]
        transaction = registry.functions.rotateSigningKey(new_key).build_transaction({
            "from": signer.address, "nonce": w3.eth.get_transaction_count(signer.address),
            "gas": 200_000, "chainId": live_system.chain_id, **fee_params(w3)})
        return "0x" + bytes(signer.sign_transaction(transaction).raw_transaction).hex()

    path = f"/v1/enterprises/{farm.id}/key-rotation"
    headers = live_system.auth(farm.api_key)
    stranger = Account.create()
    wrong_signer = _post(live_system, path, headers,
                         {"signedTransaction": signed_rotation(stranger, new_account.address)})
    assert wrong_signer.status_code == 403
    assert _post(live_system, path, headers, {"signedTransaction": "0xdeadbeef"}).status_code == 400
    assert _post(live_system, path, headers).status_code == 400
    other = live_system.enterprise(custody="self")
    assert _post(live_system, f"/v1/enterprises/{other.id}/key-rotation", headers,
                 {"signedTransaction": signed_rotation(farm.account, new_account.address)}
                 ).status_code == 404

    taken = _post(live_system, path, headers,
                  {"signedTransaction": signed_rotation(farm.account, other.signing_address)})
    assert taken.status_code == 409
    assert taken.json()["chainError"]["name"] == "AccountAlreadyUsed"

    rotated = _post(live_system, path, headers,
                    {"signedTransaction": signed_rotation(farm.account, new_account.address)})
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["signingAddress"] == new_account.address
    assert _chain_status(live_system, farm) == (1, new_account.address)
    history = httpx.get(f"{live_system.api_url}/v1/enterprises/{farm.id}", headers=headers).json()
    assert [entry["action"] for entry in history["history"]] == ["registered", "key-rotated"]


def test_listing_is_for_staff(live_system: LiveSystem) -> None:
    farm = live_system.enterprise(custody="custodial")
    url = f"{live_system.api_url}/v1/enterprises"
    for headers in (live_system.admin_headers, live_system.auth(live_system.regulator_token())):
        listing = httpx.get(url, params={"limit": 1000}, headers=headers)
        assert listing.status_code == 200
        assert farm.id in {entry["enterpriseId"] for entry in listing.json()}
    assert httpx.get(url, headers=live_system.auth(farm.api_key)).status_code == 403
    assert httpx.get(url, params={"limit": 0}, headers=live_system.admin_headers).status_code == 400
    other = live_system.enterprise(custody="custodial")
    hidden = httpx.get(f"{url}/{other.id}", headers=live_system.auth(farm.api_key))
    assert hidden.status_code == 404


def test_custodial_enterprise_transacts_with_its_own_key(live_system: LiveSystem,
                                                         ctx: ApiContext) -> None:
    shop = live_system.enterprise(custody="custodial")
    receipt = service.transact_as_enterprise(ctx, shop.id, "MemberRegistry", "updateMetadata",
                                             b"\x05" * 32)
    assert receipt["from"] == shop.signing_address
    _status, _sectors, metadata, _key = _registry(live_system).functions.enterprise(
        bytes.fromhex(shop.id[2:])).call()
    assert bytes(metadata) == b"\x05" * 32
    farm = live_system.enterprise(custody="self")
    with pytest.raises(DomainError) as refused:
        service.transact_as_enterprise(ctx, farm.id, "MemberRegistry", "updateMetadata",
                                       b"\x06" * 32)
    assert (http_status(refused.value), refused.value.kind) == (409, "wrong-custody")
