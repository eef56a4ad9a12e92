"""The one bridge between the GUI thread and the engine.

Every engine call runs through ``desktop.tasks``: the work happens on an executor (a
``QThreadPool`` in the app, inline in tests) and returns a value; its callback, on the GUI
thread, is the only place the bridge's state is written and its signals are emitted.
Widgets never see a thread.

Two lanes keep the app responsive: *queries* (open the engine, search, recall, status,
preview loads) run one at a time on their own thread, so a search never waits behind a
long index run, which has the *background* lane to itself. With ``sync=True`` (the app)
the background lane starts ``core.sync.Syncer``, whose callbacks arrive on the sync thread
and cross to the GUI thread with ``Tasks.post``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from core.model import drive
from desktop.errors import TaskError, described, error_message
from desktop.tasks import Executor, PoolExecutor, Tasks

if TYPE_CHECKING:
    from core.app import Engine
    from core.config import Settings
    from core.index import IndexReport
    from core.model import EngineStatus, Hit, Progress
    from core.sync import Syncer

EngineFactory = Callable[["Settings", bool], "Engine"]
T = TypeVar("T")


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

    status: EngineStatus
    failures: list[tuple[str, str]]  # (path, reason) of files that could not be indexed


class _Stale(Exception):
    """A query dropped before it ran: a newer one of its lane is queued."""


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
        self._queries = Tasks(queries or PoolExecutor(1), self)
        self._background = Tasks(background or PoolExecutor(1), self)
        self._progress_interval = progress_interval
        # Written on the GUI thread only (in the methods below and the tasks' callbacks).
        self._engine: Engine | None = None
        self._opening = False
        self._rebuilding = False
        self._indexing = False
        self._again = False  # a rescan was asked for while one ran
        self._ids = 0
        self._latest: dict[str, int] = {}
        self._closed = False
        self._syncer: Syncer | None = None
        self._sync_enabled = sync
        # Set on the GUI thread, read by workers: a run over the old engine stops.
        self._cancel = threading.Event()

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

        def build() -> tuple[Engine, IndexState]:
            engine = self._fresh_factory(settings) if fresh else self._factory(settings, rebuild)
            return engine, self._state(engine)

        def opened(result: tuple[Engine, IndexState]) -> None:
            self._engine, state = result
            self._opening = False
            self.engine_opened.emit(state)

        def failed(exc: Exception) -> None:
            self._opening = False
            self.engine_failed.emit(str(exc))

        self._queries.run(described(build), opened, failed)

    def start_sync(self) -> None:
        """Keep the index in step with the folders in the background, until shutdown.

        Runs ``core.sync.Syncer``: a start-up reconciliation, then the folder watcher. Its
        callbacks arrive on the sync thread and leave it only through ``Tasks.post``.
        Without a watcher (``sync=False``, tests) one ``engine.index()`` pass runs instead.
        """
        engine = self._engine
        if engine is None or not self._sync_enabled:
            self.rescan()
            return
        self._stop_syncer()
        self._indexing = True
        self.index_started.emit()
        tasks = self._background
        swap = [self._rebuilding]  # from here on read and written on the sync thread only

        def on_progress_gui(progress: Progress) -> None:
            if progress.total and progress.done < progress.total:
                self.index_started.emit()
            self.index_progressed.emit(progress)

        def on_synced(report: IndexReport, state: IndexState, swapped: bool) -> None:
            if swapped and engine is self._engine:
                self._rebuilding = False
            self._finish_index(report, state)

        def on_state_gui(state: str) -> None:
            if state in ("scanning", "indexing"):
                self._indexing = True  # a run started (a change, F5, a folder back)
            self.sync_state.emit(state)

        def on_idle_gui(state: IndexState) -> None:
            self._on_index_ended()
            self.status_changed.emit(state)

        def work() -> Syncer:
            from core.sync import Syncer

            last = [0.0]

            def on_progress(progress: Progress) -> None:
                now = time.monotonic()
                if (
                    progress.total == 0
                    or progress.done >= progress.total
                    or (now - last[0] >= self._progress_interval)
                ):
                    last[0] = now
                    tasks.post(lambda: on_progress_gui(progress))

            def on_indexed(synced: Any) -> None:
                report = synced.report
                # keep the search matrix in step (a snapshot swap: searches never see half)
                engine.searcher().vectors.apply(report.changed_paths + report.deleted_paths)
                swapped = swap[0] and not report.fatal and not report.pending
                if swapped:
                    engine.store.make_current()
                    swap[0] = False
                state = self._state(engine)
                tasks.post(lambda: on_synced(report, state, swapped))

            def on_state(state: str) -> None:
                tasks.post(lambda: on_state_gui(state))

            def on_idle() -> None:
                # Every known change is in the index, whether or not the run changed
                # anything (an unchanged folder, files that still fail): the status is final.
                try:
                    state = self._state(engine)
                except Exception as exc:
                    message = error_message(exc)
                    tasks.post(lambda: self._on_index_failed(message))
                    return
                tasks.post(lambda: on_idle_gui(state))

            def on_error(message: str) -> None:
                tasks.post(lambda: self.index_failed.emit(message))

            syncer = Syncer.for_engine(
                engine,
                on_progress=on_progress,
                on_indexed=on_indexed,
                on_state=on_state,
                on_idle=on_idle,
                on_error=on_error,
                on_warning=on_error,
            )
            syncer.start()
            return syncer

        def started(syncer: Syncer) -> None:
            if self._closed or engine is not self._engine or self._syncer is not None:
                # shut down or reopened while it started: it is no one's any more
                self._stop_later(syncer)
                return
            self._syncer = syncer

        def failed(exc: Exception) -> None:
            self._on_index_failed(str(exc))

        tasks.run(described(work), started, failed)

    def _stop_syncer(self) -> None:
        syncer, self._syncer = self._syncer, None
        if syncer is not None:
            syncer.stop(timeout=30)

    def _stop_later(self, syncer: Syncer) -> None:
        if self._closed:
            syncer.stop(timeout=30)  # shutting down: the bridge waits for its workers anyway
        else:
            self._background.run(lambda: syncer.stop(timeout=30), lambda _stopped: None)

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
        tasks = self._background
        rebuilding = self._rebuilding

        def work() -> tuple[IndexReport, IndexState, bool] | None:
            last = 0.0

            def post(progress: Progress) -> None:
                nonlocal last
                now = time.monotonic()
                first_or_last = progress.total == 0 or progress.done >= progress.total
                if first_or_last or now - last >= self._progress_interval:
                    last = now
                    tasks.post(partial(self.index_progressed.emit, progress))

            # Once cancelled the run unwinds at a yield: written batches stay whole.
            report = drive(engine.index(), post, cancelled=self._cancel.is_set)
            if report is None:
                return None
            swapped = rebuilding and not report.fatal
            if swapped:
                engine.store.make_current()
            return report, self._state(engine), swapped

        def done(result: tuple[IndexReport, IndexState, bool] | None) -> None:
            if result is None:  # cancelled
                self._on_index_ended()
                return
            report, state, swapped = result
            if swapped and engine is self._engine:
                self._rebuilding = False
            self._finish_index(report, state)

        tasks.run(described(work), done, lambda exc: self._on_index_failed(str(exc)))

    def _finish_index(self, report: IndexReport, state: IndexState) -> None:
        self._on_index_ended()  # first: the GUI sees ``indexing`` False with the results
        self.indexed.emit(report)
        self.status_changed.emit(state)

    def _on_index_failed(self, message: str) -> None:
        self._on_index_ended()
        self.index_failed.emit(message)

    def _on_index_ended(self) -> None:
        self._indexing = False
        if self._again:
            self._again = False
            self.rescan()

    def refresh_status(self) -> None:
        engine = self._engine
        if engine is None:
            return
        # an error is dropped: the next index run reports it
        self._queries.run(lambda: self._state(engine), self.status_changed.emit)

    @staticmethod
    def _state(engine: Engine) -> IndexState:
        status = engine.status()
        failures = sorted(
            (path, row.error or row.status)
            for path, row in engine.store.files().items()
            if row.status.failed
        )
        return IndexState(status, failures)

    # ---- queries ----

    def _query(
        self,
        lane: str,
        func: Callable[[], T],
        answered: Callable[[int, T], None],
        failed: Callable[[int, str], None],
    ) -> int:
        """Run ``func`` on the query lane unless a newer request of ``lane`` came first."""
        rid = self._next_id(lane)

        def work() -> T:
            if self._stale(lane, rid):
                raise _Stale  # the user typed on; a newer request is queued
            try:
                return func()
            except Exception as exc:
                raise TaskError(error_message(exc)) from exc

        def on_error(exc: Exception) -> None:
            if not isinstance(exc, _Stale):
                failed(rid, str(exc))

        self._queries.run(work, lambda result: answered(rid, result), on_error)
        return rid

    def search(self, request: SearchRequest) -> int:
        engine = self._engine

        def work() -> list[Hit]:
            if engine is None:
                raise RuntimeError("The index is still opening…")
            from core.search import Filters

            filters = Filters(request.kinds, request.folder, request.since)
            return engine.searcher().search(
                request.text, files=request.files, filters=filters, limit=request.limit
            )

        return self._query("search", work, self.searched.emit, self.search_failed.emit)

    def recall(self, *, path: str | None = None, text: str = "", limit: int = 12) -> int:
        engine = self._engine

        def work() -> list[Hit]:
            if engine is None:
                raise _Stale
            if path is not None:
                return engine.searcher().recall(path=path, limit=limit)
            return engine.searcher().recall(text=text, limit=limit)

        return self._query("recall", work, self.recalled.emit, self.recall_failed.emit)

    def load(self, fn: Callable[[], Any], lane: str = "load") -> int:
        """Run ``fn`` (a file read, a page render) on the query lane; answer via ``loaded``."""
        return self._query(lane, fn, self.loaded.emit, self.load_failed.emit)

    # ---- shutdown ----

    def shutdown(self, msecs: int = 15000) -> bool:
        """Stop indexing at the next file and wait for the workers; True when all stopped."""
        self._closed = True
        self._cancel.set()
        self._latest.clear()
        self._stop_syncer()  # the run in progress stops at its next file; queued work waits
        self._queries.close()
        # A syncer that finishes starting meanwhile is still handed over, and stopped.
        done = self._background.finish(msecs)
        return self._queries.wait(msecs) and done
