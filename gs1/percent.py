"""Percent-encoding of AI values in Digital Link path and query components.

GS1 Digital Link 1.2 §6 / RFC 3986: only unreserved characters stay literal; a
space is ``%20`` in a path segment and ``+`` in a query value; ``+`` is a literal
plus in the path and a space in the query. Decoding leaves a ``%`` that is not
followed by two hex digits as it is (as the GS1 Syntax Engine does).
"""

from __future__ import annotations

import string

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_HEX = frozenset(string.hexdigits)


def escape_path_component(value: str) -> str:
    """Percent-encode ``value`` (UTF-8, upper-case hex) for one Digital Link path segment."""
    return "".join(
        char if char in _UNRESERVED else "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
        for char in value
    )


def escape_query_component(value: str) -> str:
    """Percent-encode ``value`` for a query key or value: as the path, but space becomes ``+``."""
    return "+".join(escape_path_component(part) for part in value.split(" "))


def unescape_path_component(value: str) -> str:
    """Decode ``%XX`` escapes in a path segment; ``+`` stays a plus."""
    out = bytearray()
    index = 0
    while index < len(value):
        char = value[index]
        if char == "%" and index + 2 < len(value) and set(value[index + 1 : index + 3]) <= _HEX:
            out.append(int(value[index + 1 : index + 3], 16))
            index += 3
            continue
        out.extend(char.encode("utf-8"))
        index += 1
    # Values are GS1 character sets (ASCII); bytes >= 0x80 are kept one-to-one as latin-1
    # so that validation can name the offending character.
    return out.decode("latin-1")


def unescape_query_component(value: str) -> str:
    """Decode a query key or value: ``+`` is a space, then ``%XX`` escapes."""
    return unescape_path_component(value.replace("+", " "))
