"""Process-wide settings every TraceLedger entry point applies after its imports."""

from __future__ import annotations

import sys
from typing import Final

DEFAULT_RECURSION_LIMIT: Final = 1000
"""CPython's own default. Deep enough for any code we run; low enough that runaway
recursion (the JSON parser on a hostile body, for one) is a `RecursionError` long before
the C stack overflows and kills the process."""


def restore_default_recursion_limit() -> None:
    """Set the interpreter's recursion limit back to CPython's default (1000).

    `eth` (py-evm, `eth/__init__.py`, EVM_RECURSION_LIMIT = 12,288, "to reach 1024 frames")
    and `py_ecc` (`py_ecc/__init__.py`, 100,000) raise it when imported. At 100,000,
    `json.loads` on a ~200 KB body nested 100,000 deep recurses in C until the stack
    overflows: a segfault, not an exception (issue 13). Call this in each process entry
    after everything that might raise the limit has been imported; calling it twice is
    harmless. A process that executes EVM code needs more frames than this: see
    `ledger_node.recursion` for the node's own, bounded, setting.
    """
    sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
