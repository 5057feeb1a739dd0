"""What the API process does around `uvicorn.run`: a sane recursion limit, a clean access log.

- `prepare_process()`: the interpreter's default recursion limit, restored after every
  package that raises it has been imported. `eth` (py-evm) lifts it to 12,288 and
  `py_ecc` to 100,000 at import; with that limit a deeply nested JSON body overflows the
  C stack and kills the process (issue 13). The API runs no EVM code (it asks the node),
  so CPython's 1,000 is enough (the node keeps its own limit: `ledger_node.recursion`).
  Both packages are imported here first, so a later lazy import cannot lift the limit
  again (a module body runs once per process).
- `uvicorn_log_config()`: uvicorn's own logging set-up with `RedactAuthQuery` on the
  access log: the value of any query parameter named `auth` (the label authenticator
  of GS1 Digital Link URIs, `trace_api.labels.authenticator`) is written as `[redacted]`,
  so a log reader cannot replay a scan or learn label secrets.
"""

from __future__ import annotations

import copy
import importlib
import logging
from typing import Any, Final
from urllib.parse import quote, unquote_plus

from uvicorn.config import LOGGING_CONFIG

from anchoring.process import restore_default_recursion_limit

RECURSION_LIMIT_RAISERS: Final = ("eth", "py_ecc")
"""Packages that raise `sys.setrecursionlimit` when imported (see their `__init__.py`)."""
REDACTED_QUERY_PARAMETERS: Final = frozenset({"auth"})
"""Query parameters whose values never reach a log: label authenticators."""
REDACTED: Final = "[redacted]"
MAX_NESTED_URIS: Final = 3
"""URIs inside parameter values inside URIs looked into; more is no real request's shape."""
ACCESS_LOGGER: Final = "uvicorn.access"
_REQUEST_PATH_ARG: Final = 2
"""uvicorn's access record args: (client_addr, method, full_path, http_version, status)."""


def prepare_process() -> None:
    """Import the packages that raise the recursion limit, then restore the default.

    Call once in the process entry that serves the app, after `create_app`.
    """
    for name in RECURSION_LIMIT_RAISERS:
        importlib.import_module(name)
    restore_default_recursion_limit()


def redact_query(path: str, *, _nesting: int = 0) -> str:
    """`path` with the value of every `REDACTED_QUERY_PARAMETERS` parameter replaced.

    Names are compared after percent-decoding and case-folding (`AUTH=`, `a%75th=` too);
    URIs carried in other parameters' values are redacted the same way (up to
    `MAX_NESTED_URIS` levels deep, each percent-decoded once more); everything else of the
    path is kept byte for byte.
    """
    base, separator, query = path.partition("?")
    if not separator:
        return path
    fragment_separator = "#" if "#" in query else ""
    query, _hash, fragment = query.partition("#")
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if equals and unquote_plus(name).strip().casefold() in REDACTED_QUERY_PARAMETERS:
            part = f"{name}={REDACTED}"
        elif equals and _nesting < MAX_NESTED_URIS:
            # A parameter may carry a whole Digital Link (`/v1/public/lookup?uri=...%3Fauth%3D..`,
            # what the scan page sends): redact inside the decoded value too.
            decoded = _fully_decoded(value)
            redacted = redact_query(decoded, _nesting=_nesting + 1)
            if redacted != decoded:
                part = f"{name}={quote(redacted, safe='/:')}"
        parts.append(part)
    return base + "?" + "&".join(parts) + fragment_separator + fragment


def _fully_decoded(value: str) -> str:
    """`value` percent-decoded until it stops changing (at most `MAX_NESTED_URIS` times), so a
    doubly encoded `auth%253D` is seen as `auth=`."""
    for _ in range(MAX_NESTED_URIS):
        decoded = unquote_plus(value)
        if decoded == value:
            break
        value = decoded
    return value


class RedactAuthQuery(logging.Filter):
    """Redacts `auth=` values in uvicorn access records (and in any message text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _REQUEST_PATH_ARG and isinstance(
            args[_REQUEST_PATH_ARG], str
        ):
            record.args = (*args[:_REQUEST_PATH_ARG], redact_query(args[_REQUEST_PATH_ARG]),
                           *args[_REQUEST_PATH_ARG + 1:])
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = " ".join(redact_query(word) for word in record.msg.split(" "))
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default `log_config` with `RedactAuthQuery` on the access logger and handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_auth"] = {"()": f"{__name__}.RedactAuthQuery"}
    config["handlers"]["access"].setdefault("filters", []).append("redact_auth")
    config["loggers"][ACCESS_LOGGER].setdefault("filters", []).append("redact_auth")
    return config
