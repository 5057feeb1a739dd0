"""An in-process `ApiContext` over a fresh database, for direct capture service runs.

The chain is not started: the deployment is a written `deployment.json`, and the
enterprise's identity is put in the enterprises service's identity cache as
`capture_identity` would have read it from MemberRegistry. Used by the speed measurement
(`measure_service`), where the chain lookup is cached in normal operation anyway; the
tests that check identities and suspension run against the live system instead.
"""

from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account

from anchoring.core.record_signature import RecordDomain
from indexer.sink.db import create_mirror_engine, migrate
from trace_api.context import ApiContext
from trace_api.enterprises.service import CUSTODY_SELF, EnterpriseIdentity, identity_cache
from trace_api.settings import ApiSettings

CHAIN_ID = 7331
TRACE_ANCHOR = "0x" + "7a" * 20
ENTERPRISE_ID = "0x" + "e1" * 32
COMPANY_PREFIX = "0614141"
"""The measured enterprise's prefix: `documents.shipping_event` happens at its locations."""


def open_context(db_url: str, work_dir: Path, **settings: object) -> ApiContext:
    """A context on `db_url` with a written deployment and the mirror tables migrated."""
    node_dir = work_dir / "node"
    node_dir.mkdir(parents=True, exist_ok=True)
    contracts = {name: {"address": "0x" + f"{n:02x}" * 20}
                 for n, name in enumerate(("MemberRegistry", "RecallRegistry"), start=1)}
    contracts["TraceAnchor"] = {"address": TRACE_ANCHOR}
    (node_dir / "deployment.json").write_text(
        json.dumps({"chainId": CHAIN_ID, "contracts": contracts}), encoding="utf-8")
    migrate(create_mirror_engine(db_url))
    api_settings = ApiSettings(database_url=db_url, mirror_database_url=db_url,
                               rpc_url="http://127.0.0.1:1", node_data_dir=node_dir,
                               identity_cache_ttl_s=1e9, **settings)  # type: ignore[arg-type]
    return ApiContext.open(api_settings)


def self_custody_enterprise(ctx: ApiContext, seed: int = 1, *,
                            company_prefixes: tuple[str, ...] = (COMPANY_PREFIX,),
                            glns: frozenset[str] = frozenset()) -> tuple[str, bytes, str]:
    """(enterprise id, private key, address) of a self-custody enterprise known to `ctx`,
    speaking for `company_prefixes` and `glns` (capture's write rules). In process, no
    chain: it may hold prefixes the live system's dev enterprises hold."""
    private_key = seed.to_bytes(32, "big")
    address = Account.from_key(private_key).address
    ctx.shared(identity_cache).put(EnterpriseIdentity(
        enterprise_id=ENTERPRISE_ID, name="Measured Foods", signing_address=address,
        custody=CUSTODY_SELF, status="active", company_prefixes=company_prefixes, glns=glns))
    return ENTERPRISE_ID, private_key, address


def domain() -> RecordDomain:
    """The record domain of the written deployment."""
    return RecordDomain(CHAIN_ID, TRACE_ANCHOR)
