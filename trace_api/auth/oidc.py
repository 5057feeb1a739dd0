"""OIDC bearer tokens for regulator staff, signed in through the authority's SSO.

A token is accepted only if, in this order: its header names an allowed algorithm
(RS256 or ES256; never `none` or an HMAC, which would let anyone holding the public key
mint tokens); its `kid` is in the issuer's JWKS (file or URL; an unknown `kid` triggers
one refetch, at most once per `oidc_jwks_refresh_interval_s`, so key rollover works and
junk tokens cannot hammer the issuer); the signature verifies with that key; `iss` and
`aud` match the settings; `exp`, `iat` (and `nbf` when present) hold with a small leeway;
`sub` is present. The role comes from a configured claim (a string or a list of strings).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from trace_api.auth.principal import Principal, Role
from trace_api.settings import ApiSettings

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256", "ES256")
JWKS_FETCH_TIMEOUT_S = 5.0
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")


class TokenRejected(Exception):
    """The token is not acceptable (401): `reason` is safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoRole(Exception):
    """The token is valid but grants no role of this API (403)."""


@dataclass(frozen=True)
class _KeySet:
    keys: dict[str, PyJWK]
    fetched_at: float


class JwksCache:
    """The issuer's signing keys by `kid`, loaded from a file or URL and refreshed on demand."""

    def __init__(self, *, url: str | None, file: Any, refresh_interval_s: float) -> None:
        self._url = url
        self._file = file
        self._refresh_interval_s = refresh_interval_s
        self._lock = threading.Lock()
        self._key_set: _KeySet | None = None

    def key(self, kid: str) -> PyJWK | None:
        """The key with id `kid`, refetching the set once if it is unknown."""
        key_set = self._key_set
        if key_set is not None and kid in key_set.keys:
            return key_set.keys[kid]
        with self._lock:
            key_set = self._key_set
            stale = key_set is None or (
                time.monotonic() - key_set.fetched_at >= self._refresh_interval_s
            )
            if stale:
                self._key_set = key_set = _KeySet(self._load(), time.monotonic())
            assert key_set is not None
            return key_set.keys.get(kid)

    def _load(self) -> dict[str, PyJWK]:
        try:
            if self._url is not None:
                response = httpx.get(self._url, timeout=JWKS_FETCH_TIMEOUT_S)
                response.raise_for_status()
                document = response.json()
            else:
                document = json.loads(self._file.read_text(encoding="utf-8"))
        except (OSError, ValueError, httpx.HTTPError) as exc:
            log.warning("cannot load the OIDC JWKS: %s", type(exc).__name__)
            return self._key_set.keys if self._key_set is not None else {}
        keys: dict[str, PyJWK] = {}
        for entry in document.get("keys", []):
            kid = entry.get("kid")
            if not isinstance(kid, str) or entry.get("use", "sig") != "sig":
                continue
            try:
                keys[kid] = PyJWK(entry)
            except jwt.PyJWTError:
                log.warning("ignoring unusable JWKS key %s", kid)
        return keys


class OidcVerifier:
    """Turns a bearer JWT into a regulator (or admin) `Principal` per the settings."""

    def __init__(self, settings: ApiSettings) -> None:
        self._settings = settings
        self._jwks = JwksCache(
            url=settings.oidc_jwks_url, file=settings.oidc_jwks_file,
            refresh_interval_s=settings.oidc_jwks_refresh_interval_s,
        )

    @staticmethod
    def configured(settings: ApiSettings) -> bool:
        return bool(settings.oidc_issuer and settings.oidc_audience
                    and (settings.oidc_jwks_url or settings.oidc_jwks_file))

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises `TokenRejected` (401) or `NoRole` (403)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRejected("malformed token") from exc
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise TokenRejected(f"token algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenRejected("token header has no key id (kid)")
        key = self._jwks.key(kid)
        if key is None:
            raise TokenRejected("token signed with an unknown key")
        if key.algorithm_name != algorithm:
            # e.g. an ES256 header over an RSA key: refuse rather than guess.
            raise TokenRejected("token algorithm does not match its key")
        try:
            claims = jwt.decode(
                token, key=key, algorithms=[algorithm],
                audience=self._settings.oidc_audience, issuer=self._settings.oidc_issuer,
                leeway=self._settings.oidc_leeway_s,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRejected("token expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise TokenRejected("token not valid yet") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRejected("token from another issuer") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenRejected("token for another audience") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenRejected("token signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise TokenRejected(f"invalid token: {exc}") from exc
        return Principal(role=self._role(claims), subject=str(claims["sub"]), via="oidc",
                         name=_str_or_none(claims.get("name") or claims.get("preferred_username")))

    def _role(self, claims: dict[str, Any]) -> Role:
        value: Any = claims
        for part in self._settings.oidc_role_claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        names = {value} if isinstance(value, str) else (
            {item for item in value if isinstance(item, str)} if isinstance(value, list) else set()
        )
        # The most privileged role the token names wins; one principal has one role.
        if self._settings.oidc_admin_role in names:
            return Role.ADMIN
        if self._settings.oidc_regulator_role in names:
            return Role.REGULATOR
        raise NoRole(f"the token's {self._settings.oidc_role_claim!r} claim grants no role")


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
