"""Building a main segment from chunks: float32 in memory, or int8 codes (past
``GUARANTEE_CELLS``: binary codes instead) with the float32 rows in a scratch file read back
by :class:`DiskRows`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core.vectors import cache
from core.vectors import tuning as T
from core.vectors.disk import DiskRows
from core.vectors.segment import Segment


def _codes_of(floats: np.ndarray, scale: np.ndarray, out: np.ndarray) -> None:
    """out[:] = round(floats / scale) (int8, within ±127); ``floats`` is used as scratch."""
    np.divide(floats, scale, out=floats)
    np.rint(floats, out=floats)
    np.clip(floats, -127, 127, out=floats)
    out[:] = floats


class Builder:
    """A main segment assembled from chunks without holding every float in memory at once.

    A compact segment's floats go to the scratch file by plain writes and are read back in
    blocks to quantize: pages of a mapping that were written or read all count as resident
    (measured: 1.5 × the float32 bytes at 100k × 768); the mapping made at the end is only
    touched at the few rows a query rescores.
    """

    def __init__(
        self, rows: int, dims: int, folder: Any, compact: bool, keep: Path | None = None
    ) -> None:
        self.rows, self.dims, self.at = rows, dims, 0
        self.cols: dict[str, list[Any]] = {"id": [], "path": [], "kind": [], "mtime": []}
        self._shared: dict[str, str] = {}
        # Past the exactness threshold the segment keeps binary codes (they need the mean),
        # else int8 codes (they need each dimension's largest value).
        self.binary = compact and not T.proven(rows, dims) and dims % 64 == 0
        self.absmax = np.zeros(dims, dtype=np.float32)
        self.total = np.zeros(dims, dtype=np.float64)
        self.scratch: Any = None
        self.floats: np.ndarray | None = None
        # A binary segment's rows go to a named file in ``keep`` (core/vectors/cache.py).
        self.kept: Path | None = None
        self._done = False
        if compact and rows and self.binary and keep is not None:
            self.kept, self.scratch = cache.new_rows_file(keep)
        elif compact and rows:
            self.scratch = _scratch_file(folder)
        else:
            self.floats = np.zeros((rows, dims), dtype=np.float32)

    def add(self, cols: dict[str, Any], floats: np.ndarray) -> None:
        m = len(floats)
        if self.at + m > self.rows:
            raise Changed
        for name, values in self.cols.items():
            if name in ("path", "kind"):  # shared by many pieces: one string object each
                values.extend(self._shared.setdefault(v, v) for v in cols[name])
            else:
                values.extend(cols[name])
        if self.floats is not None:
            self.floats[self.at : self.at + m] = floats
        else:
            self.scratch.write(np.ascontiguousarray(floats, dtype=np.float32).data)
        if m and not self.binary:
            np.maximum(self.absmax, np.abs(floats).max(axis=0), out=self.absmax)
        if m:
            self.total += floats.sum(axis=0, dtype=np.float64)
        self.at += m

    def done(self) -> Segment:
        if self.at != self.rows:
            raise Changed
        seg = Segment.of(self.cols, np.zeros((0, self.dims)))
        if self.floats is not None:
            return Segment(seg.ids, seg.paths, seg.kinds, seg.mtimes, self.floats)
        self.scratch.flush()
        centre = (self.total / max(1, self.rows)).astype(np.float32) if self.binary else None
        codes, scale, bits = self._quantize(centre)
        # The reader's own handle keeps the (already unlinked) file alive.
        floats = DiskRows(self.scratch, self.rows, self.dims)
        self._done = True
        self.close()
        return Segment(
            seg.ids, seg.paths, seg.kinds, seg.mtimes, floats, codes, scale,  # type: ignore[arg-type]
            bits, centre,
        )  # fmt: skip

    def _quantize(self, centre: np.ndarray | None) -> tuple[Any, Any, Any]:
        """(int8 codes, their scale, None), or with ``centre`` (None, None, binary codes)."""
        if centre is not None:
            bits = np.empty((self.dims // 64, self.rows), np.uint64)
            for start, part in self._blocks():
                packed = np.packbits(part > centre, axis=1)
                bits[:, start : start + len(part)] = packed.view(np.uint64).T
            return None, None, bits
        scale = np.where(self.absmax > 0, self.absmax / 127.0, 1.0).astype(np.float32)
        codes = np.empty((self.rows, self.dims), dtype=np.int8)
        for start, part in self._blocks():
            _codes_of(part, scale, codes[start : start + len(part)])
        return codes, scale, None

    def _blocks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, float32 rows) of the scratch file, 8 MB at a time, in one buffer."""
        step = max(1, (8 << 20) // (4 * self.dims))
        block = np.empty((step, self.dims), dtype=np.float32)
        self.scratch.seek(0)
        for start in range(0, self.rows, step):
            part = block[: min(step, self.rows - start)]
            self.scratch.readinto(part.data.cast("B"))
            yield start, part

    def close(self) -> None:
        if self.scratch is not None and not self.scratch.closed:
            self.scratch.close()
        if self.kept is not None and not self._done:
            self.kept.unlink(missing_ok=True)  # a build that failed keeps nothing


class Changed(Exception):
    """The store's row count changed while a segment was being read."""


def _scratch_file(folder: Any) -> Any:
    """An anonymous file for the float32 rows: gone when closed, or when the process dies."""
    try:
        return tempfile.TemporaryFile(prefix="vectors-", dir=folder)
    except OSError:
        return tempfile.TemporaryFile(prefix="loci-vectors-")
