"""One comparable key per physical thing, whichever way an event spells it.

EPCIS 2.0 lets an event name the same object as an EPC URN
(`urn:epc:id:sgtin:0614141.107346.2017`) or as a GS1 Digital Link URI
(`https://id.gs1.org/01/00614141073467/21/2017`). The audit rules compare objects across
enterprises, so every identifier is reduced to its canonical Digital Link URI (stem
`https://id.gs1.org`, the form `RecallRegistry` subjects are hashed from). URIs that are
neither (private URNs, unknown schemes) are kept verbatim: they still compare equal to
themselves. Conversion follows the GS1 EPC Tag Data Standard 2.0 §6/§7 (EPC URI ↔ GS1 keys).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import lru_cache
from urllib.parse import unquote

from trace_api.gs1.charset import compute_check_digit
from trace_api.gs1.digital_link import (
    DEFAULT_STEM,
    build_digital_link,
    canonical_link,
    format_digital_link,
    parse_digital_link,
)
from trace_api.gs1.errors import GS1Error

_EPC_ID = "urn:epc:id:"
_EPC_CLASS = "urn:epc:class:"
_EPC_IDPAT = "urn:epc:idpat:"


def _gtin_from_epc(company_prefix: str, item_reference: str) -> str:
    # TDS 2.0 §7.1: indicator digit (first of the item reference) + prefix + rest + check digit
    payload = item_reference[:1] + company_prefix + item_reference[1:]
    return payload + str(compute_check_digit(payload))


def _sscc_from_epc(company_prefix: str, serial_reference: str) -> str:
    # TDS 2.0 §7.2: extension digit + prefix + rest of the serial reference + check digit
    payload = serial_reference[:1] + company_prefix + serial_reference[1:]
    return payload + str(compute_check_digit(payload))


def _link(pairs: list[tuple[str, str]]) -> str | None:
    try:
        return canonical_uri_of_pairs(pairs)
    except GS1Error:
        return None


def canonical_uri_of_pairs(pairs: list[tuple[str, str]]) -> str:
    """Canonical Digital Link URI for GS1 AI pairs (raises GS1Error on bad values)."""
    return format_digital_link(build_digital_link(pairs, stem=DEFAULT_STEM))


def _from_epc_urn(uri: str) -> str | None:
    if uri.startswith(_EPC_ID):
        scheme, _, value = uri[len(_EPC_ID):].partition(":")
        parts = value.split(".")
        if scheme == "sgtin" and len(parts) == 3:
            return _link([("01", _gtin_from_epc(parts[0], parts[1])), ("21", unquote(parts[2]))])
        if scheme == "sscc" and len(parts) == 2:
            return _link([("00", _sscc_from_epc(parts[0], parts[1]))])
        if scheme == "giai" and len(parts) == 2:
            return _link([("8004", parts[0] + unquote(parts[1]))])
        if scheme == "sgln" and len(parts) == 3:
            gln_payload = parts[0] + parts[1]
            gln = gln_payload + str(compute_check_digit(gln_payload))
            extension = unquote(parts[2])
            pairs = [("414", gln)] + ([("254", extension)] if extension not in ("", "0") else [])
            return _link(pairs)
        return None
    if uri.startswith(_EPC_CLASS):
        scheme, _, value = uri[len(_EPC_CLASS):].partition(":")
        parts = value.split(".")
        if scheme == "lgtin" and len(parts) == 3:
            return _link([("01", _gtin_from_epc(parts[0], parts[1])), ("10", unquote(parts[2]))])
        return None
    if uri.startswith(_EPC_IDPAT):
        scheme, _, value = uri[len(_EPC_IDPAT):].partition(":")
        parts = value.split(".")
        if scheme == "sgtin" and len(parts) == 3 and parts[2] == "*":
            return _link([("01", _gtin_from_epc(parts[0], parts[1]))])
    return None


@lru_cache(maxsize=65_536)
def identifier_key(uri: str) -> str:
    """The canonical Digital Link URI of an EPC URN or Digital Link, else `uri` unchanged.

    Never raises: a malformed GS1 identifier is compared verbatim (capture validated
    its URI syntax; the audit must still be able to name it in a finding).
    """
    text = uri.strip()
    if text.startswith("urn:epc:"):
        return _from_epc_urn(text) or text
    if text.startswith(("http://", "https://")):
        try:
            link = canonical_link(parse_digital_link(text))
        except GS1Error:
            return text
        # The key and its qualifiers name the thing; data attributes (expiry, ...) and
        # resolver parameters (linkType, our authenticator) do not.
        return format_digital_link(replace(link, data_attributes=()))
    return text


def gtin_key(key: str) -> str | None:
    """For a trade-item key (`.../01/<gtin>[/10/..][/21/..]`) the GTIN-only key, else None."""
    prefix = DEFAULT_STEM + "/01/"
    if not key.startswith(prefix):
        return None
    gtin = key[len(prefix):].split("/", 1)[0].split("?", 1)[0]
    return prefix + gtin


def gtin_of(key: str) -> str | None:
    """The 14-digit GTIN of a trade-item key, else None."""
    only = gtin_key(key)
    return only.rsplit("/", 1)[1] if only else None


def giai_of(key: str) -> str | None:
    """The GIAI of an individual-asset key (`.../8004/<giai>`), else None."""
    prefix = DEFAULT_STEM + "/8004/"
    if not key.startswith(prefix):
        return None
    return unquote(key[len(prefix):].split("?", 1)[0])


def recall_subject(key: str) -> str:
    """`RecallRegistry` subject of a canonical Digital Link URI: 0x + SHA-256 of its UTF-8."""
    return "0x" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def recall_subjects_covering(key: str) -> tuple[str, ...]:
    """Subjects whose recall covers `key`: the key itself and, for trade items, its GTIN.

    A recall of a GTIN covers every lot and serial of it; a recall of GTIN + lot covers
    that lot. (An SGTIN carries no lot, so a lot recall reaches serialised items only
    through the events that put them into or made them from the lot.)
    """
    subjects = [recall_subject(key)]
    only_gtin = gtin_key(key)
    if only_gtin is not None and only_gtin != key:
        subjects.append(recall_subject(only_gtin))
    return tuple(subjects)
