"""Gas of `TraceAnchor.anchor` and `verifyInclusion` by tree size, 2^10 .. 2^32 leaves.

No tree is materialised. The contract sees only sizes, roots and proof hashes, and any
list of 32-byte values of the right length is the proof of *some* tree. So for each size
we draw random proof hashes (seeded) and compute the roots they lead to, with the same
RFC 9162 arithmetic the contract runs:

- `anchor`: the old head (old_size, old_root) is anchored first (a first head needs no
  proof); the measured call anchors (tree_size, new_root) with a random consistency proof,
  where old_root and new_root are both computed from that proof. Three steps are
  measured: from half the size (a power of two: one proof hash), from 1,000 leaves
  earlier (about a second of traffic), and from one leaf earlier (the longest proofs).
- `verifyInclusion`: a head (tree_size, root) is anchored with the root that a random
  inclusion proof for a random leaf leads to; the figure is the gas the call uses (sent
  as a transaction), next to the backend's `eth_estimateGas` for the same call.

Figures include the 21,000 base cost and calldata. They come from py-evm (eth-tester) on
the Cancun rules the contracts are compiled for; gas does not depend on the machine.
Run: `python -m bench.contracts_gas` (needs the dev extra `eth-tester[py-evm]`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from hashlib import sha256
from typing import Any

from anchoring.core.merkle import inclusion_proof_size, root_from_inclusion_proof
from contracts.abi import MemberRole
from contracts.artifacts import load_artifact
from contracts.build import EVM_VERSION

LOG2_SIZES = tuple(range(10, 33, 2))
#: Steps `anchor` is measured for: name -> old size as a function of the new size.
ANCHOR_STEPS: dict[str, Callable[[int], int]] = {
    "from n/2": lambda tree_size: tree_size // 2,
    "from n-1000": lambda tree_size: tree_size - 1000,
    "from n-1": lambda tree_size: tree_size - 1,
}
SEED = 20240
_NODE_PREFIX = b"\x01"
_VERIFY_GAS_CAP = 1_000_000


def roots_from_consistency_proof(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root_if_power_of_two: bytes
) -> tuple[bytes, bytes]:
    """Return (old_root, new_root) that `proof` connects, RFC 9162 §2.1.4.2 (fr, sr).

    Requires 0 < old_size < new_size and a proof of the right length. When old_size is a
    power of two the proof omits the old root, so the caller chooses it.
    """
    last_old = old_size - 1
    inner, border = inclusion_proof_size(last_old, new_size)
    shift = (old_size & -old_size).bit_length() - 1
    inner -= shift
    seeded = old_size == 1 << shift
    if len(proof) != inner + border + (0 if seeded else 1):
        raise ValueError(f"proof for {old_size} -> {new_size} has the wrong length {len(proof)}")
    old_node = new_node = old_root_if_power_of_two if seeded else proof[0]
    index = last_old >> shift
    for position, sibling in enumerate(proof if seeded else proof[1:]):
        if position >= inner or index & 1:
            old_node = _node(sibling, old_node)
            new_node = _node(sibling, new_node)
        else:
            new_node = _node(new_node, sibling)
        index >>= 1
    return old_node, new_node


def consistency_proof_length(old_size: int, new_size: int) -> int:
    """Number of hashes in PROOF(old_size, D[new_size]) for 0 < old_size < new_size."""
    inner, border = inclusion_proof_size(old_size - 1, new_size)
    shift = (old_size & -old_size).bit_length() - 1
    return inner - shift + border + (0 if old_size == 1 << shift else 1)


def gas_report() -> dict[str, Any]:
    """Measure and return {"backend", "evm_version", "rows": [...]}, one row per tree size
    with the gas and proof length of each anchor step and of verifyInclusion."""
    w3 = _pyevm_web3()
    admin, anchorer = w3.eth.accounts[0], w3.eth.accounts[1]
    registry = _deploy(w3, "MemberRegistry", [admin], 1, sender=admin)
    _send(w3, registry.functions.proposeRoleChange(anchorer, MemberRole.ANCHORER), admin)
    rng = random.Random(SEED)
    rows = []
    for log2_size in LOG2_SIZES:
        tree_size = 1 << log2_size
        row: dict[str, Any] = {"log2_size": log2_size, "tree_size": tree_size, "anchor": {}}
        for step, old_size_of in ANCHOR_STEPS.items():
            old_size = old_size_of(tree_size)
            proof = [
                rng.randbytes(32) for _ in range(consistency_proof_length(old_size, tree_size))
            ]
            old_root, new_root = roots_from_consistency_proof(
                old_size, tree_size, proof, rng.randbytes(32)
            )
            anchor = _deploy(w3, "TraceAnchor", registry.address, sender=admin)
            _send(w3, anchor.functions.anchor(old_size, old_root, []), anchorer)
            receipt = _send(w3, anchor.functions.anchor(tree_size, new_root, proof), anchorer)
            row["anchor"][step] = {
                "old_size": old_size,
                "proof_hashes": len(proof),
                "gas": receipt["gasUsed"],
            }
        leaf_index = rng.randrange(tree_size)
        leaf = rng.randbytes(32)
        inner, border = inclusion_proof_size(leaf_index, tree_size)
        path = [rng.randbytes(32) for _ in range(inner + border)]
        root = root_from_inclusion_proof(leaf_index, tree_size, leaf, path)
        anchor = _deploy(w3, "TraceAnchor", registry.address, sender=admin)
        _send(w3, anchor.functions.anchor(tree_size, root, []), anchorer)
        call = anchor.functions.verifyInclusion(leaf, leaf_index, tree_size, path)
        if call.call() is not True:
            raise AssertionError(f"synthetic inclusion proof rejected at size 2^{log2_size}")
        # The view sent as a transaction gives the exact gas; eth-tester's estimateGas
        # searches coarsely and overshoots by up to ~15,000.
        executed = w3.eth.wait_for_transaction_receipt(
            call.transact({"from": anchorer, "gas": _VERIFY_GAS_CAP})
        )
        row["verify_inclusion"] = {
            "leaf_index": leaf_index,
            "proof_hashes": len(path),
            "gas": executed["gasUsed"],
            "estimate_gas": call.estimate_gas({"from": anchorer}),
        }
        rows.append(row)
    return {"backend": "py-evm (eth-tester)", "evm_version": EVM_VERSION, "rows": rows}


def format_table(report: dict[str, Any]) -> str:
    """The report as a markdown table (gas, with proof hashes in parentheses)."""
    steps = list(ANCHOR_STEPS)
    header = [
        "tree size",
        *(f"`anchor` {step}" for step in steps),
        "`verifyInclusion`",
        "its estimateGas",
    ]
    caption = (
        f"Gas used on {report['backend']}, EVM {report['evm_version']}, including the 21,000 "
        "base cost and calldata; (k) = proof hashes. `verifyInclusion` is a view, measured "
        "by sending it as a transaction; the last column is the backend's eth_estimateGas."
    )
    lines = [
        caption,
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" + "---:|" * (len(header) - 1),
    ]
    for row in report["rows"]:
        cells = [f"2^{row['log2_size']}"]
        for step in steps:
            entry = row["anchor"][step]
            cells.append(f"{entry['gas']:,} ({entry['proof_hashes']})")
        verify = row["verify_inclusion"]
        cells.append(f"{verify['gas']:,} ({verify['proof_hashes']})")
        cells.append(f"{verify['estimate_gas']:,}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Measure and print the markdown table."""
    print(format_table(gas_report()))


def _node(left: bytes, right: bytes) -> bytes:
    return sha256(_NODE_PREFIX + left + right).digest()  # RFC 9162 §2.1.1


def _pyevm_web3() -> Any:
    from eth.vm.forks.cancun import CancunVM
    from eth_tester import EthereumTester, PyEVMBackend  # type: ignore[import-untyped]
    from web3 import EthereumTesterProvider, Web3

    backend = PyEVMBackend(
        genesis_parameters=PyEVMBackend.generate_genesis_params(
            overrides={"gas_limit": 30_000_000}
        ),
        vm_configuration=((0, CancunVM),),
    )
    return Web3(EthereumTesterProvider(EthereumTester(backend)))


def _deploy(w3: Any, name: str, *args: Any, sender: str) -> Any:
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(*args).transact({"from": sender})
    )
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def _send(w3: Any, call: Any, sender: str) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
    if receipt["status"] != 1:
        raise AssertionError(f"{call.fn_name} failed")
    return receipt


if __name__ == "__main__":
    main()
