"""Read-only execution against a block's state: eth_call, eth_estimateGas, isMember.

Every call runs on a throw-away state (py-evm journals; nothing reaches the store) of a
committed block, read by state root: trie nodes are immutable, so calls may run in worker
threads while the sealer builds the next block. eth_call and eth_estimateGas run under a
gas cap and a wall-clock limit (`ledger_node/deadline.py`): past it, -32000 "execution
timeout" (geth answers the same for its RPCEVMTimeout).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth.abc import BlockHeaderAPI, ComputationAPI
from eth.estimators.gas import binary_gas_search_1000_tolerance
from eth.exceptions import Revert
from eth.vm.spoof import SpoofTransaction
from eth_abi import decode as abi_decode

from contracts.abi import ERROR_STRING_SELECTOR, PANIC_SELECTOR, Contract, function_selector
from ledger_node.chain import LedgerChain
from ledger_node.deadline import ExecutionTimeout, execution_deadline
from ledger_node.errors import EXECUTION_REVERTED, SERVER_ERROR, RpcError

# geth's default RPC gas cap (RPCGasCap) for eth_call / eth_estimateGas.
RPC_GAS_CAP = 50_000_000
# Wall-clock limit of one eth_call / eth_estimateGas (geth's RPCEVMTimeout is 5 s; ours is
# lower because py-evm runs on a shared 2-core machine and a call holds a worker thread and
# the GIL). The scan page's calls (isMember, verifyInclusion) take milliseconds.
CALL_TIME_LIMIT_S = 2.0
_ERROR_SELECTOR = ERROR_STRING_SELECTOR
_PANIC_SELECTOR = PANIC_SELECTOR
_IS_MEMBER = function_selector(Contract.MEMBER_REGISTRY, "isMember")


@dataclass(frozen=True)
class CallRequest:
    """The fields of an eth_call / eth_estimateGas transaction object."""

    sender: bytes
    to: bytes  # b"" for contract creation
    data: bytes
    value: int = 0
    gas: int | None = None
    gas_price: int = 0


def _spoof(chain: LedgerChain, header: BlockHeaderAPI, request: CallRequest) -> tuple:
    child = chain.child_header(header)
    vm = chain.chain.get_vm(child)
    state = vm.state
    gas = min(request.gas or RPC_GAS_CAP, RPC_GAS_CAP, child.gas_limit)
    unsigned = vm.create_unsigned_transaction(
        nonce=state.get_nonce(request.sender),
        gas_price=request.gas_price,
        gas=gas,
        to=request.to,
        value=request.value,
        data=request.data,
    )
    return state, SpoofTransaction(unsigned, from_=request.sender)


def run_call(chain: LedgerChain, header: BlockHeaderAPI, request: CallRequest) -> ComputationAPI:
    """Execute `request` on the state after `header` and return the computation (reverted)."""
    state, tx = _spoof(chain, header, request)
    snapshot = state.snapshot()
    try:
        return state.apply_transaction(tx)
    finally:
        state.revert(snapshot)


def revert_error(computation: ComputationAPI) -> RpcError:
    """geth's error for a failed call: code 3 with the revert data, or -32000 otherwise."""
    error = computation.error
    if isinstance(error, Revert):
        data = bytes(computation.output)
        return RpcError(EXECUTION_REVERTED, format_revert_message(data), "0x" + data.hex())
    return RpcError(SERVER_ERROR, _vm_error_message(error))


def _vm_error_message(error: Exception) -> str:
    name = error.__class__.__name__
    if "OutOfGas" in name:
        return "out of gas"
    if "InvalidInstruction" in name:
        return "invalid opcode"
    return f"execution failed: {name}"


def format_revert_message(data: bytes) -> str:
    """geth's text: "execution reverted" plus the reason of an Error(string) revert."""
    if data[:4] == _ERROR_SELECTOR:
        try:
            (reason,) = abi_decode(["string"], data[4:])
        except Exception:  # noqa: BLE001 - a malformed reason gets the bare message
            return "execution reverted"
        return f"execution reverted: {reason}"
    if data[:4] == _PANIC_SELECTOR and len(data) == 36:
        return f"execution reverted: panic code 0x{int.from_bytes(data[4:], 'big'):x}"
    return "execution reverted"


def call(
    chain: LedgerChain, header: BlockHeaderAPI, request: CallRequest,
    time_limit_s: float = CALL_TIME_LIMIT_S,
) -> bytes:
    """eth_call: the return data, or raise the RpcError geth gives for a failure; -32000
    "execution timeout" if it runs longer than `time_limit_s`."""
    try:
        with execution_deadline(time_limit_s):
            computation = run_call(chain, header, request)
    except ExecutionTimeout as exc:
        raise _timeout_error(exc) from exc
    if computation.is_error:
        raise revert_error(computation)
    return bytes(computation.output)


def estimate_gas(
    chain: LedgerChain, header: BlockHeaderAPI, request: CallRequest,
    time_limit_s: float = CALL_TIME_LIMIT_S,
) -> int:
    """eth_estimateGas: the least gas with which `request` succeeds (py-evm's binary search),
    or raise the revert error of running it with the gas cap; -32000 "execution timeout"
    if the whole search runs longer than `time_limit_s`."""
    try:
        with execution_deadline(time_limit_s):
            computation = run_call(chain, header, request)
            if computation.is_error:
                raise revert_error(computation)
            state, tx = _spoof(chain, header, request)
            snapshot = state.snapshot()
            try:
                return int(binary_gas_search_1000_tolerance(state, tx))
            finally:
                state.revert(snapshot)
    except ExecutionTimeout as exc:
        raise _timeout_error(exc) from exc


def _timeout_error(exc: ExecutionTimeout) -> RpcError:
    return RpcError(SERVER_ERROR, f"execution timeout (limit {exc.limit_s:g} s)")


def is_member(chain: LedgerChain, header: BlockHeaderAPI, registry: bytes, account: bytes) -> bool:
    """`MemberRegistry.isMember(account)` at `header`; False if the call fails."""
    request = CallRequest(
        sender=bytes(20), to=registry, data=_IS_MEMBER + bytes(12) + account, gas=1_000_000
    )
    computation = run_call(chain, header, request)
    if computation.is_error or len(computation.output) != 32:
        return False
    return int.from_bytes(computation.output, "big") == 1
