"""CBV 2.0 EPCIS Event Hash ID (GS1 Core Business Vocabulary 2.0 §8.9).

``event_hash_id(event)`` names one EPCIS 2.0 JSON/JSON-LD event by the SHA-256
of its pre-hash string, as ``ni:///sha-256;<hex>?ver=CBV2.0`` (RFC 6920 named
information URI, CBV 2.0 §8.9.1). Two representations of the same event — any
member order, EPC URNs or Digital Link URIs, bare CBV words or full URIs, any
time zone — get the same ID; any change of content gets another.

Pure: no I/O, no clock, no network. JSON-LD contexts are never fetched; the
default EPCIS 2.0 context's vocabulary is built in (``terms``), and prefixes
of user extensions come from the ``context`` argument or the event's own
``@context``. Changing anything in this package changes event IDs that are
already anchored: it lives in ``anchoring.core`` for that reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Final

from anchoring.core.errors import MalformedEventError
from anchoring.core.event_hash.namespaces import DEFAULT_NAMESPACES, Namespaces, namespaces_for
from anchoring.core.event_hash.prehash import compute_prehash

__all__ = [
    "HASH_ID_PREFIX",
    "HASH_ID_SUFFIX",
    "event_hash_digest",
    "event_hash_id",
    "event_prehash",
    "format_event_hash_id",
]

# CBV 2.0 §8.9.1: RFC 6920 "ni" URI of the SHA-256 digest, version-tagged.
HASH_ID_PREFIX: Final = "ni:///sha-256;"
HASH_ID_SUFFIX: Final = "?ver=CBV2.0"
HASH_DIGEST_SIZE: Final = 32


def event_prehash(
    event: Mapping[str, object],
    *,
    context: object = None,
    ignore_fields: Iterable[str] = (),
) -> str:
    """The pre-hash string of one EPCIS 2.0 JSON event (CBV 2.0 §8.9.2).

    ``context`` is the JSON-LD ``@context`` of the document the event came in
    (a URL string, an object of prefixes, or a list of those); the event's own
    ``@context`` is applied after it. ``ignore_fields`` lists extra top-level
    members to leave out (compact ``prefix:name`` form, resolved with the same
    prefixes). Raises ``EventError`` subclasses for malformed events.
    """
    namespaces = _namespaces(event, context)
    ignored = _ignored_names(ignore_fields, namespaces)
    return compute_prehash(event, namespaces, ignored)


def event_hash_id(
    event: Mapping[str, object],
    *,
    context: object = None,
    ignore_fields: Iterable[str] = (),
) -> str:
    """``ni:///sha-256;<lowercase hex>?ver=CBV2.0`` for one EPCIS 2.0 JSON event (CBV 2.0 §8.9).

    The SHA-256 is taken over the UTF-8 bytes of ``event_prehash(event, ...)``
    (CBV 2.0 §8.9.3). Same arguments and errors as ``event_prehash``.
    """
    prehash = event_prehash(event, context=context, ignore_fields=ignore_fields)
    return format_event_hash_id(hashlib.sha256(prehash.encode("utf-8")).digest())


def format_event_hash_id(digest: bytes) -> str:
    """``ni:///sha-256;<lowercase hex>?ver=CBV2.0`` naming a 32-byte SHA-256 digest (CBV 2.0 §8.9.1).

    Requires ``len(digest) == 32``; raises ``ValueError`` otherwise.
    """
    if len(digest) != HASH_DIGEST_SIZE:
        raise ValueError(f"an Event Hash ID names a {HASH_DIGEST_SIZE}-byte digest, got {len(digest)}")
    return HASH_ID_PREFIX + digest.hex() + HASH_ID_SUFFIX


def event_hash_digest(hash_id: str) -> bytes:
    """The 32-byte digest an Event Hash ID names; the inverse of ``format_event_hash_id``.

    Strict: only the canonical form (prefix, 64 lowercase hex digits, suffix) is accepted;
    raises ``MalformedEventError`` otherwise.
    """
    digest_hex = hash_id[len(HASH_ID_PREFIX) : -len(HASH_ID_SUFFIX)]
    if (
        not hash_id.startswith(HASH_ID_PREFIX)
        or not hash_id.endswith(HASH_ID_SUFFIX)
        or len(digest_hex) != 2 * HASH_DIGEST_SIZE
        or digest_hex.strip("0123456789abcdef")
    ):
        raise MalformedEventError(f"not a canonical Event Hash ID: {hash_id[:100]!r}")
    return bytes.fromhex(digest_hex)


def _namespaces(event: object, context: object) -> Namespaces:
    own_context = event.get("@context") if isinstance(event, Mapping) else None
    if context is None and own_context is None:
        return DEFAULT_NAMESPACES
    return namespaces_for((context, own_context))


def _ignored_names(names: Iterable[str], namespaces: Namespaces) -> frozenset[str]:
    if isinstance(names, str):  # a lone name, not its characters
        names = (names,)
    ignored: set[str] = set()
    for name in names:
        ignored.add(name)
        ignored.add(namespaces.expand_key(name))
    return frozenset(ignored)
