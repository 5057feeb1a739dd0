"""`transformation_cycle`: a product transformed (directly or through others) into its own input.

Found with the provenance graph's cycle search (`trace_api.provenance.graph.cycles_in`:
iterative Tarjan, each node visited once, so cyclic data is reported and never loops) over
the input -> output graph of TransformationEvents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.inputs import AuditInputs, finding_base
from trace_api.audit.model import Finding, Rule, Severity
from trace_api.provenance.graph import cycles_in


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
    for component in cycles_in(graph):
        members = set(component)
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
