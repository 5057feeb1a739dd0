"""Registering enterprises through the live API: what is stored, what goes on chain,
what is refused (and with which problem)."""

from __future__ import annotations

import httpx
from web3 import Web3

from anchoring.anchor_contract import connect
from anchoring.core import canonical_json
from anchoring.core.keccak import keccak256
from contracts.artifacts import load_artifact
from testing.system import LiveSystem, random_company_prefix, random_uscc


def _registry(live: LiveSystem):  # type: ignore[no-untyped-def]
    return connect(live.rpc_url).eth.contract(
        address=live.contract_address("MemberRegistry"), abi=load_artifact("MemberRegistry").abi)


def _post(live: LiveSystem, body: dict, headers: dict | None = None) -> httpx.Response:  # type: ignore[type-arg]
    return httpx.post(f"{live.api_url}/v1/enterprises", json=body,
                      headers=live.admin_headers if headers is None else headers, timeout=60)


def test_self_custody_registration_goes_on_chain(live_system: LiveSystem) -> None:
    prefix = random_company_prefix()
    farm = live_system.enterprise(name="Minhou Tea Farm", sectors=["food"], prefixes=[prefix],
                                  custody="self", glns=["9506000134352"])
    document = farm.registration
    assert farm.id == "0x" + keccak256(farm.uscc.encode("ascii")).hex()
    assert document["name"] == "Minhou Tea Farm"
    assert document["sectors"] == ["food"]
    assert document["companyPrefixes"] == [prefix]
    assert document["glns"] == ["9506000134352"]
    assert document["custody"] == "self"
    assert document["status"] == "active"
    assert farm.account is not None and document["signingAddress"] == farm.account.address
    assert farm.api_key.startswith("tlk_" + document["apiKey"]["keyId"] + "_")
    assert document["apiKey"]["role"] == "enterprise"
    assert document["apiKey"]["enterpriseId"] == farm.id

    registry = _registry(live_system)
    status, sectors, metadata, signing_key = registry.functions.enterprise(
        bytes.fromhex(farm.id[2:])).call()
    expected_metadata = keccak256(canonical_json({
        "name": "Minhou Tea Farm", "uscc": farm.uscc, "sectors": ["food"],
        "companyPrefixes": [prefix], "glns": ["9506000134352"]}))
    assert (status, sectors, bytes(metadata), signing_key) == (
        1, 1, expected_metadata, farm.account.address)
    assert registry.functions.companyPrefixes(bytes.fromhex(farm.id[2:])).call() == [prefix]
    receipt = connect(live_system.rpc_url).eth.get_transaction_receipt(
        document["registrationTransaction"])
    assert receipt["status"] == 1

    # The first key signs the enterprise in, and it sees itself with its history.
    own = httpx.get(f"{live_system.api_url}/v1/enterprises/{farm.id}",
                    headers=live_system.auth(farm.api_key))
    assert own.status_code == 200
    assert own.json()["history"][0]["action"] == "registered"
    assert own.json()["history"][0]["transactionHash"] == document["registrationTransaction"]


def test_custodial_registration_makes_a_fresh_key(live_system: LiveSystem) -> None:
    shop = live_system.enterprise(name="Gulou Lift Service", sectors=["special_equipment"],
                                  custody="custodial")
    assert shop.account is None
    assert Web3.is_checksum_address(shop.signing_address)
    assert set(shop.registration) == {
        "enterpriseId", "name", "uscc", "sectors", "companyPrefixes", "glns", "custody",
        "signingAddress", "status", "registeredAt", "registrationTransaction", "apiKey"}
    status, sectors, _metadata, signing_key = _registry(live_system).functions.enterprise(
        bytes.fromhex(shop.id[2:])).call()
    assert (status, sectors, signing_key) == (1, 2, shop.signing_address)


def test_bad_registrations_are_refused_with_problems(live_system: LiveSystem) -> None:
    uscc = random_uscc()
    wrong_check = uscc[:17] + ("0" if uscc[17] != "0" else "1")
    base = {"name": "X", "sectors": ["food"], "custody": "custodial"}
    cases = [
        ({**base, "uscc": wrong_check}, 400, "check_character"),
        ({**base, "uscc": uscc[:17]}, 400, "length"),
        ({**base, "uscc": uscc, "glns": ["9506000134353"]}, 400, None),
        ({**base, "uscc": uscc, "sectors": ["toys"]}, 400, None),
        ({**base, "uscc": uscc, "sectors": []}, 400, None),
        ({**base, "uscc": uscc, "companyPrefixes": ["12a4"]}, 400, None),
        ({**base, "uscc": uscc, "custody": "self"}, 400, None),
        ({**base, "uscc": uscc, "signingAddress": "0x" + "11" * 20}, 400, None),
        ({**base, "uscc": uscc, "unknownField": 1}, 400, None),
    ]
    for body, status, reason in cases:
        response = _post(live_system, body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if reason is not None:
            assert response.json()["reason"] == reason
    # None of them was stored.
    listing = httpx.get(f"{live_system.api_url}/v1/enterprises?limit=1000",
                        headers=live_system.admin_headers).json()
    assert uscc not in {entry["uscc"] for entry in listing}


def test_duplicates_and_taken_prefixes_conflict(live_system: LiveSystem) -> None:
    first = live_system.enterprise(custody="custodial")
    again = _post(live_system, {"name": "Again", "uscc": first.uscc, "sectors": ["food"],
                                "custody": "custodial"})
    assert again.status_code == 409
    assert again.json()["enterpriseId"] == first.id

    taken = _post(live_system, {"name": "Squatter", "uscc": random_uscc(), "sectors": ["food"],
                                "companyPrefixes": first.company_prefixes, "custody": "custodial"})
    assert taken.status_code == 409
    assert taken.json()["chainError"]["name"] == "CompanyPrefixTaken"
    assert taken.json()["chainError"]["arguments"]["ownerId"] == first.id

    reused = live_system.enterprise(custody="self")
    assert reused.account is not None
    same_key = _post(live_system, {"name": "Same key", "uscc": random_uscc(), "sectors": ["food"],
                                   "custody": "self", "signingAddress": reused.account.address})
    assert same_key.status_code == 409
    assert same_key.json()["chainError"]["name"] == "AccountAlreadyUsed"


def test_only_admins_register(live_system: LiveSystem) -> None:
    body = {"name": "X", "uscc": random_uscc(), "sectors": ["food"], "custody": "custodial"}
    anonymous = httpx.post(f"{live_system.api_url}/v1/enterprises", json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith('Bearer realm="traceledger"')
    member = live_system.enterprise(custody="custodial")
    as_enterprise = _post(live_system, body, live_system.auth(member.api_key))
    assert as_enterprise.status_code == 403
    as_regulator = _post(live_system, body, live_system.auth(live_system.regulator_token()))
    assert as_regulator.status_code == 403
