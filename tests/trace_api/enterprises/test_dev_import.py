"""`traceledger api dev-enterprises` (run by `up --dev`): the genesis enterprises become
self-custody enterprises of the API with an enterprise key each; running it again adds no
rows, only new keys. The end-to-end run is in tests/cli/test_up.py."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from eth_account import Account
from sqlmodel import Session, select
from typer.testing import CliRunner

from anchoring.core.keccak import keccak256
from ledger_node.keys import NodeKey, write_dev_keys
from trace_api.auth.api_keys import ApiKeyVerifier
from trace_api.cli import app
from trace_api.db import create_db_engine
from trace_api.enterprises.store import EnterpriseActionRow, EnterpriseRow
from trace_api.identity.uscc import validate_uscc


def dev_node(tmp_path: Path) -> dict[str, NodeKey]:
    node = tmp_path / "node"
    node.mkdir()
    keys = {}
    for role in ("sealer", "admin", "enterprise1", "enterprise2"):
        account = Account.create()
        keys[role] = NodeKey(role, bytes(account.key), account.address)
    write_dev_keys(node, keys)
    return keys


def test_imports_genesis_enterprises_with_keys(tmp_path: Path) -> None:
    keys = dev_node(tmp_path)
    database_url = f"sqlite:///{tmp_path / 'api.sqlite'}"
    output = tmp_path / "dev-api-keys.json"
    args = ["dev-enterprises", "--node-data-dir", str(tmp_path / "node"), "--output-file", str(output),
            "--database-url", database_url]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    document = json.loads(output.read_text())["enterprises"]
    assert document["enterprise1"]["apiKey"] not in result.output

    engine = create_db_engine(database_url)
    with Session(engine) as session:
        rows = {row.enterprise_id: row for row in session.exec(select(EnterpriseRow)).all()}
        actions = [(a.enterprise_id, a.action) for a in session.exec(select(EnterpriseActionRow)).all()]
    food_id = "0x" + keccak256(b"dev-enterprise-1").hex()
    equipment_id = "0x" + keccak256(b"dev-enterprise-2").hex()
    assert set(rows) == {food_id, equipment_id}
    food, equipment = rows[food_id], rows[equipment_id]
    assert (food.custody, food.status, food.signing_address, food.prefixes, food.sectors, food.encrypted_key) == (
        "self", "active", keys["enterprise1"].address, ["0614141"], ["food"], None)
    assert (equipment.signing_address, equipment.prefixes, equipment.sectors) == (
        keys["enterprise2"].address, ["4012345"], ["special_equipment"])
    assert validate_uscc(food.uscc) == food.uscc and validate_uscc(equipment.uscc) == equipment.uscc
    assert sorted(actions) == sorted([(food_id, "imported"), (equipment_id, "imported")])

    verifier = ApiKeyVerifier(engine, 0.0)
    for role, enterprise_id in (("enterprise1", food_id), ("enterprise2", equipment_id)):
        entry = document[role]
        assert (entry["enterpriseId"], entry["custody"], entry["signingAddress"]) == (
            enterprise_id, "self", keys[role].address)
        principal = verifier.verify(entry["apiKey"])
        assert principal is not None
        assert (principal.role.value, principal.enterprise_id) == ("enterprise", enterprise_id)

    # Never overwrites the key file; with it gone, a rerun adds keys but no rows.
    assert CliRunner().invoke(app, args).exit_code == 1
    output.unlink()
    assert CliRunner().invoke(app, args).exit_code == 0
    with Session(engine) as session:
        assert len(session.exec(select(EnterpriseRow)).all()) == 2
    engine.dispose()


def test_refuses_a_node_without_dev_keys(tmp_path: Path) -> None:
    (tmp_path / "node").mkdir()
    result = CliRunner().invoke(app, ["dev-enterprises", "--node-data-dir", str(tmp_path / "node"),
                                      "--output-file", str(tmp_path / "keys.json"),
                                      "--database-url", f"sqlite:///{tmp_path / 'api.sqlite'}"])
    assert result.exit_code == 2
    assert "not a dev chain" in result.output
    assert not (tmp_path / "keys.json").exists()
