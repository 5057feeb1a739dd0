"""Enterprise identifiers other than GS1 keys: the China Unified Social Credit Code."""

from trace_api.identity.errors import IdentityError, InvalidUSCCError
from trace_api.identity.uscc import normalize_uscc, uscc_check_character, validate_uscc

__all__ = [
    "IdentityError",
    "InvalidUSCCError",
    "normalize_uscc",
    "uscc_check_character",
    "validate_uscc",
]
