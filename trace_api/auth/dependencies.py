"""FastAPI dependencies: who is calling (`CurrentPrincipal`, `OptionalPrincipal`) and
whether their role may (`require_roles`).

Credentials: `Authorization: Bearer <token>` where the token is an API key (`tlk_...`)
or an OIDC JWT, or `X-API-Key: <API key>`. Missing or invalid credentials give 401 with a
`WWW-Authenticate: Bearer` challenge (RFC 6750 §3); a valid credential with the wrong
role gives 403. Presenting an invalid credential is an error even on public routes: a
client that thinks it signed in must not be served silently as anonymous.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from trace_api.auth.api_keys import ApiKeyVerifier, looks_like_api_key
from trace_api.auth.oidc import IdentityProviderUnavailable, NoRole, OidcVerifier, TokenRejected
from trace_api.auth.principal import Principal, Role
from trace_api.context import ApiContext, ContextDep, shared_dependency
from trace_api.problems import Problem
from trace_api.ratelimit import TokenBuckets, charge_failure, charge_verified

REALM = "traceledger"

_bearer = HTTPBearer(auto_error=False, description="An API key (tlk_...) or an OIDC token.")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


def api_key_verifier(ctx: ApiContext) -> ApiKeyVerifier:
    """The key verifier (and its cache of successful checks); the app's one is
    `ctx.shared(api_key_verifier)`."""
    return ApiKeyVerifier(ctx.engine, ctx.settings.api_key_cache_ttl_s)


def rate_limiter(ctx: ApiContext) -> TokenBuckets:
    """Token buckets from the settings; the app's one, `ctx.shared(rate_limiter)`, is
    shared by the middleware and failed sign-ins."""
    return TokenBuckets(
        per_minute=ctx.settings.rate_limit_per_minute, burst=ctx.settings.rate_limit_burst,
        max_buckets=ctx.settings.rate_limit_max_buckets,
    )


ApiKeyVerifierDep = Annotated[ApiKeyVerifier, shared_dependency(api_key_verifier)]
"""A route parameter: the app's API key verifier."""


def oidc_verifier(ctx: ApiContext) -> OidcVerifier | None:
    """The OIDC token verifier, or None when single sign-on is not configured (the app's
    one is `ctx.shared(oidc_verifier)`)."""
    return OidcVerifier(ctx.settings) if OidcVerifier.configured(ctx.settings) else None


def unauthorized(detail: str, *, invalid: bool = True) -> Problem:
    challenge = f'Bearer realm="{REALM}"'
    if invalid:  # RFC 6750 §3.1: only say invalid_token when a token was presented
        challenge += ', error="invalid_token", error_description="' + detail.replace('"', "'") + '"'
    return Problem(401, "unauthorized", "Authentication required", detail,
                   headers={"WWW-Authenticate": challenge})


def _authenticate(ctx: ApiContext, request: Request, token: str) -> Principal:
    """The principal of `token`. Rate limiting (trace_api.ratelimit): only a credential
    that verifies gets, and is charged to, a bucket of its own; a failure costs the
    client's address."""
    try:
        principal = _verify(ctx, token)
    except Problem:
        _charge_failure(ctx, request)
        raise
    charge_verified(ctx.shared(rate_limiter), request.scope)
    return principal


def _verify(ctx: ApiContext, token: str) -> Principal:
    if looks_like_api_key(token):
        principal = ctx.shared(api_key_verifier).verify(token)
        if principal is not None:
            return principal
        raise unauthorized("unknown, revoked or malformed API key")
    oidc = ctx.shared(oidc_verifier)
    if oidc is None:
        raise unauthorized("not an API key, and single sign-on is not configured")
    try:
        return oidc.verify(token)
    except TokenRejected as exc:
        raise unauthorized(exc.reason) from None
    except IdentityProviderUnavailable as exc:
        # Not the caller's fault, and not a verified credential either: the address pays.
        raise Problem(503, "identity-provider-unavailable", "Single sign-on unavailable",
                      f"the identity provider's signing keys cannot be read: {exc.reason}",
                      headers={"Retry-After": str(exc.retry_after_s)}) from None
    except NoRole as exc:  # valid elsewhere, but no credential of this API: the address pays
        raise Problem(403, "forbidden", "Not allowed", str(exc)) from None


def _charge_failure(ctx: ApiContext, request: Request) -> None:
    """A failed sign-in costs the client's address a token (see trace_api.ratelimit)."""
    charge_failure(ctx.shared(rate_limiter), request.scope)


def optional_principal(
    ctx: ContextDep,
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal | None:
    """The caller, or None when no credential is presented; 401 for a bad credential."""
    if api_key:
        return _authenticate(ctx, request, api_key)
    if bearer is not None:
        return _authenticate(ctx, request, bearer.credentials)
    if request.headers.get("authorization"):
        _charge_failure(ctx, request)
        raise unauthorized("the Authorization header must be 'Bearer <token>'")
    return None


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The caller; 401 without credentials."""
    if principal is None:
        raise unauthorized("this endpoint needs an API key or a bearer token", invalid=False)
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency returning the caller if their role is one of `roles`, else 403."""
    allowed = frozenset(roles)

    def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise Problem(403, "forbidden", "Not allowed",
                          f"this needs the role {names}; the caller is {principal.role.value}")
        return principal

    return dependency
