"""Walk the folders: which files exist, their mtime and size. Stat only, no reading."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.model import storable

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


def path_key(path: Path | str) -> str:
    """The path as stored in the index: absolute, and valid UTF-8 even when the name is not."""
    return storable(os.fspath(path))


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


def scan(roots: Iterable[Path], excluder: Excluder) -> Iterator[Entry]:
    """Every non-excluded file below ``roots``, with stat; errors come as entries too.

    Symlinked folders are not followed (no loops, no escaping the folder); symlinked
    files are, and a broken or looping link is reported as an error entry.
    """
    for root in roots:
        yield from _walk(Path(os.path.abspath(root)), "", excluder)


def _walk(directory: Path, rel: str, excluder: Excluder) -> Iterator[Entry]:
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
            if not _is_regular(st.st_mode):
                if os.path.isdir(path):
                    continue  # a symlink to a folder: not followed
                continue
            yield Entry(path_key(path), path, st.st_mtime, st.st_size)
    for sub, sub_rel in sorted(subdirs):
        yield from _walk(sub, sub_rel, excluder)


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)
