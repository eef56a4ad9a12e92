"""The background sync: reconcile at start, then index coalesced batches of changes.

One worker thread owns all writing. It holds the index lock from ``start()`` until it
stops, runs a start-up reconciliation (stat, then hash only what changed; nothing is
embedded twice), then takes batches from the watcher's debounce queue and brings just
those paths in step with ``Indexer.update``. At quiet moments it compacts the tables and
prunes old versions. Callbacks run on the worker thread: a GUI re-emits them as signals.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.index import Indexer, IndexReport
from core.model import FileStatus, Progress, drive
from core.sync.watcher import (
    DEFAULT_DEBOUNCE,
    DEFAULT_MAX_DELAY,
    POLLING_INTERVAL,
    Batch,
    ChangeQueue,
    Watcher,
    WatchSink,
    native_observer,
)

if TYPE_CHECKING:
    from core.app import Engine
    from core.lock import IndexLock

log = logging.getLogger(__name__)

TICK = 0.5  # s: how often the idle worker looks at paused folders and maintenance
OPTIMIZE_AFTER = 20.0  # s of quiet before compaction
OPTIMIZE_EVERY = 50  # batches: compact even in a folder that never goes quiet
RETRY_AFTER = 30.0  # s before a batch that failed unexpectedly is retried by a rescan


@dataclass(frozen=True)
class Failure:
    path: str
    status: FileStatus  # error, unreadable or pending
    error: str


@dataclass
class Synced:
    """One finished run: ``reason`` is startup, changes, rescan or resume."""

    reason: str
    report: IndexReport
    failures: list[Failure] = field(default_factory=list)

    @property
    def indexed_paths(self) -> list[str]:
        failed = {f.path for f in self.failures}
        return [p for p in self.report.changed_paths if p not in failed]


Callback = Callable[..., Any]


class Syncer:
    """Keeps the index of ``roots`` in step with the disk, on its own thread.

    Args:
        indexer: does the work; build it with ``optimize=False`` (the syncer optimizes
            when quiet). ``Syncer.for_engine(engine)`` wires everything.
        roots: the folders to watch.
        lock: the index lock, held from ``start()`` until the worker ends.
        debounce / max_delay: see ``ChangeQueue``.
        optimize_after: seconds of quiet before compacting and pruning old versions.
        on_progress(Progress): during runs. on_indexed(Synced): after every run that
            did something. on_failed(Failure): each file that could not be indexed.
        on_warning(str): for the user (inotify limit, folder paused or back).
        on_error(str): something went wrong in the sync itself (it retries later).
        on_state(str): starting, scanning, indexing, optimizing, idle, stopped.
        on_idle(): each time all known changes are in the index.
    """

    def __init__(
        self,
        indexer: Indexer,
        roots: Sequence[Path],
        *,
        lock: IndexLock | None = None,
        debounce: float = DEFAULT_DEBOUNCE,
        max_delay: float = DEFAULT_MAX_DELAY,
        optimize_after: float = OPTIMIZE_AFTER,
        optimize_every: int = OPTIMIZE_EVERY,
        recheck_interval: float = 2.0,
        polling_interval: float = POLLING_INTERVAL,
        make_native: Callable[[WatchSink], Any] = native_observer,
        on_progress: Callback | None = None,
        on_indexed: Callback | None = None,
        on_failed: Callback | None = None,
        on_warning: Callback | None = None,
        on_error: Callback | None = None,
        on_state: Callback | None = None,
        on_idle: Callback | None = None,
        keep_only: Sequence[Path] | None = None,
    ) -> None:
        self.indexer = indexer
        # All configured folders: at start, files outside them leave the index (a folder
        # removed from the settings, the demo once the user has folders of their own).
        self.keep_only = list(keep_only) if keep_only is not None else None
        self.store = indexer.store
        self.roots = [Path(os.path.abspath(r)) for r in roots]
        self.lock = lock
        self.queue = ChangeQueue(debounce, max_delay)
        self.idle = self.queue.idle  # set while every known change is in the index
        self.stopped = threading.Event()
        self.watcher = Watcher(
            self.roots,
            indexer.excluder,
            self.queue.put,
            on_rescan=self.queue.request_rescan,
            on_warning=self._warn,
            make_native=make_native,
            polling_interval=polling_interval,
        )
        self.optimize_after = optimize_after
        self.optimize_every = optimize_every
        self.recheck_interval = recheck_interval
        self.on_progress = on_progress
        self.on_indexed = on_indexed
        self.on_failed = on_failed
        self.on_warning = on_warning
        self.on_error = on_error
        self.on_state = on_state
        self.on_idle = on_idle
        self.state = "new"
        self.runs: list[tuple[str, int]] = []  # (reason, paths) of every run, for tests/stats
        self.paused: set[Path] = set()
        self.warnings: list[str] = []
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._abort = False
        self._dirty = False
        self._since_optimize = 0
        self._last_work = time.monotonic()
        self._last_recheck = 0.0
        self._retry_at = 0.0

    @classmethod
    def for_engine(cls, engine: Engine, **kwargs: Any) -> Syncer:
        """A syncer over the engine's store, embedder, exclusions, folders and lock."""
        indexer = engine.indexer()  # local-only folders and batch size come with it
        indexer.optimize_after_run = False  # the syncer optimizes at quiet moments instead
        if "roots" not in kwargs:
            kwargs.setdefault("keep_only", engine.folders)
        return cls(indexer, kwargs.pop("roots", engine.folders), lock=engine.lock, **kwargs)

    # ---- control (any thread) ----

    def start(self) -> None:
        """Take the index lock (IndexLocked if another Loci updates it) and start the worker."""
        if self._thread is not None:
            raise RuntimeError("a Syncer starts once")
        if self.lock is not None:
            self.lock.acquire()
        self._set_state("starting")
        self._thread = threading.Thread(target=self._run, name="loci-sync", daemon=True)
        self._thread.start()

    def stop(self, *, finish_pending: bool = False, timeout: float | None = 60.0) -> bool:
        """Stop watching and end the worker; True once it has ended.

        Without ``finish_pending`` the run in progress stops at the next file boundary and
        queued changes are left for the next start's reconciliation; with it, queued changes
        are indexed first. Either way every write is whole: nothing is half-written.
        """
        self._stopping = True
        self._abort = not finish_pending
        self.queue.close(flush=finish_pending)
        if self._thread is None or self._thread is threading.current_thread():
            return self._thread is None  # called from a callback: the worker ends after it
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self.idle.wait(timeout)

    def rescan(self, root: Path | None = None) -> None:
        """Reconcile a folder (or all) in full, as after a lost-events overflow."""
        for r in [root] if root is not None else self.roots:
            self.queue.request_rescan(Path(os.path.abspath(r)))

    # ---- the worker ----

    def _run(self) -> None:
        try:
            self.watcher.start()  # first: what changes during the scan is queued, not lost
            if self.keep_only is not None:
                pruned = self.indexer.prune(self.keep_only)  # before the scan: leaves at once
                if pruned.deleted:
                    self._finished(pruned, "pruned", pruned.deleted)
            self._reconcile(self._available(), "startup")
            self._indexes()
            if self.queue.done():
                self._became_idle()
            while True:
                batch = self.queue.take(timeout=TICK)
                if batch is None:
                    if self._stopping:
                        break
                    self._between_batches()
                    continue
                self._handle(batch)
                if self._abort:
                    break
                if self.queue.done():
                    self._became_idle()
        except Exception as exc:  # never die silently; the index stays as the last commit left it
            log.exception("sync stopped")
            self._emit(self.on_error, f"background sync stopped: {_say(exc, self.store.folder)}")
        finally:
            try:
                self.watcher.stop()
            finally:
                self._set_state("stopped")
                if self.lock is not None:
                    self.lock.release()
                self.stopped.set()

    def _handle(self, batch: Batch) -> None:
        try:
            available = self._available()
            rescan = [r for r in batch.rescan if r in available]
            for r in rescan:
                if self.watcher.needs_polling(r):
                    self.watcher.use_polling(r)
            paths: list[Path] = []
            for p in batch.paths:
                path = Path(p)
                root = self._root_of(path)
                if root is None or root not in available or root in rescan:
                    continue  # paused, or covered by the rescan
                if path == root:
                    rescan.append(root)  # the folder itself changed: stat-based, not re-hash
                    continue
                paths.append(path)
            if rescan:
                self._reconcile(rescan, "rescan")
            if paths and not self._abort:
                report = self._drive(self.indexer.update(_collapse(paths), available), "indexing")
                if report is not None:
                    self._finished(report, "changes", len(paths))
        except Exception as exc:
            log.exception("sync batch failed")
            self._emit(
                self.on_error,
                f"could not index some changes ({_say(exc, self.store.folder)}); retrying soon",
            )
            self._retry_at = time.monotonic() + RETRY_AFTER

    def _reconcile(self, roots: list[Path], reason: str) -> None:
        if not roots or self._abort:
            return
        report = self._drive(self.indexer.run(roots), "scanning")
        if report is not None:
            self._finished(report, reason, len(roots))

    def _drive(self, gen: Generator[Progress, None, IndexReport], state: str) -> IndexReport | None:
        self._set_state(state)
        # Once aborted the run is closed between files: what is committed is whole, the rest
        # is redone.
        return drive(
            gen, lambda event: self._emit(self.on_progress, event), cancelled=lambda: self._abort
        )

    def _finished(self, report: IndexReport, reason: str, size: int) -> None:
        self.runs.append((reason, size))
        report.deleted_paths = list(dict.fromkeys(report.deleted_paths))
        report.deleted = len(report.deleted_paths)
        self._last_work = time.monotonic()
        if report.changed_paths or report.deleted_paths:
            self._dirty = True
            self._since_optimize += 1
        if report.changed_paths:
            self._indexes()
        failures = self._failures(report) if report.errors or report.pending else []
        if report.changed_paths or report.deleted_paths or failures:
            self._emit(self.on_indexed, Synced(reason, report, failures))
        for f in failures:
            self._emit(self.on_failed, f)
        if report.fatal or report.budget_stop:
            self._emit(self.on_error, report.fatal or report.budget_stop)

    def _failures(self, report: IndexReport) -> list[Failure]:
        return [Failure(*row) for row in self.store.not_indexed(list(report.changed_paths))]

    def _between_batches(self) -> None:
        now = time.monotonic()
        if now - self._last_recheck >= self.recheck_interval:
            self._last_recheck = now
            self._recheck_paused()
        if self._retry_at and now >= self._retry_at:
            self._retry_at = 0.0
            self.rescan()
            return
        quiet = min(now - self._last_work, self.queue.seconds_quiet())
        if self._dirty and (
            quiet >= self.optimize_after or self._since_optimize >= self.optimize_every
        ):
            self._optimize()

    def _indexes(self) -> None:
        """The first run's text is keyword-searchable at once, not after the first quiet
        compaction (until then every score lacked its keyword bonus); a large index gets its
        lookup indexes at start, not at the first edit."""
        try:
            self.store.ensure_keyword_index()
            self.store.ensure_lookup_indexes()
        except Exception as exc:  # another handle's commit raced us: optimize builds it later
            log.warning("could not build the keyword or lookup index yet: %s", exc)

    def _optimize(self) -> None:
        self._set_state("optimizing")
        try:
            self.store.optimize()
            self._dirty = False
            self._since_optimize = 0
        except Exception as exc:  # another handle's commit raced us: try at the next quiet moment
            log.warning("index maintenance failed: %s", exc)
        self._last_work = time.monotonic()
        self._set_state("idle" if self.idle.is_set() else "indexing")

    # ---- folders that come and go ----

    def _available(self) -> list[Path]:
        """The roots that are there; a missing one is paused (its index entries are kept)."""
        out = []
        for root in self.roots:
            if root.is_dir():
                if root not in self.paused:
                    out.append(root)
            elif root not in self.paused:
                self.paused.add(root)
                self.watcher.unwatch(root)
                self._warn(
                    f"{root} is not available (a removable or network drive?). Its files stay "
                    "in the index; syncing resumes when it is back."
                )
        return out

    def _recheck_paused(self) -> None:
        self._available()  # notices roots that vanished without an event (unmounted)
        back = [r for r in sorted(self.paused) if r.is_dir()]
        for root in back:
            self.paused.discard(root)
            self.watcher.watch(root)
            self._warn(f"{root} is back; bringing its index up to date.")
        if back:
            self.queue.idle.clear()
            self._reconcile(back, "resume")
            if self.queue.done():
                self._became_idle()

    def _root_of(self, path: Path) -> Path | None:
        best: Path | None = None
        for root in self.roots:
            if (path == root or root in path.parents) and (
                best is None or len(root.parts) > len(best.parts)
            ):
                best = root
        return best

    # ---- notifications ----

    def _became_idle(self) -> None:
        self._set_state("idle")
        self._emit(self.on_idle)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._emit(self.on_state, state)

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("%s", message)
        self._emit(self.on_warning, message)

    @staticmethod
    def _emit(callback: Callback | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a listener's bug must not stop the sync
            log.exception("sync listener failed")


def _say(exc: BaseException, folder: Path) -> str:
    """An exception in words for the status line: a full disk or a damaged index plainly."""
    from core.store import DISK_FULL, damaged_message, is_disk_full, is_storage_error

    if is_disk_full(exc):
        return DISK_FULL
    if is_storage_error(exc):
        return damaged_message(folder, exc)
    return str(exc)


def _collapse(paths: list[Path]) -> list[Path]:
    """Drop paths inside folders that are in the batch themselves (the folder is scanned)."""
    unique = list(dict.fromkeys(paths))
    folders = {p for p in unique if p.is_dir()}
    if not folders:
        return unique
    return [p for p in unique if not any(parent in folders for parent in p.parents)]
