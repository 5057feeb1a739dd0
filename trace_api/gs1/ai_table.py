"""The GS1 Application Identifiers TraceLedger supports, with their rules.

The rules are written here by hand from the GS1 General Specifications, in the
notation of the GS1 Barcode Syntax Dictionary (release 2026-01-27) so that each
line can be read against the standard; the shared copy of that dictionary is a
test oracle only (``tests/trace_api/gs1/test_ai_table.py``) and is never read at
run time. An AI missing here is rejected with :class:`UnknownAIError` — add its
line (and the test will hold it to the dictionary) rather than loosening a check.

Columns: AIs, flags (``*`` predefined length, no FNC1 separator needed;
``?`` permitted as a Digital Link data attribute), specification (components
``N``/``X``/``Y``/``Z`` with fixed ``N14`` or variable ``X..20`` length, optional
``[...]`` components, linters after commas), attributes (``req=``, ``ex=``,
``dlpkey=``), title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from trace_api.gs1.errors import UnknownAIError

ComponentKind = Literal["N", "X", "Y", "Z"]

# AI  flags  specification  attributes  # title   (GS1 Barcode Syntax Dictionary notation)
_TABLE = """
00         *?  N18,csum,gcppos2                  dlpkey                                   # SSCC
01         *?  N14,csum,gcppos2                  ex=255,37 dlpkey=22,10,21|235            # GTIN
02         *?  N14,csum,gcppos2                  ex=01,03 req=37                          # CONTENT
10          ?  X..20                             req=01,02,03,8006,8026                   # BATCH/LOT
11         *?  N6,yymmd0                         req=01,02,03,8006,8026                   # PROD DATE
13         *?  N6,yymmd0                         req=01,02,03,8006,8026                   # PACK DATE
15         *?  N6,yymmd0                         req=01,02,03,8006,8026                   # BEST BEFORE or BEST BY
16         *?  N6,yymmd0                         req=01,02,03,8006,8026                   # SELL BY
17         *?  N6,yymmd0                         req=01,02,03,255,8006,8026               # USE BY or EXPIRY
20         *?  N2                                req=01,02,8006,8026                      # VARIANT
21             X..20                             req=01,03,8006 ex=235                    # SERIAL
22             X..20                             req=01                                   # CPV
235            X..28                             req=01                                   # TPX
250         ?  X..30                             req=01,8006 req=21                       # SECONDARY SERIAL
253         ?  N13,csum,gcppos1 [X..17]          dlpkey                                   # GDTI
254            X..20                             req=414                                  # GLN EXTENSION COMPONENT
255         ?  N13,csum,gcppos1 [N..12]          dlpkey ex=01,02,415,8006,8020,8026       # GCN
30          ?  N..8                              req=01,02                                # VAR. COUNT
3100-3105  *?  N6                                req=01,02 ex=310n                        # NET WEIGHT (kg)
3290-3295  *?  N6                                req=01,02 ex=329n                        # HEIGHT (yd)
3300-3305  *?  N6                                req=00,01 ex=330n                        # GROSS WEIGHT (kg)
3330-3335  *?  N6                                req=00,01 ex=333n                        # HEIGHT (m), log
3500-3505  *?  N6                                req=01,02 ex=350n                        # AREA (in²)
3570-3575  *?  N6                                req=01,02 ex=357n                        # NET VOLUME (oz)
3690-3695  *?  N6                                req=00,01 ex=369n                        # VOLUME (yd³), log
37          ?  N..8                              req=00 req=02,8026                       # COUNT
3920-3929   ?  N..15                             req=01 req=30,31nn,32nn,35nn,36nn ex=392n,393n  # PRICE
3940-3943   ?  N4                                req=255 ex=394n,8111                     # PRCNT OFF
400         ?  X..30                                                                      # ORDER NUMBER
401         ?  X..30,gcppos1                     dlpkey                                   # GINC
402         ?  N17,csum,gcppos1                  dlpkey                                   # GSIN
414        *?  N13,csum,gcppos1                  dlpkey=254|7040                          # LOC No.
417        *?  N13,csum,gcppos1                  dlpkey=7040                              # PARTY
7003        ?  N6,yymmdd N4,hhmi                 req=01,02                                # EXPIRY TIME
7040           N1 X1 X1 X1,importeridx                                                       # UIC+EXT
8003        ?  N1,zero N13,csum,gcppos1 [X..16]  dlpkey                                   # GRAI
8004        ?  X..30,gcppos1                     dlpkey=7040                              # GIAI
8006        ?  N14,csum,gcppos2 N4,pieceoftotal  ex=01,37 dlpkey=22,10,21                    # ITIP
8010        ?  Y..30,gcppos1                     dlpkey=8011                              # CPID
8011           N..12,nozeroprefix                req=8010                                 # CPID SERIAL
8013        ?  X..25,csumalpha,gcppos1           dlpkey                                   # GMN
8017        ?  N18,csum,gcppos1                  ex=8018 dlpkey=8019                      # GSRN - PROVIDER
8018        ?  N18,csum,gcppos1                  ex=8017 dlpkey=8019                      # GSRN - RECIPIENT
8019           N..10                             req=8017,8018                            # SRIN
8030        ?  Z..90                             req=00,01+21,253,255,8003,8004,8006+21,8010+8011,8017,8018  # DIGSIG
8111        ?  N4                                req=255                                  # POINTS
90          ?  X..30                                                                      # INTERNAL
91-99       ?  X..90                                                                      # INTERNAL
"""

# Linters whose checks are implemented in trace_api.gs1.ai_values; of "gcppos1"/"gcppos2"
# (GS1 Company Prefix position checks) only the minimum length is checked: the rest needs
# GS1's prefix allocation table, which the syntax engine also does without by default.
KNOWN_LINTERS = frozenset({"csum", "csumalpha", "gcppos1", "gcppos2", "yymmd0", "yymmdd", "hhmi",
                           "zero", "importeridx", "pieceoftotal", "nozeroprefix"})


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


_COMPONENT = re.compile(r"^(\[)?([NXYZ])(\d+|\.\.\d+)((?:,\w+)*)(\])?$")


def _parse_component(text: str) -> Component:
    match = _COMPONENT.match(text)
    if match is None or bool(match.group(1)) != bool(match.group(5)):
        raise AssertionError(f"bad component in AI table: {text}")
    length = match.group(3)
    if length.startswith(".."):
        min_length, max_length = 1, int(length[2:])
    else:
        min_length = max_length = int(length)
    linters = tuple(name for name in match.group(4).split(",") if name)
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
    flags = fields.pop(0) if fields and set(fields[0]) <= {"*", "?"} else ""
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
    """Return every supported AI's rule, keyed by AI string (e.g. ``"3103"``)."""
    rules: dict[str, AIRule] = {}
    for line in _TABLE.strip().splitlines():
        for rule in _parse_line(line):
            rules[rule.ai] = rule
    return rules


def lookup_ai(ai: str) -> AIRule:
    """Return the rule for ``ai``; raise :class:`UnknownAIError` if it is not supported."""
    rule = ai_rules().get(ai)
    if rule is None:
        raise UnknownAIError(ai)
    return rule


def is_supported_ai(ai: str) -> bool:
    """True when ``ai`` is in this package's AI table."""
    return ai in ai_rules()


def primary_keys() -> frozenset[str]:
    """The supported AIs that can be Digital Link primary keys."""
    return frozenset(ai for ai, rule in ai_rules().items() if rule.is_primary_key)


def matches_pattern(ai: str, pattern: str) -> bool:
    """True when ``ai`` matches a dictionary pattern such as ``310n`` or ``31nn`` (n = any digit)."""
    return len(ai) == len(pattern) and all(
        p == a or (p == "n" and a.isdigit()) for p, a in zip(pattern, ai)
    )

