"""Thresholds of the audit rules, with the defaults and the reason for each.

An `AuditConfig` is resolved once per app (`ctx.shared(load_audit_config)`): the one a
deployment or test provided (`ctx.provide(load_audit_config, config)`), else from the
JSON file named by the environment variable `TRACELEDGER_AUDIT_CONFIG` (same member
names as the fields below; unknown members are refused), else the defaults.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trace_api.context import ApiContext

CONFIG_ENV = "TRACELEDGER_AUDIT_CONFIG"


@dataclass(frozen=True)
class TemperatureRange:
    """Allowed product temperature in °C; None means unbounded on that side."""

    min_celsius: float | None
    max_celsius: float | None

    def excursion(self, low: float, high: float) -> str | None:
        """'below' / 'above' when a reading spanning [low, high] leaves the range."""
        if self.max_celsius is not None and high > self.max_celsius:
            return "above"
        if self.min_celsius is not None and low < self.min_celsius:
            return "below"
        return None


DEFAULT_COLD_CHAIN_CLASSES: Mapping[str, TemperatureRange] = {
    # GB 31605-2020 (食品冷链物流卫生规范) and Codex CXC 1-1969 practice: chilled
    # foods 0-5 °C ("冷藏"); frozen at or below -18 °C ("冷冻"); ice cream and
    # deep-frozen seafood at or below -25 °C is a common stricter class.
    "chilled": TemperatureRange(0.0, 5.0),
    "frozen": TemperatureRange(None, -18.0),
    "deep_frozen": TemperatureRange(None, -25.0),
    "ambient": TemperatureRange(None, None),
}


@dataclass(frozen=True)
class EquipmentPeriods:
    """How often a category of special equipment must be inspected and maintained."""

    inspection_months: int
    maintenance_days: int | None
    basis: str


DEFAULT_EQUIPMENT_PERIODS: Mapping[str, EquipmentPeriods] = {
    "lift": EquipmentPeriods(12, 15, "TSG T7001 periodic inspection yearly; TSG T5002-2017 "
                             "maintenance at least every 15 days"),
    "escalator": EquipmentPeriods(12, 15, "TSG T7001 / TSG T5002-2017, as lifts"),
    "boiler": EquipmentPeriods(12, None, "TSG 11-2020: external inspection yearly (internal "
                               "every 2 years, hydrostatic every 6: the yearly one falls due first)"),
    "pressure_vessel": EquipmentPeriods(36, None, "TSG 21-2016 §8.1.6: first inspection within "
                                        "3 years, then 3-6 years by safety grade; 3 years assumed "
                                        "unless the inspection states its next due date"),
    "gas_cylinder": EquipmentPeriods(36, None, "TSG 23-2021: cylinders for ordinary gases every "
                                     "3 years (corrosive 2, inert 5); 3 years assumed"),
    "crane": EquipmentPeriods(24, None, "TSG Q7015: periodic inspection every 2 years "
                              "(tower and hoisting cranes yearly: state the due date)"),
}
"""Keyed by the `tl:equipmentType` ILMD value of the maker's commissioning event."""


@dataclass(frozen=True)
class AuditConfig:
    """Tolerances, SLAs and tables of the audit rules (defaults documented in README.md)."""

    transformation_gain_tolerance: float = 0.02
    """Outputs may weigh up to 2 % more than inputs (scale error, water uptake) before
    `quantity_imbalance` fires: mass cannot be created."""
    transformation_loss_tolerance: float = 0.5
    """Outputs may weigh up to 50 % less than inputs (trimming, peeling, drying)."""
    aggregation_tolerance: float = 0.0
    """Disaggregating more of a class than was packed in fires at any excess."""
    anchor_sla_ms: int = 5 * 60 * 1000
    """A record must be anchored within 5 minutes of receipt (the anchorer commits a head
    every few seconds; 5 minutes covers a node restart)."""
    cold_chain_classes: Mapping[str, TemperatureRange] = field(
        default_factory=lambda: dict(DEFAULT_COLD_CHAIN_CLASSES))
    product_classes: Mapping[str, str] = field(default_factory=dict)
    """GTIN-14 -> cold-chain class, for products whose events do not carry
    `tl:coldChainClass` in their ILMD."""
    equipment_periods: Mapping[str, EquipmentPeriods] = field(
        default_factory=lambda: dict(DEFAULT_EQUIPMENT_PERIODS))
    max_events: int = 100_000
    """Most records one findings request audits: each is held in memory with its parsed body
    (a few KiB), so this bounds a request to a few hundred MiB; narrower filters go further."""

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> AuditConfig:
        """Build from JSON-like values; raises ValueError naming an unknown member."""
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown audit config members: {', '.join(unknown)}")
        converted = dict(values)
        if "cold_chain_classes" in converted:
            converted["cold_chain_classes"] = {
                name: TemperatureRange(limits.get("min_celsius"), limits.get("max_celsius"))
                for name, limits in converted["cold_chain_classes"].items()
            }
        if "equipment_periods" in converted:
            converted["equipment_periods"] = {
                name: EquipmentPeriods(int(p["inspection_months"]), p.get("maintenance_days"),
                                       str(p.get("basis", "configured")))
                for name, p in converted["equipment_periods"].items()
            }
        return cls(**converted)


def load_audit_config(_ctx: ApiContext | None = None) -> AuditConfig:
    """The audit configuration (see module docstring); an app asks for it as
    `ctx.shared(load_audit_config)`, so it is read once per app."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        return AuditConfig()
    return AuditConfig.from_mapping(json.loads(Path(path).read_text(encoding="utf-8")))
