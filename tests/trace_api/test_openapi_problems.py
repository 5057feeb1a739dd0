"""The OpenAPI document says what the problem handlers do: request validation answers 400
with a problem (FastAPI's 422 and its validation schemas are gone), every operation may
answer 429, secured ones 401/403; a 422 a route documents itself is kept."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from fastapi.security import HTTPBearer
from fastapi.testclient import TestClient
from pydantic import BaseModel

from trace_api.problems import (
    PROBLEM_JSON,
    document_problems,
    install_problem_handlers,
    problem_responses,
)


class Body(BaseModel):
    name: str


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/plain")
    def plain(depth: Annotated[int, Query(ge=0, le=3)] = 1) -> dict[str, int]:
        return {"depth": depth}

    @app.post("/secured", responses=problem_responses(422))
    def secured(body: Body, _token: Annotated[Any, Depends(HTTPBearer())]) -> dict[str, str]:
        return {"name": body.name}

    build = app.openapi
    app.openapi = lambda: document_problems(build())  # type: ignore[method-assign]
    return app


def test_validation_is_documented_as_400_problem() -> None:
    document = make_app().openapi()
    plain = document["paths"]["/plain"]["get"]["responses"]
    assert sorted(plain) == ["200", "400", "429"]
    assert plain["400"]["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    secured = document["paths"]["/secured"]["post"]["responses"]
    assert sorted(secured) == ["200", "400", "401", "403", "413", "415", "422", "429"]
    assert secured["422"]["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ValidationError" not in document["components"]["schemas"]


def test_validation_answers_400_problem() -> None:
    response = TestClient(make_app()).get("/plain", params={"depth": 9})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == "https://traceledger.dev/problems/invalid-request"
    assert response.json()["errors"][0]["location"] == "query/depth"
