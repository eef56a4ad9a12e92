"""A damaged index is found at open with one line saying what to do, and a fresh rebuild
replaces it whatever state it is in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.config import Settings
from core.index import Indexer
from core.scan import Excluder
from core.store import IndexDamaged, IndexIdentity, Store, index_folder
from tests.helpers import HashEmbedder, write

IDENT = IndexIdentity("test", "hash-v1", 64)


def build(tmp_path: Path, *, fresh: bool = False) -> Store:
    root = tmp_path / "notes"
    for i in range(5):
        write(root / f"n{i}.md", f"# N{i}\nnote about herons {i}\n")
    store = Store.open(tmp_path / "data", IDENT, rebuild=fresh, fresh=fresh)
    gen = Indexer(store, HashEmbedder(), Excluder(Settings().excludes)).run([root])
    for _ in gen:
        pass
    return store


def damage(folder: Path, how: str) -> None:
    pieces = folder / "pieces.lance"
    if how == "truncated":
        for f in (pieces / "data").iterdir():
            with open(f, "r+b") as fh:
                fh.truncate(100)
    elif how == "no versions":
        shutil.rmtree(pieces / "_versions")
    elif how == "no pieces":
        shutil.rmtree(pieces)


@pytest.mark.parametrize("how", ["truncated", "no versions", "no pieces"])
def test_damage_is_found_at_open_and_a_fresh_rebuild_replaces_it(tmp_path: Path, how: str) -> None:
    data = tmp_path / "data"
    old = build(tmp_path).folder
    damage(old, how)
    with pytest.raises(IndexDamaged) as caught:
        Store.open(data, IDENT)
    message = str(caught.value)
    assert "damaged" in message and "loci index --rebuild" in message and "\n" not in message
    assert "/rustc/" not in message
    fresh = build(tmp_path, fresh=True)
    assert fresh.folder != old
    fresh.make_current()
    assert index_folder(data, IDENT) == fresh.folder and not old.exists()
    again = Store.open(data, IDENT)
    assert again.counts()["files"] == 5 and again.counts()["pieces"] == 5


def test_a_healthy_index_stays_in_use_until_the_fresh_one_is_current(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old = build(tmp_path).folder
    fresh = build(tmp_path, fresh=True)
    assert Store.open(data, IDENT).folder == old  # not yet current: the old one answers
    fresh.make_current()
    assert Store.open(data, IDENT).folder == fresh.folder


def test_repeated_runs_do_not_grow_the_index(tmp_path: Path) -> None:
    """Each run rewrites fragments; old versions are pruned (here at once: one handle)."""
    from datetime import timedelta

    root = tmp_path / "notes"
    for i in range(200):
        write(root / f"n{i}.md", f"# N{i}\n" + f"words about topic {i} " * 60)
    store = Store.open(tmp_path / "data", IDENT)
    indexer = Indexer(store, HashEmbedder(), Excluder(Settings().excludes), optimize=False)
    sizes = []
    for cycle in range(6):
        for j in range(20):
            write(root / f"n{(cycle * 20 + j) % 200}.md", f"# E{cycle}\nedit {cycle} {j} " * 60)
        for _ in indexer.run([root]):
            pass
        store.optimize(keep=timedelta(milliseconds=1))
        sizes.append(store.disk_bytes())
    assert sizes[-1] < 1.5 * sizes[0], sizes


def test_the_data_folder_is_private(tmp_path: Path) -> None:
    import os
    import stat
    import subprocess

    from core.app import Engine

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    Engine(Settings(folders=[str(tmp_path)]), data=data, embedder=HashEmbedder())
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    if os.geteuid() == 0:  # another user (nobody, no capabilities) cannot read the index
        target = next(data.rglob("*.manifest"))
        other = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "--bounding-set=-dac_override,-dac_read_search", "cat", str(target)],
            capture_output=True,
        )  # fmt: skip
        assert other.returncode != 0 and b"Permission denied" in other.stderr
