"""EIP-712 typed structured data: encodeType, typeHash, encodeData, hashStruct, digest.

Implements https://eips.ethereum.org/EIPS/eip-712 ("Specification" section). Record
signatures rest on this encoding, so a change that alters any output invalidates
signatures already made; the vectors in `../shared/data/eip712/` pin it.

`types` is the JSON shape wallets use: `{"Mail": [{"name": "from", "type": "Person"},
...], ...}`. Validation is strict (`TypedDataError`), closer to ethers than to
eth-account or MetaMask:

- Atomic types are exactly `uint8`..`uint256` and `int8`..`int256` in steps of 8,
  `bytes1`..`bytes32`, `bytes`, `string`, `bool`, `address` (spec "Definition of
  typed structured data"). `uint` without a width, `uint25689`, `bytes33` are errors.
- Array suffixes are `[]` or `[k]` with k a positive decimal without leading zeros.
- Names: the spec asks for Solidity identifiers, but wallets accept any string and
  signatures exist over struct names with spaces and even the empty struct name
  (eth-account's `valid_for_all` corpus). We accept any name that keeps `encodeType`
  parseable: no `(`, `)`, `,`, `[`, `]` or control characters, field names non-empty
  and unique within their struct, struct names not spelled like an atomic type.
- Values: integers are Python `int` (not `bool`) or decimal / `0x` hex strings with an
  optional `-`, range-checked for their width; `bool` only `True`/`False`; `address` a
  `0x` + 40 hex string (mixed case must be a valid EIP-55 checksum) or 20 bytes;
  `bytesN` exactly N bytes and `bytes` any length, as `0x` hex or `bytes`; `string`
  only `str`. A struct value must name exactly its declared fields: missing, extra
  and `null` members are errors (MetaMask and eth-account hash a missing struct as
  zero; we refuse rather than guess). Fixed array lengths must match.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from anchoring.core.errors import TypedDataError
from anchoring.core.keccak import keccak256

__all__ = [
    "DOMAIN_FIELDS",
    "MAX_VALUE_DEPTH",
    "domain_separator",
    "encode_data",
    "encode_type",
    "format_address",
    "hash_struct",
    "infer_primary_type",
    "parse_address",
    "type_hash",
    "typed_data_digest",
    "typed_data_digest_from_hashes",
    "typed_data_digest_from_message",
]

TypeDefinitions = Mapping[str, Sequence[Mapping[str, str]]]
"""`{struct name: [{"name": field name, "type": field type}, ...]}`."""

DOMAIN_TYPE: Final = "EIP712Domain"
DOMAIN_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
)
"""The EIP712Domain fields in the only order the spec allows ("Definition of domainSeparator")."""

_DIGEST_PREFIX: Final = (
    b"\x19\x01"  # EIP-191 version 0x01, spec "Specification of eth_signTypedData"
)
_WORD: Final = 32
_ZERO_PAD: Final = bytes(_WORD)
MAX_VALUE_DEPTH: Final = 256
"""Deepest nesting of arrays and structs in a value. Only recursive struct types let data
choose its depth; the limit turns hostile nesting into a `TypedDataError`, not a crash."""
_MAX_INTEGER_TEXT: Final = 100
"""Longest integer string read; 2**256 has 78 decimal digits, so longer is out of range."""

_DIMENSIONS = re.compile(r"(?:\[(?:[1-9][0-9]*)?\])+")
_INTEGER_TYPE = re.compile(r"(u?)int([0-9]+)")
_FIXED_BYTES_TYPE = re.compile(r"bytes([0-9]+)")
_ATOMIC_LOOKALIKE = re.compile(r"(?:u?int|bytes)[0-9]*|string|bool|address")
_NAME_FORBIDDEN = re.compile(r"[(),\[\]\x00-\x1f\x7f]")
_INTEGER_TEXT = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|[0-9]+)")
_HEX_BYTES = re.compile(r"0x(?:[0-9a-fA-F]{2})*")
_ADDRESS_TEXT = re.compile(r"0x[0-9a-fA-F]{40}")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    type: str


# --- public API ---------------------------------------------------------------


def encode_type(primary_type: str, types: TypeDefinitions) -> str:
    """Return encodeType(primary_type): its signature, then every struct it references
    (transitively) sorted by name, spec "Definition of encodeType"."""
    return _Schema(types).encode_type(primary_type)


def type_hash(primary_type: str, types: TypeDefinitions) -> bytes:
    """Return typeHash = keccak256(encodeType(primary_type)), 32 bytes."""
    return _Schema(types).type_hash(primary_type)


def encode_data(primary_type: str, types: TypeDefinitions, value: Any) -> bytes:
    """Return typeHash ‖ enc(value₁) ‖ … ‖ enc(valueₙ), spec "Definition of encodeData".

    Raises `TypedDataError` if `types` is malformed or `value` does not match it.
    """
    return _Schema(types).encode_data(primary_type, value, primary_type)


def hash_struct(primary_type: str, types: TypeDefinitions, value: Any) -> bytes:
    """Return hashStruct(value) = keccak256(encodeData(value)), spec "Definition of hashStruct"."""
    return keccak256(encode_data(primary_type, types, value))


def domain_separator(domain: Mapping[str, Any]) -> bytes:
    """Return hashStruct(eip712Domain) for the EIP712Domain type the present keys imply.

    The implied type lists the keys of `domain` in the canonical order name, version,
    chainId, verifyingContract, salt (spec "Definition of domainSeparator"); an empty
    domain hashes `EIP712Domain()`. Unknown keys raise `TypedDataError`.
    """
    if not isinstance(domain, Mapping):
        raise TypedDataError(f"domain must be a mapping, not {type(domain).__name__}")
    unknown = set(domain) - {name for name, _ in DOMAIN_FIELDS}
    if unknown:
        raise TypedDataError(f"unknown EIP712Domain fields {sorted(map(str, unknown))}")
    schema = _Schema({DOMAIN_TYPE: _implied_domain_fields(domain)})
    return keccak256(schema.encode_data(DOMAIN_TYPE, domain, DOMAIN_TYPE))


def typed_data_digest(
    domain: Mapping[str, Any], types: TypeDefinitions, primary_type: str, message: Any
) -> bytes:
    """Return keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)), the 32 bytes
    a wallet signs for eth_signTypedData_v4.

    `types` may omit `EIP712Domain`; if it declares one, it must be exactly the
    canonical field list for the keys of `domain` (otherwise wallets disagree on the
    separator). Raises `TypedDataError` on any malformed input.
    """
    message_types = _without_declared_domain(types, domain)
    if primary_type == DOMAIN_TYPE:
        raise TypedDataError("primary type EIP712Domain is not a message type")
    struct_hash = keccak256(_Schema(message_types).encode_data(primary_type, message, primary_type))
    return typed_data_digest_from_hashes(domain_separator(domain), struct_hash)


def typed_data_digest_from_hashes(domain_separator_hash: bytes, struct_hash: bytes) -> bytes:
    """Return keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct) from the two 32-byte hashes."""
    if len(domain_separator_hash) != _WORD or len(struct_hash) != _WORD:
        raise TypedDataError("domain separator and struct hash must be 32 bytes each")
    return keccak256(_DIGEST_PREFIX + domain_separator_hash + struct_hash)


def typed_data_digest_from_message(typed_data: Mapping[str, Any]) -> bytes:
    """Return the digest of a whole eth_signTypedData_v4 JSON object
    `{"types", "primaryType"?, "domain", "message"}`.

    Stricter than the separate-argument form, as eth-account is: a declared
    `types.EIP712Domain` must match the domain's keys, and `primaryType`, when
    present, must be the one struct no other struct references (when absent, that
    struct is used).
    """
    if not isinstance(typed_data, Mapping):
        raise TypedDataError("typed data must be a mapping")
    unknown = set(typed_data) - {"types", "primaryType", "domain", "message"}
    missing = {"types", "domain", "message"} - set(typed_data)
    if unknown or missing:
        raise TypedDataError(
            f"typed data keys: missing {sorted(missing)}, unknown {sorted(map(str, unknown))}"
        )
    domain = typed_data["domain"]
    message_types = _without_declared_domain(typed_data["types"], domain)
    root = infer_primary_type(message_types)
    primary_type = typed_data.get("primaryType", root)
    if primary_type != root:
        raise TypedDataError(f"primaryType {primary_type!r} is not the root type {root!r}")
    return typed_data_digest(domain, message_types, root, typed_data["message"])


def infer_primary_type(types: TypeDefinitions) -> str:
    """Return the one struct (other than EIP712Domain) that no other struct references."""
    structs = _Schema({k: v for k, v in _as_mapping(types).items() if k != DOMAIN_TYPE}).structs
    referenced = {
        _base_type(field.type)
        for name, fields in structs.items()
        for field in fields
        if _base_type(field.type) != name
    }
    roots = [name for name in structs if name not in referenced]
    if len(roots) != 1:
        raise TypedDataError(f"cannot infer the primary type: candidates {sorted(roots)}")
    return roots[0]


def parse_address(value: Any) -> bytes:
    """Return the 20 bytes of an address given as `0x` + 40 hex digits (mixed case must
    carry a valid EIP-55 checksum) or as 20 bytes; raise `TypedDataError` otherwise."""
    if isinstance(value, bytes | bytearray):
        if len(value) != 20:
            raise TypedDataError(f"address must be 20 bytes, got {len(value)}")
        return bytes(value)
    if not isinstance(value, str) or not _ADDRESS_TEXT.fullmatch(value):
        raise TypedDataError(f"not an address: {_brief(value)}")
    digits = value[2:]
    raw = bytes.fromhex(digits)
    if digits != digits.lower() and digits != digits.upper() and format_address(raw) != value:
        raise TypedDataError(f"address {value} fails its EIP-55 checksum")
    return raw


def format_address(raw: bytes) -> str:
    """Return the EIP-55 mixed-case checksum form of a 20-byte address."""
    if len(raw) != 20:
        raise TypedDataError(f"address must be 20 bytes, got {len(raw)}")
    lower = raw.hex().encode("ascii")
    digest = keccak256(lower)
    # EIP-55: upper-case the i-th hex letter when the i-th nibble of keccak(lower hex) is
    # >= 8. Done on the 40 ASCII bytes as one integer: subtract 0x20 (a -> A) where the
    # nibble's top bit is set and the character is a letter (letters have bit 0x40).
    text = int.from_bytes(lower, "big")
    upper_where = int.from_bytes(b"".join(map(_NIBBLE_TOP_BITS.__getitem__, digest[:20])), "big")
    letters = (text & _LETTER_BITS) >> 1
    return "0x" + (text - (upper_where & letters)).to_bytes(40, "big").decode("ascii")


_NIBBLE_TOP_BITS: Final = tuple(
    bytes((0x20 if byte & 0x80 else 0, 0x20 if byte & 0x08 else 0)) for byte in range(256)
)
"""For each hash byte, 0x20 per nibble whose top bit is set: the case flip of its two hex characters."""
_LETTER_BITS: Final = int.from_bytes(b"\x40" * 40, "big")


# --- validated type definitions -------------------------------------------------------


class _Schema:
    """Struct definitions checked once; type hashes computed once per struct."""

    def __init__(self, types: TypeDefinitions) -> None:
        self.structs: dict[str, tuple[_Field, ...]] = {
            name: _parse_fields(name, fields) for name, fields in _as_mapping(types).items()
        }
        for name in self.structs:
            if not isinstance(name, str) or _NAME_FORBIDDEN.search(name):
                raise TypedDataError(f"invalid struct name {name!r}")
            if _ATOMIC_LOOKALIKE.fullmatch(name):
                raise TypedDataError(f"struct name {name!r} is spelled like an atomic type")
        for name, fields in self.structs.items():
            for field in fields:
                self._check_type(field.type, f"{name}.{field.name}")
        self._type_hashes: dict[str, bytes] = {}

    def _check_type(self, type_text: str, where: str) -> None:
        base = _base_type(type_text)
        suffix = type_text[len(base) :]
        if suffix and not _DIMENSIONS.fullmatch(suffix):
            raise TypedDataError(f"invalid array type {type_text!r} in {where}")
        if base in self.structs:
            return
        if _ATOMIC_LOOKALIKE.fullmatch(base):
            if not _is_atomic(base):
                raise TypedDataError(f"invalid ABI type {base!r} in {where}")
            return
        raise TypedDataError(f"unknown type {base!r} in {where}")

    def encode_type(self, primary_type: str) -> str:
        if primary_type not in self.structs:
            raise TypedDataError(f"unknown struct type {primary_type!r}")
        dependencies = self._dependencies(primary_type)
        dependencies.discard(primary_type)
        return "".join(
            name + "(" + ",".join(f"{f.type} {f.name}" for f in self.structs[name]) + ")"
            for name in [primary_type, *sorted(dependencies)]
        )

    def _dependencies(self, primary_type: str) -> set[str]:
        found = {primary_type}
        pending = [primary_type]
        while pending:
            for field in self.structs[pending.pop()]:
                base = _base_type(field.type)
                if base in self.structs and base not in found:
                    found.add(base)
                    pending.append(base)
        return found

    def type_hash(self, primary_type: str) -> bytes:
        cached = self._type_hashes.get(primary_type)
        if cached is None:
            cached = keccak256(self.encode_type(primary_type).encode("utf-8"))
            self._type_hashes[primary_type] = cached
        return cached

    def encode_data(self, struct_name: str, value: Any, where: str, depth: int = 0) -> bytes:
        if struct_name not in self.structs:
            raise TypedDataError(f"unknown struct type {struct_name!r}")
        if not isinstance(value, Mapping):
            raise TypedDataError(f"{where}: expected a {struct_name} object, got {_brief(value)}")
        fields = self.structs[struct_name]
        declared = {field.name for field in fields}
        if set(value) != declared:
            missing = sorted(declared - set(value))
            extra = sorted(map(str, set(value) - declared))
            problems = [f"missing fields {missing}"] if missing else []
            problems += [f"undeclared fields {extra}"] if extra else []
            raise TypedDataError(f"{where}: " + ", ".join(problems))
        encoded = [self.type_hash(struct_name)]
        for field in fields:
            member = value[field.name]
            encoded.append(self.encode_value(field.type, member, f"{where}.{field.name}", depth))
        return b"".join(encoded)

    def encode_value(self, type_text: str, value: Any, where: str, depth: int) -> bytes:
        """enc(value) for one member: always 32 bytes (spec "Definition of encodeData")."""
        if depth >= MAX_VALUE_DEPTH:
            raise TypedDataError(f"{where}: value nests deeper than {MAX_VALUE_DEPTH}")
        if type_text.endswith("]"):
            # Arrays: keccak256 of the concatenated enc() of the elements. The last
            # suffix is the outermost dimension: string[3][2] is two string[3].
            open_at = type_text.rindex("[")
            element_type, length_text = type_text[:open_at], type_text[open_at + 1 : -1]
            if not isinstance(value, list | tuple):
                raise TypedDataError(
                    f"{where}: expected an array for {type_text}, got {_brief(value)}"
                )
            if length_text and len(value) != int(length_text):
                raise TypedDataError(
                    f"{where}: {type_text} needs {length_text} elements, got {len(value)}"
                )
            elements = [
                self.encode_value(element_type, item, f"{where}[{position}]", depth + 1)
                for position, item in enumerate(value)
            ]
            return keccak256(b"".join(elements))
        if type_text in self.structs:
            return keccak256(self.encode_data(type_text, value, where, depth + 1))
        return _encode_atomic(type_text, value, where)


def _brief(value: Any) -> str:
    return reprlib.repr(value)  # error messages must not echo a megabyte of input


def _as_mapping(types: TypeDefinitions) -> TypeDefinitions:
    if not isinstance(types, Mapping):
        raise TypedDataError(f"types must be a mapping, not {type(types).__name__}")
    return types


def _parse_fields(struct_name: str, fields: Any) -> tuple[_Field, ...]:
    if not isinstance(fields, list | tuple):
        raise TypedDataError(f"fields of {struct_name!r} must be a list")
    parsed: list[_Field] = []
    for entry in fields:
        if not isinstance(entry, Mapping) or set(entry) != {"name", "type"}:
            raise TypedDataError(f"field of {struct_name!r} must be {{name, type}}: {entry!r}")
        name, type_text = entry["name"], entry["type"]
        if not isinstance(name, str) or not name or _NAME_FORBIDDEN.search(name):
            raise TypedDataError(f"invalid identifier {name!r} in {struct_name!r}")
        if not isinstance(type_text, str):
            raise TypedDataError(f"invalid type {type_text!r} in {struct_name!r}")
        if any(field.name == name for field in parsed):
            raise TypedDataError(f"duplicate field {name!r} in {struct_name!r}")
        parsed.append(_Field(name, type_text))
    return tuple(parsed)


def _base_type(type_text: str) -> str:
    bracket = type_text.find("[")
    return type_text if bracket < 0 else type_text[:bracket]


def _is_atomic(type_text: str) -> bool:
    if type_text in ("string", "bytes", "bool", "address"):
        return True
    integer = _INTEGER_TYPE.fullmatch(type_text)
    if integer:
        width = integer.group(2)
        return width[0] != "0" and int(width) % 8 == 0 and 8 <= int(width) <= 256
    fixed = _FIXED_BYTES_TYPE.fullmatch(type_text)
    if fixed:
        size = fixed.group(1)
        return size[0] != "0" and 1 <= int(size) <= 32
    return False


def _implied_domain_fields(domain: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"name": name, "type": kind} for name, kind in DOMAIN_FIELDS if name in domain]


def _without_declared_domain(types: TypeDefinitions, domain: Any) -> TypeDefinitions:
    types = _as_mapping(types)
    if not isinstance(domain, Mapping):
        raise TypedDataError(f"domain must be a mapping, not {type(domain).__name__}")
    if DOMAIN_TYPE not in types:
        return types
    declared = types[DOMAIN_TYPE]
    implied = _implied_domain_fields(domain)
    if (
        not isinstance(declared, list | tuple)
        or not all(isinstance(entry, Mapping) for entry in declared)
        or [dict(entry) for entry in declared] != implied
    ):
        raise TypedDataError(
            f"declared EIP712Domain {declared!r} does not match the domain's fields {implied!r}"
        )
    return {name: fields for name, fields in types.items() if name != DOMAIN_TYPE}


# --- atomic values --------------------------------------------------------------------


def _encode_atomic(type_text: str, value: Any, where: str) -> bytes:
    if type_text == "string":
        if not isinstance(value, str):
            raise TypedDataError(f"{where}: string expected, got {_brief(value)}")
        try:
            return keccak256(value.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise TypedDataError(f"{where}: string holds a lone surrogate") from exc
    if type_text == "bytes":
        return keccak256(_parse_bytes(value, where))
    if type_text == "bool":
        if value is True:
            return _ZERO_PAD[:-1] + b"\x01"
        if value is False:
            return _ZERO_PAD
        raise TypedDataError(f"{where}: bool expected, got {_brief(value)}")
    if type_text == "address":
        try:
            return _ZERO_PAD[:12] + parse_address(value)
        except TypedDataError as exc:
            raise TypedDataError(f"{where}: {exc}") from exc
    fixed = _FIXED_BYTES_TYPE.fullmatch(type_text)
    if fixed:
        raw = _parse_bytes(value, where)
        if len(raw) != int(fixed.group(1)):
            raise TypedDataError(f"{where}: {type_text} needs exactly {fixed.group(1)} bytes")
        return raw + _ZERO_PAD[len(raw) :]
    integer = _INTEGER_TYPE.fullmatch(type_text)
    if integer:
        signed, width = integer.group(1) == "", int(integer.group(2))
        return _encode_integer(_parse_integer(value, where), signed, width, where)
    raise TypedDataError(f"{where}: unknown atomic type {type_text!r}")  # pragma: no cover


def _parse_integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypedDataError(f"{where}: integer expected, got {_brief(value)}")
    if isinstance(value, int):
        return value
    if len(value) > _MAX_INTEGER_TEXT or not _INTEGER_TEXT.fullmatch(value):
        raise TypedDataError(f"{where}: not an integer: {_brief(value)}")
    negative = value.startswith("-")
    digits = value[1:] if negative else value
    magnitude = int(digits, 16) if digits[:2] in ("0x", "0X") else int(digits, 10)
    return -magnitude if negative else magnitude


def _encode_integer(number: int, signed: bool, width: int, where: str) -> bytes:
    low, high = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    if not low <= number <= high:
        raise TypedDataError(
            f"{where}: {number} out of range for {'' if signed else 'u'}int{width}"
        )
    # Signed values are sign-extended to 256 bits (two's complement), as the ABI does.
    return (number % (1 << 256)).to_bytes(_WORD, "big")


def _parse_bytes(value: Any, where: str) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and _HEX_BYTES.fullmatch(value):
        return bytes.fromhex(value[2:])
    raise TypedDataError(f"{where}: 0x-prefixed hex bytes expected, got {_brief(value)}")
