"""Where the resident engine of a data folder listens: a Unix socket in the runtime folder.

``$XDG_RUNTIME_DIR/loci/`` (platformdirs' ``user_runtime_dir``) holds one socket per data
folder, named by a hash of the folder's real path, so two Locis with their own
``LOCI_DATA_DIR`` never meet, and beside it a lock file that one server at a time holds.
The folder is made private (0700) and the socket 0600: only this user may connect.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import warnings
from pathlib import Path

from core.errors import LociError


class AddressError(LociError):
    """The runtime folder cannot hold a private socket (wrong owner, open permissions)."""


def runtime_dir() -> Path:
    env = os.environ.get("XDG_RUNTIME_DIR")
    if env and sys.platform != "win32":
        return Path(env) / "loci"
    from platformdirs import user_runtime_dir

    with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set, falling back to /tmp/…"
        warnings.simplefilter("ignore")
        return Path(user_runtime_dir("loci"))


def key(data: Path) -> str:
    return hashlib.sha256(os.fsencode(os.path.realpath(data))).hexdigest()[:16]


def socket_path(data: Path) -> Path:
    return runtime_dir() / f"engine-{key(data)}.sock"


def lock_path(data: Path) -> Path:
    return runtime_dir() / f"engine-{key(data)}.lock"


def private_dir(create: bool) -> Path:
    """The runtime folder, checked to be this user's and closed to others."""
    folder = runtime_dir()
    if create:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.lstat()
    if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        raise AddressError(f"{folder} is not a folder of this user")
    if st.st_mode & 0o077:
        if not create:
            raise AddressError(f"{folder} is open to other users")
        os.chmod(folder, 0o700)
    return folder
