"""Watch folders with watchdog and collect changed paths; never index on the watchdog thread.

Events are reduced to *paths*: whether a path is now a note to index, a file to drop or a
folder to scan is decided later, by looking at the file system when the debounce window
closes (an editor's atomic save arrives as created(tmp) + moved(tmp → note); the polling
observer reports the same save as deleted + created — the outcome is the same path).

On Linux, inotify needs one watch per folder, up to ``fs.inotify.max_user_watches``; a
folder that cannot be watched in full is polled instead, and the user is told once.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler

from core.scan import Excluder
from core.sync.defaults import DEFAULT_DEBOUNCE

log = logging.getLogger(__name__)

DEFAULT_MAX_DELAY = 3.0  # s: a never-quiet folder is still indexed this often
POLLING_INTERVAL = 2.0  # s between polls of a folder inotify cannot watch
SUGGESTED_WATCHES = 524288

# Event types that say nothing about content.
_IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})


def inotify_limit_message(root: Path | str) -> str:
    limit = "?"
    try:
        limit = Path("/proc/sys/fs/inotify/max_user_watches").read_text().strip()
    except OSError:
        pass
    return (
        f"Loci cannot watch every folder in {root}: the system limit of {limit} watched "
        f"folders (fs.inotify.max_user_watches) is reached. Loci checks those files every "
        f"{POLLING_INTERVAL:g} s instead, which costs more CPU. To lift the limit run "
        f"`sudo sysctl fs.inotify.max_user_watches={SUGGESTED_WATCHES}` and, to keep it after a "
        f"restart, add `fs.inotify.max_user_watches={SUGGESTED_WATCHES}` to "
        f"/etc/sysctl.d/90-loci.conf."
    )


# ---- the debounce queue ----

SMALL_BATCH = 3  # paths: one save (note, temporary, backup)
SHORT_QUIET = 0.4  # share of the debounce a batch that small waits (0.1 s of the default)


@dataclass
class Batch:
    """What to bring in step: changed paths, and roots to reconcile in full (overflow)."""

    paths: list[str] = field(default_factory=list)
    rescan: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.paths or self.rescan)


class ChangeQueue:
    """Collects changed paths; hands them out as one batch once the burst is over.

    A batch is ready when no path arrived for ``debounce`` seconds, or ``max_delay``
    seconds after its first path (a folder that never goes quiet). A save touches one to
    three paths (the note, an editor's temporary or backup file) within milliseconds, so a
    batch that small is ready after a shorter quiet (``SHORT_QUIET`` of the debounce): an
    edit is searchable sooner, while a burst, whose first few files arrive far closer
    together than that, still waits for the whole window. Repeats of a path coalesce.
    ``idle`` is set only while nothing is queued and nobody is working on a batch: ``put``
    clears it at once, the consumer sets it with ``done()``.
    """

    def __init__(
        self,
        debounce: float = DEFAULT_DEBOUNCE,
        max_delay: float = DEFAULT_MAX_DELAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.debounce = debounce
        self.max_delay = max_delay
        self._clock = clock
        self._cond = threading.Condition()
        self._paths: dict[str, None] = {}  # insertion-ordered set
        self._rescan: dict[Path, None] = {}
        self._first = 0.0
        self._last = 0.0
        self._closed = False
        self._flush = False
        self.idle = threading.Event()

    def __len__(self) -> int:
        with self._cond:
            return len(self._paths) + len(self._rescan)

    def put(self, paths: Iterable[str]) -> None:
        with self._cond:
            now = self._clock()
            added = False
            for p in paths:
                self._paths[p] = None
                added = True
            if added:
                self._touch(now)

    def request_rescan(self, root: Path) -> None:
        with self._cond:
            self._rescan[root] = None
            self._touch(self._clock())

    def _touch(self, now: float) -> None:
        if not self._first:
            self._first = now
        self._last = now
        self.idle.clear()
        self._cond.notify_all()

    def take(self, timeout: float) -> Batch | None:
        """The next ready batch, or None after ``timeout`` seconds or once closed."""
        with self._cond:
            deadline = self._clock() + timeout
            while True:
                now = self._clock()
                if self._paths or self._rescan:
                    quiet = self.debounce
                    if len(self._paths) <= SMALL_BATCH and not self._rescan:
                        quiet *= SHORT_QUIET
                    ready_at = min(self._last + quiet, self._first + self.max_delay)
                    if now >= ready_at or self._flush or self._closed:
                        if self._closed and not self._flush:
                            return None
                        return self._pop()
                    wake = min(ready_at, deadline)
                else:
                    if self._closed:
                        return None
                    wake = deadline
                if now >= deadline:
                    return None
                self._cond.wait(max(0.0, wake - now))

    def _pop(self) -> Batch:
        batch = Batch(list(self._paths), list(self._rescan))
        self._paths.clear()
        self._rescan.clear()
        self._first = self._last = 0.0
        return batch

    def done(self) -> bool:
        """The consumer finished a batch: become idle unless more arrived meanwhile."""
        with self._cond:
            if not self._paths and not self._rescan:
                self.idle.set()
                return True
            return False

    def close(self, *, flush: bool = False) -> None:
        """Stop handing out batches; with ``flush`` what is queued goes out first, at once."""
        with self._cond:
            self._closed = True
            self._flush = flush
            self._cond.notify_all()

    def seconds_quiet(self) -> float:
        with self._cond:
            return self._clock() - self._last if self._last else float("inf")


# ---- watchdog ----


class WatchSink(Protocol):
    """What a native observer reports beyond events (called from watchdog's threads)."""

    def limit_reached(self, root: str) -> None: ...

    def overflowed(self, root: str) -> None: ...


def native_observer(sink: WatchSink) -> Any:
    """The platform's observer; on Linux one that also reports a full watch table and lost events.

    watchdog silently skips sub-folders it cannot watch (ENOSPC) and rebuilds its watches
    after a queue overflow without telling the handler; both need a full reconciliation,
    so the inotify watch group is subclassed to report them.

    watchdog's public API (observers, ``schedule``, event handlers) cannot do this:
    ``InotifyWatchGroup._add_callback`` swallows the OSError of a sub-folder, so nothing
    public ever learns of a full watch table below the root; a queue overflow reaches only a
    log line and the group's own ``on_queue_overflow``; and the public
    ``InotifyFD.add_callback`` warns (a RuntimeWarning, which nothing thread-safe can silence
    on watchdog's thread) each time a folder made with ``mkdir -p`` is reached twice. Hence
    the subclass below, its use of ``fd._lock`` and ``fd._get_or_create_watch`` (pyproject
    keeps watchdog below 8), and the plain observer when it cannot be set up.
    """
    if sys.platform.startswith("linux"):
        try:
            return _reporting_inotify_observer(sink)
        except Exception as exc:  # an incompatible watchdog: plain inotify, no reports
            log.debug("inotify reporting unavailable: %s", exc)
    from watchdog.observers import Observer

    return Observer()


def _reporting_inotify_observer(sink: WatchSink) -> Any:
    from dataclasses import dataclass as _dataclass

    from watchdog.observers.inotify import InotifyEmitter, InotifyObserver, InotifyWatchGroup

    @_dataclass
    class ReportingGroup(InotifyWatchGroup):
        sink: Any = None

        def _add_callback(self, path: bytes) -> None:
            # As watchdog's, minus its RuntimeWarning when a folder made with `mkdir -p` is
            # reached twice (by the walk of its parent and by its own event): re-adding the
            # same callback to the same watch is harmless.
            fd = self._inotify_fd
            try:
                with fd._lock:
                    watch = fd._get_or_create_watch(path, self.event_mask)
                    watch.callbacks[self._id] = self._callback
                    wd = watch.wd
            except OSError as exc:
                if exc.errno == errno.ENOSPC and self.sink is not None:
                    self.sink.limit_reached(os.fsdecode(self.path))
                if path == self.path:
                    raise
                return
            self._active_callbacks_by_path[path] = wd
            self._active_callbacks_by_watch[wd] = path

        def on_queue_overflow(self) -> None:
            super().on_queue_overflow()
            if self.sink is not None:
                self.sink.overflowed(os.fsdecode(self.path))

    class ReportingEmitter(InotifyEmitter):
        def __init__(self, *args: Any, sink: WatchSink, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._sink = sink

        def on_thread_start(self) -> None:
            self._inotify = ReportingGroup(
                self._inotify_fd,
                os.fsencode(self.watch.path),
                is_recursive=self.watch.is_recursive,
                event_mask=self.get_event_mask_from_filter(),
                follow_symlink=self.watch.follow_symlink,
                sink=self._sink,
            )

    observer = InotifyObserver()
    observer._emitter_class = ReportingEmitter
    observer._emitter_kwargs["sink"] = sink
    return observer


class Watcher:
    """Recursive watches on ``roots``; every relevant path goes to ``on_paths``.

    Args:
        roots: absolute folders to watch.
        excluder: what is never indexed (its paths are dropped here already).
        on_paths: receives changed paths; called on a watchdog thread, so it only enqueues.
        on_rescan: a root whose events were lost (overflow) and needs a full reconciliation.
        on_warning: a message for the user (said once per cause).
        make_native: builds the native observer (injectable for tests).
        polling_interval: seconds between polls of folders that fell back to polling.
    """

    def __init__(
        self,
        roots: Sequence[Path],
        excluder: Excluder,
        on_paths: Callable[[list[str]], None],
        *,
        on_rescan: Callable[[Path], None],
        on_warning: Callable[[str], None],
        make_native: Callable[[WatchSink], Any] = native_observer,
        polling_interval: float = POLLING_INTERVAL,
    ) -> None:
        self.roots = [Path(os.path.abspath(r)) for r in roots]
        self.excluder = excluder
        self._on_paths = on_paths
        self._on_rescan = on_rescan
        self._on_warning = on_warning
        self._make_native = make_native
        self._polling_interval = polling_interval
        self._lock = threading.RLock()
        self._native: Any = None
        self._polling: Any = None
        self._watches: dict[Path, tuple[str, Any]] = {}  # root -> (mode, ObservedWatch)
        self._limited: set[str] = set()  # roots inotify could not watch in full
        self._warned_limit = False
        self._handler = _Handler(self)

    # ---- lifecycle ----

    def start(self) -> None:
        with self._lock:
            self._native = self._make_native(self)
            self._native.start()
            for root in self.roots:
                if root.is_dir():
                    self.watch(root)

    def stop(self) -> None:
        with self._lock:
            observers = [o for o in (self._native, self._polling) if o is not None]
            self._native = self._polling = None
            self._watches.clear()
        for o in observers:
            o.stop()
        for o in observers:
            o.join(timeout=10)

    def mode(self, root: Path) -> str:
        """``native``, ``polling`` or ``unwatched`` (a paused or missing folder)."""
        # No lock: watchdog calls limit_reached() holding its own locks (no lock-order cycle).
        entry = self._watches.get(root)
        return entry[0] if entry else "unwatched"

    def watch(self, root: Path) -> None:
        """Start watching ``root`` (again): natively, or by polling when inotify cannot."""
        with self._lock:
            if root in self._watches or self._native is None:
                return
            try:
                w = self._native.schedule(self._handler, str(root), recursive=True)
            except OSError as exc:
                self._fallback(root, exc)
                return
            self._watches[root] = ("native", w)
            if str(root) in self._limited:
                self._fallback(root, OSError(errno.ENOSPC, "inotify watch limit reached"))

    def unwatch(self, root: Path) -> None:
        with self._lock:
            entry = self._watches.pop(root, None)
            if entry is None:
                return
            mode, w = entry
            observer = self._native if mode == "native" else self._polling
        if observer is not None:
            try:
                observer.unschedule(w)
            except (KeyError, OSError):
                pass  # its emitter already stopped (the folder was deleted)

    def use_polling(self, root: Path) -> None:
        """Called by the consumer after ``limit_reached``: move ``root`` to the poller."""
        with self._lock:
            if self.mode(root) != "native":
                return
        self._fallback(root, OSError(errno.ENOSPC, "inotify watch limit reached"))

    def _fallback(self, root: Path, exc: OSError) -> None:
        from watchdog.observers.polling import PollingObserver

        if exc.errno == errno.ENOSPC:
            if not self._warned_limit:
                self._warned_limit = True
                self._on_warning(inotify_limit_message(root))
        else:
            self._on_warning(
                f"Loci cannot watch {root} for changes ({exc.strerror or exc}); it checks the "
                f"folder every {self._polling_interval:g} s instead."
            )
        self.unwatch(root)
        with self._lock:
            if self._native is None:
                return
            if self._polling is None:
                self._polling = PollingObserver(timeout=self._polling_interval)
                self._polling.start()
            w = self._polling.schedule(self._handler, str(root), recursive=True)
            self._watches[root] = ("polling", w)

    # ---- WatchSink: called on watchdog threads; only record and hand on ----

    def limit_reached(self, root: str) -> None:
        first = root not in self._limited
        self._limited.add(root)
        if first and self.mode(Path(root)) == "native":
            # Events below the unwatched sub-folders were missed: reconcile, which also
            # moves the folder to the poller (see Syncer).
            self._on_rescan(Path(root))

    def overflowed(self, root: str) -> None:
        self._on_rescan(Path(root))

    def needs_polling(self, root: Path) -> bool:
        return str(root) in self._limited and self.mode(root) == "native"

    def _event(self, kind: str, paths: Sequence[str], is_dir: bool) -> None:
        keep = [
            p
            for p in paths
            if p and not self.excluder.skips_path(Path(p), self.roots, is_dir=is_dir)
        ]
        if keep:
            self._on_paths(keep)


class _Handler(FileSystemEventHandler):
    """Turns watchdog events into paths. Runs on the observer thread: cheap, no I/O."""

    def __init__(self, watcher: Watcher) -> None:
        super().__init__()
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind in _IGNORED_EVENTS or (event.is_directory and kind in ("modified", "attrib")):
            return
        paths = [os.fsdecode(event.src_path)]
        if getattr(event, "dest_path", ""):
            paths.append(os.fsdecode(event.dest_path))
        self._watcher._event(kind, paths, bool(event.is_directory))
