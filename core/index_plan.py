"""What an index run has to do, found by stat alone: files to (re)index, files gone, and
files that cannot be read, for whole folders (a run) or for some paths (the watcher's)."""

from __future__ import annotations

import os
import stat
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.extract import kind_of
from core.index_rows import IndexReport, error_row, under
from core.model import FileStatus
from core.scan import NOT_REGULAR, Entry, Excluder, link_problem, path_key, scan
from core.store import FileRow


@dataclass
class Plan:
    """Files to (re)index, keys of files gone, rows of files that failed before reading."""

    todo: list[Entry] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    error_rows: list[FileRow] = field(default_factory=list)
    report: IndexReport = field(default_factory=IndexReport)


# Every kind of file is stale (the index was written by an older extractor).
ALL_KINDS = frozenset({"*"})


def is_stale(kind: str | None, stale: Container[str]) -> bool:
    return "*" in stale or (kind is not None and kind in stale)


def plan_folders(
    roots: Sequence[Path],
    known: dict[str, FileRow],
    excluder: Excluder,
    stale: Container[str] = frozenset(),
) -> Plan:
    """The whole of ``roots`` against the ``known`` rows; indexed files of a ``stale`` kind
    are redone too (``ALL_KINDS``: the index was written by an older extractor)."""
    report = IndexReport()
    seen: set[str] = set()
    todo: list[Entry] = []
    error_rows: list[FileRow] = []
    for entry in scan(roots, excluder):
        report.scanned += 1
        seen.add(entry.key)
        old = known.get(entry.key)
        if entry.error:
            if old is None or old.status != FileStatus.ERROR or old.error != entry.error:
                error_rows.append(error_row(entry, entry.error))
            else:
                report.unchanged += 1
            continue
        kind = kind_of(entry.path)
        if kind is None:
            report.skipped += 1
            continue
        if (
            old is not None
            and old.mtime == entry.mtime
            and old.size == entry.size
            and old.status in (FileStatus.INDEXED, FileStatus.ERROR)
            and not (old.status == FileStatus.INDEXED and is_stale(kind, stale))
        ):
            report.unchanged += 1
            continue
        todo.append(entry)
    gone = [p for p in known if p not in seen and under(p, roots)]
    return Plan(todo, gone, error_rows, report)


def plan_paths(
    paths: Iterable[Path], roots: Sequence[Path], known: dict[str, FileRow], excluder: Excluder
) -> Plan:
    """Just these paths (a vanished folder drops everything below it)."""
    report = IndexReport()
    todo: list[Entry] = []
    gone: list[str] = []
    error_rows: list[FileRow] = []
    for path in paths:
        path = Path(os.path.abspath(path))
        key = path_key(path)
        if excluder.skips_path(path, roots):
            continue
        try:
            st = path.stat()
        except FileNotFoundError:
            if key in known:
                gone.append(key)
            # a vanished folder: drop everything below it
            prefix = key.rstrip(os.sep) + os.sep
            gone.extend(p for p in known if p.startswith(prefix))
            continue
        except OSError as exc:
            error_rows.append(error_row(Entry(key, path, 0, 0), exc.strerror or str(exc)))
            continue
        problem = link_problem(path, roots, excluder)
        if problem:
            if not stat.S_ISDIR(st.st_mode):
                error_rows.append(error_row(Entry(key, path, 0, 0), problem))
            continue  # a linked folder is never followed
        if stat.S_ISDIR(st.st_mode):
            if path.is_symlink():
                continue  # linked folders are not followed, as in the full scan
            for entry in scan([path], excluder, within=roots):
                if entry.error:
                    error_rows.append(error_row(entry, entry.error))
                elif kind_of(entry.path) is not None:
                    todo.append(entry)
            continue
        if kind_of(path) is None:
            report.skipped += 1
            continue
        if not stat.S_ISREG(st.st_mode):  # a pipe or a device: reading it would hang
            error_rows.append(error_row(Entry(key, path, 0, 0), NOT_REGULAR))
            continue
        old = known.get(key)
        if (
            old
            and old.mtime == st.st_mtime
            and old.size == st.st_size
            and old.status in (FileStatus.INDEXED, FileStatus.ERROR)
        ):
            report.unchanged += 1
            continue
        todo.append(Entry(key, path, st.st_mtime, st.st_size))
    return Plan(todo, gone, error_rows, report)
