"""The chain vocabulary (contracts/abi.py) agrees with the Solidity sources, the committed
ABIs and solc's own method identifiers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from eth_utils import keccak

from contracts.abi import (
    Contract,
    MemberRole,
    UnknownAbiEntryError,
    abi_entry,
    canonical_type,
    entries_of,
    error_selector,
    errors_by_selector,
    event_topic,
    function_selector,
    function_signature,
)
from contracts.artifacts import load_artifact
from contracts.build import BUILD_DIR, CONTRACT_NAMES, SOURCE_DIR


def test_roles_match_the_solidity_enum_in_order() -> None:
    source = (SOURCE_DIR / "Roles.sol").read_text(encoding="utf-8")
    body = re.search(r"enum Role \{(.*?)\}", source, re.DOTALL)
    assert body is not None
    names = re.findall(r"^\s*(\w+)\s*,?\s*//", body.group(1), re.MULTILINE)
    assert names == ["None", "Admin", "Regulator", "Anchorer", "Witness", "Enterprise"]
    assert [(role.name, role.value) for role in MemberRole] == [
        (name.upper(), number) for number, name in enumerate(names)]


def test_contract_names_are_the_solidity_contracts_and_the_built_artifacts() -> None:
    declared = sorted(
        name for path in SOURCE_DIR.glob("*.sol")
        for name in re.findall(r"^contract (\w+)", path.read_text(encoding="utf-8"), re.MULTILINE))
    assert sorted(str(contract) for contract in Contract) == declared == sorted(CONTRACT_NAMES)
    assert sorted(path.stem for path in BUILD_DIR.glob("*.json")) == declared


@pytest.mark.parametrize("contract", list(Contract))
def test_every_function_selector_equals_solcs_method_identifier(contract: Contract) -> None:
    identifiers = load_artifact(str(contract)).method_identifiers
    functions = entries_of(contract, "function")
    assert identifiers, "the artifact carries solc's methodIdentifiers"
    assert {entry.signature: entry.selector.hex() for entry in functions} == identifiers
    for entry in functions:
        assert function_selector(contract, entry.name) == bytes.fromhex(
            identifiers[function_signature(contract, entry.name)])


def test_tuple_arguments_are_spelled_out_in_signatures() -> None:
    argument = {"type": "tuple[]", "components": [{"type": "uint64"}, {"type": "tuple",
                "components": [{"type": "bytes32"}, {"type": "address"}]}]}
    assert canonical_type(argument) == "(uint64,(bytes32,address))[]"
    signatures = {entry.signature for contract in Contract
                  for entry in entries_of(contract, "function")}
    assert not any("tuple" in signature for signature in signatures)


@pytest.mark.parametrize("contract", list(Contract))
def test_event_topics_and_error_selectors_hash_their_abi_signatures(contract: Contract) -> None:
    for item in load_artifact(str(contract)).abi:
        if item["type"] not in ("event", "error"):
            continue
        types = ",".join(argument["type"] for argument in item["inputs"])
        expected = keccak(text=f"{item['name']}({types})")  # all our events/errors are flat
        if item["type"] == "event":
            assert event_topic(contract, item["name"]) == expected
        else:
            assert error_selector(contract, item["name"]) == expected[:4]
            assert errors_by_selector()[expected[:4]].name == item["name"]


def test_known_vectors() -> None:
    """Pinned values (Solidity ABI spec hashing), so a changed ABI is noticed here first."""
    assert function_selector(Contract.TRACE_ANCHOR, "headAt").hex() == "c1742a8c"
    assert function_selector(Contract.MEMBER_REGISTRY, "isMember").hex() == keccak(
        text="isMember(address)")[:4].hex()
    assert event_topic(Contract.TRACE_ANCHOR, "TreeHeadAnchored") == keccak(
        text="TreeHeadAnchored(uint256,uint64,bytes32,address)")


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(UnknownAbiEntryError):
        function_selector(Contract.TRACE_ANCHOR, "selfDestruct")
    with pytest.raises(UnknownAbiEntryError):
        abi_entry("RecallRegistry", "event", "headAt")


HAND_TYPED = (
    r"function_signature_to_4byte_selector\(\s*\"",  # a signature typed to be hashed
    r"_selector\(\"\w+\(",
    r"keccak256\(b\"[a-zA-Z]+\(",
    r"^\w*ROLE\w* = \d$",  # a role number of its own
    r"^(\w+, )+\w+ = (\d, )+\d$",  # REGULATOR, ANCHORER, WITNESS = 2, 3, 4
)


def test_no_module_types_a_selector_or_role_number_by_hand() -> None:
    """Selectors and role numbers come from contracts.abi: no module of ours spells a
    function signature for hashing or defines its own ROLE_* number."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("anchoring", "indexer", "ledger_node", "trace_api", "traceledger_cli",
                    "bench", "contracts"):
        for path in (root / package).rglob("*.py"):
            if "node_modules" in path.parts or path.name == "abi.py":
                continue
            text = path.read_text(encoding="utf-8")
            for pattern in HAND_TYPED:
                if re.search(pattern, text, re.MULTILINE):
                    offenders.append(f"{path.relative_to(root)}: {pattern}")
    assert not offenders, "\n".join(offenders)
