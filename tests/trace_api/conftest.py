"""The live system for end-to-end API tests: the real `traceledger up --dev` in a temp dir.

`live_system` is session-scoped and parametrised (`sqlite`, `postgresql`): every test
that uses it runs against both, and each database starts one system for the whole
session. PostgreSQL gets a fresh `api_live_<random>` database (passed as `--db`),
dropped afterwards; the PostgreSQL half is skipped only if no server answers at
TRACELEDGER_TEST_PG (default 127.0.0.1:5432; see tests/postgres.py). The system is
started and stopped by tests/system_up.py.

Usage:

    def test_something(live_system):
        farm = live_system.enterprise(name="Farm", sectors=["food"], custody="self")
        response = httpx.get(f"{live_system.api_url}/v1/enterprises/{farm.id}",
                             headers=live_system.auth(farm.api_key))

Regulator staff sign in with OIDC: `live_system.regulator_token()` is a bearer token
from the session's own issuer (a locally generated RSA/EC key set in a JWKS file that
the API is configured with); `live_system.oidc` makes any other token.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from eth_account import Account
from eth_account.signers.local import LocalAccount

from contracts.anvil import free_port
from tests.postgres import BACKENDS, fresh_database
from tests.system_up import traceledger_up
from trace_api.gs1.charset import compute_check_digit
from trace_api.identity import uscc_check_character

READY_TIMEOUT_S = 240
USCC_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
OIDC_ISSUER = "https://sso.samr.test/realms/regulators"
OIDC_AUDIENCE = "traceledger-api"


def random_uscc() -> str:
    """A valid, random Unified Social Credit Code (authority 9, category 1, Fuzhou division)."""
    body = "91350100" + "".join(secrets.choice(USCC_ORG_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def random_company_prefix() -> str:
    """A 9-digit GS1 company prefix, unique per session with overwhelming probability."""
    return "69" + "".join(secrets.choice("0123456789") for _ in range(7))


def with_check_digit(payload: str) -> str:
    """`payload` and its GS1 mod-10 check digit: a GLN or GTIN-13 from prefix + reference."""
    return payload + str(compute_check_digit(payload))


@dataclass
class OidcIssuer:
    """A local OIDC issuer: an RSA and an EC signing key published in a JWKS file."""

    jwks_file: Path
    issuer: str = OIDC_ISSUER
    audience: str = OIDC_AUDIENCE
    rsa_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    ec_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def __post_init__(self) -> None:
        keys = []
        for kid, key, alg in (("rsa-1", self.rsa_key, "RS256"), ("ec-1", self.ec_key, "ES256")):
            jwk = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": alg})
        self.jwks_file.write_text(json.dumps({"keys": keys}), encoding="utf-8")

    def token(self, *, roles: Any = ("regulator",), subject: str = "inspector-7",
              algorithm: str = "RS256", lifetime_s: int = 600, **claims: Any) -> str:
        """A signed token; `claims` override or add claims (e.g. iss=..., exp=...)."""
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": self.audience, "sub": subject, "iat": now,
                   "nbf": now, "exp": now + lifetime_s, "name": "Inspector Seven"}
        if roles is not None:
            payload["roles"] = list(roles) if not isinstance(roles, str) else roles
        payload.update(claims)
        key, kid = (self.ec_key, "ec-1") if algorithm == "ES256" else (self.rsa_key, "rsa-1")
        return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})

    def environment(self) -> dict[str, str]:
        return {"TRACELEDGER_API_OIDC_ISSUER": self.issuer,
                "TRACELEDGER_API_OIDC_AUDIENCE": self.audience,
                "TRACELEDGER_API_OIDC_JWKS_FILE": str(self.jwks_file)}


@dataclass(frozen=True)
class RegisteredEnterprise:
    """An enterprise registered through the API in this session."""

    id: str
    api_key: str
    name: str
    uscc: str
    custody: str
    signing_address: str
    company_prefixes: list[str]
    account: LocalAccount | None  # the signing key, for self-custody enterprises
    registration: dict[str, Any]


@dataclass
class LiveSystem:
    """A running `traceledger up --dev` (see the module docstring)."""

    backend: str  # "sqlite" | "postgresql"
    api_url: str
    rpc_url: str
    log_url: str
    data_dir: Path
    database_url: str  # log + records (the API's database_url)
    mirror_database_url: str
    admin_key: str
    dev_keys: dict[str, dict[str, str]]
    deployment: dict[str, Any]
    oidc: OidcIssuer
    process: subprocess.Popen[str]
    output: list[str]

    @classmethod
    def started(cls, stack: contextlib.ExitStack, *, backend: str, data_dir: Path,
                database_url: str | None, oidc: OidcIssuer,
                env: Mapping[str, str]) -> LiveSystem:
        """`traceledger up --dev` in `data_dir` on free ports (on `database_url`, else
        SQLite), once ready; `stack` stops it when it closes."""
        rpc_port, log_port, api_port = free_port(), free_port(), free_port()
        db_args = ["--db", database_url] if database_url else []
        process, output = stack.enter_context(traceledger_up(
            data_dir, rpc_port=rpc_port, log_port=log_port, api_port=api_port, extra_args=db_args,
            env=env, ready_timeout_s=READY_TIMEOUT_S))
        log_db = database_url or f"sqlite:///{(data_dir / 'log.sqlite').resolve()}"
        mirror_db = database_url or f"sqlite:///{(data_dir / 'mirror.sqlite').resolve()}"
        return cls(
            backend=backend, api_url=f"http://127.0.0.1:{api_port}",
            rpc_url=f"http://127.0.0.1:{rpc_port}", log_url=f"http://127.0.0.1:{log_port}/log",
            data_dir=data_dir, database_url=log_db, mirror_database_url=mirror_db,
            admin_key=(data_dir / "admin.key").read_text().strip(),
            dev_keys=json.loads((data_dir / "node" / "dev-keys.json").read_text())["accounts"],
            deployment=json.loads((data_dir / "node" / "deployment.json").read_text()),
            oidc=oidc, process=process, output=output,
        )

    @staticmethod
    def auth(key_or_token: str) -> dict[str, str]:
        """Headers presenting an API key or bearer token."""
        return {"Authorization": f"Bearer {key_or_token}"}

    @property
    def admin_headers(self) -> dict[str, str]:
        return self.auth(self.admin_key)

    def regulator_token(self, subject: str = "inspector-7") -> str:
        return self.oidc.token(roles=["regulator"], subject=subject)

    @property
    def chain_id(self) -> int:
        return int(self.deployment["chainId"])

    def contract_address(self, name: str) -> str:
        return str(self.deployment["contracts"][name]["address"])

    def open_recall_on_chain(self, subject: bytes, recall_class: int, reason_hash: bytes) -> None:
        """Open a recall on `RecallRegistry` directly, signed with the dev regulator key, as
        another consortium member's tool would (no API, no reason text); waits for success.
        `subject` is SHA-256 of the canonical Digital Link URI (README, "Choices")."""
        from anchoring.anchor_contract import connect, fee_params
        from contracts.artifacts import load_artifact

        w3 = connect(self.rpc_url)
        registry = w3.eth.contract(address=self.contract_address("RecallRegistry"),
                                   abi=list(load_artifact("RecallRegistry").abi))
        regulator = Account.from_key(self.dev_keys["regulator"]["privateKey"])
        transaction = registry.functions.openRecall(subject, recall_class, reason_hash, "").build_transaction({
            "from": regulator.address, "nonce": w3.eth.get_transaction_count(regulator.address, "pending"),
            "gas": 500_000, "chainId": self.chain_id, **fee_params(w3)})
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(regulator.sign_transaction(transaction).raw_transaction), timeout=60)
        assert receipt["status"] == 1

    def enterprise(self, name: str = "Test Enterprise", sectors: list[str] | None = None,
                   prefixes: list[str] | None = None, custody: str = "self",
                   glns: list[str] | None = None) -> RegisteredEnterprise:
        """Register a fresh enterprise (new USCC; a new prefix unless `prefixes` is given)."""
        account = Account.create() if custody == "self" else None
        body: dict[str, Any] = {
            "name": name, "uscc": random_uscc(), "sectors": sectors or ["food"],
            "companyPrefixes": [random_company_prefix()] if prefixes is None else prefixes,
            "glns": glns or [], "custody": custody,
        }
        if account is not None:
            body["signingAddress"] = account.address
        response = httpx.post(f"{self.api_url}/v1/enterprises", json=body,
                              headers=self.admin_headers, timeout=60)
        assert response.status_code == 201, response.text
        document = response.json()
        return RegisteredEnterprise(
            id=document["enterpriseId"], api_key=document["apiKey"]["key"], name=name,
            uscc=document["uscc"], custody=custody, signing_address=document["signingAddress"],
            company_prefixes=document["companyPrefixes"], account=account, registration=document,
        )

    def settings(self, **overrides: Any) -> Any:
        """`ApiSettings` over this system's databases and chain, for an in-process app."""
        from trace_api.settings import ApiSettings

        values: dict[str, Any] = {
            "database_url": self.database_url, "mirror_database_url": self.mirror_database_url,
            "rpc_url": self.rpc_url, "node_data_dir": self.data_dir / "node",
            "passphrase_file": self.data_dir / "secrets" / "passphrase",
            "master_key_file": self.data_dir / "secrets" / "master.key",
            "log_key_file": self.data_dir / "secrets" / "log-key.json",
            "oidc_issuer": self.oidc.issuer, "oidc_audience": self.oidc.audience,
            "oidc_jwks_file": self.oidc.jwks_file,
        }
        values.update(overrides)
        return ApiSettings(**values)

    def log_text(self) -> str:
        """Everything the system logged so far (its log files and its console)."""
        parts = ["".join(self.output)]
        parts += [path.read_text(errors="replace")
                  for path in sorted((self.data_dir / "logs").glob("*.log"))]
        return "\n".join(parts)


@pytest.fixture(scope="session", params=BACKENDS)
def live_system(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSystem]:
    """The whole system (`traceledger up --dev`) on SQLite or PostgreSQL, for the session."""
    root = tmp_path_factory.mktemp(f"live-{request.param}")
    data_dir = root / "data"
    with contextlib.ExitStack() as stack:
        pg_url: str | None = None
        if request.param == "postgresql":
            # Entered first, so it is dropped only after the system has stopped.
            pg_url = stack.enter_context(fresh_database("api_live"))
        oidc = OidcIssuer(jwks_file=root / "jwks.json")
        env = {**os.environ, **oidc.environment(),
               # Generous limits: suites share one system; tests/trace_api/auth checks 429 on an
               # app of its own with a small limit.
               "TRACELEDGER_API_RATE_LIMIT_PER_MINUTE": "1000000",
               "TRACELEDGER_API_RATE_LIMIT_BURST": "100000"}
        yield LiveSystem.started(stack, backend=request.param, data_dir=data_dir,
                                 database_url=pg_url, oidc=oidc, env=env)
