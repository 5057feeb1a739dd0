"""JSON-LD prefixes of an event: compact names and CURIEs to full IRIs (CBV 2.0 §8.9.2).

User extension names enter the pre-hash string as ``{namespace}localName``;
values written as CURIEs (``cbv:BizStep-shipping``) enter as full IRIs. The
prefixes come from the default EPCIS 2.0 context (built in, see ``terms``)
plus the ``@context`` of the enclosing document and of the event itself.
Remote context documents are never fetched: only inline prefix definitions count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from anchoring.core.errors import MalformedEventError
from anchoring.core.event_hash.terms import STANDARD_NAMESPACES

# Bounds the per-context memo of expanded names (a hostile stream of distinct keys
# must not grow memory without limit).
_KEY_CACHE_LIMIT: Final = 4096
# Distinct prefix tables remembered, so repeated documents keep their memoised names.
_TABLE_CACHE_LIMIT: Final = 256
_tables: dict[frozenset[tuple[str, str]], Namespaces] = {}


class Namespaces:
    """The prefix table in force for one event, with memoised name expansion."""

    __slots__ = ("_expanded_keys", "prefixes")

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes: Final[Mapping[str, str]] = prefixes
        self._expanded_keys: dict[str, str] = {}

    def expand_key(self, key: str) -> str:
        """``{namespace}localName`` for a compact or absolute member name; other names unchanged."""
        expanded = self._expanded_keys.get(key)
        if expanded is None:
            expanded = self._expand_key(key)
            if len(self._expanded_keys) >= _KEY_CACHE_LIMIT:
                self._expanded_keys.clear()
            self._expanded_keys[key] = expanded
        return expanded

    def _expand_key(self, key: str) -> str:
        colon = key.find(":")
        if colon <= 0:
            return key
        if key.startswith("//", colon + 1):
            # An absolute IRI used as a member name: namespace up to the last '/' or '#'.
            split = max(key.rfind("/"), key.rfind("#")) + 1
            return "{" + key[:split] + "}" + key[split:]
        namespace = self.prefixes.get(key[:colon])
        if namespace is None:
            return key
        return "{" + namespace + "}" + key[colon + 1:]

    def expand_value(self, text: str) -> str:
        """Full IRI for a CURIE value whose prefix is known; any other text unchanged."""
        colon = text.find(":")
        if colon <= 0 or text.startswith("//", colon + 1):
            return text
        namespace = self.prefixes.get(text[:colon])
        return text if namespace is None else namespace + text[colon + 1:]


DEFAULT_NAMESPACES: Final = Namespaces(STANDARD_NAMESPACES)


def namespaces_for(contexts: Iterable[object]) -> Namespaces:
    """Prefix table of the default EPCIS context extended by inline ``@context`` values.

    Later contexts override earlier ones, as in JSON-LD. String entries (context
    URLs) add nothing: the standard EPCIS context is already built in.
    """
    prefixes = dict(STANDARD_NAMESPACES)
    for context in contexts:
        _collect_prefixes(context, prefixes)
    table_key = frozenset(prefixes.items())
    table = _tables.get(table_key)
    if table is None:
        if len(_tables) >= _TABLE_CACHE_LIMIT:
            _tables.clear()
        table = _tables[table_key] = Namespaces(prefixes)
    return table


def _collect_prefixes(context: object, prefixes: dict[str, str]) -> None:
    if context is None or isinstance(context, str):
        return
    if isinstance(context, list):
        for entry in context:
            _collect_prefixes(entry, prefixes)
        return
    if not isinstance(context, Mapping):
        raise MalformedEventError(
            f"@context entries must be strings or objects, got {type(context).__name__}",
            field="@context",
        )
    for term, definition in context.items():
        if not isinstance(term, str) or term.startswith("@"):
            continue
        if isinstance(definition, str) and ":" in definition:
            prefixes[term] = definition
        elif isinstance(definition, Mapping) and definition.get("@prefix") is True:
            iri = definition.get("@id")
            if isinstance(iri, str):
                prefixes[term] = iri
