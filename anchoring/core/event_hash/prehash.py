"""The pre-hash string of one EPCIS 2.0 JSON event (CBV 2.0 §8.9.2).

The event is read field by field in the canonical order of CBV 2.0 §8.9.2,
each field written as ``name=value`` (lists as the list name followed by
their sorted elements), then everything else — ILMD, business transaction,
source and destination lists, user extensions — as a lexically sorted tail.
Nothing is joined with a separator. Fields that do not identify the event
(eventID, recordTime, errorDeclaration, comments) are left out.

This is the reading every conformant implementation must share: changing it
changes event hashes, which is why it lives in ``anchoring.core``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Final

from anchoring.core.errors import MalformedEventError, TooManyUserExtensionsError
from anchoring.core.event_hash.canonical_values import (
    canonical_timestamp,
    canonical_value,
    check_time_zone_offset,
    format_json_scalar,
)
from anchoring.core.event_hash.namespaces import Namespaces
from anchoring.core.event_hash.terms import (
    ACTIONS,
    BIZ_STEP_URIS,
    BIZ_TRANSACTION_TYPE_URIS,
    DISPOSITION_URIS,
    EVENT_TYPES,
    MEASUREMENT_TYPE_URIS,
    RDFS,
    SENSOR_ALERT_TYPE_URIS,
    SENSOR_COMPONENT_URIS,
    SOURCE_DESTINATION_TYPE_URIS,
)

# User extensions may nest, but a hash must be computable in bounded time and stack:
# deeper or larger extension trees than any real trace record are refused.
MAX_USER_EXTENSION_DEPTH: Final = 16
MAX_USER_EXTENSION_ELEMENTS: Final = 10_000

# Not part of the event's identity (CBV 2.0 §8.9.2): the ID the hash may become, the
# time a repository stored the event, error declarations, JSON-LD bookkeeping.
_IGNORED_EVENT_FIELDS: Final = frozenset(
    {"type", "eventID", "recordTime", "errorDeclaration", "@context", "#text"}
)
_COMMENT_FIELDS: Final = frozenset({"comment", "rdfs:comment", "{" + RDFS + "}comment", "#text"})

Vocabulary = Mapping[str, str]

_SCALAR_TYPES: Final = frozenset({str, int, float, bool})


def _is_object(value: object) -> bool:
    """JSON object test; the exact-type check first because ABC checks are slow."""
    return type(value) is dict or isinstance(value, Mapping)


class _Walk:
    """State of one pre-hash computation: prefixes in force and extension budget."""

    __slots__ = ("extension_elements", "namespaces")

    def __init__(self, namespaces: Namespaces) -> None:
        self.namespaces = namespaces
        self.extension_elements = 0

    def text(self, value: object, field: str, vocabulary: Vocabulary | None = None) -> str:
        """Canonical text of a scalar field value ('' when it is blank)."""
        if type(value) is str:
            text = value.strip()
        else:
            text = format_json_scalar(value, field).strip()
        if vocabulary is not None:
            uri = vocabulary.get(text)
            if uri is not None:
                return uri
        if ":" in text:
            text = self.namespaces.expand_value(text)
        return canonical_value(text) if text else text


# --- renderers of the fields in canonical order --------------------------------------------
# Each takes (field name, JSON value, walk, path) and returns its pre-hash piece ('' if none).

Renderer = Callable[[str, object, _Walk, str], str]


def _scalar(vocabulary: Vocabulary | None = None) -> Renderer:
    def render(name: str, value: object, walk: _Walk, path: str) -> str:
        _require_scalar(value, path)
        text = walk.text(value, path, vocabulary)
        return f"{name}={text}" if text else ""

    return render


def _timestamp(name: str, value: object, walk: _Walk, path: str) -> str:
    if not isinstance(value, str):
        raise MalformedEventError("a timestamp must be a string", field=path)
    try:
        return f"{name}={canonical_timestamp(value.strip())}"
    except MalformedEventError as exc:
        raise MalformedEventError(str(exc), field=path) from exc


def _time_zone_offset(name: str, value: object, walk: _Walk, path: str) -> str:
    if not isinstance(value, str):
        raise MalformedEventError("must be a string ±hh:mm", field=path)
    return f"{name}={check_time_zone_offset(value.strip())}"


def _action(name: str, value: object, walk: _Walk, path: str) -> str:
    if not isinstance(value, str) or value not in ACTIONS:
        raise MalformedEventError(f"must be one of {sorted(ACTIONS)}, got {value!r}", field=path)
    return f"{name}={value}"


def _repeated(vocabulary: Vocabulary | None = None) -> Renderer:
    """A field that holds one value or an array of values (e.g. certificationInfo)."""

    def render(name: str, value: object, walk: _Walk, path: str) -> str:
        items = value if isinstance(value, list) else [value]
        pieces = []
        for index, item in enumerate(items):
            _require_scalar(item, f"{path}[{index}]")
            text = walk.text(item, f"{path}[{index}]", vocabulary)
            if text:
                pieces.append(f"{name}={text}")
        pieces.sort()
        return "".join(pieces)

    return render


def _id_list(name: str, value: object, walk: _Walk, path: str) -> str:
    """epcList, childEPCs, inputEPCList, outputEPCList: ``name`` + sorted ``epc=…``."""
    items = _require_list(value, path)
    pieces = []
    for index, item in enumerate(items):
        _require_scalar(item, f"{path}[{index}]")
        text = walk.text(item, f"{path}[{index}]")
        if text:
            pieces.append("epc=" + text)
    if not pieces:
        return ""
    pieces.sort()
    return name + "".join(pieces)


def _structure(fields: tuple[tuple[str, Renderer], ...]) -> Callable[[object, _Walk, str], str]:
    """Body of a JSON object with known members in order, then its sorted user extensions."""
    known = {member for member, _ in fields}

    def render_body(value: object, walk: _Walk, path: str) -> str:
        if not _is_object(value):
            raise MalformedEventError("must be a JSON object", field=path)
        assert isinstance(value, Mapping)
        pieces = []
        for member, render in fields:
            if member in value:
                pieces.append(render(member, value[member], walk, f"{path}.{member}"))
        extensions = _extensions(value, known, walk, path, depth=1)
        return "".join(pieces) + "".join(extensions)

    return render_body


def _named_structure(body: Callable[[object, _Walk, str], str]) -> Renderer:
    def render(name: str, value: object, walk: _Walk, path: str) -> str:
        text = body(value, walk, path)
        return name + text if text else ""

    return render


def _list_of(element_name: str, body: Callable[[object, _Walk, str], str]) -> Renderer:
    """A list of objects: ``name`` + sorted ``element_name`` + body of each."""

    def render(name: str, value: object, walk: _Walk, path: str) -> str:
        pieces = []
        for index, item in enumerate(_require_list(value, path)):
            text = body(item, walk, f"{path}[{index}]")
            if text:
                pieces.append(element_name + text)
        if not pieces:
            return ""
        pieces.sort()
        return name + "".join(pieces)

    return render


def _repeated_structure(body: Callable[[object, _Walk, str], str]) -> Renderer:
    """A member holding one object or an array of them, each written as ``name`` + body."""

    def render(name: str, value: object, walk: _Walk, path: str) -> str:
        items = value if isinstance(value, list) else [value]
        pieces = []
        for index, item in enumerate(items):
            text = body(item, walk, f"{path}[{index}]")
            if text:
                pieces.append(name + text)
        pieces.sort()
        return "".join(pieces)

    return render


# CBV 2.0 §8.9.2: quantity elements — epcClass, quantity, uom.
_QUANTITY_ELEMENT: Final = _structure(
    (("epcClass", _scalar()), ("quantity", _scalar()), ("uom", _scalar()))
)
_QUANTITY_LIST: Final = _list_of("quantityElement", _QUANTITY_ELEMENT)
_LOCATION: Final = _named_structure(_structure((("id", _scalar()),)))
_PERSISTENT_DISPOSITION: Final = _named_structure(
    _structure((("set", _repeated(DISPOSITION_URIS)), ("unset", _repeated(DISPOSITION_URIS))))
)
# CBV 2.0 §8.9.2 (sensor data): sensorMetadata and sensorReport attributes in order.
_SENSOR_METADATA: Final = _structure(
    (
        ("time", _timestamp), ("startTime", _timestamp), ("endTime", _timestamp),
        ("deviceID", _scalar()), ("deviceMetadata", _scalar()), ("rawData", _scalar()),
        ("dataProcessingMethod", _scalar()), ("bizRules", _scalar()),
    )
)
_SENSOR_REPORT: Final = _structure(
    (
        ("type", _scalar(MEASUREMENT_TYPE_URIS)), ("exception", _scalar(SENSOR_ALERT_TYPE_URIS)),
        ("deviceID", _scalar()), ("deviceMetadata", _scalar()), ("rawData", _scalar()),
        ("dataProcessingMethod", _scalar()), ("time", _timestamp),
        ("microorganism", _scalar()), ("chemicalSubstance", _scalar()), ("value", _scalar()),
        ("component", _scalar(SENSOR_COMPONENT_URIS)), ("stringValue", _scalar()),
        ("booleanValue", _scalar()), ("hexBinaryValue", _scalar()), ("uriValue", _scalar()),
        ("minValue", _scalar()), ("maxValue", _scalar()), ("meanValue", _scalar()),
        ("sDev", _scalar()), ("percRank", _scalar()), ("percValue", _scalar()),
        ("uom", _scalar()), ("coordinateReferenceSystem", _scalar()),
    )
)
_SENSOR_ELEMENT: Final = _structure(
    (
        ("sensorMetadata", _named_structure(_SENSOR_METADATA)),
        ("sensorReport", _repeated_structure(_SENSOR_REPORT)),
    )
)

# CBV 2.0 §8.9.2 canonical property order (the position is the index).
_ORDERED_FIELDS: Final[tuple[tuple[str, Renderer], ...]] = (
    ("eventTime", _timestamp),
    ("eventTimeZoneOffset", _time_zone_offset),
    ("certificationInfo", _repeated()),
    ("parentID", _scalar()),
    ("epcList", _id_list),
    ("inputEPCList", _id_list),
    ("childEPCs", _id_list),
    ("quantityList", _QUANTITY_LIST),
    ("childQuantityList", _QUANTITY_LIST),
    ("inputQuantityList", _QUANTITY_LIST),
    ("outputEPCList", _id_list),
    ("outputQuantityList", _QUANTITY_LIST),
    ("action", _action),
    ("transformationID", _scalar()),
    ("bizStep", _scalar(BIZ_STEP_URIS)),
    ("disposition", _scalar(DISPOSITION_URIS)),
    ("persistentDisposition", _PERSISTENT_DISPOSITION),
    ("readPoint", _LOCATION),
    ("bizLocation", _LOCATION),
    ("sensorElementList", _list_of("sensorElement", _SENSOR_ELEMENT)),
)
_ORDER: Final = {name: (position, render) for position, (name, render) in enumerate(_ORDERED_FIELDS)}


def _typed_list(value_member: str, types: Vocabulary) -> Renderer:
    """bizTransactionList / sourceList / destinationList: sorted ``type=…<member>=…`` pairs."""
    known = frozenset({"type", value_member})

    def render(name: str, value: object, walk: _Walk, path: str) -> str:
        pieces = []
        for index, item in enumerate(_require_list(value, path)):
            item_path = f"{path}[{index}]"
            if not _is_object(item):
                raise MalformedEventError("must be a JSON object", field=item_path)
            assert isinstance(item, Mapping)
            if value_member not in item:
                raise MalformedEventError(f"missing {value_member!r}", field=item_path)
            piece = ""
            if "type" in item:
                _require_scalar(item["type"], item_path + ".type")
                type_text = walk.text(item["type"], item_path + ".type", types)
                if type_text:
                    piece = "type=" + type_text
            _require_scalar(item[value_member], f"{item_path}.{value_member}")
            text = walk.text(item[value_member], f"{item_path}.{value_member}")
            if text:
                piece += f"{value_member}={text}"
            piece += "".join(_extensions(item, known, walk, item_path, depth=1))
            if piece:
                pieces.append(piece)
        if not pieces:
            return ""
        pieces.sort()
        return name + "".join(pieces)

    return render


# Standard members that CBV 2.0 §8.9.2 places in the sorted tail, with the extensions.
_TAIL_FIELDS: Final[Mapping[str, Renderer]] = {
    "bizTransactionList": _typed_list("bizTransaction", BIZ_TRANSACTION_TYPE_URIS),
    "sourceList": _typed_list("source", SOURCE_DESTINATION_TYPE_URIS),
    "destinationList": _typed_list("destination", SOURCE_DESTINATION_TYPE_URIS),
}


# --- user extensions and ILMD ---------------------------------------------------------------


def _extensions(
    obj: Mapping[object, object], known: Collection[str], walk: _Walk, path: str, depth: int
) -> list[str]:
    """Sorted pre-hash pieces of the members of ``obj`` that are not in ``known``."""
    pieces: list[str] = []
    for key, value in obj.items():
        if key in known or key in _COMMENT_FIELDS:
            continue
        if not isinstance(key, str):
            raise MalformedEventError("member names must be strings", field=path)
        pieces.extend(_generic(walk.namespaces.expand_key(key), value, walk, f"{path}.{key}", depth))
    pieces.sort()
    return pieces


def _generic(name: str, value: object, walk: _Walk, path: str, depth: int) -> list[str]:
    """Pieces of an ILMD element or user extension ``name`` (CBV 2.0 §8.9.2, extensions).

    Objects become ``name`` + their sorted members, arrays repeat ``name`` once per
    element, scalars become ``name=value``. As in the EPCIS XML binding, an element
    whose name ends in ``List`` holds its items under the name without ``List``.
    """
    if depth > MAX_USER_EXTENSION_DEPTH:
        raise TooManyUserExtensionsError(
            f"{path}: user extensions nest deeper than {MAX_USER_EXTENSION_DEPTH} levels"
        )
    walk.extension_elements += 1
    if walk.extension_elements > MAX_USER_EXTENSION_ELEMENTS:
        raise TooManyUserExtensionsError(
            f"{path}: more than {MAX_USER_EXTENSION_ELEMENTS} user extension elements"
        )
    if name.endswith("List"):
        items = value if isinstance(value, list) else [value]
        inner: list[str] = []
        for index, item in enumerate(items):
            inner.extend(_generic_item(name[:-4], item, walk, f"{path}[{index}]", depth))
        if not inner:
            return []
        inner.sort()
        return [name + "".join(inner)]
    if isinstance(value, list):
        pieces: list[str] = []
        for index, item in enumerate(value):
            pieces.extend(_generic_item(name, item, walk, f"{path}[{index}]", depth))
        return pieces
    return _generic_item(name, value, walk, path, depth)


def _generic_item(name: str, value: object, walk: _Walk, path: str, depth: int) -> list[str]:
    if _is_object(value):
        assert isinstance(value, Mapping)
        return [name + "".join(_extensions(value, (), walk, path, depth + 1))]
    if isinstance(value, list):
        return _generic(name, value, walk, path, depth + 1)
    if value is None:
        raise MalformedEventError("null is not a value", field=path)
    text = walk.text(value, path)
    return [f"{name}={text}" if text else name]


# --- the event -------------------------------------------------------------------------------


def compute_prehash(
    event: object, namespaces: Namespaces, ignore_fields: Collection[str] = ()
) -> str:
    """The CBV 2.0 §8.9.2 pre-hash string of ``event`` (a JSON object as parsed).

    ``ignore_fields`` names further top-level members to leave out (compact or
    ``{namespace}local`` form), e.g. repository bookkeeping a document declares
    in ``ignoreFields``. Raises MalformedEventError (or TooManyUserExtensionsError).
    """
    if not isinstance(event, Mapping):
        raise MalformedEventError(f"an EPCIS event must be a JSON object, got {type(event).__name__}")
    event_type = event.get("type")
    if event_type is None:
        raise MalformedEventError("missing", field="type")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        raise MalformedEventError(
            f"unknown EPCIS event type {event_type!r}; expected one of {sorted(EVENT_TYPES)}",
            field="type",
        )
    if "eventTime" not in event:
        raise MalformedEventError("missing", field="eventTime")

    walk = _Walk(namespaces)
    ordered: list[tuple[int, str]] = []
    tail: list[str] = []
    for key, value in event.items():
        order = _ORDER.get(key)
        if order is not None:
            position, render = order
            piece = render(key, value, walk, key)
            if piece:
                ordered.append((position, piece))
            continue
        if key in _IGNORED_EVENT_FIELDS or key in _COMMENT_FIELDS:
            continue
        if not isinstance(key, str):
            raise MalformedEventError("member names must be strings")
        tail_render = _TAIL_FIELDS.get(key)
        if tail_render is not None:
            piece = tail_render(key, value, walk, key)
            if piece:
                tail.append(piece)
            continue
        expanded = namespaces.expand_key(key)
        if ignore_fields and (key in ignore_fields or expanded in ignore_fields):
            continue
        tail.extend(_generic(expanded, value, walk, key, depth=1))
    ordered.sort()
    tail.sort()
    return "eventType=" + event_type + "".join(piece for _, piece in ordered) + "".join(tail)


def _require_scalar(value: object, path: str) -> None:
    if type(value) in _SCALAR_TYPES:
        return
    if isinstance(value, (Mapping, list)) or value is None:
        kind = "null" if value is None else type(value).__name__
        raise MalformedEventError(f"expected a single value, got {kind}", field=path)


def _require_list(value: object, path: str) -> list[object]:
    if not isinstance(value, list):
        raise MalformedEventError(f"expected an array, got {type(value).__name__}", field=path)
    return value
