"""Per-label authenticators: a short MAC so guessed serials are recognisably fake.

Scheme (version 1; changing it invalidates printed labels):

    message = "TLA1\\n" + bracketed AI data of the link, key and qualifiers first,
              then data attributes sorted by AI (stem and other parameters excluded)
    auth    = base32(HMAC-SHA256(server_key, message)[:5])  -> 8 characters, 40 bits

It travels as the non-GS1 query parameter ``auth`` (GS1 Digital Link lets
resolvers ignore non-AI parameters, so the URI stays a valid Digital Link).
40 bits make a blind guess succeed once in ~10^12 tries; resolvers add rate
limits and the clone alarm on top. The key never appears in logs or errors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from gs1 import DigitalLink, format_bracketed
from trace_api.labels.errors import (
    AuthenticatorMismatchError,
    MissingAuthenticatorError,
    WeakKeyError,
)

AUTH_PARAM = "auth"
AUTH_BYTES = 5  # 40 bits -> 8 base32 characters, short enough for a small QR code
MIN_KEY_BYTES = 16  # a 128-bit secret at least
_DOMAIN = b"TLA1\n"


def _message(link: DigitalLink) -> bytes:
    identity = (link.primary_key, *link.qualifiers, *sorted(link.data_attributes))
    return _DOMAIN + format_bracketed(identity).encode("ascii")


def compute_authenticator(key: bytes, link: DigitalLink) -> str:
    """Return the 8-character authenticator of ``link`` under ``key`` (>= 16 bytes)."""
    if len(key) < MIN_KEY_BYTES:
        raise WeakKeyError(f"authenticator key must be at least {MIN_KEY_BYTES} bytes")
    digest = hmac.new(key, _message(link), hashlib.sha256).digest()
    return base64.b32encode(digest[:AUTH_BYTES]).decode("ascii")


def attach_authenticator(key: bytes, link: DigitalLink) -> DigitalLink:
    """Return ``link`` with its ``auth`` query parameter set."""
    return link.with_extra(AUTH_PARAM, compute_authenticator(key, link))


def verify_authenticator(key: bytes, link: DigitalLink) -> None:
    """Raise :class:`MissingAuthenticatorError` or :class:`AuthenticatorMismatchError`
    unless ``link`` carries the right authenticator; returns None when it does.

    Constant-time comparison; case-insensitive (base32 read back from a label).
    """
    presented = link.extra(AUTH_PARAM)
    if presented is None:
        raise MissingAuthenticatorError("label carries no authenticator")
    expected = compute_authenticator(key, link)
    if not hmac.compare_digest(presented.upper().encode(), expected.encode()):
        raise AuthenticatorMismatchError("authenticator does not match: the code may be fake")
