"""The one way desktop/ runs work off the GUI thread: ``Tasks.run(func, callback)``.

``func`` runs on an executor (a ``QThreadPool`` in the app, inline in tests) and returns a
value; ``callback`` gets that value on the GUI thread, and is the only place state is
written. A worker never touches a widget or an attribute the GUI reads: it computes, and
the answer crosses to the GUI thread through one queued signal. ``post(fn)`` is the same
crossing for code that already runs on another thread (the syncer's callbacks).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThreadPool, Signal

T = TypeVar("T")


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


class DaemonExecutor:
    """A new daemon thread per callable: work that must never hold up quitting (an estimate
    walking a big folder, the resident engine starting)."""

    def __init__(self, name: str = "loci-task") -> None:
        self._name = name
        self._threads: list[threading.Thread] = []

    def submit(self, fn: Callable[[], None]) -> None:
        thread = threading.Thread(target=fn, name=self._name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def wait(self, msecs: int) -> bool:
        for thread in list(self._threads):
            thread.join(msecs / 1000)
        return not any(t.is_alive() for t in self._threads)


class Tasks(QObject):
    """Runs ``func`` on ``executor`` and hands its result to ``callback`` on the GUI thread.

    Create it on the GUI thread (it lives there: that is where callbacks run). An exception
    from ``func`` goes to ``on_error`` (on the GUI thread too) or, without one, is dropped.
    After ``close()`` nothing more is submitted and answers still on their way are dropped:
    they would reach a window that is gone (``finish()`` delivers the ones in flight first).
    """

    _deliver = Signal(object)  # a zero-argument callable, run on this object's thread

    def __init__(self, executor: Executor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.executor = executor
        self._closed = False  # nothing more is submitted
        self._dropping = False  # answers are dropped
        self._deliver.connect(self._on_deliver)

    def run(
        self,
        func: Callable[[], T],
        callback: Callable[[T], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        if self._closed:
            return

        def work() -> None:
            try:
                result = func()
            except Exception as exc:
                if on_error is not None:
                    error = exc  # ``exc`` itself is unbound when the except block ends
                    self.post(lambda: on_error(error))
                return
            self.post(lambda: callback(result))

        self.executor.submit(work)

    def post(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the GUI thread (at once when called there, as inline tests do)."""
        if self._dropping:
            return
        try:
            self._deliver.emit(fn)
        except RuntimeError:
            if not self._dropping:  # "Signal source has been deleted" only after close
                raise

    def _on_deliver(self, fn: Callable[[], Any]) -> None:
        if not self._dropping:
            fn()

    def close(self) -> None:
        """Submit nothing more and drop the answers still on their way."""
        self._closed = self._dropping = True

    def finish(self, msecs: int) -> bool:
        """Submit nothing more, wait up to ``msecs`` for the work in flight and deliver its
        answers now; later ones are dropped. True when the work ended in time."""
        self._closed = True
        done = self.executor.wait(msecs)
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        self._dropping = True
        return done

    def wait(self, msecs: int) -> bool:
        return self.executor.wait(msecs)
