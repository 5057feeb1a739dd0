"""`transformation_cycle`: a product transformed (directly or through others) into its own input.

Found with Tarjan's strongly connected components over the input -> output graph of
TransformationEvents, iteratively (no recursion limit) and visiting each node once, so
cyclic data is reported and never loops.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.inputs import AuditInputs, finding_base
from trace_api.audit.model import Finding, Rule, Severity


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's SCCs of `graph` (node -> successors), iterative; each SCC sorted."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = lowlink[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = lowlink[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    advanced = True
                    break
                if successor in on_stack:
                    lowlink[node] = min(lowlink[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def check_transformation_cycle(inputs: AuditInputs) -> Iterator[Finding]:
    graph: dict[str, set[str]] = defaultdict(set)
    edges: dict[tuple[str, str], list[AuditEvent]] = defaultdict(list)
    for event in inputs.ordered:
        if event.view.event_type != "TransformationEvent":
            continue
        for source in event.view.objects_in("input"):
            for target in event.view.objects_in("output"):
                graph[source.key].add(target.key)
                graph.setdefault(target.key, set())
                edges[(source.key, target.key)].append(event)
    for component in strongly_connected(graph):
        members = set(component)
        if len(component) == 1 and component[0] not in graph[component[0]]:
            continue
        reported: set[int] = set()
        for (source_key, target_key), events in sorted(edges.items()):
            if source_key not in members or target_key not in members:
                continue
            for event in events:
                if event.leaf_index in reported:
                    continue
                reported.add(event.leaf_index)
                yield Finding(
                    rule="transformation_cycle", severity=Severity.HIGH, subject=component[0],
                    message=(f"transformation makes {target_key} from {source_key}, closing a cycle of "
                             f"{len(component)} product(s) that are their own input"),
                    details={"cycle": component},
                    **finding_base(event),
                )


RULES = (
    Rule(name="transformation_cycle", severity=Severity.HIGH, family="cycles",
         summary="a product transformed, directly or through others, into its own input",
         check=check_transformation_cycle),
)
