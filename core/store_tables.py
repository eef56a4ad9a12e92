"""The index's layout: its identity (provider/model/dims), which folder is current, the
schemas of the ``pieces`` and ``files`` tables, and the rows read from and written to them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.model import FileStatus, Locator

SCHEMA_VERSION = 1


# Paths per `path IN (...)` filter: a long list becomes several queries or commits.
IN_LIST = 1000


def path_chunks(paths: Sequence[str]) -> Iterator[list[str]]:
    """``paths`` in lists of at most IN_LIST, for filters on the path column."""
    for start in range(0, len(paths), IN_LIST):
        yield list(paths[start : start + IN_LIST])


@dataclass
class FileRow:
    path: str
    mtime: float
    size: int
    sha256: str
    status: FileStatus
    error: str = ""
    pieces: int = 0
    indexed_at: float = 0.0
    kind: str = ""


@dataclass
class PieceRow:
    piece: int
    kind: str
    mime: str
    title: str
    text: str
    locator: Locator
    vector: np.ndarray


@dataclass
class FileUpdate:
    """The new state of one file: its row in ``files`` and all its pieces (maybe none)."""

    file: FileRow
    pieces: list[PieceRow] = field(default_factory=list)


@dataclass(frozen=True)
class IndexIdentity:
    provider: str
    model_id: str
    dims: int

    @property
    def slug(self) -> str:
        raw = f"{self.provider}-{self.model_id}-{self.dims}"
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", raw)

    def describe(self) -> str:
        return f"{self.provider} / {self.model_id} ({self.dims} dims)"


def index_root(data: Path) -> Path:
    return data / "index"


def _current(data: Path) -> dict[str, Any]:
    try:
        meta = json.loads((index_root(data) / "current.json").read_text(encoding="utf-8"))
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def current_identity(data: Path) -> IndexIdentity | None:
    """The identity of the index in use, or None before the first index."""
    meta = _current(data)
    try:
        return IndexIdentity(str(meta["provider"]), str(meta["model_id"]), int(meta["dims"]))
    except (KeyError, TypeError, ValueError):
        return None


def index_folder(data: Path, ident: IndexIdentity) -> Path:
    """The folder of ``ident``'s index: the one ``current.json`` names if it is current
    (a rebuild makes a fresh folder), else the identity's own."""
    meta = _current(data)
    name = meta.get("folder")
    if current_identity(data) == ident and isinstance(name, str) and name.startswith(ident.slug):
        return index_root(data) / name
    return index_root(data) / ident.slug


def set_current(data: Path, ident: IndexIdentity, folder: str = "") -> None:
    root = index_root(data)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / "current.json.tmp"
    tmp.write_text(json.dumps({**ident.__dict__, "folder": folder or ident.slug}), encoding="utf-8")
    os.replace(tmp, root / "current.json")


def pieces_schema(ident: IndexIdentity) -> Any:
    import pyarrow as pa

    meta = {
        "loci.schema_version": str(SCHEMA_VERSION),
        "loci.provider": ident.provider,
        "loci.model_id": ident.model_id,
        "loci.dims": str(ident.dims),
    }
    return pa.schema(
        [
            pa.field("id", pa.string()),
            pa.field("path", pa.string()),
            pa.field("piece", pa.int32()),
            pa.field("kind", pa.string()),
            pa.field("mime", pa.string()),
            pa.field("title", pa.string()),
            pa.field("text", pa.string()),
            pa.field("locator", pa.string()),
            pa.field("mtime", pa.float64()),
            pa.field("size", pa.int64()),
            pa.field("sha256", pa.string()),
            pa.field("vector", pa.list_(pa.float32(), ident.dims)),
        ],
        metadata=meta,
    )


def files_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("path", pa.string()),
            pa.field("mtime", pa.float64()),
            pa.field("size", pa.int64()),
            pa.field("sha256", pa.string()),
            pa.field("status", pa.string()),
            pa.field("error", pa.string()),
            pa.field("pieces", pa.int32()),
            pa.field("indexed_at", pa.float64()),
            pa.field("kind", pa.string()),
        ],
        metadata={"loci.schema_version": str(SCHEMA_VERSION)},
    )
