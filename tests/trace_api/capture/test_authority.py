"""Who may write what (`trace_api.capture.authority`), judged on events alone: every rule
with a positive and a negative case, and the identifier tricks that must not move a key
under someone else's prefix. The same rules run end to end in `test_write_rules.py`."""

from __future__ import annotations

from typing import Any

import pytest

from testing.system import with_check_digit
from trace_api.capture.authority import (
    WriteAuthority,
    company_area,
    find_refusal,
    gs1_key,
    nested_prefixes,
)
from trace_api.products.ownership import company_prefix_area

PREFIX_A = "0614141"
PREFIX_B = "4012345"
A = WriteAuthority(company_prefixes=(PREFIX_A,))
B = WriteAuthority(company_prefixes=(PREFIX_B,))
A_GLN = with_check_digit(PREFIX_A + "00001")
B_GLN = with_check_digit(PREFIX_B + "00001")
A_LOT = f"urn:epc:class:lgtin:{PREFIX_A}.012345.LOT-1"
A_ITEM = f"urn:epc:id:sgtin:{PREFIX_A}.107346.2017"


def _event(kind: str = "ObjectEvent", **members: Any) -> dict[str, Any]:
    return {"type": kind, "eventTime": "2026-11-20T08:00:00.000Z",
            "eventTimeZoneOffset": "+00:00", **members}


def _at(gln: str) -> dict[str, Any]:
    return {"id": f"https://id.gs1.org/414/{gln}"}


def _commissioning(epc: str) -> dict[str, Any]:
    return _event(action="ADD", bizStep="commissioning", epcList=[epc])


# ------------------------------------------------------------------ rule 1: creation


def test_commissioning_is_allowed_under_own_prefix_and_refused_under_another() -> None:
    assert find_refusal(_commissioning(A_ITEM), A) is None
    refusal = find_refusal(_commissioning(A_ITEM), B)
    assert refusal is not None and refusal.pointer == "/epcList/0"
    assert A_ITEM in refusal.reason and PREFIX_B in refusal.reason


def test_commissioning_a_class_in_a_quantity_list_needs_the_prefix_too() -> None:
    event = _event(action="ADD", quantityList=[{"epcClass": A_LOT, "quantity": 5}])
    assert find_refusal(event, A) is None
    refusal = find_refusal(event, B)
    assert refusal is not None and refusal.pointer == "/quantityList/0/epcClass"


def test_bizstep_commissioning_creates_even_when_the_action_is_observe() -> None:
    event = _event(action="OBSERVE", bizStep="cbv:BizStep-commissioning", epcList=[A_ITEM],
                   readPoint=_at(B_GLN))
    refusal = find_refusal(event, B)  # B's own readPoint does not let it commission A's item
    assert refusal is not None and refusal.pointer == "/epcList/0"


def test_commissioning_is_judged_on_every_identifier_not_the_first() -> None:
    event = _event(action="ADD", epcList=[A_ITEM, f"urn:epc:id:sgtin:{PREFIX_B}.107346.1"])
    refusal = find_refusal(event, A)
    assert refusal is not None and refusal.pointer == "/epcList/1"


def test_an_identifier_without_a_gs1_key_cannot_be_commissioned() -> None:
    refusal = find_refusal(_commissioning("urn:example:item:42"), A)
    assert refusal is not None and "no GS1 key" in refusal.reason


def test_transformation_outputs_need_the_prefix_inputs_do_not() -> None:
    b_output = f"urn:epc:id:sgtin:{PREFIX_B}.077889.25"
    event = _event("TransformationEvent", inputEPCList=[A_ITEM], outputEPCList=[b_output])
    assert find_refusal(event, B) is None  # B turns A's goods it bought into B's product
    refusal = find_refusal(event, A)
    assert refusal is not None and refusal.pointer == "/outputEPCList/0"
    quantities = _event("TransformationEvent",
                        outputQuantityList=[{"epcClass": A_LOT, "quantity": 1}])
    refusal = find_refusal(quantities, B)
    assert refusal is not None and refusal.pointer == "/outputQuantityList/0/epcClass"


def test_a_transformation_without_outputs_falls_under_the_place_rule() -> None:
    consumed = _event("TransformationEvent", inputEPCList=[A_ITEM])
    assert find_refusal(consumed, B) is not None
    assert find_refusal({**consumed, "bizLocation": _at(B_GLN)}, B) is None


# ------------------------------------------------------------------ prefix derivation


@pytest.mark.parametrize("identifier", [
    A_ITEM,
    "https://id.gs1.org/01/10614141073467/21/2017",          # the same item as a Digital Link
    "https://example.com/gtin/10614141073467/ser/2017",     # another host, short names
    "https://id.gs1.org/01/00614141123452/10/LOT",           # GTIN-14 with indicator 0
    "https://id.gs1.org/01/614141123452/10/LOT",             # the same GTIN written as GTIN-12
    f"urn:epc:id:sscc:{PREFIX_A}.1234567890",                # SSCC: extension digit skipped
    f"urn:epc:id:giai:{PREFIX_A}.LIFT-7",
    f"urn:epc:id:grai:{PREFIX_A}.12345.1",                   # GRAI: filler zero skipped
])
def test_every_form_of_an_own_key_is_recognised(identifier: str) -> None:
    assert find_refusal(_commissioning(identifier), A) is None
    assert find_refusal(_commissioning(identifier), B) is not None


def test_the_indicator_digit_is_not_part_of_the_company_prefix() -> None:
    # GTIN-14 "4" + "012345..." : naive digit matching would give it to prefix 4012345.
    gtin = with_check_digit("4" + PREFIX_A + "10734")
    assert find_refusal(_commissioning(f"https://id.gs1.org/01/{gtin}"), A) is None
    assert find_refusal(_commissioning(f"https://id.gs1.org/01/{gtin}"),
                        WriteAuthority(company_prefixes=("4061414",))) is not None


def test_an_epc_urn_partition_cannot_move_a_key_under_another_prefix() -> None:
    # Whoever holds the longest prefix matching the *key* owns it, however the URN is cut.
    # A_ITEM is GTIN 1·0614141·07346·7; drawn as prefix 06141410 it is the same GTIN.
    holder_of_longer = WriteAuthority(company_prefixes=(PREFIX_A + "0",))
    moved = f"urn:epc:id:sgtin:{PREFIX_A}0.17346.2017"
    assert gs1_key(moved) == gs1_key(A_ITEM)
    assert find_refusal(_commissioning(moved), B) is not None
    nested = WriteAuthority(company_prefixes=(PREFIX_A,), nested_prefixes=(PREFIX_A + "0",))
    assert find_refusal(_commissioning(moved), holder_of_longer) is None
    assert find_refusal(_commissioning(A_ITEM), nested) is not None  # longest prefix wins


def test_nested_prefixes_are_the_longer_ones_inside_own() -> None:
    assert nested_prefixes(["0614141"], ["0614141", "06141412", "061414", "4012345"]) == \
        ("06141412",)


# ------------------------------------------------------------------ rule 2: place or party


def test_observing_at_own_location_is_allowed_elsewhere_refused() -> None:
    event = _event(action="OBSERVE", epcList=[A_ITEM], readPoint=_at(B_GLN))
    assert find_refusal(event, B) is None
    refusal = find_refusal(event, A)
    assert refusal is not None and refusal.pointer == "/readPoint/id"


def test_a_registered_gln_outside_the_prefixes_is_own() -> None:
    leased = with_check_digit("9506000" + "13430")
    event = _event(action="OBSERVE", epcList=[A_ITEM], bizLocation=_at(leased))
    assert find_refusal(event, B) is not None
    assert find_refusal(event, WriteAuthority(company_prefixes=(PREFIX_B,),
                                              glns=frozenset({leased}))) is None


def test_sgln_urn_with_extension_is_judged_by_its_gln() -> None:
    event = _event(action="OBSERVE", epcList=[A_ITEM],
                   readPoint={"id": f"urn:epc:id:sgln:{PREFIX_B}.00001.dock-4"})
    assert find_refusal(event, B) is None
    assert find_refusal(event, A) is not None


def test_naming_itself_as_destination_or_source_is_enough() -> None:
    receiving = _event(action="OBSERVE", bizStep="receiving", epcList=[A_ITEM],
                       destinationList=[{"type": "owning_party",
                                         "destination": f"https://id.gs1.org/417/{B_GLN}"}])
    assert find_refusal(receiving, B) is None
    shipping = _event(action="OBSERVE", bizStep="shipping", epcList=[A_ITEM],
                      sourceList=[{"type": "location",
                                   "source": f"urn:epc:id:sgln:{PREFIX_A}.00001.0"}])
    assert find_refusal(shipping, A) is None
    assert find_refusal(shipping, B) is not None


def test_naming_itself_does_not_license_someone_elses_location() -> None:
    sneaky = _event(action="OBSERVE", epcList=[A_ITEM], readPoint=_at(A_GLN),
                    destinationList=[{"type": "owning_party",
                                      "destination": f"https://id.gs1.org/417/{B_GLN}"}])
    refusal = find_refusal(sneaky, B)
    assert refusal is not None and refusal.pointer == "/readPoint/id"


def test_an_event_naming_no_place_or_party_of_the_enterprise_is_refused() -> None:
    refusal = find_refusal(_event(action="OBSERVE", epcList=[A_ITEM]), A)
    assert refusal is not None and refusal.pointer == ""
    private_place = _event(action="OBSERVE", epcList=[A_ITEM], readPoint={"id": "geo:1,2"})
    assert find_refusal(private_place, A) is not None  # a private id is nobody's place


@pytest.mark.parametrize("kind, members", [
    ("AggregationEvent", {"action": "ADD", "parentID": f"urn:epc:id:sscc:{PREFIX_A}.1234567890",
                          "childEPCs": [A_ITEM]}),
    ("AssociationEvent", {"action": "ADD", "parentID": f"urn:epc:id:giai:{PREFIX_A}.TANK-1",
                          "childEPCs": [f"urn:epc:id:giai:{PREFIX_A}.LOGGER-1"]}),
    ("TransactionEvent", {"action": "ADD", "epcList": [A_ITEM],
                          "bizTransactionList": [{"type": "po", "bizTransaction": "urn:x:po:1"}]}),
    ("ObjectEvent", {"action": "DELETE", "epcList": [A_ITEM]}),
])
def test_other_event_types_follow_the_place_rule_even_for_own_identifiers(
        kind: str, members: dict[str, Any]) -> None:
    event = _event(kind, **members)
    assert find_refusal(event, A) is not None  # owning the identifiers is not enough
    assert find_refusal({**event, "bizLocation": _at(A_GLN)}, A) is None
    assert find_refusal({**event, "bizLocation": _at(A_GLN)}, B) is not None


@pytest.mark.parametrize("scheme, digits, tail", [
    ("urn:epc:id:sgtin:", 13, ".SER-1"), ("urn:epc:class:lgtin:", 13, ".LOT-1"),
    ("urn:epc:idpat:sgtin:", 13, ".*"), ("urn:epc:id:sscc:", 17, "")])
@pytest.mark.parametrize("prefix_length", range(6, 13))
def test_the_digit_fast_path_agrees_with_the_canonical_digital_link(
        scheme: str, digits: int, tail: str, prefix_length: int) -> None:
    key_digits = "1" + "0614141" + "23456789012"  # reference digit first, as the URN has it
    company = key_digits[1:1 + prefix_length]
    reference = key_digits[0] + key_digits[1 + prefix_length:digits]
    urn = f"{scheme}{company}.{reference}{tail}"
    key = gs1_key(urn)
    assert key is not None
    area = company_area(urn)
    assert area is not None
    # The canonical area carries the check digit on top; every prefix decides alike.
    assert company_prefix_area(*key).startswith(area) and len(area) == digits - 1
