"""Test helpers: deploy the three contracts on a chain, produce every kind of event, run
the indexer over it and audit the mirror. anvil itself comes from testing/anvil.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from anchoring.core.merkle import consistency_proof, leaf_hash, root_hash
from contracts.abi import MemberRole
from contracts.artifacts import load_artifact
from indexer.audit import audit_mirror
from indexer.config import IndexerSettings
from indexer.service import open_indexer, open_source_and_store
from indexer.source.rpc import RetryPolicy
from testing.anvil import Anvil

#: Fast retries, so fault tests finish quickly.
FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05)


@dataclass
class System:
    """The three contracts on a chain, with role holders and helpers producing events."""

    w3: Web3
    registry: Contract
    anchor: Contract
    recalls: Contract
    accounts: list[str]
    leaves: list[bytes] = field(default_factory=list)
    tree_size: int = 0
    anchored: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def admin(self) -> str:
        return self.accounts[0]

    @property
    def regulator(self) -> str:
        return self.accounts[1]

    @property
    def anchorer(self) -> str:
        return self.accounts[2]

    @property
    def witnesses(self) -> list[str]:
        return self.accounts[3:5]

    @property
    def enterprise(self) -> str:
        return self.accounts[5]

    @property
    def addresses(self) -> dict[str, str]:
        """Contract name -> address, as the indexer settings want them."""
        return {
            "MemberRegistry": self.registry.address,
            "TraceAnchor": self.anchor.address,
            "RecallRegistry": self.recalls.address,
        }

    def send(self, call: Any, sender: str) -> Any:
        """Transact and wait; require success."""
        receipt = self.w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
        assert receipt["status"] == 1, f"{call.fn_name} failed"
        return receipt

    def anchor_head(self, grow_by: int = 3, seed: int = 0) -> tuple[int, bytes]:
        """Append `grow_by` leaves and anchor the new head; return (tree size, root)."""
        base = len(self.leaves)
        self.leaves += [leaf_hash(f"entry-{seed}-{base + i}".encode()) for i in range(grow_by)]
        old, new = self.tree_size, len(self.leaves)
        proof = consistency_proof(old, new, self.leaves) if old else []
        root = root_hash(self.leaves)
        self.send(self.anchor.functions.anchor(new, root, proof), self.anchorer)
        self.tree_size = new
        self.anchored.append((new, root))
        return new, root

    def witness_latest(self) -> None:
        """Both witnesses co-sign the latest head."""
        size, root = self.anchored[-1]
        for witness in self.witnesses:
            self.send(self.anchor.functions.witness(size, root), witness)


def deploy(w3: Web3) -> System:
    """Deploy MemberRegistry (threshold 1), TraceAnchor and RecallRegistry; grant roles."""
    accounts = [Web3.to_checksum_address(a) for a in w3.eth.accounts]

    def deploy_one(name: str, *args: Any) -> Contract:
        artifact = load_artifact(name)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = w3.eth.wait_for_transaction_receipt(
            factory.constructor(*args).transact({"from": accounts[0]})
        )
        return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)

    registry = deploy_one("MemberRegistry", [accounts[0]], 1)
    system = System(
        w3,
        registry,
        deploy_one("TraceAnchor", registry.address),
        deploy_one("RecallRegistry", registry.address),
        accounts,
    )
    for account, role in (
        (accounts[1], MemberRole.REGULATOR),
        (accounts[2], MemberRole.ANCHORER),
        (accounts[3], MemberRole.WITNESS),
        (accounts[4], MemberRole.WITNESS),
    ):
        system.send(registry.functions.proposeRoleChange(account, role), accounts[0])
    system.send(
        registry.functions.registerEnterprise(
            keccak(text="91350100M000100Y43"), accounts[5], 1, ["6901234"], b"\x11" * 32
        ),
        accounts[0],
    )
    return system


def full_activity(system: System) -> None:
    """At least one of every event the three contracts emit."""
    registry, recalls = system.registry, system.recalls
    enterprise_id = keccak(text="91350100M000100Y43")
    system.anchor_head(4)
    system.witness_latest()
    system.anchor_head(3)
    system.send(registry.functions.assignCompanyPrefix(enterprise_id, "6909999"), system.admin)
    system.send(registry.functions.updateMetadata(b"\x12" * 32), system.enterprise)
    system.send(registry.functions.suspendEnterprise(enterprise_id, b"\x13" * 32), system.regulator)
    system.send(registry.functions.reinstateEnterprise(enterprise_id), system.regulator)
    new_key = system.accounts[6]
    system.send(registry.functions.rotateSigningKey(new_key), system.enterprise)
    subject = keccak(text="https://id.gs1.org/01/06901234000017/10/LOT1")
    system.send(recalls.functions.openRecall(subject, 1, b"\x21" * 32, "6901234"), new_key)
    system.send(recalls.functions.updateRecall(subject, 2, b"\x22" * 32), system.regulator)
    system.send(recalls.functions.closeRecall(subject, b"\x23" * 32), system.regulator)
    system.send(recalls.functions.openRecall(subject, 3, b"\x24" * 32, ""), system.regulator)
    system.send(
        registry.functions.proposeRoleChange(system.accounts[4], 0), system.admin
    )  # revoke a witness
    second_id = keccak(text="91110000600037341L")
    system.send(
        registry.functions.registerEnterprise(second_id, system.accounts[7], 3, [], b"\x31" * 32),
        system.admin,
    )
    system.send(
        registry.functions.proposeRoleChange(system.accounts[7], 0), system.admin
    )  # revokes enterprise


def chain_logs(w3: Web3, system: System, to_block: int | None = None) -> list[dict[str, Any]]:
    """Every log of the three contracts from genesis, straight from the node."""
    return list(
        w3.eth.get_logs(
            {
                "fromBlock": 0,
                "toBlock": to_block if to_block is not None else "latest",
                "address": list(system.addresses.values()),
            }
        )
    )


def settings_for(system: System, **overrides: object) -> IndexerSettings:
    """Indexer settings for `system`, polling, quick retries."""
    values: dict[str, object] = {
        "contracts": system.addresses,
        "confirmations": 3,
        "blocks_per_range": 7,
        "poll_interval_s": 0.05,
        "retry_pause_s": 0.01,
        "max_consecutive_failures": 3,
    }
    values.update(overrides)
    return IndexerSettings(**values)  # type: ignore[arg-type]


def index(anvil: Anvil, db_url: str, system: System, **overrides: object):  # type: ignore[no-untyped-def]
    """Run the indexer to the head once (no follow); return its stats."""
    until = overrides.pop("until_block", None)
    transport = overrides.pop("transport", None)
    with open_indexer(
        anvil.url, db_url, settings_for(system, **overrides), retry=FAST_RETRY, transport=transport
    ) as indexer:  # type: ignore[arg-type]
        return indexer.run(follow=False, until_block=until)  # type: ignore[arg-type]


def audit(anvil: Anvil, db_url: str):  # type: ignore[no-untyped-def]
    """Run `indexer verify`'s audit of the mirror at `db_url` against `anvil`."""
    with open_source_and_store(anvil.url, db_url, retry=FAST_RETRY) as (source, store):
        return audit_mirror(source, store, range_size=11)
