"""Trust anchors pinned into the scan page: `traceledger.trust-anchors/v1`.

What the page trusts without asking any server: the chain (id and genesis block hash),
the three contract addresses, the log's checkpoint key and origin, the witnesses' cosigning
keys, and where to send its queries. The page imports them from a generated ES module,
`anchors.js` (`export const TRUST_ANCHORS = Object.freeze({...});`), which the platform
serves at `/scan/assets/anchors.js` from its own deployment and `traceledger scan-page build`
writes into a static bundle another origin hosts. A regulator reviews the JSON document
(`traceledger scan-page anchors`) before pinning it; loading it is strict (exact members,
canonical hex, verifier keys that parse), so a typo never becomes a silently trusted key.

Document (member order is the rendered order):

    {"format": "traceledger.trust-anchors/v1", "name": "<whose anchors; the page shows it>",
     "chainId": 1337, "genesisHash": "0x<64 hex>",
     "contracts": {"traceAnchor": "0x..", "memberRegistry": "0x..", "recallRegistry": "0x.."},
     "log": {"origin": "<checkpoint origin line>", "verifierKey": "<C2SP Ed25519 vkey>"},
     "witnesses": [{"name": "<key name>", "verifierKey": "<C2SP cosignature/v1 vkey>"}],
     "endpoints": {"api": "" | "https://..", "rpc": "/v1/chain/rpc" | "https://.."}}

`""` as the API endpoint means the page's own origin; a path as the RPC endpoint is on the
API's origin.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.exceptions import Web3Exception

from anchoring.core.errors import KeyFormatError
from anchoring.core.note import ALG_COSIGNATURE_V1, ALG_ED25519, decode_verifier_key
from contracts.abi import Contract
from contracts.artifacts import load_artifact
from scanner_app.errors import NodeMismatchError, TrustAnchorsError

__all__ = [
    "FORMAT", "MAX_DOCUMENT_BYTES", "Endpoints", "TrustAnchors", "WitnessAnchor",
    "format_trust_anchors", "load_trust_anchors", "parse_trust_anchors", "parse_trust_anchors_json",
    "read_genesis_hash", "render_anchors_module", "trust_anchors_of", "verify_deployment", "verify_node",
]

FORMAT = "traceledger.trust-anchors/v1"
MAX_DOCUMENT_BYTES = 64 * 1024
"""A document with a few dozen witnesses is ~10 KB; anything far larger is not anchors."""
MAX_WITNESSES = 64
MAX_TEXT_CHARS = 200
MAX_URL_CHARS = 2_000
MAX_CHAIN_ID = 2**53 - 1
"""The page holds the chain id in a JavaScript number; EIP-155 ids in use are far smaller."""

_HEX32 = re.compile(r"0x[0-9a-f]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
# A host name, IPv4 or bracketed IPv6 and a port: nothing a CSP or HTML attribute would split on.
_ABSOLUTE_URL = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?(?:/[^\s?#\"<>\\]*)?")
_PATH = re.compile(r"/(?!/)[^\s?#]*")
_CONTRACT_MEMBERS = {"traceAnchor": Contract.TRACE_ANCHOR, "memberRegistry": Contract.MEMBER_REGISTRY,
                     "recallRegistry": Contract.RECALL_REGISTRY}
_TOP_MEMBERS = ("format", "name", "chainId", "genesisHash", "contracts", "log", "witnesses", "endpoints")


@dataclass(frozen=True)
class WitnessAnchor:
    """A witness the page trusts: its key name and its tlog-cosignature/v1 verifier key."""

    name: str
    verifier_key: str


@dataclass(frozen=True)
class Endpoints:
    """Where the page asks: the API (`""` = its own origin) and a JSON-RPC node."""

    api: str
    rpc: str


@dataclass(frozen=True, kw_only=True)
class TrustAnchors:
    """One validated trust-anchors document (see the module docstring).

    Promises: addresses are lowercase `0x` + 40 hex; `genesis_hash` lowercase `0x` + 64 hex;
    the log key parses as a C2SP Ed25519 note verifier key and every witness key as a
    cosignature/v1 key named as its witness; witness names are unique.
    """

    name: str
    chain_id: int
    genesis_hash: str
    trace_anchor: str
    member_registry: str
    recall_registry: str
    log_origin: str
    log_verifier_key: str
    witnesses: tuple[WitnessAnchor, ...]
    endpoints: Endpoints

    def to_json(self) -> dict[str, Any]:
        """The document, members in their fixed order."""
        return {
            "format": FORMAT, "name": self.name, "chainId": self.chain_id, "genesisHash": self.genesis_hash,
            "contracts": {"traceAnchor": self.trace_anchor, "memberRegistry": self.member_registry,
                          "recallRegistry": self.recall_registry},
            "log": {"origin": self.log_origin, "verifierKey": self.log_verifier_key},
            "witnesses": [{"name": w.name, "verifierKey": w.verifier_key} for w in self.witnesses],
            "endpoints": {"api": self.endpoints.api, "rpc": self.endpoints.rpc},
        }

    def with_overrides(self, *, name: str | None = None, api: str | None = None,
                       rpc: str | None = None) -> TrustAnchors:
        """A copy with another name or endpoints, validated like a loaded document."""
        document = self.to_json()
        if name is not None:
            document["name"] = name
        if api is not None:
            document["endpoints"]["api"] = api
        if rpc is not None:
            document["endpoints"]["rpc"] = rpc
        return parse_trust_anchors(document)


# --- strict parsing -------------------------------------------------------------------------


def _members(value: Any, where: str, names: Sequence[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TrustAnchorsError(where, "must be a JSON object")
    missing = [name for name in names if name not in value]
    extra = sorted(set(value) - set(names))
    if missing:
        raise TrustAnchorsError(where, f"missing member {missing[0]!r}")
    if extra:
        raise TrustAnchorsError(where, f"unknown member {extra[0]!r}")
    return value


def _text(value: Any, where: str, *, limit: int = MAX_TEXT_CHARS, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise TrustAnchorsError(where, "must be a string")
    if not value and not empty:
        raise TrustAnchorsError(where, "must not be empty")
    if len(value) > limit:
        raise TrustAnchorsError(where, f"longer than {limit} characters")
    if any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in value):
        raise TrustAnchorsError(where, "holds a control character")
    if value != value.strip():
        raise TrustAnchorsError(where, "has leading or trailing white space")
    return value


def _address(value: Any, where: str) -> str:
    text = _text(value, where)
    if not _ADDRESS.fullmatch(text):
        raise TrustAnchorsError(where, "must be 0x and 40 hex digits")
    # Mixed case is an EIP-55 checksum and must be right; one case carries none.
    if text[2:] not in (text[2:].lower(), text[2:].upper()) and Web3.to_checksum_address(text) != text:
        raise TrustAnchorsError(where, "has a wrong EIP-55 checksum")
    if int(text, 16) == 0:
        raise TrustAnchorsError(where, "is the zero address")
    return text.lower()


def _verifier_key(value: Any, where: str, signature_type: int) -> tuple[str, str]:
    text = _text(value, where, limit=MAX_TEXT_CHARS + 64)
    try:
        name, _, _ = decode_verifier_key(text, signature_type=signature_type)
    except KeyFormatError as exc:
        raise TrustAnchorsError(where, str(exc)) from exc
    return text, name


def _endpoint(value: Any, where: str, *, own_origin_allowed: bool) -> str:
    text = _text(value, where, limit=MAX_URL_CHARS, empty=own_origin_allowed)
    if own_origin_allowed:  # the API: "" (the page's own origin) or an absolute URL
        if text and not (_ABSOLUTE_URL.fullmatch(text) and not text.endswith("/")):
            raise TrustAnchorsError(where, 'must be "" or http(s)://host[/path] without a final "/"')
    elif not (_ABSOLUTE_URL.fullmatch(text) or _PATH.fullmatch(text)):
        raise TrustAnchorsError(where, "must be /path (on the API's origin) or http(s)://host[/path]")
    return text


def parse_trust_anchors(document: Any) -> TrustAnchors:
    """Validate a decoded JSON document; raises `TrustAnchorsError` naming the first bad member."""
    top = _members(document, "", _TOP_MEMBERS)
    if top["format"] != FORMAT:
        raise TrustAnchorsError("format", f"must be {FORMAT!r}")
    chain_id = top["chainId"]
    if type(chain_id) is not int or not 1 <= chain_id <= MAX_CHAIN_ID:
        raise TrustAnchorsError("chainId", f"must be an integer in 1..{MAX_CHAIN_ID}")
    genesis = _text(top["genesisHash"], "genesisHash")
    if not _HEX32.fullmatch(genesis):
        raise TrustAnchorsError("genesisHash", "must be 0x and 64 lowercase hex digits")
    contracts = _members(top["contracts"], "contracts", tuple(_CONTRACT_MEMBERS))
    addresses = {name: _address(contracts[name], f"contracts.{name}") for name in _CONTRACT_MEMBERS}
    log = _members(top["log"], "log", ("origin", "verifierKey"))
    origin = _text(log["origin"], "log.origin")
    log_key, _ = _verifier_key(log["verifierKey"], "log.verifierKey", ALG_ED25519)
    if not isinstance(top["witnesses"], list):
        raise TrustAnchorsError("witnesses", "must be a JSON array")
    if len(top["witnesses"]) > MAX_WITNESSES:
        raise TrustAnchorsError("witnesses", f"more than {MAX_WITNESSES} witnesses")
    witnesses: list[WitnessAnchor] = []
    for index, item in enumerate(top["witnesses"]):
        where = f"witnesses[{index}]"
        member = _members(item, where, ("name", "verifierKey"))
        name = _text(member["name"], f"{where}.name")
        key, key_name = _verifier_key(member["verifierKey"], f"{where}.verifierKey", ALG_COSIGNATURE_V1)
        if key_name != name:
            raise TrustAnchorsError(f"{where}.name", f"the key is named {key_name!r}")
        if any(w.name == name for w in witnesses):
            raise TrustAnchorsError(f"{where}.name", f"witness {name!r} is listed twice")
        witnesses.append(WitnessAnchor(name, key))
    endpoints = _members(top["endpoints"], "endpoints", ("api", "rpc"))
    return TrustAnchors(
        name=_text(top["name"], "name"), chain_id=chain_id, genesis_hash=genesis,
        trace_anchor=addresses["traceAnchor"], member_registry=addresses["memberRegistry"],
        recall_registry=addresses["recallRegistry"], log_origin=origin, log_verifier_key=log_key,
        witnesses=tuple(witnesses),
        endpoints=Endpoints(_endpoint(endpoints["api"], "endpoints.api", own_origin_allowed=True),
                            _endpoint(endpoints["rpc"], "endpoints.rpc", own_origin_allowed=False)),
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        raise TrustAnchorsError(repeated, "appears twice in one object")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise TrustAnchorsError("", f"{name} is not JSON")


def parse_trust_anchors_json(data: bytes) -> TrustAnchors:
    """Parse UTF-8 JSON bytes strictly (size bound, no duplicate members, no NaN)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise TrustAnchorsError("", f"larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates,
                              parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise TrustAnchorsError("", "not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise TrustAnchorsError("", f"not JSON ({exc.msg} at line {exc.lineno})") from exc
    return parse_trust_anchors(document)


def load_trust_anchors(path: Path) -> TrustAnchors:
    """Read and validate a trust-anchors file; reads at most `MAX_DOCUMENT_BYTES` + 1 bytes."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise TrustAnchorsError("", f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_trust_anchors_json(data)


# --- formatting -----------------------------------------------------------------------------


def format_trust_anchors(anchors: TrustAnchors) -> str:
    """The JSON document for review and pinning: fixed member order, two-space indent, a
    final newline; `parse_trust_anchors_json` of it gives `anchors` back."""
    return json.dumps(anchors.to_json(), indent=2, ensure_ascii=False) + "\n"


def _frozen_literal(value: Any, indent: str) -> str:
    """A JavaScript literal of `value` with every object and array frozen (JSON scalars are
    JavaScript literals; `ensure_ascii` also escapes U+2028/U+2029)."""
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key)}: {_frozen_literal(item, inner)}" for key, item in value.items()]
        return "Object.freeze({\n" + ",\n".join(items) + f"\n{indent}}})" if items else "Object.freeze({})"
    if isinstance(value, list):
        items = [f"{inner}{_frozen_literal(item, inner)}" for item in value]
        return "Object.freeze([\n" + ",\n".join(items) + f"\n{indent}])" if items else "Object.freeze([])"
    return json.dumps(value, ensure_ascii=True)


def render_anchors_module(anchors: TrustAnchors) -> bytes:
    """The `anchors.js` ES module: the same anchors always give the same bytes."""
    return (
        "// Generated by scanner_app/trust_anchors.py (traceledger.trust-anchors/v1); do not edit.\n"
        "// What this page trusts without asking any server: see scanner_app/README.md.\n"
        f"export const TRUST_ANCHORS = {_frozen_literal(anchors.to_json(), '')};\n"
    ).encode("ascii")


# --- the chain ------------------------------------------------------------------------------


def read_genesis_hash(w3: Web3) -> str:
    """The hash of block 0 as the node reports it (`eth_getBlockByNumber("0x0")`)."""
    return "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()


def verify_node(anchors: TrustAnchors, w3: Web3) -> None:
    """Raise `NodeMismatchError` unless the node serves the pinned chain id and genesis hash;
    errors talking to the node propagate as web3/requests raised them."""
    chain_id = int(w3.eth.chain_id)
    if chain_id != anchors.chain_id:
        raise NodeMismatchError("chain id", anchors.chain_id, chain_id)
    genesis = read_genesis_hash(w3)
    if genesis != anchors.genesis_hash:
        raise NodeMismatchError("genesis hash", anchors.genesis_hash, genesis)


def trust_anchors_of(*, name: str, chain_id: int, genesis_hash: str, contracts: Mapping[str, str],
                     log_origin: str, log_verifier_key: str, witness_keys: Sequence[str],
                     endpoints: Endpoints) -> TrustAnchors:
    """Assemble and validate anchors from a deployment's parts (`contracts` keyed by artifact
    name as in deployment.json; witness names are their keys' names)."""
    return parse_trust_anchors({
        "format": FORMAT, "name": name, "chainId": chain_id, "genesisHash": genesis_hash,
        "contracts": {member: contracts.get(artifact) for member, artifact in _CONTRACT_MEMBERS.items()},
        "log": {"origin": log_origin, "verifierKey": log_verifier_key},
        "witnesses": [{"name": key.split("+", 1)[0], "verifierKey": key} for key in witness_keys],
        "endpoints": {"api": endpoints.api, "rpc": endpoints.rpc},
    })


def verify_deployment(anchors: TrustAnchors, w3: Web3) -> None:
    """Raise `NodeMismatchError` unless the pinned contracts answer as ours do on the node:
    `TraceAnchor.registry()` is the pinned MemberRegistry and `RecallRegistry.isRecalled`
    answers (only reads a consumer's page may make, so a read-only proxy allows them)."""
    anchor = w3.eth.contract(address=Web3.to_checksum_address(anchors.trace_anchor),
                             abi=load_artifact(Contract.TRACE_ANCHOR).abi)
    try:
        registry = str(anchor.functions.registry().call()).lower()
    except (Web3Exception, ValueError) as exc:
        raise NodeMismatchError("no TraceAnchor at", anchors.trace_anchor, type(exc).__name__) from exc
    if registry != anchors.member_registry:
        raise NodeMismatchError("TraceAnchor.registry()", anchors.member_registry, registry)
    recalls = w3.eth.contract(address=Web3.to_checksum_address(anchors.recall_registry),
                              abi=load_artifact(Contract.RECALL_REGISTRY).abi)
    try:
        recalls.functions.isRecalled(b"\x01" * 32).call()
    except (Web3Exception, ValueError) as exc:
        raise NodeMismatchError("no RecallRegistry at", anchors.recall_registry, type(exc).__name__) from exc
