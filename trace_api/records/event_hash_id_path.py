"""Event Hash IDs in URL paths: `/v1/events/{eventHashId}` and the routes under it.

An Event Hash ID (`ni:///sha-256;<hex>?ver=CBV2.0`) contains `/` and `?`. Clients put it
in a path percent-encoded (`ni%3A%2F%2F%2Fsha-256%3B...%3Fver%3DCBV2.0`) or raw, in which
case `?ver=CBV2.0` arrives as a query string. Starlette routes on the decoded path, so a
plain `{id}` parameter would never match and `{id:path}` would swallow `/proof`. The
`event_hash_id` convertor matches exactly an Event Hash ID (or its bare 64-hex digest),
so `/v1/events/{event_hash_id:event_hash_id}/proof` and friends route unambiguously.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.convertors import Convertor, register_url_convertor

from anchoring.core.event_hash import HASH_ID_SUFFIX, format_event_hash_id

_PATH_FORM = r"(?:ni:/+sha-256;)?[0-9a-fA-F]{64}(?:\?ver=CBV2\.0)?"
_FULL = re.compile(_PATH_FORM)


class EventHashIdConvertor(Convertor[str]):
    """Path convertor: an Event Hash ID in any accepted spelling, as its canonical form."""

    regex = _PATH_FORM

    def convert(self, value: str) -> str:
        return canonical_event_hash_id(value)

    def to_string(self, value: str) -> str:
        return value


def canonical_event_hash_id(text: str) -> str:
    """`ni:///sha-256;<lowercase hex>?ver=CBV2.0` for any accepted spelling; ValueError else.

    Accepted: the full ID, the ID without `?ver=CBV2.0` (a raw path whose query string was
    split off), `ni:/sha-256;...` (a proxy merged the slashes) and the bare 64-hex digest.
    """
    if not _FULL.fullmatch(text):
        raise ValueError(f"not an Event Hash ID: {text!r}")
    return format_event_hash_id(bytes.fromhex(text.removesuffix(HASH_ID_SUFFIX)[-64:]))


def proof_url(event_hash_id: str) -> str:
    """The path of an event's public proof bundle, its hash ID percent-encoded as one
    segment (a raw `?` would start the query and the link would reach the event, not
    its proof)."""
    return f"/v1/events/{quote(event_hash_id, safe='')}/proof"


register_url_convertor("event_hash_id", EventHashIdConvertor())
