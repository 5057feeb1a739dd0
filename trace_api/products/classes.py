"""Product classes: what kind of goods a GTIN is.

The class names the cold-chain range its sensor readings must stay in. The ranges
themselves belong to the audit rules (`trace_api.audit.config.DEFAULT_COLD_CHAIN_CLASSES`,
configurable per deployment): chilled 0..5 °C, frozen <= -18 °C, deep_frozen <= -25 °C,
ambient unbounded. Special equipment has no cold chain. Audit and the consumer view
look a GTIN's class up with `trace_api.products.service.find_product(...).product_class`.
"""

from __future__ import annotations

from enum import StrEnum


class ProductClass(StrEnum):
    """What kind of goods a GTIN is; its value is the audit cold-chain class name."""

    CHILLED = "chilled"
    FROZEN = "frozen"
    DEEP_FROZEN = "deep_frozen"
    AMBIENT = "ambient"
    EQUIPMENT = "equipment"
