"""The vector index: every piece vector, ranked by dot product, kept in step with the store.

Two segments answer every query together:

- the *main* segment, built once when the index opens (and again by a background merge):
  small ones keep their float32 matrix in memory and are scanned exactly; big ones keep only
  an int8 copy in memory (per-dimension scales, a quarter of the float bytes) and their
  float32 rows in a memory-mapped scratch file beside the index, read back only for the few
  hundred best candidates;
- the *delta* segment: the rows written since, as exact float32, small by construction.

Deletes and edits never touch the main matrix: an edited or deleted file's main rows are
masked out, its new rows go to the delta. When the delta (or the mask) grows past a share of
the main segment, a background thread folds them into a new main segment and swaps it in.

Scores are exact. The int8 scan only chooses candidates; each candidate is rescored with
its float32 row, and the candidate set grows until the rounding-error bound of the int8
copy proves that no row left out could beat the k-th score (above ``GUARANTEE_ROWS`` rows
the rescoring stops at ``MAX_RESCORE`` candidates instead — recall is then measured, see
the README's Scale section).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from core.store import Store

# Below this many float cells (16 MB of float32) the main segment stays float32 in memory:
# the exact scan is the fastest path there and the saving would not matter.
COMPACT_CELLS = 4_000_000
# Bytes of float32 per block of the int8 scan: one block's copy stays in the CPU cache.
BLOCK_BYTES = 6 << 20
# Candidates rescored with float32 before the error bound is checked.
RESCORE = 256
# Up to this many main rows the result is proven exact; above, rescoring stops at MAX_RESCORE.
GUARANTEE_ROWS = 200_000
MAX_RESCORE = 4096
# Past GUARANTEE_ROWS a Hamming scan of binary codes picks this many rows for the int8 scan.
BINARY_POOL = 10_000
# Merge the delta into the main segment past this share of the main rows (or DELTA_MIN rows).
MERGE_SHARE = 0.05
# Rows per block when a segment is read or rebuilt: 48 MB of float32 at 768 dims.
CHUNK_ROWS = 16_384
DELTA_MIN = 4096


def _objects(values: Iterable[Any]) -> np.ndarray:
    items = list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


@dataclass(frozen=True)
class Segment:
    """Rows of pieces: their columns, float32 vectors (in memory or mapped), maybe int8 codes."""

    ids: np.ndarray
    paths: np.ndarray
    kinds: np.ndarray
    mtimes: np.ndarray
    floats: np.ndarray  # float32 [n, dims]: an array, or DiskRows (read from the scratch file)
    codes: np.ndarray | None = None  # int8 [n, dims], round(floats / scale)
    scale: np.ndarray | None = None  # float32 [dims]
    # Past GUARANTEE_ROWS: one bit per dimension (above the mean or not), a first stage.
    bits: np.ndarray | None = None  # uint64 [dims / 64, n]: one word of every row per line
    centre: np.ndarray | None = None  # float32 [dims]

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def of(cls, cols: dict[str, Any], floats: np.ndarray) -> Segment:
        return cls(
            ids=_objects(cols["id"]),
            paths=_objects(cols["path"]),
            kinds=_objects(cols["kind"]),
            mtimes=np.asarray(cols["mtime"], dtype=np.float64),
            floats=np.ascontiguousarray(floats, dtype=np.float32),
        )

    @classmethod
    def empty(cls, dims: int) -> Segment:
        return cls.of({"id": [], "path": [], "kind": [], "mtime": []}, np.zeros((0, dims)))

    def take(self, keep: np.ndarray) -> Segment:
        """A float32, in-memory segment of the rows where ``keep`` is true (small segments)."""
        return Segment(
            self.ids[keep], self.paths[keep], self.kinds[keep], self.mtimes[keep],
            np.ascontiguousarray(self.floats[keep]),
        )  # fmt: skip

    def __add__(self, other: Segment) -> Segment:
        return Segment(
            np.concatenate([self.ids, other.ids]),
            np.concatenate([self.paths, other.paths]),
            np.concatenate([self.kinds, other.kinds]),
            np.concatenate([self.mtimes, other.mtimes]),
            np.concatenate([self.floats, other.floats]),
        )


class RowOf:
    """piece id → row in a snapshot, without rebuilding a dict of every id on each edit."""

    def __init__(self, main: dict[str, int], dead: np.ndarray, delta: dict[str, int]) -> None:
        self._main, self._dead, self._delta = main, dead, delta
        self._offset = len(dead)

    def get(self, pid: str, default: int | None = None) -> int | None:
        row = self._delta.get(pid)
        if row is not None:
            return row + self._offset
        row = self._main.get(pid)
        if row is None or self._dead[row]:
            return default
        return row

    def __getitem__(self, pid: str) -> int:
        row = self.get(pid)
        if row is None:
            raise KeyError(pid)
        return row

    def __contains__(self, pid: object) -> bool:
        return isinstance(pid, str) and self.get(pid) is not None

    def __len__(self) -> int:
        return int((~self._dead).sum()) + len(self._delta)


@dataclass(frozen=True)
class Snapshot:
    """One consistent state of both segments; replaced whole, never mutated.

    Rows number the main segment first, then the delta. A masked (dead) main row keeps its
    number but shows an empty path and kind, so no filter or path lookup finds it.
    """

    main: Segment
    delta: Segment
    dead: np.ndarray  # bool [len(main)]
    main_rows: dict[str, int]  # id → main row, shared by every snapshot of this main segment

    @classmethod
    def build(cls, cols: dict[str, list], matrix: np.ndarray) -> Snapshot:
        """A snapshot whose main segment holds ``matrix`` as float32 in memory."""
        main = Segment.of(cols, matrix)
        return cls.of(main, Segment.empty(main.floats.shape[1]))

    @classmethod
    def of(cls, main: Segment, delta: Segment, dead: np.ndarray | None = None) -> Snapshot:
        if dead is None:
            dead = np.zeros(len(main), dtype=bool)
        rows = {pid: i for i, pid in enumerate(main.ids.tolist())}
        return cls(main, delta, dead, rows)

    def __len__(self) -> int:
        return len(self.main) + len(self.delta)

    @property
    def dims(self) -> int:
        return int(self.main.floats.shape[1])

    @cached_property
    def ids(self) -> np.ndarray:
        return np.concatenate([self.main.ids, self.delta.ids])

    def _column(self, main: np.ndarray, delta: np.ndarray, gone: Any) -> np.ndarray:
        out = np.concatenate([main, delta])
        if self.dead.any():
            out[: len(main)][self.dead] = gone
        return out

    @cached_property
    def paths(self) -> np.ndarray:
        return self._column(self.main.paths, self.delta.paths, "")

    @cached_property
    def kinds(self) -> np.ndarray:
        return self._column(self.main.kinds, self.delta.kinds, "")

    @cached_property
    def mtimes(self) -> np.ndarray:
        return self._column(self.main.mtimes, self.delta.mtimes, -np.inf)

    @cached_property
    def row_of(self) -> RowOf:
        delta = {pid: i for i, pid in enumerate(self.delta.ids.tolist())}
        return RowOf(self.main_rows, self.dead, delta)

    @cached_property
    def alive(self) -> np.ndarray:
        return np.concatenate([~self.dead, np.ones(len(self.delta), dtype=bool)])

    def vectors(self, rows: Any) -> np.ndarray:
        """float32 [len(rows), dims]: the exact vectors of these rows, in this order."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        n = len(self.main)
        out = np.empty((len(rows), self.dims), dtype=np.float32)
        in_main = rows < n
        if in_main.any():
            # Sorted reads touch a mapped file in order; then back to the caller's order.
            picked = rows[in_main]
            order = np.argsort(picked, kind="stable")
            block = np.empty((len(picked), self.dims), dtype=np.float32)
            block[order] = self.main.floats[picked[order]]
            out[in_main] = block
        if (~in_main).any():
            out[~in_main] = self.delta.floats[rows[~in_main] - n]
        return out

    def vector(self, row: int) -> np.ndarray:
        """float32 [dims]: the exact vector of one row."""
        n = len(self.main)
        if row < n:
            return np.array(self.main.floats[row], dtype=np.float32)
        return self.delta.floats[row - n]

    @cached_property
    def matrix(self) -> np.ndarray:
        """Every row's float32 vector as one array: O(rows) memory, for tests and small tools.

        The search paths use :meth:`vectors` / :meth:`vector` / ``VectorIndex.rank`` instead.
        """
        out = np.concatenate([np.asarray(self.main.floats), self.delta.floats])
        out[: len(self.main)][self.dead] = 0.0
        return out


def _best(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest finite scores, best first."""
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(scores, n - k)[n - k :] if k < n else np.arange(n)
    top = top[np.isfinite(scores[top])]
    return top[np.argsort(-scores[top], kind="stable")]


def _exact(floats: np.ndarray, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Exact scores of ``rows``: q is [dims] (dot product) or [m, dims] (best of m)."""
    block = floats[rows] if len(rows) else np.zeros((0, floats.shape[1]), np.float32)
    s = block @ q.T
    return s if s.ndim == 1 else s.max(axis=1)


_blas: Any = None


def _one_blas_thread() -> Any:
    """Single-threaded BLAS for the block loop.

    Measured: OpenBLAS threads spin between the many small products and starve the int8 →
    float32 conversion beside them (2 busy cores: 240 ms instead of 17 ms at 100k × 768).
    """
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


def _approx(
    seg: Segment, q: np.ndarray, rows: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """int8 scores of ``rows`` of ``seg`` (default all) and the bound on their error."""
    assert seg.codes is not None and seg.scale is not None
    qs = (q * seg.scale).astype(np.float32)
    n = len(seg) if rows is None else len(rows)
    out = np.empty(n, dtype=np.float32)
    step = max(64, BLOCK_BYTES // (4 * seg.codes.shape[1]))
    buf = np.empty((min(step, n), seg.codes.shape[1]), dtype=np.float32)
    with _one_blas_thread():
        for start in range(0, n, step):
            stop = min(start + step, n)
            part = buf[: stop - start]
            codes = seg.codes[start:stop] if rows is None else seg.codes[rows[start:stop]]
            np.copyto(part, codes, casting="unsafe")
            s = part @ qs.T
            out[start:stop] = s if s.ndim == 1 else s.max(axis=1)
    # Each code is off by at most half a step of its dimension's scale.
    bound = float((0.5 * np.abs(qs).sum(axis=-1)).max()) if n else 0.0
    return out, bound * 1.0001 + 1e-6


def rank_segment(
    seg: Segment, q: np.ndarray, k: int, allowed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Rows (of ``seg``) and exact scores of its ``k`` best allowed rows, best first."""
    n = len(seg)
    if n == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if seg.codes is None:
        s = seg.floats @ q.T
        scores = s if s.ndim == 1 else s.max(axis=1)
        if allowed is not None:
            scores[~allowed] = -np.inf
        top = _best(scores, k)
        return top, scores[top]
    if seg.bits is not None and q.ndim == 1:
        pool = _binary_pool(seg, q, allowed)
        approx, bound = _approx(seg, q, pool)
    else:
        pool = None
        approx, bound = _approx(seg, q)
        if allowed is not None:
            approx[~allowed] = -np.inf
    m = len(approx)
    want = min(k, int(np.isfinite(approx).sum()))
    if want == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    rows = np.arange(m) if pool is None else pool
    cap = m if n <= GUARANTEE_ROWS else max(MAX_RESCORE, k)
    cand = _best(approx, max(RESCORE, 2 * k))
    while True:
        cand = np.sort(cand)
        exact = _exact(seg.floats, rows[cand], q)
        kth = np.partition(exact, len(exact) - want)[len(exact) - want]
        # A row left out scores at most (its int8 score + bound): it cannot beat the k-th.
        need = np.flatnonzero(approx >= kth - bound)
        if len(cand) >= cap or np.isin(need, cand, assume_unique=True).all():
            break
        cand = need if len(need) <= cap else _best(approx, cap)
    top = _best(exact, want)
    return rows[cand[top]], exact[top]


def _binary_pool(seg: Segment, q: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """Sorted rows of the BINARY_POOL nearest codes by Hamming distance (a first stage)."""
    assert seg.bits is not None and seg.centre is not None
    qb = np.packbits((q - seg.centre) > 0).view(np.uint64)
    n = len(seg)
    dist = np.zeros(n, dtype=np.uint16)
    # Word by word over contiguous columns: 3 × faster than a row-wise sum (measured at 1M).
    step = 65_536
    x = np.empty(min(step, n), dtype=np.uint64)
    c = np.empty(min(step, n), dtype=np.uint8)
    for start in range(0, n, step):
        stop = min(start + step, n)
        d, xs, cs = dist[start:stop], x[: stop - start], c[: stop - start]
        for word in range(len(qb)):
            np.bitwise_xor(seg.bits[word, start:stop], qb[word], out=xs)
            np.bitwise_count(xs, out=cs)
            np.add(d, cs, out=d)
    if allowed is not None:
        dist[~allowed] = np.iinfo(np.uint16).max
        size = min(BINARY_POOL, int(allowed.sum()))
    else:
        size = min(BINARY_POOL, len(seg))
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    pool = np.argpartition(dist, size - 1)[:size] if size < len(seg) else np.arange(len(seg))
    return np.sort(pool)


def _codes_of(floats: np.ndarray, scale: np.ndarray, out: np.ndarray) -> None:
    """out[:] = round(floats / scale) (int8, within ±127); ``floats`` is used as scratch."""
    np.divide(floats, scale, out=floats)
    np.rint(floats, out=floats)
    np.clip(floats, -127, 127, out=floats)
    out[:] = floats


class _Builder:
    """A main segment assembled from chunks without holding every float in memory at once.

    A compact segment's floats go to the scratch file by plain writes and are read back in
    blocks to quantize: pages of a mapping that were written or read all count as resident
    (measured: 1.5 × the float32 bytes at 100k × 768); the mapping made at the end is only
    touched at the few rows a query rescores.
    """

    def __init__(self, rows: int, dims: int, folder: Any, compact: bool) -> None:
        self.rows, self.dims, self.at = rows, dims, 0
        self.cols: dict[str, list[Any]] = {"id": [], "path": [], "kind": [], "mtime": []}
        self.absmax = np.zeros(dims, dtype=np.float32)
        self.total = np.zeros(dims, dtype=np.float64)
        self.scratch: Any = None
        self.floats: np.ndarray | None = None
        if compact and rows:
            self.scratch = _scratch_file(folder)
        else:
            self.floats = np.zeros((rows, dims), dtype=np.float32)

    def add(self, cols: dict[str, Any], floats: np.ndarray) -> None:
        m = len(floats)
        if self.at + m > self.rows:
            raise _Changed
        for name, values in self.cols.items():
            values.extend(cols[name])
        if self.floats is not None:
            self.floats[self.at : self.at + m] = floats
        else:
            self.scratch.write(np.ascontiguousarray(floats, dtype=np.float32).data)
        if m:
            np.maximum(self.absmax, np.abs(floats).max(axis=0), out=self.absmax)
            self.total += floats.sum(axis=0, dtype=np.float64)
        self.at += m

    def done(self) -> Segment:
        if self.at != self.rows:
            raise _Changed
        seg = Segment.of(self.cols, np.zeros((0, self.dims)))
        if self.floats is not None:
            return Segment(seg.ids, seg.paths, seg.kinds, seg.mtimes, self.floats)
        self.scratch.flush()
        binary = self.rows > GUARANTEE_ROWS and self.dims % 64 == 0
        centre = (self.total / max(1, self.rows)).astype(np.float32)
        codes, scale, bits = self._quantize(centre if binary else None)
        # The reader's own handle keeps the (already unlinked) file alive.
        floats = DiskRows(self.scratch, self.rows, self.dims)
        self.close()
        return Segment(
            seg.ids, seg.paths, seg.kinds, seg.mtimes, floats, codes, scale,  # type: ignore[arg-type]
            bits, centre if binary else None,
        )  # fmt: skip

    def _quantize(self, centre: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, Any]:
        scale = np.where(self.absmax > 0, self.absmax / 127.0, 1.0).astype(np.float32)
        codes = np.empty((self.rows, self.dims), dtype=np.int8)
        bits = None if centre is None else np.empty((self.dims // 64, self.rows), np.uint64)
        step = max(1, (8 << 20) // (4 * self.dims))
        block = np.empty((step, self.dims), dtype=np.float32)
        self.scratch.seek(0)
        for start in range(0, self.rows, step):
            part = block[: min(step, self.rows - start)]
            self.scratch.readinto(part.data.cast("B"))
            if bits is not None and centre is not None:
                packed = np.packbits(part > centre, axis=1)
                bits[:, start : start + len(part)] = packed.view(np.uint64).T
            _codes_of(part, scale, codes[start : start + len(part)])
        return codes, scale, bits

    def close(self) -> None:
        if self.scratch is not None and not self.scratch.closed:
            self.scratch.close()


class DiskRows:
    """float32 rows in a scratch file, read on demand: ``rows[i]``, ``rows[a:b]``, ``rows[idx]``.

    Reads are ``pread`` calls, not a mapping: measured, a mapping's fault-around brought in
    64 KB of neighbours per row touched, and 20 queries at 100k × 768 left 300 MB resident.
    Where ``pread`` is missing (Windows) the rows come through a read-only mapping instead.
    """

    def __init__(self, file: Any, rows: int, dims: int) -> None:
        self.shape = (rows, dims)
        self.dtype = np.dtype(np.float32)
        self._row_bytes = dims * 4
        self._map: np.ndarray | None = None
        self._fd = -1
        if hasattr(os, "preadv"):
            self._fd = os.dup(file.fileno())
            weakref.finalize(self, os.close, self._fd)
        else:
            self._map = np.memmap(file, dtype=np.float32, mode="r", shape=self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        return 0  # nothing held in memory

    def __getitem__(self, key: Any) -> np.ndarray:
        if self._map is not None:
            return np.array(self._map[key])
        if isinstance(key, (int, np.integer)):
            return self[np.array([key])][0]
        if isinstance(key, slice):
            start, stop, step = key.indices(self.shape[0])
            if step != 1:
                return self[np.arange(start, stop, step)]
            out = np.empty((max(0, stop - start), self.shape[1]), dtype=np.float32)
            if len(out):
                os.preadv(self._fd, [out.data.cast("B")], start * self._row_bytes)
            return out
        rows = np.asarray(key, dtype=np.int64).reshape(-1)
        out = np.empty((len(rows), self.shape[1]), dtype=np.float32)
        size = self._row_bytes
        for i, r in enumerate(rows.tolist()):
            os.preadv(self._fd, [out[i].data.cast("B")], r * size)
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[0 : self.shape[0]]
        return out if dtype is None else out.astype(dtype)


class _Changed(Exception):
    """The store's row count changed while a segment was being read."""


def _scratch_file(folder: Any) -> Any:
    """An anonymous file for the float32 rows: gone when closed, or when the process dies."""
    try:
        return tempfile.TemporaryFile(prefix="vectors-", dir=folder)
    except OSError:
        return tempfile.TemporaryFile(prefix="loci-vectors-")


class VectorIndex:
    """Every piece vector and the columns filters need, ranked by exact dot product.

    Updates build a new :class:`Snapshot` and swap it in with one assignment, so a search
    running on another thread always sees one consistent state. Callers use ``snap`` (or
    the properties below), :meth:`mask`, :meth:`rank` and :meth:`apply`; which segment or
    copy answered is not their concern.
    """

    def __init__(
        self, store: Store, *, compact_cells: int = COMPACT_CELLS, background: bool = True
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
        """Read every vector from the store, chunk by chunk, into a new main segment."""
        self.wait()
        for attempt in range(3):
            rows = self.store.count_pieces()
            builder = _Builder(rows, self.dims, self.store.folder, self._compact(rows))
            try:
                for cols, floats in self.store.vector_batches():
                    builder.add(cols, floats)
                main = builder.done()
                break
            except _Changed:
                # A writer (the watcher in another process) committed between count and read.
                if attempt == 2:
                    raise RuntimeError("the index kept changing while its vectors loaded") from None
            finally:
                builder.close()
        with self._lock:
            self.snap = Snapshot.of(main, Segment.empty(self.dims))

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
            hit = np.fromiter((p in changed for p in old.main.paths), bool, len(old.main))
            stale = np.fromiter((p in changed for p in old.delta.paths), bool, len(old.delta))
            delta = old.delta.take(~stale) + Segment.of(meta.to_pydict(), fresh)
            self.snap = Snapshot(old.main, delta, old.dead | hit, old.main_rows)
            if self._since_merge is not None:
                self._since_merge |= changed
            due = len(delta) + int(self.snap.dead.sum()) > max(
                DELTA_MIN, MERGE_SHARE * len(old.main)
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
            self._swap_in(base, self._fold(base))

    def _fold(self, base: Snapshot) -> Segment:
        alive = ~base.dead
        rows = int(alive.sum()) + len(base.delta)
        builder = _Builder(rows, self.dims, self.store.folder, self._compact(rows))
        try:
            self._fill(builder, base)
            return builder.done()
        finally:
            builder.close()

    @staticmethod
    def _fill(builder: _Builder, base: Snapshot) -> None:
        alive = ~base.dead
        main = base.main
        for start in range(0, len(main), CHUNK_ROWS):
            keep = alive[start : start + CHUNK_ROWS]
            cols = {
                "id": main.ids[start : start + CHUNK_ROWS][keep].tolist(),
                "path": main.paths[start : start + CHUNK_ROWS][keep].tolist(),
                "kind": main.kinds[start : start + CHUNK_ROWS][keep].tolist(),
                "mtime": main.mtimes[start : start + CHUNK_ROWS][keep],
            }
            builder.add(cols, np.asarray(main.floats[start : start + CHUNK_ROWS])[keep])
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
            dead = np.fromiter((p in changed for p in main.paths), bool, len(main))
            fresh = np.fromiter((p in changed for p in now.delta.paths), bool, len(now.delta))
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
        for start in range(0, len(v), CHUNK_ROWS):
            yield v.vectors(np.arange(start, min(start + CHUNK_ROWS, len(v))))

    def memory_bytes(self) -> int:
        """Bytes this index holds in process memory for vectors (the mapped floats excluded)."""
        v = self.snap
        total = v.delta.floats.nbytes + v.dead.nbytes
        if v.main.codes is not None:
            total += v.main.codes.nbytes
            total += 0 if v.main.bits is None else v.main.bits.nbytes
        else:
            total += v.main.floats.nbytes
        return total
