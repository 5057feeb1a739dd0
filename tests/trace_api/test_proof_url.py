"""An event's proof link reaches its proof bundle, from the trace as from the scan page
(drift found in issue 14: the trace wrote the hash ID raw, so its `?ver=CBV2.0` started
the query and the link reached the event route, not the proof)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Match, Route

from anchoring.core.event_hash import format_event_hash_id
from trace_api.provenance.views import _event_json
from trace_api.records.event_hash_id_path import proof_url

_ROUTES = [Route("/v1/events/{event_hash_id:event_hash_id}/proof", lambda r: None, name="proof"),
           Route("/v1/events/{event_hash_id:event_hash_id}", lambda r: None, name="event")]


def _routed(url: str) -> tuple[str, dict[str, str], str]:
    """(route name, path parameters, query) of `url` as Starlette routes it: on the
    percent-decoded path, after the query is split off."""
    parsed = httpx.URL("http://api.test" + url)
    scope = {"type": "http", "path": parsed.path, "method": "GET"}
    for route in _ROUTES:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return route.name, child["path_params"], parsed.query.decode()
    raise AssertionError(f"{url} reaches no event route")


@given(st.binary(min_size=32, max_size=32))
def test_a_proof_url_reaches_the_proof_of_that_event(digest: bytes) -> None:
    hash_id = format_event_hash_id(digest)
    assert _routed(proof_url(hash_id)) == ("proof", {"event_hash_id": hash_id}, "")


def test_the_trace_links_each_event_to_its_proof() -> None:
    hash_id = format_event_hash_id(bytes(range(32)))
    facts = SimpleNamespace(
        event_hash_id=hash_id, leaf_index=7, event_type="ObjectEvent", action="ADD",
        biz_step="commissioning", disposition="active", event_time_ms=0, read_point=None,
        biz_location=None, enterprise_id="e1")
    state = SimpleNamespace(signature="valid", anchored=True, inclusion="verified",
                            verified=True, anchor=None)
    link = _event_json(SimpleNamespace(facts=facts, verification=state))["proofUrl"]
    assert link == proof_url(hash_id)
    assert _routed(link) == ("proof", {"event_hash_id": hash_id}, "")
