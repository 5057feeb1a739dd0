"""Refusing control characters in request paths and query strings (issue 13).

No identifier this API serves (GS1 keys and Digital Links, Event Hash IDs, enterprise and
key ids) contains a C0 control character or DEL: the GS1 AI character sets exclude them
(GS1 General Specifications §7.11). Letting one through is only harmful: U+0000 makes
PostgreSQL refuse the query (a 500 on one database, a miss on the other), and CR or LF
would forge lines in the access log. `ControlCharacterMiddleware` answers 400
`control-character` before routing, for the percent-decoded path and every decoded query
name and value.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import unquote_to_bytes

from trace_api.problems import Problem, problem_response

_CONTROL: Final = re.compile(rb"[\x00-\x1f\x7f]")
"""C0 controls and DEL, in decoded bytes."""


def find_control_character(path: str, query_string: bytes) -> str | None:
    """Where a control character is (`"path"` or `"query"`), or None if there is none.

    `path` is ASGI's already percent-decoded path; `query_string` the raw bytes, decoded
    here as any parser would (`%00`, and `+` is a space, not a control).
    """
    if _CONTROL.search(path.encode("utf-8", "surrogateescape")):
        return "path"
    if _CONTROL.search(query_string) or _CONTROL.search(unquote_to_bytes(query_string)):
        return "query"
    return None


class ControlCharacterMiddleware:
    """ASGI middleware: 400 problem for a path or query holding a control character."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            where = find_control_character(scope.get("path", ""), scope.get("query_string", b""))
            if where is not None and scope["type"] == "http":
                problem = Problem(400, "control-character", "Control character in the URL",
                                  f"the request {where} holds a control character "
                                  "(U+0000-U+001F or U+007F), which no identifier contains",
                                  extensions={"where": where})
                await problem_response(problem, scope.get("path"))(scope, receive, send)
                return
            if where is not None:
                await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)
