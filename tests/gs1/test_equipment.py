"""Registration code -> GIAI mapping (scheme in gs1/equipment.py)."""

from __future__ import annotations

import pytest

from gs1 import format_digital_link, giai_from_registration_code, link_for_asset
from gs1.errors import InvalidRegistrationCodeError


def test_equipment_code_is_kept() -> None:
    assert giai_from_registration_code("6901234", "3110 330100 2019 0001") == (
        "690123431103301002019" + "0001"
    )


def test_certificate_number_is_transliterated() -> None:
    giai = giai_from_registration_code("6901234", "梯11京A00123（17）")
    assert giai == "6901234T1111A00123(17)"
    assert format_digital_link(link_for_asset(giai)) == (
        "https://id.gs1.org/8004/6901234T1111A00123%2817%29"
    )


@pytest.mark.parametrize(
    ("prefix", "code"),
    [("12345", "31100001"), ("6901234", "梯11京A00123号"), ("6901234", ""), ("6901234", "9" * 24)],
)
def test_rejects(prefix: str, code: str) -> None:
    with pytest.raises(InvalidRegistrationCodeError):
        giai_from_registration_code(prefix, code)
