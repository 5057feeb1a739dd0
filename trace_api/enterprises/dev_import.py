"""Make a dev chain's genesis enterprises usable through the API (`traceledger up --dev`).

`node init --dev` registers two enterprises on chain in block 1 (`ledger_node.genesis.
DEV_ENTERPRISES`: `enterprise1` food, prefix 0614141; `enterprise2` special equipment,
prefix 4012345), signing with the plain keys in `dev-keys.json`. The API only knows
enterprises in `api_enterprises`, so without this a fresh dev system could not capture a
single event for them. `import_dev_enterprises` adds them as self-custody enterprises
(the signing keys stay in `dev-keys.json`, where a developer signs with them) and issues
one enterprise API key each.

Two dev-only facts, because the chain already holds these registrations: their ids are
`keccak256("dev-enterprise-N")` (genesis labels), not `keccak256(USCC)`; and the USCCs
below are made-up valid codes, only there because `api_enterprises.uscc` is required and
unique. Nothing goes on chain here.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from anchoring.core.keccak import keccak256
from ledger_node.keys import read_dev_keys
from trace_api.auth.api_keys import create_api_key
from trace_api.auth.principal import Role
from trace_api.enterprises.service import CUSTODY_SELF, now_ms, record_action
from trace_api.enterprises.store import EnterpriseRow
from trace_api.identity.uscc import uscc_check_character

DEV_API_KEYS_FILE = "dev-api-keys.json"
ACTOR = "traceledger up --dev"

# Role in dev-keys.json -> (name, made-up USCC without its check character, API sector names).
_DEV_PROFILES = {
    "enterprise1": ("Dev Food Enterprise 1", "91110000MA0000001", ["food"]),
    "enterprise2": ("Dev Special Equipment Enterprise 2", "91110000MA0000002", ["special_equipment"]),
}
_SECTOR_NAMES = {1: "food", 2: "special_equipment"}


@dataclass(frozen=True)
class DevEnterprise:
    role: str  # the account name in dev-keys.json
    enterprise_id: str
    name: str
    uscc: str
    sectors: list[str]
    company_prefixes: list[str]
    signing_address: str
    api_key: str

    def to_json(self) -> dict[str, object]:
        return {"enterpriseId": self.enterprise_id, "name": self.name, "uscc": self.uscc,
                "sectors": self.sectors, "companyPrefixes": self.company_prefixes,
                "custody": CUSTODY_SELF, "signingAddress": self.signing_address,
                "apiKey": self.api_key}


def import_dev_enterprises(engine: Engine, node_data_dir: Path) -> list[DevEnterprise]:
    """Insert the genesis enterprises (if absent) and issue a fresh API key for each."""
    # Imported by name: ledger_node.genesis pulls in py-evm, which mypy cannot check.
    genesis = importlib.import_module("ledger_node.genesis")
    accounts = read_dev_keys(node_data_dir)
    imported = []
    for role, (label, sector_bits, prefixes) in genesis.DEV_ENTERPRISES.items():
        if role not in accounts:
            continue
        name, uscc17, sectors = _DEV_PROFILES[role]
        assert sectors == [_SECTOR_NAMES[sector_bits]], "genesis sectors changed"
        uscc = uscc17 + uscc_check_character(uscc17)
        enterprise_id = "0x" + keccak256(label).hex()
        address = accounts[role].address
        with Session(engine) as session:
            if session.get(EnterpriseRow, enterprise_id) is None:
                now = now_ms()
                session.add(EnterpriseRow(
                    enterprise_id=enterprise_id, uscc=uscc, name=name, sectors_json=json.dumps(sectors),
                    prefixes_json=json.dumps(list(prefixes)), glns_json="[]", custody=CUSTODY_SELF,
                    signing_address=address, status="active", registered_at_ms=now, updated_at_ms=now))
                record_action(session, enterprise_id, "imported", ACTOR,
                              reason="registered on chain by `node init --dev` (genesis block 1)")
                session.commit()
        issued = create_api_key(engine, role=Role.ENTERPRISE, name=f"{name} (dev key)",
                                enterprise_id=enterprise_id, created_by=ACTOR)
        imported.append(DevEnterprise(role=role, enterprise_id=enterprise_id, name=name, uscc=uscc,
                                      sectors=sectors, company_prefixes=list(prefixes),
                                      signing_address=address, api_key=issued.key))
    return imported


def dev_api_keys_document(enterprises: list[DevEnterprise]) -> str:
    """The content of DATA_DIR/dev-api-keys.json: enterprises by their dev-keys.json name."""
    return json.dumps({
        "warning": "Development API keys for the dev chain's genesis enterprises; never use in production.",
        "enterprises": {e.role: e.to_json() for e in enterprises},
    }, indent=2) + "\n"
