"""Hypothesis: our Event Hash ID equals the reference implementation's on random events.

The oracle is the PyPI ``epcis-event-hash-generator`` 1.9.3 command line, which runs
offline on files (it ships the EPCIS 2.0 contexts; its Python API would fetch them).
Each example writes a batch of generated EPCIS documents to a temporary folder and
runs the CLI once over all of them (``-b -p`` writes ``.hashes``/``.prehashes``
beside each file), so a run costs a few CLI start-ups, not one per event.

The generator stays inside what the 1.9.3 release reads the way CBV 2.0 §8.9
specifies; known deviations of that release are left out on purpose:
booleans (it writes ``True``), business transactions without ``type``, values
equal to a CBV word elsewhere in the document (its bare-word heuristic is
document-wide), and fractional seconds whose fourth digit is an exact half
(it rounds half to even; the standard rounds up).
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from anchoring.core.check_digit import compute_check_digit
from anchoring.core.event_hash import event_hash_id, event_prehash, terms

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("epcis_event_hash_generator") is None,
    reason="reference implementation epcis-event-hash-generator is not installed",
)

CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
NAMESPACE = "https://ns.example.com/epcis/"
DOCUMENT_CONTEXT: list[Any] = [CONTEXT_URL, {"example": NAMESPACE}]
EVENTS_PER_DOCUMENT = 2
DOCUMENTS_PER_BATCH = 80

# --- identifiers -----------------------------------------------------------------------------

company_prefix = st.integers(6, 11).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))
ALNUM = "ABCXYZabcxyz0123456789"
serial = st.text(ALNUM, min_size=1, max_size=12)


def _prefix_and_reference(draw: st.DrawFn, total_digits: int) -> tuple[str, str]:
    """A GS1 company prefix and the reference digits that make `total_digits` with it."""
    prefix = draw(company_prefix)
    width = total_digits - len(prefix)
    return prefix, draw(st.text("0123456789", min_size=width, max_size=width))


@st.composite
def sgtin(draw: st.DrawFn) -> str:
    prefix, item = _prefix_and_reference(draw, 13)
    if draw(st.booleans()):
        return f"urn:epc:id:sgtin:{prefix}.{item}.{draw(serial)}"
    body = item[0] + prefix + item[1:]
    gtin = body + str(compute_check_digit(body))
    host = draw(st.sampled_from(["https://id.gs1.org", "https://example.com/some/path"]))
    query = draw(st.sampled_from(["", "?17=201231", "?linkType=all"]))
    return f"{host}/01/{gtin}/21/{draw(serial)}{query}"


@st.composite
def sscc(draw: st.DrawFn) -> str:
    prefix, ref = _prefix_and_reference(draw, 17)
    return f"urn:epc:id:sscc:{prefix}.{ref}"


@st.composite
def sgln(draw: st.DrawFn) -> str:
    prefix, ref = _prefix_and_reference(draw, 12)
    extension = draw(st.sampled_from(["0", "1", "987", "AB-12"]))
    return f"urn:epc:id:sgln:{prefix}.{ref}.{extension}"


@st.composite
def lgtin(draw: st.DrawFn) -> str:
    prefix, item = _prefix_and_reference(draw, 13)
    return f"urn:epc:class:lgtin:{prefix}.{item}.{draw(serial)}"


epc = st.one_of(sgtin(), sscc())

# --- values ----------------------------------------------------------------------------------

# Never equal to a CBV/GS1 word: upper-case letter, lower-case letters, digits.
plain_text = st.builds(
    lambda head, letters, digits: head + letters + digits,
    st.sampled_from("ABQXZ"), st.text("bcqxz", min_size=2, max_size=4),
    st.text("0123456789", min_size=1, max_size=3),
)
extension_scalar = st.one_of(plain_text, st.text("0123456789", min_size=1, max_size=5), sgtin())
decimal = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False).map(float)


@st.composite
def timestamp(draw: st.DrawFn) -> str:
    day = draw(st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2035, 12, 31)))
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    fraction = draw(st.sampled_from(["", ".0", ".12", ".591", ".116000", ".999"]))
    zone = draw(st.sampled_from(["Z", "+00:00", "+01:00", "-06:00", "+05:30", "+14:00"]))
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{zone}"


offset = st.sampled_from(["+00:00", "+01:00", "-06:00", "+05:30"])


@st.composite
def extensions(draw: st.DrawFn, max_fields: int = 3) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(["fAb", "fAbc", "fB1", "fZed", "fZed2", "fq"]),
                          max_size=max_fields, unique=True))
    result: dict[str, Any] = {}
    for name in names:
        kind = draw(st.integers(0, 2))
        if kind == 0:
            result[f"example:{name}"] = draw(extension_scalar)
        elif kind == 1:
            result[f"example:{name}"] = draw(st.lists(extension_scalar, min_size=1, max_size=3))
        else:
            result[f"example:{name}"] = {
                f"example:sub{index}": draw(extension_scalar) for index in range(draw(st.integers(1, 3)))
            }
    return result


@st.composite
def quantity_element(draw: st.DrawFn) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": draw(lgtin())}
    if draw(st.booleans()):
        element["quantity"] = draw(st.one_of(st.integers(0, 10_000), decimal.map(abs)))
        if draw(st.booleans()):
            element["uom"] = draw(st.sampled_from(["KGM", "LTR", "MTR"]))
    return element


@st.composite
def typed_entries(draw: st.DrawFn, member: str, types: tuple[str, ...], values: Any) -> list[Any]:
    return [
        {"type": draw(st.sampled_from(types)), member: draw(values)}
        for _ in range(draw(st.integers(1, 3)))
    ]


@st.composite
def sensor_element(draw: st.DrawFn) -> dict[str, Any]:
    element: dict[str, Any] = {}
    if draw(st.booleans()):
        metadata: dict[str, Any] = {"time": draw(timestamp())}
        if draw(st.booleans()):
            metadata["deviceID"] = "urn:epc:id:giai:4000001.111"
        element["sensorMetadata"] = metadata
    reports = []
    for _ in range(draw(st.integers(1, 3))):
        report: dict[str, Any] = {"type": draw(st.sampled_from(terms.MEASUREMENT_TYPES))}
        if draw(st.booleans()):
            report["value"] = draw(decimal)
        else:
            report["minValue"] = draw(decimal)
            report["maxValue"] = draw(decimal)
        if draw(st.booleans()):
            report["component"] = draw(st.sampled_from(terms.SENSOR_COMPONENTS))
        if draw(st.booleans()):
            report["exception"] = draw(st.sampled_from(terms.SENSOR_ALERT_TYPES))
        report["uom"] = draw(st.sampled_from(["CEL", "A93", "KMH", "LUX"]))
        reports.append(report)
    element["sensorReport"] = reports
    return element


EVENT_FIELDS = {
    "ObjectEvent": ("epcList", "quantityList", "action", "ilmd"),
    "AggregationEvent": ("parentID", "childEPCs", "childQuantityList", "action"),
    "TransactionEvent": ("parentID", "epcList", "quantityList", "action", "bizTransactionList!"),
    "TransformationEvent": ("inputEPCList", "inputQuantityList", "outputEPCList",
                            "outputQuantityList", "transformationID", "ilmd"),
    "AssociationEvent": ("parentID", "childEPCs", "childQuantityList", "action"),
}


@st.composite
def epcis_event(draw: st.DrawFn) -> dict[str, Any]:
    event_type = draw(st.sampled_from(sorted(EVENT_FIELDS)))
    event: dict[str, Any] = {"type": event_type, "eventTime": draw(timestamp()),
                             "eventTimeZoneOffset": draw(offset)}
    if draw(st.booleans()):
        event["recordTime"] = draw(timestamp())
    if draw(st.booleans()):
        event["eventID"] = f"urn:uuid:{draw(st.uuids())}"
    for field in EVENT_FIELDS[event_type]:
        required = field.endswith("!")
        field = field.rstrip("!")
        if field == "action":
            event["action"] = draw(st.sampled_from(sorted(terms.ACTIONS)))
        elif not required and not draw(st.booleans()):
            continue
        elif field in ("epcList", "childEPCs", "inputEPCList", "outputEPCList"):
            event[field] = draw(st.lists(epc, min_size=1, max_size=4))
        elif field.endswith("QuantityList") or field == "quantityList":
            event[field] = draw(st.lists(quantity_element(), min_size=1, max_size=3))
        elif field == "parentID":
            event[field] = draw(sscc())
        elif field == "transformationID":
            event[field] = "urn:epc:id:gdti:4012345.55555.1234"
        elif field == "ilmd":
            event[field] = draw(extensions(max_fields=2)) or {"example:lot": "Abc1"}
        elif field == "bizTransactionList":
            event[field] = draw(typed_entries("bizTransaction", terms.BIZ_TRANSACTION_TYPES,
                                              st.sampled_from(["urn:epcglobal:cbv:bt:4012345000009:A1",
                                                               "http://transaction.acme.com/po/123"])))
    if draw(st.booleans()):
        event["certificationInfo"] = "https://accreditation.example.org/certificate/ABC1"
    if draw(st.booleans()):
        event["bizStep"] = draw(st.sampled_from(terms.BIZ_STEPS))
    if draw(st.booleans()):
        event["disposition"] = draw(st.sampled_from(terms.DISPOSITIONS))
    if draw(st.booleans()):
        event["persistentDisposition"] = {"set": draw(st.lists(st.sampled_from(terms.DISPOSITIONS),
                                                               min_size=1, max_size=2, unique=True))}
    if draw(st.booleans()):
        event["readPoint"] = {"id": draw(sgln()), **draw(extensions(max_fields=1))}
    if draw(st.booleans()):
        event["bizLocation"] = {"id": draw(sgln())}
    if "bizTransactionList" not in event and draw(st.booleans()):
        event["bizTransactionList"] = draw(typed_entries(
            "bizTransaction", terms.BIZ_TRANSACTION_TYPES,
            st.just("urn:epcglobal:cbv:bt:4012345000009:A1")))
    for list_name, member in (("sourceList", "source"), ("destinationList", "destination")):
        if draw(st.booleans()):
            event[list_name] = draw(typed_entries(member, terms.SOURCE_DESTINATION_TYPES,
                                                  st.one_of(sgln(), st.just("urn:epc:id:pgln:4012345.00000"))))
    if draw(st.integers(0, 3)) == 0:
        event["sensorElementList"] = draw(st.lists(sensor_element(), min_size=1, max_size=2))
    event.update(draw(extensions()))
    # JSON member order must not matter: shuffle it.
    keys = draw(st.permutations(list(event)))
    return {key: event[key] for key in keys}


def reference_hashes(documents: list[list[dict[str, Any]]]) -> list[list[tuple[str, str]]]:
    """(hash, prehash) of every event, computed by one run of the reference CLI."""
    with TemporaryDirectory() as folder:
        paths = []
        for index, events in enumerate(documents):
            path = Path(folder) / f"doc{index:03d}.jsonld"
            path.write_text(json.dumps({
                "@context": DOCUMENT_CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2024-01-01T00:00:00Z", "epcisBody": {"eventList": events},
            }), encoding="utf-8")
            paths.append(path)
        subprocess.run(
            [sys.executable, "-m", "epcis_event_hash_generator", "-b", "-p", *map(str, paths)],
            check=True, capture_output=True, timeout=120,
        )
        results = []
        for path in paths:
            hashes = path.with_suffix(".hashes").read_text(encoding="utf-8").split()
            prehashes = path.with_suffix(".prehashes").read_text(encoding="utf-8").splitlines()
            results.append(list(zip(hashes, prehashes, strict=True)))
        return results


def test_event_hash_id_equals_reference_cli() -> None:
    """Hypothesis draws the documents, then one CLI run judges them all.

    Drawing one small document per example keeps Hypothesis fast (a single example
    holding the whole batch overruns its buffer); the price is no shrinking, so a
    failure prints the whole offending event instead.
    """
    documents: list[list[dict[str, Any]]] = []
    ours: list[list[tuple[str, str]]] = []

    @settings(max_examples=DOCUMENTS_PER_BATCH, deadline=None, derandomize=True,
              database=None, phases=(Phase.explicit, Phase.generate),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
    @given(st.lists(epcis_event(), min_size=1, max_size=EVENTS_PER_DOCUMENT))
    def draw_document(events: list[dict[str, Any]]) -> None:
        documents.append(events)
        ours.append([
            (event_hash_id(event, context=DOCUMENT_CONTEXT),
             event_prehash(event, context=DOCUMENT_CONTEXT))
            for event in events
        ])

    draw_document()
    assert len(documents) >= DOCUMENTS_PER_BATCH // 2
    expected = reference_hashes(documents)
    compared = 0
    for events, mine, reference in zip(documents, ours, expected, strict=True):
        assert len(reference) == len(events), "the reference refused an event"
        for event, (our_hash, our_prehash), (reference_hash, reference_prehash) in zip(
            events, mine, reference, strict=True
        ):
            assert our_prehash == reference_prehash, json.dumps(event, indent=1)
            assert our_hash == reference_hash
            compared += 1
    assert compared >= DOCUMENTS_PER_BATCH // 2
    assert len({event["type"] for events in documents for event in events}) >= 4
    features = {key for events in documents for event in events for key in event}
    assert {"sensorElementList", "bizTransactionList", "sourceList", "readPoint"} <= features
