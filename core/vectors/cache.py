"""A large main segment kept beside the index between runs, so opening it is not a rebuild.

Opening a million-piece index rebuilt its main segment from the store: every vector read
(3 GB at 768 dims), written to a scratch file and reduced to binary codes, 13-25 s before
the first search. A segment that large (binary codes, past ``GUARANTEE_CELLS``) is kept
instead: its float32 rows stay in ``vectors/rows-<token>.f32`` (the file the build writes
anyway), its codes and columns are saved beside it, and a manifest written last names them
and the files rows the segment was read from (path → indexed time and status, read before
the vectors). The next open loads those and re-reads from the store only the files whose
row differs: every write of a file's pieces rewrites its row (a crash between the two leaves
it ``pending``), so nothing stale survives. It is derived data: anything missing, short or
unreadable, and the segment is rebuilt from the store as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from core.vectors.disk import DiskRows
from core.vectors.segment import Segment

FORMAT = 1
MANIFEST = "manifest.json"
OTHERS_KEPT_S = 60  # s a file of another segment is spared (it may be a build being saved)

Seen = dict[str, list[Any]]  # path → [indexed_at, status] of the files row


def folder_of(index_folder: Path) -> Path:
    return Path(index_folder) / "vectors"


def new_rows_file(folder: Path) -> tuple[Path, Any]:
    """A named file for a build's float32 rows (kept if the build is saved)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"rows-{uuid.uuid4().hex}.f32"
    return path, open(path, "w+b")  # noqa: SIM115 - the builder and DiskRows own it


def seen_of(files: dict[str, Any]) -> Seen:
    return {p: [row.indexed_at, str(row.status)] for p, row in files.items()}


def save(folder: Path, seg: Segment, rows_path: Path, seen: Seen) -> None:
    """Write ``seg``'s codes and columns beside its rows file, then the manifest naming them."""
    import pyarrow as pa

    if seg.bits is None or seg.centre is None:
        raise ValueError("only a binary segment is kept")
    token = rows_path.stem.removeprefix("rows-")
    cols = pa.table(
        {
            "id": pa.array(seg.ids.tolist(), pa.string()),
            "path": pa.array(seg.paths.tolist(), pa.string()),
            "kind": pa.array(seg.kinds.tolist(), pa.string()),
            "mtime": pa.array(seg.mtimes, pa.float64()),
        }
    )
    with pa.OSFile(str(folder / f"cols-{token}.arrow"), "wb") as sink:
        with pa.ipc.new_file(sink, cols.schema) as writer:
            writer.write_table(cols)
    np.save(folder / f"bits-{token}.npy", seg.bits)
    np.save(folder / f"centre-{token}.npy", seg.centre)
    manifest = {
        "format": FORMAT,
        "token": token,
        "rows": len(seg),
        "dims": int(seg.floats.shape[1]),
        "seen": seen,
    }
    tmp = folder / f"{MANIFEST}.{token}.tmp"
    tmp.write_text(json.dumps(manifest), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)
    _prune(folder, token)


def _prune(folder: Path, keep: str) -> None:
    """Drop earlier segments. A file younger than a minute may be another process's build
    about to be saved, so it waits for the next save; an open reader keeps its rows file
    through its own handle."""
    now = time.time()
    for path in folder.iterdir():
        if path.name == MANIFEST or keep in path.name:
            continue
        with contextlib.suppress(OSError):  # gone already, or mapped (Windows): next time
            if now - path.stat().st_mtime > OTHERS_KEPT_S:
                path.unlink()


def load(folder: Path, dims: int) -> tuple[Segment, Seen] | None:
    """The kept segment and the files rows it was read from, or None (none, or unusable)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or manifest["dims"] != dims:
            return None
        token, rows = manifest["token"], int(manifest["rows"])
        rows_path = folder / f"rows-{token}.f32"
        if rows_path.stat().st_size != rows * dims * 4:
            return None
        return _segment(folder, token, rows, dims, rows_path), manifest["seen"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _segment(folder: Path, token: str, rows: int, dims: int, rows_path: Path) -> Segment:
    import pyarrow as pa

    with pa.OSFile(str(folder / f"cols-{token}.arrow")) as source:  # read, not mapped
        cols = pa.ipc.open_file(source).read_all()
    bits = np.load(folder / f"bits-{token}.npy")
    centre = np.load(folder / f"centre-{token}.npy")
    if cols.num_rows != rows or bits.shape != (dims // 64, rows) or centre.shape != (dims,):
        raise ValueError("the kept segment's parts disagree")
    shared: dict[str, str] = {}
    seg = Segment.of(
        {
            "id": cols.column("id").to_pylist(),
            # One string object per file and per kind, as a build shares them.
            "path": [shared.setdefault(p, p) for p in cols.column("path").to_pylist()],
            "kind": [shared.setdefault(k, k) for k in cols.column("kind").to_pylist()],
            "mtime": cols.column("mtime").to_numpy().copy(),  # not a view of the read
        },
        np.zeros((0, dims)),
    )
    with open(rows_path, "rb") as file:
        floats = DiskRows(file, rows, dims)  # its own handle: the file may be pruned later
    return Segment(
        seg.ids, seg.paths, seg.kinds, seg.mtimes, floats,  # type: ignore[arg-type]
        None, None, bits, centre,
    )  # fmt: skip


def changed_since(seen: Seen, files: dict[str, Any]) -> set[str]:
    """Paths whose files row is not the one the kept segment was read from."""
    now = seen_of(files)
    changed = {p for p, row in now.items() if seen.get(p) != row}
    changed.update(p for p in seen if p not in now)
    return changed
