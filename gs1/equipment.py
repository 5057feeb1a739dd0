"""China special-equipment registration codes mapped to GS1 GIAI (AI 8004).

Scheme (TraceLedger's choice, version 1; changing it changes printed codes):

    GIAI = GS1 Company Prefix of the registering owner or authority
           + the registration code, transliterated to GS1 character set 82

A special-equipment code (设备代码, TSG 08) is digits and letters already and is
kept as it is (upper-cased). A use-registration certificate number (使用登记证编号)
such as ``梯11京A00123（17）`` contains Chinese characters; these are replaced
one for one by fixed ASCII codes so the result stays unique and readable:

* the equipment-category character: 锅 G (boiler), 容 R (pressure vessel),
  瓶 P (gas cylinder), 管 D (pressure piping), 梯 T (lift), 起 Q (crane),
  索 S (passenger ropeway), 游 Y (amusement device), 车 C (site vehicle);
* a province abbreviation: its two-digit GB/T 2260 code (京 11, 沪 31, ...);
* full-width brackets and spaces are normalised (NFKC) and spaces removed.

Anything else outside character set 82 is rejected. The GIAI must fit 30
characters, so prefix + code <= 30. The mapping is one-way by design: the
original registration code is kept in the equipment record, and the GIAI is
the key the label and the resolver use.
"""

from __future__ import annotations

import unicodedata

from gs1.charset import CSET_82, first_char_outside
from gs1.errors import GS1Error, InvalidRegistrationCodeError
from gs1.keys import verify_giai

GIAI_MAX_LENGTH = 30  # AI (8004) is X..30
COMPANY_PREFIX_LENGTHS = range(6, 13)  # GS1 Company Prefixes are 6 to 12 digits

CATEGORY_CODES = {
    "锅": "G", "容": "R", "瓶": "P", "管": "D", "梯": "T",
    "起": "Q", "索": "S", "游": "Y", "车": "C",
}  # fmt: skip
PROVINCE_CODES = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "蒙": "15", "辽": "21", "吉": "22",
    "黑": "23", "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36",
    "鲁": "37", "豫": "41", "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46",
    "渝": "50", "川": "51", "贵": "52", "云": "53", "藏": "54", "陕": "61", "甘": "62",
    "青": "63", "宁": "64", "新": "65",
}  # fmt: skip


def transliterate_registration_code(registration_code: str) -> str:
    """Return the character-set-82 form of a registration code (see module docstring).

    Raises :class:`InvalidRegistrationCodeError` naming the first character that has
    no mapping, or when the code is empty.
    """
    text = unicodedata.normalize("NFKC", registration_code).replace(" ", "").upper()
    if not text:
        raise InvalidRegistrationCodeError("registration code is empty")
    out = "".join(CATEGORY_CODES.get(c) or PROVINCE_CODES.get(c) or c for c in text)
    bad = first_char_outside(out, CSET_82)
    if bad is not None:
        raise InvalidRegistrationCodeError(
            f"registration code character {bad!r} has no GS1 character set 82 mapping"
        )
    return out


def giai_from_registration_code(company_prefix: str, registration_code: str) -> str:
    """Return the GIAI for a registration code under ``company_prefix`` (6-12 digits).

    Raises :class:`InvalidRegistrationCodeError` for a bad prefix, an unmappable
    code, or a result longer than 30 characters.
    """
    if not (company_prefix.isascii() and company_prefix.isdigit()) or len(
        company_prefix
    ) not in COMPANY_PREFIX_LENGTHS:
        raise InvalidRegistrationCodeError("GS1 Company Prefix must be 6 to 12 digits")
    giai = company_prefix + transliterate_registration_code(registration_code)
    if len(giai) > GIAI_MAX_LENGTH:
        raise InvalidRegistrationCodeError(
            f"GIAI would be {len(giai)} characters; AI (8004) allows {GIAI_MAX_LENGTH}"
        )
    try:
        verify_giai(giai)
    except GS1Error as exc:  # pragma: no cover - guarded by the checks above
        raise InvalidRegistrationCodeError(exc.reason) from exc
    return giai
