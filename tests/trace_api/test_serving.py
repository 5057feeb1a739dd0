"""The API process set-up (`trace_api.serving`): the recursion limit restored after the
imports that raise it, and `auth=` values never written by the access log."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys
from collections.abc import Iterator

import pytest

from anchoring.process import DEFAULT_RECURSION_LIMIT
from trace_api.serving import (
    ACCESS_LOGGER,
    REDACTED,
    prepare_process,
    redact_query,
    uvicorn_log_config,
)


@pytest.fixture
def recursion_limit() -> Iterator[None]:
    saved = sys.getrecursionlimit()
    yield
    sys.setrecursionlimit(saved)


def test_prepare_process_restores_the_default_after_eth_and_py_ecc(recursion_limit: None) -> None:
    import py_ecc  # noqa: F401 - already imported or not, the limit must end at the default

    sys.setrecursionlimit(100_000)  # what py_ecc does at import
    prepare_process()
    assert sys.getrecursionlimit() == DEFAULT_RECURSION_LIMIT
    with pytest.raises(RecursionError):
        json.loads("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(("path", "expected"), [
    ("/01/09506000134352/21/7?auth=ABCD2345", f"/01/09506000134352/21/7?auth={REDACTED}"),
    ("/x?a=1&auth=S&b=2", f"/x?a=1&auth={REDACTED}&b=2"),
    ("/x?AUTH=S", f"/x?AUTH={REDACTED}"),
    ("/x?a%75th=S", f"/x?a%75th={REDACTED}"),
    ("/x?auth=S&auth=T", f"/x?auth={REDACTED}&auth={REDACTED}"),
    ("/x?author=S&oauth=T", "/x?author=S&oauth=T"),
    ("/x?auth", "/x?auth"),
    ("/x", "/x"),
    ("/x?auth=S#frag", f"/x?auth={REDACTED}#frag"),
    ("/x?a=b%20c&uri=%2F01%2F1", "/x?a=b%20c&uri=%2F01%2F1"),
])
def test_redact_query(path: str, expected: str) -> None:
    assert redact_query(path) == expected


def test_access_log_config_redacts_auth_values() -> None:
    config = uvicorn_log_config()
    stream = io.StringIO()
    config["handlers"]["access"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        logging.getLogger(ACCESS_LOGGER).info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
            "/01/09506000134352/21/7?auth=SECRETAUTH", "1.1", 303)
    finally:
        logger = logging.getLogger(ACCESS_LOGGER)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.filters.clear()
    line = stream.getvalue()
    assert "SECRETAUTH" not in line
    assert f"/01/09506000134352/21/7?auth={REDACTED}" in line


@pytest.mark.parametrize("path", [
    # What the scan page sends: the whole Digital Link, percent-encoded, in `uri`.
    ("/v1/public/lookup?uri=http%3A%2F%2F127.0.0.1%3A8000%2F01%2F09506000100012%2F21%2F1"
     "%3F17%3D271130%26auth%3DSECRETAUTH"),
    "/v1/labels?uri=https://id.gs1.org/01/09506000100012/21/1?auth%3DSECRETAUTH",
    "/x?uri=%2F01%2F1%253Fauth%253DSECRETAUTH",  # encoded twice
    "/x?uri=%2F01%2F1%3FAUTH%3DSECRETAUTH",
])
def test_redact_query_inside_a_carried_uri(path: str) -> None:
    redacted = redact_query(path)
    assert "SECRETAUTH" not in redacted
    assert "redacted" in redacted
