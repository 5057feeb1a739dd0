"""CBV 2.0 vocabularies as the EPCIS 2.0 JSON binding accepts them.

A CBV-valued member (bizStep, disposition, ...) is valid when it is either a bare CBV word from
CBV 2.0's lists (``shipping``) or an absolute URI that is *not* in GS1's own namespace: compact
IRIs (``cbv:BizStep-shipping``, ``gs1:Temperature``) and user vocabularies
(``https://example.org/steps/x``) pass, but full GS1 URIs (``https://ns.gs1.org/cbv/...``,
``urn:epcglobal:cbv:...``) are refused -- the JSON binding wants the bare word for those, and
the official schema encodes exactly that with a negative look-ahead.
"""

from __future__ import annotations

import re

from anchoring.core.event_hash import terms
from trace_api.epcis.formats import is_uri

# The bare words are CBV 2.0 §7's, from the one table the Event Hash ID expands them with
# (`anchoring.core.event_hash.terms`, checked against GS1's files there): every word
# validation accepts is one the hash knows.
BIZ_STEPS = frozenset(terms.BIZ_STEPS)  # CBV 2.0 §7.1
DISPOSITIONS = frozenset(terms.DISPOSITIONS)  # §7.2
BIZ_TRANSACTION_TYPES = frozenset(terms.BIZ_TRANSACTION_TYPES)  # §7.3
SOURCE_DESTINATION_TYPES = frozenset(terms.SOURCE_DESTINATION_TYPES)  # §7.4
ERROR_REASONS = frozenset(terms.ERROR_REASONS)  # §7.5
MEASUREMENT_TYPES = frozenset(terms.MEASUREMENT_TYPES)  # gs1: web vocabulary, used bare
SENSOR_ALERT_TYPES = frozenset(terms.SENSOR_ALERT_TYPES)
COMPONENTS = frozenset(terms.SENSOR_COMPONENTS)  # coordinate components

# The GS1 namespaces a URI-valued CBV member must not use (schema "vocab-other-uri").
_GS1_CBV_URI = re.compile(r"urn:epcglobal:cbv|https?://ns\.gs1\.org/cbv/")
# ... and for sensor measurement/alert types (schema "vocab-nonGS1WebVoc-uri").
_GS1_WEB_VOC_URI = re.compile(r"https?://gs1\.org/voc/|https?://www\.gs1\.org/voc/")


def is_cbv_value(value: str, bare_words: frozenset[str]) -> bool:
    """True iff ``value`` is one of ``bare_words`` or a URI outside GS1's CBV namespaces."""
    if value in bare_words:
        return True
    return is_uri(value) and _GS1_CBV_URI.match(value) is None


def is_sensor_vocabulary_value(value: str, bare_words: frozenset[str]) -> bool:
    """True iff ``value`` is one of ``bare_words`` or a URI outside the GS1 web vocabulary."""
    if value in bare_words:
        return True
    return is_uri(value) and _GS1_WEB_VOC_URI.match(value) is None
