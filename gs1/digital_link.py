"""GS1 Digital Link URIs: parse, validate, build and format (uncompressed form).

Follows GS1 Digital Link URI Syntax 1.2 and the behaviour of GS1's Barcode Syntax
Engine (``gs1_parseDLuri`` / ``gs1_generateDLuri``) with its default options:
no zero-suppressed GTINs, no convenience alphas, no unknown AIs. The path is a
stem, then a primary key and its key qualifiers in the standard's order; GS1
data attributes go in the query; other query parameters (``linkType``, our
label authenticator) are kept apart as ``extra_params``.

Canonical form (:func:`canonical_uri`): stem ``https://id.gs1.org`` or a
configured resolver host, no stem path, full-length keys, values percent-encoded
with upper-case hex, data attributes in the syntax engine's order (predefined-
length AIs first, otherwise as given), non-GS1 parameters dropped unless asked for.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from gs1.ai_table import AIRule, ai_rules, lookup_ai
from gs1.ai_values import verify_ai_value
from gs1.associations import verify_associations
from gs1.errors import GS1Error, InvalidDigitalLinkError, UnknownAIError
from gs1.percent import (
    escape_path_component,
    escape_query_component,
    unescape_path_component,
    unescape_query_component,
)

DEFAULT_STEM = "https://id.gs1.org"
# RFC 3986 characters that may appear literally in a URI (unreserved, reserved, '%').
_URI_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
_SCHEMES = ("http", "https", "HTTP", "HTTPS")  # mixed case is rejected, as in the engine
_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")

Pair = tuple[str, str]


@dataclass(frozen=True)
class DigitalLink:
    """A validated GS1 Digital Link: a stem plus AI data.

    Promises (held by every constructor in this module): every AI is supported and
    its value valid; ``qualifiers`` follow one of the key's qualifier sequences in
    order; no AI repeats; ``data_attributes`` are DL data attributes that are not
    qualifiers of the key; AI associations (req/ex) hold.
    """

    stem: str
    primary_key: Pair
    qualifiers: tuple[Pair, ...] = ()
    data_attributes: tuple[Pair, ...] = ()
    extra_params: tuple[Pair, ...] = field(default=())

    def element_pairs(self) -> tuple[Pair, ...]:
        """All AI pairs: key, qualifiers, then data attributes."""
        return (self.primary_key, *self.qualifiers, *self.data_attributes)

    def get(self, ai: str) -> str | None:
        """The value of ``ai`` if present anywhere in the link, else None."""
        return dict(self.element_pairs()).get(ai)

    def extra(self, name: str) -> str | None:
        """The value of a non-GS1 query parameter, else None."""
        return dict(self.extra_params).get(name)

    def with_extra(self, name: str, value: str) -> DigitalLink:
        """A copy with one non-GS1 query parameter set (replacing an earlier value)."""
        kept = tuple((k, v) for k, v in self.extra_params if k != name)
        return replace(self, extra_params=(*kept, (name, value)))

    def without_extras(self) -> DigitalLink:
        """A copy without non-GS1 query parameters."""
        return replace(self, extra_params=())

    def with_stem(self, stem: str) -> DigitalLink:
        """A copy on another resolver stem (``https://host[/path]``, no trailing slash)."""
        return replace(self, stem=_verify_stem(stem))


def _fail(uri: str, reason: str) -> InvalidDigitalLinkError:
    return InvalidDigitalLinkError(uri, reason)


def _verify_host(uri: str, authority: str) -> None:
    host, port = authority, ""
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise _fail(uri, "unterminated IPv6 host")
        host, rest = authority[1:end], authority[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _fail(uri, "bad characters after IPv6 host")
        port = rest[1:]
        if "%" in host:
            raise _fail(uri, "IPv6 zone identifiers are not allowed")
        try:
            ipaddress.IPv6Address(host)  # rejects zone identifiers ("%25lo")
        except ValueError as exc:
            raise _fail(uri, f"bad IPv6 host {host!r}") from exc
    else:
        if ":" in authority:
            host, port = authority.split(":", 1)
        labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
        if not host or not all(_HOST_LABEL.match(label) for label in labels):
            raise _fail(uri, f"bad host name {host!r}")
    if (port or authority.endswith(":")) and (not (port.isascii() and port.isdigit()) or len(port) > 5 or int(port) > 65535):
        raise _fail(uri, f"bad port {port!r}")


def _verify_stem(stem: str) -> str:
    match = re.match(r"^(https?|HTTPS?)://([^/?#]+)((?:/[^/?#]+)*)$", stem)
    if match is None:
        raise InvalidDigitalLinkError(stem, "a stem is http(s)://host[/path] without a trailing slash")
    _verify_host(stem, match.group(2))
    return stem


def _split_path(uri: str, segments: list[str]) -> tuple[int, AIRule]:
    """Find the primary key: the rightmost key AI at an even distance from the end."""
    for index in range(len(segments) - 2, -1, -2):
        rule = ai_rules().get(segments[index])
        if rule is not None and rule.is_primary_key:
            return index, rule
    raise _fail(uri, "no GS1 primary key (e.g. /01/<GTIN>) in the path")


def _is_qualifier_order(key: AIRule, qualifier_ais: Sequence[str]) -> bool:
    """True when ``qualifier_ais`` follow, in order, one of ``key``'s qualifier sequences."""
    for sequence in key.qualifier_sequences or ():
        position = 0
        for ai in qualifier_ais:
            try:
                position = sequence.index(ai, position) + 1
            except ValueError:
                break
        else:
            return True
    return False


def verify_qualifier_order(key: AIRule, qualifier_ais: Sequence[str]) -> None:
    """Raise InvalidDigitalLinkError unless ``qualifier_ais`` follow, in order, one of
    ``key``'s qualifier sequences (each qualifier optional, none repeated)."""
    if _is_qualifier_order(key, qualifier_ais):
        return
    allowed = " | ".join("/".join(seq) or "(none)" for seq in key.qualifier_sequences or ())
    raise InvalidDigitalLinkError(
        "/".join(qualifier_ais),
        f"qualifiers {'/'.join(qualifier_ais)} not allowed after ({key.ai}); allowed in order: {allowed}",
    )


def parse_digital_link(uri: str) -> DigitalLink:
    """Parse and fully validate a GS1 Digital Link URI.

    Raises :class:`InvalidDigitalLinkError` for URI syntax problems and another
    :class:`GS1Error` subclass (with the AI and reason) for bad AI values or
    combinations. The fragment is ignored; query parameters that are not numeric
    are kept in ``extra_params``; numeric ones must be supported data attributes.
    """
    if not uri:
        raise _fail(uri, "empty URI")
    bad = next((char for char in uri if char not in _URI_CHARS), None)
    if bad is not None:
        raise _fail(uri, f"character {bad!r} is not allowed in a URI")
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme not in _SCHEMES:
        raise _fail(uri, "scheme must be http or https")
    rest = rest.split("#", 1)[0]
    rest, _, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    if not authority:
        raise _fail(uri, "no host")
    _verify_host(uri, authority)
    if not slash or not path:
        raise _fail(uri, "no path")
    if path.endswith("/"):
        raise _fail(uri, "path must not end with '/'")
    segments = path.split("/")
    if "" in segments:
        raise _fail(uri, "empty path segment")
    key_index, key_rule = _split_path(uri, segments)
    stem = f"{scheme}://{authority}" + "".join(f"/{s}" for s in segments[:key_index])
    path_pairs = [
        (segments[i], unescape_path_component(segments[i + 1]))
        for i in range(key_index, len(segments), 2)
    ]
    qualifier_ais = [ai for ai, _ in path_pairs[1:]]
    for ai in qualifier_ais:
        if ai not in key_rule.qualifiers:
            if not ai_rules().get(ai):
                raise UnknownAIError(ai)
            raise _fail(uri, f"({ai}) is not a key qualifier of ({key_rule.ai})")
    verify_qualifier_order(key_rule, qualifier_ais)
    attributes, extras = _parse_query(query)
    return _checked(
        uri, stem, path_pairs[0], tuple(path_pairs[1:]), tuple(attributes), tuple(extras)
    )


def _parse_query(query: str) -> tuple[list[Pair], list[Pair]]:
    attributes: list[Pair] = []
    extras: list[Pair] = []
    for part in query.split("&"):
        if not part or "=" not in part:
            continue  # extraneous separators and singletons are ignored (engine behaviour)
        raw_key, _, raw_value = part.partition("=")
        key = unescape_query_component(raw_key)
        value = unescape_query_component(raw_value)
        if key.isascii() and key.isdigit():  # GS1 AIs are ASCII digits, not any Unicode digit
            attributes.append((key, value))
        else:
            extras.append((key, value))
    return attributes, extras


def _checked(
    uri: str,
    stem: str,
    primary_key: Pair,
    qualifiers: tuple[Pair, ...],
    attributes: tuple[Pair, ...],
    extras: tuple[Pair, ...],
) -> DigitalLink:
    key_rule = lookup_ai(primary_key[0])
    seen: set[str] = set()
    for ai, value in (primary_key, *qualifiers, *attributes):
        if ai in seen:
            raise _fail(uri, f"AI ({ai}) appears more than once")
        seen.add(ai)
        verify_ai_value(ai, value)
    path_ais = [ai for ai, _ in qualifiers]
    for ai, _ in attributes:
        rule = lookup_ai(ai)
        if not rule.dl_data_attribute:
            raise _fail(uri, f"({ai}) is not permitted as a Digital Link data attribute")
        # As the GS1 Syntax Engine: an attribute belongs in the path when inserting it at some
        # qualifier position gives a valid key-qualifier sequence (so (10) may follow
        # /01/.../235/... as an attribute: 235 and 10 are alternative sequences).
        if any(_is_qualifier_order(key_rule, [*path_ais[:at], ai, *path_ais[at:]])
               for at in range(len(path_ais) + 1)):
            raise _fail(uri, f"({ai}) is a key qualifier of ({key_rule.ai}) and belongs in the path")
    verify_associations((primary_key, *qualifiers, *attributes))
    return DigitalLink(stem, primary_key, qualifiers, attributes, extras)


def engine_attribute_order(attributes: Iterable[Pair]) -> tuple[Pair, ...]:
    """Order data attributes as the GS1 Syntax Engine does: predefined-length AIs first,
    otherwise keeping the given order (a stable sort)."""
    items = list(attributes)
    return tuple(sorted(items, key=lambda pair: not lookup_ai(pair[0]).predefined_length))


def build_digital_link(
    pairs: Sequence[Pair],
    *,
    stem: str = DEFAULT_STEM,
    extra_params: Sequence[Pair] = (),
) -> DigitalLink:
    """Build a Digital Link from AI data in element-string order.

    The first primary-key AI becomes the key; its qualifiers go in the path in
    the standard's order; identical repeats collapse; the rest become data
    attributes in :func:`engine_attribute_order`. Raises a :class:`GS1Error` if
    the data has no primary key, a value is invalid, or an AI cannot be placed.
    """
    unique: list[Pair] = []
    for pair in pairs:
        lookup_ai(pair[0])
        if pair not in unique:
            unique.append(pair)
    key = next((pair for pair in unique if lookup_ai(pair[0]).is_primary_key), None)
    if key is None:
        raise GS1Error("no GS1 primary key (e.g. GTIN (01), SSCC (00), GIAI (8004)) in the data")
    key_rule = lookup_ai(key[0])
    rest = [pair for pair in unique if pair is not key]
    present = {ai for ai, _ in rest}
    sequence = next(
        (s for s in key_rule.qualifier_sequences or () if present & key_rule.qualifiers <= set(s)),
        None,
    )
    if sequence is None:
        raise GS1Error(f"key qualifiers {sorted(present & key_rule.qualifiers)} cannot be combined")
    by_ai = dict(rest)
    qualifiers = tuple((ai, by_ai[ai]) for ai in sequence if ai in by_ai)
    attributes = engine_attribute_order(pair for pair in rest if pair[0] not in sequence)
    text = "".join(f"({ai}){value}" for ai, value in unique)
    # A stem given with a trailing slash is taken without it (as the GS1 Syntax Engine does).
    stem = stem[:-1] if stem.endswith("/") and not stem.endswith("://") else stem
    return _checked(text, _verify_stem(stem), key, qualifiers, attributes, tuple(extra_params))


def format_digital_link(link: DigitalLink) -> str:
    """Format ``link`` as a URI string: path escaping for path values, query escaping
    for query values; data attributes first, then extra parameters, in stored order."""
    path = "".join(
        f"/{ai}/{escape_path_component(value)}" for ai, value in (link.primary_key, *link.qualifiers)
    )
    query = [
        f"{escape_query_component(k)}={escape_query_component(v)}"
        for k, v in (*link.data_attributes, *link.extra_params)
    ]
    return link.stem + path + ("?" + "&".join(query) if query else "")


def canonical_link(link: DigitalLink, *, stem: str = DEFAULT_STEM, keep_extras: bool = False) -> DigitalLink:
    """The canonical form of ``link`` (see module docstring) as a value."""
    canonical = replace(
        link,
        stem=_verify_stem(stem),
        data_attributes=engine_attribute_order(link.data_attributes),
    )
    return canonical if keep_extras else canonical.without_extras()


def canonical_uri(uri: str, *, stem: str = DEFAULT_STEM, keep_extras: bool = False) -> str:
    """Parse ``uri`` and return its canonical text; raises as :func:`parse_digital_link`."""
    return format_digital_link(canonical_link(parse_digital_link(uri), stem=stem, keep_extras=keep_extras))
