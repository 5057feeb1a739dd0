"""Custodial keys are encrypted at rest (AES-256-GCM under the master key, bound to their
enterprise) and appear in no response and no log."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from sqlalchemy import text

from testing.system import LiveSystem
from trace_api.db import create_db_engine
from trace_api.enterprises.custody import MasterKey
from trace_api.errors import DomainError


def _stored_key(live: LiveSystem, enterprise_id: str) -> tuple[str, bytes]:
    engine = create_db_engine(live.database_url)
    try:
        with engine.connect() as connection:
            address, blob = connection.execute(
                text("SELECT signing_address, encrypted_key FROM api_enterprises "
                     "WHERE enterprise_id = :id"), {"id": enterprise_id}).one()
    finally:
        engine.dispose()
    return str(address), bytes(blob)


def test_custodial_key_is_encrypted_bound_and_never_shown(live_system: LiveSystem) -> None:
    shop = live_system.enterprise(custody="custodial")
    address, blob = _stored_key(live_system, shop.id)
    assert address == shop.signing_address
    assert len(blob) == 12 + 32 + 16  # nonce, ciphertext of the 32-byte key, GCM tag
    master = MasterKey.load(live_system.data_dir / "secrets" / "master.key")
    private_key = master.decrypt(blob, enterprise_id=shop.id, address=address)
    assert Account.from_key(private_key).address == shop.signing_address
    assert private_key not in blob

    # Bound to its enterprise and address: moved to another row, it does not decrypt.
    with pytest.raises(DomainError) as moved:
        master.decrypt(blob, enterprise_id="0x" + "00" * 32, address=address)
    assert moved.value.kind == "custody-broken"
    with pytest.raises(DomainError):
        MasterKey(bytes(32)).decrypt(blob, enterprise_id=shop.id, address=address)

    assert private_key.hex() not in json.dumps(shop.registration)
    logs = live_system.log_text()
    key_secrets = [shop.api_key.split("_", 2)[2], live_system.admin_key.split("_", 2)[2]]
    assert [len(secret) for secret in key_secrets] == [43, 43]
    for secret in (private_key.hex(), *key_secrets):
        assert secret not in logs


def test_custody_without_a_master_key_is_unavailable(live_system: LiveSystem) -> None:
    from fastapi.testclient import TestClient

    from testing.system import random_uscc
    from trace_api.app import create_app

    with TestClient(create_app(live_system.settings(master_key_file=None))) as client:
        response = client.post("/v1/enterprises", headers=live_system.admin_headers, json={
            "name": "No vault", "uscc": random_uscc(), "sectors": ["food"],
            "custody": "custodial"})
    assert response.status_code == 503
    assert response.json()["type"] == "https://traceledger.dev/problems/custody-unavailable"
