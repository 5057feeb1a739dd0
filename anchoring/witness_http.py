"""The witness's HTTP interface, c2sp.org/tlog-witness: `POST /add-checkpoint`.

Push mode: a log sends `old <size>`, consistency proof lines (base64), a blank line and
its signed checkpoint; the witness answers with its cosignature line(s) or the status
the spec prescribes (see `Witness.add_checkpoint`). Also `request_cosignature`, the log
side of the same call.
"""

from __future__ import annotations

import base64
import binascii
import re

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response

from anchoring.errors import AddCheckpointRejected
from anchoring.witness import Witness

MAX_PROOF_LINES = 63
"""tlog-witness §add-checkpoint: "The client MUST NOT send more than 63 consistency proof lines"."""
_OLD_SIZE = re.compile(r"old (0|[1-9][0-9]*)")


def parse_add_checkpoint(body: str) -> tuple[int, list[bytes], str]:
    """Split a request body into (old size, proof hashes, signed checkpoint); 400 if malformed."""
    head, separator, checkpoint = body.partition("\n\n")
    if not separator:
        raise AddCheckpointRejected(400, "request has no blank line before the checkpoint")
    lines = head.split("\n")
    match = _OLD_SIZE.fullmatch(lines[0])
    if match is None:
        raise AddCheckpointRejected(400, "first line must be `old <size>` in canonical decimal")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise AddCheckpointRejected(400, f"more than {MAX_PROOF_LINES} proof lines")
    proof = []
    for line in lines[1:]:
        try:
            value = base64.b64decode(line, validate=True)
        except binascii.Error as exc:
            raise AddCheckpointRejected(400, "proof line is not base64") from exc
        if len(value) != 32 or base64.b64encode(value).decode() != line:
            raise AddCheckpointRejected(400, "proof line is not one canonical base64 hash")
        proof.append(value)
    return int(match.group(1)), proof, checkpoint


def create_witness_app(witness: Witness) -> FastAPI:
    """A FastAPI app serving `POST /add-checkpoint` for `witness`."""
    app = FastAPI(title="TraceLedger witness", docs_url=None, redoc_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        try:
            body = (await request.body()).decode("utf-8")
            old_size, proof, checkpoint = parse_add_checkpoint(body)
            lines = witness.add_checkpoint(checkpoint, old_size, proof)
        except UnicodeDecodeError:
            return Response("request is not UTF-8\n", 400, media_type="text/plain")
        except AddCheckpointRejected as exc:
            if exc.status == 409:
                # Exactly this type (Starlette would append a charset to a text/* media_type).
                return Response(exc.body, 409, headers={"Content-Type": "text/x.tlog.size"})
            return Response(f"{exc}\n", exc.status, media_type="text/plain")
        return Response(lines, 200, media_type="text/plain; charset=utf-8")

    return app


def request_cosignature(
    client: httpx.Client,
    witness_url: str,
    signed_checkpoint: str,
    old_size: int,
    proof: list[bytes],
) -> httpx.Response:
    """The log side: POST one add-checkpoint request; returns the raw response."""
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof)]
    body = "\n".join(lines) + "\n\n" + signed_checkpoint
    return client.post(f"{witness_url.rstrip('/')}/add-checkpoint", content=body.encode("utf-8"))
