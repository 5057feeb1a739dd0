"""What a request asks for (linkset / link type / default) and serial -> lot -> GTIN walk-up."""

from __future__ import annotations

import pytest

from gs1 import format_digital_link, parse_digital_link
from trace_api.resolver.negotiation import (
    Answer,
    Decision,
    decide,
    parse_quality_list,
    preferred_languages,
)
from trace_api.resolver.walkup import resolve_level, walk_up_candidates

CHROME_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
                 "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")


@pytest.mark.parametrize(
    ("link_type", "accept", "decision"),
    [
        (None, CHROME_ACCEPT, Decision(Answer.DEFAULT)),
        (None, None, Decision(Answer.DEFAULT)),
        (None, "*/*", Decision(Answer.DEFAULT)),
        (None, "application/linkset+json", Decision(Answer.LINKSET)),
        (None, "application/json", Decision(Answer.LINKSET)),
        (None, "text/html, application/linkset+json;q=0.5", Decision(Answer.DEFAULT)),
        (None, "text/html;q=0.4, application/linkset+json", Decision(Answer.LINKSET)),
        (None, "application/linkset+json;q=0", Decision(Answer.DEFAULT)),
        ("all", CHROME_ACCEPT, Decision(Answer.LINKSET)),
        ("linkset", None, Decision(Answer.LINKSET)),
        ("gs1:recallStatus", CHROME_ACCEPT, Decision(Answer.LINK_TYPE, "recallStatus")),
        ("https://gs1.org/voc/pip", "application/json", Decision(Answer.LINK_TYPE, "pip")),
        ("nonsense", "application/linkset+json", Decision(Answer.DEFAULT)),
    ],
)
def test_decide(link_type: str | None, accept: str | None, decision: Decision) -> None:
    assert decide(link_type, accept) == decision


def test_quality_lists() -> None:
    assert parse_quality_list("en;q=0.5, zh-CN, fr;q=0, de;q=x") == [
        ("zh-cn", 1.0), ("de", 1.0), ("en", 0.5)]
    assert preferred_languages("zh-CN,zh;q=0.9,en;q=0.8,*;q=0.1") == ["zh-cn", "zh", "en"]
    assert parse_quality_list(None) == []


SERIAL_URI = "https://t.example/01/09506000134352/22/V1/10/L%2F1/21/S7?17=270131&auth=ABCDEFGH"


def test_walk_up_candidates_drop_qualifiers_from_the_right() -> None:
    link = parse_digital_link(SERIAL_URI)
    assert [format_digital_link(c) for c in walk_up_candidates(link)] == [
        "https://t.example/01/09506000134352/22/V1/10/L%2F1/21/S7",
        "https://t.example/01/09506000134352/22/V1/10/L%2F1",
        "https://t.example/01/09506000134352/22/V1",
        "https://t.example/01/09506000134352",
    ]
    assert walk_up_candidates(parse_digital_link("https://t.example/00/106141411234567897")) == [
        parse_digital_link("https://t.example/00/106141411234567897")]


def test_resolve_level_returns_the_most_specific_known_level() -> None:
    link = parse_digital_link(SERIAL_URI)
    asked: list[str] = []

    def lot_is_known(candidate):  # type: ignore[no-untyped-def]
        asked.append(format_digital_link(candidate))
        return candidate.get("10") is not None and candidate.get("21") is None

    matched = resolve_level(link, lot_is_known)
    assert matched is not None
    assert format_digital_link(matched) == "https://t.example/01/09506000134352/22/V1/10/L%2F1"
    assert asked == ["https://t.example/01/09506000134352/22/V1/10/L%2F1/21/S7",
                     "https://t.example/01/09506000134352/22/V1/10/L%2F1"]
    assert resolve_level(link, lambda _candidate: False) is None
