"""Segments and snapshots: the rows of the vector index and one consistent view of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np


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
    # Past GUARANTEE_CELLS: one bit per dimension (above the mean or not), a first stage.
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

    @cached_property
    def _path_runs(self) -> dict[str, list[tuple[int, int]]]:
        """path → its runs of consecutive rows (a file's pieces are written, read and merged
        together, so a file is one run, seldom a few)."""
        n = len(self.paths)
        if n == 0:
            return {}
        starts = np.flatnonzero(self.paths[1:] != self.paths[:-1]) + 1
        runs: dict[str, list[tuple[int, int]]] = {}
        for start, end in zip(
            [0, *starts.tolist()], [*starts.tolist(), n], strict=True
        ):  # fmt: skip
            runs.setdefault(self.paths[start], []).append((start, end))
        return runs

    def of_paths(self, paths: set[str]) -> np.ndarray:
        """bool per row: whether its path is one of ``paths``. Costs those files' rows (after
        one pass over the paths per segment, which ``of_paths(set())`` pays up front)."""
        hit = np.zeros(len(self), dtype=bool)
        runs = self._path_runs
        for path in paths:
            for start, end in runs.get(path, ()):
                hit[start:end] = True
        return hit

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
        main.of_paths(set())  # its path runs too, once per main segment, not at the first edit
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
