"""`ChainGateway`: the API's one door to the chain (web3 over JSON-RPC) for sending and
for the reads that must see what it sent: to `transaction_rpc_url` when set (an authority
of a consortium whose `rpc_url` is a read-only follower), else to `rpc_url`.

- Operator accounts: `admin` and `regulator` (the platform's staff keys), read from the
  node's data dir: `dev-keys.json` on a development chain, else the scrypt keystores
  `keystore/<role>.json` opened with the passphrase file. Keys stay in memory, never in
  a log or an error.
- `transact(role, contract, function, *args)`: estimate (a would-be revert is reported
  before anything is sent), sign, send, wait for the receipt; `transact_as` does the same
  for a custodial enterprise key, `send_raw` relays a transaction an enterprise signed.
- Reverts are decoded by custom-error name from the contracts' ABIs
  (`contracts.abi.errors_by_selector`) and raised as domain errors (`NotFound` for an
  unknown thing, `Conflict` for a state conflict, `Unprocessable` for an invalid value,
  `NotAllowed`; problem type `chain-rejected`), with the error's arguments as
  `chainError` — never a key, never a raw node message. A node that does not answer is
  `Unavailable` (`chain-unavailable`), a receipt that does not come `UpstreamTimeout`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted, Web3Exception

from anchoring.anchor_contract import connect, fee_params
from contracts.abi import Contract as ContractName
from contracts.abi import canonical_type, errors_by_selector
from contracts.artifacts import load_artifact
from ledger_node.keys import read_dev_keys, read_keystore, read_passphrase
from trace_api.context import ApiContext
from trace_api.errors import (
    Conflict,
    DomainError,
    NotAllowed,
    NotFound,
    Unavailable,
    Unprocessable,
    UpstreamTimeout,
)

log = logging.getLogger(__name__)

OPERATOR_ROLES = ("admin", "regulator")
RECEIPT_TIMEOUT_S = 30.0
"""Blocks come every second when there is work; 30 s means the node is in trouble."""
GAS_MARGIN = 1.25

# Custom error name -> kind of refusal. Anything unlisted is a Conflict (the chain said no).
_ERROR_CLASS: dict[str, type[DomainError]] = {
    "UnknownEnterprise": NotFound, "UnknownProposal": NotFound,
    "ZeroValue": Unprocessable, "InvalidSectors": Unprocessable, "InvalidRole": Unprocessable,
    "InvalidCompanyPrefix": Unprocessable, "InvalidThreshold": Unprocessable,
    "NotAuthorized": NotAllowed,
}
RETRY_AFTER_S = 2
"""What a caller is told to wait when the node does not answer."""


@dataclass(frozen=True)
class ChainError:
    """A decoded custom error: its name and named arguments (hex for bytes)."""

    name: str
    arguments: dict[str, Any]


def decode_revert(data: bytes) -> ChainError | None:
    """The custom error in revert `data`, or None if it is not one of our contracts' errors."""
    entry = errors_by_selector().get(bytes(data[:4]))
    if entry is None:
        return None
    name = entry.name
    types = [canonical_type(argument) for argument in entry.item["inputs"]]
    names = [argument["name"] for argument in entry.item["inputs"]]
    try:
        values = abi_decode(types, bytes(data[4:]))
    except Exception:  # noqa: BLE001 - malformed payload: report the name only
        return ChainError(name, {})
    return ChainError(name, {
        arg: ("0x" + value.hex() if isinstance(value, bytes) else value)
        for arg, value in zip(names, values, strict=True)
    })


def revert_error(error: ChainError | None) -> DomainError:
    """The domain error a revert becomes for the caller (problem type `chain-rejected`)."""
    if error is None:
        return Conflict("chain-rejected", "Rejected by the chain", "the transaction would revert")
    return _ERROR_CLASS.get(error.name, Conflict)(
        "chain-rejected", "Rejected by the chain",
        f"the contract refused the call: {error.name}",
        extensions={"chainError": {"name": error.name, "arguments": error.arguments}},
    )


def _refusal(exc: ContractCustomError | ContractLogicError) -> DomainError:
    """The domain error of a revert web3 raised, decoded from its revert data if it has any."""
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        try:
            data = bytes.fromhex(data[2:])
        except ValueError:
            data = None
    return revert_error(decode_revert(data) if isinstance(data, bytes) and data else None)


@contextmanager
def _chain_errors() -> Iterator[None]:
    """Reverts become their domain errors, a node that does not answer `Unavailable`."""
    try:
        yield
    except (ContractCustomError, ContractLogicError) as exc:
        raise _refusal(exc) from None
    except (Web3Exception, OSError) as exc:
        raise _unavailable(exc) from None


def load_operator_accounts(ctx: ApiContext) -> dict[str, LocalAccount]:
    """The admin and regulator operator keys from the node's data dir (dev keys or keystores)."""
    node_dir = ctx.settings.node_data_dir
    if (node_dir / "dev-keys.json").exists():
        keys = read_dev_keys(node_dir)
        return {role: Account.from_key(keys[role].private_key) for role in OPERATOR_ROLES}
    passphrase = read_passphrase(ctx.settings.passphrase_file)
    return {
        role: Account.from_key(
            read_keystore(node_dir / "keystore" / f"{role}.json", role, passphrase).private_key
        )
        for role in OPERATOR_ROLES
    }


class ChainGateway:
    """web3 to the node, the operator accounts, and send-and-wait with decoded reverts."""

    def __init__(self, ctx: ApiContext, *, receipt_timeout_s: float = RECEIPT_TIMEOUT_S) -> None:
        # Nonces, receipts and membership checks from the node the transactions go to: a
        # follower a block behind would hand out a used nonce or miss a fresh member.
        self.w3: Web3 = connect(ctx.settings.transaction_rpc_url or ctx.settings.rpc_url)
        self.chain_id = ctx.deployment.chain_id
        self.receipt_timeout_s = receipt_timeout_s
        self._contracts: dict[str, Contract] = {
            name: self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                       abi=load_artifact(name).abi)
            for name, address in ctx.deployment.contracts.items() if name in set(ContractName)
        }
        self._operators = load_operator_accounts(ctx)
        # One sender's transactions are built one at a time so nonces never collide.
        self._send_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def contract(self, name: str) -> Contract:
        return self._contracts[name]

    def call(self, contract: str, function: str, *args: Any, block: Any = "latest") -> Any:
        """A view call; reverts become domain errors (e.g. NotFound for UnknownEnterprise)."""
        with _chain_errors():
            return getattr(self._contracts[contract].functions, function)(*args).call(
                block_identifier=block
            )

    def simulate(self, sender: str, contract: str, function: str, *args: Any) -> Any:
        """`eth_call` of `function` as if `sender` sent it: a would-be revert becomes its
        domain error before anything is broadcast (e.g. ahead of relaying a signed transaction)."""
        with _chain_errors():
            return getattr(self._contracts[contract].functions, function)(*args).call(
                {"from": sender})

    def transact(self, role: str, contract: str, function: str, *args: Any) -> dict[str, Any]:
        """Send `contract.function(*args)` from operator `role` and return its receipt."""
        if role not in self._operators:
            raise ValueError(f"no operator account for role {role!r}")
        return self.transact_as(self._operators[role], contract, function, *args)

    def transact_as(self, account: LocalAccount, contract: str, function: str,
                    *args: Any) -> dict[str, Any]:
        """Like `transact`, signed by `account` (e.g. a custodial enterprise key)."""
        call = getattr(self._contracts[contract].functions, function)(*args)
        with self._lock_for(account.address):
            with _chain_errors():
                gas = int(call.estimate_gas({"from": account.address}) * GAS_MARGIN)
                transaction = call.build_transaction({
                    "from": account.address,
                    "nonce": self.w3.eth.get_transaction_count(account.address, "pending"),
                    "gas": gas, "chainId": self.chain_id, **fee_params(self.w3),
                })
            signed = account.sign_transaction(transaction)
            tx_hash = self._send(bytes(signed.raw_transaction))
        log.info("sent %s.%s from %s: tx %s", contract, function, account.address, tx_hash.hex())
        return self.wait_for_receipt(tx_hash)

    def send_raw(self, raw_transaction: bytes) -> dict[str, Any]:
        """Relay a transaction someone else signed; wait for and return its receipt."""
        return self.wait_for_receipt(self._send(raw_transaction))

    def _send(self, raw_transaction: bytes) -> HexBytes:
        try:
            return self.w3.eth.send_raw_transaction(raw_transaction)
        except (ContractCustomError, ContractLogicError) as exc:
            raise _refusal(exc) from None
        except (Web3Exception, ValueError, OSError) as exc:
            # The node refused it (not a member, bad nonce, ...): the caller's problem.
            message = exc.args[0].get("message") if exc.args and isinstance(exc.args[0], dict) \
                else type(exc).__name__
            raise Conflict("chain-rejected", "Rejected by the chain",
                           f"the node refused the transaction: {message}") from None

    def wait_for_receipt(self, tx_hash: HexBytes) -> dict[str, Any]:
        """The receipt of `tx_hash`; `UpstreamTimeout` if none in time, `Conflict` if it
        was mined but reverted."""
        try:
            receipt = dict(self.w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=self.receipt_timeout_s, poll_latency=0.1))
        except TimeExhausted:
            raise UpstreamTimeout(
                "chain-timeout", "The chain did not confirm in time",
                f"transaction {tx_hash.hex()} has no receipt after {self.receipt_timeout_s:.0f} s",
                extensions={"transactionHash": "0x" + tx_hash.hex()}) from None
        except (Web3Exception, OSError) as exc:
            raise _unavailable(exc) from None
        if receipt.get("status") != 1:
            raise Conflict("chain-rejected", "Rejected by the chain",
                           "the transaction was mined but reverted",
                           extensions={"transactionHash": "0x" + tx_hash.hex()})
        return receipt

    def _lock_for(self, address: str) -> threading.Lock:
        with self._locks_guard:
            return self._send_locks.setdefault(address, threading.Lock())


def _unavailable(exc: Exception) -> Unavailable:
    log.warning("chain unavailable: %s", type(exc).__name__)
    return Unavailable("chain-unavailable", "The chain is unavailable",
                       "the ledger node did not answer; try again", retry_after_s=RETRY_AFTER_S)


def gateway(ctx: ApiContext) -> ChainGateway:
    """The app's chain gateway (`ctx.shared(ChainGateway)`), created on first use."""
    return ctx.shared(ChainGateway)
