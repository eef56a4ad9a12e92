"""What an index run reports, and the rows it writes for a file: indexed or failed."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.extract import kind_of
from core.model import FileStatus, Piece
from core.scan import Entry, path_key
from core.store import FileRow


@dataclass
class IndexReport:
    scanned: int = 0
    unchanged: int = 0
    indexed: int = 0
    reused: int = 0
    deleted: int = 0
    errors: int = 0
    pending: int = 0
    skipped: int = 0
    embedded_pieces: int = 0
    seconds: float = 0.0
    fatal: str = ""
    budget_stop: str = ""  # why the run stopped at the budget; its files are left pending
    spent_usd: float = 0.0  # estimated dollars this run sent to a paid provider
    changed_paths: list[str] = field(default_factory=list)
    deleted_paths: list[str] = field(default_factory=list)


@dataclass
class Work:
    """One file read and chunked, on its way to the embedder."""

    entry: Entry
    sha: str
    kind: str
    pieces: list[Piece]
    # A local-only folder's file while a cloud provider is in use: stored for keyword search
    # with a zero vector, never sent anywhere.
    keyword_only: bool = False
    cost: float = 0.0  # estimated dollars to embed it (a paid provider under a budget)


def under(path: str, roots: Sequence[Path]) -> bool:
    """Whether the key ``path`` is one of ``roots`` or below one."""
    keys = [path_key(r) for r in roots]
    return any(path == k or path.startswith(k.rstrip(os.sep) + os.sep) for k in keys)


def size_text(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def file_row(entry: Entry, sha: str, kind: str, pieces: int) -> FileRow:
    return FileRow(
        path=entry.key,
        mtime=entry.mtime,
        size=entry.size,
        sha256=sha,
        status=FileStatus.INDEXED,
        pieces=pieces,
        indexed_at=time.time(),
        kind=kind,
    )


def error_row(
    entry: Entry, error: str, kind: str = "", sha: str = "", status: FileStatus = FileStatus.ERROR
) -> FileRow:
    return FileRow(
        path=entry.key,
        mtime=entry.mtime,
        size=entry.size,
        sha256=sha,
        status=status,
        error=error,
        pieces=0,
        indexed_at=time.time(),
        kind=kind or (kind_of(entry.path) or ""),
    )
