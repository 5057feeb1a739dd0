"""The administrative interface: JSON-RPC over HTTP on a Unix socket in the data directory.

Clique votes change which keys may seal the chain, and no signed transaction authorises
them; so they are served only where a web page cannot reach (issue 13). A browser can
make a page send requests to any TCP port on its host, never to a Unix domain socket, and
the socket file is mode 0600 (owner only), like geth's IPC endpoint. The public port
answers -32601 for these methods.

Methods: `clique_propose(address, auth)`, `clique_discard(address)` and, for convenience,
`clique_getProposals` (also public); `admin_peers`, `admin_removePeer(nodeId)`,
`admin_addPeer(nodeId)` (cut a configured peer off and back, as geth's). `traceledger node
vote ...` and `traceledger node peers ...` are the clients.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledger_node.errors import (
    INVALID_REQUEST,
    SERVER_ERROR,
    LedgerNodeError,
    RpcError,
    invalid_params,
)
from ledger_node.node import LedgerNode
from ledger_node.rpc import format as fmt
from ledger_node.rpc.server import RpcDispatcher, _error, _json_response

ADMIN_SOCKET_NAME = "admin.sock"
ADMIN_SOCKET_MODE = 0o600  # owner only: the admin socket is the node operator's
MAX_ADMIN_REQUEST_BYTES = 64 * 1024  # a vote is ~100 bytes
# sockaddr_un.sun_path is 108 bytes on Linux (including the terminating NUL).
MAX_SOCKET_PATH_BYTES = 107


class AdminSocketError(LedgerNodeError):
    """The admin socket cannot be created or reached (path too long, no node running)."""


def admin_socket_path(data_dir: Path) -> Path:
    """Where a node over `data_dir` serves its admin socket."""
    return data_dir / ADMIN_SOCKET_NAME


class AdminApi:
    """The administrative method table over one node (see module doc)."""

    def __init__(self, node: LedgerNode) -> None:
        self.node = node
        self.methods = {
            "clique_propose": self.clique_propose,
            "clique_discard": self.clique_discard,
            "clique_getProposals": self.clique_getProposals,
            "admin_peers": self.admin_peers,
            "admin_removePeer": self.admin_removePeer,
            "admin_addPeer": self.admin_addPeer,
        }

    def clique_propose(self, params: list[Any]) -> None:
        """Vote to authorize (true) or drop (false) an address in the blocks we seal (geth);
        refused (-32000) if the vote breaks a rule of `ledger_node/vote_policy.py`."""
        if len(params) != 2:
            raise invalid_params(f"expected 2 params, got {len(params)}")
        address, authorize = params
        candidate = fmt.parse_address(address)
        if not isinstance(authorize, bool):
            raise invalid_params("invalid argument 1: auth must be a boolean")
        self.node.propose(candidate, authorize)

    def clique_discard(self, params: list[Any]) -> None:
        """Forget the proposal about an address (geth)."""
        if len(params) != 1:
            raise invalid_params(f"expected 1 param, got {len(params)}")
        self.node.discard(fmt.parse_address(params[0]))

    def clique_getProposals(self, params: list[Any]) -> dict[str, bool]:
        """The standing proposals, address -> authorize."""
        if params:
            raise invalid_params(f"expected 0 params, got {len(params)}")
        return {fmt.address(a): auth for a, auth in sorted(self.node.proposals.items())}


    def admin_peers(self, params: list[Any]) -> dict[str, Any]:
        """This node's id, its configured peers and the messages it refused."""
        if params:
            raise invalid_params(f"expected 0 params, got {len(params)}")
        if self.node.link is None:
            raise RpcError(SERVER_ERROR, "this node has no peers (run --peers)")
        return self.node.link.status()

    def admin_removePeer(self, params: list[Any]) -> bool:
        """Cut a configured peer off (nothing sent to it, what it sends refused) until
        admin_addPeer; false if the node id is not a configured peer."""
        return self._set_connected(params, False)

    def admin_addPeer(self, params: list[Any]) -> bool:
        """Reconnect a configured peer cut off by admin_removePeer. The peer list itself
        is static (`--peers`): an unknown node id cannot be added at run time."""
        return self._set_connected(params, True)

    def _set_connected(self, params: list[Any], connected: bool) -> bool:
        if len(params) != 1 or not isinstance(params[0], str):
            raise invalid_params("expected 1 param: the peer's node id (hex)")
        if self.node.link is None:
            raise RpcError(SERVER_ERROR, "this node has no peers (run --peers)")
        return self.node.link.set_connected(params[0].removeprefix("0x").lower(), connected)


def create_admin_app(node: LedgerNode) -> Starlette:
    """The ASGI app for the admin socket (no lifespan: the public app runs the node)."""
    dispatcher = RpcDispatcher(AdminApi(node).methods)

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_ADMIN_REQUEST_BYTES:
            return _json_response(_error(None, RpcError(INVALID_REQUEST, "request too large")), 413)
        payload, problem = dispatcher.parse(body)
        if problem is not None:
            return _json_response(problem)
        response = await dispatcher.handle_payload(payload)
        return Response(status_code=200) if response is None else _json_response(response)

    return Starlette(routes=[Route("/", endpoint, methods=["POST"])])


class SideServer(uvicorn.Server):
    """uvicorn's server for the admin socket or the peer link. It runs beside the public
    server in one event loop and leaves signal handling to it (uvicorn lets only one
    server own the signals)."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


def bind_admin_socket(path: Path) -> socket.socket:
    """A listening Unix socket at `path`, mode 0600 from the moment it exists (created under
    umask 077, so there is no window in which others may connect). A stale socket file
    left by a killed node is replaced. Raises AdminSocketError."""
    if len(os.fsencode(path)) > MAX_SOCKET_PATH_BYTES:
        raise AdminSocketError(
            f"admin socket path {path} is longer than {MAX_SOCKET_PATH_BYTES} bytes; "
            "use a shorter --data-dir")
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o077)
    try:
        listener.bind(str(path))
    except OSError as exc:
        listener.close()
        raise AdminSocketError(f"cannot bind admin socket {path}: {exc}") from exc
    finally:
        os.umask(previous)
    os.chmod(path, ADMIN_SOCKET_MODE)
    listener.listen(16)
    listener.setblocking(False)
    return listener


def admin_rpc(data_dir: Path, method: str, params: list[Any], timeout: float = 30) -> Any:
    """Call an admin method on the node running over `data_dir`; return its result.
    Raises RpcError for a JSON-RPC error, AdminSocketError if no node answers."""
    import httpx

    path = admin_socket_path(data_dir)
    transport = httpx.HTTPTransport(uds=str(path))
    try:
        with httpx.Client(transport=transport, timeout=timeout) as client:
            response = client.post(
                "http://admin/", json={"jsonrpc": "2.0", "id": 1, "method": method,
                                       "params": params})
    except httpx.TransportError as exc:
        raise AdminSocketError(f"no node answers on {path}: {exc}") from exc
    body = json.loads(response.content)
    if "error" in body:
        error = body["error"]
        raise RpcError(error["code"], error["message"], error.get("data"))
    return body["result"]
