"""Opening a file in its default application and showing it in the file manager.

``FileManager`` holds the D-Bus replies still on their way (the window owns one), so the
asynchronous ``ShowItems`` call needs no module state.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QProcess, QUrl
from PySide6.QtGui import QDesktopServices

REVEAL_TIMEOUT_MS = 10_000  # a file manager started by D-Bus activation can take seconds

Failed = Callable[[], None]


def file_url(path: str) -> QUrl:
    """A file: URL for an index key, byte-exact even for a name that is not UTF-8."""
    from urllib.parse import quote

    from core.scan import fs_path

    return QUrl.fromEncoded(b"file://" + quote(os.fsencode(fs_path(path))).encode("ascii"))


def open_file(path: str, on_failed: Failed | None = None) -> bool:
    """Open ``path`` with the desktop's default application; False (and ``on_failed``) when
    the desktop has no launcher for it (Qt then only logs ``Unable to detect a launcher``)."""
    ok = bool(QDesktopServices.openUrl(file_url(path)))
    if not ok and on_failed is not None:
        on_failed()
    return ok


def _start_detached(program: str, arguments: list[str]) -> bool:
    started: Any = QProcess.startDetached(program, arguments)
    return bool(started[0] if isinstance(started, tuple) else started)


def _select_command(path: str) -> tuple[str, list[str]] | None:
    """The command that shows ``path`` selected in the file manager (macOS, Windows)."""
    if sys.platform == "darwin":
        return "open", ["-R", path]
    if sys.platform == "win32":
        return "explorer", ["/select,", os.path.normpath(path)]
    return None


def takes_on_failed(fn: Callable[..., Any]) -> bool:
    """True when the launcher ``fn`` takes an ``on_failed`` callback (tests pass plain ones)."""
    try:
        return "on_failed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def launch(launcher: Callable[..., Any], path: str, failed: Failed) -> None:
    """Run an opener or revealer on ``path``; ``failed`` runs when it could not."""
    if takes_on_failed(launcher):
        launcher(path, on_failed=failed)
    elif launcher(path) is False:  # a launcher that takes only the path (tests)
        failed()


class FileManager(QObject):
    """Shows files in the platform's file manager, selected where the platform can."""

    def __init__(
        self,
        bus: Any = None,
        open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bus = bus  # None: the session bus, looked up at each call
        self._open_url = open_url
        self.pending: set[Any] = set()  # D-Bus replies on their way (kept alive until they arrive)

    def reveal(self, path: str, on_failed: Failed | None = None) -> None:
        """Show ``path``; ``on_failed`` runs (perhaps later: the D-Bus call is asynchronous)
        when nothing could show it."""
        command = _select_command(path)
        if command is None:  # freedesktop
            self.show_items(path, on_failed=on_failed)
        elif not _start_detached(*command) and on_failed is not None:
            on_failed()

    def show_items(self, path: str, on_failed: Failed | None = None) -> bool:
        """freedesktop: ask the file manager to select ``path`` (D-Bus ``FileManager1.ShowItems``).

        Nautilus, Dolphin, Nemo, Caja and Thunar implement it. The call is asynchronous
        (starting a file manager can take seconds); when there is no session bus, no such
        service, or the call fails, the folder is opened with the default handler instead,
        and when that fails too (no launcher), ``on_failed`` runs. Returns True when the
        D-Bus call was sent.
        """
        folder = file_url(os.path.dirname(path))

        def open_folder() -> None:
            if self._open_url(folder) is False and on_failed is not None:
                on_failed()

        try:
            from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher
        except ImportError:
            open_folder()
            return False
        bus = self._bus if self._bus is not None else QDBusConnection.sessionBus()
        if not bus.isConnected():
            open_folder()
            return False
        message = QDBusMessage.createMethodCall(
            "org.freedesktop.FileManager1",
            "/org/freedesktop/FileManager1",
            "org.freedesktop.FileManager1",
            "ShowItems",
        )
        message.setArguments([[file_url(path).toString()], ""])
        watcher = QDBusPendingCallWatcher(bus.asyncCall(message, REVEAL_TIMEOUT_MS))

        def finished(w: QDBusPendingCallWatcher) -> None:
            if w.isError():
                open_folder()
            w.deleteLater()
            self.pending.discard(w)

        self.pending.add(watcher)
        watcher.finished.connect(finished)
        return True
