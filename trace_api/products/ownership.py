"""Which GS1 keys an enterprise may speak for: those under its GS1 Company Prefixes.

The prefixes are read from the chain (`MemberRegistry.companyPrefixes`), the same
record the `RecallRegistry` contract checks, so the API and the chain agree on who
owns a GTIN. A GS1 key does not encode where its company prefix ends, so a key is
owned when its company-prefix position starts with one of the enterprise's prefixes:

- GTIN-14, SSCC and ITIP (whose first 14 digits are a GTIN): after the indicator /
  extension digit (`key[1:]`);
- GRAI: after its leading filler `0` (`key[1:]`);
- GLN, party GLN, GIAI, GDTI, GSRN, GCN, GINC, GSIN, CPID: from the first character.
"""

from __future__ import annotations

from collections.abc import Iterable

from trace_api.chain_gateway import gateway
from trace_api.context import ApiContext
from trace_api.errors import NotAllowed

# AIs whose company prefix starts after one leading digit (indicator / extension).
_PREFIX_AFTER_FIRST_DIGIT = frozenset({"01", "00", "8006"})
# AI 8003 (GRAI) starts with a filler "0" before the company prefix.
_PREFIX_AFTER_FILLER = frozenset({"8003"})


def company_prefix_area(key_ai: str, key_value: str) -> str:
    """The part of a GS1 key that starts with its GS1 Company Prefix."""
    if key_ai in _PREFIX_AFTER_FIRST_DIGIT or key_ai in _PREFIX_AFTER_FILLER:
        return key_value[1:]
    return key_value


def owns_key(prefixes: Iterable[str], key_ai: str, key_value: str) -> bool:
    """True when the key (`key_ai`, `key_value`) lies under one of `prefixes`."""
    area = company_prefix_area(key_ai, key_value)
    return any(prefix and area.startswith(prefix) for prefix in prefixes)


def company_prefixes_of(ctx: ApiContext, enterprise_id: str) -> tuple[str, ...]:
    """The enterprise's GS1 Company Prefixes as the chain records them (eth_call)."""
    prefixes = gateway(ctx).call("MemberRegistry", "companyPrefixes", bytes.fromhex(enterprise_id[2:]))
    return tuple(str(prefix) for prefix in prefixes)


def verify_owns_key(ctx: ApiContext, enterprise_id: str, key_ai: str, key_value: str) -> None:
    """Raise NotAllowed unless `enterprise_id` holds the company prefix of the key."""
    prefixes = company_prefixes_of(ctx, enterprise_id)
    if not owns_key(prefixes, key_ai, key_value):
        raise NotAllowed("not-your-company-prefix",
            "Not your GS1 Company Prefix",
            f"({key_ai}) {key_value} is not under any GS1 Company Prefix of this enterprise "
            f"({', '.join(prefixes) or 'none registered'})",
        )
