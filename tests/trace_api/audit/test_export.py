"""Evidence export: exact CSV and XLSX content for a small set, and a bundle checked by an
independent verifier written here from the specifications (hashlib, cryptography,
eth_keys), not from TraceLedger's code."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import zipfile
from xml.etree import ElementTree

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eth_hash.auto import keccak
from eth_keys import keys

from tests.trace_api.audit.builders import (
    FARM,
    JUICE,
    LOT_A,
    PLANT,
    at,
    harvest,
    ms,
    qty,
    ship,
    transform,
)
from tests.trace_api.audit.harness import AuditWorld
from trace_api.audit.export.bundle import stream_bundle
from trace_api.audit.export.kde import COLUMNS, NUMERIC_COLUMNS
from trace_api.audit.export.rows import export_rows
from trace_api.audit.export.tabular import stream_csv, stream_xlsx, write_xlsx
from trace_api.audit.sources import EventFilter, iter_events
from trace_api.csv_cells import neutralise_cell
from trace_api.proofs.service import build_bundle

SHIP = ship(at(2), bizLocation={"id": "urn:epc:id:sgln:9506000.00001.0"},
            sourceList=[{"type": "location", "source": "urn:epc:id:sgln:9506000.00001.0"}],
            destinationList=[{"type": "location", "destination": "urn:epc:id:sgln:9506000.00002.0"},
                             {"type": "owning_party", "destination": "urn:epc:id:pgln:9506000.00002"}],
            bizTransactionList=[{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000003:PO-77"},
                                {"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000003:ASN-9"}])
FARM_GLN = "urn:epc:id:sgln:9506000.00001.0"
PLANT_GLN = "urn:epc:id:sgln:9506000.00002.0"
HARVEST = harvest(at(1), ilmd={"tl:productDescription": "Fuji apples, class I"},
                  bizLocation={"id": FARM_GLN})
JUICING = transform(at(3), [qty(LOT_A, 100)], [qty(JUICE, 60, "LTR")],
                    bizLocation={"id": PLANT_GLN})


def small_set(world: AuditWorld) -> str:
    world.add(FARM, [HARVEST, SHIP], [ms(1, 9), ms(2, 9)])
    world.anchor(world.integrate(), ms(2, 9) // 1000 + 3)
    world.add(PLANT, [JUICING], [ms(3, 9)])
    world.integrate()  # leaf 2 pending
    return "0x" + f"{0xA000 + 1:064x}"


def expected_rows(tx: str) -> list[list[str]]:
    return [
        ["Initial packing", "(01)19506000343522(10)LOTA", "object", "100.0", "KGM", "19506000343522",
         "Fuji apples, class I", FARM_GLN, "", "", "", "", FARM_GLN, "", "2026-11-01",
         "2026-11-01T08:00:00.000Z", "+00:00", "2026-11-01T09:00:00.000Z", "", "", FARM,
         "ObjectEvent", "commissioning", "", "HASH0", "0", "anchored", "2", tx, "1"],
        ["Shipping", "(01)19506000343522(10)LOTA", "object", "100.0", "KGM", "19506000343522",
         "Fuji apples, class I", FARM_GLN, "urn:epc:id:sgln:9506000.00001.0",
         "urn:epc:id:sgln:9506000.00002.0", "", "", "urn:epc:id:sgln:9506000.00001.0", "",
         "2026-11-02", "2026-11-02T08:00:00.000Z", "+00:00", "2026-11-02T09:00:00.000Z", "po; desadv",
         "urn:epcglobal:cbv:bt:9506000000003:PO-77; urn:epcglobal:cbv:bt:9506000000003:ASN-9",
         FARM, "ObjectEvent", "shipping", "in_transit", "HASH1", "1", "anchored", "2", tx, "1"],
        ["Transformation", "(01)19506000343522(10)LOTA", "input", "100.0", "KGM", "19506000343522",
         "Fuji apples, class I", FARM_GLN, "", "", "", PLANT_GLN, PLANT_GLN, "", "2026-11-03",
         "2026-11-03T08:00:00.000Z", "+00:00", "2026-11-03T09:00:00.000Z", "", "", PLANT,
         "TransformationEvent", "commissioning", "", "HASH2", "2", "pending", "", "", ""],
        ["Transformation", "(01)19506000343539(10)J1", "output", "60.0", "LTR", "19506000343539", "",
         PLANT_GLN, "", "", "", PLANT_GLN, PLANT_GLN, "", "2026-11-03", "2026-11-03T08:00:00.000Z",
         "+00:00", "2026-11-03T09:00:00.000Z", "", "", PLANT, "TransformationEvent", "commissioning",
         "", "HASH2", "2", "pending", "", "", ""],
    ]


def with_hashes(rows: list[list[str]], hashes: list[str]) -> list[list[str]]:
    return [[hashes[int(cell[4:])] if re.fullmatch(r"HASH\d", cell) else cell for cell in row]
            for row in rows]


def test_csv_export_exact(world: AuditWorld) -> None:
    tx = small_set(world)
    hashes = [e.event_hash_id for e in iter_events(world.ctx.engine, EventFilter())]
    text = b"".join(stream_csv(COLUMNS, export_rows(world.ctx.engine, world.ctx.mirror_engine,
                                                     EventFilter()))).decode("utf-8")
    assert text.startswith("\ufeffcritical_tracking_event,traceability_lot_code,")
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert table[0] == list(COLUMNS)
    # CSV cells starting with + or - (here: time zone offsets) get a leading quote, so a
    # spreadsheet shows them as text (trace_api.csv_cells; XLSX cells are text anyway).
    assert table[1:] == [[neutralise_cell(cell) for cell in row]
                         for row in with_hashes(expected_rows(tx), hashes)]
    assert table[1][COLUMNS.index("event_timezone_offset")] == "'+00:00"
    only_plant = b"".join(stream_csv(COLUMNS, export_rows(
        world.ctx.engine, world.ctx.mirror_engine, EventFilter(enterprise_id=PLANT)))).decode()
    assert len(list(csv.reader(io.StringIO(only_plant.removeprefix("\ufeff"))))) == 3


def read_xlsx(data: bytes) -> dict[str, object]:
    """Sheet rows, frozen pane and autofilter of an XLSX, read with zipfile + XML only."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
        assert "xl/sharedStrings.xml" not in archive.namelist()  # constant_memory: inline strings
    rows = []
    for row in root.iterfind("m:sheetData/m:row", ns):
        cells: list[object] = []
        for cell in row.iterfind("m:c", ns):
            column = 0
            for char in re.match(r"[A-Z]+", cell.get("r", "")).group():  # type: ignore[union-attr]
                column = column * 26 + ord(char) - 64
            cells.extend([""] * (column - 1 - len(cells)))
            if cell.get("t") == "inlineStr":
                cells.append(cell.findtext("m:is/m:t", default="", namespaces=ns))
            else:
                value = cell.findtext("m:v", default="", namespaces=ns)
                cells.append(float(value))
        cells.extend([""] * (len(COLUMNS) - len(cells)))
        rows.append(cells)
    pane = root.find("m:sheetViews/m:sheetView/m:pane", ns)
    autofilter = root.find("m:autoFilter", ns)
    return {"rows": rows, "pane": None if pane is None else dict(pane.attrib),
            "autofilter": None if autofilter is None else autofilter.get("ref")}


def test_xlsx_export_exact(world: AuditWorld) -> None:
    tx = small_set(world)
    hashes = [e.event_hash_id for e in iter_events(world.ctx.engine, EventFilter())]
    data = b"".join(stream_xlsx(COLUMNS, export_rows(world.ctx.engine, world.ctx.mirror_engine,
                                                      EventFilter()), numeric=NUMERIC_COLUMNS))
    sheet = read_xlsx(data)
    assert sheet["pane"] == {"ySplit": "1", "topLeftCell": "A2", "activePane": "bottomLeft",
                             "state": "frozen"}
    assert sheet["autofilter"] == "A1:AD5"
    numeric = [COLUMNS.index(name) for name in NUMERIC_COLUMNS]
    expected = [[float(cell) if position in numeric and cell != "" else cell
                 for position, cell in enumerate(row)]
                for row in with_hashes(expected_rows(tx), hashes)]
    assert sheet["rows"] == [list(COLUMNS), *expected]


def test_xlsx_rolls_over_to_a_new_sheet(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "small.xlsx"
    assert write_xlsx(path, ("a", "b"), ([n, "x"] for n in range(5)), numeric=frozenset({"a"}),
                      max_rows=3) == 5
    with zipfile.ZipFile(path) as archive:
        sheets = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
    assert sheets == ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"]


# Independent verifier --------------------------------------------------------------

def rfc9162_root_from_proof(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, written out naively."""
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise AssertionError("proof too long")
        if fn % 2 == 1 or fn == sn:
            node = hashlib.sha256(b"\x01" + sibling + node).digest()
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            node = hashlib.sha256(b"\x01" + node + sibling).digest()
        fn >>= 1
        sn >>= 1
    assert sn == 0
    return node


def eip712_signer(event_hash: bytes, submitter: bytes, signature: bytes, chain_id: int,
                  contract: str) -> str:
    domain_type = keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    domain = keccak(domain_type + keccak(b"TraceLedger") + keccak(b"1") + chain_id.to_bytes(32, "big")
                    + bytes(12) + bytes.fromhex(contract[2:]))
    record_type = keccak(b"TraceRecord(bytes32 eventHash,address submitter)")
    digest = keccak(b"\x19\x01" + domain + keccak(record_type + event_hash + bytes(12) + submitter))
    vrs = signature[:64] + bytes([signature[64] - 27])
    return keys.Signature(vrs).recover_public_key_from_msg_hash(digest).to_checksum_address()


def verify_note(note: str, verifier_key: str) -> tuple[str, int, bytes]:
    name, key_id_hex, key_b64 = verifier_key.split("+", 2)
    key = base64.b64decode(key_b64)
    assert key[0] == 1
    text, _, signatures = note.partition("\n\n")
    body = text + "\n"
    for line in signatures.splitlines():
        signer, blob = line.removeprefix("\u2014 ").split(" ")
        raw = base64.b64decode(blob)
        if signer == name and raw[:4].hex() == key_id_hex:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(raw[4:], body.encode())
            origin, size, root = body.splitlines()[:3]
            return origin, int(size), base64.b64decode(root)
    raise AssertionError("no signature by the log key")


def test_bundle_verifies_independently(world: AuditWorld) -> None:
    small_set(world)
    data = b"".join(stream_bundle(
        iter_events(world.ctx.engine, EventFilter()),
        lambda leaf: build_bundle(world.ctx, leaf, include_event=True),
        chain_id=world.ctx.deployment.chain_id, trace_anchor=world.ctx.deployment.trace_anchor,
        filters={"from": "2026-11-01"}))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert sorted(names) == sorted([
        "events/0.json", "proofs/0.json", "checkpoints/2.txt", "events/1.json", "proofs/1.json",
        "events/2.json", "proofs/2.json", "checkpoints/3.txt", "index.csv", "README.txt",
        "manifest.json"])
    manifest = json.loads(archive.read("manifest.json"))
    assert {k: manifest[k] for k in ("format", "records", "anchored", "checkpoints", "filters")} == {
        "format": "traceledger.evidence/v1", "records": 3, "anchored": 2, "checkpoints": [2, 3],
        "filters": {"from": "2026-11-01"}}
    readme = archive.read("README.txt").decode()
    for needle in ("CBV 2.0", "EIP-712", "RFC 9162", "Ed25519", "rootAtSize", "0x6867875b"):
        assert needle in readme
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode())))
    assert [(r["leaf_index"], r["status"], r["tree_size"]) for r in index] == [
        ("0", "anchored", "2"), ("1", "anchored", "2"), ("2", "pending", "3")]
    for row in index:
        event = json.loads(archive.read(row["event_file"]))
        proof = json.loads(archive.read(row["proof_file"]))
        entry = base64.b64decode(proof["entry"])
        assert len(entry) == 158 and entry[0] == 1
        event_hash, submitter, signature = entry[1:33], entry[33:53], entry[53:118]
        # step 1: the event file is the record (hash recomputed with the CBV 2.0 algorithm)
        from anchoring.core import event_hash_id
        assert event_hash_id(event) == proof["eventHashId"] == f"ni:///sha-256;{event_hash.hex()}?ver=CBV2.0"
        # step 3: EIP-712
        assert eip712_signer(event_hash, submitter, signature, world.ctx.deployment.chain_id,
                             world.ctx.deployment.trace_anchor) == proof["entryFields"]["submitter"]
        # step 4: RFC 9162 inclusion
        leaf = hashlib.sha256(b"\x00" + entry).digest()
        root = rfc9162_root_from_proof(proof["leafIndex"], proof["treeSize"], leaf,
                                       [bytes.fromhex(h[2:]) for h in proof["inclusionProof"]])
        assert "0x" + root.hex() == proof["rootHash"]
        # step 5: the checkpoint note, signed by the log key, names the same head
        origin, size, note_root = verify_note(archive.read(row["checkpoint_file"]).decode(),
                                              proof["log"]["verifierKey"])
        assert (origin, size, note_root) == ("localhost/traceledger-log", proof["treeSize"], root)
        # step 6 (anchored): the head the chain recorded (mirror here; eth_call in the e2e test)
        if row["status"] == "anchored":
            assert proof["anchor"]["rootHash"] == "0x" + root.hex()
