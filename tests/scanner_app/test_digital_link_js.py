"""scanner_app/digital_link.js against gs1.keys, under Node: the recall keys and RecallRegistry
subjects the page derives from a scanned Digital Link are exactly Python's.

For every generated or standard Digital Link: when Python takes it (`identify` parses it as a
Digital Link), the JavaScript gives the same kind, the same `recall_keys_covering` (most
specific first) and the same `recall_subject`s, or says the link uses something it does not
read (`UnsupportedDigitalLinkError`, never for the grammar generated here); when Python
rejects it, the JavaScript throws too. One Node process per batch.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchoring.core.check_digit import compute_check_digit
from gs1.ai_table import lookup_ai
from gs1.charset import CSET_82
from gs1.digital_link import parse_digital_link
from gs1.errors import GS1Error
from gs1.keys import identify, recall_keys_covering, recall_subject
from tests.shared_data import shared_data

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "tests" / "scanner_app" / "node" / "dl_batch.mjs"
NODE = shutil.which("node") or "node"
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node not installed (./dev install)")

HOSTS = ["id.gs1.org", "example.com", "brand.example:8443", "127.0.0.1", "[::1]", "[2001:db8::1]:8080",
         "shop.example.co.uk", "EXAMPLE.COM", "a-b.example."]
PREFIXES = ["", "/shop", "/a/b", "/01x"]
EXTRAS = ["linkType=all", "linkType=gs1%3Apip", "foo=bar", "auth=abc123", "x", "", "a=b+c"]
PATH_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@")
CSET_82_LIST = sorted(CSET_82)


def run_js(texts: list[str]) -> list[dict[str, Any]]:
    """Answers of digital_link.js for `texts`, one Node process for the whole batch."""
    done = subprocess.run([NODE, str(DRIVER)], input=json.dumps(texts).encode(), capture_output=True,
                          timeout=120, check=False, cwd=REPO)
    assert done.returncode == 0, done.stderr.decode()
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(answers) == len(texts)
    return answers


def python_answer(text: str) -> dict[str, Any] | None:
    """gs1.keys' answer, or None when Python does not take `text` for a Digital Link."""
    stripped = text.strip()
    if not stripped.startswith(("http://", "https://")):
        return None
    try:
        parse_digital_link(stripped)
    except GS1Error:
        return None
    identifier = identify(text)
    keys = list(recall_keys_covering(identifier))
    return {"kind": identifier.kind, "keys": keys, "subjects": [recall_subject(key) for key in keys]}


def compare(texts: list[str], *, all_supported: bool) -> tuple[int, int]:
    """Assert JS == Python over `texts`; return (accepted, rejected) counts."""
    accepted = rejected = 0
    for text, js in zip(texts, run_js(texts), strict=True):
        expected = python_answer(text)
        if expected is None:
            assert not js["ok"], f"Python rejects, JS accepts: {text!r} -> {js}"
            rejected += 1
        elif js["ok"]:
            assert {k: js[k] for k in ("kind", "keys", "subjects")} == expected, text
            accepted += 1
        else:
            assert js["unsupported"] and not all_supported, f"JS rejects a link Python takes: {text!r}: {js}"
    return accepted, rejected


# --- generated links --------------------------------------------------------------------------


def digits_with_check(rng: random.Random, length: int, *, wrong: bool = False) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(length - 1))
    check = compute_check_digit(body)
    return body + str((check + 1) % 10 if wrong else check)


def encode_path(rng: random.Random, value: str) -> str:
    """`value` as a scanner may see it: each character literal where a URI allows it, else
    (or at random) percent-encoded in upper- or lower-case hex."""
    out = []
    for char in value:
        literal_ok = char in PATH_SAFE and char not in "%"
        if literal_ok and rng.random() < 0.7:
            out.append(char)
        else:
            escaped = "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
            out.append(escaped.lower() if rng.random() < 0.3 else escaped)
    return "".join(out)


def ai82(rng: random.Random, max_length: int) -> str:
    return "".join(rng.choice(CSET_82_LIST) for _ in range(rng.randint(1, max_length)))


def bad_value(rng: random.Random, max_length: int) -> str:
    choice = rng.random()
    if choice < 0.3:
        return ai82(rng, max_length) + rng.choice([" ", "#", "~", "é", "[", "^"])
    if choice < 0.6:
        return "".join(rng.choice(CSET_82_LIST) for _ in range(max_length + 1 + rng.randint(0, 3)))
    return ""


def gtin_path(rng: random.Random, *, valid: bool) -> list[tuple[str, str]]:
    gtin = digits_with_check(rng, 14, wrong=not valid and rng.random() < 0.5)
    if not valid and rng.random() < 0.3:
        gtin = gtin[1:]  # 13 digits in a GTIN-14 position
    layouts = [[], ["10"], ["21"], ["10", "21"], ["22"], ["22", "10"], ["22", "21"], ["22", "10", "21"], ["235"]]
    bad_layouts = [["21", "10"], ["235", "21"], ["10", "235"], ["10", "10"], ["254"], ["7040"]]
    layout = rng.choice(layouts if valid or rng.random() < 0.5 else bad_layouts)
    limits = {"10": 20, "21": 20, "22": 20, "235": 28, "254": 20, "7040": 4}
    pairs = [("01", gtin)]
    for ai in layout:
        pairs.append((ai, ai82(rng, limits[ai]) if ai != "7040" else "1ABC"))
    if not valid and len(pairs) > 1 and rng.random() < 0.5:
        index = rng.randrange(1, len(pairs))
        pairs[index] = (pairs[index][0], bad_value(rng, limits[pairs[index][0]]))
    return pairs


def other_key_path(rng: random.Random, *, valid: bool) -> list[tuple[str, str]]:
    kind = rng.choice(["00", "8004", "414", "417", "8003"])
    wrong = not valid and rng.random() < 0.6
    if kind == "00":
        return [("00", digits_with_check(rng, 18, wrong=wrong))]
    if kind == "8004":
        prefix = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 12)))
        value = (prefix + ai82(rng, 30 - len(prefix)))[:30]
        return [("8004", ("AB" + value[2:]) if wrong else value)]
    if kind == "8003":
        grai = "0" + digits_with_check(rng, 13, wrong=wrong) + (ai82(rng, 16) if rng.random() < 0.6 else "")
        return [("8003", grai)]
    gln = digits_with_check(rng, 13, wrong=wrong)
    pairs = [(kind, gln)]
    if kind == "414" and rng.random() < 0.4:
        pairs.append(("254", ai82(rng, 20)))
    elif rng.random() < 0.3:
        pairs.append(("7040", rng.choice("0123456789") + "".join(rng.choice(CSET_82_LIST) for _ in range(2))
                      + rng.choice("ABCxyz09_-")))
    return pairs


def query(rng: random.Random, key_ai: str, qualifiers: list[str], *, valid: bool) -> str:
    parts = [rng.choice(EXTRAS) for _ in range(rng.randint(0, 2))]
    if rng.random() < 0.5:
        year, month = rng.randint(0, 99), rng.randint(1, 12)
        day = rng.choice([0, 1, 15, 28, 29, 30, 31])
        parts.append(f"{rng.choice(['11', '13', '15', '16', '17'])}={year:02d}{month:02d}{day:02d}")
    if rng.random() < 0.3:
        parts.append(f"310{rng.randint(0, 5)}={rng.randint(0, 999999):06d}")
    if rng.random() < 0.15:
        parts.append(f"{rng.choice(['90', '91', '98', '99'])}={encode_path(rng, ai82(rng, 30))}")
    if rng.random() < 0.1:
        parts.append(f"392{rng.randint(0, 9)}={rng.randint(0, 10**6)}")  # needs a 30/31nn/.. too
    if key_ai == "00" and rng.random() < 0.2:
        parts.append(f"02={digits_with_check(rng, 14)}&37={rng.randint(1, 10**8 - 1)}")
    if key_ai == "01" and "235" in qualifiers and rng.random() < 0.5:
        parts.append("10=" + encode_path(rng, ai82(rng, 20)))  # an attribute beside a TPX
    if not valid:
        parts.append(rng.choice(["17=271332", "17=2701", "10=LOT", "21=S", "3103=000100&3102=000100",
                                 "17=270101&17=270101", "11=ABCDEF", "254=X"]))
    rng.shuffle(parts)
    return ("?" + "&".join(parts)) if parts else ""


def generated_link(rng: random.Random, *, valid: bool) -> str:
    pairs = gtin_path(rng, valid=valid) if rng.random() < 0.65 else other_key_path(rng, valid=valid)
    scheme = "https" if rng.random() < 0.8 else "http"
    host = rng.choice(HOSTS)
    if not valid and rng.random() < 0.15:
        host = rng.choice(["exa_mple.com", "-bad.example", "host:99999", "user@host", "[::1", "host:", "[fe80::1%25lo]"])
    if not valid and rng.random() < 0.1:
        scheme = rng.choice(["HTTPS", "ftp", "Https"])
    path = "".join(f"/{ai}/{encode_path(rng, value)}" for ai, value in pairs)
    text = f"{scheme}://{host}{rng.choice(PREFIXES)}{path}"
    text += query(rng, pairs[0][0], [ai for ai, _ in pairs[1:]], valid=valid)
    if rng.random() < 0.1:
        text += "#frag"
    if not valid and rng.random() < 0.1:
        text += "/"
    if rng.random() < 0.05:
        text = f"  {text}\n"
    return text


def test_generated_links_give_python_recall_keys_and_subjects() -> None:
    rng = random.Random(20261207)
    texts = [generated_link(rng, valid=rng.random() < 0.6) for _ in range(4_000)]
    accepted, rejected = compare(texts, all_supported=True)
    assert accepted > 1_000 and rejected > 500  # both sides of the grammar are exercised


def test_every_ai82_character_in_lots_and_serials() -> None:
    """Each GS1 AI-82 character, literal where a URI allows it and percent-encoded (both hex
    cases), in a lot and in a serial; and characters outside AI-82, which both reject."""
    gtin = "09506000134352"
    texts = []
    for char in CSET_82_LIST + [" ", "#", "~", "$", "@", "[", "é", "中"]:
        for encoded in {char if char in PATH_SAFE else None, f"%{ord(char):02X}" if ord(char) < 128 else None,
                        f"%{ord(char):02x}" if ord(char) < 128 else None} - {None}:
            texts.append(f"https://id.gs1.org/01/{gtin}/10/A{encoded}B/21/S{encoded}1")
            texts.append(f"https://example.com/01/{gtin}/21/{encoded}")
        texts.append(f"https://example.com/01/{gtin}/10/" + "".join(f"%{b:02X}" for b in char.encode()))
    accepted, rejected = compare(texts, all_supported=True)
    assert accepted > 150 and rejected > 10


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2**32), st.booleans()), min_size=50, max_size=120))
def test_hypothesis_batches(seeds: list[tuple[int, bool]]) -> None:
    texts = [generated_link(random.Random(seed), valid=valid) for seed, valid in seeds]
    compare(texts, all_supported=True)


def test_the_standard_examples() -> None:
    """GS1 Syntax Engine DL vectors (Python's verdict is the reference, including the
    option-gated ones), the resolver CE test anchors and the GS1 examples."""
    folder = shared_data("gs1-digital-link")
    vectors = json.loads((folder / "gs1-syntax-engine" / "dl-and-ai-test-vectors.json").read_text("utf-8"))
    texts = [vector["dlUri"] for vector in vectors["groups"]["dl_uri_to_element_string"]["vectors"]]
    for test in sorted((folder / "GS1_DigitalLink_Resolver_CE" / "tests").glob("*.json")):
        document = json.loads(test.read_text("utf-8"))
        entries = document if isinstance(document, list) else [document]
        texts += ["https://id.gs1.org" + entry["anchor"] for entry in entries
                  if isinstance(entry, dict) and "anchor" in entry]
    texts += ["https://id.gs1.org/01/09506000164908", "https://id.gs1.org/01/09506000164908/21/1234",
              "https://dalgiardino.com/medicinal-compound/assets/8004/0950600013430000001"]
    accepted, rejected = compare(texts, all_supported=False)
    assert accepted >= 30 and rejected >= 40


def test_unsupported_links_throw_the_unsupported_error() -> None:
    texts = ["https://id.gs1.org/253/4145678901234AB", "https://id.gs1.org/8006/095060001343520102",
             "https://id.gs1.org/01/09506000134352?7003=2701011200", "urn:epc:id:sgtin:0614141.107346.2017"]
    for text, js in zip(texts, run_js(texts), strict=True):
        assert not js["ok"] and js["unsupported"], (text, js)


def test_malformed_input_is_an_error() -> None:
    texts = ["", "not a uri", "https://", "https://id.gs1.org", "https://id.gs1.org/", "https://id.gs1.org/01/",
             "https://id.gs1.org/01//10/A", "urn:uuid:0d3e2c1a-0000-4000-8000-000000000000", "HTTPS://ID.GS1.ORG/01/09506000134352"]
    for text, js in zip(texts, run_js(texts), strict=True):
        assert python_answer(text) is None and not js["ok"] and not js["unsupported"], (text, js)


def test_the_js_rule_table_is_gs1_ai_table() -> None:
    """Every rule digital_link.js carries equals gs1.ai_table's (components, data-attribute
    flag, requisites, exclusions, qualifier sequences)."""
    script = ("import { AI_RULES, PRIMARY_KEY_AIS } from './scanner_app/digital_link.js';"
              "process.stdout.write(JSON.stringify({ rules: AI_RULES, keys: PRIMARY_KEY_AIS }));")
    done = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, check=True, cwd=REPO)
    table = json.loads(done.stdout)
    from gs1.ai_table import ai_rules

    assert table["keys"] == sorted(ai for ai, rule in ai_rules().items() if rule.is_primary_key)
    for ai, js in table["rules"].items():
        rule = lookup_ai(ai)
        assert [tuple(c) for c in js["components"]] == [
            (c.kind, c.min_length, c.max_length, c.optional, list(c.linters)) for c in rule.components], ai
        assert js["attribute"] == rule.dl_data_attribute, ai
        assert [[list(alt) for alt in group] for group in js["req"]] == [[list(alt) for alt in group] for group in rule.requires], ai
        assert js["ex"] == list(rule.excludes), ai
        assert js.get("seq") == ([list(s) for s in rule.qualifier_sequences] if rule.qualifier_sequences is not None else None), ai
