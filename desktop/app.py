"""Entry point and wiring: settings, bridge, thumbnailer and window are built here, once.

``main()`` shows the window at once; the engine (LanceDB, the model) is imported and
opened on a worker, and indexing starts in the background.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from core.config import Settings, SettingsError, data_dir, settings_path
from desktop.icons import icon
from desktop.player import default_player_factory
from desktop.serving import EngineHost
from desktop.tasks import Executor
from desktop.theme import apply_theme
from desktop.thumbnails import Thumbnailer
from desktop.window import MainWindow
from desktop.worker import Bridge, EngineFactory, default_engine_factory

_IMPORTED = time.time()


def build_window(
    settings: Settings,
    *,
    engine_factory: EngineFactory = default_engine_factory,
    queries: Executor | None = None,
    background: Executor | None = None,
    thumbnail_executor: Executor | None = None,
    settings_file: Path | None = None,
    thumbnail_dir: Path | None = None,
    progress_interval: float = 0.05,
    sync: bool = False,
    **window_options: Any,
) -> MainWindow:
    """The window and its collaborators, wired (tests pass inline executors and fakes)."""
    bridge = Bridge(
        engine_factory,
        queries=queries,
        background=background,
        progress_interval=progress_interval,
        sync=sync,  # watch the folders (the app); tests without it run one index pass
    )
    thumbnails = Thumbnailer(thumbnail_dir or data_dir() / "thumbnails", thumbnail_executor)
    # The in-app player needs QtMultimedia (PySide6-Addons); without it media opens outside.
    window_options.setdefault("player_factory", default_player_factory())
    window = MainWindow(
        settings,
        bridge,
        thumbnails,
        settings_path=settings_file or settings_path(),
        apply_theme=lambda theme: apply_theme(theme),
        **window_options,
    )
    bridge.setParent(window)
    thumbnails.setParent(window)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    assert isinstance(app, QApplication)
    app.setApplicationName("Loci")
    app.setOrganizationName("Loci")
    app.setDesktopFileName("loci-desktop")
    app.setWindowIcon(icon("loci"))
    try:
        settings = Settings.load()
        problem = ""
    except SettingsError as exc:
        settings, problem = Settings(), str(exc)
    apply_theme(settings.theme, app)
    # With the tray on, closing the window keeps the app (and sync) running.
    app.setQuitOnLastWindowClosed(not settings.keep_running_in_tray)
    window = build_window(settings, sync=True)
    # `loci search` & co. are answered by this app's engine while it runs (core/serve).
    host = EngineHost(window.bridge, data_dir())
    app.aboutToQuit.connect(host.stop)
    # Packaging (make package-test): LOCI_STARTUP_PROBE=$(date +%s.%N) measures start-up.
    if os.environ.get("LOCI_STARTUP_PROBE"):
        _StartupProbe(window, os.environ["LOCI_STARTUP_PROBE"])
    window.show()
    window.focus_search()
    if problem:
        window.status.show_error(problem)
    # First paint, then open the index: importing LanceDB and the model on a worker competes
    # for the GIL, so it starts once the window is on screen (or after 1 s, if never painted).
    _AfterFirstPaint(window, window.start)
    # Ctrl+C in the terminal closes the window cleanly (Python needs the loop to wake up).
    signal.signal(signal.SIGINT, lambda *_: window.quit())
    waker = QTimer()
    waker.start(250)
    waker.timeout.connect(lambda: None)
    return app.exec()


class _AfterFirstPaint(QObject):
    """Runs ``then`` once, right after ``window``'s first paint (or after ``fallback_ms``)."""

    def __init__(self, window: MainWindow, then: Callable[[], None], fallback_ms: int = 1000):
        super().__init__(window)
        self._window = window
        self._then: Callable[[], None] | None = then
        window.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._then is not None:
            QTimer.singleShot(0, self._run)  # after this paint is on screen
        return False

    def _run(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            self._window.removeEventFilter(self)
            then()


class _StartupProbe(QObject):
    """Prints the ms from launch (epoch seconds in the variable) to the first paint, then quits."""

    def __init__(self, window: MainWindow, launched: str) -> None:
        super().__init__(window)
        try:
            self._launched = float(launched)
        except ValueError:  # not a time: count from this module's import
            self._launched = _IMPORTED
        self._window = window
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            elapsed = 1000 * (time.time() - self._launched)
            print(f"loci-desktop: window shown {elapsed:.0f} ms after launch", flush=True)
            QTimer.singleShot(0, self._window.quit)
        return False


if __name__ == "__main__":
    sys.exit(main())
