"""The GS1 Digital Link resolver on the API's own host.

`GET|HEAD /01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]`, `/00/{sscc}`, `/8004/{giai}`,
`/414/{gln}[/254/{ext}]`, with data attributes (`?17=270131`) and `linkType` in the query.
Answers per `trace_api.resolver.negotiation`: 303 to the scan page, a 307 to one link
type, or the RFC 9264 linkset; 400 problem for an invalid code, 404 when nothing at any
level (serial, lot, GTIN) is known.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from gs1 import (
    DigitalLink,
    GS1Error,
    canonical_link,
    format_digital_link,
    parse_digital_link,
)
from trace_api.context import ContextDep
from trace_api.resolver.linkset import DEFAULT_LINK, LINKSET_MEDIA_TYPE, choose_link
from trace_api.resolver.negotiation import Answer, decide, preferred_languages
from trace_api.resolver.problems import gs1_problem, unknown_identifier_problem
from trace_api.resolver.service import resolve

router = APIRouter(tags=["resolver"])

PRIMARY_KEY_PATHS = ("01", "00", "8004", "414")
CACHE_CONTROL = "public, max-age=60"  # short: recall links must not be cached for long
VARY = "Accept, Accept-Language"


def requested_link(request: Request, base_url: str) -> DigitalLink:
    """The Digital Link a request names, parsed from the raw (still percent-encoded) path
    and query on this host's stem; raises GS1Error with the reason if it is invalid."""
    raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    query = request.scope.get("query_string", b"").decode("latin-1")
    return parse_digital_link(base_url + raw_path + (f"?{query}" if query else ""))


def _linkset_header(base_url: str, link: DigitalLink) -> str:
    """RFC 8288 Link header pointing at the linkset (`matched` carries no query)."""
    anchor = format_digital_link(link.with_stem(base_url))
    return f'<{anchor}?linkType=all>; rel="linkset"; type="{LINKSET_MEDIA_TYPE}"'


def resolve_request(request: Request, ctx: ContextDep) -> Response:
    """Resolve one Digital Link request (shared by the four primary-key routes)."""
    base_url = ctx.settings.public_base_url.rstrip("/")
    try:
        link = requested_link(request, base_url)
    except GS1Error as exc:
        raise gs1_problem(exc) from exc
    resolution = resolve(ctx, link)
    if resolution is None:
        raise unknown_identifier_problem(format_digital_link(canonical_link(link)))
    headers = {"Link": _linkset_header(base_url, resolution.matched), "Vary": VARY,
               "Cache-Control": CACHE_CONTROL}
    decision = decide(link.extra("linkType"), request.headers.get("accept"))
    if decision.answer is Answer.LINKSET:
        return JSONResponse(resolution.linkset(base_url), media_type=LINKSET_MEDIA_TYPE,
                            headers=headers)
    languages = preferred_languages(request.headers.get("accept-language"))
    if decision.answer is Answer.LINK_TYPE and decision.link_type:
        target = choose_link(resolution.links, decision.link_type, languages)
        if target is not None:
            return RedirectResponse(target.href, status_code=307, headers=headers)
    default = choose_link(resolution.links, DEFAULT_LINK, languages)
    assert default is not None  # links_for always adds the default link
    return RedirectResponse(default.href, status_code=303, headers=headers)


def _route(ai: str) -> None:
    def endpoint(request: Request, ctx: ContextDep, rest: str) -> Response:
        return resolve_request(request, ctx)

    endpoint.__name__ = f"resolve_{ai}"
    endpoint.__doc__ = (
        f"Resolve a GS1 Digital Link with primary key ({ai}): 303 to the scan page, 307 to "
        "a `linkType`, or the RFC 9264 linkset (`linkType=all` or `Accept: "
        "application/linkset+json`); 400 invalid code, 404 unknown at every level."
    )
    router.add_api_route(
        f"/{ai}/{{rest:path}}", endpoint, methods=["GET"], response_class=Response,
        responses={303: {"description": "See the scan page"},
                   307: {"description": "The requested link type"},
                   200: {"description": "RFC 9264 linkset",
                         "content": {LINKSET_MEDIA_TYPE: {}}}},
    )
    # HEAD answers like GET (RFC 9110 §9.3.2); kept out of the schema to avoid a twin operation.
    router.add_api_route(f"/{ai}/{{rest:path}}", endpoint, methods=["HEAD"], response_class=Response,
                         include_in_schema=False, name=f"resolve_{ai}_head")


for _ai in PRIMARY_KEY_PATHS:
    _route(_ai)
