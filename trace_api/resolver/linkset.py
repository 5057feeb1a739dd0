"""RFC 9264 linksets for GS1 Digital Links, as the GS1-Conformant Resolver standard 1.1 shows them.

Pure: takes an anchor, a description and `Link`s, returns the JSON document
(`application/linkset+json`): `{"linkset": [{"anchor": ..., "itemDescription": ...,
"<relation type URI>": [{"href", "title", "type", "hreflang"}, ...]}]}`. Relation types
are GS1 Web Vocabulary link types as full URIs (`https://ref.gs1.org/voc/pip`), the
form of GS1's model linkset (GS1DL-resolver-testsuite/modelLinkset.json).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

LINKSET_MEDIA_TYPE = "application/linkset+json"
GS1_VOCABULARY = "https://ref.gs1.org/voc/"
# Older resolvers (GS1 Resolver CE) wrote the vocabulary at this address; accepted on input.
GS1_VOCABULARY_LEGACY = "https://gs1.org/voc/"
DEFAULT_LINK = "defaultLink"

# The GS1 link types this resolver serves (GS1 Web Vocabulary, "gs1:" + name).
PIP = "pip"
TRACEABILITY = "traceability"
RECALL_STATUS = "recallStatus"
CERTIFICATION_INFO = "certificationInfo"
SERVICE_INFO = "serviceInfo"
LOCATION_INFO = "locationInfo"
LOGISTICS_INFO = "logisticsInfo"
VERIFICATION_SERVICE = "verificationService"


@dataclass(frozen=True, kw_only=True)
class Link:
    """One target link: `link_type` is the GS1 vocabulary term (e.g. "pip")."""

    link_type: str
    href: str
    title: str
    media_type: str | None = None
    hreflang: tuple[str, ...] = ()
    context: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The RFC 9264 target object (members in the order GS1's examples use)."""
        target: dict[str, Any] = {"href": self.href, "title": self.title}
        if self.media_type:
            target["type"] = self.media_type
        if self.hreflang:
            target["hreflang"] = list(self.hreflang)
        if self.context:
            target["context"] = list(self.context)
        return target


def relation_type(link_type: str) -> str:
    """The relation type URI of a GS1 link type: "pip" -> "https://ref.gs1.org/voc/pip"."""
    return GS1_VOCABULARY + link_type


def parse_link_type(text: str) -> str | None:
    """The GS1 vocabulary term named by a `linkType` query value, or None if it is not one.

    Accepts the compact form (`gs1:pip`), either vocabulary URI and, for `all` and
    `linkset`, the bare keyword (GS1 Resolver standard: both ask for the whole linkset).
    """
    for prefix in ("gs1:", GS1_VOCABULARY, GS1_VOCABULARY_LEGACY):
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix):]
    if text in ("all", "linkset"):
        return text
    return None


def build_linkset(anchor: str, item_description: str | None, links: Iterable[Link]) -> dict[str, Any]:
    """A one-context-object linkset for `anchor`; links grouped by relation type, in
    first-seen order, the default link last (as in GS1's model linkset)."""
    context: dict[str, Any] = {"anchor": anchor}
    if item_description:
        context["itemDescription"] = item_description
    defaults: list[dict[str, Any]] = []
    for link in links:
        if link.link_type == DEFAULT_LINK:
            defaults.append(link.to_json())
        else:
            context.setdefault(relation_type(link.link_type), []).append(link.to_json())
    if defaults:
        context[relation_type(DEFAULT_LINK)] = defaults
    return {"linkset": [context]}


def linkset_links(document: dict[str, Any]) -> list[Link]:
    """Read `Link`s back out of a linkset document (either vocabulary address)."""
    links: list[Link] = []
    for context in document.get("linkset", []):
        for key, targets in context.items():
            link_type = parse_link_type(key) if isinstance(targets, list) else None
            if link_type is None:
                continue
            for target in targets:
                links.append(Link(
                    link_type=link_type,
                    href=target["href"],
                    title=target.get("title", ""),
                    media_type=target.get("type"),
                    hreflang=tuple(target.get("hreflang", ())),
                    context=tuple(target.get("context", ())),
                ))
    return links


def choose_link(links: Sequence[Link], link_type: str, accept_languages: Sequence[str]) -> Link | None:
    """The link of `link_type` that best fits the reader's languages (in preference order):
    exact tag, then same primary language, then the first link of that type."""
    candidates = [link for link in links if link.link_type == link_type]
    if not candidates:
        return None
    for wanted in accept_languages:
        wanted = wanted.lower()
        for link in candidates:
            if any(tag.lower() == wanted for tag in link.hreflang):
                return link
        primary = wanted.split("-")[0]
        for link in candidates:
            if any(tag.lower().split("-")[0] == primary for tag in link.hreflang):
                return link
    return candidates[0]
