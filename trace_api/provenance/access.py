"""Who may read which event: "one step back, one step forward" (EU 178/2002 art. 18, FSMA 204).

The single place where read rules live (README.md, "Who may read what"). Every reader of
event content asks this module: traces and recall impact (`trace.py`, `impact.py`), event
queries (`trace_api.query`), proof bundles with bodies (`trace_api.proofs`), and the
consumer page and equipment status (`custody_members`).

An enterprise reads an event when (`ReadScope.may_read`):

1. it recorded the event itself; or
2. the event *names* it in a `sourceList` or `destinationList` entry of any CBV type
   (`owning_party`, `possessing_party`, `location`): the supplier's shipment to it names it
   as destination, the customer's receipt from it names it as source; or
3. the event's `bizLocation` is one of its places (something happened on its premises).

"Names it" means a GLN (SGLN `/414/`, PGLN `/417/`) the enterprise registered, or a GLN
under one of its registered GS1 Company Prefixes (GLNs are allocated from the licensee's
prefix; the longest matching prefix wins, exactly as capture's write rule judges it).
`readPoint`, `bizTransactionList`, the objects and any other member never make an event
readable. The rule looks only at the event itself, which its recorder wrote: no
enterprise can make another party's event readable to itself by what it records.
Regulators and admins (`ReadScope.everything()`) read every event.

The consumer's rule is different (`custody_members`): it does not depend on who asks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text

from gs1 import DEFAULT_STEM
from gs1.keys import gln_of
from trace_api.auth.principal import Role
from trace_api.capture.authority import WriteAuthority, nested_prefixes
from trace_api.errors import NotAllowed
from trace_api.provenance.reader import EventFacts, SqlGraphReader

_LOCATION_STEM = DEFAULT_STEM + "/414/"  # SGLN / GLN of a place
_PARTY_STEM = DEFAULT_STEM + "/417/"  # PGLN of a party
_PLACE_STEMS = (_LOCATION_STEM, _PARTY_STEM)
_NAMING_RELATIONS = ("source:", "destination:")

SERVICE_STEPS = frozenset({"inspecting", "repairing"})
"""Equipment steps a custody member may engage another party for (`custody_members`)."""


@dataclass(frozen=True)
class Party:
    """An enterprise as events name it: its id (lower case) and what it speaks for — its
    registered GLNs and GS1 Company Prefixes, judged exactly as capture's write rule judges
    them (`trace_api.capture.authority.WriteAuthority`: longest prefix wins)."""

    enterprise_id: str
    authority: WriteAuthority = field(default_factory=lambda: WriteAuthority(company_prefixes=()))

    @classmethod
    def of(cls, enterprise_id: str, glns: Iterable[str] = (), prefixes: Iterable[str] = (),
           everyones_prefixes: Iterable[str] = ()) -> Party:
        own = tuple(p for p in prefixes if p)
        return cls(enterprise_id.lower(), WriteAuthority(
            company_prefixes=own, glns=frozenset(glns), nested_prefixes=nested_prefixes(own, everyones_prefixes)))

    @property
    def glns(self) -> frozenset[str]:
        return self.authority.glns

    @property
    def prefixes(self) -> tuple[str, ...]:
        return self.authority.company_prefixes

    def owns_gln(self, gln: str | None) -> bool:
        """True for a GLN the enterprise registered or one under its company prefixes."""
        return gln is not None and self.authority.owns_gln("414", gln)

    def owns_key(self, key_ai: str, key_value: str) -> bool:
        """True when the GS1 key lies under this enterprise's (longest matching) prefix."""
        return self.authority.owns_key(key_ai, key_value)

    def named_by(self, key: str | None) -> bool:
        """True when the location / party node `key` is one of this enterprise's."""
        return self.owns_gln(gln_of(key))


def naming_keys(event: EventFacts) -> Iterable[str]:
    """The node keys of the event's `sourceList` and `destinationList` entries."""
    return (target for relation, target in event.refs if relation.startswith(_NAMING_RELATIONS))


def names_party(event: EventFacts, party: Party) -> bool:
    """Rule 2 or 3 of the module docstring: the event names `party` or happens at its place."""
    return party.named_by(event.biz_location) or any(party.named_by(key) for key in naming_keys(event))


@dataclass(frozen=True)
class ReadScope:
    """What one caller may read. `party` None: everything (regulators and admins)."""

    party: Party | None = None

    @classmethod
    def everything(cls) -> ReadScope:
        return cls(None)

    @property
    def unrestricted(self) -> bool:
        return self.party is None

    @property
    def name(self) -> str:
        """`all` or `own-and-adjacent` (the `scope` member of a trace answer)."""
        return "all" if self.party is None else "own-and-adjacent"

    def is_own(self, enterprise_id: str) -> bool:
        """Rule 1: the caller recorded it (always true when unrestricted)."""
        return self.party is None or enterprise_id.lower() == self.party.enterprise_id

    def may_read(self, event: EventFacts) -> bool:
        """True when the caller may read `event` (module docstring, rules 1-3). Set lookups
        only: traces call this for every event they reach."""
        if self.is_own(event.enterprise_id):
            return True
        assert self.party is not None
        return names_party(event, self.party)

    def sql_prefilter(self, alias: str = "e") -> tuple[str, list[object]]:
        """A SQL condition over `api_events <alias>` true for every event `may_read` accepts
        (and possibly a few more: callers must apply `may_read` to what it returns), so a
        paged query needs no per-event round trip. ("1 = 1", []) when unrestricted."""
        party = self.party
        if party is None:
            return "1 = 1", []
        likes: list[str] = []
        params: list[object] = [party.enterprise_id]
        for digits in sorted(party.glns) + sorted(party.prefixes):  # digits only: no LIKE escapes
            for stem in _PLACE_STEMS:
                likes.append("p.biz_location LIKE ?")
                params.append(f"{stem}{digits}%")
                likes.append("p.refs LIKE ?")
                params.append(f'%"{stem}{digits}%')
        condition = f"LOWER({alias}.enterprise_id) = ?"
        if likes:
            condition = (f"({condition} OR EXISTS (SELECT 1 FROM api_prov_events p WHERE "
                         f"p.leaf_index = {alias}.leaf_index AND ({' OR '.join(likes)})))")
        return condition, params


_ALL_ENTERPRISES = text("SELECT enterprise_id, glns_json, prefixes_json FROM api_enterprises")


def _parties(engine: Engine) -> list[Party]:
    """Every registered enterprise (one query), prefixes nested in others' resolved."""
    with engine.connect() as connection:
        rows = [(str(r[0]), json.loads(r[1] or "[]"), json.loads(r[2] or "[]"))
                for r in connection.execute(_ALL_ENTERPRISES)]
    everyone = [prefix for _id, _glns, prefixes in rows for prefix in prefixes]
    return [Party.of(enterprise_id, glns, prefixes, everyone) for enterprise_id, glns, prefixes in rows]


def party_of(engine: Engine, enterprise_id: str) -> Party:
    """The enterprise's registered places (none if it is not registered here)."""
    wanted = enterprise_id.lower()
    return next((p for p in _parties(engine) if p.enterprise_id == wanted), Party.of(enterprise_id))


def scope_for(engine: Engine, principal: Any) -> ReadScope:
    """The read scope of an authenticated principal: everything for regulators and admins,
    own-and-adjacent for an enterprise. Raises `NoEnterpriseError` (NotAllowed) for an
    enterprise-role credential that names no enterprise."""
    if principal.role in (Role.REGULATOR, Role.ADMIN):
        return ReadScope.everything()
    if principal.enterprise_id is None:
        raise NoEnterpriseError()
    return ReadScope(party_of(engine, principal.enterprise_id))


class NoEnterpriseError(NotAllowed):
    """An enterprise-role credential without an enterprise: it may read nothing."""

    def __init__(self) -> None:
        super().__init__("forbidden", "Not allowed", "this credential names no enterprise")


# An event names a node as one of its objects (node events) or through a link it made: a
# commissioning event's ILMD lot (`member`), a transformation's hub, an aggregation's parent.
_NAMES_NODE = text(
    "SELECT 1 FROM api_prov_node_events n JOIN api_prov_events e ON e.leaf_index = n.leaf_index"
    " WHERE n.node = :node AND e.enterprise_id = :enterprise"
    " UNION ALL SELECT 1 FROM api_prov_links l JOIN api_prov_events e ON e.leaf_index = l.leaf_index"
    " WHERE l.dst = :node AND e.enterprise_id = :enterprise"
    " UNION ALL SELECT 1 FROM api_prov_links l JOIN api_prov_events e ON e.leaf_index = l.leaf_index"
    " WHERE l.src = :node AND e.enterprise_id = :enterprise"
    " LIMIT 1")


def enterprise_names_node(engine: Engine, enterprise_id: str | None, node_key: str) -> bool:
    """Whether one of `enterprise_id`'s own events names `node_key` (an enterprise traces
    only identifiers its own events name; the rest answer as if unknown)."""
    with engine.connect() as connection:
        found = connection.execute(_NAMES_NODE, {"node": node_key, "enterprise": enterprise_id})
        return found.first() is not None


def may_read_record(engine: Engine, principal: Any, leaf_index: int, enterprise_id: str) -> bool:
    """Whether `principal` (None: anonymous) may read the body of the record at `leaf_index`,
    recorded by `enterprise_id`; anonymous callers and keys naming no enterprise never."""
    if principal is None:
        return False
    try:
        scope = scope_for(engine, principal)
    except NoEnterpriseError:
        return False
    with engine.connect() as connection:
        return leaf_index in readable_leaves(connection, scope, [(leaf_index, enterprise_id)])


def readable_leaves(connection: Connection, scope: ReadScope, records: Sequence[tuple[int, str]]) -> set[int]:
    """Which records, given as (leaf index, recording enterprise), `scope` may read: own
    records at once, the others by one batched read of their graph event rows (a record
    without one names nobody, so only its recorder reads it)."""
    own = {leaf for leaf, enterprise_id in records if scope.is_own(enterprise_id)}
    others = [leaf for leaf, _enterprise_id in records if leaf not in own]
    if not others:
        return own
    facts = SqlGraphReader(connection).events(others)
    return own | {leaf for leaf, event in facts.items() if scope.may_read(event)}


# --- the consumer's custody chain ------------------------------------------------------


@dataclass(frozen=True)
class Directory:
    """Every registered enterprise's places, to say whose a GLN or a company prefix is."""

    parties: tuple[Party, ...] = field(default_factory=tuple)

    @classmethod
    def load(cls, engine: Engine) -> Directory:
        return cls(tuple(_parties(engine)))

    def owners_of_key(self, key_ai: str, key_value: str) -> set[str]:
        """Enterprises holding the GS1 Company Prefix of a key (normally exactly one)."""
        return {p.enterprise_id for p in self.parties if p.owns_key(key_ai, key_value)}

    def owners_of_place(self, key: str | None) -> set[str]:
        """Enterprises a location / party node key names."""
        gln = gln_of(key)
        return {p.enterprise_id for p in self.parties if p.owns_gln(gln)} if gln else set()


def _named(events: Iterable[EventFacts], relation: str, directory: Directory) -> dict[str, set[str]]:
    """recorder -> enterprises its events name in `relation` ("source:" / "destination:")."""
    named: dict[str, set[str]] = {}
    for event in events:
        for rel, target in event.refs:
            if rel.startswith(relation):
                named.setdefault(event.enterprise_id.lower(), set()).update(directory.owners_of_place(target))
    return named


def custody_members(events: Sequence[EventFacts], origin: set[str], directory: Directory, *,
                    service_steps: frozenset[str] = frozenset()) -> set[str]:
    """The enterprises of a product's documented custody chain among `events`.

    Starts from `origin` (the owners of the product key's company prefix) and adds, until
    nothing changes, every enterprise Y with a confirmed hand-off to or from a member X:
    an event by X names Y in its `destinationList` and an event by Y names X in its
    `sourceList` (either may be the member). Both sides must say it, so nobody joins a
    chain by naming a member alone. For equipment, `service_steps` (inspecting,
    repairing) also admit an enterprise that a member's own event names as source or
    destination: the member documented engaging it. Returns lower-case enterprise ids.
    """
    members = {member.lower() for member in origin}
    shipped_to = _named(events, "destination:", directory)
    received_from = _named(events, "source:", directory)
    changed = True
    while changed:
        changed = False
        for shipper, receivers in shipped_to.items():
            for receiver in receivers - {shipper}:
                confirmed = shipper in received_from.get(receiver, set())
                if confirmed and (shipper in members) != (receiver in members):
                    members |= {shipper, receiver}
                    changed = True
    if service_steps:
        engaged = set().union(*(shipped_to.get(m, set()) | received_from.get(m, set()) for m in members))
        members |= {e.enterprise_id.lower() for e in events
                    if e.biz_step in service_steps and e.enterprise_id.lower() in engaged}
    return members


def chain_events(events: Sequence[EventFacts], members: set[str]) -> list[EventFacts]:
    """The events recorded by custody members (what a consumer page may show)."""
    return [event for event in events if event.enterprise_id.lower() in members]



def custody_leaves(engine: Engine, key_ai: str, key_value: str, leaf_indexes: Sequence[int], *,
                   service_steps: frozenset[str] = frozenset()) -> set[int]:
    """Which of the events `leaf_indexes` (all naming the product or equipment `key_ai`,
    `key_value`) its documented custody chain recorded (`custody_members`, origin: the
    owners of the key's company prefix). One batched read of the event rows."""
    directory = Directory.load(engine)
    with engine.connect() as connection:
        facts = list(SqlGraphReader(connection).events(leaf_indexes).values())
    members = custody_members(facts, directory.owners_of_key(key_ai, key_value), directory,
                              service_steps=service_steps)
    return {event.leaf_index for event in chain_events(facts, members)}
