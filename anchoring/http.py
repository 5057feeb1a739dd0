"""Read-only HTTP serving of the log, laid out exactly as C2SP tlog-tiles.

`create_log_router(store)` returns an APIRouter that trace_api mounts under `/log`:

- `GET /log/checkpoint`: the signed checkpoint, text/plain, not cacheable beyond seconds.
- `GET /log/tile/<L>/<N>[.p/<W>]`: hash tiles; `GET /log/tile/entries/<N>[.p/<W>]`: entry
  bundles (gzip when the client accepts it). Immutable, cached for a year.
- `GET /log/proof/inclusion?leaf_index=&tree_size=` and
  `GET /log/proof/consistency?old_size=&new_size=`: JSON helpers (hex hashes) computed from
  the same tiles, for clients that do not want to fetch tiles themselves.

`create_app(settings)` wraps the router in a small standalone app for `traceledger log serve`.
"""

from __future__ import annotations

import gzip
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from anchoring.core.errors import IndexOutOfRangeError
from anchoring.errors import TileFormatError, TileUnavailableError
from anchoring.store import LogStore
from anchoring.tiles import parse_tile_path

IMMUTABLE = "public, max-age=31536000, immutable"
"""tlog-tiles: tiles and bundles are immutable, "caching headers SHOULD be long-lived"."""
CHECKPOINT_CACHE = "no-cache"
"""tlog-tiles §Checkpoints: "headers SHOULD prevent caching beyond a few seconds"."""
TEXT = "text/plain; charset=utf-8"
OCTETS = "application/octet-stream"


class InclusionProofResponse(BaseModel):
    """PATH(leaf_index, D[tree_size]) with the root it leads to (hex)."""

    leaf_index: int
    tree_size: int
    root_hash: str
    proof: list[str]


class ConsistencyProofResponse(BaseModel):
    """PROOF(old_size, D[new_size]) with both roots (hex)."""

    old_size: int
    new_size: int
    old_root_hash: str
    new_root_hash: str
    proof: list[str]


def create_log_router(store: LogStore) -> APIRouter:
    """The `/log/...` routes reading `store`; mount with `app.include_router(router, prefix="/log")`."""
    router = APIRouter(tags=["log"])

    @router.get("/checkpoint")
    def checkpoint() -> Response:
        checkpoint = store.served_checkpoint()  # with any witness cosignatures collected
        if checkpoint is None:
            return Response("no checkpoint published yet\n", 404, media_type=TEXT)
        return Response(checkpoint, media_type=TEXT, headers={"Cache-Control": CHECKPOINT_CACHE})

    @router.get("/tile/{tile_path:path}")
    def tile(tile_path: str, request: Request) -> Response:
        try:
            ref = parse_tile_path("tile/" + tile_path)
            if ref.level is None:
                body = store.read_bundle(ref.index, ref.width)
            else:
                body = store.read_tile(ref.level, ref.index, ref.width)
        except TileFormatError as exc:
            return Response(f"{exc}\n", 400, media_type=TEXT)
        except TileUnavailableError:
            return Response("tile not found\n", 404, media_type=TEXT)
        headers = {"Cache-Control": IMMUTABLE}
        if ref.level is None:
            # tlog-tiles §Log entries: bundles SHOULD be compressed at the HTTP layer.
            headers["Vary"] = "Accept-Encoding"
            if "gzip" in request.headers.get("accept-encoding", ""):
                body = gzip.compress(body, compresslevel=6)
                headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=OCTETS, headers=headers)

    @router.get("/proof/inclusion", response_model=InclusionProofResponse)
    def inclusion(
        leaf_index: Annotated[int, Query(ge=0)], tree_size: Annotated[int, Query(ge=1)]
    ) -> InclusionProofResponse | JSONResponse:
        try:
            hashes = store.tile_hashes(tree_size)
            proof = store.inclusion_proof(leaf_index, tree_size)
            root = hashes.root()
        except (TileUnavailableError, IndexOutOfRangeError) as exc:
            return JSONResponse({"detail": str(exc)}, 404)
        return InclusionProofResponse(
            leaf_index=leaf_index,
            tree_size=tree_size,
            root_hash=root.hex(),
            proof=[h.hex() for h in proof],
        )

    @router.get("/proof/consistency", response_model=ConsistencyProofResponse)
    def consistency(
        old_size: Annotated[int, Query(ge=0)], new_size: Annotated[int, Query(ge=0)]
    ) -> ConsistencyProofResponse | JSONResponse:
        try:
            proof = store.consistency_proof(old_size, new_size)
            old_root, new_root = store.root_at(old_size), store.root_at(new_size)
        except (TileUnavailableError, IndexOutOfRangeError) as exc:
            return JSONResponse({"detail": str(exc)}, 404)
        return ConsistencyProofResponse(
            old_size=old_size,
            new_size=new_size,
            old_root_hash=old_root.hex(),
            new_root_hash=new_root.hex(),
            proof=[h.hex() for h in proof],
        )

    return router


class LogServeSettings(BaseModel):
    """Settings of the standalone log server."""

    database_url: str
    table_prefix: str = "tl_"


def create_app(settings: LogServeSettings, *, store: LogStore | None = None) -> FastAPI:
    """A FastAPI app serving the log at `/log/...` (and nothing else)."""
    log_store = store or LogStore.open(settings.database_url, table_prefix=settings.table_prefix)
    app = FastAPI(title="TraceLedger log", docs_url=None, redoc_url=None)
    app.include_router(create_log_router(log_store), prefix="/log")
    app.state.store = log_store
    return app
