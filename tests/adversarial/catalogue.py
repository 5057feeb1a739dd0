"""The hostile catalogue: named request bodies and parameter values, each with the attack
it stands for. Every probe of the adversarial suite is built from these entries.

Sizes are bounded on purpose (the whole suite must run in minutes on 2 shared cores):
nesting is ~200 KB, the biggest streamed body is a little over the largest limit it
tests. Limits come from the code when it names them (node, chain proxy, verify,
capture); other API JSON bodies are expected to stop at `API_JSON_BODY_LIMIT`
(README: "Choices").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB

DEEP_LEVELS = 100_000
"""Issue 13: a ~200 KB body nested ~100,000 deep overflowed the C stack of a parser whose
recursion limit an import had raised to 100,000."""
HUGE_INTEGER_DIGITS = 10_001
"""10**10000 written out: above CPython's 4,300-digit int parsing guard, so a parser that
does not bound it either raises deep inside a handler (500) or burns CPU."""
NODE_BODY_LIMIT = 5 * MIB  # ledger_node.rpc.server.MAX_REQUEST_BYTES (geth's value)
CHAIN_PROXY_BODY_LIMIT = 64 * KIB  # trace_api.chain_proxy.MAX_BODY_BYTES
VERIFY_BODY_LIMIT = 1 * MIB  # trace_api.verification: "Body larger than 1 MiB" is 413
CAPTURE_BODY_LIMIT = 32 * MIB  # ApiSettings.capture_file_size_limit default
API_JSON_BODY_LIMIT = 1 * MIB
"""Other API JSON bodies (enterprises, keys, products, labels, recalls) are a few KB; a
serious API refuses more than 1 MiB of them (the same cap as /v1/verify)."""
STREAM_CHUNK = 64 * KIB
"""One chunk of a streamed (Transfer-Encoding: chunked) body."""
OVERSIZE_MARGIN = 1 * MIB
"""How far past a limit an oversize body goes: enough to be unambiguous, small enough
to send quickly."""
CHUNKED_OVERSIZE = 20 * MIB
"""The streamed body of issue 13's finding (only Content-Length was checked)."""

JSON = "application/json"


@dataclass(frozen=True)
class Body:
    """One hostile request body: bytes sent with `content_type` (None: no header)."""

    name: str
    description: str
    content: bytes
    content_type: str | None = JSON


@dataclass(frozen=True)
class Value:
    """One hostile parameter value (query string or path segment), already URL-encoded."""

    name: str
    description: str
    encoded: str


def deep_array(levels: int = DEEP_LEVELS) -> bytes:
    """`[[[...]]]`, `levels` deep: 2 bytes a level."""
    return b"[" * levels + b"]" * levels


def deep_object(levels: int = DEEP_LEVELS // 2) -> bytes:
    """`{"a":{"a":...1...}}`, `levels` deep (~5 bytes a level)."""
    return b'{"a":' * levels + b"1" + b"}" * levels


def wrapped(member: str, raw: bytes) -> bytes:
    """A JSON object whose `member` holds `raw` JSON text (so an envelope check passes)."""
    return b'{"' + member.encode() + b'":' + raw + b"}"


def huge_integer() -> bytes:
    return b"1" + b"0" * (HUGE_INTEGER_DIGITS - 1)


def long_string_object(total_bytes: int, member: str = "name") -> bytes:
    """A JSON object of exactly `total_bytes`: one string member filled with `A`."""
    envelope = len(b'{"": ""}') + len(member)
    return b'{"' + member.encode() + b'": "' + b"A" * (total_bytes - envelope) + b'"}'


def bodies() -> list[Body]:
    """Bodies every JSON entry point receives (small enough to send once per credential)."""
    return [
        Body("deep-array", f"[ x {DEEP_LEVELS} ] x {DEEP_LEVELS} (~200 KB): C-stack overflow",
             deep_array()),
        Body("deep-object", f'{{"a": x {DEEP_LEVELS // 2} (~250 KB): recursion in parsers and '
             "validators", deep_object()),
        Body("deep-member", "a plausible envelope whose `event` member is 100,000 deep",
             wrapped("event", deep_array())),
        Body("huge-float", "1e400: overflows a double to inf (not JSON-representable back)",
             b'{"event": {"quantity": 1e400}, "value": 1e400, "params": [1e400]}'),
        Body("huge-integer", f"an integer of {HUGE_INTEGER_DIGITS} digits (10^10000)",
             b'{"value": ' + huge_integer() + b', "leafIndex": ' + huge_integer() + b"}"),
        Body("invalid-utf8", "bytes that are not UTF-8 inside a JSON string",
             b'{"name": "\xff\xfe\xc3\x28 \xed\xa0\x80", "reason": "\x80"}'),
        Body("lone-surrogate", "a JSON \\ud800 escape: valid JSON, not encodable as UTF-8",
             b'{"name": "\\ud800", "reason": "\\udfff"}'),
        Body("duplicate-keys", "the same member twice: parsers disagree on which wins",
             b'{"name": "first", "name": {"x": 1}, "reason": "a", "reason": "b", '
             b'"jsonrpc": "2.0", "jsonrpc": "1.0"}'),
        Body("not-json", "plain garbage declared as JSON", b"\x00\x01not json at all{{{"),
        Body("empty", "an empty body declared as JSON", b""),
        Body("json-scalar", "a bare string where an object is expected", b'"x"'),
        Body("long-string", f"one {API_JSON_BODY_LIMIT // KIB} KiB - 1 KiB string: just under "
             "the JSON body limit", long_string_object(API_JSON_BODY_LIMIT - KIB)),
        Body("text-plain", "deep JSON sent as text/plain (a browser's CORS-free simple request)",
             deep_array(), "text/plain"),
        Body("multipart", "a multipart form where JSON is expected",
             b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" + deep_array(1000)
             + b"\r\n--xx--\r\n", "multipart/form-data; boundary=xx"),
        Body("no-content-type", "a deep body with no Content-Type at all", deep_array(), None),
    ]


def values() -> list[Value]:
    """Query-string and path values every parameter receives."""
    return [
        Value("huge-number", "10^10000 as a number parameter", "1" + "0" * 10_000),
        Value("huge-float", "1e400", "1e400"),
        Value("negative", "-1 where counts and indexes are expected", "-1"),
        Value("long-string", "a 32 KiB value (a URL that long is still valid HTTP)", "A" * 32 * KIB),
        Value("invalid-utf8", "percent-encoded bytes that are not UTF-8", "%FF%FE%C3%28"),
        Value("nul-and-controls", "NUL, CR LF and a header-injection attempt",
              "%00%0D%0ASet-Cookie:%20x=1"),
        Value("path-traversal", "../ and encoded ../", "..%2F..%2F..%2Fetc%2Fpasswd"),
        Value("deep-brackets", "10,000 [ (a parser of identifiers that recurses)",
              "%5B" * 10_000),
        Value("sql-quote", "quotes and a comment", "%27%20OR%201=1--%22"),
    ]


def oversize_stream(total_bytes: int, chunk_bytes: int = STREAM_CHUNK) -> Iterator[bytes]:
    """A JSON array streamed in chunks, `total_bytes` long in all: `[` then `0,` repeated
    (so a parser fed the prefix sees valid, endless JSON) and a closing `0]`."""
    assert total_bytes >= 4
    yield b"["
    remaining = total_bytes - 3
    filler = b"0," * (chunk_bytes // 2)
    while remaining > 0:
        piece = filler[:remaining]
        remaining -= len(piece)
        yield piece
    yield b"0]"


# --- node JSON-RPC ----------------------------------------------------------------------

BLAKE2F_ADDRESS = "0x0000000000000000000000000000000000000009"
BLAKE2F_MAX_ROUNDS = 0xFFFF_FFFF
"""EIP-152: rounds is a 4-byte big-endian count and each round costs 1 gas, so with a
1e9 gas limit a call is a billion rounds of pure-Python BLAKE2 compression."""


def blake2f_input(rounds: int = BLAKE2F_MAX_ROUNDS) -> str:
    """EIP-152 input (213 bytes: rounds, h, m, t, f=1) as 0x hex."""
    data = rounds.to_bytes(4, "big") + bytes(64) + bytes(128) + bytes(16) + b"\x01"
    return "0x" + data.hex()


def rpc_params() -> list[tuple[str, str, bytes]]:
    """(name, description, raw JSON of `params`) for every node method."""
    return [
        ("empty", "no params", b"[]"),
        ("null", "params: null", b"null"),
        ("object", "params as an object (not an array)", b'{"a": 1}'),
        ("huge-float", "1e400 and an over-long hex quantity",
         b'[1e400, "0x' + b"f" * 10_000 + b'"]'),
        ("huge-integer", "a 10,001-digit integer", b"[" + huge_integer() + b"]"),
        ("negative", "negative and fractional block numbers", b'[-1, 0.5, "-0x1"]'),
        ("bad-hex", "hex that is not hex, odd lengths", b'["0xzz", "0x123", "latest", "0x"]'),
        ("deep", "a param nested 100,000 deep", b"[" + deep_array() + b"]"),
        ("long-string", "a 1 MiB string param", b'["' + b"a" * MIB + b'"]'),
        ("wrong-types", "objects, arrays and booleans where strings belong",
         b'[{"to": [1, 2], "data": true, "gas": {"x": 1}}, ["latest"], false]'),
        ("blake2f", "eth_call-shaped object to the BLAKE2F precompile, max rounds",
         b'[{"to": "' + BLAKE2F_ADDRESS.encode() + b'", "data": "' + blake2f_input().encode()
         + b'", "gas": "0x3b9aca00"}, "latest"]'),
    ]


def rpc_request(method: str, raw_params: bytes, request_id: int = 1) -> bytes:
    """A JSON-RPC 2.0 request with `raw_params` as its params member, verbatim."""
    return (b'{"jsonrpc": "2.0", "id": ' + str(request_id).encode() + b', "method": "'
            + method.encode() + b'", "params": ' + raw_params + b"}")


def rpc_bodies() -> list[Body]:
    """Whole-body attacks on the node's JSON-RPC endpoint (HTTP and WebSocket)."""
    return [
        Body("deep-array", "a request that is 100,000 nested arrays", deep_array()),
        Body("deep-batch", "a batch whose one request is nested 100,000 deep",
             b"[" + wrapped("jsonrpc", deep_object()) + b"]"),
        Body("huge-id", "an id of 10,001 digits",
             b'{"jsonrpc": "2.0", "id": ' + huge_integer() + b', "method": "eth_chainId"}'),
        Body("float-id", "id 1e400", b'{"jsonrpc": "2.0", "id": 1e400, "method": "eth_chainId"}'),
        Body("invalid-utf8", "a method name that is not UTF-8",
             b'{"jsonrpc": "2.0", "id": 1, "method": "eth_\xff\xfe"}'),
        Body("duplicate-keys", "method twice: eth_chainId then clique_propose",
             b'{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "method": "clique_propose", '
             b'"params": ["0x0000000000000000000000000000000000000001", true]}'),
        Body("big-batch", "a batch of 5,000 requests (limit 1,000)",
             b"[" + b",".join([b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}'] * 5000)
             + b"]"),
        Body("not-json", "garbage", b"\x00{{{"),
        Body("empty", "empty body", b""),
    ]


# --- cross-enterprise identifiers -------------------------------------------------------

def cross_enterprise_values(enterprise_id: str, company_prefix: str) -> list[Value]:
    """Identifiers of another enterprise (its id, GTIN, lot and Digital Link URIs), for a
    caller that must not read or act on them."""
    from urllib.parse import quote

    from anchoring.core.check_digit import compute_check_digit

    body = ("0" + company_prefix + "00001")[:13]  # indicator 0, prefix, item reference
    gtin = body + str(compute_check_digit(body))
    item_reference = "0" + body[1 + len(company_prefix):]
    return [
        Value("foreign-enterprise-id", "the other enterprise's MemberRegistry id", enterprise_id),
        Value("foreign-gtin", "a GTIN under the other enterprise's company prefix", gtin),
        Value("foreign-lot-uri", "a Digital Link of the other enterprise's lot",
              quote(f"https://id.gs1.org/01/{gtin}/10/LOT-A1", safe="")),
        Value("foreign-epc-class", "an EPC class (GTIN + lot) of the other enterprise",
              quote(f"urn:epc:class:lgtin:{company_prefix}.{item_reference}.LOT-A1", safe="")),
    ]
