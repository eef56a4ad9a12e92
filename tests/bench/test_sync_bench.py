"""Sync benchmarks with the local model on a 10,000-note folder (``make bench``; prints figures).

- restart: reconciling 10,000 unchanged files takes ≤ 1 s and embeds nothing;
- edit → searchable: a saved note is found by ``search`` ≤ 1 s later (median, debounce included);
- burst: 1,000 new files are indexed in one coalesced run.
"""

from __future__ import annotations

import queue
import random
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.app import Engine
from core.config import Settings
from core.model import drive
from core.sync import Synced, Syncer
from tests.helpers import write

FILES = 10_000
WORDS = (
    "garden kitchen river meeting budget holiday invoice recipe train museum doctor piano "
    "bicycle library mountain coffee letter project weather market camera island village "
    "festival harvest lantern compass notebook ferry bakery orchard violin canyon"
).split()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."


class Bench:
    def __init__(self, engine: Engine, **options: Any) -> None:
        self.engine = engine
        self.events: queue.Queue[Synced] = queue.Queue()
        self.syncer = Syncer.for_engine(engine, on_indexed=self._on_indexed, **options)

    def _on_indexed(self, s: Synced) -> None:
        # Keep the search matrix in step, as the GUI does on its main thread.
        if self.engine._searcher is not None:
            self.engine.searcher().vectors.apply(s.report.changed_paths + s.report.deleted_paths)
        self.events.put(s)

    def settle(self, check: Callable[[], bool], timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not (self.syncer.idle.wait(deadline - time.monotonic()) and check()):
            assert time.monotonic() < deadline, self.syncer.runs
            try:
                self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                pass


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, local_embedder: Any) -> Iterator[Any]:
    base = tmp_path_factory.mktemp("bench")
    root, data = base / "notes", base / "data"
    rng = random.Random(11)
    for i in range(FILES):
        write(root / f"folder{i // 100:03}" / f"note{i:05}.md", f"# Note {i}\n{sentence(rng)}\n")
    engine = Engine(Settings(folders=[str(root)]), data=data, embedder=local_embedder)
    started = time.perf_counter()
    report = drive(engine.index())
    print(
        f"\n[bench] initial index of {FILES:,} notes: {time.perf_counter() - started:.1f} s "
        f"({report.embedded_pieces:,} pieces embedded)"
    )
    yield root, data, local_embedder


def test_restart_with_unchanged_files_reconciles_fast_without_embedding(corpus: Any) -> None:
    root, data, embedder = corpus
    times = []
    for _ in range(3):
        engine = Engine(Settings(folders=[str(root)]), data=data, embedder=embedder)
        b = Bench(engine)
        calls = embedder.calls
        started = time.perf_counter()
        b.syncer.start()
        assert b.syncer.wait_idle(60)
        times.append(time.perf_counter() - started)
        b.syncer.stop()
        assert embedder.calls == calls, "an unchanged folder was re-embedded"
    best, median = min(times), statistics.median(times)
    print(
        f"\n[bench] restart, {FILES:,} unchanged files: reconciled in {median:.2f} s median "
        f"(best {best:.2f} s), 0 embedding calls"
    )
    assert median <= 1.0


def test_edit_to_searchable_median_under_a_second(corpus: Any) -> None:
    root, data, embedder = corpus
    engine = Engine(Settings(folders=[str(root)]), data=data, embedder=embedder)
    searcher = engine.searcher()
    b = Bench(engine, optimize_after=5.0)
    b.syncer.start()
    assert b.syncer.wait_idle(60)
    rng = random.Random(5)
    latencies = []
    try:
        for i in range(11):
            note = root / f"folder{rng.randrange(100):03}" / f"note{rng.randrange(FILES):05}.md"
            if not note.exists():
                note = root / "folder000" / "note00000.md"
            phrase = f"zebra {i} painted the lighthouse {rng.choice(WORDS)} at dawn near Oslo"
            started = time.perf_counter()
            write(note, f"# Edited {i}\n{phrase}\n")

            def found(phrase: str = phrase, note: Path = note) -> bool:
                hits = searcher.search(phrase, limit=3)
                return bool(hits) and hits[0].path == str(note)

            b.settle(found, timeout=30)
            latencies.append(time.perf_counter() - started)
    finally:
        b.syncer.stop()
    median = statistics.median(latencies)
    print(
        f"\n[bench] edit → searchable in a {FILES:,}-file folder: median {median:.2f} s, "
        f"max {max(latencies):.2f} s over {len(latencies)} saves "
        f"(debounce {b.syncer.queue.debounce:g} s included)"
    )
    assert median <= 1.0


def test_burst_of_1000_files_is_one_coalesced_run(corpus: Any) -> None:
    root, data, embedder = corpus
    engine = Engine(Settings(folders=[str(root)]), data=data, embedder=embedder)
    b = Bench(engine)
    b.syncer.start()
    assert b.syncer.wait_idle(60)
    rng = random.Random(9)
    try:
        started = time.perf_counter()
        paths = [
            write(root / "checkout" / f"b{i:04}.md", f"# Burst {i}\n{sentence(rng)}\n")
            for i in range(1000)
        ]
        written = time.perf_counter() - started
        files = engine.store.files
        b.settle(
            lambda: all(str(p) in files() for p in paths[-1:]) and len(files()) >= FILES + 1000
        )
        took = time.perf_counter() - started
    finally:
        b.syncer.stop()
    runs = [r for r in b.syncer.runs if r[0] == "changes"]
    print(
        f"\n[bench] burst of 1,000 new files (written in {written:.2f} s): "
        f"{len(runs)} coalesced run(s), all indexed {took:.1f} s after the first write"
    )
    assert len(runs) == 1, b.syncer.runs
