"""Trust anchors pinned into the scan page, the static bundle and `traceledger scan-page`.

- strict loading: every member malformed in each way is refused, naming the member;
- `anchors.js` is the same bytes for the same anchors, deep-frozen, equal to the document;
- the bundle holds exactly the page's listed files, with relative URLs only;
- `/scan/assets/anchors.js` and `/scan/trust-anchors.json` carry the deployment's values
  (chain id and genesis read from the node, contracts, log key, witness keys);
- the CLI: build with overrides, refusal of bad input (exit 2), a node on another chain
  (exit 1), and `anchors` fetched from a running app and checked against its node.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from anchoring.core.note import ALG_COSIGNATURE_V1, ALG_ED25519, generate_signer_key
from anchoring.keys import create_key_file
from contracts.artifacts import load_artifact
from scanner_app import routes
from scanner_app.bundle import bundle_files, write_bundle
from scanner_app.errors import BundleError, TrustAnchorsError
from scanner_app.trust_anchors import (
    MAX_DOCUMENT_BYTES,
    format_trust_anchors,
    load_trust_anchors,
    parse_trust_anchors,
    parse_trust_anchors_json,
    render_anchors_module,
)
from testing.anvil import ANVIL_BINARY, Anvil, deploy_contracts
from testing.loopback_http import serve
from trace_api.context import ApiContext
from trace_api.problems import install_problem_handlers
from trace_api.settings import ApiSettings
from traceledger_cli.main import app as cli

REPO = Path(__file__).resolve().parents[2]
NODE = shutil.which("node") or "node"
LOG_KEY = generate_signer_key("localhost/traceledger-log", bytes(range(32)), signature_type=ALG_ED25519)[1]
WITNESS_KEY = generate_signer_key("samr.witness.test", bytes(range(1, 33)), signature_type=ALG_COSIGNATURE_V1)[1]
OTHER_WITNESS_KEY = generate_signer_key("jiangsu.witness", bytes(range(2, 34)), signature_type=ALG_COSIGNATURE_V1)[1]
TRACE_ANCHOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3"  # EIP-55
GENESIS = "0x" + "ab" * 32


def document() -> dict[str, Any]:
    return {
        "format": "traceledger.trust-anchors/v1",
        "name": "TraceLedger platform (dev)",
        "chainId": 1337,
        "genesisHash": GENESIS,
        "contracts": {"traceAnchor": TRACE_ANCHOR, "memberRegistry": "0x" + "12" * 20,
                      "recallRegistry": "0x" + "34" * 20},
        "log": {"origin": "localhost/traceledger-log", "verifierKey": LOG_KEY},
        "witnesses": [{"name": "samr.witness.test", "verifierKey": WITNESS_KEY},
                      {"name": "jiangsu.witness", "verifierKey": OTHER_WITNESS_KEY}],
        "endpoints": {"api": "", "rpc": "/v1/chain/rpc"},
    }


def test_a_valid_document_round_trips() -> None:
    anchors = parse_trust_anchors(document())
    expected = document()
    expected["contracts"]["traceAnchor"] = TRACE_ANCHOR.lower()  # one spelling inside
    assert anchors.to_json() == expected
    assert list(anchors.to_json()) == list(expected)  # member order too
    assert parse_trust_anchors_json(format_trust_anchors(anchors).encode()) == anchors
    assert parse_trust_anchors(anchors.to_json()) == anchors


def _set(path: str, value: Any) -> dict[str, Any]:
    doc = document()
    *parents, last = path.split(".")
    target: Any = doc
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is KeyError:
        del target[last if not isinstance(target, list) else int(last)]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return doc


BAD = [
    # (member to change, bad value, member named in the error)
    *[(name, KeyError, "") for name in document()],
    ("extra", "x", ""),
    ("format", "traceledger.trust-anchors/v2", "format"),
    ("name", "", "name"), ("name", " padded", "name"), ("name", "a\nb", "name"), ("name", "x" * 201, "name"),
    ("name", 7, "name"),
    ("chainId", "1337", "chainId"), ("chainId", 0, "chainId"), ("chainId", True, "chainId"), ("chainId", 1.0, "chainId"),
    ("chainId", 2**53, "chainId"), ("chainId", -1, "chainId"),
    ("genesisHash", "0x" + "AB" * 32, "genesisHash"), ("genesisHash", "ab" * 32, "genesisHash"),
    ("genesisHash", "0x" + "ab" * 31, "genesisHash"), ("genesisHash", None, "genesisHash"),
    ("contracts", [], "contracts"), ("contracts.traceAnchor", KeyError, "contracts"), ("contracts.extra", "0x", "contracts"),
    ("contracts.traceAnchor", TRACE_ANCHOR.replace("F", "f", 1), "contracts.traceAnchor"),  # wrong checksum
    ("contracts.memberRegistry", "0x" + "12" * 19, "contracts.memberRegistry"),
    ("contracts.recallRegistry", "0x" + "00" * 20, "contracts.recallRegistry"),
    ("contracts.recallRegistry", "34" * 20, "contracts.recallRegistry"),
    ("log", "x", "log"), ("log.origin", "", "log.origin"), ("log.origin", "a\nb", "log.origin"),
    ("log.verifierKey", WITNESS_KEY, "log.verifierKey"),  # a cosignature key is no log key
    ("log.verifierKey", LOG_KEY[:-2] + "AA", "log.verifierKey"),  # key ID no longer matches
    ("log.verifierKey", "not a key", "log.verifierKey"), ("log.extra", 1, "log"),
    ("witnesses", {}, "witnesses"), ("witnesses", [{"name": "x", "verifierKey": WITNESS_KEY}] * 65, "witnesses"),
    ("witnesses.0.verifierKey", LOG_KEY, "witnesses[0].verifierKey"),  # an Ed25519 log key is no cosigner
    ("witnesses.0.name", "jiangsu.witness", "witnesses[0].name"),  # the key names another witness
    ("witnesses.1", {"name": "samr.witness.test", "verifierKey": WITNESS_KEY}, "witnesses[1].name"),  # twice
    ("witnesses.0.extra", 1, "witnesses[0]"), ("witnesses.0", "samr.witness.test", "witnesses[0]"),
    ("endpoints", None, "endpoints"), ("endpoints.api", "/v1", "endpoints.api"),
    ("endpoints.api", "ftp://api.example", "endpoints.api"), ("endpoints.api", "https://api.example/", "endpoints.api"),
    ("endpoints.api", "https://user@api.example", "endpoints.api"), ("endpoints.rpc", "", "endpoints.rpc"),
    ("endpoints.rpc", "//evil.example/rpc", "endpoints.rpc"), ("endpoints.rpc", "rpc", "endpoints.rpc"),
    ("endpoints.rpc", "https://rpc.example/a b", "endpoints.rpc"),
    ("endpoints.rpc", 'https://rpc.example";x', "endpoints.rpc"), ("endpoints.api", "https://a.example;b", "endpoints.api"),
]


@pytest.mark.parametrize(("path", "value", "member"), BAD, ids=[f"{p}={str(v)[:20]}" for p, v, _ in BAD])
def test_strict_loading_refuses_each_bad_member(path: str, value: Any, member: str) -> None:
    with pytest.raises(TrustAnchorsError) as raised:
        parse_trust_anchors(_set(path, value))
    assert raised.value.member == member


@pytest.mark.parametrize("text", [
    b'{"format": 1, "format": 2}', b"[1, 2]", b"{", b'{"chainId": NaN}', b"\xff\xfe{}", b"",
    json.dumps(document()).encode() + b" trailing",
    json.dumps({**document(), "name": "x" * MAX_DOCUMENT_BYTES}).encode(),
])
def test_strict_json(text: bytes) -> None:
    with pytest.raises(TrustAnchorsError):
        parse_trust_anchors_json(text)


def test_a_file_is_read_with_a_bound(tmp_path: Path) -> None:
    path = tmp_path / "anchors.json"
    path.write_text(json.dumps(document()), encoding="utf-8")
    assert load_trust_anchors(path).chain_id == 1337
    with pytest.raises(TrustAnchorsError, match="cannot read"):
        load_trust_anchors(tmp_path / "missing.json")


def test_overrides_are_validated() -> None:
    anchors = parse_trust_anchors(document())
    moved = anchors.with_overrides(name="SAMR Jiangsu", api="https://api.example", rpc="https://rpc.samr.example")
    assert (moved.name, moved.endpoints.api, moved.endpoints.rpc) == (
        "SAMR Jiangsu", "https://api.example", "https://rpc.samr.example")
    assert anchors.with_overrides() == anchors
    with pytest.raises(TrustAnchorsError):
        anchors.with_overrides(rpc="not a url")


# --- anchors.js ---------------------------------------------------------------------------------

GOLDEN_HEAD = (
    "// Generated by scanner_app/trust_anchors.py (traceledger.trust-anchors/v1); do not edit.\n"
    "// What this page trusts without asking any server: see scanner_app/README.md.\n"
    "export const TRUST_ANCHORS = Object.freeze({\n"
    '  "format": "traceledger.trust-anchors/v1",\n'
    '  "name": "TraceLedger platform (dev)",\n'
    '  "chainId": 1337,\n'
    f'  "genesisHash": "{GENESIS}",\n'
    '  "contracts": Object.freeze({\n'
    f'    "traceAnchor": "{TRACE_ANCHOR.lower()}",\n'
)


def test_anchors_js_is_deterministic_bytes() -> None:
    first = render_anchors_module(parse_trust_anchors(document()))
    again = render_anchors_module(parse_trust_anchors(json.loads(json.dumps(document()))))
    assert first == again
    assert first.decode("ascii").startswith(GOLDEN_HEAD)
    assert first.endswith(b'    "rpc": "/v1/chain/rpc"\n  })\n});\n')
    named = render_anchors_module(parse_trust_anchors({**document(), "name": "江苏省市场监管局 \u2028"[:-2]}))
    assert "\\u6c5f\\u82cf" in named.decode("ascii")  # ASCII only, whatever the name


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_anchors_js_is_a_deep_frozen_module_equal_to_the_document(tmp_path: Path) -> None:
    anchors = parse_trust_anchors(document())
    (tmp_path / "anchors.mjs").write_bytes(render_anchors_module(anchors))
    script = ("import { TRUST_ANCHORS as a } from './anchors.mjs';"
              "const frozen = (v) => typeof v !== 'object' || (Object.isFrozen(v) && Object.values(v).every(frozen));"
              "process.stdout.write(JSON.stringify({ frozen: frozen(a), value: a }));")
    done = subprocess.run([NODE, "--input-type=module", "-e", script], cwd=tmp_path, capture_output=True, check=True)
    answer = json.loads(done.stdout)
    assert answer == {"frozen": True, "value": anchors.to_json()}


# --- the bundle ----------------------------------------------------------------------------------


def expected_bundle_files() -> set[str]:
    page = {name if name == "index.html" else f"assets/{name}" for name in routes.PAGE_FILES
            if (routes.APP_DIR / name).exists()}
    return page | {"assets/anchors.js"} | {f"assets/vendor/{name}" for name in routes.VENDOR_FILES}


def test_the_bundle_holds_exactly_the_listed_files_with_relative_urls(tmp_path: Path) -> None:
    anchors = parse_trust_anchors(document()).with_overrides(api="https://api.example", rpc="https://rpc.example")
    out = tmp_path / "site"
    bundle = write_bundle(out, anchors)
    written = {str(path.relative_to(out)) for path in out.rglob("*") if path.is_file()}
    assert written == set(bundle.files) == expected_bundle_files()
    assert (out / "assets" / "anchors.js").read_bytes() == render_anchors_module(anchors)
    source = (routes.APP_DIR / "index.html").read_bytes()
    page_bytes = (out / "index.html").read_bytes()
    meta = page_bytes.splitlines(keepends=True)[4]  # after <meta charset="utf-8">
    assert page_bytes == source.replace(b'<meta charset="utf-8">\n', b'<meta charset="utf-8">\n' + meta)
    assert meta == (b'<meta http-equiv="Content-Security-Policy" content="default-src \'self\'; script-src \'self\'; '
                    b"style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
                    b"connect-src 'self' https://api.example https://rpc.example; object-src 'none'; "
                    b'base-uri \'none\'">\n')
    assert set(bundle.missing) == {n for n in routes.PAGE_FILES
                                   if n not in routes.GENERATED_FILES and not (routes.APP_DIR / n).exists()}
    # Every URL between the files is relative and lands on a file of the bundle.
    page = (out / "index.html").read_text("utf-8")
    for url in re.findall(r'(?:href|src)="([^"]+)"', page):
        if not url.startswith("data:"):
            assert not url.startswith(("/", "http:", "https:")), url
            assert (out / url).is_file(), url
    for module in (out / "assets").rglob("*.js"):
        text = module.read_text("utf-8")
        assert not re.search(r"[\"'`]/scan/assets/", text), module
        for specifier in re.findall(r"""(?:from|import)\s*\(?\s*["'](\.\.?/[^"']+)["']""", text):
            assert (module.parent / specifier).resolve().is_file(), f"{module}: {specifier}"
    # Public files, whatever the process umask.
    assert stat.S_IMODE((out / "index.html").stat().st_mode) == 0o644
    assert stat.S_IMODE((out / "assets" / "vendor").stat().st_mode) == 0o755


def test_the_bundle_is_not_written_over_something(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(BundleError, match="not an empty directory"):
        write_bundle(tmp_path, parse_trust_anchors(document()))
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_bundle_files_are_the_same_each_time() -> None:
    anchors = parse_trust_anchors(document())
    assert bundle_files(anchors) == bundle_files(anchors)


# --- a deployment on anvil: the platform's anchors.js and the CLI --------------------------------


class Platform:
    """anvil with the three contracts, a node data dir, a log key, and an ApiContext."""

    def __init__(self, work: Path) -> None:
        self.anvil = Anvil.started(accounts=4)
        w3 = self.anvil.w3
        accounts: list[str] = list(w3.eth.accounts)
        admin, anchorer, witness = accounts[:3]
        registry, anchor = deploy_contracts(w3, admin, anchorer, [witness])
        artifact = load_artifact("RecallRegistry")
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode).constructor(registry.address).transact({"from": admin}))
        self.contracts = {"MemberRegistry": registry.address, "TraceAnchor": anchor.address,
                          "RecallRegistry": receipt["contractAddress"]}
        node_dir = work / "node"
        node_dir.mkdir()
        (node_dir / "deployment.json").write_text(json.dumps({
            "chainId": w3.eth.chain_id, "contracts": {name: {"address": a} for name, a in self.contracts.items()}}))
        self.log_key = create_key_file(work / "log.key", "localhost/traceledger-log", "pw", scrypt_n=2**4)
        self.genesis = "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()
        self.chain_id = w3.eth.chain_id
        self.ctx = ApiContext.open(ApiSettings(
            database_url=f"sqlite:///{work / 'api.sqlite'}", mirror_database_url=f"sqlite:///{work / 'api.sqlite'}",
            rpc_url=self.anvil.url, node_data_dir=node_dir, log_key_file=work / "log.key",
            witness_keys=[WITNESS_KEY], public_base_url="https://trace.example"))
        self.app = FastAPI()
        install_problem_handlers(self.app)
        self.app.include_router(routes.router)
        self.app.state.ctx = self.ctx

    def expected(self) -> dict[str, Any]:
        return {
            "format": "traceledger.trust-anchors/v1", "name": "TraceLedger platform (trace.example)",
            "chainId": self.chain_id, "genesisHash": self.genesis,
            "contracts": {"traceAnchor": self.contracts["TraceAnchor"].lower(),
                          "memberRegistry": self.contracts["MemberRegistry"].lower(),
                          "recallRegistry": self.contracts["RecallRegistry"].lower()},
            "log": {"origin": "localhost/traceledger-log", "verifierKey": self.log_key},
            "witnesses": [{"name": "samr.witness.test", "verifierKey": WITNESS_KEY}],
            "endpoints": {"api": "", "rpc": "/v1/chain/rpc"},
        }

    def close(self) -> None:
        self.ctx.close()
        self.anvil.stop()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    if not ANVIL_BINARY.exists():
        pytest.skip("anvil missing: ./dev install")
    running = Platform(tmp_path_factory.mktemp("platform"))
    yield running
    running.close()


def test_scan_serves_the_deployments_anchors(platform: Platform) -> None:
    client = TestClient(platform.app)
    response = client.get("/scan/assets/anchors.js", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.content == render_anchors_module(parse_trust_anchors(platform.expected()))
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert client.get("/scan/assets/anchors.js", headers={"if-none-match": response.headers["etag"]}).status_code == 304
    document_answer = client.get("/scan/trust-anchors.json")
    assert document_answer.json() == platform.expected()


def test_a_pinned_app_serves_its_own_anchors() -> None:
    app = FastAPI()
    app.include_router(routes.router)
    anchors = parse_trust_anchors(document())
    routes.pin_trust_anchors(app, anchors)
    assert TestClient(app).get("/scan/assets/anchors.js").content == render_anchors_module(anchors)


def test_cli_build_with_overrides_and_a_node_check(platform: Platform, tmp_path: Path) -> None:
    anchors_file = tmp_path / "anchors.json"
    anchors_file.write_text(json.dumps(platform.expected()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan-page", "build", "--out", str(tmp_path / "site"), "--anchors", str(anchors_file),
                                      "--api", "https://api.trace.example", "--rpc", "https://rpc.samr.example",
                                      "--name", "SAMR Jiangsu", "--check-rpc", platform.anvil.url])
    assert result.exit_code == 0, result.output
    pinned = json.loads(json.dumps(platform.expected()))
    pinned.update(name="SAMR Jiangsu", endpoints={"api": "https://api.trace.example", "rpc": "https://rpc.samr.example"})
    written = (tmp_path / "site" / "assets" / "anchors.js").read_bytes()
    assert written == render_anchors_module(parse_trust_anchors(pinned))
    assert "genesis" in result.output


def test_cli_build_refuses_bad_anchors_and_another_chain(platform: Platform, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**platform.expected(), "chainId": "31337"}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan-page", "build", "--out", str(tmp_path / "a"), "--anchors", str(bad)])
    assert result.exit_code == 2 and "chainId" in result.output and not (tmp_path / "a").exists()
    other = copy.deepcopy(platform.expected())
    other["genesisHash"] = "0x" + "00" * 32
    (tmp_path / "other.json").write_text(json.dumps(other), encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan-page", "build", "--out", str(tmp_path / "b"), "--anchors",
                                      str(tmp_path / "other.json"), "--check-rpc", platform.anvil.url])
    assert result.exit_code == 1 and "genesis hash" in result.output and not (tmp_path / "b").exists()
    result = CliRunner().invoke(cli, ["scan-page", "build", "--out", str(tmp_path / "c"), "--anchors",
                                      str(tmp_path / "other.json"), "--check-rpc", "http://127.0.0.1:1"])
    assert result.exit_code == 1 and "did not answer" in result.output


def test_cli_anchors_fetches_checks_and_writes(platform: Platform, tmp_path: Path) -> None:
    out = tmp_path / "platform-anchors.json"
    with serve(platform.app) as api:
        result = CliRunner().invoke(cli, ["scan-page", "anchors", "--out", str(out), "--api", api,
                                          "--rpc", platform.anvil.url])
        assert result.exit_code == 0, result.output
        written = json.loads(out.read_text("utf-8"))
        expected = platform.expected()
        expected["endpoints"] = {"api": api, "rpc": api + "/v1/chain/rpc"}
        assert written == expected
        assert load_trust_anchors(out).to_json() == expected
        # The node the anchors name is the API's proxy, which this stand-in app does not serve.
        again = CliRunner().invoke(cli, ["scan-page", "anchors", "--out", str(tmp_path / "x.json"), "--api", api])
        assert again.exit_code == 1 and "did not answer" in again.output
        exists = CliRunner().invoke(cli, ["scan-page", "anchors", "--out", str(out), "--api", api])
        assert exists.exit_code == 2 and "--force" in exists.output


def test_the_bundle_runs_from_another_origin_at_any_path(tmp_path: Path, page: Any) -> None:
    """The bundle served as plain files under /regulator/trace/ of another origin: every
    module loads, the page starts, it pins the anchors it was built with, and its policy
    lets it talk to the pinned endpoints only."""
    anchors = parse_trust_anchors(document()).with_overrides(api="http://127.0.0.1:9", rpc="http://127.0.0.1:9/rpc")
    write_bundle(tmp_path / "host" / "regulator" / "trace", anchors)
    static = FastAPI()
    static.mount("/", StaticFiles(directory=tmp_path / "host", html=True))
    with serve(static) as origin:
        failures: list[str] = []
        page.on("response", lambda response: failures.append(f"{response.status} {response.url}")
                if response.status >= 400 else None)
        page.on("pageerror", lambda error: failures.append(str(error)))
        page.goto(origin + "/regulator/trace/")
        page.wait_for_function("document.body.dataset.ready === 'true'")
        pinned = page.evaluate(f"import('{origin}/regulator/trace/assets/anchors.js').then((m) => m.TRUST_ANCHORS)")
        violated = page.evaluate("""() => new Promise((resolve) => {
            document.addEventListener('securitypolicyviolation', (event) => resolve(event.effectiveDirective));
            fetch('http://127.0.0.1:1/elsewhere').catch(() => {});
        })""")
    assert failures == []
    assert pinned == anchors.to_json()
    assert violated == "connect-src"
