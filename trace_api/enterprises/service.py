"""Enterprise services: register, suspend, reinstate; the capture identity and custodial
signing (key rotation is in `rotation.py`).

The chain (`MemberRegistry`) is the authority on an enterprise's status and signing key.
Every change goes on chain and is recorded in `api_enterprises` once the receipt says
it happened (a registration's row, and a custodial key, are written before the transaction
and removed if it fails, so a key never exists only on chain). `capture_identity` answers from a short-lived in-process cache (TTL
`identity_cache_ttl_s`) filled from the chain, which this process's own suspensions,
reinstatements and rotations invalidate at once; a change made elsewhere (another API
process, a regulator's own tool) is seen within the TTL.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlmodel import Session
from web3 import Web3

from anchoring.core.record_signature import RecordDomain, TraceRecord, sign_record
from gs1.errors import GS1Error
from gs1.keys import verify_gln
from trace_api.auth.api_keys import IssuedKey, create_api_key
from trace_api.auth.principal import Role
from trace_api.capture.authority import nested_prefixes
from trace_api.chain_gateway import gateway
from trace_api.context import ApiContext
from trace_api.enterprises import ids
from trace_api.enterprises.custody import KeyRing
from trace_api.enterprises.store import (
    EnterpriseActionRow,
    EnterpriseRow,
    all_company_prefixes,
    find_by_uscc,
    get_enterprise,
)
from trace_api.errors import Conflict, InvalidInput, NotAllowed, NotFound
from trace_api.identity import InvalidUSCCError, validate_uscc

CUSTODY_SELF = "self"
CUSTODY_CUSTODIAL = "custodial"
CHAIN_STATUS = {1: "active", 2: "suspended", 3: "revoked"}
"""MemberRegistry.EnterpriseStatus values (0 = none)."""


@dataclass(frozen=True)
class EnterpriseIdentity:
    """Who signs for an enterprise now, how its key is held, whether it may capture, and
    what it speaks for (`trace_api.capture.authority`): its GS1 Company Prefixes as the
    chain records them, its registered GLNs, and other enterprises' prefixes nested inside
    its own (keys under those are not its own)."""

    enterprise_id: str
    name: str
    signing_address: str
    custody: str
    status: str
    company_prefixes: tuple[str, ...] = ()
    glns: frozenset[str] = frozenset()
    nested_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class NewEnterprise:
    """A registration request (values as given; `register_enterprise` validates them)."""

    name: str
    uscc: str
    sectors: Sequence[str]
    company_prefixes: Sequence[str] = ()
    glns: Sequence[str] = ()
    custody: str = CUSTODY_SELF
    signing_address: str | None = None


@dataclass(frozen=True)
class Registration:
    enterprise: EnterpriseRow
    api_key: IssuedKey


# ------------------------------------------------------------------ helpers


def now_ms() -> int:
    return int(time.time() * 1000)


def invalid_enterprise(detail: str, **extensions: object) -> InvalidInput:
    return InvalidInput("invalid-enterprise", "Invalid enterprise", detail, extensions=extensions)


def keyring(ctx: ApiContext) -> KeyRing:
    """The custodial key ring; the app's one is `ctx.shared(keyring)`."""
    return KeyRing(ctx.settings.master_key_file)


class IdentityCache:
    """Enterprise identities read from the chain, each kept for `ttl_s` seconds."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[EnterpriseIdentity, float]] = {}
        self._lock = threading.Lock()

    def get(self, enterprise_id: str) -> EnterpriseIdentity | None:
        entry = self._entries.get(enterprise_id)
        if entry is None or entry[1] <= time.monotonic():
            return None
        return entry[0]

    def put(self, identity: EnterpriseIdentity) -> None:
        with self._lock:
            self._entries[identity.enterprise_id] = (identity, time.monotonic() + self.ttl_s)

    def forget(self, enterprise_id: str) -> None:
        with self._lock:
            self._entries.pop(enterprise_id, None)


def identity_cache(ctx: ApiContext) -> IdentityCache:
    """An empty identity cache with the settings' TTL; the app's one is
    `ctx.shared(identity_cache)`."""
    return IdentityCache(ctx.settings.identity_cache_ttl_s)


def record_action(session: Session, enterprise_id: str, action: str, actor: str, *,
                   receipt: dict[str, Any] | None = None, reason: str | None = None,
                   reason_hash: bytes | None = None) -> None:
    session.add(EnterpriseActionRow(
        enterprise_id=enterprise_id, action=action, reason=reason,
        reason_hash=None if reason_hash is None else "0x" + reason_hash.hex(), actor=actor,
        transaction_hash=None if receipt is None else "0x" + bytes(receipt["transactionHash"]).hex(),
        block_number=None if receipt is None else int(receipt["blockNumber"]),
        at_ms=now_ms(),
    ))


def require_enterprise(ctx: ApiContext, enterprise_id: str) -> EnterpriseRow:
    """The registered enterprise, or 404."""
    row = get_enterprise(ctx.engine, enterprise_id)
    if row is None or row.status == "registering":
        raise NotFound("not-found", "Not found", f"no enterprise {enterprise_id}")
    return row


# ------------------------------------------------------------------ registration


def _validated(request: NewEnterprise) -> tuple[str, list[str], list[str], list[str], str | None]:
    try:
        uscc = validate_uscc(request.uscc)
    except InvalidUSCCError as exc:
        raise invalid_enterprise(str(exc), field="uscc", reason=exc.reason) from None
    sectors = sorted(set(request.sectors))
    if not sectors or any(sector not in ids.SECTOR_BITS for sector in sectors):
        raise invalid_enterprise("sectors must name food and/or special_equipment", field="sectors")
    prefixes = list(request.company_prefixes)
    if len(set(prefixes)) != len(prefixes):
        raise invalid_enterprise("a GS1 company prefix is listed twice", field="companyPrefixes")
    for prefix in prefixes:
        if not (prefix.isascii() and prefix.isdigit() and 4 <= len(prefix) <= 12):
            raise invalid_enterprise(f"GS1 company prefix {prefix!r} is not 4-12 digits",
                               field="companyPrefixes")
    glns = list(request.glns)
    for gln in glns:
        try:
            verify_gln(gln)
        except GS1Error as exc:
            raise invalid_enterprise(f"GLN {gln!r} is invalid: {exc}", field="glns") from None
    address: str | None = None
    if request.custody == CUSTODY_SELF:
        if request.signing_address is None or not Web3.is_address(request.signing_address):
            raise invalid_enterprise("self-custody needs signingAddress (0x + 40 hex digits)",
                               field="signingAddress")
        address = Web3.to_checksum_address(request.signing_address)
    elif request.custody == CUSTODY_CUSTODIAL:
        if request.signing_address is not None:
            raise invalid_enterprise("custodial enterprises get a server-made key; omit signingAddress",
                               field="signingAddress")
    else:
        raise invalid_enterprise("custody must be 'self' or 'custodial'", field="custody")
    return uscc, sectors, prefixes, glns, address


def _clear_stale_registration(ctx: ApiContext, uscc: str) -> None:
    """A row left `registering` by a crash is dropped if the chain never saw it; else 409."""
    existing = find_by_uscc(ctx.engine, uscc)
    if existing is None:
        return
    if existing.status == "registering":
        try:
            gateway(ctx).call("MemberRegistry", "enterprise", ids.id_bytes(existing.enterprise_id))
        except NotFound:  # UnknownEnterprise: the chain never saw it
            _delete_row(ctx, existing.enterprise_id)
            return
    raise Conflict("enterprise-exists", "Enterprise already registered",
                  f"an enterprise with this USCC is registered as {existing.enterprise_id}",
                  extensions={"enterpriseId": existing.enterprise_id})


def _delete_row(ctx: ApiContext, enterprise_id: str) -> None:
    """Drop a registration's row (and custodial key) the chain never confirmed."""
    with Session(ctx.engine) as session:
        row = session.get(EnterpriseRow, enterprise_id)
        if row is not None:
            session.delete(row)
            session.commit()


def register_enterprise(ctx: ApiContext, request: NewEnterprise, *, actor: str) -> Registration:
    """Validate, register on chain (admin operator), store, and issue the first API key."""
    uscc, sectors, prefixes, glns, address = _validated(request)
    enterprise_id = ids.enterprise_id_for(uscc)
    _clear_stale_registration(ctx, uscc)
    encrypted_key: bytes | None = None
    if address is None:
        ring = ctx.shared(keyring)
        account: LocalAccount = Account.create()
        address = account.address
        encrypted_key = ring.master().encrypt(bytes(account.key), enterprise_id=enterprise_id,
                                              address=address)
        ring.remember(enterprise_id, account)
    now = now_ms()
    row = EnterpriseRow(
        enterprise_id=enterprise_id, uscc=uscc, name=request.name, sectors_json=json.dumps(sectors),
        prefixes_json=json.dumps(prefixes), glns_json=json.dumps(glns), custody=request.custody,
        signing_address=address, encrypted_key=encrypted_key, status="registering",
        registered_at_ms=now, updated_at_ms=now,
    )
    # Written before the transaction: a custodial key must never exist only on chain.
    with Session(ctx.engine) as session:
        session.add(row)
        session.commit()
    try:
        receipt = gateway(ctx).transact(
            "admin", "MemberRegistry", "registerEnterprise", ids.id_bytes(enterprise_id), address,
            ids.sectors_mask(sectors), prefixes,
            ids.metadata_hash(name=request.name, uscc=uscc, sectors=sectors, prefixes=prefixes,
                              glns=glns),
        )
    except BaseException:
        _delete_row(ctx, enterprise_id)
        raise
    with Session(ctx.engine) as session:
        stored = session.get(EnterpriseRow, enterprise_id)
        assert stored is not None
        stored.status = "active"
        stored.registration_tx = "0x" + bytes(receipt["transactionHash"]).hex()
        stored.updated_at_ms = now_ms()
        session.add(stored)
        record_action(session, enterprise_id, "registered", actor, receipt=receipt)
        session.commit()
        session.refresh(stored)
    api_key = create_api_key(ctx.engine, role=Role.ENTERPRISE, name=f"{request.name} (first key)",
                             enterprise_id=enterprise_id, created_by=actor)
    return Registration(enterprise=stored, api_key=api_key)


# ------------------------------------------------------------------ status


def _set_status(ctx: ApiContext, enterprise_id: str, status: str, action: str, actor: str,
                receipt: dict[str, Any], reason: str | None,
                reason_digest: bytes | None) -> EnterpriseRow:
    with Session(ctx.engine) as session:
        row = session.get(EnterpriseRow, enterprise_id)
        assert row is not None
        row.status = status
        row.updated_at_ms = now_ms()
        session.add(row)
        record_action(session, enterprise_id, action, actor, receipt=receipt, reason=reason,
                       reason_hash=reason_digest)
        session.commit()
        session.refresh(row)
    ctx.shared(identity_cache).forget(enterprise_id)
    return row


def suspend_enterprise(ctx: ApiContext, enterprise_id: str, reason: str, *,
                       actor: str) -> EnterpriseRow:
    """Suspend on chain (regulator operator, reason hash); capture stops at once here."""
    require_enterprise(ctx, enterprise_id)
    digest = ids.reason_hash(reason)
    # Forget first: even if the receipt wait fails, the next capture re-reads the chain.
    ctx.shared(identity_cache).forget(enterprise_id)
    receipt = gateway(ctx).transact("regulator", "MemberRegistry", "suspendEnterprise",
                                    ids.id_bytes(enterprise_id), digest)
    return _set_status(ctx, enterprise_id, "suspended", "suspended", actor, receipt, reason, digest)


def reinstate_enterprise(ctx: ApiContext, enterprise_id: str, reason: str | None, *,
                         actor: str) -> EnterpriseRow:
    """Reinstate a suspended enterprise on chain (regulator operator)."""
    require_enterprise(ctx, enterprise_id)
    receipt = gateway(ctx).transact("regulator", "MemberRegistry", "reinstateEnterprise",
                                    ids.id_bytes(enterprise_id))
    return _set_status(ctx, enterprise_id, "active", "reinstated", actor, receipt, reason,
                       None if reason is None else ids.reason_hash(reason))


# ------------------------------------------------------------------ capture contract


def _read_identity(ctx: ApiContext, enterprise_id: str) -> EnterpriseIdentity:
    row = require_enterprise(ctx, enterprise_id)
    status_code, _sectors, _metadata, signing_key = gateway(ctx).call(
        "MemberRegistry", "enterprise", ids.id_bytes(enterprise_id))
    chain_status = CHAIN_STATUS.get(int(status_code), "unknown")
    chain_key = Web3.to_checksum_address(signing_key)
    if chain_status != row.status or chain_key != row.signing_address:
        # The chain changed under us (a crash mid-rotation, or another tool): follow it.
        with Session(ctx.engine) as session:
            stored = session.get(EnterpriseRow, enterprise_id)
            assert stored is not None
            if chain_key != stored.signing_address and chain_key == stored.pending_address:
                stored.encrypted_key = stored.pending_encrypted_key
                stored.pending_address = stored.pending_encrypted_key = None
            stored.signing_address = chain_key
            stored.status = chain_status
            stored.updated_at_ms = now_ms()
            session.add(stored)
            session.commit()
            session.refresh(stored)
            row = stored
    # The chain is the authority on prefixes (the RecallRegistry checks the same list);
    # GLNs are not on chain, only their hash in the registration metadata.
    prefixes = tuple(str(prefix) for prefix in gateway(ctx).call(
        "MemberRegistry", "companyPrefixes", ids.id_bytes(enterprise_id)))
    return EnterpriseIdentity(
        enterprise_id=enterprise_id, name=row.name, signing_address=chain_key,
        custody=row.custody, status=chain_status, company_prefixes=prefixes,
        glns=frozenset(row.glns),
        nested_prefixes=nested_prefixes(prefixes, all_company_prefixes(ctx.engine)))


def capture_identity(ctx: ApiContext, enterprise_id: str) -> EnterpriseIdentity:
    """The enterprise's current signing address, custody and status, for capture.

    Raises NotFound for an unknown enterprise and NotAllowed (`enterprise-suspended`) unless
    it is active on chain. Cheap: answered from memory for `identity_cache_ttl_s`.
    """
    cache = ctx.shared(identity_cache)
    identity = cache.get(enterprise_id)
    if identity is None:
        identity = _read_identity(ctx, enterprise_id)
        cache.put(identity)
    if identity.status != "active":
        raise NotAllowed("enterprise-suspended", "Enterprise may not capture",
                      f"enterprise {enterprise_id} is {identity.status} on chain",
                      extensions={"enterpriseId": enterprise_id, "status": identity.status})
    return identity


def record_domain(ctx: ApiContext) -> RecordDomain:
    """The EIP-712 domain of record signatures on this deployment."""
    return RecordDomain(chain_id=ctx.deployment.chain_id,
                        verifying_contract=ctx.deployment.trace_anchor)


def sign_records(ctx: ApiContext, enterprise_id: str,
                 event_hashes: Sequence[bytes]) -> list[bytes]:
    """EIP-712 record signatures (65 bytes each) by a custodial enterprise's current key.

    Raises NotAllowed if the enterprise is suspended, Conflict if it is not custodial. The
    decrypted key is kept in memory, so this costs one secp256k1 signature per event.
    """
    identity = capture_identity(ctx, enterprise_id)
    private_key = bytes(_custodial_account(ctx, identity, "events").key)
    domain = ctx.shared(record_domain)
    submitter = identity.signing_address
    return [sign_record(TraceRecord(event_hash, submitter), domain, private_key)
            for event_hash in event_hashes]


def transact_as_enterprise(ctx: ApiContext, enterprise_id: str, contract: str, function: str,
                           *args: object) -> dict[str, Any]:
    """Send `contract.function(*args)` signed by a custodial enterprise's current key (e.g. a
    recall it opens) and return the receipt. 403 if suspended, 409 if not custodial
    (self-custody enterprises sign their own transaction; relay it with
    `gateway(ctx).send_raw`)."""
    identity = capture_identity(ctx, enterprise_id)
    account = _custodial_account(ctx, identity, "transactions")
    return gateway(ctx).transact_as(account, contract, function, *args)


def _custodial_account(ctx: ApiContext, identity: EnterpriseIdentity, signed: str) -> LocalAccount:
    """The decrypted current key of a custodial enterprise (decrypted once per process);
    Conflict (`wrong-custody`) for a self-custody one, which signs its own `signed`."""
    if identity.custody != CUSTODY_CUSTODIAL:
        raise Conflict("wrong-custody", "Not a custodial enterprise",
                      f"self-custody enterprises sign their own {signed}")
    ring = ctx.shared(keyring)
    account = ring.cached(identity.enterprise_id, identity.signing_address)
    if account is None:
        row = require_enterprise(ctx, identity.enterprise_id)
        assert row.encrypted_key is not None
        account = ring.account(identity.enterprise_id, identity.signing_address,
                               row.encrypted_key)
    return account
