"""One writer per index: a lock file that a second updating Loci process is refused by.

Readers (search, recall, status, errors) never take it: LanceDB gives them a consistent
version while a writer commits. Writers (``loci index``, ``loci watch``, the desktop app's
background sync) take it for as long as they may write. The operating system drops the lock
when its process ends in any way, SIGKILL and power cuts included, so it never goes stale.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from core.errors import IndexError_

LOCK_NAME = "loci.lock"


class IndexLocked(IndexError_):
    """Another process (or another part of this one) is updating the index."""

    def __init__(self, message: str, owner: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.owner = owner or {}


class IndexLock:
    """An exclusive, re-entrant (within this object) lock on ``<data>/loci.lock``.

    ``acquire()`` never waits: it takes the lock or raises :class:`IndexLocked` naming the
    holder. Nested ``acquire()`` calls on the same object (say a sync that runs an index
    pass) only count; the lock is dropped when the count returns to zero.
    """

    def __init__(self, data: Path, *, purpose: str = "") -> None:
        self.path = data / LOCK_NAME
        self.owner_path = data / (LOCK_NAME + ".owner")
        self.purpose = purpose or _command_line()
        self._file: IO[bytes] | None = None
        self._count = 0
        self._guard = threading.Lock()

    @property
    def held(self) -> bool:
        return self._count > 0

    def acquire(self, purpose: str = "") -> None:
        with self._guard:
            if self._count:
                self._count += 1
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            f = open(self.path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
            try:
                _lock_file(f)
            except OSError:
                f.close()
                owner = self.owner()
                raise IndexLocked(_refusal(owner), owner) from None
            self._file = f
            self._count = 1
            self._write_owner(purpose or self.purpose)

    def release(self) -> None:
        with self._guard:
            if not self._count:
                return
            self._count -= 1
            if self._count:
                return
            f, self._file = self._file, None
            assert f is not None
            try:
                self.owner_path.unlink(missing_ok=True)
            except OSError:
                pass
            _unlock_file(f)
            f.close()

    def __enter__(self) -> IndexLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def owner(self) -> dict[str, Any]:
        """Who holds the lock, as its holder wrote it down (best effort)."""
        try:
            data = json.loads(self.owner_path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write_owner(self, purpose: str) -> None:
        info = {"pid": os.getpid(), "command": purpose, "since": time.time()}
        tmp = self.owner_path.with_name(f"{self.owner_path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(info), encoding="utf-8")
            os.replace(tmp, self.owner_path)
        except OSError:
            pass  # the owner note only improves the message; the lock itself is what counts


def _refusal(owner: dict[str, Any]) -> str:
    who = "another Loci process"
    if owner.get("pid") == os.getpid():
        who = "another part of this Loci process (stop its background sync first)"
    elif owner.get("pid"):
        who = f"another Loci process (pid {owner['pid']}"
        if owner.get("command"):
            who += f", `{owner['command']}`"
        if owner.get("since"):
            who += f", since {time.strftime('%H:%M:%S', time.localtime(owner['since']))}"
        who += ")"
    return (
        f"{who} is updating this index. Only one Loci may index at a time: stop the other "
        "one (or let it finish) and try again. Searching works meanwhile."
    )


def _command_line() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    args = [a for a in sys.argv[1:3] if not a.startswith("-")]
    return " ".join(["loci" if name in ("loci", "__main__.py") else name, *args])


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock_file(f: IO[bytes]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock_file(f: IO[bytes]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(f: IO[bytes]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(f: IO[bytes]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
