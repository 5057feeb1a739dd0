"""EPCIS 2.0 query parameters (REST binding, `GET /events`) parsed into SQL conditions.

Values of list parameters are pipe-delimited (`EQ_bizStep=shipping|receiving`, the
binding's `style: pipeDelimited`), and a list matches if any value matches. `MATCH_*`
values are URIs or patterns: a trailing `*` matches any suffix, and EPC pure-identity
patterns (`urn:epc:idpat:sgtin:0614141.107346.*`, EPC TDS §8) match the EPCs they denote;
a `*` anywhere but in trailing position is refused. Every problem is a 400 naming the
parameter. Unknown parameters are refused too (EPCIS 2.0 §8.2.7: QueryParameterException).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from trace_api.errors import InvalidInput
from trace_api.records.columns import canonical_cbv, parse_time_ms
from trace_api.records.models import EPCS_TABLE

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
"""A page of full event bodies stays a few MB at most."""
MAX_VALUES = 100
"""Values per list parameter: keeps every statement well under SQLite's bound-parameter limit."""

_ALL_EPC_ROLES = ("epc", "child", "parent", "input", "output")
_ALL_CLASS_ROLES = ("epcClass", "childClass", "inputClass", "outputClass")
MATCH_ROLES: Mapping[str, tuple[str, ...]] = {
    # EPCIS 2.0 §8.2.7.1: which event members each MATCH_ parameter looks at
    "MATCH_epc": ("epc", "child"),
    "MATCH_parentID": ("parent",),
    "MATCH_inputEPC": ("input",),
    "MATCH_outputEPC": ("output",),
    "MATCH_anyEPC": _ALL_EPC_ROLES,
    "MATCH_epcClass": ("epcClass", "childClass"),
    "MATCH_inputEPCClass": ("inputClass",),
    "MATCH_outputEPCClass": ("outputClass",),
    "MATCH_anyEPCClass": _ALL_CLASS_ROLES,
}
EQ_COLUMNS = {
    "EQ_bizStep": "biz_step",
    "EQ_disposition": "disposition",
    "EQ_action": "action",
    "EQ_bizLocation": "biz_location",
    "EQ_readPoint": "read_point",
    "eventType": "event_type",
}
TIME_BOUNDS = {
    "GE_eventTime": ("event_time_ms", ">="),
    "LT_eventTime": ("event_time_ms", "<"),
    "GE_recordTime": ("received_at_ms", ">="),
    "LT_recordTime": ("received_at_ms", "<"),
}
_ACTIONS = frozenset({"ADD", "OBSERVE", "DELETE"})
PAGING = ("perPage", "nextPageToken")
KNOWN = frozenset((*MATCH_ROLES, *EQ_COLUMNS, *TIME_BOUNDS, *PAGING))

_IDPAT = "urn:epc:idpat:"
_ID = "urn:epc:id:"


@dataclass(frozen=True)
class EventQuery:
    """A parsed query: SQL conditions over `api_events e` with their parameters, the page
    size, the raw page token, and a fingerprint of the filter (binds tokens to it)."""

    conditions: tuple[str, ...] = ()
    params: tuple[object, ...] = ()
    per_page: int = DEFAULT_PER_PAGE
    page_token: str | None = None
    fingerprint: bytes = field(default=b"", repr=False)


def invalid_parameter(name: str, detail: str) -> InvalidInput:
    """400 naming the query parameter."""
    return InvalidInput("invalid-query-parameter", "Invalid query parameter",
                   f"{name}: {detail}", extensions={"parameter": name})


def parse_event_query(items: Sequence[tuple[str, str]]) -> EventQuery:
    """Parse the query string items (name, value) of `GET /v1/events`; InvalidInput if bad."""
    seen: dict[str, str] = {}
    for name, value in items:
        if name not in KNOWN:
            raise invalid_parameter(name, "unknown or unsupported query parameter")
        if name in seen:
            raise invalid_parameter(name, "given more than once; separate values with |")
        if "\x00" in value:
            raise invalid_parameter(name, "contains a NUL character")
        seen[name] = value
    conditions: list[str] = []
    params: list[object] = []
    for name, value in seen.items():
        if name in TIME_BOUNDS:
            column, operator = TIME_BOUNDS[name]
            conditions.append(f"e.{column} {operator} ?")
            params.append(_time(name, value))
        elif name in EQ_COLUMNS:
            values = _equal_values(name, value)
            conditions.append(f"e.{EQ_COLUMNS[name]} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
        elif name in MATCH_ROLES:
            condition, condition_params = _match(name, value)
            conditions.append(condition)
            params.extend(condition_params)
    filters = sorted((name, value) for name, value in seen.items() if name not in PAGING)
    fingerprint = hashlib.sha256(repr(filters).encode("utf-8")).digest()[:16]
    return EventQuery(tuple(conditions), tuple(params), _per_page(seen.get("perPage")),
                      seen.get("nextPageToken"), fingerprint)


def _values(name: str, value: str) -> list[str]:
    values = value.split("|")
    if any(not item for item in values):
        raise invalid_parameter(name, "empty value")
    if len(values) > MAX_VALUES:
        raise invalid_parameter(name, f"more than {MAX_VALUES} values")
    return values


def _time(name: str, value: str) -> int:
    try:
        return parse_time_ms(value)
    except ValueError:
        raise invalid_parameter(
            name, f"{value!r} is not an RFC 3339 date-time with offset, "
            "e.g. 2026-11-26T08:00:00Z") from None


def _equal_values(name: str, value: str) -> list[str]:
    values = _values(name, value)
    if name == "EQ_bizStep":
        return [str(canonical_cbv(item, "BizStep")) for item in values]
    if name == "EQ_disposition":
        return [str(canonical_cbv(item, "Disp")) for item in values]
    if name == "EQ_action":
        bad = [item for item in values if item not in _ACTIONS]
        if bad:
            raise invalid_parameter(name, f"{bad[0]!r} is not ADD, OBSERVE or DELETE")
    return values


def _match(name: str, value: str) -> tuple[str, list[object]]:
    exact: list[str] = []
    prefixes: list[str] = []
    for item in _values(name, value):
        pattern = _pattern(name, item)
        (prefixes if pattern.endswith("*") else exact).append(pattern.removesuffix("*"))
    roles = MATCH_ROLES[name]
    alternatives: list[str] = []
    params: list[object] = list(roles)
    if exact:
        alternatives.append(f"x.epc IN ({', '.join('?' for _ in exact)})")
        params.extend(exact)
    for prefix in prefixes:
        # substr(...) = prefix: case-sensitive on both SQLite and PostgreSQL, unlike LIKE
        alternatives.append("substr(x.epc, 1, ?) = ?")
        params.extend((len(prefix), prefix))
    condition = (
        f"e.leaf_index IN (SELECT x.leaf_index FROM {EPCS_TABLE} x WHERE x.role IN "
        f"({', '.join('?' for _ in roles)}) AND ({' OR '.join(alternatives)}))"
    )
    return condition, params


def _pattern(name: str, item: str) -> str:
    """A URI (exact) or a prefix pattern ending in `*` for one MATCH_ value."""
    if item.startswith(_IDPAT):
        scheme, _, body = item[len(_IDPAT):].partition(":")
        components = body.split(".")
        if not scheme or not body:
            raise invalid_parameter(name, f"{item!r} is not an EPC pure identity pattern")
        fixed = components
        while fixed and fixed[-1] == "*":
            fixed = fixed[:-1]
        if any("*" in component for component in fixed):
            raise invalid_parameter(name, f"{item!r}: only trailing * components are supported")
        base = f"{_ID}{scheme}:" + ".".join(fixed)
        if len(fixed) == len(components):
            return base
        return base + ("." if fixed else "") + "*"
    if "*" in item[:-1]:
        raise invalid_parameter(name, f"{item!r}: * is only allowed at the end")
    if item == "*":
        raise invalid_parameter(name, "a pattern needs a fixed prefix before *")
    return item


def _per_page(value: str | None) -> int:
    if value is None:
        return DEFAULT_PER_PAGE
    # Length first: int() of a 10,000-digit string raises (CPython's 4,300-digit limit).
    if (not value.isascii() or not value.isdigit() or len(value) > len(str(MAX_PER_PAGE))
            or not 1 <= int(value) <= MAX_PER_PAGE):
        raise invalid_parameter("perPage", f"must be an integer from 1 to {MAX_PER_PAGE}")
    return int(value)
