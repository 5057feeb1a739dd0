"""Control characters in paths and query strings (`trace_api.url_screen`), issue 13.

Found by the adversarial suite: `%00` in a path parameter was a 500 on PostgreSQL (which
refuses U+0000 in text) and a plain miss on SQLite. Every control character is now a 400
problem before routing, on the real app's routes.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from trace_api.problems import install_problem_handlers
from trace_api.url_screen import ControlCharacterMiddleware, find_control_character

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/v1/things/{thing_id}")
    def thing(thing_id: str, q: str = "") -> dict[str, str]:
        return {"thing_id": thing_id, "q": q}

    app.add_middleware(ControlCharacterMiddleware)
    return TestClient(app)


@pytest.mark.parametrize("url", [
    "/v1/things/a%00b", "/v1/things/a%0Ab", "/v1/things/a%0D%0AInjected: 1", "/v1/things/%7F",
    "/v1/things/x?q=a%00", "/v1/things/x?q=%1B[31m", "/v1/things/x?%00=1",
])
def test_control_character_in_url_is_400_problem(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"].endswith("/control-character")


@pytest.mark.parametrize(("url", "thing_id", "q"), [
    ("/v1/things/09506000100012", "09506000100012", ""),
    ("/v1/things/x?q=a+b%20c%2B", "x", "a b c+"),  # + is a space, %2B a plus: no control
    ("/v1/things/%E6%98%8E?q=%E4%BE%AF", "明", "侯"),
    ("/v1/things/ni%3Asha-256%3Babc?q=ver%3DCBV2.0", "ni:sha-256;abc", "ver=CBV2.0"),
])
def test_ordinary_urls_pass_unchanged(client: TestClient, url: str, thing_id: str, q: str) -> None:
    assert client.get(url).json() == {"thing_id": thing_id, "q": q}


@pytest.mark.parametrize("code", [*range(0x20), 0x7F])
def test_every_c0_control_and_del_is_found(code: int) -> None:
    assert find_control_character(f"/a{chr(code)}b", b"") == "path"
    assert find_control_character("/a", b"q=%" + f"{code:02X}".encode()) == "query"
    assert find_control_character("/a", b"q=a" + bytes([code])) == "query"


@pytest.mark.parametrize("code", range(0x20, 0x7F))
def test_no_printable_ascii_is_refused(code: int) -> None:
    assert find_control_character(f"/a{chr(code)}b", b"q=%" + f"{code:02X}".encode()) is None
