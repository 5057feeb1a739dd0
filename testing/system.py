"""The whole system for end-to-end tests and benches: the real `traceledger up --dev` in a
temp dir (`traceledger_up`), and `LiveSystem`, the view of it a test uses (URLs, admin key,
dev keys, deployment, a local OIDC issuer, registering enterprises).

`traceledger_up` starts it, waits for `ready` and always stops it (SIGTERM, then SIGKILL
of what is left of its process group). Used by the `live_system` fixture
(tests/trace_api/conftest.py), tests/cli, the adversarial suite and the API benches.

Usage:

    with contextlib.ExitStack() as stack:
        live = LiveSystem.started(stack, backend="sqlite", data_dir=tmp / "data",
                                  database_url=None, oidc=OidcIssuer(jwks_file=tmp / "jwks.json"),
                                  env=os.environ)
        farm = live.enterprise(name="Farm", sectors=["food"], custody="self")

Regulator staff sign in with OIDC: `live.regulator_token()` is a bearer token from the
system's own issuer (a locally generated RSA/EC key set in a JWKS file that the API is
configured with); `live.oidc` makes any other token.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from eth_account import Account
from eth_account.signers.local import LocalAccount

from anchoring.anchor_contract import connect, fee_params
from anchoring.core.check_digit import compute_check_digit
from anchoring.keys import read_verifier_key
from contracts.artifacts import load_artifact
from testing.processes import Launched, ProcessNotReady, free_port, python_command
from trace_api.identity import uscc_check_character
from trace_api.settings import ApiSettings

#: `traceledger up` prints this line once every service answers.
READY_LINE = "ready"
STOP_TIMEOUT_S = 60


@contextlib.contextmanager
def traceledger_up(data_dir: Path, *, rpc_port: int, log_port: int, api_port: int,
                   witness_port: int | None = None, extra_args: Sequence[str] = (),
                   env: Mapping[str, str] | None = None,
                   ready_timeout_s: float) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """`traceledger up --dev` on the given ports (the dev witness's on a free one unless
    `witness_port` is given), yielded once it printed `ready`, as the process and the list
    its console lines keep arriving in (stdout and stderr merged).

    Raises ProcessNotReady with the console so far if it exits or is not ready in time.
    A caller may stop the process itself (e.g. to check a clean exit); otherwise it gets
    SIGTERM on exit (the supervisor stops its services), then SIGKILL after
    `STOP_TIMEOUT_S`, and whatever of its process group is left is killed.
    """
    launched = Launched(
        python_command("traceledger_cli.main", "up", "--dev", "--data-dir", str(data_dir),
                       "--rpc-port", str(rpc_port), "--log-port", str(log_port),
                       "--api-port", str(api_port),
                       "--witness-port", str(witness_port or free_port()), *extra_args),
        cwd=data_dir.parent, env=env, read_lines=True)
    try:
        try:
            launched.wait_for_line(READY_LINE, timeout_s=ready_timeout_s,
                                   what="traceledger up never printed ready")
        except ProcessNotReady:
            raise ProcessNotReady("traceledger up never printed ready:\n" + launched.output()) from None
        yield launched.process, launched.lines
    finally:
        launched.stop(signal.SIGTERM, timeout_s=STOP_TIMEOUT_S, whole_group=False)


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
    def witness_key(self) -> str:
        """The dev witness's cosignature verifier key (the API lists it, the log serves its
        cosignatures)."""
        return read_verifier_key(self.data_dir / "secrets" / "witness-key.json")

    @property
    def chain_id(self) -> int:
        return int(self.deployment["chainId"])

    def contract_address(self, name: str) -> str:
        return str(self.deployment["contracts"][name]["address"])

    def open_recall_on_chain(self, subject: bytes, recall_class: int, reason_hash: bytes) -> None:
        """Open a recall on `RecallRegistry` directly, signed with the dev regulator key, as
        another consortium member's tool would (no API, no reason text); waits for success.
        `subject` is SHA-256 of the canonical Digital Link URI (README, "Choices")."""
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
        values: dict[str, Any] = {
            "database_url": self.database_url, "mirror_database_url": self.mirror_database_url,
            "rpc_url": self.rpc_url, "node_data_dir": self.data_dir / "node",
            "passphrase_file": self.data_dir / "secrets" / "passphrase",
            "master_key_file": self.data_dir / "secrets" / "master.key",
            "log_key_file": self.data_dir / "secrets" / "log-key.json",
            "witness_keys": [self.witness_key],
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
