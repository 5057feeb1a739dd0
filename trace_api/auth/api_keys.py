"""API keys: shown once, stored only as a slow hash, revocable, scoped to one role.

A key reads `tlk_<key id>_<secret>`: the key id (16 hex digits) finds the row, the
secret (43 base64url characters, 256 bits) is checked against its scrypt hash with a
per-key salt. scrypt costs tens of milliseconds on purpose, so a stolen table is slow to
attack; to keep that cost off every request, a successful check is remembered in memory
for `api_key_cache_ttl_s`, keyed by the SHA-256 of the presented key (the key itself is
never held). Revoking a key through this process drops its cache entries at once; other
processes serving the same database notice within the TTL.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import BigInteger, Engine
from sqlmodel import Field, Session, SQLModel, select

from trace_api.auth.principal import Principal, Role

KEY_PREFIX = "tlk"
KEY_ID_HEX_DIGITS = 16
SECRET_BYTES = 32
_KEY_PATTERN = re.compile(r"^tlk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")

# scrypt cost: N = 2^14, r = 8, p = 1 (16 MiB, ~50 ms here): the parameters RFC 7914 §2
# calls interactive-login strength. Stored per row, so they can be raised later.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_LENGTH = 32
SCRYPT_MAXMEM = 64 * 1024 * 1024
SALT_BYTES = 16


class ApiKeyRow(SQLModel, table=True):
    """One issued API key: its role, owner and slow hash; never the key itself."""

    __tablename__ = "api_keys"

    key_id: str = Field(primary_key=True, max_length=KEY_ID_HEX_DIGITS)
    role: str = Field(max_length=16)
    enterprise_id: str | None = Field(default=None, index=True, max_length=66)
    name: str = Field(max_length=200)
    hash_scheme: str = Field(max_length=40)
    salt: bytes
    key_hash: bytes
    created_at_ms: int = Field(sa_type=BigInteger)
    created_by: str | None = Field(default=None, max_length=200)
    revoked_at_ms: int | None = Field(default=None, sa_type=BigInteger)


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key: `key` is the only time the secret exists outside the caller."""

    row: ApiKeyRow
    key: str

    def __repr__(self) -> str:  # never print the key
        return f"IssuedKey(key_id={self.row.key_id!r}, role={self.row.role!r})"


def _scheme() -> str:
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}"


def _slow_hash(secret: str, salt: bytes, scheme: str) -> bytes:
    name, n, r, p = scheme.split(":")
    if name != "scrypt":
        raise ValueError(f"unknown key hash scheme {name!r}")
    return hashlib.scrypt(
        secret.encode("ascii"), salt=salt, n=int(n), r=int(r), p=int(p),
        maxmem=SCRYPT_MAXMEM, dklen=SCRYPT_LENGTH,
    )


def parse_api_key(presented: str) -> tuple[str, str] | None:
    """(key id, secret) if `presented` has the shape of one of our keys, else None."""
    match = _KEY_PATTERN.match(presented)
    return (match.group(1), match.group(2)) if match else None


def looks_like_api_key(presented: str) -> bool:
    """True for `tlk_...` tokens (anything else in a bearer header is treated as a JWT)."""
    return presented.startswith(KEY_PREFIX + "_")


def create_api_key(
    engine: Engine, *, role: Role, name: str, enterprise_id: str | None = None,
    created_by: str | None = None,
) -> IssuedKey:
    """Create and store a key for `role` (enterprise keys need `enterprise_id`); return it once."""
    if (role is Role.ENTERPRISE) != (enterprise_id is not None):
        raise ValueError("enterprise keys, and only they, are bound to an enterprise")
    key_id = secrets.token_hex(KEY_ID_HEX_DIGITS // 2)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    salt = secrets.token_bytes(SALT_BYTES)
    scheme = _scheme()
    row = ApiKeyRow(
        key_id=key_id, role=role.value, enterprise_id=enterprise_id, name=name,
        hash_scheme=scheme, salt=salt, key_hash=_slow_hash(secret, salt, scheme),
        created_at_ms=_now_ms(), created_by=created_by,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return IssuedKey(row=row, key=f"{KEY_PREFIX}_{key_id}_{secret}")


def list_api_keys(engine: Engine, *, enterprise_id: str | None = None) -> list[ApiKeyRow]:
    """Every key (or every key of one enterprise), oldest first, revoked ones included."""
    statement = select(ApiKeyRow).order_by(ApiKeyRow.created_at_ms, ApiKeyRow.key_id)  # type: ignore[arg-type]
    if enterprise_id is not None:
        statement = statement.where(ApiKeyRow.enterprise_id == enterprise_id)
    with Session(engine) as session:
        return list(session.exec(statement).all())


def get_api_key(engine: Engine, key_id: str) -> ApiKeyRow | None:
    """The row of `key_id`, or None."""
    with Session(engine) as session:
        return session.get(ApiKeyRow, key_id)


def revoke_api_key(engine: Engine, key_id: str) -> ApiKeyRow | None:
    """Mark `key_id` revoked (idempotent: keeps the first revocation time); None if unknown."""
    with Session(engine) as session:
        row = session.get(ApiKeyRow, key_id)
        if row is None:
            return None
        if row.revoked_at_ms is None:
            row.revoked_at_ms = _now_ms()
            session.add(row)
            session.commit()
            session.refresh(row)
        return row


def principal_for(row: ApiKeyRow) -> Principal:
    return Principal(role=Role(row.role), subject=row.key_id, via="api-key",
                     enterprise_id=row.enterprise_id, name=row.name)


class ApiKeyVerifier:
    """Checks presented keys against the table, remembering successes for `ttl_s` seconds."""

    def __init__(self, engine: Engine, ttl_s: float) -> None:
        self._engine = engine
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cache: dict[bytes, tuple[Principal, float]] = {}
        self._digests_by_key: dict[str, set[bytes]] = {}

    def verify(self, presented: str) -> Principal | None:
        """The key's principal, or None for an unknown, revoked or wrong key."""
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
            if cached is not None and cached[1] > now:
                return cached[0]
        parsed = parse_api_key(presented)
        if parsed is None:
            return None
        key_id, secret = parsed
        row = get_api_key(self._engine, key_id)
        if row is None or row.revoked_at_ms is not None:
            return None
        if not hmac.compare_digest(_slow_hash(secret, row.salt, row.hash_scheme), row.key_hash):
            return None
        principal = principal_for(row)
        with self._lock:
            self._cache[digest] = (principal, now + self._ttl_s)
            self._digests_by_key.setdefault(key_id, set()).add(digest)
        return principal

    def forget(self, key_id: str) -> None:
        """Drop every cached success of `key_id` (called on revocation)."""
        with self._lock:
            for digest in self._digests_by_key.pop(key_id, set()):
                self._cache.pop(digest, None)


def _now_ms() -> int:
    return int(time.time() * 1000)
