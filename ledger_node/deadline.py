"""Wall-clock limits on EVM execution: eth_call, eth_estimateGas and each transaction the
sealer executes (issue 13: one call or one member's transaction must not stall the node).

Gas bounds work, not time: in py-evm's pure Python some work is priced far below its
cost (EIP-152 prices a BLAKE2F round at 1 gas). So execution carries a deadline in a
thread-local: `DeadlineComputation` (configured into the node's VM, py-evm not forked)
checks it at every message call, every CHECK_EVERY_OPCODES opcodes, and inside BLAKE2F,
and raises `ExecutionTimeout`. That is not a py-evm `VMError` on purpose: py-evm would
turn a VMError into a failed (gas-consuming) computation, a consensus result; a timeout
must instead abandon the execution, and the caller reverts the state it touched.

Without a deadline set, `DeadlineComputation` behaves exactly as `CancunComputation`
(the follower test re-executes every block with py-evm's unmodified classes).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from eth._utils.address import force_bytes_to_address
from eth._utils.blake2.coders import extract_blake2b_parameters
from eth.abc import ComputationAPI
from eth.exceptions import VMError
from eth.precompiles.blake2 import GAS_COST_PER_ROUND
from eth.vm.code_stream import CodeStream
from eth.vm.forks.cancun.computation import CancunComputation
from eth_utils import ValidationError

from ledger_node import blake2f
from ledger_node.errors import LedgerNodeError

CHECK_EVERY_OPCODES = 1_024  # a few ms of py-evm at most between two clock reads
BLAKE2F_ADDRESS = force_bytes_to_address(b"\x09")  # EIP-152

_local = threading.local()


class ExecutionTimeout(LedgerNodeError):
    """EVM execution ran past its wall-clock deadline and was abandoned (not a VM error:
    nothing about it is consensus). `limit_s` is the limit that was exceeded."""

    def __init__(self, limit_s: float) -> None:
        super().__init__(f"execution timeout (limit {limit_s:g} s)")
        self.limit_s = limit_s


@contextlib.contextmanager
def execution_deadline(limit_s: float) -> Iterator[None]:
    """Within the block, EVM execution on this thread raises ExecutionTimeout once
    `limit_s` seconds have passed (measured from entry). Nests: the earlier deadline wins."""
    previous = getattr(_local, "deadline", None)
    deadline = (time.monotonic() + limit_s, limit_s)
    if previous is not None and previous[0] < deadline[0]:
        deadline = previous
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def check_deadline() -> None:
    """Raise ExecutionTimeout if this thread's deadline (if any) has passed."""
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and time.monotonic() > deadline[0]:
        raise ExecutionTimeout(deadline[1])


def deadline_active() -> bool:
    """True while an `execution_deadline` block is active on this thread."""
    return getattr(_local, "deadline", None) is not None


class DeadlineCodeStream(CodeStream):
    """py-evm's CodeStream that reads the clock every CHECK_EVERY_OPCODES opcodes."""

    def __iter__(self) -> Iterator[int]:
        count = 0
        for opcode in super().__iter__():
            count += 1
            if count >= CHECK_EVERY_OPCODES:
                count = 0
                check_deadline()
            yield opcode


def blake2f_with_deadline(computation: ComputationAPI) -> ComputationAPI:
    """EIP-152's BLAKE2F precompile (same validation, gas and output as py-evm's
    `blake2b_fcompress`), computed by `ledger_node.blake2f` with deadline checks."""
    try:
        rounds, state, message, counters, final = extract_blake2b_parameters(
            computation.msg.data_as_bytes
        )
    except ValidationError as exc:
        raise VMError(f"Blake2b input parameter validation failure: {exc}") from exc
    computation.consume_gas(
        GAS_COST_PER_ROUND * rounds, reason=f"Blake2b Compress Precompile w/ {rounds} rounds"
    )
    computation.output = blake2f.compress(rounds, state, message, counters, final, check_deadline)
    return computation


class DeadlineComputation(CancunComputation):
    """Cancun computation that honours this thread's execution deadline (see module doc)."""

    _precompiles = {  # noqa: RUF012 - py-evm reads the class attribute
        **CancunComputation._precompiles, BLAKE2F_ADDRESS: blake2f_with_deadline}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if deadline_active():
            check_deadline()  # every message call, including precompile calls
            self.code = DeadlineCodeStream(self.msg.code)
