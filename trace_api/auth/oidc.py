"""OIDC bearer tokens for regulator staff, signed in through the authority's SSO.

A token is accepted only if, in this order: its header names an allowed algorithm
(RS256 or ES256; never `none` or an HMAC, which would let anyone holding the public key
mint tokens); its `kid` is in the issuer's JWKS (file or URL; an unknown `kid` triggers
one refetch, at most once per `oidc_jwks_refresh_interval_s` after a successful fetch,
so key rollover works and junk tokens cannot hammer the issuer); the signature verifies
with that key; `iss` and `aud` match the settings; `exp`, `iat` (and `nbf` when present)
hold with a small leeway; `sub` is present. The role comes from a configured claim (a
string or a list of strings).

When the JWKS cannot be read (issue 13), the answer is `IdentityProviderUnavailable`
(503 at the HTTP edge), never a 500 and never a 401 that blames the token:

- a fetch that fails in transit (connection, timeout, HTTP 5xx or 429) is retried up to
  `JWKS_FETCH_ATTEMPTS` times with exponential backoff (`JWKS_RETRY_BASE_DELAY_S`,
  doubling), all within the request that needed the keys;
- after a fetch failed, requests that need the JWKS fail fast for
  `JWKS_FAILURE_BACKOFF_S` (so a burst of tokens does not hammer a failing issuer), and
  the first request after that tries again: no failure is remembered longer;
- a malformed JWKS (more than `JWKS_MAX_BYTES`, nested too deep, not JSON, not an object,
  no `keys` list, an entry that is not an object, no usable signing key) is not retried:
  it is an issuer misconfiguration. Entries of key types this API does not use are
  skipped, as RFC 7517 §5 asks.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from anchoring.core.errors import JsonTooDeepError
from anchoring.core.json_depth import check_json_depth
from trace_api.auth.principal import Principal, Role
from trace_api.settings import ApiSettings

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256", "ES256")
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")
JWKS_FETCH_TIMEOUT_S = 3.0
"""Per attempt; an issuer on the same network answers in milliseconds."""
JWKS_FETCH_ATTEMPTS = 3
"""A fetch is tried this many times before the request gets a 503."""
JWKS_RETRY_BASE_DELAY_S = 0.2
"""Wait before the 2nd attempt; doubled before each next one (0.2 s, 0.4 s): a restarting
issuer or a dropped connection gets ~0.6 s, a signing-in user waits at most ~10 s."""
JWKS_FAILURE_BACKOFF_S = 2.0
"""After a failed fetch, requests needing the JWKS answer 503 at once for this long."""
JWKS_MAX_BYTES = 256 * 1024
"""A JWKS of a few dozen RSA keys is ~20 KB; more is not a key set."""
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class TokenRejected(Exception):
    """The token is not acceptable (401): `reason` is safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoRole(Exception):
    """The token is valid but grants no role of this API (403)."""


class IdentityProviderUnavailable(Exception):
    """The issuer's keys cannot be read (503): `reason` is safe to show the caller;
    `retry_after_s` is when trying again may help."""

    def __init__(self, reason: str, retry_after_s: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class _JwksFailure(Exception):
    """A JWKS fetch failed; `transient` failures are worth retrying."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class _KeySet:
    keys: dict[str, PyJWK]
    fetched_at: float


class JwksCache:
    """The issuer's signing keys by `kid`, loaded from a file or URL and refreshed on demand
    (module docstring: refresh interval, retries, failure backoff, malformed documents)."""

    def __init__(self, *, url: str | None, file: Path | None, refresh_interval_s: float,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._url = url
        self._file = file
        self._refresh_interval_s = refresh_interval_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._key_set: _KeySet | None = None
        self._failed_until = 0.0
        self._failure_reason = ""

    def key(self, kid: str) -> PyJWK | None:
        """The key with id `kid` (refetching the set if it is unknown and the last good
        fetch is older than the refresh interval), or None if the issuer has no such key.

        Raises `IdentityProviderUnavailable` if the set is needed and cannot be read.
        """
        key_set = self._key_set
        if key_set is not None and kid in key_set.keys:
            return key_set.keys[kid]
        with self._lock:
            key_set = self._key_set
            now = self._clock()
            if key_set is not None and (
                kid in key_set.keys or now - key_set.fetched_at < self._refresh_interval_s
            ):
                return key_set.keys.get(kid)
            if now < self._failed_until:
                raise IdentityProviderUnavailable(self._failure_reason,
                                                  _whole_seconds(self._failed_until - now))
            try:
                keys = self._load()
            except _JwksFailure as exc:
                self._failed_until = self._clock() + JWKS_FAILURE_BACKOFF_S
                self._failure_reason = exc.reason
                log.warning("cannot load the OIDC JWKS: %s", exc.reason)
                raise IdentityProviderUnavailable(
                    exc.reason, _whole_seconds(JWKS_FAILURE_BACKOFF_S)) from None
            self._key_set = _KeySet(keys, self._clock())
            return keys.get(kid)

    def _load(self) -> dict[str, PyJWK]:
        """The keys, after up to `JWKS_FETCH_ATTEMPTS` tries of a transient failure."""
        delay_s = JWKS_RETRY_BASE_DELAY_S
        for attempt in range(1, JWKS_FETCH_ATTEMPTS + 1):
            try:
                return parse_jwks(self._read())
            except _JwksFailure as exc:
                if not exc.transient or attempt == JWKS_FETCH_ATTEMPTS:
                    raise
                log.info("JWKS fetch attempt %d failed (%s); retrying in %.1f s",
                         attempt, exc.reason, delay_s)
            self._sleep(delay_s)
            delay_s *= 2
        raise AssertionError("unreachable")

    def _read(self) -> bytes:
        if self._url is None:
            assert self._file is not None
            try:
                with self._file.open("rb") as handle:
                    data = handle.read(JWKS_MAX_BYTES + 1)
            except OSError as exc:
                raise _JwksFailure(f"JWKS file unreadable ({type(exc).__name__})",
                                   transient=True) from exc
            _check_size(len(data))
            return data
        try:
            with httpx.stream("GET", self._url, timeout=JWKS_FETCH_TIMEOUT_S) as response:
                if response.status_code in _RETRY_STATUSES:
                    raise _JwksFailure(f"JWKS URL answered HTTP {response.status_code}",
                                       transient=True)
                if response.status_code != 200:
                    raise _JwksFailure(f"JWKS URL answered HTTP {response.status_code}",
                                       transient=False)
                declared = response.headers.get("content-length", "")
                if declared.isdigit():
                    _check_size(int(declared))
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    _check_size(len(body))
                return bytes(body)
        except httpx.HTTPError as exc:
            raise _JwksFailure(f"JWKS URL unreachable ({type(exc).__name__})",
                               transient=True) from exc


def parse_jwks(data: bytes) -> dict[str, PyJWK]:
    """The usable signing keys of a JWKS document, by `kid`.

    Raises `_JwksFailure` (not transient) for a malformed document (module docstring).
    """
    def malformed(reason: str) -> _JwksFailure:
        return _JwksFailure(f"malformed JWKS: {reason}", transient=False)

    try:
        check_json_depth(data)
        document = json.loads(data)
    except JsonTooDeepError:
        raise malformed("nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise malformed("not JSON") from None
    if not isinstance(document, dict):
        raise malformed(f"a JSON {type(document).__name__}, not an object")
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise malformed("no 'keys' list")
    keys: dict[str, PyJWK] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise malformed(f"keys[{position}] is not an object")
        kid = entry.get("kid")
        if not isinstance(kid, str) or entry.get("use", "sig") != "sig":
            continue
        try:
            keys[kid] = PyJWK(entry)
        except Exception:  # noqa: BLE001 - any entry PyJWT cannot use is skipped, never a 500
            log.warning("ignoring unusable JWKS key %r", kid[:64])
    if not keys:
        raise malformed("no usable signing key")
    return keys


def _check_size(size: int) -> None:
    if size > JWKS_MAX_BYTES:
        raise _JwksFailure(f"malformed JWKS: larger than {JWKS_MAX_BYTES} bytes",
                           transient=False)


def _whole_seconds(seconds: float) -> int:
    return max(1, int(seconds + 0.999))


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
        except (jwt.PyJWTError, ValueError, RecursionError) as exc:
            # RecursionError: a header nested deeper than the (default) recursion limit.
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
