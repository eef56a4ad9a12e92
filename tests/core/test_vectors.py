"""The vector index answers exactly as a float32 scan of the store, through edits and merges."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.search import Filters, VectorIndex
from core.store import FileRow, FileUpdate, IndexIdentity, PieceRow, Store
from core.vectors import DiskRows, Snapshot

DIMS = 32


def unit(rng: np.random.Generator, n: int, centre: np.ndarray | None = None) -> np.ndarray:
    """Clustered vectors (real embeddings crowd together; that is where int8 has to be exact)."""
    v = rng.standard_normal((n, DIMS)).astype(np.float32)
    if centre is not None:
        v = centre + 0.35 * v
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def update(path: str, vectors: np.ndarray, kind: str = "note", mtime: float = 1000.0) -> FileUpdate:
    row = FileRow(path, mtime, 1, "sha", "indexed", pieces=len(vectors), indexed_at=mtime)
    pieces = [
        PieceRow(i, kind, "text/plain", path, f"text {i}", {}, v) for i, v in enumerate(vectors)
    ]
    return FileUpdate(row, pieces)


def exact(store: Store, q: np.ndarray, k: int, keep=None) -> tuple[list[str], np.ndarray]:
    meta, matrix = store.vectors()
    cols = meta.to_pydict()
    scores = matrix @ q if q.ndim == 1 else (matrix @ q.T).max(axis=1)
    rows_of = zip(cols["path"], cols["kind"], cols["mtime"], strict=True)
    ok = [keep is None or keep(p, kd, m) for p, kd, m in rows_of]
    rows = [i for i in np.argsort(-scores, kind="stable") if ok[i]][:k]
    return [cols["id"][i] for i in rows], scores[rows]


def same(vindex: VectorIndex, store: Store, q: np.ndarray, k: int, filters=None, keep=None) -> None:
    snap = vindex.snap
    mask = vindex.mask(filters, snap) if filters else None
    rows, scores = vindex.rank(q, k, mask, snap)
    want_ids, want_scores = exact(store, q, k, keep)
    assert [snap.ids[r] for r in rows] == want_ids
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-6)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "index", IndexIdentity("test", "vec-v1", DIMS))
    rng = np.random.default_rng(3)
    centres = unit(rng, 4)
    s.write(
        [
            update(f"/n/{'ab'[i % 2]}/f{i:03d}.md", unit(rng, 1 + i % 3, centres[i % 4]),
                   kind="note" if i % 3 else "image", mtime=1000.0 + i)
            for i in range(300)
        ]
    )  # fmt: skip
    return s


@pytest.mark.parametrize("compact_cells", [0, 10**9], ids=["int8", "float"])
def test_edits_and_deletes_keep_results_and_scores_exact(store: Store, compact_cells: int) -> None:
    vindex = VectorIndex(store, compact_cells=compact_cells, background=False)
    assert (vindex.snap.main.codes is not None) == (compact_cells == 0)
    rng = np.random.default_rng(5)
    queries = unit(rng, 6)
    for q in queries:
        same(vindex, store, q, 10)
        same(vindex, store, q, 112)

    main_before = vindex.snap.main
    for step in range(5):
        edited = [f"/n/a/f{i:03d}.md" for i in range(step * 10, step * 10 + 7, 2)]
        store.write([update(p, unit(rng, 1 + step % 3)) for p in edited])
        store.write([update(f"/n/b/new{step}.md", unit(rng, 2))])
        gone = [f"/n/b/f{i:03d}.md" for i in range(101 + step * 10, 107 + step * 10, 2)]
        store.delete(gone)
        vindex.apply(edited + gone + [f"/n/b/new{step}.md"])
        assert vindex.snap.main is main_before  # no copy of the main matrix on an edit
        for q in queries:
            same(vindex, store, q, 10)
        assert not any(p in set(gone) for p in vindex.snap.paths)
    assert len(vindex) == store.count_pieces()

    # Filters see the delta and never the masked rows.
    folder = Filters(kinds=["note"], folder="/n/b")
    for q in queries[:3]:
        same(vindex, store, q, 20, folder, lambda p, kd, m: kd == "note" and p.startswith("/n/b/"))
        same(vindex, store, q, 20, Filters(since=1200.0), lambda p, kd, m: m >= 1200.0)
    # Several query vectors (recall from a file): each row scores by its best match.
    same(vindex, store, queries[:3], 15)

    vindex.merge(wait=True)
    assert vindex.snap.main is not main_before and len(vindex.snap.delta) == 0
    for q in queries:
        same(vindex, store, q, 10)


def test_a_merge_keeps_edits_made_while_it_runs(store: Store) -> None:
    vindex = VectorIndex(store, compact_cells=0)
    rng = np.random.default_rng(9)
    store.write([update("/n/a/f000.md", unit(rng, 3))])
    vindex.apply(["/n/a/f000.md"])
    vindex.merge(wait=False)
    store.write([update("/n/a/f002.md", unit(rng, 1)), update("/n/late.md", unit(rng, 2))])
    store.delete(["/n/b/f001.md"])
    vindex.apply(["/n/a/f002.md", "/n/late.md", "/n/b/f001.md"])
    vindex.wait()
    for q in unit(rng, 5):
        same(vindex, store, q, 10)
    assert len(vindex) == store.count_pieces()


def test_the_delta_is_merged_past_its_threshold(store: Store, monkeypatch) -> None:
    monkeypatch.setattr("core.vectors.tuning.DELTA_MIN", 8)
    vindex = VectorIndex(store, compact_cells=0, background=False)
    rng = np.random.default_rng(1)
    paths = [f"/n/a/f{i:03d}.md" for i in range(0, 40, 2)]
    store.write([update(p, unit(rng, 1)) for p in paths])
    vindex.apply(paths)
    assert len(vindex.snap.delta) == 0 and not vindex.snap.dead.any()
    for q in unit(rng, 3):
        same(vindex, store, q, 10)


def test_the_float_rows_of_a_compact_index_are_not_held_in_memory(store: Store) -> None:
    vindex = VectorIndex(store, compact_cells=0)
    snap = vindex.snap
    assert isinstance(snap.main.floats, DiskRows)
    assert vindex.memory_bytes() < 0.3 * len(snap) * DIMS * 4 + 4096
    meta, matrix = store.vectors()
    rows = [snap.row_of[pid] for pid in meta.column("id").to_pylist()]
    assert np.array_equal(snap.vectors(rows), matrix)
    assert np.array_equal(snap.vector(rows[7]), matrix[7])


def test_snapshot_build_keeps_working_for_an_in_memory_matrix() -> None:
    rng = np.random.default_rng(0)
    m = unit(rng, 50)
    cols = {"id": [f"p{i}" for i in range(50)], "path": ["/x"] * 50, "kind": ["note"] * 50,
            "mtime": [0.0] * 50}  # fmt: skip
    vindex = VectorIndex.__new__(VectorIndex)
    vindex.snap = Snapshot.build(cols, m)
    rows, scores = vindex.rank(m[4], 3)
    assert rows[0] == 4 and abs(scores[0] - 1.0) < 1e-6


def test_past_the_guarantee_a_binary_first_stage_keeps_recall(tmp_path: Path, monkeypatch) -> None:
    rng = np.random.default_rng(2)
    dims = 64
    monkeypatch.setattr("core.vectors.tuning.GUARANTEE_CELLS", 100 * dims)
    centres = rng.standard_normal((8, dims)).astype(np.float32)
    store = Store(tmp_path / "index", IndexIdentity("test", "vec-v1", dims))
    rows = []
    for i in range(400):
        v = centres[i % 8] + 0.5 * rng.standard_normal(dims).astype(np.float32)
        rows.append(update(f"/n/f{i:03d}.md", (v / np.linalg.norm(v))[None, :], mtime=float(i)))
    store.write(rows)
    meta, matrix = store.vectors()
    ids = meta.column("id").to_pylist()
    queries = matrix[rng.integers(0, 400, 8)] + 0.1 * rng.standard_normal((8, dims))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)

    monkeypatch.setattr("core.vectors.tuning.BINARY_POOL", 400)  # the pool holds every row: exact
    vindex = VectorIndex(store, compact_cells=0)
    main = vindex.snap.main
    assert main.bits is not None and main.codes is None  # memory holds 1 bit a dimension
    assert vindex.memory_bytes() == main.bits.nbytes + vindex.snap.dead.nbytes
    for q in queries:
        rows_, scores = vindex.rank(q, 10)
        want = np.argsort(-(matrix @ q))[:10]
        assert [vindex.snap.ids[r] for r in rows_] == [ids[i] for i in want]
        np.testing.assert_allclose(scores, (matrix @ q)[want], atol=1e-6)
    # A file's several vectors (recall): each row scores by its best match among them.
    several = queries[:3]
    rows_, scores = vindex.rank(several, 10)
    best = (matrix @ several.T).max(axis=1)
    assert [vindex.snap.ids[r] for r in rows_] == [ids[i] for i in np.argsort(-best)[:10]]
    # Filters reach the first stage: only allowed rows come back.
    allowed = np.zeros(len(vindex.snap), dtype=bool)
    allowed[::3] = True
    rows_, _ = vindex.rank(queries[0], 10, allowed)
    assert len(rows_) == 10 and allowed[rows_].all()
    # A smaller pool still finds most of them; filters reach the pool too.
    monkeypatch.setattr("core.vectors.tuning.BINARY_POOL", 120)
    found = []
    for q in queries:
        rows_, _ = vindex.rank(q, 10)
        want = set(np.argsort(-(matrix @ q))[:10].tolist())
        found.append(len(want & {ids.index(vindex.snap.ids[r]) for r in rows_}) / 10)
    assert np.mean(found) >= 0.9
    since = vindex.mask(Filters(since=390.0))
    rows_, _ = vindex.rank(queries[0], 10, since)
    assert sorted(vindex.snap.mtimes[rows_].tolist()) == [float(i) for i in range(390, 400)]


def test_the_exactness_proof_holds_up_to_a_number_of_cells_not_rows() -> None:
    """The int8 scan is linear in rows × dims: at Gemini's 3072 dims the binary first stage
    starts at a quarter of the rows it starts at with 768."""
    from core.vectors.tuning import proven

    assert proven(200_000, 768) and not proven(200_001, 768)
    assert proven(50_000, 3072) and not proven(50_001, 3072)
    assert proven(100_000, 1536) and not proven(100_000, 3072)


def test_the_binary_pool_is_the_nearest_codes_ties_cut_in_row_order() -> None:
    from core.vectors.rank import _nearest

    rng = np.random.default_rng(5)
    dist = rng.integers(0, 40, 5000).astype(np.uint16)
    for size in (1, 17, 100, 2500, 4999):
        pool = _nearest(dist, size)
        assert len(pool) == size and np.all(np.diff(pool) > 0)
        cut = np.sort(dist)[size - 1]
        assert dist[pool].max() == cut and (dist < cut).sum() == (dist[pool] < cut).sum()
        tied = np.flatnonzero(dist == cut)
        assert set(pool[dist[pool] == cut]) == set(tied[: size - (dist < cut).sum()])
    masked = dist.copy()
    masked[::2] = np.iinfo(np.uint16).max  # filtered-out rows never enter the pool
    assert not np.any(_nearest(masked, 2500) % 2 == 0)


def test_pieces_of_one_file_share_one_path_string(tmp_path: Path) -> None:
    """At 1M pieces one string per piece for paths and kinds was 170 MB; one per file is not."""
    from core import malloc

    store = Store(tmp_path / "index", IndexIdentity("test", "vec-v1", DIMS))
    rng = np.random.default_rng(3)
    store.write([update(f"/n/f{i}.md", unit(rng, 5)) for i in range(3)])
    vindex = VectorIndex(store, compact_cells=0)
    paths, kinds = vindex.snap.main.paths, vindex.snap.main.kinds
    assert (
        len(paths) == 15 and len({id(p) for p in paths}) == 3 and len({id(k) for k in kinds}) == 1
    )
    malloc.limit_arenas()  # glibc only; a no-op elsewhere, and safe to call again
    malloc.give_back()


def _binary_store(tmp_path: Path, monkeypatch, files: int = 300) -> tuple[Store, np.ndarray]:
    """A store big enough (by the patched thresholds) for a binary, kept main segment."""
    dims = 64
    monkeypatch.setattr("core.vectors.tuning.GUARANTEE_CELLS", 100 * dims)
    monkeypatch.setattr("core.vectors.tuning.BINARY_POOL", 10_000)  # every row: exact ranks
    rng = np.random.default_rng(5)
    store = Store(tmp_path / "index", IndexIdentity("test", "vec-v1", dims))
    rows = []
    for i in range(files):
        v = rng.standard_normal((1 + i % 2, dims)).astype(np.float32)
        rows.append(update(f"/n/f{i:03d}.md", v / np.linalg.norm(v, axis=1, keepdims=True),
                           mtime=float(i)))  # fmt: skip
    store.write(rows)
    q = rng.standard_normal((6, dims)).astype(np.float32)
    return store, q / np.linalg.norm(q, axis=1, keepdims=True)


def _ranked(vindex: VectorIndex, q: np.ndarray) -> list[tuple[list[str], list[float]]]:
    out = []
    for one in q:
        rows, scores = vindex.rank(one, 10)
        out.append(([vindex.snap.ids[r] for r in rows], np.round(scores, 6).tolist()))
    return out


def test_a_large_segment_is_kept_and_the_next_open_reads_only_what_changed(
    tmp_path: Path, monkeypatch
) -> None:
    store, q = _binary_store(tmp_path, monkeypatch)
    first = VectorIndex(store, compact_cells=0)
    assert first.snap.main.bits is not None
    kept = tmp_path / "index" / "vectors"
    assert (kept / "manifest.json").exists() and len(list(kept.glob("rows-*.f32"))) == 1
    # While it was closed: one file rewritten, one removed, one added, one left pending.
    rng = np.random.default_rng(9)
    new = rng.standard_normal((3, 64)).astype(np.float32)
    new /= np.linalg.norm(new, axis=1, keepdims=True)
    store.write([update("/n/f007.md", new[:2], mtime=7.5), update("/n/new.md", new[2:])])
    store.delete(["/n/f011.md"])
    store.files_table.update(where="path = '/n/f013.md'", values={"status": "pending"})

    read = []
    monkeypatch.setattr(store, "vector_batches", lambda *a: read.append(1) or iter(()))
    second = VectorIndex(store, compact_cells=0)
    assert not read  # loaded, not rebuilt: only the four files came from the store
    # f007, f011, f013 masked (2 rows each); f007, new and the still-stored f013 re-read
    assert len(second.snap.delta) == 5 and second.snap.dead.sum() == 6
    monkeypatch.undo()
    store2, _ = _binary_store(tmp_path / "fresh", monkeypatch)  # patches back on
    store2.write([update("/n/f007.md", new[:2], mtime=7.5), update("/n/new.md", new[2:])])
    store2.delete(["/n/f011.md"])
    rebuilt = VectorIndex(store2, compact_cells=0)
    assert _ranked(second, q) == _ranked(rebuilt, q)


def test_a_kept_segment_that_is_damaged_or_too_stale_is_rebuilt(
    tmp_path: Path, monkeypatch
) -> None:
    store, q = _binary_store(tmp_path, monkeypatch)
    want = _ranked(VectorIndex(store, compact_cells=0), q)
    kept = tmp_path / "index" / "vectors"
    rows_file = next(kept.glob("rows-*.f32"))
    with open(rows_file, "r+b") as f:
        f.truncate(100)  # cut short (a full disk, a crash while saving)
    again = VectorIndex(store, compact_cells=0)
    assert _ranked(again, q) == want
    token = json.loads((kept / "manifest.json").read_text())["token"]
    assert (kept / f"rows-{token}.f32").stat().st_size == (300 + 150) * 64 * 4  # saved anew
    monkeypatch.setattr("core.vectors.tuning.KEPT_STALE_FILES", 1)
    monkeypatch.setattr("core.vectors.tuning.KEPT_STALE_SHARE", 0.0)
    store.delete(["/n/f001.md", "/n/f002.md"])
    read = []
    real = store.vector_batches
    monkeypatch.setattr(store, "vector_batches", lambda *a: read.append(1) or real(*a))
    VectorIndex(store, compact_cells=0)
    assert read  # two changed files are more than this test allows: rebuilt
