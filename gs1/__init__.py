"""GS1 identifiers, element strings and Digital Link URIs (no I/O, no server).

Public surface: the functions re-exported below and ``gs1.errors``.
The API, the label renderer and the CLI call these directly.
"""

from gs1.digital_link import (
    DEFAULT_STEM,
    DigitalLink,
    build_digital_link,
    canonical_link,
    canonical_uri,
    format_digital_link,
    parse_digital_link,
)
from gs1.element_string import (
    format_bracketed,
    format_element_string,
    parse_bracketed,
    parse_element_string,
)
from gs1.equipment import giai_from_registration_code
from gs1.errors import GS1Error
from gs1.keys import (
    link_for_asset,
    link_for_item,
    normalise_gtin,
)

__all__ = [
    "DEFAULT_STEM",
    "DigitalLink",
    "GS1Error",
    "build_digital_link",
    "canonical_link",
    "canonical_uri",
    "format_bracketed",
    "format_digital_link",
    "format_element_string",
    "giai_from_registration_code",
    "link_for_asset",
    "link_for_item",
    "normalise_gtin",
    "parse_bracketed",
    "parse_digital_link",
    "parse_element_string",
]
