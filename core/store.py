"""The index on disk: LanceDB tables ``pieces`` and ``files`` for one provider/model/dims.

Each provider/model/dims combination gets its own folder under ``<data>/index/``; a
``current`` file names the one in use. Building with other settings makes a new folder
beside the old one and switches ``current`` only when it is complete, so vectors of two
models are never mixed and a half-built index never replaces a working one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import IndexError_
from core.model import FileStatus
from core.store_health import (
    DISK_FULL,
    REPAIR_HINT,
    IndexDamaged,
    IndexMismatch,
    damaged_message,
    is_disk_full,
    is_storage_error,
)
from core.store_tables import (
    SCHEMA_VERSION,
    FileRow,
    FileUpdate,
    IndexIdentity,
    PieceRow,
    current_identity,
    files_schema,
    index_folder,
    index_root,
    path_chunks,
    pieces_schema,
    set_current,
)
from core.store_write import INTERRUPTED, KEEP_VERSIONS, StoreWriting

FTS_RECHECK = 5.0  # s between looks for a keyword index another process has built
# Bytes of float32 per block when every vector is read (LanceDB reads a few blocks ahead).
BATCH_BYTES = 16 << 20

# Imported from here by the engine, the commands, the desktop and the tests.
__all__ = [
    "DISK_FULL",
    "INTERRUPTED",
    "KEEP_VERSIONS",
    "REPAIR_HINT",
    "SCHEMA_VERSION",
    "FileRow",
    "FileUpdate",
    "IndexDamaged",
    "IndexError_",
    "IndexIdentity",
    "IndexMismatch",
    "PieceRow",
    "Store",
    "current_identity",
    "damaged_message",
    "index_folder",
    "index_root",
    "is_disk_full",
    "is_storage_error",
    "set_current",
]


class Store(StoreWriting):
    """One index folder: open or create its tables, read and replace files' pieces."""

    def __init__(self, folder: Path, ident: IndexIdentity) -> None:
        from core.lance_import import import_lancedb

        lancedb = import_lancedb()
        self.folder = folder
        self.ident = ident
        folder.mkdir(parents=True, exist_ok=True)
        # read_consistency_interval=0: see writes of another handle (the watcher's) at once.
        self._db = lancedb.connect(str(folder), read_consistency_interval=timedelta(0))
        names = set(self._db.list_tables().tables)
        if "pieces" in names:
            self.pieces = self._db.open_table("pieces")
            self._check(self.pieces.schema.metadata or {})
        else:
            self.pieces = self._db.create_table("pieces", schema=pieces_schema(ident))
        if "files" in names:
            self.files_table = self._db.open_table("files")
        else:
            self.files_table = self._db.create_table("files", schema=files_schema())
        self._fts_ready = self._has_text_index()
        self._fts_checked = time.monotonic()

    @classmethod
    def open(
        cls, data: Path, ident: IndexIdentity, *, rebuild: bool = False, fresh: bool = False
    ) -> Store:
        """Open the index for ``ident``; refuse (IndexMismatch) when another one is current.

        With ``rebuild`` the index for ``ident`` is opened (or started) beside the current
        one; the caller makes it current with ``make_current()`` once it is complete. With
        ``fresh`` it is always a new, empty folder, whatever state the old one is in (a
        damaged index is never opened); ``make_current()`` then removes the one it replaces.
        A damaged index raises IndexDamaged, saying what to do.
        """
        current = current_identity(data)
        if current is not None and current != ident and not (rebuild or fresh):
            raise IndexMismatch(
                f"the index was built with {current.describe()}, but the settings ask for "
                f"{ident.describe()}. Vectors of two models cannot be mixed: run "
                f"`loci index --rebuild` to build a new index (the old one is kept until "
                f"the new one is complete), or switch back with `loci index --provider "
                f"{current.provider}`."
            )
        replaces = index_folder(data, ident)
        folder = replaces
        if fresh:
            folder = index_root(data) / f"{ident.slug}.{time.strftime('%Y%m%d-%H%M%S')}"
            n = 1
            while folder.exists():
                n += 1
                folder = folder.with_name(f"{folder.name.split('~')[0]}~{n}")
        try:
            store = cls(folder, ident)
            store.verify()
        except IndexError_:
            raise
        except Exception as exc:
            if is_disk_full(exc) or (isinstance(exc, OSError) and not is_storage_error(exc)):
                raise  # the disk, not the index: said as such by the caller
            raise IndexDamaged(damaged_message(folder, exc)) from None
        if current is None:
            set_current(data, ident, folder.name)
        store.claimed_current = current is None
        store._data = data
        store._replaces = replaces if fresh else None
        return store

    _data: Path | None = None
    _replaces: Path | None = None
    claimed_current = False  # the first index: made current at open

    def give_up_current(self) -> None:
        """Undo the claim of a first index whose first run failed (a rejected key), so the
        settings it was not saved to open their own index again."""
        if self.claimed_current and self._data is not None:
            (index_root(self._data) / "current.json").unlink(missing_ok=True)
            self.claimed_current = False

    def make_current(self) -> None:
        if self._data is None:
            return
        set_current(self._data, self.ident, self.folder.name)
        old, self._replaces = self._replaces, None
        if old is not None and old != self.folder and old.is_dir():
            import shutil

            shutil.rmtree(old, ignore_errors=True)  # superseded by this fresh build

    def verify(self) -> None:
        """A cheap check that the tables can be read and agree, at every open.

        Reads one small column of each table (every data file's footer is touched, so a
        truncated or missing file shows here, not in the middle of a search) and checks
        that the pieces the files table counts are there. A writer in another process can
        commit between the two reads; the check is then made again, and only a shortfall
        seen with both tables at rest is damage.
        """
        for _attempt in range(5):
            before = (self.files_table.version, self.pieces.version)
            files = self.files_table.search().select(["status", "pieces"]).limit(None).to_arrow()
            stored = self.pieces.search().select(["piece"]).limit(None).to_arrow().num_rows
            statuses = files.column("status").to_pylist()
            counts = files.column("pieces").to_pylist()
            counted = sum(
                n or 0 for st, n in zip(statuses, counts, strict=True) if st == FileStatus.INDEXED
            )
            if counted <= stored:
                return
            if (self.files_table.version, self.pieces.version) == before:
                raise IndexDamaged(
                    damaged_message(
                        self.folder,
                        f"{counted:,} pieces are recorded but only {stored:,} are stored",
                    )
                )
            time.sleep(0.05)

    def _check(self, meta: dict[bytes, bytes]) -> None:
        found = {k.decode(): v.decode() for k, v in meta.items()}
        version = int(found.get("loci.schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise IndexError_(
                f"the index at {self.folder} was written by a newer Loci (schema {version}); "
                "update Loci or delete the folder to rebuild"
            )
        stored = IndexIdentity(
            found.get("loci.provider", "?"),
            found.get("loci.model_id", "?"),
            int(found.get("loci.dims", "0") or 0),
        )
        if stored != self.ident:
            raise IndexMismatch(
                f"the index at {self.folder} holds {stored.describe()} vectors, not "
                f"{self.ident.describe()}; run `loci index --rebuild`"
            )

    # ---- reading ----

    def files(self) -> dict[str, FileRow]:
        table = self.files_table.to_arrow()
        cols = {name: table.column(name).to_pylist() for name in table.column_names}
        if len(set(cols["path"])) < len(cols["path"]):
            self._drop_duplicates(cols["path"])
            return self.files()
        return {
            p: FileRow(
                path=p,
                mtime=cols["mtime"][i],
                size=cols["size"][i],
                sha256=cols["sha256"][i],
                status=FileStatus(cols["status"][i]),
                error=cols["error"][i] or "",
                pieces=cols["pieces"][i],
                indexed_at=cols["indexed_at"][i],
                kind=cols["kind"][i] or "",
            )
            for i, p in enumerate(cols["path"])
        }

    def not_indexed(self, paths: Sequence[str]) -> list[tuple[str, FileStatus, str]]:
        """(path, status, error) of those of ``paths`` whose file is not indexed."""
        from lancedb.expr import col

        out: list[tuple[str, FileStatus, str]] = []
        for chunk in path_chunks(paths):
            rows = (
                self.files_table.search()
                .where(col("path").isin(chunk))
                .select(["path", "status", "error"])
                .limit(None)
                .to_arrow()
                .to_pylist()
            )
            out += [
                (r["path"], FileStatus(r["status"]), r["error"] or "")
                for r in rows
                if r["status"] != FileStatus.INDEXED
            ]
        return out

    def _drop_duplicates(self, paths: list[str]) -> None:
        """Remove every row of a path that has more than one (an index written before path
        keys were one per file could hold two); the next run indexes those files afresh."""
        from collections import Counter

        from lancedb.expr import col

        twice = [p for p, n in Counter(paths).items() if n > 1]
        for chunk in path_chunks(twice):
            # Files rows first: a reader never sees an indexed file without its pieces.
            self.files_table.delete(col("path").isin(chunk))
            self.pieces.delete(col("path").isin(chunk))

    def pieces_of_hash(self, sha256: str) -> tuple[str, list[PieceRow]] | None:
        """The stored pieces of some file with this content, to re-use on a move or copy."""
        from lancedb.expr import col, lit

        rows = (
            self.pieces.search()
            .where(col("sha256") == lit(sha256))
            .select(["path", "piece", "kind", "mime", "title", "text", "locator", "vector"])
            .limit(None)
            .to_arrow()
            .to_pylist()
        )
        if not rows:
            return None
        source = rows[0]["path"]
        mine = sorted((r for r in rows if r["path"] == source), key=lambda r: r["piece"])
        return source, [
            PieceRow(
                piece=r["piece"],
                kind=r["kind"],
                mime=r["mime"],
                title=r["title"],
                text=r["text"],
                locator=json.loads(r["locator"] or "{}"),
                vector=np.asarray(r["vector"], dtype=np.float32),
            )
            for r in mine
        ]

    def vectors(self) -> tuple[Any, np.ndarray]:
        """(arrow table of id/path/piece/kind/mtime, float32[n, dims]) of every piece."""
        table = (
            self.pieces.search()
            .select(["id", "path", "piece", "kind", "mtime", "vector"])
            .limit(None)
            .to_arrow()
        )
        vec = table.column("vector")
        if table.num_rows:
            matrix = vec.combine_chunks().flatten().to_numpy().reshape(-1, self.ident.dims)
        else:
            matrix = np.zeros((0, self.ident.dims), dtype=np.float32)
        return table.drop_columns(["vector"]), np.ascontiguousarray(matrix, dtype=np.float32)

    def count_pieces(self) -> int:
        return int(self.pieces.count_rows())

    def vector_batches(
        self, rows: int | None = None
    ) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
        """Every piece's columns and float32 vectors, ``rows`` at a time (default: blocks of
        BATCH_BYTES of float32, whatever the dims).

        Each block goes from Arrow to numpy without a copy into Python objects, so opening a
        big index holds a few blocks of floats at a time (LanceDB reads ahead), not all of
        them twice.
        """
        rows = rows or max(256, BATCH_BYTES // (4 * self.ident.dims))
        reader = (
            self.pieces.search()
            .select(["id", "path", "kind", "mtime", "vector"])
            .limit(None)
            .to_batches(rows)
        )
        for batch in reader:
            if not batch.num_rows:
                continue
            vec = batch.column("vector")
            floats = vec.flatten().to_numpy().reshape(-1, self.ident.dims)
            cols = {name: batch.column(name).to_pylist() for name in ("id", "path", "kind")}
            cols["mtime"] = batch.column("mtime").to_numpy()
            yield cols, floats

    def vectors_of(self, paths: Sequence[str]) -> tuple[Any, np.ndarray]:
        from lancedb.expr import col

        table = (
            self.pieces.search()
            .where(col("path").isin(list(paths)))
            .select(["id", "path", "piece", "kind", "mtime", "vector"])
            .limit(None)
            .to_arrow()
        )
        if table.num_rows:
            matrix = (
                table.column("vector")
                .combine_chunks()
                .flatten()
                .to_numpy()
                .reshape(-1, self.ident.dims)
            )
        else:
            matrix = np.zeros((0, self.ident.dims), dtype=np.float32)
        return table.drop_columns(["vector"]), np.ascontiguousarray(matrix, dtype=np.float32)

    def fetch(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Title, text, locator … of the pieces with these ids."""
        if not ids:
            return {}
        from lancedb.expr import col

        rows = (
            self.pieces.search()
            .where(col("id").isin(list(ids)))
            .select(["id", "path", "piece", "kind", "title", "text", "locator", "mtime"])
            .limit(None)
            .to_arrow()
            .to_pylist()
        )
        for r in rows:
            r["locator"] = json.loads(r["locator"] or "{}")
        return {r["id"]: r for r in rows}

    def _has_text_index(self) -> bool:
        return any(i.name.startswith("text") for i in self.pieces.list_indices())

    def _keyword_index_exists(self) -> bool:
        """Whether keyword search can run; a handle opened before the writer built the index
        (a reader process, ``loci mcp``) looks again at most every few seconds."""
        if self._fts_ready:
            return True
        now = time.monotonic()
        if now - self._fts_checked < FTS_RECHECK:
            return False
        self._fts_checked = now
        try:
            self._fts_ready = self._has_text_index()
        except Exception:
            return False
        return self._fts_ready

    def keyword_search(self, text: str, limit: int) -> list[tuple[str, float]]:
        """Piece ids ranked by BM25 for ``text``; empty when nothing matches."""
        if not text.strip() or not self._keyword_index_exists():
            return []
        try:
            table = (
                self.pieces.search(text, query_type="fts")
                .select(["id", "_score"])
                .limit(limit)
                .to_arrow()
            )
        except Exception:
            # A query the FTS parser rejects (stray quotes, operators) still gets vector hits.
            return []
        return list(
            zip(table.column("id").to_pylist(), table.column("_score").to_pylist(), strict=True)
        )

    def counts(self) -> dict[str, int]:
        files = self.files_table.to_arrow().column("status").to_pylist()
        return {
            "files": sum(1 for s in files if s == FileStatus.INDEXED),
            "errors": sum(1 for s in files if s in (FileStatus.ERROR, FileStatus.UNREADABLE)),
            "pending": sum(1 for s in files if s == FileStatus.PENDING),
            "pieces": self.pieces.count_rows(),
        }

    def disk_bytes(self) -> int:
        total = 0
        for dirpath, _dirs, names in os.walk(self.folder):
            for n in names:
                try:
                    total += os.path.getsize(os.path.join(dirpath, n))
                except OSError:
                    pass
        return total

    # ---- small state beside the tables (usage, batch jobs) ----

    def read_state(self) -> dict[str, Any]:
        try:
            data = json.loads((self.folder / "state.json").read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (FileNotFoundError, ValueError):
            return {}

    def update_state(self, **changes: Any) -> None:
        state = self.read_state()
        state.update(changes)
        tmp = self.folder / f"state.json.{os.getpid()}.{time.monotonic_ns()}"
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, self.folder / "state.json")
