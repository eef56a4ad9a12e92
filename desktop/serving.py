"""The app hosts the resident engine: ``loci search`` & co. are answered by its open engine.

Started once the bridge has opened an engine, on a daemon thread (loading the search matrix
and the model must not hold up the window); it serves whatever engine the bridge has at
each request, so reopening after a settings change needs nothing here. Stopped when the
application quits.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from desktop.tasks import DaemonExecutor, Tasks
from desktop.worker import Bridge

START_WAIT_MS = 5000  # quitting while the host starts: how long to wait to stop it


class EngineHost(QObject):
    def __init__(self, bridge: Bridge, data: Path) -> None:
        super().__init__(bridge)
        self._bridge = bridge
        self._data = data
        self._server: Any = None
        self._starting = False
        self._started = False
        # Set on the GUI thread, read by the starting thread: it stops what it started.
        self._stopped = threading.Event()
        self._tasks = Tasks(DaemonExecutor("loci-host"), self)
        bridge.engine_opened.connect(self._on_engine_opened)

    @property
    def server(self) -> Any:
        return self._server

    def _on_engine_opened(self, _state: object) -> None:
        if self._started:
            return  # the server asks the bridge for its engine at every request
        self._started = self._starting = True
        self._tasks.run(self._start, self._on_started)

    def _start(self) -> Any:
        """On the host thread: the started server, or None."""
        from core.serve.host import serve_engine

        bridge = self._bridge
        server = serve_engine(
            lambda: bridge.engine,
            self._data,
            lambda: "indexing" if bridge.indexing else "idle",
        )
        if self._stopped.is_set() and server is not None:
            server.stop()  # the app quit while it was starting
            return None
        return server

    def _on_started(self, server: Any) -> None:
        self._starting = False
        if self._stopped.is_set():
            if server is not None:
                server.stop()
            return
        self._server = server

    def stop(self) -> None:
        self._stopped.set()
        if self._starting:  # its answer is on the way: take it now, and stop that server
            self._tasks.finish(START_WAIT_MS)
        self._tasks.close()
        server, self._server = self._server, None
        if server is not None:
            server.stop()
