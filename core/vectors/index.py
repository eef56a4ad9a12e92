"""The vector index: both segments, kept in step with the store, merged in the background."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core import malloc
from core.store import Store
from core.vectors import cache
from core.vectors import tuning as T
from core.vectors.build import Builder, Changed
from core.vectors.rank import rank_segment
from core.vectors.segment import Segment, Snapshot

log = logging.getLogger(__name__)


class VectorIndex:
    """Every piece vector and the columns filters need, ranked by exact dot product.

    Updates build a new :class:`Snapshot` and swap it in with one assignment, so a search
    running on another thread always sees one consistent state. Callers use ``snap`` (or
    the properties below), :meth:`mask`, :meth:`rank` and :meth:`apply`; which segment or
    copy answered is not their concern.
    """

    def __init__(
        self, store: Store, *, compact_cells: int = T.COMPACT_CELLS, background: bool = True
    ) -> None:
        self.store = store
        self.dims = store.ident.dims
        self.compact_cells = compact_cells
        self.background = background
        self._lock = threading.Lock()
        self._merging: threading.Thread | None = None
        self._since_merge: set[str] | None = None  # paths changed while a merge runs
        self.reload()

    def reload(self) -> None:
        """Read every vector from the store, chunk by chunk, into a new main segment; a large
        one kept from the last run is loaded instead, with just the files changed since."""
        self.wait()
        kept = cache.folder_of(self.store.folder)
        if self._load_kept(kept):
            return
        for attempt in range(3):
            rows = self.store.count_pieces()
            builder = Builder(rows, self.dims, self.store.folder, self._compact(rows), kept)
            # Read before the vectors: a write in between shows as a change at the next load.
            seen = cache.seen_of(self.store.files()) if builder.kept else {}
            try:
                for cols, floats in self.store.vector_batches():
                    builder.add(cols, floats)
                main = builder.done()
                break
            except Changed:
                # A writer (the watcher in another process) committed between count and read.
                if attempt == 2:
                    raise RuntimeError("the index kept changing while its vectors loaded") from None
            finally:
                builder.close()
        snap = Snapshot.of(main, Segment.empty(self.dims))  # its row maps, outside the lock
        with self._lock:
            self.snap = snap
        malloc.give_back()  # what the read of every vector freed (core/malloc.py)
        if builder.kept is not None:
            try:
                cache.save(kept, main, builder.kept, seen)
            except (OSError, ValueError) as exc:
                # A full disk: the next open rebuilds; nothing else is lost.
                log.warning("could not keep the vector segment: %s", exc)
                builder.kept.unlink(missing_ok=True)

    def _load_kept(self, kept: Path) -> bool:
        """Load the kept segment and bring it in step with the store; False if there is none
        or too much changed since (a rebuild is then as quick)."""
        if not T.KEEP_SEGMENT:
            return False
        loaded = cache.load(kept, self.dims)
        if loaded is None:
            return False
        main, seen = loaded
        changed = cache.changed_since(seen, self.store.files())
        if len(changed) > max(T.KEPT_STALE_FILES, T.KEPT_STALE_SHARE * len(seen)):
            return False
        snap = Snapshot.of(main, Segment.empty(self.dims))  # its row maps, outside the lock
        with self._lock:
            self.snap = snap
        malloc.give_back()  # what reading the columns freed
        self.apply(changed)
        return True

    def _compact(self, rows: int) -> bool:
        return rows * self.dims > self.compact_cells

    # Read-only views of the current snapshot.
    ids = property(lambda self: self.snap.ids)
    paths = property(lambda self: self.snap.paths)
    kinds = property(lambda self: self.snap.kinds)
    mtimes = property(lambda self: self.snap.mtimes)
    matrix = property(lambda self: self.snap.matrix)
    row_of = property(lambda self: self.snap.row_of)

    def __len__(self) -> int:
        return len(self.snap.row_of)

    def apply(self, changed_paths: Iterable[str]) -> None:
        """Re-read just these files' rows (after an index run touched them).

        Their main rows are masked and their new rows replace theirs in the delta: the cost
        is these files' rows plus a pass over the paths, never a copy of the matrix.
        """
        changed = set(changed_paths)
        if not changed:
            return
        meta, fresh = self.store.vectors_of(sorted(changed))
        with self._lock:
            old = self.snap
            hit = old.main.of_paths(changed)
            stale = old.delta.of_paths(changed)
            delta = old.delta.take(~stale) + Segment.of(meta.to_pydict(), fresh)
            self.snap = Snapshot(old.main, delta, old.dead | hit, old.main_rows)
            if self._since_merge is not None:
                self._since_merge |= changed
            due = len(delta) + int(self.snap.dead.sum()) > max(
                T.DELTA_MIN, T.MERGE_SHARE * len(old.main)
            )
        if due:
            self.merge(wait=not self.background)

    def merge(self, wait: bool = True) -> None:
        """Fold the delta and the mask into a new main segment (on a thread unless ``wait``)."""
        with self._lock:
            if self._merging is not None and self._merging.is_alive():
                running = self._merging
            else:
                running = None
                self._since_merge = set()
                base = self.snap
                self._merging = threading.Thread(
                    target=self._merge, args=(base,), name="loci-vector-merge", daemon=True
                )
                self._merging.start()
        if wait:
            (running or self._merging).join()

    def wait(self) -> None:
        """Block until a running merge has swapped in (tests, reload, close)."""
        thread = self._merging
        if thread is not None:
            thread.join()

    def _merge(self, base: Snapshot) -> None:
        with contextlib.suppress(Exception):  # a failed merge leaves the delta answering
            main = self._fold(base)
            main.of_paths(set())  # its path runs, before _swap_in takes the lock
            self._swap_in(base, main)
        malloc.give_back()

    def _fold(self, base: Snapshot) -> Segment:
        alive = ~base.dead
        rows = int(alive.sum()) + len(base.delta)
        builder = Builder(rows, self.dims, self.store.folder, self._compact(rows))
        try:
            self._fill(builder, base)
            return builder.done()
        finally:
            builder.close()

    @staticmethod
    def _fill(builder: Builder, base: Snapshot) -> None:
        alive = ~base.dead
        main = base.main
        for start in range(0, len(main), T.CHUNK_ROWS):
            keep = alive[start : start + T.CHUNK_ROWS]
            cols = {
                "id": main.ids[start : start + T.CHUNK_ROWS][keep].tolist(),
                "path": main.paths[start : start + T.CHUNK_ROWS][keep].tolist(),
                "kind": main.kinds[start : start + T.CHUNK_ROWS][keep].tolist(),
                "mtime": main.mtimes[start : start + T.CHUNK_ROWS][keep],
            }
            builder.add(cols, np.asarray(main.floats[start : start + T.CHUNK_ROWS])[keep])
        d = base.delta
        builder.add(
            {"id": d.ids.tolist(), "path": d.paths.tolist(), "kind": d.kinds.tolist(),
             "mtime": d.mtimes},
            d.floats,
        )  # fmt: skip

    def _swap_in(self, base: Snapshot, main: Segment) -> None:
        with self._lock:
            changed = self._since_merge or set()
            self._since_merge = None
            now = self.snap
            # Files changed during the merge: their merged rows are stale, the delta has theirs.
            dead = main.of_paths(changed)
            fresh = now.delta.of_paths(changed)
            self.snap = Snapshot.of(main, now.delta.take(fresh), dead)

    def mask(self, filters: Any, snap: Snapshot | None = None) -> np.ndarray | None:
        """Rows that pass ``filters`` (kinds, folder, since), or None when none is set."""
        if not filters.active():
            return None
        v = snap or self.snap
        n = len(v)
        mask = v.alive.copy()
        if filters.kinds:
            mask &= np.isin(v.kinds, list(filters.kinds))
        if filters.folder:
            prefix = os.path.abspath(os.path.expanduser(filters.folder)).rstrip(os.sep) + os.sep
            mask &= np.fromiter((p.startswith(prefix) for p in v.paths), bool, n)
        if filters.since:
            mask &= v.mtimes >= filters.since
        return mask

    def rank(
        self,
        q: np.ndarray,
        k: int,
        mask: np.ndarray | None = None,
        snap: Snapshot | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows and exact scores of the ``k`` best live pieces for ``q``, best first.

        ``q`` is one vector [dims], or several [m, dims] (a row then scores by its best match
        among them). ``mask`` (bool per row) keeps only the rows where it is true. Only rows
        that pass are returned, so fewer than ``k`` may come back.
        """
        v = snap or self.snap
        q = np.asarray(q, dtype=np.float32)
        n_main = len(v.main)
        main_ok = ~v.dead if mask is None else mask[:n_main] & ~v.dead
        rows_m, scores_m = rank_segment(v.main, q, k, None if main_ok.all() else main_ok)
        delta_ok = None if mask is None else mask[n_main:]
        rows_d, scores_d = rank_segment(v.delta, q, k, delta_ok)
        rows = np.concatenate([rows_m, rows_d + n_main])
        scores = np.concatenate([scores_m, scores_d]).astype(np.float32, copy=False)
        order = np.argsort(-scores, kind="stable")[:k]
        return rows[order], scores[order]

    def batches(self) -> Iterator[np.ndarray]:
        """The current rows' float32 vectors in blocks (for tools that need them all)."""
        v = self.snap
        for start in range(0, len(v), T.CHUNK_ROWS):
            yield v.vectors(np.arange(start, min(start + T.CHUNK_ROWS, len(v))))

    def memory_bytes(self) -> int:
        """Bytes this index holds in process memory for vectors (the mapped floats excluded)."""
        v = self.snap
        total = v.delta.floats.nbytes + v.dead.nbytes
        if v.main.codes is not None:
            total += v.main.codes.nbytes
        elif v.main.bits is not None:
            total += v.main.bits.nbytes
        else:
            total += v.main.floats.nbytes
        return total
