"""A real anvil (npm `@foundry-rs/anvil`, pinned in contracts/package.json) on a free
loopback port.

anvil is the independent EVM every chain-facing test suite and benchmark also runs
against. One command line for all of them (`anvil_command`), so they all compare against
the same rules: Cancun (the fork the ledger chain runs and the contracts are compiled
for), loopback only,
quiet. An `Anvil` may be stopped and started again on
the same port; with a `state_dir` it keeps its chain across the restart (anvil dumps its
state on SIGTERM and loads it on start).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.types import Wei

from contracts.abi import MemberRole
from contracts.artifacts import load_artifact
from testing.processes import REPO, Launched, free_port

__all__ = [
    "ANVIL_BINARY",
    "Anvil",
    "anvil_command",
    "deploy_contract",
    "deploy_contracts",
    "register_enterprise",
]

ANVIL_BINARY = REPO / "contracts" / "node_modules" / ".bin" / "anvil"
ANVIL_HARDFORK = "cancun"

READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0
"""anvil writes its state file on SIGTERM; give it time to."""


def anvil_command(port: int, *, accounts: int = 10, extra_args: Sequence[str] = ()) -> list[str]:
    """The anvil command line: Cancun rules on 127.0.0.1:port with `accounts` funded accounts."""
    return [
        str(ANVIL_BINARY),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--silent",
        "--hardfork", ANVIL_HARDFORK,
        "--accounts", str(accounts),
        *extra_args,
    ]  # fmt: skip


class Anvil:
    """One anvil process: `url`, `ws_url`, `w3`, raw `rpc`, `mine`, `start`/`stop`."""

    def __init__(self, *, accounts: int = 10, extra_args: Sequence[str] = (),
                 state_dir: Path | None = None, block_time: float | None = None,
                 gas_limit: int | None = None, request_timeout_s: float = 60) -> None:
        """Configure (not start) anvil on a free port with `accounts` funded, unlocked
        accounts; `state_dir` keeps its chain in `anvil-state.json` across restarts."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.state_file = state_dir / "anvil-state.json" if state_dir is not None else None
        self.command = anvil_command(self.port, accounts=accounts, extra_args=[
            *extra_args,
            *(["--state", str(self.state_file)] if self.state_file is not None else []),
            *(["--block-time", str(block_time)] if block_time is not None else []),
            *(["--gas-limit", str(gas_limit)] if gas_limit is not None else []),
        ])
        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": request_timeout_s}))
        self.launched: Launched | None = None

    @classmethod
    def started(cls, **options: Any) -> Anvil:
        """`Anvil(**options)`, started and answering."""
        anvil = cls(**options)
        anvil.start()
        return anvil

    @property
    def process(self) -> Any:
        """The running `subprocess.Popen` (None when stopped)."""
        return self.launched.process if self.launched is not None else None

    def start(self) -> None:
        """Start anvil and return once it answers `eth_chainId` (ProcessNotReady if not)."""
        self.launched = Launched(self.command, cwd=None, read_lines=True)
        try:
            self.launched.wait_until(lambda: self.w3.eth.chain_id > 0,
                                     timeout_s=READY_TIMEOUT_S, what=f"anvil on {self.url}")
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM (anvil dumps its state file), then SIGKILL if it lingers."""
        if self.launched is not None:
            self.launched.stop(timeout_s=STOP_TIMEOUT_S)
            self.launched = None

    def rpc(self, method: str, *params: Any) -> Any:
        """Call a raw JSON-RPC method (anvil_*, evm_*); RuntimeError on an error answer."""
        answer = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def mine(self, blocks: int = 1) -> None:
        """Mine `blocks` empty blocks."""
        self.rpc("anvil_mine", hex(blocks))

    def set_next_block_time(self, unix_s: int) -> None:
        """The next block's timestamp; later blocks continue from it (never before it)."""
        self.rpc("evm_setNextBlockTimestamp", hex(unix_s))


def deploy_contract(w3: Web3, admin: str, name: str, *args: Any) -> Any:
    """Deploy contract artifact `name` with constructor `args` from unlocked `admin`."""
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": admin}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def deploy_contracts(w3: Web3, admin: str, anchorer: str, witnesses: list[str]) -> tuple[Any, Any]:
    """Deploy MemberRegistry + TraceAnchor from unlocked `admin`, grant the anchorer and
    witness roles (funding those accounts); return (registry, anchor)."""
    registry = deploy_contract(w3, admin, "MemberRegistry", [admin], 1)
    anchor = deploy_contract(w3, admin, "TraceAnchor", registry.address)
    for account, role in [(anchorer, MemberRole.ANCHORER), *((w, MemberRole.WITNESS) for w in witnesses)]:
        tx = registry.functions.proposeRoleChange(account, role).transact({"from": admin})
        if w3.eth.wait_for_transaction_receipt(tx)["status"] != 1:
            raise RuntimeError(f"granting role {role} to {account} failed")
        if w3.eth.get_balance(Web3.to_checksum_address(account)) < 10**18:
            w3.eth.wait_for_transaction_receipt(
                w3.eth.send_transaction({"from": admin, "to": account, "value": Wei(10**19)})
            )
    return registry, anchor


def register_enterprise(w3: Web3, registry: Any, admin: str, *, enterprise_id: bytes, signing_key: str,
                        sectors: int, prefixes: Sequence[str], metadata_hash: bytes) -> int:
    """`MemberRegistry.registerEnterprise` from unlocked `admin` (threshold 1); fund the
    signing key so it can send transactions. Returns the registration's block number."""
    tx = registry.functions.registerEnterprise(
        enterprise_id, signing_key, sectors, list(prefixes), metadata_hash).transact({"from": admin})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    if receipt["status"] != 1:
        raise RuntimeError(f"registering enterprise 0x{enterprise_id.hex()} failed")
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": admin, "to": signing_key, "value": Wei(10**19)}))
    return int(receipt["blockNumber"])
