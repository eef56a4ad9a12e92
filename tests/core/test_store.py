from pathlib import Path

import numpy as np
import pytest

from core.store import FileRow, FileUpdate, IndexIdentity, IndexMismatch, PieceRow, Store

IDENT = IndexIdentity("test", "hash-v1", 8)


def _update(path: str, n: int, sha: str = "abc") -> FileUpdate:
    rows = [
        PieceRow(
            i,
            "note",
            "text/plain",
            f"t{i}",
            f"text {i}",
            {"heading": "H"},
            np.full(8, i + 1, dtype=np.float32),
        )
        for i in range(n)
    ]
    return FileUpdate(FileRow(path, 1.0, 10, sha, "indexed", pieces=n, kind="note"), rows)


def test_write_replaces_all_pieces_of_a_file(tmp_path: Path) -> None:
    store = Store.open(tmp_path, IDENT)
    store.write([_update("/n/a.md", 3), _update("/n/b'quote.md", 2)])
    assert store.pieces.count_rows() == 5
    store.write([_update("/n/a.md", 1)])  # the file shrank: stale pieces must go
    meta, matrix = store.vectors()
    paths = sorted(meta.column("path").to_pylist())
    assert paths == ["/n/a.md", "/n/b'quote.md", "/n/b'quote.md"]
    assert matrix.shape == (3, 8)
    assert store.files()["/n/b'quote.md"].pieces == 2


def test_delete_removes_pieces_and_rows(tmp_path: Path) -> None:
    store = Store.open(tmp_path, IDENT)
    store.write([_update("/n/a.md", 2), _update("/n/b.md", 2)])
    store.delete(["/n/a.md"])
    assert set(store.files()) == {"/n/b.md"}
    assert store.pieces.count_rows() == 2


def test_pieces_of_hash_finds_content_for_reuse(tmp_path: Path) -> None:
    store = Store.open(tmp_path, IDENT)
    store.write([_update("/n/a.md", 2, sha="feed")])
    source, rows = store.pieces_of_hash("feed")
    assert source == "/n/a.md" and [r.piece for r in rows] == [0, 1]
    assert store.pieces_of_hash("none") is None


def test_another_model_is_refused_until_rebuild(tmp_path: Path) -> None:
    Store.open(tmp_path, IDENT).write([_update("/n/a.md", 1)])
    other = IndexIdentity("test", "hash-v2", 8)
    with pytest.raises(IndexMismatch, match="rebuild"):
        Store.open(tmp_path, other)
    new = Store.open(tmp_path, other, rebuild=True)  # built beside the old one
    assert new.folder != Store.open(tmp_path, IDENT).folder
    new.make_current()
    with pytest.raises(IndexMismatch):
        Store.open(tmp_path, IDENT)


def test_table_metadata_names_the_model(tmp_path: Path) -> None:
    store = Store.open(tmp_path, IDENT)
    meta = {k.decode(): v.decode() for k, v in store.pieces.schema.metadata.items()}
    assert meta["loci.model_id"] == "hash-v1" and meta["loci.dims"] == "8"


def test_keyword_search_after_optimize(tmp_path: Path) -> None:
    store = Store.open(tmp_path, IDENT)
    store.write([_update("/n/a.md", 2)])
    store.optimize()
    ids = [pid for pid, _ in store.keyword_search("text", 10)]
    assert set(ids) == {"/n/a.md#0", "/n/a.md#1"}
    assert store.keyword_search('"unbalanced', 10) == []


def test_state_round_trip(tmp_path: Path) -> None:
    store = Store.open(tmp_path, IDENT)
    store.update_state(usage_tokens=12)
    store.update_state(job="x")
    assert store.read_state() == {"usage_tokens": 12, "job": "x"}


def test_lookup_indexes_find_rows_written_before_and_after_them(tmp_path: Path) -> None:
    store = Store.open(tmp_path, IDENT)
    store.lookup_index_rows = 4  # as a 50k-piece index would, on a tiny table
    store.write([_update("/n/a.md", 1)])
    store.ensure_lookup_indexes()
    assert not {c for i in store.pieces.list_indices() for c in i.columns}  # 1 piece: no index
    store.write([_update("/n/b.md", 3), _update("/n/c.md", 2)])
    store.ensure_lookup_indexes()
    assert {"path", "id"} <= {c for i in store.pieces.list_indices() for c in i.columns}
    # Written after the indexes: a replaced file, a new one, a deleted one.
    store.write([_update("/n/b.md", 1), _update("/n/d.md", 2)])
    store.delete(["/n/c.md"])
    for _ in range(2):  # before and after optimize
        meta, matrix = store.vectors_of(["/n/b.md", "/n/d.md", "/n/c.md"])
        assert sorted(meta.column("id").to_pylist()) == ["/n/b.md#0", "/n/d.md#0", "/n/d.md#1"]
        assert matrix.shape == (3, 8)
        assert set(store.fetch(["/n/a.md#0", "/n/b.md#2", "/n/d.md#1"])) == {
            "/n/a.md#0",
            "/n/d.md#1",
        }
        assert store.pieces.count_rows() == 4
        store.optimize()
