"""Owner-only files: the data directory holds keys, passphrases and every record, so
nothing in it may be readable by the group or by other users of the machine.

Promises:
- `restrict_new_files()` sets the process umask so every file and directory created
  afterwards (by this process and by the children it starts) is owner-only: databases,
  their -wal/-shm files, logs, keys, keystores, deployment.json. Called at the start of
  every traceledger process that creates or reads the data directory (`main.py`).
- `make_private_dir(path)` creates `path` (and missing parents) with mode 0700 and leaves
  the directory itself 0700 even if it already existed.
- `tighten_tree(root)` removes group and other permissions from `root` and everything
  under it (directories 0700 at most, files 0600 at most: an owner's execute bit on a file
  is kept), without following symbolic links, and returns the paths it changed, so a data
  directory written by an older version is fixed on the next start.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

OWNER_ONLY_UMASK = 0o077
"""Clears every group and other bit of new files: 0666 -> 0600, 0777 -> 0700."""
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
GROUP_OTHER_BITS = 0o077


def restrict_new_files() -> None:
    """From now on, files and directories this process (and its children) creates are
    owner-only, whatever the umask of the shell that started it."""
    os.umask(OWNER_ONLY_UMASK)


def make_private_dir(path: Path) -> None:
    """Create `path` with mode 0700 if missing, and make it 0700 if it is not."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & GROUP_OTHER_BITS:
        path.chmod(stat.S_IMODE(path.stat().st_mode) & ~GROUP_OTHER_BITS)


def tighten_tree(root: Path) -> list[Path]:
    """Remove group/other permission bits from `root` and everything below it; return the
    paths whose mode changed (empty when the tree was already private).

    Symbolic links are not followed (a link could point outside the data directory, at a
    file this tool has no business changing); only the entries themselves are examined.
    """
    changed: list[Path] = []
    # os.walk lists a symlinked directory among the subdirectories but never descends into
    # it, so each real directory comes up once as `directory`, and files as `files`.
    for directory, _subdirectories, files in os.walk(root, followlinks=False):
        here = Path(directory)
        for path in [here, *(here / name for name in files)]:
            if path.is_symlink():
                continue
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode & GROUP_OTHER_BITS:
                path.chmod(mode & ~GROUP_OTHER_BITS)
                changed.append(path)
    return changed
