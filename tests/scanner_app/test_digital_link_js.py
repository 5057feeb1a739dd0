"""scanner_app/digital_link.js and its GS1 tables against gs1, under Node: the recall keys and
RecallRegistry subjects the page derives from a scanned Digital Link are exactly Python's.

- `gs1_ai_table.js` is `scanner_app/generate_gs1_table.py` run again (no hand edits) and
  evaluates to gs1.ai_table's rules, code lists and character sets;
- every linter of `gs1_linters.js` accepts exactly the parts gs1.linters accepts, and
  `aiValueReason` exactly the values gs1.ai_values.verify_ai_value accepts, for every AI of
  the dictionary: values built from each AI's components (character sets, lengths, check
  digits and check pairs, dates and times, codes from the code lists, IBANs, coupons), one
  targeted break per linter and random edits;
- for every Digital Link, generated over every primary key and qualifier sequence and every
  data-attribute AI (its requisites added) or taken from GS1's examples: when Python takes it
  (`identify` parses it as a Digital Link), the JavaScript gives the same kind, the same
  `recall_keys_covering` (most specific first) and the same `recall_subject`s; when Python
  rejects it, the JavaScript throws `DigitalLinkError`. There is no third answer.

One Node process per batch.
"""

from __future__ import annotations

import base64
import json
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchoring.core.check_digit import compute_check_digit
from gs1 import code_lists
from gs1.ai_table import Component, ai_rules, matches_pattern
from gs1.ai_values import verify_ai_value
from gs1.charset import CSET_39, CSET_64, CSET_82
from gs1.digital_link import parse_digital_link
from gs1.errors import GS1Error
from gs1.keys import identify, recall_keys_covering, recall_subject
from gs1.linters import IMPORTER_INDEX_CHARS, LINTERS, MEDIA_TYPES, compute_check_pair
from scanner_app.generate_gs1_table import TARGET as TABLE_MODULE
from scanner_app.generate_gs1_table import render_gs1_table_module
from tests.shared_data import shared_data

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "tests" / "scanner_app" / "node" / "dl_batch.mjs"
VALUES_DRIVER = REPO / "tests" / "scanner_app" / "node" / "dl_values.mjs"
NODE = shutil.which("node") or "node"
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node not installed (./dev install)")

RULES = ai_rules()
PRIMARY_KEYS = sorted(ai for ai, rule in RULES.items() if rule.is_primary_key)
DATA_ATTRIBUTES = sorted(ai for ai, rule in RULES.items() if rule.dl_data_attribute)
HOSTS = ["id.gs1.org", "example.com", "brand.example:8443", "127.0.0.1", "[::1]", "[2001:db8::1]:8080",
         "shop.example.co.uk", "EXAMPLE.COM", "a-b.example."]
PREFIXES = ["", "/shop", "/a/b", "/01x"]
EXTRAS = ["linkType=all", "linkType=gs1%3Apip", "foo=bar", "auth=abc123", "x", "", "a=b+c"]
PATH_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@")
QUERY_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$'()*,;:@/?")
CSET_82_LIST = sorted(CSET_82)
CHARSETS = {"N": "0123456789", "X": "".join(CSET_82_LIST), "Y": "".join(sorted(CSET_39)), "Z": "".join(sorted(CSET_64))}


def run_js(texts: list[str]) -> list[dict[str, Any]]:
    """Answers of digital_link.js for `texts`, one Node process for the whole batch."""
    done = subprocess.run([NODE, str(DRIVER)], input=json.dumps(texts).encode(), capture_output=True,
                          timeout=120, check=False, cwd=REPO)
    assert done.returncode == 0, done.stderr.decode()
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(answers) == len(texts)
    return answers


def run_js_values(linters: list[tuple[str, str]], values: list[tuple[str, str]]) -> dict[str, Any]:
    """gs1_linters.js's reasons (or None) for linter checks and AI values, one Node process."""
    payload = json.dumps({"linters": linters, "values": values}).encode()
    done = subprocess.run([NODE, str(VALUES_DRIVER)], input=payload, capture_output=True, timeout=120,
                          check=False, cwd=REPO)
    assert done.returncode == 0, done.stderr.decode()
    answers: dict[str, Any] = json.loads(done.stdout)
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


def compare(texts: list[str]) -> list[bool]:
    """Assert JS == Python over `texts`, link by link; return which links Python accepted."""
    verdicts = []
    for text, js in zip(texts, run_js(texts), strict=True):
        expected = python_answer(text)
        if expected is None:
            assert not js["ok"], f"Python rejects, JS accepts: {text!r} -> {js}"
        else:
            assert js["ok"], f"JS rejects a link Python takes: {text!r}: {js['error']}"
            assert {k: js[k] for k in ("kind", "keys", "subjects")} == expected, text
        verdicts.append(expected is not None)
    return verdicts


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


def encode_query(rng: random.Random, value: str) -> str:
    """`value` as a query value: '+' and the separators escaped, a space sometimes as '+'."""
    out = []
    for char in value:
        if char in QUERY_SAFE and rng.random() < 0.8:
            out.append(char)
        elif char == " " and rng.random() < 0.5:
            out.append("+")
        else:
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8")))
    return "".join(out)


# --- AI values from the dictionary's components ------------------------------------------------

CODE_LISTS: dict[str, list[str]] = {
    "iso3166": sorted(code_lists.ISO_3166_NUMERIC),
    "iso3166999": [*sorted(code_lists.ISO_3166_NUMERIC), "999"],
    "iso3166alpha2": sorted(code_lists.ISO_3166_ALPHA_2),
    "iso4217": sorted(code_lists.ISO_4217_NUMERIC),
    "packagetype": sorted(code_lists.PACKAGE_TYPE_CODES),
    "mediatype": sorted(MEDIA_TYPES),
    "importeridx": sorted(IMPORTER_INDEX_CHARS),
    "yesno": ["0", "1"],
    "winding": ["0", "1", "9"],
    "iso5218": ["0", "1", "2", "9"],
}
# Parts each code-list linter must refuse, in its component's shape.
NOT_IN_LISTS: dict[str, list[str]] = {
    "iso3166": ["000", "999", "001", "900"], "iso3166999": ["000", "001", "998"],
    "iso3166alpha2": ["ZZ", "XX", "de", "D1"], "iso4217": ["000", "001", "998"],
    "packagetype": ["ZZZZ", "1", "aa", "X10"], "mediatype": ["00", "11", "79"],
    "importeridx": ["!", "%", "*", "."], "yesno": ["2", "9"], "winding": ["2", "5"], "iso5218": ["3", "8"],
}


def chars(rng: random.Random, kind: str, count: int) -> str:
    return "".join(rng.choice(CHARSETS[kind]) for _ in range(count))


def digits(rng: random.Random, count: int) -> str:
    return chars(rng, "N", count)


def with_check_digit(body: str) -> str:
    return body + str(compute_check_digit(body))


def gs1_date(rng: random.Random, *, four_digit_year: bool, day_zero: bool) -> str:
    year = f"{rng.randint(1, 9999):04d}" if four_digit_year else f"{rng.randint(0, 99):02d}"
    month = rng.randint(1, 12)
    day = 0 if day_zero and rng.random() < 0.2 else rng.choice([1, 9, 15, 28, 29, 30, 31][: rng.randint(4, 7)])
    if month == 2 and day > 28:
        day = 28
    if month in (4, 6, 9, 11) and day == 31:
        day = 30
    return f"{year}{month:02d}{day:02d}"


def iban(rng: random.Random, length: int) -> str:
    country = rng.choice(CODE_LISTS["iso3166alpha2"])
    account = chars(rng, "N", 2) + "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(length - 6))
    number = int("".join(str(int(char, 36)) for char in account + country + "00"))
    return f"{country}{98 - number % 97:02d}{account}"


def coupon_code(rng: random.Random) -> str:
    def sized(indicators: str, extra: int = 0) -> str:
        indicator = rng.choice(indicators)
        return indicator + digits(rng, int(indicator) + extra)

    def purchase(gcp: bool) -> str:
        text = sized("12345") + rng.choice("012349") + digits(rng, 3)
        if gcp:
            indicator = rng.choice("01234569")
            text += indicator + ("" if indicator == "9" else digits(rng, int(indicator) + 6))
        return text

    text = sized("0123456", 6) + digits(rng, 6) + sized("12345") + purchase(False)
    if rng.random() < 0.3:
        text += "1" + rng.choice("0123") + purchase(True)
    if rng.random() < 0.3:
        text += "2" + purchase(True)
    if rng.random() < 0.4:
        start, expiry = sorted([gs1_date(rng, four_digit_year=False, day_zero=False) for _ in range(2)])
        text += "3" + expiry + ("4" + start if rng.random() < 0.5 else "")
    if rng.random() < 0.3:
        text += "5" + sized("0123456789", 6)
    if rng.random() < 0.3:
        text += "6" + sized("1234567", 6)
    if rng.random() < 0.3:
        text += "9" + rng.choice("01256") + rng.choice("012") + digits(rng, 1) + rng.choice("01")
    return text


def coupon_pos_offer(rng: random.Random) -> str:
    funder, serial = rng.choice("0123456"), rng.choice("0123456789")
    return (rng.choice("01") + funder + digits(rng, int(funder) + 6) + digits(rng, 6)
            + serial + digits(rng, int(serial) + 6))


def valid_part(rng: random.Random, component: Component) -> str:
    """A part that passes `component`'s character set, length and linters."""
    linters = set(component.linters)
    low, high, kind = component.min_length, component.max_length, component.kind
    length = rng.randint(low, high)
    for name in ("iso3166", "iso3166999", "iso3166alpha2", "iso4217", "packagetype", "mediatype",
                 "importeridx", "yesno", "winding", "iso5218"):
        if name in linters:
            return rng.choice([code for code in CODE_LISTS[name] if low <= len(code) <= high])
    if "csumalpha" in linters:
        length = rng.randint(max(low, 6), high)
        payload = digits(rng, 4) + chars(rng, kind, length - 6)
        if "hasnondigit" in linters and payload.isdigit():
            payload = payload[:-1] + "A" if len(payload) > 4 else payload + "A"
        return payload + compute_check_pair(payload)
    if "csum" in linters:
        return with_check_digit(digits(rng, length - 1))
    for name, four in (("yymmd0", False), ("yymmdd", False), ("yyyymmd0", True), ("yyyymmdd", True)):
        if name in linters:
            return gs1_date(rng, four_digit_year=four, day_zero=name.endswith("d0"))
    if "hhmi" in linters:
        return f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}"
    if linters & {"hh", "mi", "ss"}:
        return f"{rng.randint(0, 23 if 'hh' in linters else 59):02d}"
    if "pieceoftotal" in linters:
        total = rng.randint(1, 99)
        return f"{rng.randint(1, total):02d}{total:02d}"
    if "posinseqslash" in linters:
        end = rng.randint(1, 9)
        return f"{rng.randint(1, end)}/{end}"
    if "latitude" in linters or "longitude" in linters:
        return f"{rng.randint(0, 1_800_000_000 if 'latitude' in linters else 3_600_000_000):010d}"
    if "iban" in linters:
        return iban(rng, rng.randint(11, high))
    if "couponcode" in linters:
        return coupon_code(rng)
    if "couponposoffer" in linters:
        return coupon_pos_offer(rng)
    if "zero" in linters:
        return "0" * length
    if "hyphen" in linters:
        return "-" * length
    if "nonzero" in linters:
        text = digits(rng, length)
        return text if text.strip("0") else text[:-1] + "7"
    if "nozeroprefix" in linters:
        return rng.choice("123456789") + digits(rng, length - 1)
    if "pcenc" in linters:
        text = "".join(rng.choice(CSET_82_LIST[:3] + CSET_82_LIST[4:]) for _ in range(length))  # no '%'
        if length >= 3 and rng.random() < 0.5:
            at = rng.randrange(length - 2)
            text = text[:at] + "%" + rng.choice("0123456789abcdefABCDEF") + rng.choice("0123456789ABCDEF") + text[at + 3:]
        return text
    if "gcppos1" in linters or "gcppos2" in linters:
        length = max(length, 5)
        return digits(rng, 5) + chars(rng, kind, length - 5)
    if kind == "Z":
        text = base64.urlsafe_b64encode(rng.randbytes(rng.randint(1, 60))).decode()
        return text if rng.random() < 0.5 and len(text) <= high else text.rstrip("=")[:high]
    return chars(rng, kind, length)


def broken_parts(rng: random.Random, component: Component, part: str) -> list[str]:
    """Parts of `component`'s shape (length and character set) that one of its linters refuses,
    derived from the valid `part`, plus in-charset random edits of it (which may still pass)."""
    linters, kind = set(component.linters), component.kind
    out = []
    for name in linters & set(NOT_IN_LISTS):
        out += [code for code in NOT_IN_LISTS[name] if component.min_length <= len(code) <= component.max_length]
    if "csum" in linters:
        out.append(part[:-1] + str((int(part[-1]) + rng.randint(1, 9)) % 10))
    if "csumalpha" in linters:
        out.append(part[:-1] + ("2" if part[-1] != "2" else "3"))
        out.append(part[:-2] + part[-1] + part[-2])
    if "hasnondigit" in linters:
        out.append(digits(rng, len(part)))
    for name, at in (("gcppos1", 0), ("gcppos2", 1)):
        if name in linters and kind != "N":
            out.append(part[:at + 2] + "A" + part[at + 3:])
            if component.min_length < 4:
                out.append(digits(rng, rng.randint(component.min_length, 3)))
    for name in ("yymmd0", "yymmdd", "yyyymmd0", "yyyymmdd"):
        if name in linters:
            year = part[:-4]
            out += [year + "1301", year + "0001", year + "0132", year + "0230", year + "0431", year + "0229"]
            out += [year + "0100"] if name.endswith("dd") else []
            out += ["0000" + part[4:]] if name.startswith("yyyy") else []
    if "hhmi" in linters:
        out += ["2400", "2360", "9999"]
    if linters & {"hh", "mi", "ss"}:
        out += ["24", "60", "99"]
    if "zero" in linters:
        out.append("1" * len(part))
    if "nonzero" in linters:
        out.append("0" * len(part))
    if "nozeroprefix" in linters:
        out.append("0" + part[1:])
    if "hyphen" in linters:
        out += ["A" * len(part), "0" * len(part)]
    if "pieceoftotal" in linters:
        out += ["0000", "0100", "0001", "0201", "9998"]
    if "posinseqslash" in linters:
        out += ["0/1", "1/0", "3/2", "1-2", "12/", "/12"]
    if "pcenc" in linters and len(part) >= 2:
        out += ["%" + part[1:], part[:-2] + "%4", part[:-2] + "%G"]
    if "latitude" in linters:
        out += ["1800000001", "9999999999"]
    if "longitude" in linters:
        out += ["3600000001", "9999999999"]
    if "iban" in linters:
        out += [part[:2] + f"{(int(part[2:4]) + 1) % 100:02d}" + part[4:], "ZZ" + part[2:], part[:3], part.lower()]
    if linters & {"couponcode", "couponposoffer"}:
        out += [part[:-1], part + "0", "9" + part[1:], part[:1] + "9" + part[2:], "A" + part[1:], part[: len(part) // 2]]
    if kind == "Z":
        out += [part + "=", "=" + part, part.rstrip("=") + "===", part.rstrip("=")[:-1] + "B=="]
    for _ in range(3):  # random edits within the character set
        if part:
            at = rng.randrange(len(part))
            out.append(part[:at] + rng.choice(CHARSETS[kind]) + part[at + 1:])
    return [text for text in out if text]


def valid_value(rng: random.Random, ai: str) -> str:
    """A value of AI `ai` that passes gs1.ai_values (optional components at random)."""
    parts = []
    for component in RULES[ai].components:
        if component.optional and rng.random() < 0.4:
            break
        parts.append(valid_part(rng, component))
    return "".join(parts)


def broken_values(rng: random.Random, ai: str) -> list[str]:
    """Values of AI `ai` with one thing wrong: a linter's break in one component, a length,
    a character outside the set (most are rejected; Python decides)."""
    components = RULES[ai].components
    parts = [valid_part(rng, component) for component in components]
    out = []
    for index, component in enumerate(components):
        for part in broken_parts(rng, component, parts[index]):
            if len(part) == len(parts[index]) or index == len(parts) - 1:
                out.append("".join(parts[:index] + [part] + parts[index + 1:]))
    whole = "".join(parts)
    out += [whole[:-1], whole + rng.choice(CHARSETS[components[-1].kind]), "",
            whole[:-1] + rng.choice([" ", "#", "~", "é", "[", "^", "$"])]
    return out


# --- Digital Links over every primary key and every data attribute ------------------------------


def concrete_ai(rng: random.Random, pattern: str) -> str:
    """An AI of the dictionary matching `pattern` (`31nn`: any of 3100..3195 that exists)."""
    return pattern if "n" not in pattern else rng.choice([ai for ai in RULES if matches_pattern(ai, pattern)])


def with_requisites(rng: random.Random, ais: list[str]) -> list[str]:
    """`ais` plus, for each `req=` group none of them satisfies, one alternative's AIs."""
    present = list(ais)
    for _ in range(6):
        added = False
        for ai in list(present):
            for group in RULES[ai].requires:
                if any(all(any(matches_pattern(p, pattern) for p in present) for pattern in alternative)
                       for alternative in group):
                    continue
                for pattern in rng.choice(group):
                    if not any(matches_pattern(p, pattern) for p in present):
                        present.append(concrete_ai(rng, pattern))
                        added = True
        if not added:
            break
    return present


def uri_of(rng: random.Random, key: tuple[str, str], qualifiers: list[tuple[str, str]],
           attributes: list[tuple[str, str]]) -> str:
    """The link as a scanner may read it: any host and stem path, values encoded at random."""
    path = "".join(f"/{ai}/{encode_path(rng, value)}" for ai, value in [key, *qualifiers])
    query = [f"{ai}={encode_query(rng, value)}" for ai, value in attributes]
    query += [rng.choice(EXTRAS) for _ in range(rng.randint(0, 1))]
    rng.shuffle(query)
    scheme = "https" if rng.random() < 0.8 else "http"
    return f"{scheme}://{rng.choice(HOSTS)}{rng.choice(PREFIXES)}{path}" + ("?" + "&".join(query) if query else "")


def link_of(rng: random.Random, ais: list[str], key_ai: str | None = None,
            broken: tuple[str, str] | None = None) -> tuple[str, set[str]]:
    """A link holding `ais` with their requisites, the key (given, the first primary key among
    them, or drawn) and its qualifiers in the path, the rest in the query; `broken` replaces
    one AI's value. Returns the text and the AIs it put in the query."""
    present = with_requisites(rng, ais)
    if key_ai is None:
        keys = [ai for ai in present if RULES[ai].is_primary_key]
        key_ai = keys[0] if keys and rng.random() < 0.6 else rng.choice(["01", "01", "00", *PRIMARY_KEYS])
    present = with_requisites(rng, [key_ai, *present])
    key_rule = RULES[key_ai]
    path_ais = list(dict.fromkeys(ai for ai in present if ai in key_rule.qualifiers))
    sequence = next((s for s in key_rule.qualifier_sequences or () if set(path_ais) <= set(s)), None)
    if sequence is not None:
        path_ais.sort(key=sequence.index)
    values = {ai: valid_value(rng, ai) for ai in present}
    if broken is not None:
        values[broken[0]] = broken[1]
    query_ais = [ai for ai in dict.fromkeys(present) if ai != key_ai and ai not in path_ais]
    text = uri_of(rng, (key_ai, values[key_ai]), [(ai, values[ai]) for ai in path_ais],
                  [(ai, values[ai]) for ai in query_ais])
    return text, set(query_ais)


def key_links(rng: random.Random) -> tuple[list[str], list[tuple[str, ...] | None]]:
    """Every primary key with every ordered choice of qualifiers from each of its sequences,
    valid (some with a data attribute or two) and with each AI's value broken, and out of
    order. Returns the texts and, for each valid one, its path AIs (key first), else None."""
    texts: list[str] = []
    paths: list[tuple[str, ...] | None] = []
    for key_ai in PRIMARY_KEYS:
        for sequence in RULES[key_ai].qualifier_sequences or ():
            for mask in range(1 << len(sequence)):
                chosen = [ai for bit, ai in enumerate(sequence) if mask >> bit & 1]
                for _ in range(10):
                    extra = rng.sample(DATA_ATTRIBUTES, rng.randint(1, 2)) if rng.random() < 0.4 else []
                    texts.append(link_of(rng, [key_ai, *chosen, *extra], key_ai)[0])
                    paths.append(None if extra else (key_ai, *chosen))
                for ai in [key_ai, *chosen]:
                    for value in rng.sample(broken_values(rng, ai), 3):
                        texts.append(link_of(rng, [key_ai, *chosen], key_ai, broken=(ai, value))[0])
                        paths.append(None)
                if len(chosen) > 1:  # out of order
                    values = [(ai, valid_value(rng, ai)) for ai in reversed(chosen)]
                    texts.append(uri_of(rng, (key_ai, valid_value(rng, key_ai)), values, []))
                    paths.append(None)
    return texts, paths


def attribute_links(rng: random.Random) -> tuple[list[str], list[set[str]]]:
    """Each data-attribute AI with its requisites, valid (several keys) and with its value
    broken each way `broken_values` knows; also with a requisite missing."""
    texts, query_ais = [], []
    for ai in DATA_ATTRIBUTES:
        other_keys = [key for key in ["01", "01", "00", *PRIMARY_KEYS] if key != ai]
        for attempt in range(6):
            text, in_query = link_of(rng, [ai], None if attempt % 2 else rng.choice(other_keys))
            texts.append(text)
            query_ais.append(in_query)
        for value in broken_values(rng, ai):
            text, in_query = link_of(rng, [ai], broken=(ai, value))
            texts.append(text)
            query_ais.append(in_query)
        if RULES[ai].requires:  # no requisites: mostly rejected
            key_ai = rng.choice(PRIMARY_KEYS)
            texts.append(uri_of(rng, (key_ai, valid_value(rng, key_ai)), [], [(ai, valid_value(rng, ai))]))
            query_ais.append({ai})
    return texts, query_ais


# --- the generated table ---------------------------------------------------------------------


def test_the_table_module_is_the_generator_run_again() -> None:
    """gs1_ai_table.js is generated from gs1 (python -m scanner_app.generate_gs1_table), never edited."""
    assert TABLE_MODULE.read_text(encoding="utf-8") == render_gs1_table_module(), (
        "scanner_app/gs1_ai_table.js is stale: run python -m scanner_app.generate_gs1_table")


def test_the_js_table_is_gs1_ai_table() -> None:
    """The module evaluates to every rule of gs1.ai_table (all 541 AIs, 16 primary keys),
    the code lists and the character sets of gs1."""
    script = ("import * as table from './scanner_app/gs1_ai_table.js';"
              "import { PRIMARY_KEY_AIS } from './scanner_app/digital_link.js';"
              "const sets = Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v instanceof Set ? [...v].sort() : v]));"
              "process.stdout.write(JSON.stringify({ ...sets, keys: PRIMARY_KEY_AIS }));")
    done = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, check=True, cwd=REPO)
    table = json.loads(done.stdout)
    assert table["keys"] == PRIMARY_KEYS and len(PRIMARY_KEYS) == 16
    assert sorted(table["AI_TABLE"]) == sorted(RULES) and len(RULES) == 541
    for ai, js in table["AI_TABLE"].items():
        rule = RULES[ai]
        assert js == {
            "components": [[c.kind, c.min_length, c.max_length, c.optional, list(c.linters)] for c in rule.components],
            "fixed": rule.predefined_length,
            "attribute": rule.dl_data_attribute,
            "req": [[list(alternative) for alternative in group] for group in rule.requires],
            "ex": list(rule.excludes),
            "seq": None if rule.qualifier_sequences is None else [list(s) for s in rule.qualifier_sequences],
        }, ai
    assert table["ISO_3166_NUMERIC"] == sorted(code_lists.ISO_3166_NUMERIC)
    assert table["ISO_3166_ALPHA_2"] == sorted(code_lists.ISO_3166_ALPHA_2)
    assert table["ISO_4217_NUMERIC"] == sorted(code_lists.ISO_4217_NUMERIC)
    assert table["PACKAGE_TYPE_CODES"] == sorted(code_lists.PACKAGE_TYPE_CODES)
    assert table["MEDIA_TYPES"] == sorted(MEDIA_TYPES)
    assert table["IMPORTER_INDEX_CHARS"] == sorted(IMPORTER_INDEX_CHARS)
    assert [set(table[name]) for name in ("CSET_82", "CSET_39", "CSET_64")] == [CSET_82, CSET_39, CSET_64]


# --- linters and AI values ---------------------------------------------------------------------

# The component shape each linter is tried in: the first the dictionary gives it (yyyymmd0,
# which no AI of this release uses, in the shape of yyyymmdd).
LINTER_SHAPES: dict[str, Component] = {}
for _rule in RULES.values():
    for _component in _rule.components:
        for _name in _component.linters:
            LINTER_SHAPES.setdefault(_name, _component)
LINTER_SHAPES.setdefault("yyyymmd0", Component("N", 8, 8, False, ()))
# The company-prefix linters also in an alphanumeric shape (GIAI's), where they can fail.
LINTER_SHAPES["gcppos1"] = LINTER_SHAPES["gcppos2"] = Component("X", 1, 30, False, ())


def python_value_ok(ai: str, value: str) -> bool:
    try:
        verify_ai_value(ai, value)
    except GS1Error:
        return False
    return True


def test_every_linter_accepts_what_python_accepts() -> None:
    """Each linter of gs1.linters, alone, on valid parts of its shape, on the part each way of
    breaking it, and on random edits: the JavaScript passes exactly the parts Python passes."""
    rng = random.Random(7040)
    checks: list[tuple[str, str]] = []
    for name, shape in sorted(LINTER_SHAPES.items()):
        linted = Component(shape.kind, shape.min_length, shape.max_length, False, (name,))
        for _ in range(60):
            part = valid_part(rng, linted)
            checks.append((name, part))
            checks += [(name, broken) for broken in broken_parts(rng, linted, part)
                       if shape.min_length <= len(broken) <= shape.max_length]
            checks.append((name, chars(rng, shape.kind, rng.randint(shape.min_length, shape.max_length))))
    answers = run_js_values(checks, [])
    assert answers["linterNames"] == sorted(LINTERS) == sorted(LINTER_SHAPES)
    passed: dict[str, set[bool]] = {}
    for (name, part), js in zip(checks, answers["linters"], strict=True):
        python = LINTERS[name](part)
        assert (js is None) == (python is None), (name, part, js, python)
        passed.setdefault(name, set()).add(python is None)
    assert {name for name, outcomes in passed.items() if outcomes != {True, False}} == set(), passed


def test_every_ai_value_is_judged_as_python_judges_it() -> None:
    """Every AI of the dictionary: valid values and values broken each way; the JavaScript
    accepts exactly the values gs1.ai_values.verify_ai_value accepts, and both accept some."""
    rng = random.Random(8030)
    values: list[tuple[str, str]] = []
    for ai in RULES:
        values += [(ai, valid_value(rng, ai)) for _ in range(8)]
        values += [(ai, value) for value in broken_values(rng, ai)]
        kinds = "".join(CHARSETS[component.kind] for component in RULES[ai].components)
        values += [(ai, "".join(rng.choice(kinds) for _ in range(rng.randint(1, RULES[ai].max_length + 1))))
                   for _ in range(4)]
    accepted: set[str] = set()
    for (ai, value), js in zip(values, run_js_values([], values)["values"], strict=True):
        python = python_value_ok(ai, value)
        assert (js is None) == python, (ai, value, js)
        if python:
            accepted.add(ai)
    assert accepted == set(RULES)


# --- Digital Links -----------------------------------------------------------------------------

# Data attributes no valid Digital Link carries in its query: (415) requires (8020), which is no
# data attribute and qualifies only the primary key (415) itself, so it is always the key.
ATTRIBUTES_NEVER_IN_A_QUERY = frozenset({"415"})


def test_every_primary_key_and_qualifier_sequence() -> None:
    """All 16 primary keys, each with every ordered subset of each of its qualifier sequences
    in a link both sides accept (with the same keys), and broken: JS == Python throughout."""
    rng = random.Random(414)
    texts, paths = key_links(rng)
    verdicts = compare(texts)
    # The dictionary lets (22) qualify an ITIP (8006), but (22) requires (01), which (8006)
    # excludes: no such path is valid, on either side.
    wanted = {path for path in paths if path is not None and not (path[0] == "8006" and "22" in path)}
    carried = {path for path, ok in zip(paths, verdicts, strict=True) if ok and path is not None}
    assert carried == wanted and {path[0] for path in carried} == set(PRIMARY_KEYS)
    assert sum(verdicts) > len(texts) // 3 and len(texts) - sum(verdicts) > len(texts) // 4


def test_every_data_attribute() -> None:
    """Each of the dictionary's data attributes in the query of a link Python accepts (and so
    the JavaScript, with the same keys), and broken each way `broken_values` knows."""
    rng = random.Random(3103)
    texts, query_ais = attribute_links(rng)
    verdicts = compare(texts)
    carried = set().union(*(ais for ais, ok in zip(query_ais, verdicts, strict=True) if ok))
    assert set(DATA_ATTRIBUTES) - carried == ATTRIBUTES_NEVER_IN_A_QUERY
    assert sum(verdicts) > 2_500 and len(verdicts) - sum(verdicts) > 2_500


# --- GS1's examples ----------------------------------------------------------------------------

BRACKETED = re.compile(r"\((\d{2,4})\)([^(]*)")


def link_of_bracketed(data: str) -> str | None:
    """GS1 AI data `(01)...(10)...` as a Digital Link: its first primary key and that key's
    qualifiers in the path as given, the rest in the query (a GTIN key when it has none)."""
    pairs = BRACKETED.findall(data)
    if not pairs or any(ai not in RULES for ai, _ in pairs):
        return None
    key = next((pair for pair in pairs if RULES[pair[0]].is_primary_key), ("01", "09506000134352"))
    path = [pair for pair in pairs if pair != key and pair[0] in RULES[key[0]].qualifiers]
    query = [pair for pair in pairs if pair != key and pair not in path]
    text = "https://id.gs1.org" + "".join(f"/{ai}/{escape(value)}" for ai, value in [key, *path])
    return text + ("?" + "&".join(f"{ai}={escape(value)}" for ai, value in query) if query else "")


def escape(value: str) -> str:
    return "".join(char if char.isascii() and (char.isalnum() or char in "-._~") else
                   "".join(f"%{byte:02X}" for byte in char.encode("utf-8")) for char in value)


def test_the_standard_examples() -> None:
    """GS1 Syntax Engine vectors (its Digital Links, the links it generates, its valid path
    sequences, and its AI data as links: linter, association and element-string cases; Python's
    verdict is the reference, including the option-gated ones), the resolver CE test anchors and
    the GS1 examples in the linkset documents."""
    folder = shared_data("gs1-digital-link")
    groups = json.loads((folder / "gs1-syntax-engine" / "dl-and-ai-test-vectors.json").read_text("utf-8"))["groups"]
    texts = [vector["dlUri"] for vector in groups["dl_uri_to_element_string"]["vectors"]]
    texts += [vector["expectedDlUri"] for vector in groups["element_string_to_dl_uri"]["vectors"]
              if vector.get("expectedDlUri")]
    rng = random.Random(22)
    for vector in groups["valid_dl_path_ai_sequences"]["vectors"]:
        key_ai, *qualifiers = vector["aiSequence"]
        texts.append(uri_of(rng, (key_ai, valid_value(rng, key_ai)), [(ai, valid_value(rng, ai)) for ai in qualifiers], []))
    for name in ("linter_errors", "ai_association_validation", "bracketed_ai_to_element_string",
                 "element_string_to_dl_uri", "linter_error_markup"):
        texts += [text for vector in groups[name]["vectors"]
                  if (text := link_of_bracketed(vector.get("bracketedAIdata") or "")) is not None]
    for test in sorted((folder / "GS1_DigitalLink_Resolver_CE" / "tests").glob("*.json")):
        document = json.loads(test.read_text("utf-8"))
        entries = document if isinstance(document, list) else [document]
        texts += ["https://id.gs1.org" + entry["anchor"] for entry in entries
                  if isinstance(entry, dict) and "anchor" in entry]
    for linkset in (folder / "GS1DL-resolver-testsuite" / "modelLinkset.json",
                    folder / "GS1_DigitalLink_Resolver_CE" / "Documentation" / "linkset.json"):
        texts += sorted(set(re.findall(r'"(https?://[^"<>]+)"', linkset.read_text("utf-8"))))
    texts += ["https://dalgiardino.com/medicinal-compound/assets/8004/0950600013430000001"]
    verdicts = compare(texts)
    assert sum(verdicts) >= 100 and len(verdicts) - sum(verdicts) >= 80


# --- links of the scanner grammar: hosts, stems, encodings, qualifier layouts --------------------------------------------------------------------------


def digits_with_check(rng: random.Random, length: int, *, wrong: bool = False) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(length - 1))
    check = compute_check_digit(body)
    return body + str((check + 1) % 10 if wrong else check)


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
    verdicts = compare(texts)
    assert sum(verdicts) > 1_000 and len(verdicts) - sum(verdicts) > 500  # both sides of the grammar


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
    verdicts = compare(texts)
    assert sum(verdicts) > 150 and len(verdicts) - sum(verdicts) > 10


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2**32), st.booleans()), min_size=50, max_size=120))
def test_hypothesis_batches(seeds: list[tuple[int, bool]]) -> None:
    """Links of the scanner grammar and, from the same seeds, links of any data attribute
    (whole or with its value broken)."""
    texts = [generated_link(random.Random(seed), valid=valid) for seed, valid in seeds]
    for seed, valid in seeds:
        rng = random.Random(seed)
        ai = rng.choice(DATA_ATTRIBUTES)
        texts.append(link_of(rng, [ai], broken=None if valid else (ai, rng.choice(broken_values(rng, ai))))[0])
    compare(texts)


def test_what_is_no_digital_link_is_an_error() -> None:
    """Text that is no Digital Link at all, EPC URIs included (parse_digital_link rejects them
    too; the page reads those in identifier_keys.js), throws DigitalLinkError."""
    texts = ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:class:lgtin:4012345.012345.998877", "", "not a uri", "https://", "https://id.gs1.org", "https://id.gs1.org/", "https://id.gs1.org/01/",
             "https://id.gs1.org/01//10/A", "urn:uuid:0d3e2c1a-0000-4000-8000-000000000000", "HTTPS://ID.GS1.ORG/01/09506000134352"]
    for text, js in zip(texts, run_js(texts), strict=True):
        assert python_answer(text) is None and not js["ok"], (text, js)
