"""Every GS1 Application Identifier with its rules: GS1's syntax dictionary, parsed.

The entries are the GS1 Barcode Syntax Dictionary's, complete, generated into
``ai_dictionary.py`` by ``generate_ai_table.py`` (never edited by hand, never a subset);
this module parses them at import time. An AI missing from the dictionary does not
exist in GS1's system and is rejected with :class:`UnknownAIError`.

Notation (the dictionary's): AIs, flags (``*`` predefined length, no FNC1 separator
needed; ``?`` permitted as a Digital Link data attribute), specification (components
``N``/``X``/``Y``/``Z`` with fixed ``N14`` or variable ``X..20`` length, optional
``[...]`` components, linters after commas), attributes (``req=``, ``ex=``,
``dlpkey=``), title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from gs1.ai_dictionary import ENTRIES
from gs1.errors import UnknownAIError
from gs1.linters import LINTERS

ComponentKind = Literal["N", "X", "Y", "Z"]

# Linters whose checks are implemented in gs1.linters: all the dictionary names.
KNOWN_LINTERS = frozenset(LINTERS)


@dataclass(frozen=True)
class Component:
    """One component of an AI's data field, e.g. ``N13,csum`` or ``[X..17]``."""

    kind: ComponentKind
    min_length: int
    max_length: int
    optional: bool
    linters: tuple[str, ...]


@dataclass(frozen=True)
class AIRule:
    """Everything this package knows about one Application Identifier.

    ``requires``: each inner tuple is one ``req=`` attribute, a list of alternatives,
    each alternative a tuple of AIs (or ``n``-wildcard patterns) that must all be
    present. ``excludes``: AIs or patterns that must not appear with this AI.
    ``qualifier_sequences`` is None unless the AI is a Digital Link primary key.
    """

    ai: str
    title: str
    components: tuple[Component, ...]
    predefined_length: bool
    dl_data_attribute: bool
    requires: tuple[tuple[tuple[str, ...], ...], ...]
    excludes: tuple[str, ...]
    qualifier_sequences: tuple[tuple[str, ...], ...] | None

    @property
    def is_primary_key(self) -> bool:
        """True when the AI may start the path of a Digital Link URI."""
        return self.qualifier_sequences is not None

    @property
    def max_length(self) -> int:
        """Longest permitted value, in characters."""
        return sum(component.max_length for component in self.components)

    @property
    def qualifiers(self) -> frozenset[str]:
        """Every AI that may follow this primary key in a Digital Link path."""
        return frozenset(ai for seq in self.qualifier_sequences or () for ai in seq)


# "N13,csum", "[X..17]", and optional components with linters: "[N4],hhmi" (as the
# dictionary writes them) or "[N4,hhmi]".
_COMPONENT = re.compile(r"^(\[)?([NXYZ])(\d+|\.\.\d+)((?:,\w+)*)(\])?((?:,\w+)*)$")


def _parse_component(text: str) -> Component:
    match = _COMPONENT.match(text)
    if match is None or bool(match.group(1)) != bool(match.group(5)):
        raise AssertionError(f"bad component in AI table: {text}")
    if match.group(6) and not match.group(5):
        raise AssertionError(f"bad component in AI table: {text}")
    length = match.group(3)
    if length.startswith(".."):
        min_length, max_length = 1, int(length[2:])
    else:
        min_length = max_length = int(length)
    linters = tuple(name for name in (match.group(4) + match.group(6)).split(",") if name)
    assert set(linters) <= KNOWN_LINTERS, text
    kind: ComponentKind = match.group(2)  # type: ignore[assignment]
    return Component(kind, min_length, max_length, bool(match.group(1)), linters)


def _expand(ais: str) -> list[str]:
    if "-" not in ais:
        return [ais]
    first, last = ais.split("-")
    return [str(number).zfill(len(first)) for number in range(int(first), int(last) + 1)]


def _parse_line(line: str) -> list[AIRule]:
    body, _, title = line.partition("#")
    fields = body.split()
    ais = fields.pop(0)
    flags = fields.pop(0) if fields and not fields[0][0].isalnum() and fields[0][0] != "[" else ""
    components: list[Component] = []
    while fields and "=" not in fields[0] and fields[0] != "dlpkey":
        components.append(_parse_component(fields.pop(0)))
    requires: list[tuple[tuple[str, ...], ...]] = []
    excludes: list[str] = []
    sequences: tuple[tuple[str, ...], ...] | None = None
    for attribute in fields:
        key, _, value = attribute.partition("=")
        if key == "req":
            requires.append(tuple(tuple(alt.split("+")) for alt in value.split(",")))
        elif key == "ex":
            excludes.extend(value.split(","))
        elif key == "dlpkey":
            sequences = tuple(tuple(seq.split(",")) if seq else () for seq in value.split("|"))
            if not value:
                sequences = ((),)
        else:
            raise AssertionError(f"unknown attribute in AI table: {attribute}")
    return [
        AIRule(
            ai=ai,
            title=title.strip(),
            components=tuple(components),
            predefined_length="*" in flags,
            dl_data_attribute="?" in flags,
            requires=tuple(requires),
            excludes=tuple(excludes),
            qualifier_sequences=sequences,
        )
        for ai in _expand(ais)
    ]


@cache
def ai_rules() -> dict[str, AIRule]:
    """Return every AI's rule, keyed by AI string (e.g. ``"3103"``)."""
    rules: dict[str, AIRule] = {}
    for line in ENTRIES.strip().splitlines():
        for rule in _parse_line(line):
            rules[rule.ai] = rule
    return rules


def lookup_ai(ai: str) -> AIRule:
    """Return the rule for ``ai``; raise :class:`UnknownAIError` if GS1 defines no such AI."""
    rule = ai_rules().get(ai)
    if rule is None:
        raise UnknownAIError(ai)
    return rule


def is_supported_ai(ai: str) -> bool:
    """True when ``ai`` is an AI of the GS1 syntax dictionary."""
    return ai in ai_rules()


def matches_pattern(ai: str, pattern: str) -> bool:
    """True when ``ai`` matches a dictionary pattern such as ``310n`` or ``31nn`` (n = any digit)."""
    return len(ai) == len(pattern) and all(
        p == a or (p == "n" and a.isdigit()) for p, a in zip(pattern, ai)
    )

