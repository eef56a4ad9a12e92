"""The background sync on real watchdog observers over tmp_path.

Every test waits on the syncer's own signals (its idle event and its run notifications),
never on sleeps: ``settle`` re-checks the expected index state each time a run finishes.
"""

from __future__ import annotations

import errno
import os
import queue
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.app import Engine
from core.config import Settings
from core.lock import IndexLock, IndexLocked
from core.sync import ChangeQueue, Synced, Syncer
from core.sync.watcher import native_observer
from tests.helpers import HashEmbedder, write

TIMEOUT = 30.0


class Harness:
    """A syncer over an engine, recording what it reports."""

    def __init__(self, engine: Engine, **options: Any) -> None:
        self.engine = engine
        self.events: queue.Queue[str] = queue.Queue()
        self.synced: list[Synced] = []
        self.warnings: list[str] = []
        self.failures: list[Any] = []
        self.states: list[str] = []
        self.syncer = Syncer.for_engine(
            engine,
            on_indexed=self._on_indexed,
            on_warning=self._on_warning,
            on_failed=self.failures.append,
            on_state=self._on_state,
            on_error=lambda m: self.events.put(f"error {m}"),
            **options,
        )

    def _on_indexed(self, s: Synced) -> None:
        self.synced.append(s)
        self.events.put(s.reason)

    def _on_state(self, state: str) -> None:
        self.states.append(state)
        self.events.put(state)

    def _on_warning(self, message: str) -> None:
        self.warnings.append(message)
        self.events.put("warning")

    def start(self) -> Harness:
        self.syncer.start()
        assert self.syncer.wait_idle(TIMEOUT), "start-up reconciliation did not finish"
        return self

    def settle(self, check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        """Wait until idle and ``check()`` holds, re-checking after every run or warning."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if self.syncer.idle.wait(max(left, 0)) and check():
                return
            if left <= 0:
                raise AssertionError(
                    f"did not settle; runs {self.syncer.runs}, states {self.states}"
                )
            try:
                self.events.get(timeout=max(left, 0.01))
            except queue.Empty:
                pass

    def files(self) -> dict[str, Any]:
        return self.engine.store.files()

    def text(self, path: Path) -> str:
        """All the stored text of ``path``'s pieces ("" when it has none)."""
        rows = self.engine.store.fetch([f"{path}#{i}" for i in range(20)])
        return "\n".join(rows[k]["text"] for k in sorted(rows, key=lambda k: rows[k]["piece"]))

    def indexed(self, path: Path) -> bool:
        row = self.files().get(str(path))
        return row is not None and row.status == "indexed"

    def change_runs(self) -> list[tuple[str, int]]:
        return [r for r in self.syncer.runs if r[0] == "changes"]


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def make_sync(tmp_path: Path, embedder: HashEmbedder) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(*roots: Path, excludes: list[str] | None = None, **options: Any) -> Harness:
        settings = Settings(folders=[str(r) for r in roots])
        if excludes is not None:
            settings.excludes += excludes
        engine = Engine(settings, data=tmp_path / "data", embedder=embedder)
        h = Harness(engine, **options)
        made.append(h)
        return h

    yield make
    for h in made:
        h.syncer.stop()


def notes(root: Path, n: int = 3) -> list[Path]:
    return [write(root / f"note{i}.md", f"# Note {i}\nabout cats number {i}\n") for i in range(n)]


# ---- the debounce queue, on a fake clock ----


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_queue_coalesces_a_burst_into_one_batch() -> None:
    clock = FakeClock()
    q = ChangeQueue(debounce=0.5, max_delay=10, clock=clock)
    for i in range(100):
        q.put([f"/r/{i % 10}.md"])
        clock.now += 0.01
    assert q.take(timeout=0) is None  # still inside the debounce window
    clock.now += 0.5
    batch = q.take(timeout=0)
    assert batch is not None and len(batch.paths) == 10  # repeats of a path coalesce
    assert not q.idle.is_set()
    assert q.done() and q.idle.is_set()


def test_queue_releases_a_lone_save_sooner_than_a_burst() -> None:
    clock = FakeClock()
    q = ChangeQueue(debounce=0.5, max_delay=10, clock=clock)
    q.put(["/r/.note.md.swp", "/r/note.md"])  # an editor's save: the note and its temporary
    clock.now += 0.2
    batch = q.take(timeout=0)  # 0.4 of the debounce is enough for a save this small
    assert batch is not None and batch.paths == ["/r/.note.md.swp", "/r/note.md"]
    q.done()
    for i in range(4):  # a burst: four paths before the short window passed
        q.put([f"/r/b{i}.md"])
    clock.now += 0.2
    assert q.take(timeout=0) is None  # a burst waits for the whole window
    clock.now += 0.3
    batch = q.take(timeout=0)
    assert batch is not None and len(batch.paths) == 4


def test_queue_releases_a_never_quiet_folder_after_max_delay() -> None:
    clock = FakeClock()
    q = ChangeQueue(debounce=0.5, max_delay=2, clock=clock)
    for _ in range(30):
        q.put(["/r/log.md"])
        clock.now += 0.1
        if (batch := q.take(timeout=0)) is not None:
            break
    assert batch is not None and batch.paths == ["/r/log.md"]
    assert clock.now - 100.0 >= 2.0


def test_queue_close_flushes_or_drops() -> None:
    q = ChangeQueue(debounce=60)
    q.put(["/r/a.md"])
    q.close(flush=True)
    batch = q.take(timeout=0)
    assert batch is not None and batch.paths == ["/r/a.md"]
    assert q.take(timeout=0) is None
    q2 = ChangeQueue(debounce=60)
    q2.put(["/r/a.md"])
    q2.close()
    assert q2.take(timeout=0) is None  # left pending for the next start's reconciliation


# ---- reconciliation ----


def test_startup_reconciles_what_changed_while_closed(
    tmp_path: Path, make_sync: Callable[..., Harness], embedder: HashEmbedder
) -> None:
    root = tmp_path / "notes"
    a, b, c = notes(root)
    first = make_sync(root).start()
    assert embedder.calls == 3 and first.syncer.runs == [("startup", 1)]
    first.syncer.stop()
    write(a, "# Note 0\nnow about dogs\n")
    b.unlink()
    d = write(root / "new.md", "# New\nparrots\n")
    second = make_sync(root).start()
    files = second.files()
    assert set(files) == {str(a), str(c), str(d)}
    assert embedder.calls == 5  # only the edited and the new note
    assert "now about dogs" in second.text(a)
    third = make_sync(root)
    second.syncer.stop()
    third.start()
    assert embedder.calls == 5  # unchanged folder: zero embedding calls


# ---- changes while watching ----


def test_save_and_edit(tmp_path: Path, make_sync: Callable[..., Harness]) -> None:
    root = tmp_path / "notes"
    notes(root)
    h = make_sync(root).start()
    note = write(root / "fresh.md", "# Fresh\nfirst draft about owls\n")
    h.settle(lambda: h.indexed(note))
    write(note, "# Fresh\nsecond draft about herons\n")
    h.settle(lambda: "second draft about herons" in h.text(note))


def test_atomic_save_is_one_change(
    tmp_path: Path, make_sync: Callable[..., Harness], embedder: HashEmbedder
) -> None:
    root = tmp_path / "notes"
    (note,) = notes(root, 1)
    h = make_sync(root).start()
    calls = embedder.calls
    for tmp_name in (".note0.md.swp", "note0.md.tmp", ".#note0.md"):
        tmp = write(root / tmp_name, "# Note 0\nsaved atomically about lynxes\n")
        os.replace(tmp, note)
        text = "saved atomically about lynxes"
        h.settle(lambda t=text: t in h.text(note))
        write(note, "# Note 0\nreset\n")
        h.settle(lambda: "reset" in h.text(note))
    assert set(h.files()) == {str(note)}  # no temp file ever reached the index
    assert embedder.calls - calls == 6


def test_rename_reuses_vectors(
    tmp_path: Path, make_sync: Callable[..., Harness], embedder: HashEmbedder
) -> None:
    root = tmp_path / "notes"
    a, _, _ = notes(root)
    h = make_sync(root).start()
    calls = embedder.calls
    renamed = root / "renamed.md"
    a.rename(renamed)
    h.settle(lambda: h.indexed(renamed) and str(a) not in h.files())
    assert embedder.calls == calls  # moved content is not embedded again
    assert "about cats number 0" in h.text(renamed)


def test_move_between_folders_and_roots(
    tmp_path: Path, make_sync: Callable[..., Harness], embedder: HashEmbedder
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    a, b, _ = notes(one / "inbox")
    (one / "archive").mkdir()
    two.mkdir()
    h = make_sync(one, two).start()
    calls = embedder.calls
    moved = one / "archive" / a.name
    shutil.move(a, moved)
    across = two / b.name
    shutil.move(b, across)
    h.settle(lambda: h.indexed(moved) and h.indexed(across) and len(h.files()) == 3)
    assert str(a) not in h.files() and str(b) not in h.files()
    assert embedder.calls == calls


def test_delete_removes_pieces(tmp_path: Path, make_sync: Callable[..., Harness]) -> None:
    root = tmp_path / "notes"
    a, b, _ = notes(root)
    h = make_sync(root).start()
    a.unlink()
    h.settle(lambda: str(a) not in h.files())
    assert h.text(a) == ""
    assert h.indexed(b)


def test_burst_of_500_files_is_one_coalesced_run(
    tmp_path: Path, make_sync: Callable[..., Harness], embedder: HashEmbedder
) -> None:
    root = tmp_path / "notes"
    notes(root, 1)
    # A generous window: the writes below must not be split by a slow moment of the test machine.
    h = make_sync(root, debounce=1.0, max_delay=60.0).start()
    paths = [write(root / "burst" / f"b{i:03}.md", f"# B{i}\nburst item {i}\n") for i in range(500)]
    h.settle(lambda: all(h.indexed(p) for p in paths[-1:]) and len(h.files()) == 501)
    assert len(h.change_runs()) == 1, h.syncer.runs
    assert embedder.calls == 501


def test_excluded_files_are_never_indexed(
    tmp_path: Path, make_sync: Callable[..., Harness]
) -> None:
    root = tmp_path / "notes"
    notes(root, 1)
    h = make_sync(root, excludes=["drafts", "*.private.md"]).start()
    excluded = [
        write(root / ".env", "SECRET=1\n"),
        write(root / "server.pem", "-----BEGIN-----\n"),
        write(root / "id_rsa", "key\n"),
        write(root / "keys" / "site.key", "key\n"),
        write(root / ".git" / "notes.md", "# in git\n"),
        write(root / "node_modules" / "pkg" / "README.md", "# pkg\n"),
        write(root / ".hidden" / "secret.md", "# hidden\n"),
        write(root / "drafts" / "draft.md", "# draft\n"),
        write(root / "diary.private.md", "# dear diary\n"),
    ]
    marker = write(root / "zz-last.md", "# Last\nwritten after the excluded files\n")
    h.settle(lambda: h.indexed(marker))
    indexed = set(h.files())
    assert not indexed & {str(p) for p in excluded}


def test_new_and_deleted_folders(tmp_path: Path, make_sync: Callable[..., Harness]) -> None:
    root = tmp_path / "notes"
    notes(root, 1)
    h = make_sync(root).start()
    made = [write(root / "new" / "deep" / f"n{i}.md", f"# N{i}\nnested {i}\n") for i in range(3)]
    outside = tmp_path / "outside"
    moved_in = [write(outside / "trip" / f"t{i}.md", f"# T{i}\ntrip day {i}\n") for i in range(3)]
    shutil.move(outside / "trip", root / "trip")
    moved = [root / "trip" / p.name for p in moved_in]
    h.settle(lambda: all(h.indexed(p) for p in made + moved))
    shutil.rmtree(root / "new")
    shutil.move(root / "trip", outside / "trip-back")  # moved out: gone from the index
    h.settle(lambda: set(h.files()) == {str(root / "note0.md")})


def test_failed_file_is_reported_and_does_not_stop_the_sync(
    tmp_path: Path, make_sync: Callable[..., Harness], embedder: HashEmbedder
) -> None:
    embedder.fail_on = "BROKEN"
    root = tmp_path / "notes"
    notes(root, 1)
    h = make_sync(root).start()
    bad = write(root / "bad.md", "# Bad\nBROKEN content\n")
    good = write(root / "good.md", "# Good\nfine content\n")
    h.settle(lambda: h.indexed(good) and str(bad) in h.files())
    assert [f.path for f in h.failures] == [str(bad)]
    assert "BROKEN" in h.failures[0].error


def test_missing_folder_is_paused_not_wiped(
    tmp_path: Path, make_sync: Callable[..., Harness]
) -> None:
    one, drive = tmp_path / "one", tmp_path / "drive"
    notes(one, 1)
    on_drive = notes(drive, 2)
    h = make_sync(one, drive, recheck_interval=0.1).start()
    unplugged = tmp_path / "unplugged"
    drive.rename(unplugged)
    h.settle(lambda: drive in h.syncer.paused)
    assert any("not available" in w for w in h.warnings)
    assert all(h.indexed(p) for p in on_drive)  # its files stay in the index
    write(unplugged / "note0.md", "# Note 0\nedited while away\n")
    unplugged.rename(drive)
    h.settle(lambda: drive not in h.syncer.paused and "edited while away" in h.text(on_drive[0]))
    later = write(drive / "later.md", "# Later\nwatched again\n")
    h.settle(lambda: h.indexed(later))


# ---- operating-system limits ----


def test_inotify_limit_at_the_root_falls_back_to_polling(
    tmp_path: Path, make_sync: Callable[..., Harness]
) -> None:
    class FullWatchTable:
        """An inotify observer whose watch table is full (ENOSPC on every new watch)."""

        def __init__(self, sink: Any) -> None:
            self.real = native_observer(sink)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

        def schedule(self, *args: Any, **kwargs: Any) -> Any:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    root = tmp_path / "notes"
    notes(root, 1)
    h = make_sync(root, make_native=FullWatchTable, polling_interval=0.1).start()
    assert h.syncer.watcher.mode(root) == "polling"
    assert len(h.warnings) == 1 and "sysctl fs.inotify.max_user_watches=" in h.warnings[0]
    note = write(root / "polled.md", "# Polled\nfound by polling\n")
    h.settle(lambda: h.indexed(note))


@pytest.mark.skipif(not os.path.isdir("/proc/sys/fs/inotify"), reason="inotify only")
def test_inotify_limit_below_the_root_falls_back_to_polling(
    tmp_path: Path, make_sync: Callable[..., Harness]
) -> None:
    def full_below_deep(sink: Any) -> Any:
        observer = native_observer(sink)
        fd = observer._inotify_fd  # watchdog internals: the one inotify instance
        add = fd._get_or_create_watch

        def add_watch(path: bytes, *args: Any) -> Any:
            if b"deep" in path:
                raise OSError(errno.ENOSPC, "inotify watch limit reached")
            return add(path, *args)

        fd._get_or_create_watch = add_watch
        return observer

    root = tmp_path / "notes"
    notes(root, 1)
    (root / "deep" / "er").mkdir(parents=True)
    h = make_sync(root, make_native=full_below_deep, polling_interval=0.1).start()
    assert h.syncer.watcher.mode(root) == "polling"
    assert len(h.warnings) == 1 and "max_user_watches" in h.warnings[0]
    note = write(root / "deep" / "er" / "n.md", "# Deep\nonly polling sees this\n")
    h.settle(lambda: h.indexed(note))
    assert len(h.warnings) == 1  # said once


# ---- lifecycle ----


def test_lock_is_held_while_syncing(tmp_path: Path, make_sync: Callable[..., Harness]) -> None:
    root = tmp_path / "notes"
    notes(root, 1)
    h = make_sync(root).start()
    with pytest.raises(IndexLocked, match="another part of this Loci process"):
        IndexLock(tmp_path / "data").acquire()
    assert h.syncer.stop()
    assert h.states[-1] == "stopped" and not h.engine.lock.held
    with IndexLock(tmp_path / "data"):
        pass


def test_stop_leaves_queued_changes_for_the_next_start(
    tmp_path: Path, make_sync: Callable[..., Harness]
) -> None:
    root = tmp_path / "notes"
    notes(root, 1)
    h = make_sync(root, debounce=3600.0, max_delay=3600.0).start()
    note = write(root / "late.md", "# Late\nsaved just before quitting\n")
    deadline = time.monotonic() + TIMEOUT
    while h.syncer.idle.is_set():  # cleared the moment the watcher queues the save
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert h.syncer.stop()
    assert str(note) not in h.files()
    again = make_sync(root).start()
    assert again.indexed(note)


def test_maintenance_runs_when_quiet(tmp_path: Path, make_sync: Callable[..., Harness]) -> None:
    root = tmp_path / "notes"
    notes(root, 2)
    h = make_sync(root, optimize_after=0.0).start()
    note = write(root / "kingfisher.md", "# Birds\nkingfisher by the river\n")

    def optimized_after_indexing() -> bool:
        last = {state: i for i, state in enumerate(h.states)}
        return last.get("optimizing", -1) > last.get("indexing", 0)

    h.settle(lambda: h.indexed(note) and optimized_after_indexing())
    h.settle(lambda: h.syncer.state == "idle")
    ids = [pid for pid, _ in h.engine.store.keyword_search("kingfisher", 5)]
    assert ids == [f"{note}#0"]  # the full-text index was built at the quiet moment


def test_startup_drops_folders_no_longer_in_the_settings(
    tmp_path: Path, make_sync: Callable[..., Harness]
) -> None:
    kept, dropped = tmp_path / "kept", tmp_path / "dropped"
    notes(kept, 1)
    gone = notes(dropped, 2)
    first = make_sync(kept, dropped).start()
    assert all(first.indexed(p) for p in gone)
    first.syncer.stop()
    h = make_sync(kept).start()  # the folder was removed in the settings
    assert not any(str(p) in h.files() for p in gone)
    assert set(h.files()) == {str(kept / "note0.md")}
    pruned = [s for s in h.synced if s.reason == "pruned"]
    assert pruned and sorted(pruned[0].report.deleted_paths) == sorted(str(p) for p in gone)
    assert all(p.exists() for p in gone)  # only the index forgets them


def test_the_first_runs_text_is_keyword_searchable_before_any_quiet_moment(
    tmp_path: Path, make_sync: Callable[..., Harness]
) -> None:
    root = tmp_path / "notes"
    notes(root)
    write(root / "lighthouse.md", "# Coast\nthe lighthouse keeper climbs at dawn\n")
    h = make_sync(root, optimize_after=3600).start()  # no compaction during the test
    assert "optimizing" not in h.states
    assert h.engine.store.keyword_search("lighthouse", 5)
    # and a reader opened before the index existed finds it too, once it looks again
    from core import store as store_module

    reader = Engine(h.engine.settings, data=h.engine.data, embedder=h.engine.embedder).store
    reader._fts_ready, reader._fts_checked = False, 0.0
    assert reader.keyword_search("lighthouse", 5)
    reader._fts_checked = time.monotonic()
    reader._fts_ready = False
    assert not reader.keyword_search("lighthouse", 5)  # not before FTS_RECHECK has passed
    assert store_module.FTS_RECHECK > 0
