"""The resolver's answer for one Digital Link: the level it is known at and its links.

Every link points at this API (`settings.public_base_url`): the scan page is the
default link and the product information page; the consumer view is traceability
and service information; recall status and certifications have their own JSON.
Links carry the full requested URI (with serial and authenticator) even when the
answer was found by walking up, so the scan page still checks that serial.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import quote

from gs1 import DigitalLink, format_digital_link
from trace_api.context import ApiContext
from trace_api.labels.authenticator import AUTH_PARAM
from trace_api.products.service import Product, find_product
from trace_api.resolver.known import is_known
from trace_api.resolver.linkset import (
    CERTIFICATION_INFO,
    DEFAULT_LINK,
    LOCATION_INFO,
    LOGISTICS_INFO,
    PIP,
    RECALL_STATUS,
    SERVICE_INFO,
    TRACEABILITY,
    VERIFICATION_SERVICE,
    Link,
    build_linkset,
)
from trace_api.resolver.walkup import resolve_level

SCAN_PATH = "/scan"
LOOKUP_PATH = "/v1/public/lookup"
RECALL_PATH = "/v1/public/recall"
PAGE_LANGUAGES = ("zh", "en")  # the scan page follows Accept-Language between these


@dataclass(frozen=True)
class Resolution:
    """A request resolved: the requested link, the level found, its product and links."""

    requested: DigitalLink
    matched: DigitalLink
    product: Product | None
    links: tuple[Link, ...]

    def linkset(self, base_url: str) -> dict[str, object]:
        """The RFC 9264 document, anchored at the matched level on this host."""
        anchor = format_digital_link(self.matched.with_stem(base_url))
        return build_linkset(anchor, _description(self.product, self.matched), self.links)


def _description(product: Product | None, link: DigitalLink) -> str | None:
    if product is None:
        return None
    name = product.name.get("en") or product.name.get("zh") or ""
    if lot := link.get("10"):
        name += f", lot {lot}"
    if serial := link.get("21"):
        name += f", serial {serial}"
    return name


def _uri_param(link: DigitalLink) -> str:
    return quote(format_digital_link(link), safe="")


def scan_page_url(base_url: str, link: DigitalLink) -> str:
    """Where browsers go: the scan page for the full requested URI (authenticator kept)."""
    return f"{base_url}{SCAN_PATH}?uri={_uri_param(link)}"


def links_for(base_url: str, requested: DigitalLink, product: Product | None) -> tuple[Link, ...]:
    """The links this resolver serves for `requested` (see module docstring)."""
    uri = _uri_param(requested)
    scan = scan_page_url(base_url, requested)
    key_ai, key_value = requested.primary_key
    links = [
        Link(link_type=PIP, href=scan, title="产品信息 / Product information",
             media_type="text/html", hreflang=PAGE_LANGUAGES),
        Link(link_type=TRACEABILITY, href=f"{base_url}{LOOKUP_PATH}?uri={uri}",
             title="Provenance, anchored on the ledger", media_type="application/json"),
        Link(link_type=VERIFICATION_SERVICE, href=scan, title="验证 / Verify on the ledger",
             media_type="text/html", hreflang=PAGE_LANGUAGES),
    ]
    if key_ai == "01":
        links.append(Link(link_type=PIP, href=f"{base_url}/v1/products/{key_value}",
                          title="Product master data", media_type="application/json"))
        links.append(Link(link_type=RECALL_STATUS, href=f"{base_url}{RECALL_PATH}?uri={uri}",
                          title="Recall status (RecallRegistry)", media_type="application/json"))
        if product is not None and product.certifications:
            links.append(Link(link_type=CERTIFICATION_INFO,
                              href=f"{base_url}/v1/products/{key_value}/certifications",
                              title="Certifications", media_type="application/json"))
    elif key_ai == "8004":
        links.append(Link(link_type=SERVICE_INFO, href=f"{base_url}{LOOKUP_PATH}?uri={uri}",
                          title="Inspection and maintenance", media_type="application/json"))
        links.append(Link(link_type=RECALL_STATUS, href=f"{base_url}{RECALL_PATH}?uri={uri}",
                          title="Recall status (RecallRegistry)", media_type="application/json"))
    elif key_ai == "00":
        links.append(Link(link_type=LOGISTICS_INFO, href=f"{base_url}{LOOKUP_PATH}?uri={uri}",
                          title="Logistic unit", media_type="application/json"))
    elif key_ai == "414":
        links.append(Link(link_type=LOCATION_INFO, href=f"{base_url}{LOOKUP_PATH}?uri={uri}",
                          title="Location", media_type="application/json"))
    links.append(Link(link_type=DEFAULT_LINK, href=scan, title="产品信息 / Product information",
                      media_type="text/html", hreflang=PAGE_LANGUAGES))
    return tuple(links)


def resolve(ctx: ApiContext, requested: DigitalLink) -> Resolution | None:
    """Resolve `requested` by walking up its qualifiers; None when no level is known."""
    matched = resolve_level(requested, lambda candidate: is_known(ctx.engine, candidate))
    if matched is None:
        return None
    product = find_product(ctx.engine, requested.primary_key[1]) if requested.primary_key[0] == "01" else None
    base_url = ctx.settings.public_base_url.rstrip("/")
    # Links carry the code as printed (with its authenticator), not the resolver's own
    # request parameters such as linkType.
    printed = replace(requested, extra_params=tuple(
        (name, value) for name, value in requested.extra_params if name == AUTH_PARAM))
    return Resolution(requested, matched, product, links_for(base_url, printed, product))
