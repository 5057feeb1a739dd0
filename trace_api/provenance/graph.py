"""Walking the provenance graph: a bounded breadth-first search by frontier.

Pure graph logic over a `GraphReader` (batched SQL reads, `reader.py`), so the same walk
serves `/v1/trace`, recall impact, the audit helper and the benchmark.

Walk rules (README.md explains why):

- lineage links (`input`: input -> T, `output`: T -> output) are followed downstream when
  tracing forward and upstream when tracing backward; transformation nodes T are free
  (they add no depth), so depth counts identifier hops;
- containment links (`contains` child -> parent, `member` item -> lot) are followed up
  (child to parent) in both directions: a carton travels and was stored with its pallet;
  down (parent to children) only from a node not itself reached going up, so a trace of
  one carton never spreads to the other cartons on its pallet, while a pallet, a lot or a
  trace's start reach everything inside them;
- a node is expanded at most twice (once "up-only", once "full"): cycles cannot loop;
- `at` (ms) ignores links made by events after it; `max_depth` and `max_nodes` bound the
  walk and the result says whether and why it was cut.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from gs1.keys import TRANSFORMATION_PREFIX

BACKWARD = "backward"
FORWARD = "forward"
BOTH = "both"
DIRECTIONS = (BACKWARD, FORWARD, BOTH)

CONTAINMENT = frozenset({"contains", "member"})
LINEAGE = frozenset({"input", "output"})

_FULL = 2  # may go down into children
_UP = 1  # reached going up: may only go up or along lineage


class Link(NamedTuple):
    """A graph edge as stored: `src -> dst` by event `leaf_index` (a tuple: traces make
    tens of thousands of these, and tuples are the cheapest hashable value)."""

    src: str
    dst: str
    relation: str
    leaf_index: int
    event_time_ms: int
    quantity: float | None = None
    uom: str | None = None


class GraphReader(Protocol):
    """Batched reads of `api_prov_links` (one call per frontier, not per node)."""

    def links_from(self, nodes: Sequence[str], at_ms: int | None,
                   relations: frozenset[str] | None = None) -> list[Link]:
        """Links whose `src` is one of `nodes` (made at or before `at_ms`, of `relations`, if given)."""
        ...

    def links_to(self, nodes: Sequence[str], at_ms: int | None,
                 relations: frozenset[str] | None = None) -> list[Link]:
        """Links whose `dst` is one of `nodes` (made at or before `at_ms`, of `relations`, if given)."""
        ...


@dataclass
class Walk:
    """The outcome of one walk: node depths, traversed links, and why it stopped early."""

    depths: dict[str, int]
    links: set[Link]
    truncated: bool = False
    truncation_reason: str | None = None


def is_transformation(key: str) -> bool:
    return key.startswith(TRANSFORMATION_PREFIX)


def _steps(link: Link, from_src: bool, mode: int, direction: str) -> int | None:
    """The mode in which following `link` reaches its other end, or None if not followed."""
    if link.relation in CONTAINMENT:
        if from_src:
            return _UP  # child -> parent
        return _FULL if mode == _FULL else None  # parent -> child
    if link.relation in LINEAGE:
        if direction == FORWARD and from_src:
            return _FULL
        if direction == BACKWARD and not from_src:
            return _FULL
    return None


def walk(reader: GraphReader, starts: Sequence[str], direction: str, *, max_depth: int,
         max_nodes: int, at_ms: int | None = None) -> Walk:
    """Walk from `starts` (depth 0: one identifier, or a GTIN and all its lots and items)
    in one direction (`backward` or `forward`).

    Promises: every returned node is within `max_depth` identifier hops of a start; at most
    `max_nodes` nodes, or just the starts if they are more (transformation nodes count); each node expanded
    at most twice; `truncated` is True exactly when a further node existed beyond a limit.
    """
    if direction not in (BACKWARD, FORWARD):
        raise ValueError(f"walk direction must be backward or forward, not {direction!r}")
    depths: dict[str, int] = dict.fromkeys(starts, 0)
    modes: dict[str, int] = dict.fromkeys(starts, _FULL)
    links: set[Link] = set()
    frontier: dict[str, int] = dict.fromkeys(starts, _FULL)
    max_nodes = max(max_nodes, len(depths))  # the starts are always in
    depth = 0
    result = Walk(depths, links)
    while frontier:
        reached = _expand(reader, frontier, modes, direction, at_ms)
        # Transformation nodes add no depth: expand them within this level.
        level: dict[str, int] = {}
        while reached:
            free: dict[str, int] = {}
            for link, node, mode in reached:
                if modes.get(node, 0) >= mode:
                    links.add(link)  # already expanded as far: keep the edge, never re-walk
                    continue
                if node not in depths and depth >= max_depth:
                    result.truncated, result.truncation_reason = True, "depth"
                    continue
                if node not in depths and len(depths) >= max_nodes:
                    result.truncated, result.truncation_reason = True, "size"
                    continue
                links.add(link)
                modes[node] = mode
                if is_transformation(node):
                    depths.setdefault(node, depth)
                    free[node] = mode
                else:
                    depths.setdefault(node, depth + 1)
                    level[node] = mode
            reached = _expand(reader, free, modes, direction, at_ms) if free else []
        if result.truncation_reason == "size":
            break
        frontier = level
        depth += 1
    return result


def _expand(reader: GraphReader, frontier: dict[str, int], modes: dict[str, int], direction: str,
            at_ms: int | None) -> list[tuple[Link, str, int]]:
    """(link, other end, mode it is reached in) for every followable link of the frontier."""
    nodes = list(frontier)
    # Ask only for links that can be followed: going forward, a link *to* a node is
    # followed only down a container, and only from a node that may go down; going
    # backward, a link *from* a node is followed only up to its container.
    full = [node for node in nodes if frontier[node] == _FULL]
    if direction == FORWARD:
        outgoing = reader.links_from(nodes, at_ms)
        incoming = reader.links_to(full, at_ms, CONTAINMENT) if full else []
    else:
        up_only = [node for node in nodes if frontier[node] != _FULL]
        outgoing = reader.links_from(nodes, at_ms, CONTAINMENT)
        incoming = reader.links_to(full, at_ms) if full else []
        if up_only:  # a pallet reached from a carton: its lineage, not its other cartons
            incoming += reader.links_to(up_only, at_ms, LINEAGE)
    out: list[tuple[Link, str, int]] = []
    for link in outgoing:
        mode = _steps(link, True, frontier[link.src], direction)
        if mode is not None:
            out.append((link, link.dst, mode))
    for link in incoming:
        mode = _steps(link, False, frontier[link.dst], direction)
        if mode is not None:
            out.append((link, link.src, mode))
    return out


def find_cycles(links: Iterable[Link]) -> list[list[str]]:
    """The cycles among `links` (src -> dst as stored): each strongly connected component
    with more than one node, or a node linked to itself, as its sorted node keys.

    A cycle means submitted data says a thing is (transitively) its own input or its own
    container. Sorted output.
    """
    successors: dict[str, set[str]] = {}
    for link in links:
        successors.setdefault(link.src, set()).add(link.dst)
        successors.setdefault(link.dst, set())
    return cycles_in(successors)


def cycles_in(successors: Mapping[str, Collection[str]]) -> list[list[str]]:
    """The cycles of a graph given as node -> successors (every successor must be a key):
    each strongly connected component with more than one node, or a node that is its own
    successor, as its sorted node keys; the list sorted.

    Iterative Tarjan, visiting each node once, so deep graphs cannot overflow the stack and
    cyclic data never loops. Shared by `find_cycles` and the audit's `transformation_cycle`.
    """
    index_of: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root, root_successors in successors.items():
        if root in index_of:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(root_successors))]
        index_of[root] = lowlink[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index_of:
                    index_of[child] = lowlink[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors[child])))
                    advanced = True
                    break
                if child in on_stack:
                    lowlink[node] = min(lowlink[node], index_of[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index_of[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in successors[node]:
                    components.append(sorted(component))
    return sorted(components)
