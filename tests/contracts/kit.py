"""The contract tests' kit: a `Chain` (web3 on py-evm or anvil, with helpers that behave
the same on both), `Deployment` of the three contracts with one account per role, role
grants and revert decoding. The fixtures that make them are in conftest.py.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from contracts.abi import MemberRole
from contracts.artifacts import load_artifact

ACCOUNT_COUNT = 20
#: Gas for transactions sent without estimation, so that reverting ones get mined.
FIXED_GAS = 3_000_000
DEPLOY_GAS = 6_000_000

#: What a reverting call raises: web3's error on anvil, eth-tester's on py-evm.
REVERT_ERRORS = (ContractLogicError, TransactionFailed)

# contracts.abi.MemberRole's members under the short names the tests use.
NONE, ADMIN, REGULATOR, ANCHORER, WITNESS, ENTERPRISE = MemberRole


class Reverted(AssertionError):
    """A transaction expected to succeed reverted; carries the decoded custom error."""


@dataclass
class Chain:
    """A web3 connection to one backend, with helpers that behave the same on both."""

    name: str
    w3: Web3
    accounts: list[str]
    _error_abis: dict[bytes, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("MemberRegistry", "TraceAnchor", "RecallRegistry"):
            for entry in load_artifact(name).abi:
                if entry["type"] == "error":
                    signature = (
                        f"{entry['name']}({','.join(_abi_type(i) for i in entry['inputs'])})"
                    )
                    self._error_abis[keccak(text=signature)[:4]] = entry

    def deploy(self, name: str, *args: Any, sender: str | None = None) -> Contract:
        """Deploy contract `name` from the committed artifact; return the bound contract."""
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        tx_hash = factory.constructor(*args).transact(
            {"from": sender or self.accounts[0], "gas": DEPLOY_GAS}
        )
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1, f"deploying {name} failed"
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)

    def transact(self, call: Any, sender: str) -> TxReceipt:
        """Send `call` from `sender`, wait for it, and require success.

        Gas is fixed rather than estimated: py-evm's estimate re-runs the call a dozen times.
        """
        tx_hash = call.transact({"from": sender, "gas": FIXED_GAS})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            try:
                call.call({"from": sender}, block_identifier=receipt["blockNumber"] - 1)
            except REVERT_ERRORS as exc:
                raise Reverted(f"{call.fn_name} reverted: {self.decode_error(exc)}") from exc
            raise Reverted(f"{call.fn_name} failed (status 0)")
        return receipt

    def expect_revert(
        self, call: Any, sender: str, error: str, *args: Any, mine: bool = True
    ) -> TxReceipt | None:
        """Assert that `call` from `sender` reverts with custom error `error` (and `args`,
        if given), first as eth_call, then (if `mine`) as a transaction mined with status 0
        and no logs. Returns the failed receipt."""
        with pytest.raises(REVERT_ERRORS) as caught:
            call.call({"from": sender})
        name, values = self.decode_error(caught.value)
        assert name == error, f"expected {error}, got {name}{values}"
        if args:
            assert values == tuple(args), f"{error} args {values} != {args}"
        if not mine:
            return None
        tx_hash = call.transact({"from": sender, "gas": FIXED_GAS})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 0
        assert receipt["logs"] == []
        return receipt

    def decode_error(self, exc: BaseException) -> tuple[str, tuple[Any, ...]]:
        """Return (error name, args) of the custom error in a revert, from either backend."""
        data = revert_data(exc)
        entry = self._error_abis.get(data[:4])
        if entry is None:
            raise AssertionError(f"revert data {data.hex()} is no known custom error ({exc!r})")
        types = [_abi_type(item) for item in entry["inputs"]]
        values = self.w3.codec.decode(types, data[4:])
        return entry["name"], tuple(_normalise(value) for value in values)

    def events(self, contract: Contract, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        """Decoded args of every `name` event `contract` logged in `receipt`."""
        event = getattr(contract.events, name)()
        return [dict(log["args"]) for log in event.process_receipt(receipt, errors=DISCARD)]

    def event_names(self, contract: Contract, receipt: TxReceipt) -> list[str]:
        """Names of the events `contract` logged in `receipt`, in log order."""
        topics = {}
        for entry in contract.abi:
            if entry["type"] == "event":
                signature = f"{entry['name']}({','.join(_abi_type(i) for i in entry['inputs'])})"
                topics[keccak(text=signature)] = entry["name"]
        return [
            topics[bytes(log["topics"][0])]
            for log in receipt["logs"]
            if log["address"] == contract.address
        ]


def revert_data(exc: BaseException) -> bytes:
    """The raw revert data behind a web3 exception (anvil) or an eth-tester one (py-evm)."""
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    current: BaseException | None = exc
    while current is not None:
        if current.args and isinstance(current.args[0], bytes):
            return current.args[0]
        current = current.__cause__ or current.__context__
    message = str(exc.args[0]) if exc.args else ""
    prefix = "execution reverted: "
    if message.startswith(prefix) and message[len(prefix) :].startswith(("b'", 'b"')):
        literal = ast.literal_eval(message[len(prefix) :])
        if isinstance(literal, bytes):
            return literal
    raise AssertionError(f"no revert data in {exc!r}")


def _abi_type(entry: dict[str, Any]) -> str:
    kind = entry["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(component) for component in entry["components"])
        return f"({inner}){kind[5:]}"
    return kind


def _normalise(value: Any) -> Any:
    if isinstance(value, str) and Web3.is_address(value):
        return Web3.to_checksum_address(value)
    return value


@dataclass
class Deployment:
    """Fresh contracts and the accounts holding each role in them."""

    registry: Contract
    anchor: Contract
    recalls: Contract
    admins: list[str]
    regulator: str
    anchorer: str
    witnesses: list[str]
    enterprise_a: str
    enterprise_b: str
    spare: list[str]  # funded accounts with no role
    outsider: str

    ENTERPRISE_A_ID = keccak(text="91350100M000100Y43")
    ENTERPRISE_B_ID = keccak(text="91110000600037341L")
    PREFIX_A = "6901234"
    PREFIX_B = "0614141"


def deploy_system(chain: Chain, threshold: int = 1, admin_count: int = 3) -> Deployment:
    """Deploy the three contracts and hand out one account per role."""
    accounts = chain.accounts
    admins = accounts[:admin_count]
    rest = accounts[admin_count:]
    regulator, anchorer, witness_1, witness_2, enterprise_a, enterprise_b, outsider = rest[:7]
    spare = rest[7:]
    registry = chain.deploy("MemberRegistry", admins, threshold, sender=admins[0])
    for account, role in (
        (regulator, REGULATOR),
        (anchorer, ANCHORER),
        (witness_1, WITNESS),
        (witness_2, WITNESS),
    ):
        grant_role(chain, registry, admins[:threshold], account, role)
    chain.transact(
        registry.functions.registerEnterprise(
            Deployment.ENTERPRISE_A_ID, enterprise_a, 1, [Deployment.PREFIX_A], b"\x11" * 32
        ),
        admins[0],
    )
    chain.transact(
        registry.functions.registerEnterprise(
            Deployment.ENTERPRISE_B_ID, enterprise_b, 3, [Deployment.PREFIX_B], b"\x22" * 32
        ),
        admins[0],
    )
    anchor = chain.deploy("TraceAnchor", registry.address)
    recalls = chain.deploy("RecallRegistry", registry.address)
    return Deployment(
        registry=registry,
        anchor=anchor,
        recalls=recalls,
        admins=list(admins),
        regulator=regulator,
        anchorer=anchorer,
        witnesses=[witness_1, witness_2],
        enterprise_a=enterprise_a,
        enterprise_b=enterprise_b,
        spare=list(spare),
        outsider=outsider,
    )


def grant_role(
    chain: Chain, registry: Contract, approvers: list[str], account: str, role: int
) -> None:
    """Propose (first approver) and approve (the rest) granting `role` to `account`."""
    proposal_id = registry.functions.proposalCount().call()
    chain.transact(registry.functions.proposeRoleChange(account, role), approvers[0])
    for approver in approvers[1:]:
        chain.transact(registry.functions.approveRoleChange(proposal_id), approver)
