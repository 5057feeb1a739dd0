"""Settings of the trace API: passed to `create_app(settings)`, never imported as globals.

Every field can also come from the environment with the prefix `TRACELEDGER_API_`
(e.g. `TRACELEDGER_API_DATABASE_URL`); `traceledger up` fills them from its data dir.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from anchoring.core.note import ALG_COSIGNATURE_V1, decode_verifier_key

MIB = 1024 * 1024


class ApiSettings(BaseSettings):
    """Where the API's data, chain and keys are, and the limits it advertises."""

    model_config = SettingsConfigDict(env_prefix="TRACELEDGER_API_", extra="forbid")

    database_url: str = Field(
        description="Records, API tables and the trace log (tables prefixed `tl_`): one "
        "database, so a record and its log leaf are written in one transaction."
    )
    mirror_database_url: str = Field(
        description="The indexer's SQL mirror of the chain (read only here)."
    )
    rpc_url: str = Field(description="JSON-RPC of a ledger node (verdicts ask the chain).")
    transaction_rpc_url: str | None = Field(
        default=None,
        description="JSON-RPC of a node that accepts transactions (a consortium authority), "
        "for everything the chain gateway does: what the API sends and the reads around it "
        "(nonces, gas estimates, receipts, membership checks). Unset: `rpc_url`. Needed "
        "when `rpc_url` is a read-only follower, which refuses transactions.",
    )
    log_url: str | None = Field(
        default=None,
        description="The trace log's tlog-tiles prefix (e.g. `http://127.0.0.1:8080/log`; "
        "its checkpoint is `<log_url>/checkpoint`); `/healthz` probes it, `unknown` if unset.",
    )
    node_data_dir: Path = Field(
        description="The ledger node's data dir: deployment.json, keystore/ or dev-keys.json."
    )
    passphrase_file: Path | None = Field(
        default=None, description="First line: passphrase of the node keystores and key files."
    )
    master_key_file: Path | None = Field(
        default=None,
        description="32-byte AES-256-GCM master key (hex) encrypting custodial enterprise keys.",
    )
    log_key_file: Path | None = Field(
        default=None, description="The log's key file; only its public verifier key is read."
    )
    log_origin: str = "localhost/traceledger-log"
    witness_keys: list[str] = Field(
        default=[],
        description="C2SP note verifier keys (`<name>+<key id>+base64(0x04 || key)`, "
        "tlog-cosignature/v1) of the witnesses that cosign the log's checkpoints; proof "
        "bundles list them. From the environment as a JSON list.",
    )
    table_prefix: str = "tl_"

    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Scheme and host printed into QR labels and Digital Link responses.",
    )
    forwarded_allow_ips: list[str] = Field(
        default=[],
        description="Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto "
        "the API believes (JSON list; uvicorn's `forwarded_allow_ips`). Empty (default): "
        "the client address is the TCP peer, so nobody can pick the address the rate "
        "limiter and the clone alarm see; a deployment behind a proxy lists the proxy.",
    )

    oidc_issuer: str | None = Field(
        default=None, description="OIDC issuer (`iss`) of regulator staff tokens; unset = no OIDC."
    )
    oidc_audience: str | None = Field(default=None, description="Expected `aud` of tokens.")
    oidc_jwks_url: str | None = Field(default=None, description="JWKS URL of the issuer.")
    oidc_jwks_file: Path | None = Field(default=None, description="JWKS as a local file.")
    oidc_role_claim: str = Field(
        default="roles", description="Claim holding the role name(s); dots walk into objects."
    )
    oidc_regulator_role: str = "regulator"
    oidc_admin_role: str = "admin"
    oidc_leeway_s: int = Field(default=30, description="Clock skew allowed on exp/nbf/iat.")
    oidc_jwks_refresh_interval_s: float = Field(
        default=30.0, description="At most one JWKS refetch per interval for unknown key ids."
    )

    api_key_cache_ttl_s: float = Field(
        default=60.0,
        description="How long a successful API key check is remembered (keyed by SHA-256 of "
        "the key), so the slow scrypt hash runs once per key and interval, not per request.",
    )

    capture_limit: int = Field(
        default=10_000, description="Events per capture document (GS1-EPCIS-Capture-Limit)."
    )
    capture_file_size_limit: int = Field(
        default=32 * MIB, description="Bytes per capture request (GS1-EPCIS-Capture-File-Size-Limit)."
    )
    max_body_bytes: int = Field(
        default=1 * MIB, gt=0,
        description="Bytes per request body on routes without a limit of their own (capture "
        "has capture_file_size_limit, the chain proxy 64 KiB); counted while the body "
        "streams, whatever its transfer encoding (trace_api.body_limits).",
    )
    rate_limit_per_minute: int = Field(
        default=6_000, description="Requests per minute per credential or client address."
    )
    rate_limit_burst: int = Field(
        default=600, description="Requests a credential or address may send at once (bucket size)."
    )
    rate_limit_max_buckets: int = Field(
        default=100_000, gt=0,
        description="Most buckets the limiter tracks; past it the least recently used is "
        "dropped (trace_api.ratelimit), so the table never grows without bound.",
    )
    identity_cache_ttl_s: float = Field(
        default=5.0,
        description="How long an enterprise's on-chain status is trusted by capture; the "
        "API's own suspensions invalidate it at once.",
    )
    signature_workers: int = Field(
        default=0, description="Processes for signature recovery; 0 = one per CPU."
    )

    @field_validator("witness_keys")
    @classmethod
    def _witness_keys_are_cosignature_keys(cls, keys: list[str]) -> list[str]:
        # A malformed key would only show up later as a bundle no verifier can use.
        for key in keys:
            decode_verifier_key(key, signature_type=ALG_COSIGNATURE_V1)  # KeyFormatError is a ValueError
        return keys
