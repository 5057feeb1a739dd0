"""scanner_app/event_hash.js (the scan page's CBV 2.0 Event Hash ID) against the Python core.

The page recomputes each event's hash ID in the browser, so the JavaScript port must write
the byte-identical pre-hash string and hash ID for every event `anchoring.core` accepts and
refuse what it refuses. Checked here, all through one Node process per batch
(tests/scanner_app/node/event_hash_cli.mjs, JSON lines in and out):

1. the published vectors (../shared/data/cbv-event-hash: `.hashes`, `.prehashes` unless
   SOURCES.md calls them stale, `expected_equal/`) and every event of the GS1 EPCIS 2.0
   example documents (../shared/data/epcis), equal to the core on each;
2. a differential run over thousands of seeded generated events (`EventGenerator` below):
   all five event types and every part of the pre-hash; tricky values (numbers, Unicode
   digits and whitespace, astral characters, timestamps at the calendar's edges, EPC URNs
   and Digital Links) in every field; malformed events, which both sides must refuse.

The core refuses every malformed event with `EventError` (dates outside the years 0001-9999
in UTC, an object as `action` and EPC URNs in other scripts' digits included), except unpaired
surrogates, which UTF-8 cannot encode (capture's JSON decoder refuses them before); the port
must throw its EventHashError for each.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import string
import struct
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from anchoring.core.check_digit import compute_check_digit
from anchoring.core.errors import EventError
from anchoring.core.event_hash import event_hash_id, event_prehash, terms
from anchoring.core.event_hash.digital_link import canonical_identifier
from anchoring.core.event_hash.document import document_events
from tests.shared_data import SHARED_DATA, shared_data

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "tests" / "scanner_app" / "node" / "event_hash_cli.mjs"
MODULE = REPO / "scanner_app" / "event_hash.js"
VECTORS = "cbv-event-hash"
# SOURCES.md: upstream .prehashes files that do not hash to their own .hashes lines.
STALE_PREHASHES = {
    "epcisDocWithAllGS1Keys",
    "epcisDocWithCustomSchemaInContext",
    "epcisDocWithDefaultSchemaInContext",
}
SEED = 20261207
GENERATED_EVENTS = 3000
GENERATED_PROBES = 4000
GENERATED_MALFORMED = 800

Request = dict[str, Any]
# What the core raises for events it refuses (see the module docstring).
CORE_REFUSALS = (EventError, UnicodeEncodeError)


def run_node(requests: list[Request]) -> list[dict[str, Any]]:
    """Answers of event_hash_cli.mjs to `requests`, in order (one Node process)."""
    node = shutil.which("node")
    assert node is not None, "node (20+) must be on PATH: ./dev install"
    # ASCII JSON: \uXXXX escapes carry unpaired surrogates, which UTF-8 cannot.
    lines = "".join(json.dumps(request, allow_nan=False) + "\n" for request in requests)
    completed = subprocess.run(
        [node, str(CLI)], input=lines.encode("utf-8"), capture_output=True, timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode("utf-8", "replace")[-4000:]
    # Split on "\n" only: str.splitlines() also splits at U+0085 and U+2028 inside the JSON.
    answers = [json.loads(line) for line in completed.stdout.decode("utf-8").split("\n")[:-1]]
    assert len(answers) == len(requests)
    return answers


def python_answer(request: Request) -> dict[str, Any]:
    """What the core says about one request, in the CLI's answer shape."""
    options = {"context": request.get("context"), "ignore_fields": request.get("ignoreFields", ())}
    try:
        prehash = event_prehash(request["event"], **options)
    except CORE_REFUSALS as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    try:
        return {"prehash": prehash, "hashId": event_hash_id(request["event"], **options)}
    except CORE_REFUSALS as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "prehash": prehash}


def disagreements(
    requests: list[Request], answers: list[dict[str, Any]],
    python_answers: list[dict[str, Any]] | None = None,
) -> list[str]:
    """Readable differences between the core and the port; [] when they agree on all."""
    if python_answers is None:
        python_answers = [python_answer(request) for request in requests]
    problems = []
    for index, (request, js, py) in enumerate(zip(requests, answers, python_answers, strict=True)):
        same = (
            ("error" in py) == ("error" in js)
            and py.get("prehash") == js.get("prehash")
            and py.get("hashId") == js.get("hashId")
        )
        if not same:
            problems.append(
                f"#{index}: {json.dumps(request, ensure_ascii=False)[:1500]}\n"
                f"  python: {json.dumps(py, ensure_ascii=False)[:1500]}\n"
                f"  js:     {json.dumps(js, ensure_ascii=False)[:1500]}"
            )
    return problems


# --- 1. published vectors and the GS1 examples ------------------------------------------------


def _documents() -> list[Path]:
    paths = sorted((SHARED_DATA / VECTORS).glob("*.jsonld"))
    paths += sorted((SHARED_DATA / VECTORS / "expected_equal").glob("*.json"))
    for path in sorted((SHARED_DATA / "epcis").rglob("*.jsonld")):
        if "epcisBody" in json.loads(path.read_text(encoding="utf-8")):  # not the contexts
            paths.append(path)
    return paths


def _requests_of(path: Path) -> list[Request]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [
        {"event": item.event, "context": item.context, "ignoreFields": list(item.ignore_fields)}
        for item in document_events(document)
    ]


@pytest.fixture(scope="module")
def document_answers() -> dict[Path, tuple[list[Request], list[dict[str, Any]]]]:
    """Every event of every document, through one Node process."""
    shared_data(VECTORS)
    shared_data("epcis")
    per_document = {path: _requests_of(path) for path in _documents()}
    answers = run_node([request for requests in per_document.values() for request in requests])
    result, start = {}, 0
    for path, requests in per_document.items():
        result[path] = (requests, answers[start : start + len(requests)])
        start += len(requests)
    return result


def test_documents_found(document_answers: dict[Path, Any]) -> None:
    vectors = [path for path in document_answers if path.parent.name == VECTORS]
    examples = [path for path in document_answers if "epcis" in path.parts]
    assert len(vectors) >= 15 and len(examples) >= 20
    assert sum(len(requests) for requests, _ in document_answers.values()) >= 100


def test_js_equals_published_hashes_and_prehashes(document_answers: dict[Path, Any]) -> None:
    checked_hashes = checked_prehashes = 0
    for path, (_, answers) in document_answers.items():
        hashes_file = path.with_suffix(".hashes")
        if path.parent.name != VECTORS or not hashes_file.exists():
            continue
        expected = hashes_file.read_text(encoding="utf-8").split()
        assert [answer.get("hashId") for answer in answers] == expected, path.name
        checked_hashes += len(expected)
        prehashes_file = path.with_suffix(".prehashes")
        if prehashes_file.exists() and path.stem not in STALE_PREHASHES:
            lines = prehashes_file.read_text(encoding="utf-8").splitlines()[: len(answers)]
            assert [answer.get("prehash") for answer in answers] == lines, path.name
            checked_prehashes += len(lines)
    assert checked_hashes >= 30 and checked_prehashes >= 20


def test_js_equals_python_core_on_every_document_event(document_answers: dict[Path, Any]) -> None:
    problems = []
    for path, (requests, answers) in document_answers.items():
        problems += [f"{path.name} {problem}" for problem in disagreements(requests, answers)]
        assert all("hashId" in answer for answer in answers), path.name
    assert not problems, "\n".join(problems[:10])


def test_expected_equal_representations_give_one_hash_in_js(
    document_answers: dict[Path, Any],
) -> None:
    for path, (_, answers) in document_answers.items():
        if path.parent.name == "expected_equal":
            assert len({answer["hashId"] for answer in answers}) == 1, path.name


# --- the event generator ------------------------------------------------------------------------

EXAMPLE_NS = "https://ns.example.com/epcis/"
OTHER_NS = "http://other.example.org/ns#"
CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CONTEXTS: list[Any] = [
    None,
    CONTEXT_URL,
    [CONTEXT_URL, {"example": EXAMPLE_NS}],
    [CONTEXT_URL, {"example": EXAMPLE_NS, "other": {"@id": OTHER_NS, "@prefix": True}}],
    {"example": EXAMPLE_NS, "cbv": "https://example.org/not-cbv/", "ex2": "urn:example:"},
    [{"example": "https://v2.example.com/", "other": OTHER_NS}, "https://example.com/ctx.jsonld"],
    {"__proto__": "https://proto.example.com/",
     "proto": {"@id": "https://p.example.com/", "@prefix": True}},
]
# Where Python's and JavaScript's defaults differ: whitespace (U+001C..U+001F and U+0085 are
# Python whitespace, U+FEFF is JavaScript's), UTF-16 order above U+E000, other scripts' digits.
SPACES = " \t\n\r\x0b\x0c\xa0\u2003\u3000\x1c\x1d\x1e\x1f\x85"
UNICODE_TEXT = "温州蜜柑ÄéßΩжקمदि\uff21\ufeff\ue000\uffff😀𝟘𝟙𐒠\u0660\u0661\u09e7\u200b"
DIGIT_ZEROS = [0x30, 0x660, 0x6F0, 0x966, 0xFF10, 0x1D7CE, 0x104A0, 0x1E950, 0x11F50]
URN_CHARS = string.ascii_letters + string.digits + "!')(*+,.:;=_-"
URN_ESCAPES = ["%2F", "%22", "%25", "%26", "%3C", "%3E", "%3F", "%2f", "%21"]
DL_CHARS = string.ascii_letters + string.digits + "-._"
SHORT_NAMES = {"01": "gtin", "8006": "itip", "8010": "cpid", "414": "gln", "417": "party",
               "8017": "gsrnp", "8018": "gsrn", "255": "gcn", "00": "sscc", "253": "gdti",
               "401": "ginc", "402": "gsin", "8003": "grai", "8004": "giai", "22": "cpv",
               "10": "lot", "21": "ser"}
EXTENSION_KEYS = ["example:temperature", "example:readingList", "example:nested", "other:x",
                  "https://ns.example.org/voc#field", "http://ns.example.org/path/name",
                  "unknown:k", "plainName", "123", "example:😀", "example:ÄList",
                  "ex2:thing", "cbv:odd", "gs1:netWeight", "rdfs:label", "example:List",
                  "__proto__", "constructor", "proto:x", "#text", "rdfs:comment", "toString"]
EVENT_TYPES = sorted(terms.EVENT_TYPES)


class EventGenerator:
    """Seeded EPCIS 2.0 JSON events for the differential test; valid for the core unless malformed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # -- small pieces --
    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def pick(self, choices: Any) -> Any:
        return self.rng.choice(list(choices))

    def digits(self, count: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(count))

    def text(self, alphabet: str, low: int, high: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(low, high)))

    def with_check_digit(self, body: str) -> str:
        return body + (str(compute_check_digit(body)) if self.chance(0.9) else self.digits(1))

    def urn_serial(self, high: int = 20) -> str:
        serial = self.text(URN_CHARS, 1, max(1, high - 3))
        if self.chance(0.3):
            serial += self.pick(URN_ESCAPES)
        return serial

    def unicode_text(self) -> str:
        core = self.text(UNICODE_TEXT + "abc:/.-", 1, 8)
        return self.text(SPACES, 0, 2) + core + self.text(SPACES, 0, 2)

    def foreign_digits(self, digits: str) -> str:
        zero = self.pick(DIGIT_ZEROS)
        return "".join(chr(zero + int(d)) if d.isdigit() and self.chance(0.5) else d for d in digits)

    # -- identifiers --
    def epc_urn(self) -> str:
        prefix = self.digits(self.rng.randint(6, 12))
        off = self.pick([0] * 12 + [-1, 1])  # sometimes the wrong number of digits
        ref = lambda total: self.digits(max(0, total - len(prefix) + off))
        serial12 = self.digits(self.rng.randint(1, 12))
        chars39 = self.text(string.digits + string.ascii_uppercase + "-", 1, 8)
        urns = {
            "sgtin": lambda: f"urn:epc:id:sgtin:{prefix}.{ref(13) or '0'}.{self.urn_serial()}",
            "sscc": lambda: f"urn:epc:id:sscc:{prefix}.{ref(17) or '0'}",
            "sgln": lambda: f"urn:epc:id:sgln:{prefix}.{ref(12)}.{self.pick(['0', self.urn_serial()])}",
            "grai": lambda: f"urn:epc:id:grai:{prefix}.{ref(12)}.{self.urn_serial(16)}",
            "giai": lambda: f"urn:epc:id:giai:{prefix}.{self.urn_serial(30 - len(prefix) + off)}",
            "gsrn": lambda: f"urn:epc:id:gsrn:{prefix}.{ref(17) or '0'}",
            "gsrnp": lambda: f"urn:epc:id:gsrnp:{prefix}.{ref(17) or '0'}",
            "gdti": lambda: f"urn:epc:id:gdti:{prefix}.{ref(12)}.{self.pick(['', self.urn_serial(17)])}",
            "cpi": lambda: f"urn:epc:id:cpi:{prefix}.{chars39}.{serial12}",
            "sgcn": lambda: f"urn:epc:id:sgcn:{prefix}.{ref(12)}.{serial12}",
            "ginc": lambda: f"urn:epc:id:ginc:{prefix}.{self.urn_serial(30 - len(prefix))}",
            "gsin": lambda: f"urn:epc:id:gsin:{prefix}.{ref(16) or '0'}",
            "itip": lambda: f"urn:epc:id:itip:{prefix}.{ref(13) or '0'}.{self.digits(2)}"
                            f".{self.digits(2)}.{self.urn_serial()}",
            "upui": lambda: f"urn:epc:id:upui:{prefix}.{ref(13) or '0'}.{self.urn_serial(28)}",
            "pgln": lambda: f"urn:epc:id:pgln:{prefix}.{ref(12)}",
            "lgtin": lambda: f"urn:epc:class:lgtin:{prefix}.{ref(13) or '0'}.{self.urn_serial()}",
            "idpat-sgtin": lambda: f"urn:epc:idpat:sgtin:{prefix}.{ref(13) or '0'}.*",
            "idpat-grai": lambda: f"urn:epc:idpat:grai:{prefix}.{ref(12)}.*",
            "idpat-gdti": lambda: f"urn:epc:idpat:gdti:{prefix}.{ref(12)}.*",
            "idpat-sgcn": lambda: f"urn:epc:idpat:sgcn:{prefix}.{ref(12)}.*",
            "idpat-cpi": lambda: f"urn:epc:idpat:cpi:{prefix}.{chars39}.*",
            "idpat-itip": lambda: f"urn:epc:idpat:itip:{prefix}.{ref(13) or '0'}"
                                  f".{self.digits(2)}.{self.digits(2)}.*",
            "idpat-upui": lambda: f"urn:epc:idpat:upui:{prefix}.{ref(13) or '0'}.*",
        }
        return urns[self.pick(urns)]()

    def digital_link(self) -> str:
        ai, value = self.pick([
            ("01", lambda: self.with_check_digit(self.digits(self.pick([13, 12, 11, 7])))),
            ("00", lambda: self.with_check_digit(self.digits(17))),
            ("414", lambda: self.with_check_digit(self.digits(12))),
            ("417", lambda: self.with_check_digit(self.digits(12))),
            ("8003", lambda: "0" + self.with_check_digit(self.digits(12)) + self.text(DL_CHARS, 0, 16)),
            ("8004", lambda: self.digits(7) + self.text(DL_CHARS, 1, 20)),
            ("8006", lambda: self.with_check_digit(self.digits(13)) + self.digits(4)),
            ("8010", lambda: self.digits(7) + self.text(string.digits + string.ascii_uppercase + "-#",
                                                        1, 20)),
            ("8017", lambda: self.with_check_digit(self.digits(17))),
            ("8018", lambda: self.with_check_digit(self.digits(17))),
            ("255", lambda: self.with_check_digit(self.digits(12)) + self.digits(self.rng.randint(0, 12))),
            ("253", lambda: self.with_check_digit(self.digits(12)) + self.text(DL_CHARS, 0, 17)),
            ("401", lambda: self.digits(7) + self.text(DL_CHARS, 1, 20)),
            ("402", lambda: self.with_check_digit(self.digits(16))),
        ])
        path = f"/{self.pick([ai, SHORT_NAMES.get(ai, ai)])}/{value()}"
        qualifiers = {"01": ["22", "10", "21", "235"], "8006": ["22", "10", "21"], "414": ["254"],
                      "8010": ["8011"]}.get(ai, [])
        for qualifier in qualifiers:
            if self.chance(0.4):
                name = self.pick([qualifier, SHORT_NAMES.get(qualifier, qualifier)])
                value = self.digits(3) if qualifier == "8011" else self.text(DL_CHARS, 0, 12)
                path += f"/{name}/{self.pick([value, value, value, '01', '22', '10'])}"
        if self.chance(0.05):
            path += self.pick(["/21/a b", "/21/%2F", "!", "/", "/10/ünï", "/21/" + "x" * 25])
        host = self.pick(["https://id.gs1.org", "https://id.gs1.org", "http://id.gs1.org",
                          "https://example.com", "https://brand.example.com/some/path", "http:",
                          "https://example.com/ser/a", "https://example.com/gtin/x/lot/y"])
        query = self.pick(["", "", "?17=201231", "?linkType=all", "#frag"])
        return host + path + query

    def identifier(self) -> str:
        kind = self.rng.random()
        if kind < 0.45:
            return self.epc_urn()
        if kind < 0.85:
            return self.digital_link()
        return self.pick(["urn:uuid:6f9a4b8e-1f0e-4a43-8b88-1a2b3c4d5e6f", "https://example.org/thing/1",
                          "example:item-7", "other:x.y", self.unicode_text(), "urn:epc:id:unknown:1.2.3"])

    # -- scalar values --
    def double(self) -> float:
        while True:
            value = self.pick([
                lambda: self.rng.uniform(-1e6, 1e6),
                lambda: float(self.rng.randint(-10**6, 10**6)),
                lambda: self.rng.uniform(-1, 1) * 10.0 ** -self.rng.randint(1, 30),
                lambda: self.rng.uniform(-1, 1) * 10.0 ** self.rng.randint(15, 300),
                lambda: struct.unpack("<d", self.rng.randbytes(8))[0],
                lambda: round(self.rng.uniform(0, 100), self.rng.randint(0, 4)),
            ])()
            if math.isfinite(value):
                return value

    def number_text(self) -> str:
        value = self.double()
        text = self.pick([repr(value), f"{value:.{self.rng.randint(0, 20)}f}",
                          f"{value:.{self.rng.randint(0, 17)}e}", f"{value:.{self.rng.randint(1, 17)}g}",
                          str(self.rng.randint(-10**25, 10**25))])
        mutation = self.rng.randint(0, 12)
        if mutation == 0 and not text.startswith("-"):
            text = "+" + text
        elif mutation == 1:
            text = text.replace("e", "E")
        elif mutation == 2 and text[:1].isdigit():
            text = "000" + text
        elif mutation == 3 and "." in text and "e" not in text:
            text += "000"
        elif mutation == 4:
            position = self.rng.randrange(len(text) + 1)
            text = text[:position] + "_" + text[position:]
        elif mutation == 5:
            text = self.foreign_digits(text)
        elif mutation == 6:
            text = self.pick(["1e400", "-1e-400", "inf", "+inf", "-Infinity", "+nan", "1__0", "_1",
                              "1_", "1._5", "1_000.000_1", "0x10", "1e", "1.2.3", "--1", "+-1", ".",
                              "5.", ".5", "-.5e-3", "-0", "-0.0", "0e0", "1e-7", "1e16", "1e17",
                              "9007199254740993", "0.1e1", "١٢٣", "12٫5", "1e1_0", "1.5e+01"])
        return text

    def timestamp(self) -> str:
        year = self.pick([self.rng.randint(1970, 2100)] * 6 + [self.rng.randint(1, 9999), 1, 2, 9999, 2000, 1900])
        month = self.rng.randint(1, 12)
        days = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                31, 31, 30, 31, 30, 31][month - 1]
        day = self.pick([self.rng.randint(1, days), days, 1])
        clock = f"{self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}:{self.rng.randint(0, 59):02d}"
        if self.chance(0.2):
            clock = self.pick(["23:59:59", "00:00:00"])
        fraction = self.pick(["", "", ".0", "." + self.digits(self.rng.randint(1, 9)), ".9995", ".999",
                              ".1234", ".12345", ".99999999", ".0005", ".0004"])
        minutes = self.rng.randint(0, 14 * 60)
        zone = self.pick(["Z", "Z", "+00:00", "-00:00",
                          f"{self.pick('+-')}{minutes // 60:02d}:{self.pick([0, 30, 45, minutes % 60]):02d}",
                          "+14:00", "-14:00", "+10:99"])
        if zone[0] in "+-" and int(zone[1:3]) * 60 + int(zone[4:6]) > 840:
            zone = "+05:30"
        text = f"{year:04d}-{month:02d}-{day:02d}T{clock}{fraction}{zone}"
        return self.text(SPACES, 0, 1) + text + self.text(SPACES, 0, 1) if self.chance(0.1) else text

    def offset(self) -> str:
        return f"{self.pick('+-')}{self.rng.randint(0, 13):02d}:{self.pick([0, 30, 45]):02d}"

    def tricky_value(self) -> Any:
        kind = self.rng.randint(0, 11)
        if kind <= 1:
            return self.number_text()
        if kind == 2:
            return self.pick([self.double(), self.rng.randint(-2**70, 2**70), True, False, 0, -0.0, 1.0])
        if kind <= 4:
            return self.identifier() if self.chance(0.9) else self.foreign_digits(self.epc_urn())
        if kind == 5:
            return self.pick(["urn:epcglobal:cbv:bizstep:shipping", "urn:epcglobal:cbv:disp:in_transit",
                              "x urn:epcglobal:cbv:btt:po urn:epcglobal:cbv:btt:po", "cbv:BizStep-receiving",
                              "gs1:Temperature", "example:thing", "rdfs:x", "example:", ":x", "//x",
                              "example://x", "shipping", "Temperature", "in_transit"])
        if kind == 6:
            return self.timestamp()
        if kind == 7:
            return self.text(SPACES, 1, 3)
        if kind == 8:
            return self.pick(["", "  ", "\ufeff1\ufeff", "\x1c5\x85", "\u3000shipping\u3000"])
        return self.unicode_text()

    # -- structures --
    def words_value(self, table: Any, base: str, legacy: str | None) -> Any:
        word = self.pick(table)
        forms = [word, word, base + word, "cbv:" + (base + word).rsplit("/", 1)[1]]
        if legacy:
            forms.append(f"urn:epcglobal:cbv:{legacy}:{word}")
        forms.append(self.pick(["https://example.org/custom-step", "example:customStep"]))
        value = self.pick(forms)
        return self.text(SPACES, 0, 1) + value if self.chance(0.05) else value

    def extension_value(self, depth: int) -> Any:
        roll = self.rng.random()
        if depth >= 4 or roll < 0.55:
            return self.tricky_value()
        if roll < 0.8:
            return {self.extension_key(): self.extension_value(depth + 1)
                    for _ in range(self.rng.randint(0, 3))}
        return [self.extension_value(depth + 1) for _ in range(self.rng.randint(0, 3))]

    def extension_key(self) -> str:
        key = self.pick(EXTENSION_KEYS)
        return key + self.pick(["", "", "2", "List", "Ω"]) if not key.endswith("List") else key

    def extensions(self, target: dict[str, Any], count: int) -> None:
        for _ in range(count):
            target[self.extension_key()] = self.extension_value(1)

    def quantity_list(self) -> list[Any]:
        elements = []
        for _ in range(self.rng.randint(0, 3)):
            element: dict[str, Any] = {"epcClass": self.pick([self.epc_urn(), self.digital_link()])}
            if self.chance(0.8):
                element["quantity"] = self.pick([self.rng.randint(0, 500), self.double(), self.number_text(),
                                                 round(self.rng.uniform(0, 50), 2)])
            if self.chance(0.6):
                element["uom"] = self.pick(["KGM", "LTR", "EA", " KGM "])
            if self.chance(0.1):
                self.extensions(element, 1)
            elements.append(element)
        return elements

    def epc_list(self) -> list[Any]:
        return [self.identifier() for _ in range(self.rng.randint(0, 4))]

    def location(self) -> dict[str, Any]:
        location: dict[str, Any] = {"id": self.pick([self.epc_urn(), self.digital_link(),
                                                     "urn:epc:id:sgln:0614141.00777.0"])}
        if self.chance(0.2):
            self.extensions(location, 1)
        return location

    def typed_list(self, member: str, table: Any, legacy: str) -> list[Any]:
        items = []
        for _ in range(self.rng.randint(0, 3)):
            item: dict[str, Any] = {member: self.pick([self.identifier(),
                                                       "urn:epcglobal:cbv:bt:0614141073467:1152",
                                                       "http://transaction.example.com/po/12345678"])}
            if self.chance(0.8):
                item["type"] = self.words_value(table, f"{terms.CBV}{legacy.upper()}-", legacy)
            if self.chance(0.1):
                self.extensions(item, 1)
            items.append(item)
        return items

    def sensor_element(self) -> dict[str, Any]:
        element: dict[str, Any] = {}
        if self.chance(0.8):
            metadata: dict[str, Any] = {}
            for name in ("time", "startTime", "endTime"):
                if self.chance(0.4):
                    metadata[name] = self.timestamp()
            for name in ("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules"):
                if self.chance(0.3):
                    metadata[name] = self.pick([self.identifier(), "https://example.org/device/1"])
            if self.chance(0.2):
                self.extensions(metadata, 1)
            element["sensorMetadata"] = metadata
        reports = []
        for _ in range(self.rng.randint(0, 3)):
            report: dict[str, Any] = {}
            if self.chance(0.8):
                report["type"] = self.pick([self.pick(terms.MEASUREMENT_TYPES),
                                            "gs1:" + self.pick(terms.MEASUREMENT_TYPES),
                                            terms.GS1_VOC + "Temperature", "example:Odour"])
            if self.chance(0.2):
                report["exception"] = self.pick(terms.SENSOR_ALERT_TYPES)
            if self.chance(0.2):
                report["component"] = self.pick(terms.SENSOR_COMPONENTS)
            if self.chance(0.3):
                report["time"] = self.timestamp()
            for name in ("value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"):
                if self.chance(0.25):
                    report[name] = self.pick([self.double(), self.rng.randint(-40, 40), self.number_text()])
            for name, maker in (("stringValue", self.unicode_text), ("booleanValue", lambda: self.chance(0.5)),
                                ("hexBinaryValue", lambda: self.text("0123456789ABCDEF", 2, 8)),
                                ("uriValue", self.identifier), ("uom", lambda: self.pick(["CEL", "KEL", "A93"])),
                                ("deviceID", self.identifier), ("rawData", self.identifier),
                                ("microorganism", lambda: "https://www.ncbi.nlm.nih.gov/taxonomy/1496"),
                                ("chemicalSubstance", lambda: "https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N"),
                                ("coordinateReferenceSystem", lambda: "http://www.opengis.net/def/crs/EPSG/0/4979")):
                if self.chance(0.15):
                    report[name] = maker()
            if self.chance(0.1):
                self.extensions(report, 1)
            reports.append(report)
        if reports or self.chance(0.5):
            element["sensorReport"] = reports[0] if len(reports) == 1 and self.chance(0.3) else reports
        if self.chance(0.1):
            self.extensions(element, 1)
        return element

    def event(self) -> dict[str, Any]:
        """A valid EPCIS 2.0 event of a random type with a random selection of members."""
        event_type = self.pick(EVENT_TYPES)
        event: dict[str, Any] = {"type": event_type, "eventTime": self.timestamp()}
        maybe = lambda probability, name, maker: (
            event.__setitem__(name, maker()) if self.chance(probability) else None)
        maybe(0.7, "eventTimeZoneOffset", self.offset)
        maybe(0.3, "recordTime", self.timestamp)
        maybe(0.3, "eventID", lambda: "ni:///sha-256;" + "ab" * 32 + "?ver=CBV2.0")
        maybe(0.1, "errorDeclaration", lambda: {"declarationTime": self.timestamp(), "reason": "incorrect_data",
                                                "correctiveEventIDs": ["urn:uuid:1"], "example:why": 5})
        maybe(0.15, "certificationInfo", lambda: self.pick([self.identifier(),
                                                            [self.identifier() for _ in range(2)]]))
        if event_type == "ObjectEvent":
            maybe(0.8, "epcList", self.epc_list)
            maybe(0.4, "quantityList", self.quantity_list)
        elif event_type in ("AggregationEvent", "AssociationEvent"):
            maybe(0.9, "parentID", self.identifier)
            maybe(0.8, "childEPCs", self.epc_list)
            maybe(0.4, "childQuantityList", self.quantity_list)
        elif event_type == "TransactionEvent":
            maybe(0.4, "parentID", self.identifier)
            maybe(0.8, "epcList", self.epc_list)
            maybe(0.4, "quantityList", self.quantity_list)
        else:
            maybe(0.7, "inputEPCList", self.epc_list)
            maybe(0.5, "inputQuantityList", self.quantity_list)
            maybe(0.7, "outputEPCList", self.epc_list)
            maybe(0.5, "outputQuantityList", self.quantity_list)
            maybe(0.4, "transformationID", lambda: "urn:epc:id:gdti:0614141.12345.400")
        if event_type != "TransformationEvent":
            event["action"] = self.pick(sorted(terms.ACTIONS))
        maybe(0.8, "bizStep", lambda: self.words_value(terms.BIZ_STEPS, terms.CBV + "BizStep-", "bizstep"))
        maybe(0.6, "disposition", lambda: self.words_value(terms.DISPOSITIONS, terms.CBV + "Disp-", "disp"))
        maybe(0.15, "persistentDisposition", lambda: {
            name: self.pick([self.words_value(terms.DISPOSITIONS, terms.CBV + "Disp-", "disp"),
                             [self.words_value(terms.DISPOSITIONS, terms.CBV + "Disp-", "disp")
                              for _ in range(2)]])
            for name in self.rng.sample(["set", "unset"], self.rng.randint(1, 2))})
        maybe(0.7, "readPoint", self.location)
        maybe(0.6, "bizLocation", self.location)
        maybe(0.4 if event_type != "TransactionEvent" else 1.0, "bizTransactionList",
              lambda: self.typed_list("bizTransaction", terms.BIZ_TRANSACTION_TYPES, "btt"))
        maybe(0.3, "sourceList", lambda: self.typed_list("source", terms.SOURCE_DESTINATION_TYPES, "sdt"))
        maybe(0.3, "destinationList", lambda: self.typed_list("destination", terms.SOURCE_DESTINATION_TYPES, "sdt"))
        maybe(0.25, "sensorElementList", lambda: [self.sensor_element() for _ in range(self.rng.randint(0, 3))])
        if event_type in ("ObjectEvent", "TransformationEvent") and self.chance(0.3):
            event["ilmd"] = {}
            self.extensions(event["ilmd"], self.rng.randint(0, 3))
        maybe(0.1, "rdfs:comment", self.unicode_text)
        maybe(0.05, "comment", self.unicode_text)
        maybe(0.05, "example:ignored", self.unicode_text)
        self.extensions(event, self.pick([0, 0, 1, 2, 3]))
        items = list(event.items())
        self.rng.shuffle(items)  # member order must not matter
        return dict(items)

    def request(self, event: Any) -> Request:
        request: Request = {"event": event, "context": self.pick(CONTEXTS)}
        if self.chance(0.1) and isinstance(event, dict):
            event["@context"] = self.pick(CONTEXTS[1:])
        if self.chance(0.1):
            request["ignoreFields"] = self.pick([["example:ignored"], [EXAMPLE_NS + "ignored"],
                                                 ["{" + EXAMPLE_NS + "}ignored", "plainName"]])
        return request

    def probe(self, slot: int | None = None, value: Any = None) -> Request:
        """A small event with one tricky value in one place, so a difference points at it."""
        event: dict[str, Any] = {"type": "ObjectEvent", "eventTime": "2024-02-29T12:00:00.000Z",
                                 "action": "OBSERVE"}
        if slot is None:
            slot = self.rng.randrange(PROBE_SLOTS)
            value = self.timestamp() if slot == 0 and self.chance(0.5) else self.tricky_value()
        if slot == 0:
            event["eventTime"] = value
        elif slot == 1:
            event["epcList"] = [value]
        elif slot == 2:
            event["bizStep"] = value
        elif slot == 3:
            event["readPoint"] = {"id": value}
        elif slot == 4:
            event["quantityList"] = [{"epcClass": self.identifier(), "quantity": value}]
        elif slot == 5:
            event["sensorElementList"] = [{"sensorReport": [{"type": "Temperature", "value": value}]}]
        elif slot == 6:
            event["bizTransactionList"] = [{"type": value, "bizTransaction": self.identifier()}]
        elif slot == 7:
            event["certificationInfo"] = value
        else:
            event[self.extension_key()] = value
        return self.request(event)

    def malformed(self, name: str | None = None, value: Any = None) -> Request:
        """A valid event with one member replaced by a value from MALFORMED (random unless given)."""
        randomly = name is None
        if randomly:  # any but the 10,000-member objects (edge_cases has those)
            name, values = self.pick((key, values) for key, values in MALFORMED.items()
                                     if key != "example:wide")
            value = self.pick(values)
        event = self.event() if name not in ("example:deep", "example:wide") else {
            "type": "ObjectEvent", "eventTime": "2024-02-29T12:00:00Z"}  # limits counted exactly
        if isinstance(value, str) and value.startswith("<deep:"):  # around MAX_USER_EXTENSION_DEPTH
            levels, value = int(value[6:-1]), "x"
            for _ in range(levels):
                value = {"example:d": value}
        elif isinstance(value, str) and value.startswith("<wide:"):  # around MAX_USER_EXTENSION_ELEMENTS
            value = {f"example:k{index}": index for index in range(int(value[6:-1]))}
        if value == "<absent>":
            event.pop(name, None)
        else:
            event[name] = value
        if randomly and self.chance(0.03):  # not even an object
            return self.request(self.pick([[event], "ObjectEvent", 5, None]))
        return self.request(event)

    def edge_cases(self) -> list[Request]:
        """Every MALFORMED value once, and the hand-picked TRICKY_VALUES in every probe slot."""
        requests = [self.malformed(name, value) for name, values in MALFORMED.items() for value in values]
        for value in TRICKY_VALUES:
            for slot in range(PROBE_SLOTS):
                requests.append(self.probe(slot, value))
        return requests


# Members and the values that make an event malformed (most of them; the core decides).
MALFORMED: dict[str, list[Any]] = {
    "type": ["<absent>", None, "objectEvent", "EPCISDocument", 5, ["ObjectEvent"], ""],
    "eventTime": [
        "<absent>", None, "2020-01-01T00:00:00", "2020-01-01 00:00:00Z", "2020-02-30T00:00:00Z",
        "2021-02-29T00:00:00Z", "2020-01-01T24:00:00Z", "2020-01-01T00:60:00Z",
        "2020-01-01T00:00:60Z", "2020-01-01T00:00:00.Z", "2020-01-01T00:00:00+1:00",
        "2020-01-01T00:00:00+15:00", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01",
        "0001-01-01T00:00:00-00:01", "9999-12-31T23:59:59.9995Z", "9999-12-31T23:59:59.9994Z",
        "9999-12-31T23:00:00-14:00", "9999-12-31T23:00:00+14:00", "２０２０-01-01T00:00:00Z",
        "2020-01-01T00:00:00z", "2020-01-01T00:00:00+14:01", "2020-01-01T00:00:00+13:99",
        "2020-01-01T00:00:00+10:99", "2020-01-01T00:00:00+01:0x", "2020-01-01T00:00:00+0a:00",
        "2020-1-01T00:00:00Z", "2020-01-01T00:00:00.5+01:00:00", "2020-01-01T00:00:0😀Z",
        "2020-01-01T00:00:00😀", "2020-01-01T00:00:00.1😀Z", "", 1577836800, {}, [], True,
        "2020-01-01T00:00:00.\u0661Z", "\u30002020-01-01T00:00:00Z\x85", "\ufeff2020-01-01T00:00:00Z",
        "2020-01-01t00:00:00Z", "2020-01-01T00:00:00.Z", "2020-01-01T00:00:00.000000000001Z",
    ],
    "eventTimeZoneOffset": ["+15:00", "0100", "+01:00:00", 1, None, "Z", "+1:00", "+14:01",
                            "+٠١:00", ["+01:00"], "+01:0x", "+13:99", "+10:99", " -05:00\x1c", "\ufeff+01:00"],
    "action": ["add", " ADD", "ADD ", 1, None, True, {}, [], "DELETED", "<absent>"],
    "epcList": ["urn:epc:id:sscc:0614141.1234567890", {}, 5, [None], [{}], [["x"]],
                ["urn:epc:id:sgtin:٠١٢٣٤٥٦.012345.1"], ["urn:epc:id:sscc:0614141.٠١٢٣٤٥٦٧٨٩"],
                ["urn:epc:id:sgtin:𝟘𝟙𝟚𝟛𝟜𝟝𝟞.012345.1"]],
    "childEPCs": [{}, [None], "x"],
    "quantityList": [[5], ["x"], {}, [{"epcClass": {}}], [{"quantity": None}], [{"uom": ["KGM"]}]],
    "bizTransactionList": [[{"type": "po"}], ["x"], {}, [{"bizTransaction": None}],
                           [{"bizTransaction": "x", "type": []}], [{"bizTransaction": "x", "example:n": None}]],
    "sourceList": [[{"type": "location"}], [None], "x"],
    "destinationList": [[{"destination": {}}], 7],
    "readPoint": ["urn:epc:id:sgln:0614141.00777.0", 5, [], {"id": None}, {"id": {}}, None],
    "bizLocation": [None, {"id": [1]}, {"example:x": None}],
    "persistentDisposition": ["active", {"set": [{}]}, {"unset": None}, [], {"set": "active", "x": None}],
    "sensorElementList": [{}, [5], [{"sensorMetadata": "x"}], [{"sensorReport": [{"time": "yesterday"}]}],
                          [{"sensorReport": [5]}], [{"sensorMetadata": {"time": 5}}],
                          [{"sensorReport": {"value": None}}], [{"sensorMetadata": {"endTime": "2020-01-01"}}],
                          [{"sensorReport": [{"booleanValue": {}}]}]],
    "example:nothing": [None, [None], {"example:inner": [1, None]}, [[None]]],
    "ilmd": [{"example:x": None}, None],
    "example:deep": ["<deep:15>", "<deep:16>", "<deep:30>"],
    "example:wide": ["<wide:9999>", "<wide:10000>"],
    "@context": [5, [5], True, [[{"x": "y"}, 3]], 1.5],
    "certificationInfo": [[{}], {}, None, [None], [["x"]]],
    "parentID": [None, {}, ["x"]],
    "bizStep": [None, {}, ["shipping"]],
    "disposition": [[], {"x": 1}],
    "transformationID": [[], None],
    "example:lone": ["\ud800", "a\udc00b", "\udbff", {"example:k": "\udfff"}],
}
# Values put in every probe slot: the corners of numbers, identifiers and CURIEs.
TRICKY_VALUES: list[Any] = [
    "1_000", "1__0", "1e400", "-0", ".5", "5.", "+1.50", "00012", "1e-5", "0.0001", "1e16", "1.5e-7",
    "١٢٣", "𝟙𝟚", "1٫5", "١e٣", "0x1A", "inf", "+nan", 2**70, 2**53 + 1, 1e-7, 1.5e300, -0.0, 0.1 + 0.2,
    True, "urn:epc:id:giai:0614141.ABCDEFGHIJKLMNOPQRSTUVW", "urn:epc:id:giai:0614141.ABCDEFGHIJKLMNOPQRSTUVWX",
    "urn:epc:id:giai:0614141.ABCDEFGHIJKLMNOPQRSTUV%2F", "urn:epc:id:giai:𝟘𝟙𝟚𝟛𝟜𝟝𝟞.ABCDEFGHIJKLMNOPQRSTUVW",
    "urn:epc:id:giai:٠١٢٣٤٥٦.A1", "urn:epc:id:ginc:0614141.xyz", "urn:epc:id:cpi:0614141.5PQ7%2FZ43.12345",
    "urn:epc:id:sgln:0614141.00777.0", "urn:epc:id:sgln:0614141.00777.00", "urn:epc:id:sgtin:0614141.107346.2017",
    "https://id.gs1.org/01/952012345678/10/01/21/x", "https://id.gs1.org/01/952012345678/22/01/21/x",
    "https://example.com/ser/a/01/09520123456788/ser/5", "https://example.com/gtin/x/gtin/09520123456788",
    "https://id.gs1.org/01/09520123456788/22/A/10/B/21/C", "https://id.gs1.org/01/09520123456788/22/A/10/B",
    "https://id.gs1.org/01/09520123456788/10/B/21/", "https://id.gs1.org/01/09520123456788/10//21/x",
    "https://id.gs1.org/01/٠٩٥٢٠١٢٣٤٥٦٧٨٨/21/x", "https://id.gs1.org/8010/0614141ABC/8011/12",
    "https://id.gs1.org/00/106141412345678908?x", "http://example.com/414/9520123456788/254/5?y",
    "HTTPS://id.gs1.org/01/09520123456788", "https://id.gs1.org/01/09520123456788/21/%2F",
    "example:x", "example://x", "other:y", "ex2:z", "cbv:BizStep-shipping", "gs1:Temperature", "unknown:z",
    "urn:epcglobal:cbv:bizstep:shipping", "urn:epcglobal:cbv:btt:po", "shipping", "po", "location", "Temperature",
    "\ufeffshipping", "\x1cshipping\x85", "\u2028x\u2029", "\ue000", "\uffff", "😀", "a\u0000b", "",
]
PROBE_SLOTS = 10


def test_js_document_events_equal_the_core(document_answers: dict[Path, Any]) -> None:
    """documentEvents() splits each document as document_events() does (context, ignoreFields)."""
    paths = [str(path) for path in document_answers]
    result = run_node_module("""
        const out = [];
        for (const path of input) {
          const items = eventHash.documentEvents(JSON.parse(readFileSync(path, "utf8")));
          out.push(await Promise.all(items.map(({event, context, ignoreFields}) =>
            eventHash.eventHashId(event, context, {ignoreFields}))));
        }
        console.log(JSON.stringify(out));
    """, paths)
    for path, hash_ids in zip(document_answers, result, strict=True):
        expected = [answer["hashId"] for answer in document_answers[path][1]]
        assert hash_ids == expected, path.name


def test_js_document_events_refusals() -> None:
    documents = [[], {"type": "EPCISDocument"}, {"epcisBody": {}}, {"epcisBody": {"eventList": {}}},
                 {"epcisBody": {"queryResults": {"resultsBody": {}}}},
                 {"epcisBody": {"eventList": []}, "ignoreFields": "x"},
                 {"epcisBody": {"eventList": [], "epcis:ignoreFields": [1]}}]
    for document in documents:
        with pytest.raises(ValueError):
            document_events(document)
    refused = run_node_module(f"""
        console.log(JSON.stringify({json.dumps(documents)}.map((document) => {{
          try {{ eventHash.documentEvents(document); return false; }}
          catch (error) {{ return error instanceof eventHash.EventHashError; }} }})));
    """)
    assert refused == [True] * len(documents)


# --- 2. differential test over generated events -----------------------------------------------


@pytest.fixture(scope="module")
def generated() -> dict[str, list[Request]]:
    generator = EventGenerator(SEED)
    return {
        "events": [generator.request(generator.event()) for _ in range(GENERATED_EVENTS)],
        "probes": [generator.probe() for _ in range(GENERATED_PROBES)],
        "malformed": [generator.malformed() for _ in range(GENERATED_MALFORMED)],
        "edges": generator.edge_cases(),
    }


@pytest.fixture(scope="module")
def generated_answers(generated: dict[str, list[Request]]) -> dict[str, list[dict[str, Any]]]:
    everything = [request for requests in generated.values() for request in requests]
    answers = iter(run_node(everything))
    return {kind: [next(answers) for _ in requests] for kind, requests in generated.items()}


@pytest.fixture(scope="module")
def python_answers(generated: dict[str, list[Request]]) -> dict[str, list[dict[str, Any]]]:
    return {kind: [python_answer(request) for request in requests] for kind, requests in generated.items()}


Answers = dict[str, list[dict[str, Any]]]


def _differences(kind: str, generated: dict[str, list[Request]], python: Answers, js: Answers) -> str:
    problems = disagreements(generated[kind], js[kind], python[kind])
    return f"{len(problems)} of {len(generated[kind])} differ:\n" + "\n".join(problems[:5])


def _accepted_share(answers: list[dict[str, Any]]) -> float:
    return sum("hashId" in answer for answer in answers) / len(answers)


def test_generated_events_are_mostly_valid_for_the_core(python_answers: Answers) -> None:
    """The generator makes events the core hashes, so the comparison is not about refusals."""
    assert _accepted_share(python_answers["events"]) > 0.95
    assert _accepted_share(python_answers["probes"]) > 0.85
    assert _accepted_share(python_answers["malformed"]) < 0.1


@pytest.mark.parametrize("kind", ["events", "probes", "malformed", "edges"])
def test_generated_requests_equal_python_core(
    kind: str, generated: dict[str, list[Request]], python_answers: Answers, generated_answers: Answers
) -> None:
    """Same pre-hash and hash ID, or both refuse (events, single tricky values, malformed ones)."""
    problems = _differences(kind, generated, python_answers, generated_answers)
    assert problems.startswith("0 of"), problems
    assert all(answer["error"] for answer in generated_answers[kind] if "error" in answer)


def run_node_module(script: str, data: Any = None) -> Any:
    """JSON printed by an inline ES module with event_hash.js as `eventHash`, `data` as `input`."""
    node = shutil.which("node")
    assert node is not None, "node (20+) must be on PATH: ./dev install"
    source = (f"import * as eventHash from {json.dumps(MODULE.as_uri())};\n"
              'import { readFileSync } from "node:fs";\n'
              'const input = JSON.parse(readFileSync(0, "utf8"));\n' + script)
    completed = subprocess.run([node, "--input-type=module", "-e", source], input=json.dumps(data),
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout)


def test_public_api() -> None:
    """Digest bytes, ID formatting and parsing, and the error type the page catches."""
    event = {"type": "ObjectEvent", "eventTime": "2020-01-01T00:00:00+01:00", "action": "OBSERVE",
             "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"]}
    result = run_node_module(f"""
        const event = {json.dumps(event)};
        const digest = await eventHash.eventHashDigest(event);
        const hashId = await eventHash.eventHashId(event, null);
        let error = null;
        try {{ eventHash.preHashString({{type: "ObjectEvent"}}); }} catch (e) {{
          error = {{isEventHashError: e instanceof eventHash.EventHashError, isError: e instanceof Error,
                   name: e.name, field: e.field, message: e.message}};
        }}
        const refusals = ["ni:///sha-256;" + "AB".repeat(32) + "?ver=CBV2.0", hashId + " ", "x", null]
          .map((text) => {{ try {{ eventHash.digestOfEventHashId(text); return false; }}
                           catch (e) {{ return e instanceof eventHash.EventHashError; }} }});
        console.log(JSON.stringify({{
          digest: Array.from(digest), isUint8Array: digest instanceof Uint8Array, hashId,
          roundTrip: eventHash.formatEventHashId(eventHash.digestOfEventHashId(hashId)),
          error, refusals }}));
    """)
    expected = event_hash_id(event)
    assert result["hashId"] == expected == result["roundTrip"]
    assert result["isUint8Array"] and bytes(result["digest"]).hex() == expected[14:78]
    assert result["error"] == {"isEventHashError": True, "isError": True, "name": "EventHashError",
                               "field": "eventTime", "message": "eventTime: missing"}
    assert result["refusals"] == [True, True, True, True]


def test_js_identifier_canonicalisation_equals_the_core() -> None:
    """canonicalIdentifier() (EPC URN / Digital Link to canonical Digital Link) on its own."""
    generator = EventGenerator(SEED + 1)
    texts = [generator.identifier() for _ in range(3000)]
    texts += [generator.foreign_digits(generator.epc_urn()) for _ in range(300)]
    texts += [value for value in TRICKY_VALUES if isinstance(value, str)]
    expected = []
    for text in texts:
        try:
            expected.append(canonical_identifier(text))
        except ValueError:  # the core's check digit refuses non-ASCII digits
            expected.append("<refused>")
    answers = run_node_module("""
        console.log(JSON.stringify(input.map((text) => {
          try { return eventHash.canonicalIdentifier(text); }
          catch (error) { return error instanceof eventHash.EventHashError ? "<refused>" : "<bug>"; }
        })));
    """, texts)
    differ = [(t, e, a) for t, e, a in zip(texts, expected, answers, strict=True) if e != a]
    assert not differ, differ[:10]
    assert sum(value is not None for value in expected) > 1500


def test_unicode_decimal_digits_equal_the_core() -> None:
    """Every digit Python's `\\d` and float() accept (Unicode 14), and newer ones they do not."""
    digits = [chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Nd"]
    digits += [chr(code) for code in (*range(0x11F50, 0x11F5A), *range(0x1E4F0, 0x1E4FA))]
    requests = []
    for digit in digits:
        event = {"type": "ObjectEvent", "eventTime": "2024-01-01T00:00:00Z", "action": "ADD",
                 "epcList": [f"urn:epc:id:giai:{digit * 7}.A1"], "example:n": f"1{digit}.{digit}5"}
        requests.append({"event": event, "context": CONTEXTS[2]})
    problems = disagreements(requests, run_node(requests))
    assert not problems, f"{len(problems)} differ:\n" + "\n".join(problems[:5])


def test_js_vocabularies_equal_the_core() -> None:
    tables = run_node_module(
        "const out = {};"
        "for (const [name, table] of Object.entries(eventHash.TERMS))"
        "  out[name] = table instanceof Map ? Object.fromEntries(table) : [...table].sort();"
        "console.log(JSON.stringify(out));"
    )
    assert tables["EVENT_TYPES"] == sorted(terms.EVENT_TYPES)
    assert tables["ACTIONS"] == sorted(terms.ACTIONS)
    for name in (
        "BIZ_STEP_URIS", "DISPOSITION_URIS", "BIZ_TRANSACTION_TYPE_URIS",
        "SOURCE_DESTINATION_TYPE_URIS", "SENSOR_COMPONENT_URIS", "MEASUREMENT_TYPE_URIS",
        "SENSOR_ALERT_TYPE_URIS",
    ):
        assert tables[name] == dict(getattr(terms, name)), name
