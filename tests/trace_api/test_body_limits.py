"""Bounded request bodies (`trace_api.body_limits`, `trace_api.json_body`), issue 13.

The middleware is exercised on a small app with one route of each kind the API has (a
pydantic JSON body, a declared raw JSON body with its own larger limit, a JSON-RPC style
route that answers syntax errors itself, a route without a body), so each rule is seen
alone. `test_body_limits_live.py` holds the same findings against the real API process.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from anchoring.core.json_depth import MAX_JSON_DEPTH
from trace_api.app import create_app, route_body_limits
from trace_api.body_limits import JSON_MEDIA_TYPE, BodyLimitMiddleware, RouteLimit, route_policies
from trace_api.chain_proxy import MAX_BODY_BYTES as CHAIN_PROXY_MAX_BODY_BYTES
from trace_api.json_body import (
    DuplicateMemberError,
    JsonTooDeepError,
    LoneSurrogateError,
    NotUtf8Error,
    NulCharacterError,
    verify_json_body,
)
from trace_api.problems import Problem, install_problem_handlers
from trace_api.settings import ApiSettings

DEFAULT_LIMIT = 2_000
UPLOAD_LIMIT = 10_000
PROBLEM_BASE = "https://traceledger.dev/problems/"


class Item(BaseModel):
    name: str
    tags: list[Any] = []


def deep_body(depth: int) -> bytes:
    """`[[[...]]]` nested `depth` deep: ~2 bytes per level, like the segfault probe."""
    return b"[" * depth + b"]" * depth


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter(prefix="/items")  # as the API's packages do: include_router

    @router.post("")
    def items(item: Item) -> dict[str, Any]:
        return {"name": item.name}

    app.include_router(router)

    @app.post("/upload", openapi_extra={"requestBody": {"content": {
        "application/json": {"schema": {"type": "object"}},
        "application/ld+json": {"schema": {"type": "object"}}}}})
    async def upload(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}

    @app.post("/rpc", openapi_extra={"requestBody": {"content": {
        "application/json": {"schema": {}}}}})
    async def rpc(request: Request) -> dict[str, Any]:
        try:
            return {"parsed": json.loads(await request.body())}
        except ValueError:
            return {"error": -32700}

    @app.get("/plain")
    def plain() -> dict[str, str]:
        return {"ok": "yes"}

    def upload_too_large(size: int, limit: int) -> Problem:
        return Problem(413, "upload-too-large", "Upload too large", f"{size} > {limit}",
                       extensions={"uploadLimit": limit})

    app.add_middleware(BodyLimitMiddleware, default_limit=DEFAULT_LIMIT, policies=route_policies(
        app.routes, default_limit=DEFAULT_LIMIT,
        limits={"/upload": RouteLimit(UPLOAD_LIMIT, upload_too_large),
                "/rpc": RouteLimit(UPLOAD_LIMIT)}))
    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(_app()) as test_client:
        yield test_client


def _json(client: TestClient, path: str, body: bytes | Iterator[bytes],
          media: str | None = "application/json") -> Any:
    headers = {"content-type": media} if media else {}
    return client.post(path, content=body, headers=headers)


def _kind(response: Any) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return str(response.json()["type"]).removeprefix(PROBLEM_BASE)


# --- depth ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/items", "/upload", "/rpc"])
def test_deeply_nested_unauthenticated_body_is_refused(client: TestClient, path: str) -> None:
    # 100,000 deep is the probe that segfaulted the API (test_body_limits_live.py sends
    # it); these depths fit the small limits of this app and are still far too deep.
    depth = 900 if path == "/items" else 4_000
    response = _json(client, path, deep_body(depth))
    assert response.status_code == 400
    assert _kind(response) == "json-too-deep"
    assert response.json()["limit"] == MAX_JSON_DEPTH


def test_nesting_at_the_limit_reaches_the_route(client: TestClient) -> None:
    at_limit = b'{"name": "x", "tags": ' + deep_body(MAX_JSON_DEPTH - 1) + b"}"
    assert _json(client, "/items", at_limit).status_code == 200
    over = b'{"name": "x", "tags": ' + deep_body(MAX_JSON_DEPTH) + b"}"
    assert _kind(_json(client, "/items", over)) == "json-too-deep"


def test_brackets_inside_strings_do_not_count(client: TestClient) -> None:
    body = json.dumps({"name": "[" * 900 + "{" * 900}).encode()
    assert _json(client, "/items", body).status_code == 200


# --- size -------------------------------------------------------------------------------


def test_chunked_oversize_body_is_413(client: TestClient) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        for _ in range(100):
            sent.append(1)
            yield b" " * 500

    response = _json(client, "/items", chunks())
    assert "content-length" not in {name.lower() for name in response.request.headers}
    assert response.status_code == 413
    assert _kind(response) == "body-too-large"
    assert response.json()["limit"] == DEFAULT_LIMIT


def test_declared_oversize_body_is_413_before_reading(client: TestClient) -> None:
    response = _json(client, "/items", b" " * (DEFAULT_LIMIT + 1))
    assert (response.status_code, _kind(response)) == (413, "body-too-large")
    assert str(DEFAULT_LIMIT) in response.json()["detail"]


def test_a_route_keeps_its_own_limit_and_problem(client: TestClient) -> None:
    fits = json.dumps({"pad": "x" * (UPLOAD_LIMIT - 20)}).encode()
    assert len(fits) > DEFAULT_LIMIT
    answer = _json(client, "/upload", fits)
    assert answer.status_code == 200
    assert answer.json() == {"sha256": hashlib.sha256(fits).hexdigest(), "size": len(fits)}

    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b" " * 500

    for body in (b" " * (UPLOAD_LIMIT + 1), chunks()):
        refused = _json(client, "/upload", body)
        assert (refused.status_code, _kind(refused)) == (413, "upload-too-large")
        assert refused.json()["uploadLimit"] == UPLOAD_LIMIT


def test_chunked_body_within_the_limit_is_replayed_unchanged(client: TestClient) -> None:
    body = b'{"a": [' + b",".join(b"%d" % n for n in range(1_500)) + b"]}"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 97):
            yield body[start:start + 97]

    answer = _json(client, "/upload", chunks())
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}


def test_a_body_sent_to_a_route_without_one_is_still_capped(client: TestClient) -> None:
    small = client.request("GET", "/plain", content=b"x" * 100)
    assert small.status_code == 200
    big = client.request("GET", "/plain", content=b"x" * (DEFAULT_LIMIT + 1))
    assert (big.status_code, _kind(big)) == (413, "body-too-large")


def run_in_fresh_thread(middleware: BodyLimitMiddleware, *args: Any) -> None:
    """`anyio.run` on a thread of its own: the session-wide Playwright driver of the browser
    tests (sync API) keeps an event loop running on the main thread, where `anyio.run`
    refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(anyio.run, middleware, *args).result()


def test_content_length_that_is_not_a_number_is_400() -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    middleware = BodyLimitMiddleware(app, policies=[], default_limit=DEFAULT_LIMIT)
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": [(b"content-length", b"1e3")]}
    run_in_fresh_thread(middleware, scope, receive, send)
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["type"] == PROBLEM_BASE + "bad-request"


def test_a_client_that_disconnects_mid_body_gets_nothing_and_the_app_never_runs() -> None:
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "http.request", "body": b"[1,", "more_body": True},
                     {"type": "http.disconnect"}])

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    middleware = BodyLimitMiddleware(app, policies=[], default_limit=DEFAULT_LIMIT)
    scope = {"type": "http", "method": "POST", "path": "/x",
             "headers": [(b"transfer-encoding", b"chunked")]}
    run_in_fresh_thread(middleware, scope, receive, send)
    assert sent == []


# --- media types ------------------------------------------------------------------------


@pytest.mark.parametrize("media", ["text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x", "application/xml"])
def test_json_routes_refuse_other_media_types(client: TestClient, media: str) -> None:
    for path in ("/items", "/upload", "/rpc"):
        response = _json(client, path, b'{"name": "x"}', media)
        assert (response.status_code, _kind(response)) == (415, "unsupported-media-type")
        assert "application/json" in response.json()["accepted"]


def test_declared_media_types_are_exactly_what_a_route_takes(client: TestClient) -> None:
    body = b'{"name": "x"}'
    assert _json(client, "/upload", body, "application/ld+json; charset=utf-8").status_code == 200
    assert _json(client, "/upload", body, "application/geo+json").status_code == 415
    # A pydantic body takes any application/*+json, as FastAPI parses them all as JSON.
    assert _json(client, "/items", body, "application/merge-patch+json").status_code == 200
    assert _json(client, "/items", body, "Application/JSON").status_code == 200


def test_a_missing_content_type_is_left_to_the_route(client: TestClient) -> None:
    # The JSON-RPC style route parses it, and answers bad syntax in its own protocol.
    assert _json(client, "/rpc", b"[1, 2]", None).json() == {"parsed": [1, 2]}
    assert _json(client, "/rpc", b"{not json", None).json() == {"error": -32700}
    # FastAPI's strict content type: a pydantic body without one is a 400.
    assert _json(client, "/items", b'{"name": "x"}', None).status_code == 400
    # Still screened: a missing type is no way around the depth limit.
    assert _kind(_json(client, "/rpc", deep_body(900), None)) == "json-too-deep"


# --- encoding, duplicates ---------------------------------------------------------------


@pytest.mark.parametrize("body", [b'{"name": "\xff\xfe"}', b'{"name": "caf\xc3"}',
                                  '{"name": "é"}'.encode("utf-16")])
def test_invalid_utf8_is_400_not_500(client: TestClient, body: bytes) -> None:
    for path in ("/items", "/upload", "/rpc"):
        response = _json(client, path, body)
        assert (response.status_code, _kind(response)) == (400, "invalid-json-encoding")


@pytest.mark.parametrize("body", [b'{"name": "a", "name": "b"}',
                                  b'{"name": "a", "tags": [{"k": 1, "k": 1}]}'])
def test_duplicate_keys_are_400_not_500(client: TestClient, body: bytes) -> None:
    for path in ("/items", "/upload", "/rpc"):
        response = _json(client, path, body)
        assert (response.status_code, _kind(response)) == (400, "duplicate-json-member")
        assert response.json()["member"] in ("name", "k")


@pytest.mark.parametrize("body", [b'{"name": "\\ud800"}', b'{"name": "x", "tags": ["\\udc00"]}',
                                  b'{"\\udbff": 1, "name": "x"}'])
def test_unpaired_surrogate_escapes_are_400(client: TestClient, body: bytes) -> None:
    response = _json(client, "/items", body)
    assert (response.status_code, _kind(response)) == (400, "invalid-json-encoding")


def test_paired_surrogates_and_escaped_backslashes_pass(client: TestClient) -> None:
    paired = b'{"name": "\\ud83d\\ude00"}'
    assert _json(client, "/items", paired).json() == {"name": "\U0001F600"}
    literal = b'{"name": "\\\\ud800"}'  # a backslash, then the text "ud800"
    assert _json(client, "/items", literal).json() == {"name": "\\ud800"}


def test_syntax_errors_are_answered_by_the_route(client: TestClient) -> None:
    response = _json(client, "/items", b'{"name": ')
    assert (response.status_code, _kind(response)) == (400, "invalid-request")
    huge_number = b'{"name": "x", "tags": [' + b"9" * 5_000 + b"]}"
    assert _json(client, "/rpc", huge_number).json() == {"error": -32700}


# --- the screen against a naive reference ------------------------------------------------


def _naive_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_naive_depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_naive_depth(item) for item in value), default=0)
    return 0


_no_nul = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(_no_nul, max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(_no_nul, max_size=4), children, max_size=3),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(value=_json_values, limit=st.integers(min_value=0, max_value=8))
def test_screen_accepts_exactly_the_documents_within_the_limit(value: Any, limit: int) -> None:
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    if _naive_depth(value) <= limit:
        verify_json_body(body, max_depth=limit)
    else:
        with pytest.raises(JsonTooDeepError):
            verify_json_body(body, max_depth=limit)


@settings(max_examples=200, deadline=None)
@given(value=st.dictionaries(st.text(_no_nul, min_size=1, max_size=4), _json_values, min_size=1,
                             max_size=4),
       position=st.integers(min_value=0))
def test_screen_finds_any_repeated_member(value: dict[str, Any], position: int) -> None:
    name = sorted(value)[position % len(value)]
    text = json.dumps(value, ensure_ascii=False)
    repeated = text[:-1] + ", " + json.dumps(name) + ": null}"
    with pytest.raises(DuplicateMemberError) as raised:
        verify_json_body(repeated.encode("utf-8"))
    assert raised.value.member == name
    verify_json_body(text.encode("utf-8"))  # the original has each name once


@settings(max_examples=200, deadline=None)
@given(value=_json_values, where=st.integers(min_value=0), backslashes=st.integers(0, 3))
def test_screen_finds_nul_in_any_string_and_nowhere_else(value: Any, where: int,
                                                         backslashes: int) -> None:
    """U+0000 anywhere in a string (escaped as JSON must write it) is refused; the text
    `\\u0000` (an escaped backslash before `u0000`) is not U+0000 and passes."""
    holder = ["x" * (where % 5) + "\x00", value] if where % 2 else {"k\x00": value}
    with pytest.raises(NulCharacterError):
        verify_json_body(json.dumps(holder).encode("utf-8"))
    literal = ["\\" * backslashes + "\\u0000", value]  # backslashes, then the text u0000
    verify_json_body(json.dumps(literal).encode("utf-8"))


def test_nul_in_a_body_is_400(client: TestClient) -> None:
    response = _json(client, "/items", b'{"name": "a\\u0000b"}')
    assert (response.status_code, _kind(response)) == (400, "nul-character")


def test_screen_error_types() -> None:
    with pytest.raises(NotUtf8Error) as not_utf8:
        verify_json_body(b'["ok", "\xc0\xaf"]')
    assert not_utf8.value.offset == 8
    with pytest.raises(LoneSurrogateError):
        verify_json_body(b'["\\uDFFF"]')
    with pytest.raises(JsonTooDeepError) as too_deep:
        verify_json_body(deep_body(100_000))
    assert (too_deep.value.depth, too_deep.value.limit) == (MAX_JSON_DEPTH + 1, MAX_JSON_DEPTH)


# --- the API's own routes ----------------------------------------------------------------


def test_every_body_route_of_the_api_is_typed_and_screened() -> None:
    """Policies of the real app (`create_app`), whose routers are included: each route that
    takes a body declares its media types and is screened; capture and the chain proxy
    keep their own limits."""
    settings = ApiSettings(database_url="sqlite://", mirror_database_url="sqlite://",
                           rpc_url="http://127.0.0.1:1", node_data_dir=Path("/nonexistent"))
    # create_app only reads settings and the services registry of its context here.
    context = SimpleNamespace(settings=settings, close=lambda: None,
                              shared=lambda factory: factory(context))
    app = create_app(settings, context=context)  # type: ignore[arg-type]
    policies = route_policies(app.routes, default_limit=settings.max_body_bytes,
                              limits=route_body_limits(context))  # type: ignore[arg-type]
    by_route = {(method, context.path): policy for context, policy in policies
                for method in (context.methods or ())}
    bodies = {key: policy for key, policy in by_route.items()
              if key[0] in ("POST", "PUT", "PATCH") and policy.media_types is not None}
    for must in (("POST", "/v1/verify"), ("POST", "/v1/products"), ("POST", "/v1/capture"),
                 ("POST", "/v1/enterprises"), ("POST", "/v1/chain/rpc"),
                 ("POST", "/v1/labels/batch")):
        assert must in bodies, must
    for key, policy in bodies.items():
        assert policy.json and JSON_MEDIA_TYPE in policy.media_types, key
    assert by_route[("POST", "/v1/capture")].limit == settings.capture_file_size_limit
    assert by_route[("POST", "/v1/capture")].media_types == {"application/json",
                                                              "application/ld+json"}
    assert by_route[("POST", "/v1/chain/rpc")].limit == CHAIN_PROXY_MAX_BODY_BYTES
    assert by_route[("POST", "/v1/verify")].limit == settings.max_body_bytes
    capture_413 = by_route[("POST", "/v1/capture")].too_large(10**9, 5)
    assert capture_413.kind == "capture-too-large"
    assert capture_413.headers["GS1-EPCIS-Capture-File-Size-Limit"] == str(
        settings.capture_file_size_limit)
