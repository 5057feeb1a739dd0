"""Enterprise identifiers other than GS1 keys: the China Unified Social Credit Code."""

from trace_api.identity.errors import InvalidUSCCError
from trace_api.identity.uscc import uscc_check_character, validate_uscc

__all__ = ["InvalidUSCCError", "uscc_check_character", "validate_uscc"]
