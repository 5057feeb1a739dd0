"""RFC 9264 linksets, held against GS1's own resolver data and model linkset."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.shared_data import shared_data
from trace_api.resolver.linkset import (
    Link,
    build_linkset,
    choose_link,
    linkset_links,
    parse_link_type,
    relation_type,
)


def _resolver_ce_entry(name: str) -> dict[str, Any]:
    path = shared_data("gs1-digital-link") / "GS1_DigitalLink_Resolver_CE" / "tests" / name
    return json.loads(path.read_text(encoding="utf-8"))


def _links_of_entry(entry: dict[str, Any]) -> list[Link]:
    return [
        Link(link_type=parse_link_type(item["linktype"]) or "", href=item["href"], title=item["title"],
             media_type=item.get("type"), hreflang=tuple(item.get("hreflang", ())),
             context=tuple(item.get("context", ())))
        for item in entry["links"]
    ]


@pytest.mark.parametrize("name", ["test_01_09506000134352.json", "test_8004_0950600013430000001.json"])
def test_resolver_ce_entries_become_grouped_linksets(name: str) -> None:
    entry = _resolver_ce_entry(name)
    anchor = "https://id.gs1.org" + entry["anchor"]
    document = build_linkset(anchor, entry["itemDescription"], _links_of_entry(entry))
    (context,) = document["linkset"]
    assert context["anchor"] == anchor
    assert context["itemDescription"] == entry["itemDescription"]
    expected: dict[str, list[dict[str, Any]]] = {}
    for item in entry["links"]:
        target = {k: v for k, v in item.items() if k != "linktype"}
        expected.setdefault(relation_type(item["linktype"].removeprefix("gs1:")), []).append(target)
    assert {k: v for k, v in context.items() if k.startswith("https://")} == expected
    # Each target keeps GS1's member order: href, title, type, hreflang, context.
    for targets in expected.values():
        for target in targets:
            assert list(target) == [k for k in ("href", "title", "type", "hreflang", "context") if k in target]


def test_model_linkset_round_trips() -> None:
    path = shared_data("gs1-digital-link") / "GS1DL-resolver-testsuite" / "modelLinkset.json"
    model = json.loads(path.read_text(encoding="utf-8"))
    first = model["linkset"][0]
    links = linkset_links({"linkset": [first]})
    # 7 certificationInfo, homepage, instructions, pip, 2 sustainabilityInfo, 2 traceability, defaultLink
    assert len(links) == 15
    rebuilt = build_linkset(first["anchor"], first["itemDescription"], links)
    assert rebuilt == {"linkset": [first]}
    assert list(rebuilt["linkset"][0])[-1] == relation_type("defaultLink")


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("gs1:pip", "pip"),
        ("https://ref.gs1.org/voc/recallStatus", "recallStatus"),
        ("https://gs1.org/voc/traceability", "traceability"),
        ("all", "all"),
        ("linkset", "linkset"),
        ("gs1:", None),
        ("pip", None),
        ("https://example.com/voc/pip", None),
    ],
)
def test_parse_link_type(text: str, term: str | None) -> None:
    assert parse_link_type(text) == term


def test_choose_link_follows_languages() -> None:
    links = [
        Link(link_type="pip", href="https://x/en", title="en", hreflang=("en",)),
        Link(link_type="pip", href="https://x/zh", title="zh", hreflang=("zh-CN",)),
        Link(link_type="recallStatus", href="https://x/recall", title="r"),
    ]
    assert choose_link(links, "pip", ["zh-cn"]).href == "https://x/zh"  # type: ignore[union-attr]
    assert choose_link(links, "pip", ["zh-tw", "en"]).href == "https://x/zh"  # type: ignore[union-attr]
    assert choose_link(links, "pip", ["fr", "en-gb"]).href == "https://x/en"  # type: ignore[union-attr]
    assert choose_link(links, "pip", ["fr"]).href == "https://x/en"  # type: ignore[union-attr]
    assert choose_link(links, "recallStatus", []).href == "https://x/recall"  # type: ignore[union-attr]
    assert choose_link(links, "epil", ["en"]) is None
