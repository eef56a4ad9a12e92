"""Walk the folders: which files exist, their mtime and size. Stat only, no reading."""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.paths import display_path as display_path
from core.paths import fs_path as fs_path
from core.paths import path_key

ALWAYS_SKIPPED_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv"})
EDITOR_TEMP = ("*~", "*.swp", "*.swx", ".#*", "*.tmp", "*.part", "*.crdownload")


@dataclass(frozen=True)
class Entry:
    """One file the scan saw: its key (a display-safe path string) and stat."""

    key: str
    path: Path
    mtime: float
    size: int
    error: str = ""


class Excluder:
    """Decides what is never indexed: hidden things, VCS folders, secrets, user patterns."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self.patterns = [p for p in patterns if p]

    def skips_dir(self, name: str, rel: str) -> bool:
        if name.startswith(".") or name in ALWAYS_SKIPPED_DIRS:
            return True
        return self._matches(name, rel)

    def skips_file(self, name: str, rel: str) -> bool:
        if name.startswith("."):
            return True
        if any(fnmatch.fnmatch(name, p) for p in EDITOR_TEMP):
            return True
        return self._matches(name, rel)

    def skips_path(self, path: Path, roots: Iterable[Path], *, is_dir: bool = False) -> bool:
        """Whether ``path`` (a file, or a folder when ``is_dir``) is outside ``roots`` or
        excluded by any part of it below its root."""
        for root in roots:
            try:
                rel = path.relative_to(root)
            except ValueError:
                continue
            parts = rel.parts
            if not parts:
                return False
            folders = parts if is_dir else parts[:-1]
            for i, name in enumerate(folders):
                if self.skips_dir(name, "/".join(parts[: i + 1])):
                    return True
            return False if is_dir else self.skips_file(parts[-1], rel.as_posix())
        return True

    def _matches(self, name: str, rel: str) -> bool:
        for p in self.patterns:
            pattern = p.rstrip("/")
            if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(rel, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatch(name, pattern[3:]):
                return True
        return False


NOT_REGULAR = "not a regular file (a pipe, socket or device): never read"
LINK_OUTSIDE = "a link to a file outside Loci's folders: not followed"
LINK_EXCLUDED = "a link to an excluded or hidden file: not followed"


def link_problem(path: Path, within: Sequence[Path], excluder: Excluder) -> str:
    """Why the file behind ``path`` (a link, or below a linked folder) must not be read;
    "" when it may.

    A link is followed only to a file inside one of Loci's folders (``within``) whose real
    path passes the excludes there: a link named ``notes.md`` to ``~/.ssh/id_rsa`` or to
    ``/etc/shadow`` is never read, and neither is one to a secret inside the folder.
    """
    real = Path(os.path.realpath(path))
    if real == Path(os.path.abspath(path)):
        return ""
    roots = [Path(os.path.realpath(r)) for r in within]
    if not any(real == r or r in real.parents for r in roots):
        return LINK_OUTSIDE
    if excluder.skips_path(real, roots):
        return LINK_EXCLUDED
    return ""


def scan(
    roots: Iterable[Path], excluder: Excluder, within: Sequence[Path] | None = None
) -> Iterator[Entry]:
    """Every non-excluded file below ``roots``, with stat; errors come as entries too.

    Symlinked folders are not followed (no loops, no escaping the folder). A symlinked file
    is followed only when ``link_problem`` allows it (its target lies in ``within``, by
    default ``roots``, and is not excluded); otherwise, like a broken or looping link or a
    pipe, socket or device, it is an error entry with the reason, and is never opened.
    """
    roots = [Path(os.path.abspath(r)) for r in roots]
    allowed = list(within) if within is not None else roots
    for root in roots:
        yield from _walk(root, "", excluder, allowed)


def _walk(directory: Path, rel: str, excluder: Excluder, within: Sequence[Path]) -> Iterator[Entry]:
    try:
        it = os.scandir(directory)
    except OSError as exc:
        yield Entry(path_key(directory), directory, 0.0, 0, f"folder unreadable: {exc.strerror}")
        return
    subdirs = []
    with it:
        for de in it:
            name = de.name
            child_rel = f"{rel}/{name}" if rel else name
            try:
                is_dir = de.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if not excluder.skips_dir(name, child_rel):
                    subdirs.append((Path(de.path), child_rel))
                continue
            if excluder.skips_file(name, child_rel):
                continue
            path = Path(de.path)
            try:
                st = de.stat(follow_symlinks=True)
            except OSError as exc:
                reason = "symlink loop" if exc.errno == 40 else (exc.strerror or str(exc))
                if de.is_symlink() and exc.errno == 2:
                    reason = "broken symlink"
                yield Entry(path_key(path), path, 0.0, 0, reason)
                continue
            if stat.S_ISDIR(st.st_mode):
                continue  # a symlink to a folder: not followed
            if de.is_symlink():
                problem = link_problem(path, within, excluder)
                if problem:
                    yield Entry(path_key(path), path, 0.0, 0, problem)
                    continue
            if not stat.S_ISREG(st.st_mode):
                yield Entry(path_key(path), path, 0.0, 0, NOT_REGULAR)
                continue
            yield Entry(path_key(path), path, st.st_mtime, st.st_size)
    for sub, sub_rel in sorted(subdirs):
        yield from _walk(sub, sub_rel, excluder, within)


def open_regular(path: Path | str, *, size_limit: int = 0) -> Any:
    """``path`` opened for binary reading, refused (OSError) unless it is a regular file.

    Opened without blocking, so a pipe swapped in after the scan cannot hang the reader, and
    checked on the open descriptor, so what is read is what was checked.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR)
        if size_limit and st.st_size > size_limit:
            raise OSError(errno.EFBIG, "file too large")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
