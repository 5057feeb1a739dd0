"""`quantity_imbalance`: transformations that create mass or volume, or lose more than a
tolerance; disaggregations that take out more than was packed in.

Units are UN/ECE Recommendation 20 codes (EPCIS 2.0 §7.3.3.3 `uom`). Only quantities of
one dimension are compared (mass with mass, volume with volume): there is no density to
convert between them, and counts without a unit are not comparable across a
transformation (one batch of flour becomes a hundred bags).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from trace_api.audit.epcis_view import ObjectRef
from trace_api.audit.inputs import AuditInputs, finding_base
from trace_api.audit.model import Finding, Rule, Severity

UNITS: dict[str, tuple[str, float]] = {
    "KGM": ("mass", 1.0), "GRM": ("mass", 1e-3), "MGM": ("mass", 1e-6), "TNE": ("mass", 1e3),
    "LBR": ("mass", 0.45359237), "ONZ": ("mass", 0.028349523125),
    "LTR": ("volume", 1.0), "MLT": ("volume", 1e-3), "MTQ": ("volume", 1e3),
    "GLL": ("volume", 3.785411784),
}
BASE_UNIT = {"mass": "KGM", "volume": "LTR", "count": "EA"}
_EPSILON = 1e-9


def _measure(refs: Sequence[ObjectRef]) -> tuple[str, float] | None:
    """(dimension, total in base units) when every ref states a quantity in one dimension."""
    if not refs:
        return None
    dimension = None
    total = 0.0
    for ref in refs:
        if ref.quantity is None or ref.uom is None or ref.uom not in UNITS:
            return None
        ref_dimension, factor = UNITS[ref.uom]
        if dimension not in (None, ref_dimension):
            return None
        dimension = ref_dimension
        total += ref.quantity * factor
    assert dimension is not None
    return dimension, total


def _transformations(inputs: AuditInputs) -> Iterator[Finding]:
    config = inputs.config
    for event in inputs.ordered:
        if event.view.event_type != "TransformationEvent":
            continue
        measured_in = _measure(event.view.objects_in("input"))
        measured_out = _measure(event.view.objects_in("output"))
        if measured_in is None or measured_out is None or measured_in[0] != measured_out[0]:
            continue
        dimension, total_in = measured_in
        total_out = measured_out[1]
        if total_in <= 0:
            continue
        ratio = total_out / total_in
        unit = BASE_UNIT[dimension]
        details = {"input": round(total_in, 6), "output": round(total_out, 6), "uom": unit,
                   "gainTolerance": config.transformation_gain_tolerance,
                   "lossTolerance": config.transformation_loss_tolerance}
        if ratio > 1 + config.transformation_gain_tolerance + _EPSILON:
            change, tolerance = f"+{(ratio - 1) * 100:.1f}", config.transformation_gain_tolerance
        elif ratio < 1 - config.transformation_loss_tolerance - _EPSILON:
            change, tolerance = f"-{(1 - ratio) * 100:.1f}", config.transformation_loss_tolerance
        else:
            continue
        message = (f"transformation outputs {total_out:g} {unit} from {total_in:g} {unit} of "
                   f"inputs ({change} %, tolerance {tolerance * 100:g} %)")
        yield Finding(rule="quantity_imbalance", severity=Severity.MEDIUM,
                      subject=event.view.objects_in("output")[0].key, message=message,
                      details=details, **finding_base(event))


def _aggregations(inputs: AuditInputs) -> Iterator[Finding]:
    tolerance = inputs.config.aggregation_tolerance
    packed: dict[tuple[str, str, str], float] = defaultdict(float)
    for event, parent_ref in inputs.packings():
        view = event.view
        parent = parent_ref.key
        for child in view.objects_in("child"):
            if child.is_class:
                if child.quantity is None:
                    continue
                dimension, factor = UNITS.get(child.uom or "", ("count", 1.0))
                amount = child.quantity * factor
            else:
                dimension, amount = "count", 1.0
            slot = (parent, child.key, dimension)
            if view.action == "ADD":
                packed[slot] += amount
                continue
            available = packed[slot]
            if amount > available * (1 + tolerance) + _EPSILON:
                unit = BASE_UNIT[dimension]
                yield Finding(
                    rule="quantity_imbalance", severity=Severity.MEDIUM, subject=child.key,
                    message=(f"{amount:g} {unit} of {child.uri} taken out of {parent_ref.uri}, "
                             f"which held {available:g} {unit}"),
                    details={"parent": parent, "removed": round(amount, 6),
                             "packed": round(available, 6), "uom": unit, "tolerance": tolerance},
                    **finding_base(event),
                )
            packed[slot] = max(0.0, available - amount)


def check_quantity_imbalance(inputs: AuditInputs) -> Iterator[Finding]:
    yield from _transformations(inputs)
    yield from _aggregations(inputs)


RULES = (
    Rule(name="quantity_imbalance", severity=Severity.MEDIUM, family="quantity",
         summary="transformation output beyond input tolerances, or more disaggregated than packed",
         check=check_quantity_imbalance),
)
