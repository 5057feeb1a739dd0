"""Every AI of GS1's syntax dictionary behaves by its rule: no list of AIs the vectors happen to use.

For each AI the table holds, a value is built from its components (the naive reference
below knows the linters, not the AIs); the tests then break one rule at a time: a fixed
length, a check digit, a date, a character set, a requisite, an exclusion.
"""

from __future__ import annotations

import pytest

from anchoring.core.check_digit import compute_check_digit
from gs1 import parse_digital_link
from gs1.ai_table import AIRule, Component, ai_rules, matches_pattern
from gs1.ai_values import verify_ai_value
from gs1.associations import verify_associations
from gs1.errors import AIAssociationError, CheckDigitError, InvalidAIValueError
from gs1.linters import compute_check_pair

_FIXED_SAMPLES = {  # a valid component text for linters that restrict the value to a set
    "yymmd0": "250115", "yymmdd": "250115", "yyyymmd0": "20250115", "yyyymmdd": "20250115",
    "hhmi": "1230", "hh": "12", "mi": "30", "ss": "30", "zero": "0", "winding": "1",
    "yesno": "1", "iso5218": "1", "iso3166": "156", "iso3166999": "156", "iso4217": "978",
    "iso3166alpha2": "CN", "mediatype": "01", "pieceoftotal": "0102", "hyphen": "-",
    "packagetype": "PK", "posinseqslash": "1/2", "iban": "GB82WEST12345698765432",
    "latitude": "0900000000", "longitude": "1800000000",
}
_UNBUILDABLE = {"couponcode", "couponposoffer"}  # structured coupons: see the linter vectors


def _component_sample(component: Component) -> str | None:
    linters = set(component.linters)
    if linters & _UNBUILDABLE:
        return None
    for linter in component.linters:
        if linter in _FIXED_SAMPLES:
            return _FIXED_SAMPLES[linter]
    length = component.max_length if component.min_length == component.max_length else min(
        component.max_length, 8)
    if component.kind == "N":
        body = ("1234567890" * 4)[: length - ("csum" in linters)]
        return body + str(compute_check_digit(body)) if "csum" in linters else body
    if "csumalpha" in linters:
        payload = "1234AB"[: max(length - 2, 4)]
        return payload + compute_check_pair(payload)
    return ("1234ABCD" * 12)[:length] if component.kind != "Z" else "QUJD"[: length]


def sample_value(rule: AIRule) -> str | None:
    """A value the rule accepts, built from its components only (None for coupons)."""
    parts = [_component_sample(c) for c in rule.components if not c.optional]
    return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]


RULES = sorted(ai_rules().values(), key=lambda rule: rule.ai)
BUILDABLE = [rule for rule in RULES if sample_value(rule) is not None]


def test_the_table_is_gs1s_whole_dictionary() -> None:
    assert len(RULES) >= 500  # GS1's syntax dictionary, not the AIs some vectors use
    assert len(BUILDABLE) >= len(RULES) - 2


@pytest.mark.parametrize("rule", BUILDABLE, ids=lambda rule: rule.ai)
def test_every_ai_accepts_a_value_built_by_its_rule(rule: AIRule) -> None:
    verify_ai_value(rule.ai, sample_value(rule) or "")


FIXED = [r for r in BUILDABLE if all(c.min_length == c.max_length and not c.optional
                                     for c in r.components)]


@pytest.mark.parametrize("rule", FIXED, ids=lambda rule: rule.ai)
def test_fixed_length_ais_refuse_any_other_length(rule: AIRule) -> None:
    value = sample_value(rule) or ""
    for wrong in (value[:-1], value + value[-1]):
        with pytest.raises(InvalidAIValueError, match="length" if wrong else "empty"):
            verify_ai_value(rule.ai, wrong)


@pytest.mark.parametrize("rule", BUILDABLE, ids=lambda rule: rule.ai)
def test_no_ai_accepts_more_than_its_maximum_length(rule: AIRule) -> None:
    too_long = (sample_value(rule) or "") + "1" * rule.max_length
    with pytest.raises(InvalidAIValueError):
        verify_ai_value(rule.ai, too_long)


def _offset_of(rule: AIRule, linter: str) -> int | None:
    """End offset of the first mandatory component carrying ``linter``."""
    offset = 0
    for component in rule.components:
        if component.optional:
            return None
        offset += len(_component_sample(component) or "")
        if linter in component.linters:
            return offset
    return None


CHECK_DIGIT = [r for r in BUILDABLE if _offset_of(r, "csum") is not None]


@pytest.mark.parametrize("rule", CHECK_DIGIT, ids=lambda rule: rule.ai)
def test_check_digit_ais_refuse_a_wrong_digit(rule: AIRule) -> None:
    value = sample_value(rule) or ""
    end = _offset_of(rule, "csum") or 0
    wrong = str((int(value[end - 1]) + 1) % 10)
    with pytest.raises(CheckDigitError):
        verify_ai_value(rule.ai, value[: end - 1] + wrong + value[end:])


DATES = [r for r in BUILDABLE for linter in ("yymmd0", "yymmdd", "yyyymmd0", "yyyymmdd")
         if _offset_of(r, linter) is not None]


@pytest.mark.parametrize("rule", DATES, ids=lambda rule: rule.ai)
def test_date_ais_refuse_month_13_and_day_32(rule: AIRule) -> None:
    value = sample_value(rule) or ""
    linter = next(c.linters[0] for c in rule.components if c.linters and "mm" in c.linters[0])
    end = _offset_of(rule, linter) or 0
    for month_day in ("1301", "0132"):
        with pytest.raises(InvalidAIValueError, match="date"):
            verify_ai_value(rule.ai, value[: end - 4] + month_day + value[end:])
    if linter.endswith("dd"):
        with pytest.raises(InvalidAIValueError, match="day 00"):
            verify_ai_value(rule.ai, value[: end - 2] + "00" + value[end:])


NUMERIC = [r for r in BUILDABLE if r.components[0].kind == "N"]


@pytest.mark.parametrize("rule", NUMERIC, ids=lambda rule: rule.ai)
def test_numeric_components_refuse_a_letter(rule: AIRule) -> None:
    value = sample_value(rule) or ""
    with pytest.raises(InvalidAIValueError, match="digits only"):
        verify_ai_value(rule.ai, "A" + value[1:])


def _concrete(pattern: str) -> str:
    return pattern.replace("n", "0")


def _with_requisites(ai: str, depth: int = 3) -> dict[str, str]:
    """``ai`` with the first alternative of each of its ``req`` groups, recursively."""
    chosen = {ai: sample_value(ai_rules()[ai]) or ""}
    for group in ai_rules()[ai].requires:
        if any(all(any(matches_pattern(c, p) for c in chosen) for p in alt) for alt in group):
            continue
        for pattern in group[0]:
            other = _concrete(pattern)
            if other in ai_rules() and depth:
                chosen = {**_with_requisites(other, depth - 1), **chosen}
    return chosen


WITH_REQUISITES = [r for r in BUILDABLE if r.requires]


@pytest.mark.parametrize("rule", WITH_REQUISITES, ids=lambda rule: rule.ai)
def test_an_ai_without_its_requisite_is_refused(rule: AIRule) -> None:
    with pytest.raises(AIAssociationError, match=f"\\({rule.ai}\\) requires"):
        verify_associations([(rule.ai, sample_value(rule) or "")])


def _valid(pairs: dict[str, str]) -> bool:
    try:
        verify_associations(list(pairs.items()))
    except AIAssociationError:
        return False
    return True


def test_requisites_satisfied_are_accepted() -> None:
    satisfied = [r.ai for r in WITH_REQUISITES if _valid(_with_requisites(r.ai))]
    assert len(satisfied) >= 0.8 * len(WITH_REQUISITES)


EXCLUSIONS = [(r.ai, _concrete(p)) for r in BUILDABLE for p in r.excludes
              if _concrete(p) in ai_rules() and _concrete(p) != r.ai]


def test_every_exclusion_pair_is_refused() -> None:
    checked = 0
    for ai, other in EXCLUSIONS:
        mine, theirs = _with_requisites(ai), _with_requisites(other)
        if not (_valid(mine) and _valid(theirs)) or other in mine or ai in theirs:
            continue
        with pytest.raises(AIAssociationError, match="may not appear with"):
            verify_associations(list({**mine, **theirs}.items()))
        checked += 1
    assert checked >= 0.5 * len(EXCLUSIONS)


DATA_ATTRIBUTES = [r for r in BUILDABLE if r.dl_data_attribute and not r.is_primary_key
                   and r.ai not in ai_rules()["01"].qualifiers]


@pytest.mark.parametrize("rule", DATA_ATTRIBUTES, ids=lambda rule: rule.ai)
def test_digital_link_data_attributes_parse_after_a_gtin(rule: AIRule) -> None:
    """`?3150=000500` (net volume, litres) and the like: every '?' AI may follow /01/."""
    from gs1.percent import escape_query_component

    value = sample_value(rule) or ""
    uri = f"https://example.com/01/09506000134352?{rule.ai}={escape_query_component(value)}"
    try:
        link = parse_digital_link(uri)
    except AIAssociationError:
        return  # an exclusion or a further requisite of this AI, tested above
    assert (rule.ai, value) in link.element_pairs()
