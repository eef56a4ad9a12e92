"""The app hosts the resident engine: ``loci search`` & co. are answered by its open engine.

Started once the bridge has opened an engine, on a plain thread (loading the search matrix
and the model must not hold up the window); it serves whatever engine the bridge has at
each request, so reopening after a settings change needs nothing here. Stopped when the
application quits.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from desktop.worker import Bridge


class EngineHost(QObject):
    def __init__(self, bridge: Bridge, data: Path) -> None:
        super().__init__(bridge)
        self._bridge = bridge
        self._data = data
        self._server: Any = None
        self._started = False
        self._stopped = False
        self._guard = threading.Lock()
        bridge.engine_opened.connect(self._on_engine_opened)

    @property
    def server(self) -> Any:
        return self._server

    def _on_engine_opened(self, _state: object) -> None:
        if self._started:
            return  # the server asks the bridge for its engine at every request
        self._started = True
        threading.Thread(target=self._start, name="loci-host", daemon=True).start()

    def _start(self) -> None:
        from core.serve.host import serve_engine

        bridge = self._bridge
        server = serve_engine(
            lambda: bridge.engine,
            self._data,
            lambda: "indexing" if bridge.indexing else "idle",
        )
        with self._guard:
            if self._stopped and server is not None:
                server.stop()  # the app quit while it was starting
                return
            self._server = server

    def stop(self) -> None:
        with self._guard:
            self._stopped = True
            server, self._server = self._server, None
        if server is not None:
            server.stop()
