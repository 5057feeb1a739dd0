"""Identifiers to node keys: EPC URIs (TDS 2.1 examples) and Digital Links meet on one key."""

from __future__ import annotations

import pytest

from trace_api.provenance.errors import IdentifierError
from trace_api.provenance.identifiers import Identifier, identify, kind_of_key, parse_identifier


@pytest.mark.parametrize(("uri", "expected"), [
    # TDS 2.1 §6.3.1: urn:epc:id:sgtin:0614141.712345.32a%2Fb <-> (01) 70614141123451 (21) 32a/b
    ("urn:epc:id:sgtin:0614141.712345.32a%2Fb", Identifier("https://id.gs1.org/01/70614141123451/21/32a%2Fb", "item")),
    # the GS1 EPCIS examples name the same items both ways (Example_9.6.3 with Digital Link)
    ("urn:epc:id:sgtin:0614141.712345.2017", Identifier("https://id.gs1.org/01/70614141123451/21/2017", "item")),
    ("urn:epc:class:lgtin:4012345.012345.998877", Identifier("https://id.gs1.org/01/04012345123456/10/998877", "lot")),
    ("urn:epc:idpat:sgtin:4012345.066666.*", Identifier("https://id.gs1.org/01/04012345666663", "product")),
    # TDS 2.1 §7.2: urn:epc:id:sscc:0614141.1234567890 <-> (00) 106141412345678908
    ("urn:epc:id:sscc:0614141.1234567890", Identifier("https://id.gs1.org/00/106141412345678908", "logistic_unit")),
    # TDS 2.1 §7.3: urn:epc:id:sgln:0614141.12345.400 <-> (414) 0614141123452 (254) 400
    ("urn:epc:id:sgln:0614141.12345.400", Identifier("https://id.gs1.org/414/0614141123452/254/400", "location")),
    ("urn:epc:id:sgln:0614141.12345.0", Identifier("https://id.gs1.org/414/0614141123452", "location")),
    # TDS 2.1 §7.4: urn:epc:id:grai:0614141.12345.400 <-> (8003) 00614141123452400
    ("urn:epc:id:grai:0614141.12345.400", Identifier("https://id.gs1.org/8003/00614141123452400", "returnable_asset")),
    # TDS 2.1 §7.5: urn:epc:id:giai:0614141.12345400 <-> (8004) 061414112345400
    ("urn:epc:id:giai:0614141.12345400", Identifier("https://id.gs1.org/8004/061414112345400", "asset")),
    ("urn:epc:id:pgln:0614141.00000", Identifier("https://id.gs1.org/417/0614141000005", "party")),
    ("https://example.com/01/70614141123451/21/2017?17=270101&linkType=all",
     Identifier("https://id.gs1.org/01/70614141123451/21/2017", "item")),
    ("https://example.com/01/09506000134352/10/LOT1/21/123",
     Identifier("https://id.gs1.org/01/09506000134352/21/123", "item",
                "https://id.gs1.org/01/09506000134352/10/LOT1")),
    ("https://id.gs1.org/01/09506000134352/10/LOT1", Identifier("https://id.gs1.org/01/09506000134352/10/LOT1", "lot")),
    ("https://id.gs1.org/414/9520123456788/254/X", Identifier("https://id.gs1.org/414/9520123456788/254/X", "location")),
    ("urn:uuid:0b4ad1b4-32c3-4f1c-8e5a-5b1b2b2b6d11", Identifier("urn:uuid:0b4ad1b4-32c3-4f1c-8e5a-5b1b2b2b6d11", "other")),
    ("https://example.com/products/123", Identifier("https://example.com/products/123", "other")),
])
def test_parse_identifier(uri: str, expected: Identifier) -> None:
    assert parse_identifier(uri) == expected
    assert kind_of_key(expected.key) == expected.kind


@pytest.mark.parametrize(("uri", "reason"), [
    ("", "empty identifier"),
    ("not a uri", "not a URI"),
    ("urn:epc:id:sgtin:0614141.112345", "unsupported or malformed EPC URI scheme id:sgtin"),
    ("urn:epc:id:sgtin:06141.1123456.400", "company prefix (6-12 digits)"),
    ("urn:epc:id:sgtin:0614141.11234.400", "must have 13 digits together"),
    ("urn:epc:id:sscc:0614141.12345X7890", "digits"),
    ("urn:epc:id:gid:95100000.12345.400", "unsupported or malformed EPC URI scheme id:gid"),
    ("urn:epc:class:lgtin:4012345.012345.bad^lot", "AI (10)"),
    ("https://id.gs1.org/01/09506000134353", "check digit"),
    ("https://id.gs1.org/00/12345", "AI (00)"),
])
def test_malformed_identifiers_say_why(uri: str, reason: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_identifier(uri)
    assert reason in caught.value.reason


def test_identify_is_lenient() -> None:
    assert identify("urn:epc:id:sgtin:bad") == Identifier("urn:epc:id:sgtin:bad", "other")
