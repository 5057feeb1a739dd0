"""One custodial enterprise registered through the API and one commissioning event it
captures: the smallest end-to-end record the `up` tests follow until it is anchored."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime

import httpx

from testing.system import random_company_prefix, random_uscc, with_check_digit


def capture_one_event(api: str, admin_key: str, farm_name: str) -> tuple[dict[str, str], str]:
    """Register `farm_name` (custodial; a transaction the API sends) and capture one event;
    return the farm's auth headers and the URL of the event's proof bundle."""
    prefix = random_company_prefix()
    gln = with_check_digit(prefix + "100")
    registered = httpx.post(
        f"{api}/v1/enterprises", headers={"Authorization": f"Bearer {admin_key}"}, timeout=60,
        json={"name": farm_name, "uscc": random_uscc(), "sectors": ["food"],
              "companyPrefixes": [prefix], "glns": [gln], "custody": "custodial"})
    assert registered.status_code == 201, registered.text
    farm = {"Authorization": f"Bearer {registered.json()['apiKey']['key']}"}
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    gtin = "0" + with_check_digit(prefix + "001")
    captured = httpx.post(f"{api}/v1/capture", headers=farm, timeout=120, json={
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": now,
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "eventTime": now, "eventTimeZoneOffset": "+08:00",
            "epcList": [f"https://id.gs1.org/01/{gtin}/21/1"], "action": "ADD",
            "bizStep": "commissioning", "disposition": "active",
            "bizLocation": {"id": f"https://id.gs1.org/414/{gln}"}}]}})
    assert captured.status_code == 202, captured.text
    [result] = captured.json()["events"]
    assert result["status"] == "accepted", result
    return farm, f"{api}/v1/events/{urllib.parse.quote(result['eventHashId'], safe='')}/proof"
