"""The one bridge between the GUI thread and the engine.

Every engine call runs on an executor (a ``QThreadPool`` in the app, inline in tests) and
its result comes back only through this module's signals. Widgets never see a thread.

Two lanes keep the app responsive: *queries* (open the engine, search, recall, status,
preview loads) run one at a time on their own thread, so a search never waits behind a
long index run, which has the *background* lane to itself.

Sync seam: ``Bridge.start_sync()`` today runs one ``engine.index()`` pass. When
``core/sync`` lands, it starts the ``Syncer`` instead and feeds its progress callbacks to
``_emit_progress`` / ``_finish_index`` — the signals, and so the GUI, stay the same.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QThreadPool, Signal

if TYPE_CHECKING:
    from core.app import Engine
    from core.config import Settings

EngineFactory = Callable[["Settings", bool], "Engine"]


class Executor(Protocol):
    """Runs zero-argument callables somewhere; swappable so tests can run them inline."""

    def submit(self, fn: Callable[[], None]) -> None: ...

    def wait(self, msecs: int) -> bool: ...


class PoolExecutor:
    """A private ``QThreadPool`` of ``threads`` threads."""

    def __init__(self, threads: int = 1) -> None:
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(threads)

    def submit(self, fn: Callable[[], None]) -> None:
        self.pool.start(fn)

    def wait(self, msecs: int) -> bool:
        return self.pool.waitForDone(msecs)


class InlineExecutor:
    """Runs each callable at once on the caller's thread: deterministic tests."""

    def submit(self, fn: Callable[[], None]) -> None:
        fn()

    def wait(self, msecs: int) -> bool:
        return True


def default_engine_factory(settings: Settings, rebuild: bool) -> Engine:
    from core.app import Engine

    return Engine(settings, rebuild=rebuild)


def fresh_engine_factory(settings: Settings) -> Engine:
    """An engine over a new, empty index folder: the repair of a damaged index."""
    from core.app import Engine

    return Engine(settings, rebuild=True, fresh=True)


@dataclass
class SearchRequest:
    """One search: typed text, dropped files, or both, narrowed by kind, folder and date."""

    text: str = ""
    files: list[Path] = field(default_factory=list)
    kinds: tuple[str, ...] = ()
    folder: str = ""
    since: float = 0.0  # modified at or after (epoch seconds); 0: any time
    limit: int = 40


@dataclass
class IndexState:
    """What the status bar shows after a status or index run."""

    status: dict[str, Any]
    failures: list[tuple[str, str]]  # (path, reason) of files that could not be indexed


class Bridge(QObject):
    """Runs core calls off the GUI thread; every result arrives through a signal.

    Request ids let the GUI drop stale answers: only the latest search or recall counts
    (``is_latest``). The id is recorded before the work is submitted, so an inline executor
    that answers before ``search()`` returns is handled the same way.
    """

    engine_opened = Signal(object)  # IndexState
    engine_failed = Signal(str)
    searched = Signal(int, object)  # request id, list[Hit]
    search_failed = Signal(int, str)
    recalled = Signal(int, object)  # request id, list[Hit]
    recall_failed = Signal(int, str)
    index_started = Signal()
    index_progressed = Signal(object)  # core.model.Progress
    indexed = Signal(object)  # core.index.IndexReport
    index_failed = Signal(str)
    status_changed = Signal(object)  # IndexState
    loaded = Signal(int, object)  # request id, result of load()
    load_failed = Signal(int, str)
    # The syncer's own state: starting, scanning, indexing, optimizing, idle, stopped.
    sync_state = Signal(str)
    _index_ended = Signal()  # from the index job to the GUI thread: the lane is free again
    _index_began = Signal()  # from the sync thread: a run started (a change, F5, a folder back)

    def __init__(
        self,
        engine_factory: EngineFactory = default_engine_factory,
        *,
        fresh_factory: Callable[[Settings], Engine] = fresh_engine_factory,
        queries: Executor | None = None,
        background: Executor | None = None,
        progress_interval: float = 0.05,
        sync: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._factory = engine_factory
        self._fresh_factory = fresh_factory
        self._queries = queries or PoolExecutor(1)
        self._background = background or PoolExecutor(1)
        self._progress_interval = progress_interval
        self._engine: Engine | None = None
        self._opening = False
        self._rebuilding = False
        self._cancel = threading.Event()
        self._indexing = False
        self._again = False  # a rescan was asked for while one ran
        self._ids = 0
        self._latest: dict[str, int] = {}
        self._closed = False
        self._syncer: Any = None
        self._sync_enabled = sync
        self._index_ended.connect(self._on_index_ended)
        self._index_began.connect(self._on_index_began)

    # ---- state ----

    @property
    def engine(self) -> Engine | None:
        return self._engine

    @property
    def opening(self) -> bool:
        """True while an engine is being built (LanceDB and the model load behind the window)."""
        return self._opening

    @property
    def indexing(self) -> bool:
        return self._indexing

    def _next_id(self, lane: str) -> int:
        self._ids += 1
        self._latest[lane] = self._ids
        return self._ids

    def _stale(self, lane: str, rid: int) -> bool:
        return self._latest.get(lane) != rid

    def is_latest(self, lane: str, rid: int) -> bool:
        """True when ``rid`` is the newest request of ``lane`` (older answers are stale)."""
        return self._latest.get(lane) == rid

    def forget(self, lane: str) -> None:
        """Drop the answers of ``lane`` still on their way (the user cleared the query)."""
        self._latest[lane] = -1

    # ---- engine ----

    def open(self, settings: Settings, *, rebuild: bool = False, fresh: bool = False) -> None:
        """Build the engine for ``settings`` (imports LanceDB and the model: off the GUI).

        ``fresh``: index into a new, empty folder whatever state the current one is in (the
        Repair index button); it becomes current when the run completes.
        """
        self._engine = None
        self._opening = True
        self._rebuilding = rebuild or fresh
        self._cancel.set()  # a run over the old engine stops at its next file
        self._stop_syncer()  # and the old engine's watcher (it holds the index lock)

        def job() -> None:
            try:
                engine = (
                    self._fresh_factory(settings) if fresh else self._factory(settings, rebuild)
                )
                state = self._state(engine)
            except Exception as exc:
                self._opening = False
                self.engine_failed.emit(_message(exc))
                return
            self._engine = engine
            self._opening = False
            self.engine_opened.emit(state)

        self._submit(self._queries, job)

    def start_sync(self) -> None:
        """Keep the index in step with the folders in the background, until shutdown.

        Runs ``core.sync.Syncer``: a start-up reconciliation, then the folder watcher. Its
        callbacks arrive on the sync thread and leave it only as this bridge's signals.
        Without a watcher (``sync=False``, tests) one ``engine.index()`` pass runs instead.
        """
        engine = self._engine
        if engine is None or not self._sync_enabled:
            self.rescan()
            return
        self._stop_syncer()
        self._indexing = True
        self.index_started.emit()

        def job() -> None:
            from core.sync import Syncer

            last = [0.0]

            def on_progress(progress: Any) -> None:
                now = time.monotonic()
                if (
                    progress.total == 0
                    or progress.done >= progress.total
                    or (now - last[0] >= self._progress_interval)
                ):
                    last[0] = now
                    if progress.total and progress.done < progress.total:
                        self.index_started.emit()
                    self._emit_progress(progress)

            def on_indexed(synced: Any) -> None:
                report = synced.report
                # keep the search matrix in step (a snapshot swap: searches never see half)
                engine.searcher().vectors.apply(report.changed_paths + report.deleted_paths)
                if self._rebuilding and not report.fatal and not report.pending:
                    engine.store.make_current()
                    self._rebuilding = False
                self._finish_index(report, self._state(engine))

            def on_state(state: str) -> None:
                if state in ("scanning", "indexing"):
                    self._index_began.emit()
                self.sync_state.emit(state)

            def on_idle() -> None:
                # Every known change is in the index, whether or not the run changed
                # anything (an unchanged folder, files that still fail): the status is final.
                try:
                    state = self._state(engine)
                except Exception as exc:
                    self._index_ended.emit()
                    self.index_failed.emit(_message(exc))
                    return
                self._index_ended.emit()
                self.status_changed.emit(state)

            syncer = Syncer.for_engine(
                engine,
                on_progress=on_progress,
                on_indexed=on_indexed,
                on_state=on_state,
                on_idle=on_idle,
                on_error=self.index_failed.emit,
                on_warning=self.index_failed.emit,
            )
            try:
                syncer.start()
            except Exception as exc:
                self._index_ended.emit()
                self.index_failed.emit(_message(exc))
                return
            self._syncer = syncer

        self._submit(self._background, job)

    def _stop_syncer(self) -> None:
        syncer, self._syncer = self._syncer, None
        if syncer is not None:
            syncer.stop(timeout=30)

    def rescan(self) -> None:
        engine = self._engine
        if engine is None:
            return
        if self._syncer is not None:
            self._syncer.rescan()
            return
        if self._indexing:
            self._again = True
            return
        self._indexing = True
        self._cancel.clear()
        self.index_started.emit()

        def job() -> None:
            last = 0.0
            try:
                run = engine.index()
                while True:
                    if self._cancel.is_set():
                        run.close()  # unwinds at a yield: written batches stay whole
                        self._index_ended.emit()
                        return
                    try:
                        progress = next(run)
                    except StopIteration as stop:
                        report = stop.value
                        break
                    now = time.monotonic()
                    first_or_last = progress.total == 0 or progress.done >= progress.total
                    if first_or_last or now - last >= self._progress_interval:
                        last = now
                        self._emit_progress(progress)
                if self._rebuilding and not report.fatal:
                    engine.store.make_current()
                    self._rebuilding = False
                state = self._state(engine)
            except Exception as exc:
                self._index_ended.emit()
                self.index_failed.emit(_message(exc))
                return
            self._finish_index(report, state)

        self._submit(self._background, job)

    def _submit(self, executor: Executor, job: Callable[[], None]) -> None:
        if self._closed:
            return  # shutting down: answers would reach a window that is gone

        def guarded() -> None:
            try:
                job()
            except RuntimeError:
                if not self._closed:  # "Signal source has been deleted" only after close
                    raise

        executor.submit(guarded)

    def _emit_progress(self, progress: Any) -> None:
        self.index_progressed.emit(progress)

    def _finish_index(self, report: Any, state: IndexState) -> None:
        self._index_ended.emit()  # first: the GUI sees ``indexing`` False with the results
        self.indexed.emit(report)
        self.status_changed.emit(state)

    def _on_index_began(self) -> None:
        self._indexing = True

    def _on_index_ended(self) -> None:
        self._indexing = False
        if self._again:
            self._again = False
            self.rescan()

    def refresh_status(self) -> None:
        engine = self._engine
        if engine is None:
            return

        def job() -> None:
            try:
                self.status_changed.emit(self._state(engine))
            except Exception:
                pass  # the next index run reports it

        self._submit(self._queries, job)

    @staticmethod
    def _state(engine: Engine) -> IndexState:
        status = engine.status()
        failures = sorted(
            (path, row.error or row.status)
            for path, row in engine.store.files().items()
            if row.status in ("error", "unreadable")
        )
        return IndexState(status, failures)

    # ---- queries ----

    def search(self, request: SearchRequest) -> int:
        rid = self._next_id("search")
        engine = self._engine

        def job() -> None:
            if self._stale("search", rid):
                return  # the user typed on; a newer search is queued
            if engine is None:
                self.search_failed.emit(rid, "The index is still opening…")
                return
            try:
                from core.search import Filters

                filters = Filters(request.kinds, request.folder, request.since)
                hits = engine.searcher().search(
                    request.text, files=request.files, filters=filters, limit=request.limit
                )
            except Exception as exc:
                self.search_failed.emit(rid, _message(exc))
                return
            self.searched.emit(rid, hits)

        self._submit(self._queries, job)
        return rid

    def recall(self, *, path: str | None = None, text: str = "", limit: int = 12) -> int:
        rid = self._next_id("recall")
        engine = self._engine

        def job() -> None:
            if self._stale("recall", rid) or engine is None:
                return
            try:
                if path is not None:
                    hits = engine.searcher().recall(path=path, limit=limit)
                else:
                    hits = engine.searcher().recall(text=text, limit=limit)
            except Exception as exc:
                self.recall_failed.emit(rid, _message(exc))
                return
            self.recalled.emit(rid, hits)

        self._submit(self._queries, job)
        return rid

    def load(self, fn: Callable[[], Any], lane: str = "load") -> int:
        """Run ``fn`` (a file read, a page render) on the query lane; answer via ``loaded``."""
        rid = self._next_id(lane)

        def job() -> None:
            if self._stale(lane, rid):
                return
            try:
                result = fn()
            except Exception as exc:
                self.load_failed.emit(rid, _message(exc))
                return
            self.loaded.emit(rid, result)

        self._submit(self._queries, job)
        return rid

    # ---- shutdown ----

    def shutdown(self, msecs: int = 15000) -> bool:
        """Stop indexing at the next file and wait for the workers; True when all stopped."""
        self._closed = True
        self._cancel.set()
        self._latest.clear()
        self._stop_syncer()  # the run in progress stops at its next file; queued work waits
        done = self._background.wait(msecs)
        return self._queries.wait(msecs) and done


def _message(exc: BaseException) -> str:
    from core.store import DISK_FULL, damaged_message, is_disk_full, is_storage_error

    if is_disk_full(exc):
        return DISK_FULL[0].upper() + DISK_FULL[1:]
    if is_storage_error(exc):  # a read failed below the checks made at open
        from core.config import data_dir

        return damaged_message(data_dir() / "index", exc)
    text = str(exc).strip()
    if not text:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text
