"""scanner_app/view_model.js under Node: the parts ported from Python agree with Python on
the GS1 example documents and on seeded generated inputs, and the view shows only what
verified inputs say.

Every call goes through one batch runner (tests/scanner_app/node/view_model_cli.mjs): a
JSON list of calls in, a JSON list of results out, one node process per batch.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gs1.keys import gln_of, identifier_key, identify
from tests.shared_data import shared_data
from trace_api.audit.config import AuditConfig
from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.equipment_life_cycle import interpret_life_cycle, status_of
from trace_api.consumer.sources import _readings_of, _utc
from trace_api.records.columns import format_time_ms, parse_time_ms

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "tests" / "scanner_app" / "node" / "view_model_cli.mjs"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node (20+) is not installed")


def run_js(calls: list[dict[str, Any]]) -> list[Any]:
    """Results of `calls` ([{fn, args}]) in one node process; any JS exception fails the test."""
    completed = subprocess.run([NODE or "node", str(CLI)], input=json.dumps(calls), capture_output=True,
                               text=True, check=True, timeout=60)
    results = json.loads(completed.stdout)
    errors = [(call, result["error"]) for call, result in zip(calls, results) if "error" in result]
    assert not errors, errors[:3]
    return [result["value"] for result in results]


def js(fn: str, *args: Any) -> Any:
    return run_js([{"fn": fn, "args": list(args)}])[0]


# --- the GS1 example documents -----------------------------------------------------------------


def _document_events(document: dict[str, Any]) -> list[dict[str, Any]]:
    body = document.get("epcisBody") or {}
    events = body.get("eventList") or (body.get("queryResults") or {}).get("resultsBody", {}).get("eventList") or []
    context = document.get("@context")
    return [{"@context": context, **event} if context is not None and "@context" not in event else dict(event)
            for event in events]


@pytest.fixture(scope="module")
def example_events() -> list[dict[str, Any]]:
    folder = shared_data("epcis/JSON")
    events = [event for path in sorted(folder.rglob("*.jsonld"))
              for event in _document_events(json.loads(path.read_text(encoding="utf-8")))]
    assert len(events) > 40
    return events


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


# --- generated inputs (seeded: a failure names its input and repeats) ---------------------------

RNG_SEED = 15


def _check_digit(body: str) -> str:
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def generated_times(rng: random.Random, count: int) -> list[str]:
    """RFC 3339 times and the other forms CPython reads (basic format, space, comma, no
    offset, +HHMM, +HH, date only), and broken ones (day 31 of a short month, hour 24, 'z')."""
    times = []
    for _ in range(count):
        moment = dt.datetime(1900, 1, 1) + dt.timedelta(seconds=rng.randrange(0, 300 * 365 * 86_400))
        date = moment.strftime("%Y%m%d" if rng.random() < 0.1 else "%Y-%m-%d")
        basic = rng.random() < 0.1
        clock = moment.strftime("%H%M%S" if basic else "%H:%M:%S")
        if rng.random() < 0.1:
            clock = clock[:2 if rng.random() < 0.5 else (4 if basic else 5)]
        elif rng.random() < 0.6:
            clock += rng.choice(".,") + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 9)))
        sign = rng.choice("+-")
        hours, minutes = rng.randint(0, 23), rng.choice([0, 0, 30, 45, rng.randint(0, 59)])
        zone = rng.choice(["Z", "", f"{sign}{hours:02d}:{minutes:02d}", f"{sign}{hours:02d}{minutes:02d}",
                           f"{sign}{hours:02d}", f"{sign}{hours:02d}:{minutes:02d}:{rng.randint(0, 59):02d}"])
        text = date if rng.random() < 0.03 else f"{date}{rng.choice('TTTT ')}{clock}{zone}"
        if rng.random() < 0.05:
            text = rng.choice([text.replace("Z", "z"), text + " ", text.replace("T", "", 1),
                               text[:8] + "31" + text[10:], text[:11] + "24" + text[13:], text[:-1]])
        times.append(text)
    return times


def generated_locations(rng: random.Random, count: int) -> list[str]:
    """SGLN / PGLN URNs and /414/, /417/ Digital Links, valid and broken."""
    out = []
    for _ in range(count):
        prefix_length = rng.randint(5, 13)
        digits = "".join(rng.choice("0123456789") for _ in range(12))
        gln = digits + _check_digit(digits)
        if rng.random() < 0.1:
            gln = gln[:-1] + str((int(gln[-1]) + 1) % 10)
        extension = rng.choice(["0", "0", "", "12", "A-1", "x%2Fy", "8202", "%41B", "a b", "#1", "1" * 21])
        prefix, reference = digits[:prefix_length], digits[prefix_length:]
        host = rng.choice(["https://id.gs1.org", "https://example.com/gs1", "http://brand.example"])
        out.append(rng.choice([
            f"urn:epc:id:sgln:{prefix}.{reference}.{extension}",
            f"urn:epc:id:pgln:{prefix}.{reference}",
            f"{host}/414/{gln}",
            f"{host}/414/{gln}/254/{extension}",
            f"{host}/417/{gln}",
            f"urn:epc:id:sgln:{prefix}.{reference}",
        ]))
    return out


def generated_sensor_bodies(rng: random.Random, count: int) -> list[dict[str, Any]]:
    types = ["gs1:Temperature", "https://gs1.org/voc/RelativeHumidity", "Illuminance", "ex:a/b#Speed", 7, None]
    times = generated_times(rng, 50)
    bodies = []
    for _ in range(count):
        elements = []
        for _ in range(rng.randint(0, 3)):
            metadata: dict[str, Any] = {}
            if rng.random() < 0.5:
                metadata["time"] = rng.choice([*times, "", "not a time"])
            reports = []
            for _ in range(rng.randint(0, 4)):
                report: dict[str, Any] = {"type": rng.choice(types)}
                report["value"] = rng.choice([rng.uniform(-30, 40), rng.randint(-5, 5), True, "3", None])
                if rng.random() < 0.7:
                    report["uom"] = rng.choice(["CEL", "FAR", "A93", None])
                if rng.random() < 0.5:
                    report["time"] = rng.choice([*times, ""])
                reports.append(report)
            elements.append({"sensorMetadata": metadata, "sensorReport": reports} if rng.random() < 0.9
                            else {"sensorReport": reports})
        bodies.append({"type": "ObjectEvent", "eventTime": rng.choice(times), "sensorElementList": elements})
    return bodies


# --- (1) differential: time, GLNs and keys, sensor readings, equipment ----------------------------


def _python_time(text: str, *, bare_is_utc: bool) -> str | None:
    try:
        return format_time_ms(parse_time_ms(text, bare_is_utc=bare_is_utc))
    except ValueError:
        return None


def test_event_times_format_as_records_columns(example_events: list[dict[str, Any]]) -> None:
    rng = random.Random(RNG_SEED)
    texts = [e["eventTime"] for e in example_events] + [t for e in example_events for t in _strings(
        e.get("sensorElementList")) if t[:2] in ("19", "20")] + generated_times(rng, 3_000)
    calls = [{"fn": "timeText", "args": [text, bare]} for text in texts for bare in (True, False)]
    expected = [_python_time(text, bare_is_utc=bare) for text in texts for bare in (True, False)]
    got = run_js(calls)
    differ = [(call["args"], want, have) for call, want, have in zip(calls, expected, got) if want != have]
    assert not differ, differ[:5]
    assert sum(value is not None for value in expected) > 4_000  # most inputs parse: the test compares times


def test_format_time_ms_and_sensor_times_match_python() -> None:
    rng = random.Random(RNG_SEED + 1)
    millis = [0, -1, 1, 999, -86_400_001, 253_402_300_799_999, -62_135_596_800_000] + [
        rng.randrange(-62_135_596_800_000, 253_402_300_799_999) for _ in range(2_000)]
    texts = generated_times(rng, 2_000) + ["2026-12-06T10:00:00.0005", "2026-12-06T10:00:00.0015Z",
                                           "2026-12-06T10:00:00.0025+08:00", "5", ""]
    got = run_js([{"fn": "formatTimeMs", "args": [ms]} for ms in millis]
                 + [{"fn": "sensorTimeUtc", "args": [text]} for text in texts])
    assert got[:len(millis)] == [format_time_ms(ms) for ms in millis]
    expected = [_utc(text) for text in texts]
    differ = [(text, want, have) for text, want, have in zip(texts, expected, got[len(millis):]) if want != have]
    assert not differ, differ[:5]


def test_gln_and_keys_match_gs1_keys(example_events: list[dict[str, Any]]) -> None:
    """The place GLN (gln_of(identifier_key(id))) and, for the schemes the page reads, the key."""
    rng = random.Random(RNG_SEED + 2)
    named = sorted({text for event in example_events for text in _strings(event)
                    if text.startswith(("urn:epc:", "https://id.gs1.org/", "http://"))})
    locations = named + generated_locations(rng, 2_000)
    got = run_js([{"fn": "locationGln", "args": [text]} for text in locations])
    differ = [(text, gln_of(identifier_key(text)), have) for text, have in zip(locations, got)
              if gln_of(identifier_key(text)) != have]
    assert not differ, differ[:5]
    assert sum(value is not None for value in got) > 1_000

    read_here = ("urn:epc:id:sgtin:", "urn:epc:class:lgtin:", "urn:epc:idpat:sgtin:", "urn:epc:id:sscc:",
                 "urn:epc:id:sgln:", "urn:epc:id:pgln:", "urn:epc:id:grai:", "urn:epc:id:giai:", "https://id.gs1.org/")
    keyed = [text for text in locations + generated_items(rng, 1_000) if text.startswith(read_here)]
    got_keys = run_js([{"fn": "identify", "args": [text]} for text in keyed])
    differ = [(text, identify(text), have) for text, have in zip(keyed, got_keys)
              if (identify(text).key, identify(text).kind, identify(text).lot_key)
              != (have["key"], have["kind"], have["lotKey"])]
    assert not differ, differ[:5]


def generated_items(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        digits = "".join(rng.choice("0123456789") for _ in range(13))
        gtin = digits + _check_digit(digits)
        prefix_length = rng.randint(6, 12)
        serial = rng.choice(["2017", "A%2FB", "x y", "ABC-1", "1" * 21, "é"])
        lot = rng.choice(["LOTA", "L%201", "L.1", "L/2"])
        out.append(rng.choice([
            f"urn:epc:id:sgtin:{gtin[1:1 + prefix_length]}.{gtin[0]}{gtin[1 + prefix_length:13]}.{serial}",
            f"urn:epc:class:lgtin:{gtin[1:1 + prefix_length]}.{gtin[0]}{gtin[1 + prefix_length:13]}.{lot}",
            f"urn:epc:idpat:sgtin:{gtin[1:1 + prefix_length]}.{gtin[0]}{gtin[1 + prefix_length:13]}.*",
            f"https://id.gs1.org/01/{gtin}/10/{lot}/21/{serial}",
            f"https://brand.example/shop/01/{gtin}/21/{serial}?17=270101",
            f"https://id.gs1.org/01/{gtin}/22/V1/10/{lot}",
            f"urn:epc:id:giai:{digits[:prefix_length]}.{serial}",
            f"https://id.gs1.org/8004/{digits[:7]}{serial}",
            f"urn:epc:id:sscc:{digits[:prefix_length]}.{('0' + digits)[:17 - prefix_length]}",
        ]))
    return out


def test_sensor_readings_match_sources(example_events: list[dict[str, Any]]) -> None:
    rng = random.Random(RNG_SEED + 3)
    bodies = [e for e in example_events if e.get("sensorElementList")] + generated_sensor_bodies(rng, 400)
    event_times = [_python_time(str(body.get("eventTime")), bare_is_utc=True) or "1970-01-01T00:00:00.000Z"
                   for body in bodies]
    got = run_js([{"fn": "readingsOf", "args": [body, time]} for body, time in zip(bodies, event_times)])
    for body, time, have in zip(bodies, event_times, got):
        want = [{"time": t, "type": k, "value": v, "uom": u} for t, k, v, u in _readings_of(body, time)]
        assert have == want, body
    assert sum(len(readings) for readings in got) > 300


LIFT_KEYS = ("urn:epc:id:giai:9506000.LIFT001", "https://id.gs1.org/8004/9506000LIFT001")
PARTIES = ["0x" + byte * 32 for byte in ("d1", "d2", "d3", "d4", "d5")]


def generated_life(rng: random.Random) -> list[dict[str, Any]]:
    steps = ["commissioning", "installing", "inspecting", "repairing", "sensor_reporting", "decommissioning",
             "cbv:BizStep-inspecting", "urn:epcglobal:cbv:bizstep:repairing", "loading", None]
    context = rng.choice([["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"tl": "https://traceledger.dev/ns/"}],
                          [{"x": "https://traceledger.dev/ns/"}], "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"])
    prefix = rng.choice(["tl:", "x:", "https://traceledger.dev/ns/"])
    events = []
    for _ in range(rng.randint(1, 12)):
        moment = dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randrange(0, 2 * 365 * 1440))
        body: dict[str, Any] = {"@context": context, "type": rng.choice(["ObjectEvent"] * 5 + ["TransactionEvent"]),
                                "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%S.000") + rng.choice(["Z", "+08:00", "z"]),
                                "eventTimeZoneOffset": "+08:00", "action": rng.choice(["ADD", "OBSERVE", "OBSERVE", "DELETE"]),
                                "epcList": [rng.choice(LIFT_KEYS)]}
        step = rng.choice(steps)
        if step:
            body["bizStep"] = step
        if rng.random() < 0.3:
            body["disposition"] = rng.choice(["conformant", "non_conformant", "needs_replacement", "active", "cbv:Disp-in_progress"])
        if rng.random() < 0.3:
            body["ilmd"] = {prefix + "equipmentType": rng.choice(["lift", "boiler", "crane", "unknown", ""]),
                            prefix + "registrationCode": rng.choice(["3110330100", "", None])}
        for name, values in (("inspectionResult", ["pass", "fail", "maybe"]), ("emergencyCode", ["31058", ""]),
                             ("nextInspectionDue", ["2026-11-20", "2027-02-29", "2026-06-01T00:00:00+08:00", "soon", "20261120"]),
                             ("equipmentType", ["escalator", "gas_cylinder"]), ("registrationCode", ["R-1"])):
            if rng.random() < 0.2:
                body[prefix + name] = rng.choice(values)
        events.append(body)
    return events


def test_equipment_status_matches_life_cycle() -> None:
    rng = random.Random(RNG_SEED + 4)
    cases, expected = [], []
    for _ in range(300):
        bodies = generated_life(rng)
        enterprises = [rng.choice(PARTIES) for _ in bodies]
        names = {party: f"Party {index}" for index, party in enumerate(PARTIES) if rng.random() < 0.6}
        now_ms = rng.randrange(1_735_689_600_000, 1_830_000_000_000)
        key = identifier_key(LIFT_KEYS[0])
        audit_events = [AuditEvent(leaf_index=index, event_hash_id=f"e{index}", enterprise_id=enterprise,
                                   submitter="0x" + "11" * 20, received_at_ms=0, body=body)
                        for index, (body, enterprise) in enumerate(zip(bodies, enterprises))]
        status = status_of(interpret_life_cycle(key, audit_events), now_ms=now_ms, config=AuditConfig(),
                           name_of=names.get)
        expected.append(status.to_public_json())
        cases.append({"fn": "equipment", "args": [key, [{"body": body, "enterpriseId": enterprise, "order": index}
                                                        for index, (body, enterprise) in enumerate(zip(bodies, enterprises))],
                                                  now_ms, names]})
    got = run_js(cases)
    differ = [(case["args"], want, have) for case, want, have in zip(cases, expected, got) if want != have]
    assert not differ, differ[:2]
    assert sum(bool(status["lastInspection"]) for status in expected) > 100


# --- (2) the view: only verified inputs, and only this code ---------------------------------------

GTIN = "09506000134352"
OTHER_GTIN = "09506000134369"
FARM, PLANT, SHOP, STRANGER = ("0x" + byte * 32 for byte in ("aa", "bb", "cc", "ee"))
FARM_GLN, PLANT_GLN, SHOP_GLN = (body + _check_digit(body) for body in ("950600000001", "950600000002", "950600000003"))
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
ITEM_URI = f"https://id.gs1.org/01/{GTIN}/10/LOTA/21/7?17=270131"
ITEM = "urn:epc:id:sgtin:9506000.013435.7"
LOT = "urn:epc:class:lgtin:9506000.013435.LOTA"
MILK = "urn:epc:class:lgtin:9506000.099999.M1"
PALLET = "urn:epc:id:sscc:9506000.0000000001"
NOW = 1_796_000_000_000


def sgln(gln: str) -> str:
    return f"urn:epc:id:sgln:{gln[:7]}.{gln[7:12]}.0"


def body(kind: str, time: str, **members: Any) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": kind, "eventTime": time, "eventTimeZoneOffset": "+08:00", **members}


def rec(name: str, event: dict[str, Any], enterprise: str = PLANT, status: str = "verified") -> dict[str, Any]:
    return {"eventHashId": f"ni:///sha-256;{name}?ver=CBV2.0", "body": event, "status": status,
            "submitter": "0x" + "11" * 20, "enterpriseId": enterprise, "anchor": {"blockNumber": 7}}


def enterprise(name: str, glns: list[str], prefixes: list[str] | None = None, *, verified: bool = True) -> dict[str, Any]:
    return {"record": {"name": name, "uscc": "91310000MA1FL0000X", "sectors": ["food"],
                       "companyPrefixes": prefixes or [], "glns": glns}, "verified": verified}


ENTERPRISES = {FARM: enterprise("Green Farm", [FARM_GLN]), PLANT: enterprise("Dairy Plant", [PLANT_GLN], ["9506000"]),
               SHOP: enterprise("Corner Shop", [SHOP_GLN], verified=False)}
MASTER = {"format": "traceledger.masterdata/v1", "kind": "product", "subject": f"https://id.gs1.org/01/{GTIN}",
          "companyPrefix": "9506000", "version": 2, "previous": None, "issuedAt": "2026-12-06T10:00:00.000Z",
          "product": {"name": {"zh": "酸奶", "en": "Yoghurt"}, "description": {"zh": "原味", "en": "Plain"},
                      "origin": {"name": "Green Farm", "gln": FARM_GLN}, "productClass": "chilled",
                      "certifications": [{"standard": "GB 19302", "agency": "SAMR", "value": "ok", "identification": "C-1"}]}}


def chain() -> list[dict[str, Any]]:
    """Milk harvested, made into the lot, item commissioned, packed on a pallet, pallet shipped;
    plus a pallet-mate of another product and a butter made from the same milk."""
    return [
        rec("harvest", body("ObjectEvent", "2026-12-01T06:00:00.000+08:00", action="ADD", bizStep="commissioning",
                            quantityList=[{"epcClass": MILK, "quantity": 100, "uom": "KGM"}], bizLocation={"id": sgln(FARM_GLN)}), FARM),
        rec("make", body("TransformationEvent", "2026-12-02T09:00:00.000+08:00", bizStep="commissioning",
                         inputQuantityList=[{"epcClass": MILK, "quantity": 100, "uom": "KGM"}],
                         outputQuantityList=[{"epcClass": LOT, "quantity": 95, "uom": "KGM"}], bizLocation={"id": sgln(PLANT_GLN)})),
        rec("commission", body("ObjectEvent", "2026-12-02T11:30:00.000+08:00", action="ADD", bizStep="commissioning",
                               epcList=[ITEM], ilmd={"cbvmda:lotNumber": "LOTA"}, readPoint={"id": sgln(PLANT_GLN)},
                               sensorElementList=[{"sensorMetadata": {"time": "2026-12-02T01:00:00Z"},
                                                   "sensorReport": [{"type": "gs1:Temperature", "value": 4.5, "uom": "CEL"}]}])),
        rec("pack", body("AggregationEvent", "2026-12-02T12:00:00.000+08:00", action="ADD", bizStep="packing",
                         parentID=PALLET, childEPCs=[ITEM, "urn:epc:id:sgtin:9506000.013436.1"])),
        rec("ship", body("ObjectEvent", "2026-12-03T08:00:00.000+08:00", action="OBSERVE", bizStep="shipping",
                         epcList=[PALLET], certificationInfo="https://cert.example/1",
                         sensorElementList=[{"sensorReport": [{"type": "gs1:Temperature", "value": 6.5, "uom": "CEL",
                                                               "time": "2026-12-03T09:00:00+08:00"}]}]), SHOP),
        rec("mate", body("ObjectEvent", "2026-12-02T08:00:00.000+08:00", action="ADD", bizStep="commissioning",
                         epcList=["urn:epc:id:sgtin:9506000.013436.1"])),
        rec("butter", body("TransformationEvent", "2026-12-02T10:00:00.000+08:00", bizStep="commissioning",
                           inputQuantityList=[{"epcClass": MILK, "quantity": 5}],
                           outputQuantityList=[{"epcClass": "urn:epc:class:lgtin:9506000.099998.B1", "quantity": 1}])),
        rec("other", body("ObjectEvent", "2026-12-02T08:00:00.000+08:00", action="OBSERVE", bizStep="shipping",
                          quantityList=[{"epcClass": f"urn:epc:class:lgtin:9506000.{OTHER_GTIN[0]}{OTHER_GTIN[8:13]}.X", "quantity": 1}])),
    ]


def view(records: list[dict[str, Any]] | None = None, **inputs: Any) -> dict[str, Any]:
    arguments = {"uri": ITEM_URI, "records": chain() if records is None else records, "masterData": MASTER,
                 "enterprises": ENTERPRISES, "recall": None, "platform": None, "now": NOW, **inputs}
    result: dict[str, Any] = js("buildView", arguments)
    return result


def shown(result: dict[str, Any]) -> list[str]:
    return [entry["eventHashId"].split(";")[1].split("?")[0] for entry in result["timeline"]]


def test_linkage_shows_this_code_only() -> None:
    result = view()
    assert shown(result) == ["harvest", "make", "commission", "pack", "ship"]
    assert sorted(e["eventHashId"].split(";")[1].split("?")[0] for e in result["notAboutThisCode"]) == [
        "butter", "mate", "other"]
    assert result["counts"]["notAboutThisCode"] == 3


def test_linkage_from_a_pallet_goes_down_and_from_a_gtin_covers_its_lots() -> None:
    pallet = view(uri="https://id.gs1.org/00/095060000000000015")
    assert identifier_key(PALLET) == "https://id.gs1.org/00/095060000000000015"
    assert shown(pallet) == ["harvest", "mate", "make", "commission", "pack", "ship"]
    assert pallet["product"] is None
    gtin = view(uri=f"https://id.gs1.org/01/{GTIN}")
    assert shown(gtin) == ["harvest", "make", "commission", "pack", "ship"]


def test_pending_records_are_shown_as_pending_and_count_for_nothing_derived() -> None:
    records = chain()
    records[2]["status"] = "pending"
    entry = next(e for e in view(records)["timeline"] if "commission" in e["eventHashId"])
    assert (entry["status"], entry["verified"], entry["bizStep"]) == ("pending", False, "commissioning")
    assert [s["value"] for s in view(records)["sensors"]] == [6.5]


def test_timeline_entry_from_the_body() -> None:
    entries = {entry["eventHashId"].split(";")[1].split("?")[0]: entry for entry in view()["timeline"]}
    harvest = entries["harvest"]
    assert harvest["time"] == "2026-11-30T22:00:00.000Z"
    assert harvest["localTime"] == "2026-12-01T06:00:00.000+08:00"
    assert (harvest["eventType"], harvest["bizStep"], harvest["action"]) == ("ObjectEvent", "commissioning", "ADD")
    assert harvest["place"] == {"id": sgln(FARM_GLN), "gln": FARM_GLN, "name": "Green Farm", "verified": True}
    assert harvest["party"]["name"] == "Green Farm" and harvest["party"]["verified"] is True
    assert harvest["quantities"] == [{"role": "object", "epcClass": MILK, "quantity": 100, "uom": "KGM"}]
    make = entries["make"]
    assert [q["role"] for q in make["quantities"]] == ["input", "output"]
    assert entries["ship"]["certificationInfo"] == ["https://cert.example/1"]


def test_names_only_from_verified_enterprise_records() -> None:
    entries = {entry["eventHashId"].split(";")[1].split("?")[0]: entry for entry in view()["timeline"]}
    ship = entries["ship"]  # signed by the shop, whose record did not verify against the chain
    assert ship["party"] == {"enterpriseId": SHOP, "submitter": "0x" + "11" * 20, "name": None, "verified": False}
    fake_farm = {**ENTERPRISES, FARM: enterprise("Green Farm", [FARM_GLN], verified=False)}
    harvest = next(e for e in view(enterprises=fake_farm)["timeline"] if "harvest" in e["eventHashId"])
    assert harvest["place"]["name"] is None and harvest["place"]["verified"] is False
    assert harvest["party"]["name"] is None
    # A verified record that does not list the GLN names nothing either.
    pack = entries["pack"]
    assert pack["place"] is None


def test_product_from_verified_master_data() -> None:
    product = view()["product"]
    assert product["masterData"] == "verified" and product["masterDataVersion"] == 2
    assert product["name"] == {"value": {"zh": "酸奶", "en": "Yoghurt"}, "verified": True, "source": "masterData"}
    assert product["origin"]["value"]["gln"] == FARM_GLN
    assert product["certifications"]["value"][0]["standard"] == "GB 19302"
    assert product["producer"] == {"enterpriseId": PLANT, "name": "Dairy Plant", "verified": True}
    # Production date: the owner's commissioning of the item, in the event's own time zone.
    assert product["dates"]["production"]["value"] == "2026-12-02"
    assert product["dates"]["production"]["verified"] is True
    assert product["dates"]["expiry"] == {"value": "2027-01-31", "verified": False, "source": "code"}
    assert view()["thresholds"]["Temperature"] == {"min": 0.0, "max": 5.0, "uom": "CEL", "verified": True,
                                                   "source": "productClass"}


def test_master_data_of_another_product_or_none_shows_nothing() -> None:
    other = {**MASTER, "subject": f"https://id.gs1.org/01/{OTHER_GTIN}"}
    for master, state in ((other, "other-product"), (None, "absent")):
        result = view(masterData=master, platform={"thresholds": {"Temperature": {"min": 1, "max": 2, "uom": "CEL"}}})
        product = result["product"]
        assert product["masterData"] == state
        assert product["name"] is None and product["origin"] is None and product["certifications"] is None
        assert result["thresholds"]["Temperature"]["verified"] is False


def test_production_date_needs_a_verified_event_of_the_owner() -> None:
    assert view()["product"]["dates"]["production"]["eventHashId"].startswith("ni:///sha-256;make?")
    records = chain()
    records[1]["status"] = records[2]["status"] = "pending"
    assert view(records)["product"]["dates"]["production"] is None
    records = chain()
    records[1]["enterpriseId"] = records[2]["enterpriseId"] = STRANGER
    assert view(records)["product"]["dates"]["production"] is None
    records = chain()
    records[1]["status"] = "failed"  # then the item's own commissioning, in its time zone
    assert view(records)["product"]["dates"]["production"]["eventHashId"].startswith("ni:///sha-256;commission?")


def test_sensors_only_from_verified_linked_bodies() -> None:
    result = view()
    assert [(s["time"], s["value"]) for s in result["sensors"]] == [
        ("2026-12-02T01:00:00.000Z", 4.5), ("2026-12-03T01:00:00.000Z", 6.5)]
    records = chain()
    records[4]["status"] = "pending"
    assert [s["value"] for s in view(records)["sensors"]] == [4.5]


def test_sensor_readings_are_capped_oldest_first() -> None:
    reports = [{"type": "gs1:Temperature", "value": index, "time": f"2026-12-0{1 + index % 3}T00:00:{index % 60:02d}Z"}
               for index in range(2_100)]
    records = [rec("log", body("ObjectEvent", "2026-12-01T00:00:00Z", action="OBSERVE", epcList=[ITEM],
                               sensorElementList=[{"sensorReport": reports}]))]
    result = view(records)
    assert len(result["sensors"]) == 2_000 and result["sensorsTruncated"] is True
    assert [s["time"] for s in result["sensors"]] == sorted(s["time"] for s in result["sensors"])


def test_failed_records_show_no_content_and_platform_extras_are_unverified() -> None:
    records = chain()
    records[1]["status"] = "failed"
    result = view(records, platform={"authenticity": {"authenticator": "absent", "cloneAlarm": True, "scanCount": 9,
                                                      "distinctPlaces": 4}})
    failed = [entry for entry in result["timeline"] if entry["status"] == "failed"]
    assert failed == [{"eventHashId": records[1]["eventHashId"], "status": "failed", "verified": False, "timeMs": None}]
    assert result["counts"]["failed"] == 1
    assert result["platform"]["authenticity"]["verified"] is False
    assert result["platform"]["authenticity"]["cloneAlarm"] is True
    # The milk lot is reached only through the failed transformation: its harvest is not shown.
    assert "harvest" not in " ".join(e["eventHashId"] for e in result["timeline"])


def test_recall_is_the_chain_recall() -> None:
    recall = {"status": "open", "class": 1, "reason": None, "openedAt": "2026-12-05T00:00:00.000Z", "subject": "0x01"}
    assert view(recall=recall)["recall"] == {**recall, "verified": True, "source": "chain"}
    assert view()["recall"] is None


def test_equipment_view_for_a_giai() -> None:
    lift = "urn:epc:id:giai:9506000.LIFT001"
    ilmd = {"tl:equipmentType": "lift", "tl:registrationCode": "3110"}
    records = [
        rec("made", body("ObjectEvent", "2026-01-01T08:00:00Z", action="ADD", bizStep="commissioning", epcList=[lift], ilmd=ilmd), PLANT),
        rec("installed", body("ObjectEvent", "2026-01-10T08:00:00Z", action="OBSERVE", bizStep="installing", epcList=[lift],
                              **{"tl:emergencyCode": "31058"}), FARM),
        rec("inspected", body("ObjectEvent", "2026-03-20T08:00:00Z", action="OBSERVE", bizStep="inspecting", epcList=[lift],
                              disposition="conformant"), STRANGER),
        rec("forged", body("ObjectEvent", "2026-12-01T08:00:00Z", action="OBSERVE", bizStep="repairing", epcList=[lift]),
            SHOP, status="failed"),
    ]
    result = js("buildView", {"uri": "https://id.gs1.org/8004/9506000LIFT001", "records": records, "masterData": None,
                              "enterprises": ENTERPRISES, "recall": None, "platform": None, "now": NOW})
    assert result["kind"] == "equipment" and result["product"] is None
    equipment = result["equipment"]
    assert equipment["maker"] == "Dairy Plant" and equipment["installer"] == "Green Farm"
    assert equipment["lastInspection"] == {"date": "2026-03-20", "result": "pass", "inspector": STRANGER}
    assert equipment["nextInspectionDue"] == "2027-03-20" and equipment["inspectionOverdue"] is False
    assert equipment["lastMaintenance"] is None and equipment["maintenanceOverdue"] is True
    assert (equipment["registrationCode"], equipment["emergencyCode"], equipment["verified"]) == ("3110", "31058", True)


def test_summary_mismatches() -> None:
    event = body("ObjectEvent", "2026-12-06T18:00:00.5+08:00", bizStep="https://ref.gs1.org/cbv/BizStep-shipping",
                 readPoint={"id": sgln(PLANT_GLN)})
    assert identifier_key(sgln(PLANT_GLN)) == f"https://id.gs1.org/414/{PLANT_GLN}"
    honest = {"time": "2026-12-06T10:00:00.500Z", "eventType": "ObjectEvent", "bizStep": "shipping",
              "location": {"id": f"https://id.gs1.org/414/{PLANT_GLN}"}}
    calls = [
        [honest, event],
        [{**honest, "bizStep": "cbv:BizStep-shipping"}, event],
        [{**honest, "location": {"id": sgln(PLANT_GLN)}}, event],
        [{**honest, "time": "2026-01-02T10:00:00.500Z"}, event],
        [{**honest, "eventType": "AggregationEvent", "bizStep": "receiving", "location": None}, event],
        [{**honest, "location": None}, {**event, "readPoint": None}],
    ]
    results = run_js([{"fn": "summaryMismatches", "args": args} for args in calls])
    assert results[0] == [] and results[1] == [] and results[2] == [] and results[5] == []
    assert results[3] == [{"field": "time", "claimed": "2026-01-02T10:00:00.500Z", "signed": "2026-12-06T10:00:00.500Z"}]
    assert [m["field"] for m in results[4]] == ["eventType", "bizStep", "location"]
    assert results[4][2] == {"field": "location", "claimed": None, "signed": f"https://id.gs1.org/414/{PLANT_GLN}"}
