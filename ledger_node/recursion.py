"""The node's Python recursion limit: what the EVM needs, not what its imports set.

Importing `py_ecc` sets the interpreter's recursion limit to 100,000. At that limit
`json.loads` on a body nested ~100,000 deep recurses in C until the stack overflows and
the process dies (issue 13). Other TraceLedger processes restore CPython's default (1000,
`anchoring.process.restore_default_recursion_limit`); the node cannot: py-evm runs each
EVM message call as nested Python calls, and 1000 frames end in RecursionError near call
depth 200, far short of the 1024 the EVM allows (a contract that works on anvil or Besu
would fail here). So the node uses py-evm's own figure, `eth.EVM_RECURSION_LIMIT`
(12,288, "to reach 1024 frames"): enough for depth 1024 (tests/ledger_node), and at it a
100,000-deep JSON text is a RecursionError, not a crash. Every JSON entry point also
refuses nesting deeper than `anchoring.core.json_depth.MAX_JSON_DEPTH` before parsing.
"""

from __future__ import annotations

import sys

from eth import EVM_RECURSION_LIMIT

NODE_RECURSION_LIMIT = EVM_RECURSION_LIMIT


def apply_node_recursion_limit() -> None:
    """Set the recursion limit to NODE_RECURSION_LIMIT. Call after all imports (`py_ecc`
    raises it when first imported, which may be late); calling it again is harmless."""
    import py_ecc  # noqa: F401 - import now so its setrecursionlimit cannot come later

    sys.setrecursionlimit(NODE_RECURSION_LIMIT)
