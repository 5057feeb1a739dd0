"""Signing-key rotation through `MemberRegistry.rotateSigningKey`.

Custodial: the server makes the new key, stores it encrypted *before* sending (a crash
between the two never loses it; `service.capture_identity` promotes it once the chain
names it), and signs the rotation with the old key. Self-custody: the enterprise signs
the rotation transaction itself; the API checks signer and call, simulates it (a revert
comes back decoded, nothing is broadcast) and relays it.
"""

from __future__ import annotations

from typing import Any

import rlp  # type: ignore[import-untyped]  # pyrlp ships no type information
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from sqlmodel import Session
from web3 import Web3

from trace_api.chain_gateway import gateway
from trace_api.context import ApiContext
from trace_api.enterprises.service import (
    CUSTODY_CUSTODIAL,
    CUSTODY_SELF,
    identity_cache,
    invalid_enterprise,
    keyring,
    now_ms,
    record_action,
    require_enterprise,
)
from trace_api.enterprises.store import EnterpriseRow
from trace_api.errors import Conflict, NotAllowed


def rotate_custodial_key(ctx: ApiContext, enterprise_id: str, *, actor: str) -> EnterpriseRow:
    """Make a new custodial key and have the old one call `rotateSigningKey(new)`."""
    row = require_enterprise(ctx, enterprise_id)
    if row.custody != CUSTODY_CUSTODIAL:
        raise Conflict("wrong-custody", "Not a custodial enterprise",
                      "self-custody enterprises rotate by sending a signed transaction")
    ring = ctx.shared(keyring)
    assert row.encrypted_key is not None
    old_account = ring.account(enterprise_id, row.signing_address, row.encrypted_key)
    new_account: LocalAccount = Account.create()
    new_blob = ring.master().encrypt(bytes(new_account.key), enterprise_id=enterprise_id,
                                     address=new_account.address)
    with Session(ctx.engine) as session:  # write-ahead: the new key is stored before it is used
        stored = session.get(EnterpriseRow, enterprise_id)
        assert stored is not None
        stored.pending_address = new_account.address
        stored.pending_encrypted_key = new_blob
        session.add(stored)
        session.commit()
    ctx.shared(identity_cache).forget(enterprise_id)
    receipt = gateway(ctx).transact_as(old_account, "MemberRegistry", "rotateSigningKey",
                                       new_account.address)
    ring.remember(enterprise_id, new_account)
    return _promote_key(ctx, enterprise_id, new_account.address, actor, receipt)


def relay_key_rotation(ctx: ApiContext, enterprise_id: str, raw_transaction: bytes, *,
                       actor: str) -> EnterpriseRow:
    """Relay a self-custody enterprise's own signed `rotateSigningKey(newKey)` transaction.

    The transaction must be signed by the enterprise's current key and call exactly
    `MemberRegistry.rotateSigningKey`; the server cannot sign for a key it does not hold,
    and it checks what it relays so it never forwards someone else's transaction.
    """
    row = require_enterprise(ctx, enterprise_id)
    if row.custody != CUSTODY_SELF:
        raise Conflict("wrong-custody", "Not a self-custody enterprise",
                      "custodial enterprises rotate with an empty request; the server signs")
    chain = gateway(ctx)
    registry = chain.contract("MemberRegistry")
    try:
        sender = Account.recover_transaction(raw_transaction)
        fields = _transaction_fields(raw_transaction)
        function, arguments = registry.decode_function_input(fields["data"])
    except Exception:  # noqa: BLE001 - any undecodable input is the caller's error
        raise invalid_enterprise("signedTransaction is not a signed rotateSigningKey transaction",
                           field="signedTransaction") from None
    if (fields["to"] is None or Web3.to_checksum_address(fields["to"]) != registry.address
            or function.fn_name != "rotateSigningKey"):
        raise invalid_enterprise("the transaction must call MemberRegistry.rotateSigningKey",
                           field="signedTransaction")
    if sender != row.signing_address:
        raise NotAllowed("wrong-signer", "Not the enterprise's current key",
                      f"the transaction is signed by {sender}, not {row.signing_address}")
    new_address = Web3.to_checksum_address(arguments["newKey"])
    chain.simulate(sender, "MemberRegistry", "rotateSigningKey", new_address)
    ctx.shared(identity_cache).forget(enterprise_id)
    receipt = chain.send_raw(raw_transaction)
    return _promote_key(ctx, enterprise_id, new_address, actor, receipt)


def _transaction_fields(raw: bytes) -> dict[str, Any]:
    """`to` (0x hex or None) and `data` (bytes) of a signed legacy or EIP-2718 transaction."""
    if raw and raw[0] <= 0x7F:  # EIP-2718 typed transaction
        as_dict = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
        to, data = as_dict.get("to"), as_dict.get("data", b"")
    else:
        _nonce, _gas_price, _gas, to, _value, data, *_ = rlp.decode(raw)
    return {"to": ("0x" + bytes(to).hex()) if to else None, "data": bytes(data)}


def _promote_key(ctx: ApiContext, enterprise_id: str, new_address: str, actor: str,
                 receipt: dict[str, Any]) -> EnterpriseRow:
    with Session(ctx.engine) as session:
        row = session.get(EnterpriseRow, enterprise_id)
        assert row is not None
        if row.pending_address == new_address:
            row.encrypted_key = row.pending_encrypted_key
        row.pending_address = None
        row.pending_encrypted_key = None
        row.signing_address = new_address
        row.updated_at_ms = now_ms()
        session.add(row)
        record_action(session, enterprise_id, "key-rotated", actor, receipt=receipt)
        session.commit()
        session.refresh(row)
    ctx.shared(identity_cache).forget(enterprise_id)
    return row
