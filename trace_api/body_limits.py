"""Bounded request bodies: every body is sized, typed and screened before the app reads it.

`BodyLimitMiddleware` wraps the whole app (only the rate limiter sits outside it; it
never reads a body). For a request that carries a body (`Content-Length` > 0 or any
`Transfer-Encoding`) it finds the route the router would pick and applies that route's
`BodyPolicy`:

1. a `Content-Type` the route does not take is 415 `unsupported-media-type` (a missing
   one is left to the route: FastAPI's strict JSON handling answers 400, capture 415, the
   chain proxy parses it as JSON-RPC);
2. the body is read here, counted while it streams, whatever the transfer encoding:
   a declared `Content-Length` over the limit is refused before reading, and a chunked
   body is refused as soon as the bytes received pass the limit (413, problem kind
   `body-too-large` with `limit`; capture keeps its EPCIS `capture-too-large`);
3. a JSON body (JSON media type, or none on a route that takes JSON) goes through
   `trace_api.json_body.verify_json_body` before any parser: too deep is 400
   `json-too-deep`, not UTF-8 or an unpaired surrogate 400 `invalid-json-encoding`, a
   repeated member 400 `duplicate-json-member`, U+0000 in a string 400 `nul-character`;
4. the buffered (bounded) body is replayed to the app unchanged.

Routes that take no body (or requests that match no route) still have their body capped
at the default limit, but not typed or screened: the app does not read it.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import anyio
from fastapi import params
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute, Match

from trace_api.json_body import (
    DuplicateMemberError,
    JsonTooDeepError,
    LoneSurrogateError,
    NotUtf8Error,
    NulCharacterError,
    verify_json_body,
)
from trace_api.problems import Problem, problem_response

JSON_MEDIA_TYPE = "application/json"
FORM_MEDIA_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
INLINE_SCREEN_BYTES = 64 * 1024
"""Bodies up to this size are screened on the event loop (well under a millisecond);
larger ones (a capture document may be 32 MiB, ~1 s to scan) in a worker thread, so one
large upload does not stall every other request."""

class Matcher(Protocol):
    """A route as the router matches it (Starlette's `matches`)."""

    def matches(self, scope: Any) -> tuple[Match, Any]: ...


TooLarge = Callable[[int, int], Problem]
"""Builds the 413 for (bytes declared, or received so far; the limit)."""


def body_too_large(size: int, limit: int) -> Problem:
    """413 `body-too-large` naming the limit and the size declared or received so far."""
    return Problem(413, "body-too-large", "Request body too large",
                   f"a request body here is at most {limit} bytes; this one has at least {size}",
                   extensions={"limit": limit})


@dataclass(frozen=True)
class BodyPolicy:
    """What one route accepts as a body.

    `media_types`: accepted media types (lower case, no parameters); None = the route
    reads no body, so any type passes untouched. `any_json`: `application/*+json` types
    are accepted too (FastAPI parses them as JSON). `json`: the route parses its body as
    JSON, so the body is screened.
    """

    limit: int
    media_types: frozenset[str] | None = None
    any_json: bool = False
    json: bool = False
    too_large: TooLarge = body_too_large

    def accepts(self, media_type: str) -> bool:
        return (self.media_types is None or media_type in self.media_types
                or self.any_json and _json_type(media_type))

    def is_json(self, media_type: str | None) -> bool:
        return self.json and (media_type is None or _json_type(media_type))


@dataclass(frozen=True)
class RouteLimit:
    """A route's own size limit (and the 413 it answers), in place of the default."""

    limit: int
    too_large: TooLarge = body_too_large


def route_policy(route: BaseRoute, path: str | None, *, default: RouteLimit,
                 limits: Mapping[str, RouteLimit]) -> BodyPolicy:
    """The policy of `route` served at `path`: its limit (from `limits` by path, else
    `default`) and the bodies it declares (an OpenAPI `requestBody` in `openapi_extra`,
    a form body, or a pydantic JSON body)."""
    size = limits.get(path or "", default)
    bounded = BodyPolicy(limit=size.limit, too_large=size.too_large)
    if not isinstance(route, APIRoute):
        return bounded
    declared = (route.openapi_extra or {}).get("requestBody", {}).get("content")
    if declared:
        types = frozenset(media.lower() for media in declared)
        return replace(bounded, media_types=types, json=any(_json_type(media) for media in types))
    if route.body_field is None:
        return bounded
    if isinstance(route.body_field.field_info, params.Form):
        return replace(bounded, media_types=FORM_MEDIA_TYPES)
    return replace(bounded, media_types=frozenset({JSON_MEDIA_TYPE}), any_json=True, json=True)


def route_policies(routes: Sequence[BaseRoute], *, default_limit: int,
                   limits: Mapping[str, RouteLimit] | None = None
                   ) -> list[tuple[Matcher, BodyPolicy]]:
    """Each route with its policy, in the router's order (the first full match wins).

    `routes` is `app.routes`; routers included with `include_router` are walked into
    (FastAPI keeps them as one entry each). `limits` maps a served path (e.g.
    `/v1/capture`) to that route's own limit.
    """
    default = RouteLimit(default_limit)
    return [(context, route_policy(context.original_route, context.path, default=default,
                                   limits=limits or {}))
            for context in iter_route_contexts(routes)]


def _json_type(media_type: str) -> bool:
    return media_type == JSON_MEDIA_TYPE or (
        media_type.startswith("application/") and media_type.endswith("+json"))


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = email.message.Message()
    message["content-type"] = content_type
    return message.get_content_type().lower()


class BodyLimitMiddleware:
    """ASGI middleware applying each route's `BodyPolicy` (module docstring)."""

    def __init__(self, app: Any, *, policies: Sequence[tuple[Matcher, BodyPolicy]],
                 default_limit: int) -> None:
        self.app = app
        self.policies = policies
        self.default = BodyPolicy(limit=default_limit)

    def policy_for(self, scope: Mapping[str, Any]) -> BodyPolicy:
        """The policy of the route that fully matches `scope`, else the default."""
        for route, policy in self.policies:
            match, _child = route.matches(scope)
            if match is Match.FULL:
                return policy
        return self.default

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope.get("headers", ())}
        declared = headers.get(b"content-length")
        chunked = b"transfer-encoding" in headers
        if not chunked and (declared is None or declared.strip() in (b"", b"0")):
            await self.app(scope, receive, send)  # no body: nothing to bound
            return
        try:
            body = await self._read(scope, receive, headers, declared)
        except Problem as problem:
            await problem_response(problem, scope.get("path"))(scope, receive, send)
            return
        if body is None:
            return  # the client went away mid-body: nobody to answer
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            message: dict[str, Any] = await receive()  # later calls wait for the disconnect
            return message

        await self.app(scope, replay, send)

    async def _read(self, scope: dict[str, Any], receive: Any, headers: Mapping[bytes, bytes],
                    declared: bytes | None) -> bytes | None:
        policy = self.policy_for(scope)
        media_type = _media_type(headers.get(b"content-type", b"").decode("latin-1"))
        if media_type is not None and not policy.accepts(media_type):
            accepted = sorted(policy.media_types or ())
            raise Problem(415, "unsupported-media-type", "Unsupported media type",
                          f"this route takes {' or '.join(accepted)}"
                          + (" (or another application/*+json type)" if policy.any_json else "")
                          + f", not {media_type}",
                          extensions={"accepted": accepted})
        if declared is not None:
            try:
                declared_size = int(declared)
            except ValueError:
                raise Problem(400, "bad-request", "Bad request",
                              "Content-Length is not a number") from None
            if declared_size > policy.limit:
                raise policy.too_large(declared_size, policy.limit)
        body = await _bounded_body(receive, policy)
        if body is not None and body and policy.is_json(media_type):
            await _screen(body)
        return body


async def _bounded_body(receive: Any, policy: BodyPolicy) -> bytes | None:
    """The whole body, or None on disconnect; 413 as soon as it passes `policy.limit`."""
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > policy.limit:
            raise policy.too_large(received, policy.limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _screen(body: bytes) -> None:
    """`verify_json_body`, its errors as 400 problems."""
    try:
        if len(body) <= INLINE_SCREEN_BYTES:
            verify_json_body(body)
        else:
            await anyio.to_thread.run_sync(verify_json_body, body)
    except JsonTooDeepError as exc:
        raise Problem(400, "json-too-deep", "JSON nested too deeply",
                      f"the body nests arrays and objects more than {exc.limit} levels deep",
                      extensions={"limit": exc.limit}) from None
    except (NotUtf8Error, LoneSurrogateError) as exc:
        raise Problem(400, "invalid-json-encoding", "Body is not UTF-8 JSON text",
                      exc.reason) from None
    except NulCharacterError as exc:
        raise Problem(400, "nul-character", "U+0000 in a string", exc.reason) from None
    except DuplicateMemberError as exc:
        raise Problem(400, "duplicate-json-member", "Repeated member name",
                      exc.reason, extensions={"member": exc.member}) from None
