"""The client address the served API believes (issue 13): the TCP peer, not a header.

uvicorn trusts `X-Forwarded-For` from 127.0.0.1 by default, so any local client could pick
the address the rate limiter charges and the clone alarm counts as a place. The API serves
with proxy headers off unless `TRACELEDGER_API_FORWARDED_ALLOW_IPS` names a proxy. The
access log shows which address the server took, so the test reads it there.
"""

from __future__ import annotations

import secrets
import time

import httpx

from testing.system import LiveSystem

LOG_WAIT_S = 10.0
FORGED_ADDRESS = "203.0.113.77"  # TEST-NET-3 (RFC 5737): never a real peer here


def test_forwarded_for_header_does_not_choose_the_client_address(live_system: LiveSystem) -> None:
    marker = secrets.token_hex(8)
    httpx.get(f"{live_system.api_url}/healthz?m={marker}", timeout=30,
              headers={"X-Forwarded-For": FORGED_ADDRESS, "Forwarded": f"for={FORGED_ADDRESS}"})
    deadline = time.monotonic() + LOG_WAIT_S
    line = None
    while line is None and time.monotonic() < deadline:
        line = next((row for row in live_system.log_text().splitlines() if marker in row), None)
        time.sleep(0.2)  # the access log line is written after the response
    assert line is not None, "the access log shows no request at all"
    assert FORGED_ADDRESS not in line
    assert "127.0.0.1" in line
