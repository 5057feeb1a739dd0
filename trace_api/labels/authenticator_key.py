"""The server's label-authenticator key: 32 random bytes in the data dir's secrets folder.

`label-auth.key` (hex, mode 0600) sits beside the other secrets of `traceledger up`
(the folder of `settings.master_key_file`, else `<node data dir>/../secrets`). It is
made on first use and read once per app (`ctx.shared(label_key)`); it never appears in a
log, an error or a response. Losing it makes every printed authenticator unverifiable,
so it is backed up with the other secrets.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

from trace_api.context import ApiContext, shared_dependency

KEY_FILE_NAME = "label-auth.key"
KEY_BYTES = 32


def load_or_create_key(path: Path) -> bytes:
    """The key in `path`, creating it (0600, never overwriting) if it does not exist yet."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(KEY_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    if len(key) < KEY_BYTES:
        raise ValueError(f"{path} holds {len(key)} bytes; a label key has {KEY_BYTES}")
    return key


def label_key(ctx: ApiContext) -> bytes:
    """This deployment's label-authenticator key, loaded or created; the app reads it
    once as `ctx.shared(label_key)`."""
    settings = ctx.settings
    secrets_dir = (settings.master_key_file.parent if settings.master_key_file
                   else settings.node_data_dir.parent / "secrets")
    return load_or_create_key(secrets_dir / KEY_FILE_NAME)


LabelKeyDep = Annotated[bytes, shared_dependency(label_key)]
"""A route parameter: the app's label-authenticator key."""
