"""`nextPageToken`: an opaque, tamper-evident keyset cursor over `leaf_index`.

A token holds the last leaf index served and a fingerprint of the query's filter and the
caller's scope, authenticated with HMAC-SHA256 under a key the app draws at start. Pages
are stable: records only ever get larger leaf indexes, so paging by `leaf_index > last`
neither skips nor repeats a record while new ones arrive. A token is refused (400) if it
was altered, made for another filter or caller, or by an earlier run of the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from trace_api.context import ApiContext

_VERSION = 1
_MAC_SIZE = 16
"""128-bit tag: forging one is out of reach; shorter tokens fit in URLs comfortably."""


class InvalidPageToken(ValueError):
    """The token was not made by this server for this query."""


def token_key(_ctx: ApiContext) -> bytes:
    """A fresh random token key; the app draws its one on first use as
    `ctx.shared(token_key)`."""
    return secrets.token_bytes(32)


def encode_page_token(key: bytes, last_leaf_index: int, fingerprint: bytes) -> str:
    """The token continuing after `last_leaf_index` for the query with `fingerprint`."""
    payload = bytes([_VERSION]) + last_leaf_index.to_bytes(8, "big")
    tag = hmac.new(key, payload + fingerprint, hashlib.sha256).digest()[:_MAC_SIZE]
    return base64.urlsafe_b64encode(payload + tag).rstrip(b"=").decode("ascii")


def decode_page_token(key: bytes, token: str, fingerprint: bytes) -> int:
    """The last leaf index in `token`; raises InvalidPageToken if it is not authentic."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        raise InvalidPageToken("not base64url") from None
    if len(raw) != 1 + 8 + _MAC_SIZE or raw[0] != _VERSION:
        raise InvalidPageToken("not a page token of this server")
    payload, tag = raw[:9], raw[9:]
    expected = hmac.new(key, payload + fingerprint, hashlib.sha256).digest()[:_MAC_SIZE]
    if not hmac.compare_digest(tag, expected):
        raise InvalidPageToken("altered, or made for another query or server run")
    return int.from_bytes(payload[1:], "big")
